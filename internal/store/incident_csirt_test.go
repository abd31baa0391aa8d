package store_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

func minor(title string, aware time.Time) *incident.Incident {
	return &incident.Incident{Title: title, AwareAt: aware, TimeZone: "Europe/Berlin", TLP: incident.TLPAmber,
		Classification: incident.Classification{Class: "fraud", Type: "phishing"}}
}

func csirtUser(t *testing.T, db *store.DB, s seeded, role access.Role) access.Principal {
	t.Helper()
	var p access.Principal
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		u := access.User{OrgID: s.csirt.ID, Email: string(role) + "2@cert.example", Name: "x", Role: role, PasswordHash: "x"}
		if err := tx.CreateUser(ctx, access.System, &u); err != nil {
			return err
		}
		p = access.Principal{UserID: u.ID, UserName: u.Email, OrgID: s.csirt.ID, OrgKind: access.KindCSIRT, Role: role}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return p
}

func inTx(t *testing.T, db *store.DB, fn func(tx *store.Tx) error) {
	t.Helper()
	if err := db.InTx(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

// TestCSIRTIncidentOrg is the CSIRT's one read rule into member incidents:
// shared incidents only, the CSIRT's users only, role checked.
func TestCSIRTIncidentOrg(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		db.Now = (&clock{t: t0}).Now
		viewer := csirtUser(t, db, s, access.RoleViewer)
		private := mustCreate(t, db, s.aAdmin, minor("Phishing wave", t0.Add(-time.Hour)), incident.Assessment{})
		reported := mustCreate(t, db, s.aAdmin, ransomware(t0.Add(-time.Hour)), significant) // NIS2 applies: shared
		if private.SharedWithCSIRT || !reported.SharedWithCSIRT {
			t.Fatalf("shared flags: private %v, NIS2 %v", private.SharedWithCSIRT, reported.SharedWithCSIRT)
		}
		check := func(name string, p access.Principal, act access.Action, id int64, wantOrg int64, wantCode string) {
			t.Helper()
			org, err := store.CSIRTIncidentOrg(ctx, db.SQL(), p, act, id)
			if aceso.ErrorCode(err) != wantCode || (err == nil && org != wantOrg) {
				t.Errorf("%s: org %d, err %v; want org %d, code %q", name, org, err, wantOrg, wantCode)
			}
		}
		tests := []struct {
			name string
			p    access.Principal
			act  access.Action
			id   int64
			org  int64
			code string
		}{
			{"CSIRT reads a NIS2-reported incident", s.csirtAdmin, access.ActRead, reported.ID, s.a.ID, ""},
			{"CSIRT cannot see an unshared one", s.csirtAdmin, access.ActRead, private.ID, 0, aceso.ENOTFOUND},
			{"unknown id", s.csirtAdmin, access.ActRead, 999999, 0, aceso.ENOTFOUND},
			{"CSIRT viewer may read", viewer, access.ActRead, reported.ID, s.a.ID, ""},
			{"CSIRT viewer may not analyse", viewer, access.ActAnalyse, reported.ID, 0, aceso.EFORBIDDEN},
			{"another member is refused", s.bAdmin, access.ActRead, reported.ID, 0, aceso.EFORBIDDEN},
			{"the owner is refused on the CSIRT path too", s.aAdmin, access.ActRead, reported.ID, 0, aceso.EFORBIDDEN},
		}
		for _, tt := range tests {
			check(tt.name, tt.p, tt.act, tt.id, tt.org, tt.code)
		}
		// Sharing opens it; only the owner may share.
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.ShareIncident(ctx, s.bAdmin, private.ID); return err }); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Fatalf("B shared A's incident: %v", err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.ShareIncident(ctx, s.aViewer, private.ID); return err }); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Fatalf("a viewer shared: %v", err)
		}
		inTx(t, db, func(tx *store.Tx) error { _, err := tx.ShareIncident(ctx, s.aAdmin, private.ID); return err })
		check("shared by the member", s.csirtAdmin, access.ActRead, private.ID, s.a.ID, "")
		if _, err := db.CSIRTIncidents(ctx, s.aAdmin, store.CSIRTFilter{}); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Fatalf("a member listed the sector queue: %v", err)
		}
	})
}

