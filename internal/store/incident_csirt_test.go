package store_test

import (
	"encoding/json"
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
