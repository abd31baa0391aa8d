package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// TestCSIRTIncidentFlow walks the CSIRT side over HTTP: the queue (CSIRT
// only), advice and links as the member sees them (B anonymous), the
// intermediate-report request, merging, and the statistics with their
// suppression in JSON, CSV and the SVG page.
func TestCSIRTIncidentFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		cert := w.token(w.csirtAdmin.user, &access.APIToken{Name: "cert", Role: access.RoleAdmin})
		a, b := w.ownA["incident"], w.ofB["incident"] // significant: shared through NIS2
		ci := "/api/v1/csirt/incidents/"

		r := w.do(req{method: http.MethodGet, path: "/api/v1/csirt/incidents", token: cert})
		q := decode[struct {
			Incidents []struct {
				Incident struct {
					ID int64 `json:"id"`
				} `json:"incident"`
				OrgName string `json:"org_name"`
			} `json:"incidents"`
		}](t, r)
		if r.status != http.StatusOK || len(q.Incidents) != 2 || q.Incidents[0].Incident.ID != b || q.Incidents[1].OrgName != "St. Anna Hospital" {
			t.Fatalf("queue: %d %s", r.status, r.body)
		}
		if r := w.do(req{method: http.MethodGet, path: "/api/v1/csirt/incidents?org=" + itoa(w.b.ID), token: w.aToken}); r.status != http.StatusForbidden || strings.Contains(r.body, marker) {
			t.Fatalf("member on the queue: %d %s", r.status, r.body)
		}

		if r := w.do(req{method: http.MethodPost, path: ci + itoa(a) + "/advice", token: cert, body: `{"text":"Block 203.0.113.7 at the perimeter"}`}); r.status != http.StatusCreated {
			t.Fatalf("advice: %d %s", r.status, r.body)
		}
		if r := w.do(req{method: http.MethodPost, path: ci + itoa(a) + "/link", token: cert, body: `{"related_id":` + itoa(b) + `,"reason":"same observables"}`}); r.status != http.StatusOK || !strings.Contains(r.body, marker) {
			t.Fatalf("link (the CSIRT sees B): %d %.300s", r.status, r.body)
		}
		due := time.Now().UTC().Add(72 * time.Hour).Truncate(time.Second)
		if r := w.do(req{method: http.MethodPost, path: ci + itoa(a) + "/request-report", token: cert, body: `{"due_at":"` + due.Format(time.RFC3339) + `"}`}); r.status != http.StatusOK {
			t.Fatalf("request report: %d %s", r.status, r.body)
		}
		if r := w.do(req{method: http.MethodPost, path: ci + itoa(a) + "/request-report", token: cert, body: `{}`}); r.status != http.StatusBadRequest {
			t.Fatalf("request without due_at: %d %s", r.status, r.body)
		}
		// The member's view: advice marked as the CSIRT's, B anonymous.
		r = w.do(req{method: http.MethodGet, path: "/api/v1/incidents/" + itoa(a), token: w.aToken})
		mine := decode[struct {
			Advice []struct {
				Text string `json:"text"`
			} `json:"csirt_advice"`
			Related []struct {
				ID        int64 `json:"id"`
				Anonymous bool  `json:"anonymous"`
			} `json:"related"`
			Obligations []apiObligation `json:"obligations"`
		}](t, r)
		if len(mine.Advice) != 1 || len(mine.Related) != 1 || !mine.Related[0].Anonymous || mine.Related[0].ID != 0 || strings.Contains(strings.ToLower(r.body), marker) {
			t.Fatalf("member view: %.600s", r.body)
		}
		if o := find(mine.Obligations, "nis2.intermediate_report"); o.DueAt == nil || !o.DueAt.Equal(due) || o.Status != "pending" {
			t.Fatalf("intermediate report: %+v", o)
		}
		page := w.do(req{method: http.MethodGet, path: "/incidents/" + itoa(a), as: &w.aAdmin})
		if page.status != http.StatusOK || !strings.Contains(page.body, "Related incident at another organisation") || !strings.Contains(page.body, "CSIRT advice") || strings.Contains(strings.ToLower(page.body), marker) {
			t.Fatalf("member page: %d", page.status)
		}

		// Two more members, so that a statistics cell reaches three organisations.
		for _, name := range []string{"Third Hospital", "Fourth Hospital"} {
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				o := access.Org{Name: name, Kind: access.KindMember}
				if err := tx.CreateOrg(ctx, access.System, &o); err != nil {
					return err
				}
				p := access.System
				p.OrgID, p.OrgKind = o.ID, o.Kind
				_, err := tx.CreateIncident(ctx, p, &incident.Incident{Title: "Outage", AwareAt: time.Now().Add(-time.Hour)}, incident.Assessment{FinancialLoss: true})
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		// Merge: B is a duplicate of A; the queue and the statistics drop it.
		if r := w.do(req{method: http.MethodPost, path: ci + itoa(b) + "/merge", token: cert, body: `{"duplicate_of":` + itoa(a) + `}`}); r.status != http.StatusOK {
			t.Fatalf("merge: %d %s", r.status, r.body)
		}
		r = w.do(req{method: http.MethodGet, path: "/api/v1/csirt/statistics", token: cert})
		st := decode[struct {
			Total  store.StatCell   `json:"total"`
			Months []store.StatCell `json:"by_month"`
		}](t, r)
		if st.Total.Count == nil || *st.Total.Count != 3 || st.Total.Suppressed {
			t.Fatalf("total over A, Third and Fourth: %s", r.body)
		}
		r = w.do(req{method: http.MethodGet, path: "/api/v1/csirt/statistics.csv?from=2000-01-01", token: cert})
		if r.status != http.StatusOK || !strings.HasPrefix(r.body, "dimension,key,count\n") || !strings.Contains(r.body, "total,total,3\n") {
			t.Fatalf("csv: %d %s", r.status, r.body)
		}
		// From tomorrow on nothing is counted; a month before nothing either.
		r = w.do(req{method: http.MethodGet, path: "/api/v1/csirt/statistics.csv?from=" + time.Now().UTC().AddDate(0, 0, 2).Format("2006-01-02"), token: cert})
		if !strings.Contains(r.body, "total,total,<3\n") {
			t.Fatalf("empty period: %s", r.body)
		}
		if r := w.do(req{method: http.MethodGet, path: "/api/v1/csirt/statistics?from=yesterday", token: cert}); r.status != http.StatusBadRequest || !strings.Contains(r.body, "from") {
			t.Fatalf("bad date: %d %s", r.status, r.body)
		}
		if r := w.do(req{method: http.MethodGet, path: "/api/v1/csirt/statistics", token: w.aToken}); r.status != http.StatusForbidden {
			t.Fatalf("member statistics: %d", r.status)
		}

		// Pages.
		sp := w.do(req{method: http.MethodGet, path: "/csirt/statistics", as: &w.csirtAdmin})
		if sp.status != http.StatusOK || !strings.Contains(sp.body, "<svg") || !strings.Contains(sp.body, "<rect") || strings.Contains(sp.body, "<script>") || strings.Contains(sp.body, "style=") {
			t.Fatalf("statistics page: %d", sp.status)
		}
		qp := w.do(req{method: http.MethodGet, path: "/csirt/incidents", as: &w.csirtAdmin})
		if qp.status != http.StatusOK || !strings.Contains(qp.body, "Anna incident") || strings.Contains(qp.body, "Nord incident") {
			t.Fatalf("queue page (B merged away): %d", qp.status)
		}
		form := url.Values{"csrf_token": {w.csirtAdmin.csrf}, "text": {"Patch the PACS"}}
		if r := w.do(req{method: http.MethodPost, path: "/csirt/incidents/" + itoa(a) + "/advice", as: &w.csirtAdmin, body: form.Encode()}); r.status != http.StatusSeeOther {
			t.Fatalf("advice form: %d %s", r.status, r.body)
		}
		ip := w.do(req{method: http.MethodGet, path: "/csirt/incidents/" + itoa(a), as: &w.csirtAdmin})
		if ip.status != http.StatusOK || !strings.Contains(ip.body, "Patch the PACS") || !strings.Contains(ip.body, "Klinikum Nord") {
			t.Fatalf("CSIRT incident page: %d", ip.status)
		}

		// A member shares a minor incident; until then the CSIRT gets 404.
		var minor int64
		p := access.System
		p.OrgID, p.OrgKind = w.a.ID, access.KindMember
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			r, err := tx.CreateIncident(ctx, p, &incident.Incident{Title: "Lost badge", AwareAt: time.Now().Add(-time.Hour)}, incident.Assessment{})
			minor = r.ID
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if r := w.do(req{method: http.MethodGet, path: ci + itoa(minor), token: cert}); r.status != http.StatusNotFound {
			t.Fatalf("unshared incident: %d", r.status)
		}
		if r := w.do(req{method: http.MethodPost, path: "/incidents/" + itoa(minor) + "/share", as: &w.aAdmin}); r.status != http.StatusSeeOther {
			t.Fatalf("share: %d %s", r.status, r.body)
		}
		if r := w.do(req{method: http.MethodGet, path: ci + itoa(minor), token: cert}); r.status != http.StatusOK {
			t.Fatalf("shared incident: %d", r.status)
		}
	})
}