func TestCSIRTQueueAdviceLinksDuplicates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		c := &clock{t: t0}
		db.Now = c.Now
		analyst := csirtUser(t, db, s, access.RoleAnalyst)
		a := mustCreate(t, db, s.aAdmin, ransomware(t0.Add(-time.Hour)), significant)
		b := mustCreate(t, db, s.bAdmin, minor("markerb phishing at Klinikum Nord", t0.Add(-2*time.Hour)), incident.Assessment{})
		for _, x := range []struct {
			p  access.Principal
			id int64
		}{{s.aAdmin, a.ID}, {s.bAdmin, b.ID}} {
			inTx(t, db, func(tx *store.Tx) error {
				return tx.AddObservable(ctx, x.p, x.id, &incident.Observable{Kind: "ip", Value: "203.0.113.7"})
			})
		}
		// B not shared yet: the queue has A only, and no candidate.
		page, err := db.CSIRTIncidents(ctx, analyst, store.CSIRTFilter{})
		if err != nil || len(page.Incidents) != 1 || page.Incidents[0].ID != a.ID || page.Incidents[0].OrgName != "St. Anna Hospital" {
			t.Fatalf("queue: %+v %v", page, err)
		}
		if cands, err := db.RelatedCandidates(ctx, analyst, a.ID); err != nil || len(cands) != 0 {
			t.Fatalf("candidates before sharing: %+v %v", cands, err)
		}
		inTx(t, db, func(tx *store.Tx) error { _, err := tx.ShareIncident(ctx, s.bAdmin, b.ID); return err })
		tests := []struct {
			name string
			f    store.CSIRTFilter
			want []int64
		}{
			{"all", store.CSIRTFilter{}, []int64{b.ID, a.ID}},
			{"one member", store.CSIRTFilter{OrgID: s.b.ID}, []int64{b.ID}},
			{"rsit class", store.CSIRTFilter{RSITClass: "malicious-code"}, []int64{a.ID}},
			{"at risk (NIS2 early warning within 24 h)", store.CSIRTFilter{AtRisk: true}, []int64{a.ID}},
		}
		for _, tt := range tests {
			page, err := db.CSIRTIncidents(ctx, analyst, tt.f)
			var got []int64
			for _, r := range page.Incidents {
				got = append(got, r.ID)
			}
			if err != nil || len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
				t.Errorf("%s: %v %v, want %v", tt.name, got, err, tt.want)
			}
		}
		cands, err := db.RelatedCandidates(ctx, analyst, a.ID)
		if err != nil || len(cands) != 1 || cands[0].ID != b.ID || cands[0].Reasons[0] != "observable ip:203.0.113.7" {
			t.Fatalf("candidates: %+v %v", cands, err)
		}

		// Intermediate report on request: the obligation appears with that due date.
		due := t0.Add(5 * 24 * time.Hour)
		inTx(t, db, func(tx *store.Tx) error { _, err := tx.RequestIntermediateReport(ctx, analyst, a.ID, due); return err })
		mine, err := db.Incident(ctx, s.aAdmin, a.ID, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if o := obligation(t, mine, "nis2", "intermediate_report"); o.Status != incident.ObligationPending || o.DueAt == nil || !o.DueAt.Equal(due) {
			t.Fatalf("intermediate report: %+v", o)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.RequestIntermediateReport(ctx, analyst, b.ID, due); return err }); aceso.ErrorCode(err) != aceso.EINVALID {
			t.Fatalf("request on a non-significant incident: %v", err)
		}
		// Its reminders follow a changed due date.
		if _, err := db.EnqueueIncidentReminders(ctx, store.ReminderConfig{}); err != nil {
			t.Fatal(err)
		}
		later := due.Add(48 * time.Hour)
		inTx(t, db, func(tx *store.Tx) error {
			_, err := tx.RequestIntermediateReport(ctx, analyst, a.ID, later)
			return err
		})
		rep, err := db.EnqueueIncidentReminders(ctx, store.ReminderConfig{})
		if err != nil || rep.Enqueued != 0 || rep.Rescheduled != 3 { // 12h, 2h, overdue × the one admin
			t.Fatalf("reschedule: %+v %v", rep, err)
		}
		rows := reminderRows(t, db, "incident-reminder:"+itoa(a.ID)+":nis2.intermediate_report:12h:")
		for k, r := range rows {
			if !r.notBefore.Equal(later.Add(-12 * time.Hour)) {
				t.Errorf("%s at %v after the new request", k, r.notBefore)
			}
		}

		// Advice reaches the member, marked as the CSIRT's.
		inTx(t, db, func(tx *store.Tx) error {
			_, err := tx.AddAdvice(ctx, analyst, a.ID, "Isolate the PACS VLAN; IoCs attached.")
			return err
		})
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.AddAdvice(ctx, s.bAdmin, a.ID, "x"); return err }); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Fatalf("a member gave CSIRT advice: %v", err)
		}

		// Link: A's admin sees an anonymous related incident (B is TLP:AMBER).
		inTx(t, db, func(tx *store.Tx) error { return tx.LinkIncidents(ctx, analyst, a.ID, b.ID, "same observables") })
		inTx(t, db, func(tx *store.Tx) error { return tx.LinkIncidents(ctx, analyst, b.ID, a.ID, "again") }) // no-op
		mine, err = db.Incident(ctx, s.aAdmin, a.ID, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(mine)
		if len(mine.CSIRTAdvice) != 1 || mine.CSIRTAdvice[0].Author != analyst.UserName || len(mine.Related) != 1 || !mine.Related[0].Anonymous ||
			strings.Contains(strings.ToLower(string(js)), "markerb") || strings.Contains(string(js), "Klinikum") || mine.Related[0].Label() != "Related incident at another organisation" {
			t.Fatalf("member view: advice %+v related %+v", mine.CSIRTAdvice, mine.Related)
		}
		full, err := db.CSIRTIncident(ctx, analyst, a.ID)
		if err != nil || len(full.Related) != 1 || full.Related[0].ID != b.ID || full.Related[0].OrgName != "Klinikum Nord" {
			t.Fatalf("CSIRT view: %+v %v", full.Related, err)
		}
		// B relabels its incident TLP:GREEN: now A may see whose it is.
		inTx(t, db, func(tx *store.Tx) error {
			_, err := tx.UpdateIncident(ctx, s.bAdmin, b.ID, func(in *incident.Incident, _ *incident.Assessment) error { in.TLP = incident.TLPGreen; return nil })
			return err
		})
		mine, _ = db.Incident(ctx, s.aAdmin, a.ID, time.Time{})
		if len(mine.Related) != 1 || mine.Related[0].Anonymous || mine.Related[0].OrgName != "Klinikum Nord" || mine.Related[0].ID != b.ID {
			t.Fatalf("TLP:GREEN related: %+v", mine.Related)
		}

		// Duplicates: B duplicates A; the queue hides B; no chains.
		inTx(t, db, func(tx *store.Tx) error { return tx.MarkDuplicate(ctx, analyst, b.ID, a.ID) })
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.MarkDuplicate(ctx, analyst, a.ID, b.ID) }); aceso.ErrorCode(err) != aceso.EINVALID {
			t.Fatalf("cycle: %v", err)
		}
		page, _ = db.CSIRTIncidents(ctx, analyst, store.CSIRTFilter{})
		if len(page.Incidents) != 1 || page.Incidents[0].ID != a.ID {
			t.Fatalf("queue after merge: %+v", page.Incidents)
		}
		page, _ = db.CSIRTIncidents(ctx, analyst, store.CSIRTFilter{Duplicates: true})
		if len(page.Incidents) != 2 || page.Incidents[0].DuplicateOf == nil || *page.Incidents[0].DuplicateOf != a.ID {
			t.Fatalf("queue with duplicates: %+v", page.Incidents)
		}
	})
}

