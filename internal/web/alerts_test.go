package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// One alert addressed only to A and one addressed only to B (its title
// carries the marker): A's users must get 404 on B's alert everywhere.
func init() {
	seeders = append(seeders, func(w *world) {
		mk := func(org access.Org, title string) int64 {
			var a store.Alert
			err := w.db.InTx(ctx, func(tx *store.Tx) error {
				var err error
				a, err = tx.PublishAlert(ctx, access.System, store.AlertInput{Title: title, Summary: "Summary of " + title,
					TLP: share.TLPAmber, Audience: store.AudienceChosen, OrgIDs: []int64{org.ID}})
				return err
			})
			if err != nil {
				w.t.Fatal(err)
			}
			return a.ID
		}
		w.ownA["alert"] = mk(w.a, "Patch the pumps at St. Anna")
		w.ofB["alert"] = mk(w.b, "Ransomware at Nord "+marker)
	})
}

func decodeAlert(t *testing.T, r resp) store.Alert {
	t.Helper()
	var a store.Alert
	if err := json.Unmarshal([]byte(r.body), &a); err != nil || a.ID == 0 {
		t.Fatalf("not an alert (%d): %v %.400s", r.status, err, r.body)
	}
	return a
}

func TestAlertsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		cert := &w.csirtAdmin
		clear, amberB := w.ownA["advisory"], w.ofB["advisory"]

		// From the CLEAR advisory that hits A and B: prefilled, to exactly those two.
		r := w.do(req{method: "POST", path: "/api/v1/alerts", as: cert, body: `{"advisory_id": ` + itoa(clear) + `, "deadline": "2099-01-01T00:00:00Z"}`})
		both := decodeAlert(t, r)
		if r.status != http.StatusCreated || !strings.Contains(both.Title, "TEST-CLEAR-1") || both.TLP != share.TLPClear ||
			both.Audience != store.AudienceAffected || len(both.Recipients) != 2 || !strings.Contains(both.Actions, "Update to the latest software") {
			t.Fatalf("alert from the CLEAR advisory: %d %+v", r.status, both)
		}
		// From the AMBER advisory that hits only B.
		r = w.do(req{method: "POST", path: "/api/v1/alerts", as: cert, body: `{"advisory_id": ` + itoa(amberB) + `, "title": "Hamilton ventilators ` + marker + `"}`})
		onlyB := decodeAlert(t, r)
		if len(onlyB.Recipients) != 1 || onlyB.Recipients[0].OrgID != w.b.ID || onlyB.TLP != share.TLPAmber {
			t.Fatalf("alert from the AMBER advisory: %+v", onlyB)
		}

		tests := []struct {
			name   string
			r      req
			status int
			want   string
		}{
			{"CSIRT: empty body", req{method: "POST", path: "/api/v1/alerts", as: cert, body: `{}`}, 400, "tlp is required"},
			{"CSIRT: no recipients", req{method: "POST", path: "/api/v1/alerts", as: cert, body: `{"title": "x y z", "tlp": "amber"}`}, 400, "recipients is required"},
			{"CSIRT: bad label", req{method: "POST", path: "/api/v1/alerts", as: cert, body: `{"title": "x y z", "tlp": "purple", "recipients": "all"}`}, 400, "tlp"},
			{"CSIRT: unknown field", req{method: "POST", path: "/api/v1/alerts", as: cert, body: `{"title": "x y z", "urgent": true}`}, 400, "unknown field"},
			{"CSIRT: relabel AMBER as CLEAR", req{method: "POST", path: "/api/v1/alerts", as: cert, body: `{"advisory_id": ` + itoa(amberB) + `, "tlp": "CLEAR"}`}, 400, "looser"},
			{"CSIRT: unknown advisory", req{method: "POST", path: "/api/v1/alerts", as: cert, body: `{"advisory_id": 987654}`}, 400, "no such advisory"},
			{"CSIRT: chosen member", req{method: "POST", path: "/api/v1/alerts", as: cert, body: `{"title": "For A", "tlp": "TLP:GREEN", "recipients": "chosen", "org_ids": [` + itoa(w.a.ID) + `]}`}, 201, `"TLP:GREEN"`},
			{"CSIRT: RED to an organisation", req{method: "POST", path: "/api/v1/alerts", as: cert, body: `{"title": "For A", "tlp": "TLP:RED", "recipients": "chosen", "org_ids": [` + itoa(w.a.ID) + `]}`}, 400, "org_ids: a TLP:RED alert is addressed to the people it names"},
			{"CSIRT: RED to nobody", req{method: "POST", path: "/api/v1/alerts", as: cert, body: `{"title": "For A", "tlp": "TLP:RED"}`}, 400, "people: a TLP:RED alert goes to named people only"},
			{"CSIRT: AMBER naming people", req{method: "POST", path: "/api/v1/alerts", as: cert, body: `{"title": "For A", "tlp": "AMBER", "recipients": "all", "people": [` + itoa(w.aAdmin.user.ID) + `]}`}, 400, "people: only a TLP:RED alert names people"},
			{"member admin may not publish", req{method: "POST", path: "/api/v1/alerts", token: w.aToken, body: `{"title": "x y z", "tlp": "amber", "recipients": "all"}`}, 403, "only the CSIRT"},
			{"A reads the shared alert", req{method: "GET", path: "/api/v1/alerts/" + itoa(both.ID), token: w.aToken}, 200, `"status": "pending"`},
			{"A's view hides other recipients", req{method: "GET", path: "/api/v1/alerts/" + itoa(both.ID), token: w.aToken}, 200, `"ack"`},
			{"A may not read B's alert", req{method: "GET", path: "/api/v1/alerts/" + itoa(onlyB.ID), token: w.aToken}, 404, ""},
			{"A may not answer B's alert", req{method: "POST", path: "/api/v1/alerts/" + itoa(onlyB.ID) + "/ack", token: w.aToken, body: `{"status": "done"}`}, 404, ""},
			{"B reads its alert", req{method: "GET", path: "/api/v1/alerts/" + itoa(onlyB.ID), as: &w.bAdmin}, 200, "Hamilton"},
			{"A answers badly", req{method: "POST", path: "/api/v1/alerts/" + itoa(both.ID) + "/ack", token: w.aToken, body: `{"status": "sure"}`}, 400, "not one of"},
			{"A answers", req{method: "POST", path: "/api/v1/alerts/" + itoa(both.ID) + "/ack", token: w.aToken, body: `{"status": "in_progress", "note": "ward 3 tonight"}`}, 200, `"acked_by": "admin@anna.example`},
			{"A's viewer may not answer", req{method: "POST", path: "/api/v1/alerts/" + itoa(both.ID) + "/ack", token: w.aViewerToken, body: `{"status": "done"}`}, 403, ""},
			{"member may not chase", req{method: "POST", path: "/api/v1/alerts/" + itoa(both.ID) + "/chase", token: w.aToken}, 403, ""},
			{"CSIRT chases B only", req{method: "POST", path: "/api/v1/alerts/" + itoa(both.ID) + "/chase", as: cert}, 200, `"orgs": 1`},
			{"member may not see statistics", req{method: "GET", path: "/api/v1/alerts/stats", token: w.aToken}, 403, ""},
			{"CSIRT statistics", req{method: "GET", path: "/api/v1/alerts/stats", as: cert}, 200, `"acknowledged": 1`},
			{"CSIRT sees the answer", req{method: "GET", path: "/api/v1/alerts/" + itoa(both.ID), as: cert}, 200, "ward 3 tonight"},
			{"CSIRT lists by advisory", req{method: "GET", path: "/api/v1/alerts?advisory=" + itoa(amberB), as: cert}, 200, "Hamilton"},
			{"bad advisory filter", req{method: "GET", path: "/api/v1/alerts?advisory=x", as: cert}, 400, "advisory"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := w.do(tt.r)
				if r.status != tt.status || !strings.Contains(r.body, tt.want) {
					t.Errorf("%s %s: %d, want %d with %q: %.600s", tt.r.method, tt.r.path, r.status, tt.status, tt.want, r.body)
				}
				if tt.r.token == w.aToken && strings.Contains(strings.ToLower(r.body), marker) {
					t.Errorf("A sees B's data: %.400s", r.body)
				}
			})
		}
		// A's inbox: the shared and A-only alerts, never B's.
		var inbox struct{ Alerts []store.Alert }
		r = w.do(req{method: "GET", path: "/api/v1/alerts?org=" + itoa(w.b.ID), token: w.aToken})
		if err := json.Unmarshal([]byte(r.body), &inbox); err != nil {
			t.Fatal(err)
		}
		ids := map[int64]bool{}
		for _, a := range inbox.Alerts {
			ids[a.ID] = true
			if a.Recipients != nil || a.Counts != nil || a.Ack == nil {
				t.Errorf("member inbox entry shows the CSIRT's view: %+v", a)
			}
		}
		if !ids[both.ID] || !ids[w.ownA["alert"]] || ids[onlyB.ID] || ids[w.ofB["alert"]] {
			t.Errorf("A's inbox %v", ids)
		}
		// The unanswered alerts come before the answered one.
		if last := inbox.Alerts[len(inbox.Alerts)-1]; last.ID != both.ID {
			t.Errorf("answered alert %d is not last: %+v", both.ID, inbox.Alerts)
		}
	})
}

func TestAlertsPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		cert := &w.csirtAdmin
		clear := w.ownA["advisory"]
		tests := []struct {
			name   string
			r      req
			status int
			want   []string
		}{
			{"compose prefilled from the advisory", req{method: "GET", path: "/alerts/new?advisory=" + itoa(clear), as: cert}, 200,
				[]string{"TEST-CLEAR-1", "Exactly the affected members (2)", "St. Anna Hospital", `value="TLP:CLEAR" selected`}},
			{"compose from scratch", req{method: "GET", path: "/alerts/new", as: cert}, 200, []string{"All member organisations (2)", "New alert"}},
			{"member may not compose", req{method: "GET", path: "/alerts/new", as: &w.aAdmin}, 403, nil},
			{"bad deadline re-renders", req{method: "POST", path: "/alerts", as: cert, body: form(cert, "title", "Bad deadline", "tlp", "TLP:AMBER",
				"recipients", "all", "deadline", "tomorrow")}, 400, []string{"deadline", "Bad deadline"}},
			{"chosen without members re-renders", req{method: "POST", path: "/alerts", as: cert, body: form(cert, "title", "Nobody chosen", "tlp", "TLP:AMBER",
				"recipients", "chosen")}, 400, []string{"org_ids", "Nobody chosen"}},
			{"A's inbox", req{method: "GET", path: "/alerts", as: &w.aAdmin}, 200, []string{"Patch the pumps at St. Anna", "awaiting your answer"}},
			{"A's alert page has the answer form", req{method: "GET", path: "/alerts/" + itoa(w.ownA["alert"]), as: &w.aAdmin}, 200, []string{`action="/alerts/` + itoa(w.ownA["alert"]) + `/ack"`}},
			{"A's viewer reads without the form", req{method: "GET", path: "/alerts/" + itoa(w.ownA["alert"]), as: &w.aViewer}, 200, []string{"a reporter, analyst or admin answers it"}},
			{"empty answer re-renders", req{method: "POST", path: "/alerts/" + itoa(w.ownA["alert"]) + "/ack", as: &w.aAdmin}, 400, []string{"not one of"}},
			{"A answers", req{method: "POST", path: "/alerts/" + itoa(w.ownA["alert"]) + "/ack", as: &w.aAdmin, body: form(&w.aAdmin, "status", "not_applicable", "note", "No such pumps <here>")}, 303, nil},
			{"A's answer shows", req{method: "GET", path: "/alerts/" + itoa(w.ownA["alert"]), as: &w.aAdmin}, 200, []string{"not_applicable", "No such pumps &lt;here&gt;"}},
			{"B's alert is not found for A", req{method: "GET", path: "/alerts/" + itoa(w.ofB["alert"]), as: &w.aAdmin}, 404, nil},
			{"CSIRT list with statistics", req{method: "GET", path: "/alerts", as: cert}, 200, []string{"Time to acknowledge", "Ransomware at Nord", "1 of 1"}},
			{"CSIRT sees B pending with a chase button", req{method: "GET", path: "/alerts/" + itoa(w.ofB["alert"]), as: cert}, 200, []string{"Klinikum Nord", "pending", "Chase the 1"}},
			{"CSIRT chases", req{method: "POST", path: "/alerts/" + itoa(w.ofB["alert"]) + "/chase", as: cert}, 303, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := w.do(tt.r)
				if r.status != tt.status {
					t.Errorf("%s %s: %d, want %d: %.800s", tt.r.method, tt.r.path, r.status, tt.status, r.body)
				}
				for _, s := range tt.want {
					if !strings.Contains(r.body, s) {
						t.Errorf("%s %s lacks %q: %.3000s", tt.r.method, tt.r.path, s, r.body)
					}
				}
				if tt.r.as == &w.aAdmin && strings.Contains(strings.ToLower(r.body), marker) {
					t.Errorf("A sees B's data: %.400s", r.body)
				}
			})
		}
		a, err := db.Alert(ctx, access.System, w.ofB["alert"])
		if err != nil || a.Recipients[0].Chases != 1 {
			t.Errorf("chase from the page not recorded: %+v %v", a.Recipients, err)
		}
		// Publishing from the form: to exactly the affected members of the advisory.
		deadline := time.Now().UTC().Add(48 * time.Hour).Format("2006-01-02T15:04")
		r := w.do(req{method: "POST", path: "/alerts", as: cert, body: form(cert, "advisory_id", itoa(clear), "title", "Alaris from the form",
			"tlp", "TLP:GREEN", "recipients", "affected", "deadline", deadline)})
		loc := r.header.Get("Location")
		if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/alerts/") {
			t.Fatalf("publish from the form: %d %q %.500s", r.status, loc, r.body)
		}
		u, _ := url.Parse(loc)
		page := w.do(req{method: "GET", path: u.Path, as: cert})
		if !strings.Contains(page.body, "Alaris from the form") || !strings.Contains(page.body, "St. Anna Hospital") ||
			!strings.Contains(page.body, "Klinikum Nord") || !strings.Contains(page.body, "act by "+strings.Replace(deadline, "T", " ", 1)) {
			t.Errorf("published alert page: %.3000s", page.body)
		}
	})
}