// TestCSIRTRedIncidentNamedPeople drives a member's TLP:RED incident through
// the API and the incident page: it names the CSIRT users who may read it;
// the second CSIRT user gets 404 (API and page) and does not find it in the
// queue; a RED share naming nobody is refused with the field named; a
// downgrade from the edit form opens it to the whole CSIRT and is audited.
func TestCSIRTRedIncidentNamedPeople(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		c1 := &w.csirtAdmin
		analyst := access.User{OrgID: w.csirt.ID, Email: "analyst@cert.example", Role: access.RoleAnalyst, PasswordHash: "x"}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateUser(ctx, access.System, &analyst) }); err != nil {
			t.Fatal(err)
		}
		c2 := w.session(analyst)
		id1, id2 := itoa(c1.user.ID), itoa(analyst.ID)

		// Any member user may list whom to name: the CSIRT's users only.
		r := w.do(req{method: http.MethodGet, path: "/api/v1/incidents/csirt-people", token: w.aViewerToken})
		people := decode[struct{ People []store.Person }](t, r)
		var emails []string
		for _, p := range people.People {
			emails = append(emails, p.Email)
		}
		if r.status != http.StatusOK || strings.Join(emails, " ") != "admin@cert.example analyst@cert.example" {
			t.Fatalf("CSIRT people: %d %v", r.status, emails)
		}

		// API: a NIS2-significant RED incident is shared at once, so it must name someone.
		aware := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
		body := `{"title":"Ransomware, RED","aware_at":"` + aware + `","tlp":"TLP:RED","assessment":{"severe_operational_disruption":true}`
		if r := w.do(req{method: http.MethodPost, path: "/api/v1/incidents", token: w.aToken, body: body + `}`}); r.status != http.StatusBadRequest ||
			!strings.Contains(r.body, "red_people: a TLP:RED incident shared with the CSIRT must name at least one active CSIRT user") {
			t.Fatalf("RED without people: %d %s", r.status, r.body)
		}
		r = w.do(req{method: http.MethodPost, path: "/api/v1/incidents", token: w.aToken, body: body + `,"red_people":[` + id1 + `]}`})
		red := decode[struct {
			ID        int64          `json:"id"`
			Shared    bool           `json:"shared_with_csirt"`
			RedPeople []store.Person `json:"red_people"`
		}](t, r)
		if r.status != http.StatusCreated || !red.Shared || len(red.RedPeople) != 1 || red.RedPeople[0].ID != c1.user.ID {
			t.Fatalf("RED naming c1: %d %s", r.status, r.body)
		}
		ci, pg := "/api/v1/csirt/incidents/"+itoa(red.ID), "/csirt/incidents/"+itoa(red.ID)
		for _, tt := range []struct {
			name   string
			r      req
			status int
			want   string
		}{
			{"c1, API", req{method: http.MethodGet, path: ci, as: c1}, 200, "Ransomware, RED"},
			{"c1, page", req{method: http.MethodGet, path: pg, as: c1}, 200, "TLP:RED — the member named who at the CSIRT may read this incident: admin@cert.example"},
			{"c1's queue", req{method: http.MethodGet, path: "/csirt/incidents", as: c1}, 200, "Ransomware, RED"},
			{"c2, API", req{method: http.MethodGet, path: ci, as: &c2}, 404, ""},
			{"c2, page", req{method: http.MethodGet, path: pg, as: &c2}, 404, ""},
			{"c2 advises", req{method: http.MethodPost, path: ci + "/advice", as: &c2, body: `{"text":"x"}`}, 404, ""},
			{"A's viewer reads A's incident", req{method: http.MethodGet, path: "/incidents/" + itoa(red.ID), as: &w.aViewer}, 200, "Only these CSIRT users may read it once shared:\n    admin@cert.example"},
		} {
			if r := w.do(tt.r); r.status != tt.status || !strings.Contains(r.body, tt.want) {
				t.Errorf("%s: %d, want %d with %q: %.400s", tt.name, r.status, tt.status, tt.want, r.body)
			}
		}
		if q := w.do(req{method: http.MethodGet, path: "/csirt/incidents", as: &c2}); q.status != 200 || strings.Contains(q.body, "Ransomware, RED") {
			t.Errorf("c2's queue lists the RED incident: %d", q.status)
		}

		// The page: sharing an unshared RED incident needs a name.
		r = w.do(req{method: http.MethodPost, path: "/api/v1/incidents", token: w.aToken, body: `{"title":"Insider, RED","aware_at":"` + aware + `","tlp":"TLP:RED"}`})
		quiet := decode[struct {
			ID int64 `json:"id"`
		}](t, r).ID
		page := w.do(req{method: http.MethodGet, path: "/incidents/" + itoa(quiet), as: &w.aAdmin})
		if !strings.Contains(page.body, `name="red_people" value="`+id2+`"`) || !strings.Contains(page.body, "nobody named yet") {
			t.Fatalf("share form without the CSIRT people picker: %.4000s", page.body)
		}
		share := "/incidents/" + itoa(quiet) + "/share"
		if r := w.do(req{method: http.MethodPost, path: share, as: &w.aAdmin, body: form(&w.aAdmin, "red_people_form", "1")}); r.status != http.StatusBadRequest ||
			!strings.Contains(r.body, "red_people: a TLP:RED incident shared with the CSIRT must name") {
			t.Fatalf("RED share naming nobody: %d %.500s", r.status, r.body)
		}
		if r := w.do(req{method: http.MethodPost, path: share, as: &w.aAdmin, body: form(&w.aAdmin, "red_people_form", "1", "red_people", id2)}); r.status != http.StatusSeeOther {
			t.Fatalf("RED share naming c2: %d %.500s", r.status, r.body)
		}
		qi := "/api/v1/csirt/incidents/" + itoa(quiet)
		if r := w.do(req{method: http.MethodGet, path: qi, as: &c2}); r.status != 200 {
			t.Errorf("named c2: %d", r.status)
		}
		if r := w.do(req{method: http.MethodGet, path: qi, as: c1}); r.status != 404 {
			t.Errorf("unnamed c1: %d", r.status)
		}
		// The edit form downgrades it to AMBER: the whole CSIRT reads it, and the log says so.
		if r := w.do(req{method: http.MethodPost, path: "/incidents/" + itoa(quiet) + "/edit", as: &w.aAdmin,
			body: form(&w.aAdmin, "tlp", "TLP:AMBER", "red_people_form", "1", "red_people", id2)}); r.status != http.StatusSeeOther {
			t.Fatalf("downgrade: %d %.500s", r.status, r.body)
		}
		if r := w.do(req{method: http.MethodGet, path: qi, as: c1}); r.status != 200 {
			t.Errorf("c1 after the downgrade: %d", r.status)
		}
		entries, err := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: w.a.ID, Limit: 5})
		if err != nil || entries[0].Action != "incident.tlp_downgrade" || !strings.Contains(entries[0].Summary, `"TLP:RED"`) || !strings.Contains(entries[0].Summary, `"TLP:AMBER"`) {
			t.Errorf("downgrade audit: %+v %v", entries, err)
		}
		// The API relabels it RED for c1 alone, in one request.
		if r := w.do(req{method: http.MethodPatch, path: "/api/v1/incidents/" + itoa(quiet), token: w.aToken, body: `{"tlp":"TLP:RED","red_people":[` + id1 + `]}`}); r.status != 200 {
			t.Fatalf("relabel RED for c1: %d %s", r.status, r.body)
		}
		if r := w.do(req{method: http.MethodGet, path: qi, as: &c2}); r.status != 404 {
			t.Errorf("c2 after c1 alone was named: %d", r.status)
		}
		if r := w.do(req{method: http.MethodGet, path: qi, as: c1}); r.status != 200 {
			t.Errorf("c1 after being named: %d", r.status)
		}
	})
}