// TestSectorStatisticsSuppression: a cell is shown only when at least
// three distinct organisations contribute, however many incidents it has.
func TestSectorStatisticsSuppression(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		db.Now = (&clock{t: t0}).Now
		members := []access.Principal{s.aAdmin, s.bAdmin}
		inTx(t, db, func(tx *store.Tx) error {
			for _, name := range []string{"Third Hospital", "Fourth Hospital"} {
				o := access.Org{Name: name, Kind: access.KindMember}
				if err := tx.CreateOrg(ctx, access.System, &o); err != nil {
					return err
				}
				u := access.User{OrgID: o.ID, Email: "admin@" + strings.Fields(name)[0] + ".example", Name: "x", Role: access.RoleAdmin, PasswordHash: "x"}
				if err := tx.CreateUser(ctx, access.System, &u); err != nil {
					return err
				}
				members = append(members, access.Principal{UserID: u.ID, UserName: u.Email, OrgID: o.ID, OrgKind: access.KindMember, Role: access.RoleAdmin})
			}
			return nil
		})
		march, april := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), time.Date(2026, 2, 10, 8, 0, 0, 0, time.UTC)
		share := func(p access.Principal, in *incident.Incident) {
			r := mustCreate(t, db, p, in, incident.Assessment{})
			inTx(t, db, func(tx *store.Tx) error { _, err := tx.ShareIncident(ctx, p, r.ID); return err })
		}
		// Phishing in March at three organisations (5 incidents): shown.
		for i, p := range []access.Principal{members[0], members[0], members[1], members[2], members[2]} {
			share(p, minor("Phishing "+itoa(i), march))
		}
		// Ransomware in February at two organisations (4 incidents): suppressed.
		for _, p := range []access.Principal{members[1], members[1], members[3], members[3]} {
			in := ransomware(april)
			in.PersonalData = nil
			share(p, in)
		}
		// Not shared: never counted.
		mustCreate(t, db, members[0], minor("Private", march), incident.Assessment{})

		st, err := db.SectorStatistics(ctx, s.csirtAdmin, store.StatsFilter{})
		if err != nil {
			t.Fatal(err)
		}
		find := func(cells []store.StatCell, key string) store.StatCell {
			for _, c := range cells {
				if c.Key == key {
					return c
				}
			}
			t.Fatalf("no cell %q in %+v", key, cells)
			return store.StatCell{}
		}
		tests := []struct {
			name string
			cell store.StatCell
			want string
		}{
			{"total: 9 incidents, 4 organisations", st.Total, "9"},
			// 3 organisations, but hidden as well: otherwise 9 − 5 would
			// reveal the hidden malicious-code cell (complementary suppression).
			{"fraud: 5 incidents, 3 organisations", find(st.ByRSITClass, "fraud"), "<3"},
			{"malicious-code: 4 incidents, 2 organisations", find(st.ByRSITClass, "malicious-code"), "<3"},
			{"March (complement of February)", find(st.ByMonth, "2026-03"), "<3"},
			{"February", find(st.ByMonth, "2026-02"), "<3"},
			{"postponed procedures (the ransomware)", find(st.ByCareImpact, "postponed_procedures"), "<3"},
			{"no impact (complement of the ransomware)", find(st.ByCareImpact, "none"), "<3"},
		}
		for _, tt := range tests {
			if got := tt.cell.Display(); got != tt.want {
				t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
			}
			if tt.cell.Suppressed != (tt.cell.Count == nil) {
				t.Errorf("%s: a suppressed cell must have no count: %+v", tt.name, tt.cell)
			}
		}
		for name, dim := range map[string][]store.StatCell{"class": st.ByRSITClass, "month": st.ByMonth, "impact": st.ByCareImpact} {
			hidden := 0
			for _, c := range dim {
				if c.Suppressed {
					hidden++
				}
			}
			if hidden == 1 && !st.Total.Suppressed {
				t.Errorf("%s: exactly one hidden cell beside a published total can be computed by subtraction", name)
			}
		}
		js, _ := json.Marshal(find(st.ByRSITClass, "malicious-code"))
		if string(js) != `{"key":"malicious-code","count":null,"suppressed":true}` {
			t.Errorf("suppressed cell JSON: %s", js)
		}
		if _, err := db.SectorStatistics(ctx, s.aAdmin, store.StatsFilter{}); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Errorf("a member read the sector statistics: %v", err)
		}
	})
}