// TestAlertsRedNamedPeople drives TLP:RED through the API and the compose
// form: the alert goes to A's admin by name; A's viewer (the second user of
// the same organisation) gets 404 on the page and the API and does not see
// it in the inbox; an API token, even the named admin's, is a machine
// channel and gets 404 too.
func TestAlertsRedNamedPeople(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		cert := &w.csirtAdmin
		named, other := &w.aAdmin, &w.aViewer
		nurse := access.User{OrgID: w.a.ID, Email: "nurse@anna.example", Role: access.RoleReporter, PasswordHash: "x"}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateUser(ctx, access.System, &nurse) }); err != nil {
			t.Fatal(err)
		}
		writer := w.session(nurse) // a third user of A who may answer alerts

		// The picker lists the members' and the CSIRT's users, by organisation; members may not list them.
		r := w.do(req{method: "GET", path: "/api/v1/alerts/people", as: cert})
		var groups struct{ Groups []store.PeopleGroup }
		if err := json.Unmarshal([]byte(r.body), &groups); err != nil || r.status != 200 {
			t.Fatalf("people picker: %d %v %.600s", r.status, err, r.body)
		}
		var anna []string
		for _, g := range groups.Groups {
			if g.OrgID == w.a.ID {
				for _, p := range g.People {
					anna = append(anna, p.Email)
				}
			}
		}
		if !slices.Equal(anna, []string{"admin@anna.example", "nurse@anna.example", "viewer@anna.example"}) {
			t.Errorf("A's people in the picker: %v", anna)
		}
		if r := w.do(req{method: "GET", path: "/api/v1/alerts/people", token: w.aToken}); r.status != http.StatusForbidden {
			t.Errorf("a member listed the people: %d", r.status)
		}

		// API.
		r = w.do(req{method: "POST", path: "/api/v1/alerts", as: cert, body: `{"title": "Red by API", "tlp": "TLP:RED", "people": [` + itoa(named.user.ID) + `]}`})
		api := decodeAlert(t, r)
		if r.status != http.StatusCreated || len(api.Recipients) != 1 || api.Recipients[0].OrgID != w.a.ID || len(api.People) != 1 || api.People[0].ID != named.user.ID {
			t.Fatalf("RED alert by API: %d %+v", r.status, api)
		}
		// The compose form: the recipients radio stays checked (no JavaScript) and is ignored for RED.
		r = w.do(req{method: "POST", path: "/alerts", as: cert, body: form(cert, "title", "Red by form", "tlp", "TLP:RED", "recipients", "all",
			"people", itoa(named.user.ID))})
		loc := r.header.Get("Location")
		if r.status != http.StatusSeeOther || !strings.Contains(loc, "named+people") {
			t.Fatalf("RED alert by form: %d %q %.500s", r.status, loc, r.body)
		}
		u, _ := url.Parse(loc)
		formID := int64(0)
		if _, err := fmt.Sscanf(u.Path, "/alerts/%d", &formID); err != nil {
			t.Fatal(err)
		}
		page := w.do(req{method: "GET", path: u.Path, as: cert})
		if !strings.Contains(page.body, "Named people (TLP:RED)") || !strings.Contains(page.body, "admin@anna.example") || strings.Contains(page.body, "Klinikum Nord") {
			t.Errorf("CSIRT page of the RED alert: %.3000s", page.body)
		}
		r = w.do(req{method: "POST", path: "/alerts", as: cert, body: form(cert, "title", "Red to nobody", "tlp", "TLP:RED", "recipients", "all")})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "people: a TLP:RED alert goes to named people only") || !strings.Contains(r.body, "Red to nobody") {
			t.Errorf("RED form without people: %d %.800s", r.status, r.body)
		}
		compose := w.do(req{method: "GET", path: "/alerts/new", as: cert})
		if !strings.Contains(compose.body, `data-tlp-show="red"`) || !strings.Contains(compose.body, `<legend>St. Anna Hospital</legend>`) ||
			!strings.Contains(compose.body, `name="people" value="`+itoa(named.user.ID)+`"`) {
			t.Errorf("compose form lacks the people picker: %.4000s", compose.body)
		}

		for _, id := range []int64{api.ID, formID} {
			for _, tt := range []struct {
				name   string
				r      req
				status int
			}{
				{"named admin, page", req{method: "GET", path: "/alerts/" + itoa(id), as: named}, 200},
				{"named admin, API with the session", req{method: "GET", path: "/api/v1/alerts/" + itoa(id), as: named}, 200},
				{"second user of A, page", req{method: "GET", path: "/alerts/" + itoa(id), as: other}, 404},
				{"second user of A, API", req{method: "GET", path: "/api/v1/alerts/" + itoa(id), as: other}, 404},
				{"named admin's API token", req{method: "GET", path: "/api/v1/alerts/" + itoa(id), token: w.aToken}, 404},
				{"B", req{method: "GET", path: "/alerts/" + itoa(id), as: &w.bAdmin}, 404},
				{"unnamed reporter of A, API", req{method: "GET", path: "/api/v1/alerts/" + itoa(id), as: &writer}, 404},
				{"unnamed reporter of A answers", req{method: "POST", path: "/alerts/" + itoa(id) + "/ack", as: &writer, body: form(&writer, "status", "done")}, 404},
				{"named admin answers", req{method: "POST", path: "/alerts/" + itoa(id) + "/ack", as: named, body: form(named, "status", "in_progress")}, 303},
			} {
				if r := w.do(tt.r); r.status != tt.status {
					t.Errorf("alert %d, %s: %d, want %d: %.300s", id, tt.name, r.status, tt.status, r.body)
				}
			}
		}
		for _, a := range []*actor{other, &writer} {
			if inbox := w.do(req{method: "GET", path: "/alerts", as: a}); inbox.status != 200 || strings.Contains(inbox.body, "Red by") {
				t.Errorf("%s's inbox lists a RED alert: %d %.2000s", a.user.Email, inbox.status, inbox.body)
			}
		}
		if mine := w.do(req{method: "GET", path: "/alerts", as: named}); !strings.Contains(mine.body, "Red by API") || !strings.Contains(mine.body, "Red by form") {
			t.Errorf("the named admin's inbox: %.2000s", mine.body)
		}
	})
}