// TestCSIRTRedIncident: a member's TLP:RED incident shared with the CSIRT
// reaches only the CSIRT users it names. c1 (named) reads it everywhere;
// c2 (CSIRT, unnamed) gets "not found" and misses it in the queue, the
// candidates, links and merges; a RED share naming nobody is refused; the
// member keeps seeing its own incident; only the member relabels it, and a
// downgrade is audited as such.
func TestCSIRTRedIncident(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		db.Now = (&clock{t: t0}).Now
		c1, c2 := s.csirtAdmin, csirtUser(t, db, s, access.RoleAnalyst)
		var gone access.User // a CSIRT user who left
		inTx(t, db, func(tx *store.Tx) error {
			gone = access.User{OrgID: s.csirt.ID, Email: "left@cert.example", Role: access.RoleAnalyst, PasswordHash: "x"}
			if err := tx.CreateUser(ctx, access.System, &gone); err != nil {
				return err
			}
			return tx.SetUserDisabled(ctx, access.System, gone.ID, true)
		})
		redIn := func(title string) *incident.Incident {
			in := ransomware(t0.Add(-time.Hour))
			in.Title, in.TLP = title, incident.TLPRed
			return in
		}
		create := func(p access.Principal, in *incident.Incident, a incident.Assessment, people ...int64) (store.Incident, error) {
			var r store.Incident
			err := db.InTx(ctx, func(tx *store.Tx) error {
				var err error
				r, err = tx.CreateIncident(ctx, p, in, a, people...)
				return err
			})
			return r, err
		}
		// A NIS2-significant incident is shared at once: at RED it must name someone.
		for _, tt := range []struct {
			name   string
			people []int64
			want   string
		}{
			{"nobody named", nil, "red_people: a TLP:RED incident shared with the CSIRT must name at least one active CSIRT user who may read it"},
			{"a member's user", []int64{s.bAdmin.UserID}, "red_people: user " + itoa(s.bAdmin.UserID) + " is not a user of the CSIRT"},
			{"nobody known", []int64{999999}, "red_people: user 999999 is not a user of the CSIRT"},
			{"a disabled CSIRT user", []int64{gone.ID}, "red_people: user " + itoa(gone.ID) + " (left@cert.example) is disabled"},
		} {
			if _, err := create(s.aAdmin, redIn("Refused"), significant, tt.people...); aceso.ErrorCode(err) != aceso.EINVALID || aceso.ErrorMessage(err) != tt.want {
				t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
			}
		}
		old := mustCreate(t, db, s.bAdmin, minor("Older phishing", t0.Add(-3*time.Hour)), incident.Assessment{})
		red, err := create(s.aAdmin, redIn("Ransomware, named CSIRT people only"), significant, c1.UserID)
		if err != nil || !red.SharedWithCSIRT || len(red.RedPeople) != 1 || red.RedPeople[0].ID != c1.UserID {
			t.Fatalf("RED incident naming c1: %+v %v", red.RedPeople, err)
		}
		amber := mustCreate(t, db, s.bAdmin, minor("Phishing with the same IP", t0.Add(-2*time.Hour)), incident.Assessment{})
		for _, x := range []struct {
			p  access.Principal
			id int64
		}{{s.bAdmin, old.ID}, {s.bAdmin, amber.ID}} {
			inTx(t, db, func(tx *store.Tx) error { _, err := tx.ShareIncident(ctx, x.p, x.id); return err })
		}
		for _, x := range []struct {
			p  access.Principal
			id int64
		}{{s.aAdmin, red.ID}, {s.bAdmin, amber.ID}} {
			inTx(t, db, func(tx *store.Tx) error {
				return tx.AddObservable(ctx, x.p, x.id, &incident.Observable{Kind: "ip", Value: "198.51.100.9"})
			})
		}

		// The single read.
		token := c1
		token.TokenID = 7 // c1 through an API token: a machine channel
		for _, tt := range []struct {
			name string
			p    access.Principal
			code string
		}{{"named c1", c1, ""}, {"unnamed c2", c2, aceso.ENOTFOUND}, {"c1's API token", token, aceso.ENOTFOUND}} {
			_, err := db.CSIRTIncident(ctx, tt.p, red.ID)
			_, oerr := store.CSIRTIncidentOrg(ctx, db.SQL(), tt.p, access.ActRead, red.ID)
			if aceso.ErrorCode(err) != tt.code || aceso.ErrorCode(oerr) != tt.code {
				t.Errorf("%s reads the RED incident: %v / %v, want %q", tt.name, err, oerr, tt.code)
			}
		}
		// The queue; c2's pages skip the RED incident without ending early.
		queue := func(p access.Principal, f store.CSIRTFilter) ([]int64, int64) {
			t.Helper()
			page, err := db.CSIRTIncidents(ctx, p, f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, r := range page.Incidents {
				ids = append(ids, r.ID)
			}
			return ids, page.Next
		}
		if ids, _ := queue(c1, store.CSIRTFilter{}); !slices.Equal(ids, []int64{amber.ID, red.ID, old.ID}) {
			t.Errorf("c1's queue %v", ids)
		}
		if ids, _ := queue(c2, store.CSIRTFilter{}); !slices.Equal(ids, []int64{amber.ID, old.ID}) {
			t.Errorf("c2's queue %v", ids)
		}
		ids, next := queue(c2, store.CSIRTFilter{Limit: 1})
		if !slices.Equal(ids, []int64{amber.ID}) || next != amber.ID {
			t.Errorf("c2's first page %v next %d", ids, next)
		}
		if ids, next := queue(c2, store.CSIRTFilter{Limit: 1, Before: next}); !slices.Equal(ids, []int64{old.ID}) || next != 0 {
			t.Errorf("c2's second page %v next %d, want the older incident past the RED one", ids, next)
		}
		// Candidates, links, merges, advice.
		cands := func(p access.Principal) []int64 {
			t.Helper()
			list, err := db.RelatedCandidates(ctx, p, amber.ID)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, c := range list {
				ids = append(ids, c.ID)
			}
			return ids
		}
		if got := cands(c1); !slices.Equal(got, []int64{red.ID}) {
			t.Errorf("c1's candidates %v", got)
		}
		if got := cands(c2); len(got) != 0 {
			t.Errorf("c2's candidates %v, want none", got)
		}
		for name, fn := range map[string]func(tx *store.Tx) error{
			"link to":    func(tx *store.Tx) error { return tx.LinkIncidents(ctx, c2, amber.ID, red.ID, "same IP") },
			"link from":  func(tx *store.Tx) error { return tx.LinkIncidents(ctx, c2, red.ID, amber.ID, "same IP") },
			"merge into": func(tx *store.Tx) error { return tx.MarkDuplicate(ctx, c2, amber.ID, red.ID) },
			"merge":      func(tx *store.Tx) error { return tx.MarkDuplicate(ctx, c2, red.ID, amber.ID) },
			"advise":     func(tx *store.Tx) error { _, err := tx.AddAdvice(ctx, c2, red.ID, "x"); return err },
			"request report": func(tx *store.Tx) error {
				_, err := tx.RequestIntermediateReport(ctx, c2, red.ID, t0.Add(72*time.Hour))
				return err
			},
		} {
			if err := db.InTx(ctx, fn); aceso.ErrorCode(err) != aceso.ENOTFOUND {
				t.Errorf("c2 may %s the RED incident: %v", name, err)
			}
		}
		inTx(t, db, func(tx *store.Tx) error { return tx.LinkIncidents(ctx, c1, amber.ID, red.ID, "same IP") })
		view, err := db.CSIRTIncident(ctx, c2, amber.ID)
		if js, _ := json.Marshal(view); err != nil || len(view.Related) != 1 || !view.Related[0].Anonymous || view.Related[0].ID != 0 ||
			strings.Contains(string(js), "named CSIRT people only") {
			t.Errorf("c2's view of the link to the RED incident: %+v %v", view.Related, err)
		}
		if view, err := db.CSIRTIncident(ctx, c1, amber.ID); err != nil || len(view.Related) != 1 || view.Related[0].ID != red.ID {
			t.Errorf("c1's view of the link: %+v %v", view.Related, err)
		}
		// The member: all its users read their own incident, with the names.
		for _, p := range []access.Principal{s.aAdmin, s.aViewer} {
			if r, err := db.Incident(ctx, p, red.ID, time.Time{}); err != nil || len(r.RedPeople) != 1 || r.RedPeople[0].Email != c1.UserName {
				t.Errorf("%s reads its RED incident: %+v %v", p.UserName, r.RedPeople, err)
			}
		}

		// Sharing an unshared RED incident: refused until someone is named.
		quiet := mustCreate(t, db, s.aAdmin, &incident.Incident{Title: "Insider", AwareAt: t0.Add(-time.Hour), TLP: incident.TLPRed}, incident.Assessment{})
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.ShareIncident(ctx, s.aAdmin, quiet.ID); return err }); aceso.ErrorCode(err) != aceso.EINVALID ||
			!strings.HasPrefix(aceso.ErrorMessage(err), "red_people: ") {
			t.Errorf("RED share without people: %v", err)
		}
		inTx(t, db, func(tx *store.Tx) error {
			if _, err := tx.SetRedPeople(ctx, s.aAdmin, quiet.ID, []int64{c2.UserID}); err != nil {
				return err
			}
			_, err := tx.ShareIncident(ctx, s.aAdmin, quiet.ID)
			return err
		})
		if _, err := db.CSIRTIncident(ctx, c2, quiet.ID); err != nil {
			t.Errorf("named c2 reads the shared incident: %v", err)
		}
		if _, err := db.CSIRTIncident(ctx, c1, quiet.ID); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("unnamed c1 reads it: %v", err)
		}
		for name, fn := range map[string]func(tx *store.Tx) error{
			"unname everybody": func(tx *store.Tx) error { _, err := tx.SetRedPeople(ctx, s.aAdmin, quiet.ID, nil); return err },
			"B names people": func(tx *store.Tx) error {
				_, err := tx.SetRedPeople(ctx, s.bAdmin, quiet.ID, []int64{c1.UserID})
				return err
			},
			"a viewer names": func(tx *store.Tx) error {
				_, err := tx.SetRedPeople(ctx, s.aViewer, quiet.ID, []int64{c1.UserID})
				return err
			},
			"relabel AMBER as RED without people": func(tx *store.Tx) error {
				_, err := tx.UpdateIncident(ctx, s.bAdmin, amber.ID, func(in *incident.Incident, _ *incident.Assessment) error { in.TLP = incident.TLPRed; return nil })
				return err
			},
		} {
			want := map[string]string{"unname everybody": aceso.EINVALID, "B names people": aceso.ENOTFOUND, "a viewer names": aceso.EFORBIDDEN,
				"relabel AMBER as RED without people": aceso.EINVALID}[name]
			if err := db.InTx(ctx, fn); aceso.ErrorCode(err) != want {
				t.Errorf("%s: %v, want %s", name, err, want)
			}
		}

		// Only the originator relabels; a downgrade is its own audit entry.
		for _, p := range []access.Principal{c1, s.bAdmin} {
			err := db.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.UpdateIncident(ctx, p, red.ID, func(in *incident.Incident, _ *incident.Assessment) error { in.TLP = incident.TLPClear; return nil })
				return err
			})
			if aceso.ErrorCode(err) != aceso.ENOTFOUND {
				t.Errorf("%s relabelled A's incident: %v", p.UserName, err)
			}
		}
		inTx(t, db, func(tx *store.Tx) error {
			_, err := tx.UpdateIncident(ctx, s.aAdmin, red.ID, func(in *incident.Incident, _ *incident.Assessment) error { in.TLP = incident.TLPAmber; return nil })
			return err
		})
		entries, err := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: s.a.ID, Limit: 3})
		if err != nil || entries[0].Action != "incident.tlp_downgrade" || entries[0].ObjectID != itoa(red.ID) ||
			!strings.Contains(entries[0].Summary, "TLP:RED") || !strings.Contains(entries[0].Summary, "TLP:AMBER") || entries[1].Action != "incident.update" {
			t.Errorf("downgrade audit: %+v %v", entries, err)
		}
		if _, err := db.CSIRTIncident(ctx, c2, red.ID); err != nil {
			t.Errorf("at TLP:AMBER the whole CSIRT reads it: %v", err)
		}
		// An upgrade is no downgrade.
		inTx(t, db, func(tx *store.Tx) error {
			_, err := tx.UpdateIncident(ctx, s.aAdmin, red.ID, func(in *incident.Incident, _ *incident.Assessment) error {
				in.TLP = incident.TLPAmberStrict
				return nil
			})
			return err
		})
		if entries, _ := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: s.a.ID, Limit: 1}); entries[0].Action != "incident.update" {
			t.Errorf("upgrade audited as %s", entries[0].Action)
		}
	})
}
