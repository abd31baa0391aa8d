package store_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// clock is a settable test clock for db.Now; the store reads it from
// request goroutines, so it is guarded.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var t0 = time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC)

func ransomware(aware time.Time) *incident.Incident {
	return &incident.Incident{
		Title: "Ransomware on radiology PACS", Description: "Files encrypted on the PACS archive; ransom note found.",
		AwareAt: aware, DetectedAt: aware.Add(-2 * time.Hour), TimeZone: "Europe/Berlin",
		Classification: incident.Classification{Class: "malicious-code", Type: "infected-system"},
		Severity:       incident.SeverityCritical, SuspectedMalicious: incident.Yes, CrossBorder: incident.No,
		ImpactOnCare:  incident.ImpactOnCare{ServicesAffected: []string{"radiology"}, PostponedProcedures: 12},
		PatientSafety: incident.SafetyPotential,
		PersonalData:  &incident.PersonalDataBreach{DataCategories: []string{"health data"}, SubjectCategories: []string{"patients"}, ApproxSubjects: 4000},
		ContactPoint:  "dpo@anna.example",
	}
}

var significant = incident.Assessment{SevereOperationalDisruption: true, PersonalDataBreach: true}

func mustCreate(t testing.TB, db *store.DB, p access.Principal, in *incident.Incident, a incident.Assessment) store.Incident {
	t.Helper()
	var r store.Incident
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		r, err = tx.CreateIncident(ctx, p, in, a)
		return err
	})
	if err != nil {
		t.Fatalf("create incident: %v", err)
	}
	return r
}

func obligation(t *testing.T, r store.Incident, regime, stage string) store.Obligation {
	t.Helper()
	o, ok := r.Obligation(regime, stage)
	if !ok {
		t.Fatalf("no obligation %s.%s in %+v", regime, stage, r.Obligations)
	}
	return o
}

func TestIncidentCreateComputesObligations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		c := &clock{t: t0}
		db.Now = c.Now
		aware := t0.Add(-time.Hour)
		r := mustCreate(t, db, s.aAdmin, ransomware(aware), significant)
		if r.ID == 0 || r.OrgID != s.a.ID || r.Status != incident.StatusNew || r.Reporter != "admin@anna.example" {
			t.Fatalf("created %+v", r.Incident)
		}
		got, err := db.Incident(ctx, s.aAdmin, r.ID, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		// Round trip of the structured parts.
		if got.PersonalData == nil || got.PersonalData.ApproxSubjects != 4000 || got.ImpactOnCare.PostponedProcedures != 12 ||
			got.Classification.Type != "infected-system" || !got.DetectedAt.Equal(aware.Add(-2*time.Hour)) || !got.Assessment.SevereOperationalDisruption {
			t.Fatalf("round trip lost data: %+v", got)
		}
		tests := []struct {
			name, regime, stage string
			status              incident.ObligationStatus
			due                 time.Duration // after aware; 0 = no due time
		}{
			{"nis2 early warning 24h", "nis2", "early_warning", incident.ObligationPending, 24 * time.Hour},
			{"nis2 notification 72h", "nis2", "notification", incident.ObligationPending, 72 * time.Hour},
			{"gdpr notification 72h", "gdpr", "notification", incident.ObligationPending, 72 * time.Hour},
			{"gdpr art 34 needs high risk", "gdpr", "data_subject_communication", incident.ObligationNotApplicable, 0},
			{"mdr is for manufacturers", "mdr", "serious_incident_report", incident.ObligationNotApplicable, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				o := obligation(t, got, tt.regime, tt.stage)
				if o.Status != tt.status {
					t.Errorf("status %s, want %s (%s)", o.Status, tt.status, o.Basis)
				}
				if tt.due > 0 && (o.DueAt == nil || !o.DueAt.Equal(aware.Add(tt.due))) {
					t.Errorf("due %v, want %v", o.DueAt, aware.Add(tt.due))
				}
			})
		}
		if next := got.NextDue(); next == nil || next.Key() != "nis2.early_warning" {
			t.Errorf("next due %+v, want nis2.early_warning", next)
		}
		if len(got.Timeline) != 1 || got.Timeline[0].Seq != 1 || got.Timeline[0].Kind != "created" {
			t.Errorf("timeline %+v", got.Timeline)
		}
		entries, _ := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: s.a.ID})
		if len(entries) == 0 || entries[0].Action != "incident.create" || entries[0].ObjectID != strconv.FormatInt(r.ID, 10) {
			t.Errorf("audit: %+v", entries[:min(1, len(entries))])
		}
		// The clock runs at read time: 25 h later the early warning is late
		// without any job having run.
		later, err := db.Incident(ctx, s.aAdmin, r.ID, aware.Add(25*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if o := obligation(t, later, "nis2", "early_warning"); o.Status != incident.ObligationLate {
			t.Errorf("after 25 h: early warning %s, want late", o.Status)
		}
		if later.Late() != 1 {
			t.Errorf("late count %d, want 1", later.Late())
		}
	})
}

func TestIncidentCreateRejectsBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		tests := []struct {
			name  string
			in    incident.Incident
			a     incident.Assessment
			field string
		}{
			{"no title", incident.Incident{AwareAt: t0}, incident.Assessment{}, "title"},
			{"no aware_at", incident.Incident{Title: "x"}, incident.Assessment{}, "aware_at"},
			{"bad zone", incident.Incident{Title: "x", AwareAt: t0, TimeZone: "Mars/Olympus"}, incident.Assessment{}, "time_zone"},
			{"risk unlikely without reason", incident.Incident{Title: "x", AwareAt: t0}, incident.Assessment{RiskUnlikely: true}, "risk_unlikely_reason"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.CreateIncident(ctx, s.aAdmin, &tt.in, tt.a); return err })
				if aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(aceso.ErrorMessage(err), tt.field) {
					t.Fatalf("got %v, want EINVALID naming %s", err, tt.field)
				}
			})
		}
		page, err := db.ListIncidents(ctx, s.aAdmin, store.IncidentFilter{})
		if err != nil || len(page.Incidents) != 0 {
			t.Fatalf("failed creates left %d incidents (%v)", len(page.Incidents), err)
		}
	})
}

func TestIncidentReassessKeepsSubmission(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		c := &clock{t: t0}
		db.Now = c.Now
		r := mustCreate(t, db, s.aAdmin, ransomware(t0), significant)
		c.Add(3 * time.Hour)
		var ob store.Obligation
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			ob, err = tx.SubmitObligation(ctx, s.aAdmin, r.ID, "nis2", "early_warning", nil, "")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if ob.Status != incident.ObligationSubmitted || !ob.SubmittedAt.Equal(t0.Add(3*time.Hour)) || ob.SubmittedBy != "admin@anna.example" {
			t.Fatalf("submitted %+v", ob)
		}
		var doc incident.ReportDoc
		if err := json.Unmarshal(ob.Snapshot, &doc); err != nil || doc.Stage != "early_warning" || doc.IncidentID != r.ID {
			t.Fatalf("snapshot is not the pre-filled report: %s (%v)", ob.Snapshot, err)
		}
		// Submitting twice is a conflict.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.SubmitObligation(ctx, s.aAdmin, r.ID, "nis2", "early_warning", nil, "")
			return err
		})
		if aceso.ErrorCode(err) != aceso.ECONFLICT {
			t.Fatalf("second submission: %v", err)
		}
		// Day 2: not significant after all, and no personal data.
		c.Add(24 * time.Hour)
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.UpdateIncident(ctx, s.aAdmin, r.ID, func(in *incident.Incident, a *incident.Assessment) error {
				*a = incident.Assessment{}
				in.PersonalData = nil
				return nil
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.Incident(ctx, s.aAdmin, r.ID, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		ew := obligation(t, got, "nis2", "early_warning")
		if ew.Status != incident.ObligationSubmitted || ew.SubmittedBy != "admin@anna.example" || len(ew.Snapshot) == 0 ||
			!strings.Contains(ew.Basis, "kept as submitted") {
			t.Errorf("early warning after reassessment: %+v", ew)
		}
		for _, k := range [][2]string{{"nis2", "notification"}, {"gdpr", "notification"}} {
			if o := obligation(t, got, k[0], k[1]); o.Status != incident.ObligationNotApplicable {
				t.Errorf("%s.%s after reassessment: %s", k[0], k[1], o.Status)
			}
		}
		if !got.Assessment.AssessedAt.Equal(c.Now()) || got.Assessment.AssessedBy != "admin@anna.example" {
			t.Errorf("assessment stamp %v %q", got.Assessment.AssessedAt, got.Assessment.AssessedBy)
		}
		// Back to significant: the notification counts again from aware_at
		// and the early warning is still the one submitted.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Reassess(ctx, s.aAdmin, r.ID, significant)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _ = db.Incident(ctx, s.aAdmin, r.ID, time.Time{})
		if ew2 := obligation(t, got, "nis2", "early_warning"); !ew2.SubmittedAt.Equal(*ew.SubmittedAt) {
			t.Errorf("early warning changed: %+v", ew2)
		}
		if n := obligation(t, got, "nis2", "notification"); n.Status != incident.ObligationPending || !n.DueAt.Equal(t0.Add(72*time.Hour)) {
			t.Errorf("notification: %+v", n)
		}
		// Timeline is gapless: created, submission, update, update.
		kinds := []string{}
		for i, e := range got.Timeline {
			if e.Seq != i+1 {
				t.Errorf("timeline seq %d at %d", e.Seq, i)
			}
			kinds = append(kinds, e.Kind)
		}
		if strings.Join(kinds, ",") != "created,submission,update,update" {
			t.Errorf("timeline kinds %v", kinds)
		}
	})
}

func TestIncidentLateGDPRNeedsReason(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		c := &clock{t: t0}
		db.Now = c.Now
		r := mustCreate(t, db, s.aAdmin, ransomware(t0), incident.Assessment{PersonalDataBreach: true})
		c.Add(80 * time.Hour)
		got, _ := db.Incident(ctx, s.aAdmin, r.ID, time.Time{})
		if o := obligation(t, got, "gdpr", "notification"); o.Status != incident.ObligationLate {
			t.Fatalf("gdpr after 80 h: %s", o.Status)
		}
		submit := func(reason string) (store.Obligation, error) {
			var ob store.Obligation
			err := db.InTx(ctx, func(tx *store.Tx) error {
				var err error
				ob, err = tx.SubmitObligation(ctx, s.aAdmin, r.ID, "gdpr", "notification", nil, reason)
				return err
			})
			return ob, err
		}
		if _, err := submit("  "); aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(aceso.ErrorMessage(err), "late_reason") {
			t.Fatalf("late without reason: %v", err)
		}
		got, _ = db.Incident(ctx, s.aAdmin, r.ID, time.Time{})
		if o := obligation(t, got, "gdpr", "notification"); o.SubmittedAt != nil || len(got.Timeline) != 1 {
			t.Fatalf("refused submission left traces: %+v, %d timeline entries", o, len(got.Timeline))
		}
		ob, err := submit("Forensic analysis needed to confirm patient data was read.")
		if err != nil {
			t.Fatal(err)
		}
		if ob.LateReason == "" || ob.Status != incident.ObligationSubmitted {
			t.Fatalf("late submission %+v", ob)
		}
		var doc incident.ReportDoc
		_ = json.Unmarshal(ob.Snapshot, &doc)
		item, ok := doc.Item("reasons_for_delay")
		if !ok || item.Value != ob.LateReason {
			t.Errorf("snapshot lacks the reasons for the delay: %s", ob.Snapshot)
		}
		// An unknown stage is not found, not a server error.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.SubmitObligation(ctx, s.aAdmin, r.ID, "nis2", "42", nil, "")
			return err
		})
		if aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("unknown stage: %v", err)
		}
	})
}

func TestIncidentTenantIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		ra := mustCreate(t, db, s.aAdmin, ransomware(t0), significant)
		rb := mustCreate(t, db, s.bAdmin, &incident.Incident{Title: "Nord incident", AwareAt: t0}, incident.Assessment{})
		writes := []struct {
			name string
			fn   func(tx *store.Tx) error
		}{
			{"update", func(tx *store.Tx) error {
				_, err := tx.UpdateIncident(ctx, s.bAdmin, ra.ID, func(in *incident.Incident, _ *incident.Assessment) error { in.Title = "pwned"; return nil })
				return err
			}},
			{"transition", func(tx *store.Tx) error {
				_, err := tx.TransitionIncident(ctx, s.bAdmin, ra.ID, incident.StatusTriage, "")
				return err
			}},
			{"submit", func(tx *store.Tx) error {
				_, err := tx.SubmitObligation(ctx, s.bAdmin, ra.ID, "nis2", "early_warning", nil, "")
				return err
			}},
			{"task", func(tx *store.Tx) error { return tx.AddTask(ctx, s.bAdmin, ra.ID, &incident.Task{Title: "x"}) }},
			{"observable", func(tx *store.Tx) error {
				return tx.AddObservable(ctx, s.bAdmin, ra.ID, &incident.Observable{Kind: "ip", Value: "192.0.2.1"})
			}},
			{"comment", func(tx *store.Tx) error { return tx.AddComment(ctx, s.bAdmin, ra.ID, &incident.Comment{Text: "x"}) }},
			{"create in another org", func(tx *store.Tx) error {
				_, err := tx.CreateIncident(ctx, s.bAdmin, &incident.Incident{OrgID: s.a.ID, Title: "x", AwareAt: t0}, incident.Assessment{})
				return err
			}},
		}
		for _, w := range writes {
			t.Run(w.name, func(t *testing.T) {
				if err := db.InTx(ctx, w.fn); aceso.ErrorCode(err) != aceso.ENOTFOUND {
					t.Fatalf("B writing A's incident: %v, want not found", err)
				}
			})
		}
		if _, err := db.Incident(ctx, s.bAdmin, ra.ID, time.Time{}); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Fatalf("B reading A's incident: %v", err)
		}
		page, err := db.ListIncidents(ctx, s.bAdmin, store.IncidentFilter{})
		if err != nil || len(page.Incidents) != 1 || page.Incidents[0].ID != rb.ID {
			t.Fatalf("B's list: %+v %v", page, err)
		}
		// The CSIRT's admin administers organisations but does not read
		// their incidents (sharing goes through TLP, not this method).
		if _, err := db.Incident(ctx, s.csirtAdmin, ra.ID, time.Time{}); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Fatalf("CSIRT admin reading A's incident: %v", err)
		}
		// A viewer reads but does not write.
		if _, err := db.Incident(ctx, s.aViewer, ra.ID, time.Time{}); err != nil {
			t.Fatalf("viewer read: %v", err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error { return tx.AddComment(ctx, s.aViewer, ra.ID, &incident.Comment{Text: "x"}) })
		if aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Fatalf("viewer write: %v", err)
		}
		got, _ := db.Incident(ctx, s.aAdmin, ra.ID, time.Time{})
		if got.Title != ra.Title || len(got.Timeline) != 1 || len(got.Comments)+len(got.Tasks)+len(got.Observables) != 0 {
			t.Fatalf("A's incident changed: %+v", got)
		}
	})
}

func TestIncidentWorkflowAndChildren(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		c := &clock{t: t0}
		db.Now = c.Now
		r := mustCreate(t, db, s.aAdmin, ransomware(t0), significant)
		do := func(fn func(tx *store.Tx) error) error { return db.InTx(ctx, fn) }
		transition := func(to incident.Status, out incident.Outcome) error {
			return do(func(tx *store.Tx) error { _, err := tx.TransitionIncident(ctx, s.aAdmin, r.ID, to, out); return err })
		}
		if err := transition(incident.StatusContainment, ""); err != nil {
			t.Fatal(err)
		}
		if err := transition(incident.StatusTriage, ""); aceso.ErrorCode(err) != aceso.EINVALID {
			t.Fatalf("backwards: %v", err)
		}
		if err := transition(incident.StatusClosed, ""); aceso.ErrorCode(err) != aceso.EINVALID {
			t.Fatalf("close without outcome: %v", err)
		}
		obs := []struct {
			name, kind, value, want string
			code                    string
		}{
			{"defanged url", "url", "hxxps://evil[.]example/x", "https://evil.example/x", ""},
			{"mapped ip", "ip", "::ffff:192.0.2.7", "192.0.2.7", ""},
			{"same ip again", "ip", "192.0.2.7", "", aceso.ECONFLICT},
			{"bad hash", "sha256", "abc", "", aceso.EINVALID},
		}
		for _, o := range obs {
			t.Run(o.name, func(t *testing.T) {
				ob := incident.Observable{Kind: o.kind, Value: o.value}
				err := do(func(tx *store.Tx) error { return tx.AddObservable(ctx, s.aAdmin, r.ID, &ob) })
				if aceso.ErrorCode(err) != o.code && !(o.code == "" && err == nil) {
					t.Fatalf("got %v, want %q", err, o.code)
				}
				if o.code == "" && ob.Value != o.want {
					t.Fatalf("stored %q, want %q", ob.Value, o.want)
				}
			})
		}
		task := incident.Task{Title: "Isolate PACS VLAN", Assignee: "soc"}
		if err := do(func(tx *store.Tx) error { return tx.AddTask(ctx, s.aAdmin, r.ID, &task) }); err != nil || task.ID == 0 || task.Status != incident.TaskOpen {
			t.Fatalf("add task: %v %+v", err, task)
		}
		task.Status = incident.TaskDone
		if err := do(func(tx *store.Tx) error { return tx.UpdateTask(ctx, s.aAdmin, r.ID, &task) }); err != nil {
			t.Fatal(err)
		}
		bad := incident.Task{ID: task.ID, Title: "x", Status: "finished"}
		if err := do(func(tx *store.Tx) error { return tx.UpdateTask(ctx, s.aAdmin, r.ID, &bad) }); aceso.ErrorCode(err) != aceso.EINVALID {
			t.Fatalf("bad task status: %v", err)
		}
		if err := do(func(tx *store.Tx) error { return tx.AddComment(ctx, s.aAdmin, r.ID, &incident.Comment{Text: " "}) }); aceso.ErrorCode(err) != aceso.EINVALID {
			t.Fatalf("empty comment: %v", err)
		}
		if err := do(func(tx *store.Tx) error {
			return tx.AddComment(ctx, s.aAdmin, r.ID, &incident.Comment{Text: "Backups verified offline."})
		}); err != nil {
			t.Fatal(err)
		}
		// Closing while the final report is not due yet: handled_at is set
		// and the final report counts from the notification's due time.
		c.Add(48 * time.Hour)
		if err := transition(incident.StatusClosed, incident.OutcomeResolved); err != nil {
			t.Fatal(err)
		}
		got, err := db.Incident(ctx, s.aAdmin, r.ID, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != incident.StatusClosed || got.HandledAt == nil || !got.HandledAt.Equal(c.Now()) {
			t.Fatalf("closed: %s handled %v", got.Status, got.HandledAt)
		}
		if len(got.Observables) != 2 || len(got.Tasks) != 1 || got.Tasks[0].Status != incident.TaskDone || len(got.Comments) != 1 {
			t.Fatalf("children: %+v %+v %+v", got.Observables, got.Tasks, got.Comments)
		}
		if err := got.Incident.Validate(); err != nil {
			t.Fatalf("stored record does not validate: %v", err)
		}
		var kinds []string
		for _, e := range got.Timeline {
			kinds = append(kinds, e.Kind)
		}
		if want := "created,status,observable,observable,task,task,status"; strings.Join(kinds, ",") != want {
			t.Errorf("timeline %v, want %s", kinds, want)
		}
		// Reopening clears handled_at.
		if err := transition(incident.StatusTriage, ""); err != nil {
			t.Fatal(err)
		}
		got, _ = db.Incident(ctx, s.aAdmin, r.ID, time.Time{})
		if got.HandledAt != nil || got.Outcome != "" {
			t.Errorf("reopened: handled %v outcome %q", got.HandledAt, got.Outcome)
		}
	})
}

func TestListIncidentsFiltersAndPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		c := &clock{t: t0}
		db.Now = c.Now
		// 7 incidents: the even ones significant (NIS2 24 h clock), the
		// last one a GDPR-only breach, the first one closed.
		var ids []int64
		for i := range 7 {
			a := incident.Assessment{SevereOperationalDisruption: i%2 == 0}
			if i == 6 {
				a = incident.Assessment{PersonalDataBreach: true}
			}
			r := mustCreate(t, db, s.aAdmin, &incident.Incident{Title: fmt.Sprintf("incident %d", i), AwareAt: t0.Add(-time.Duration(i) * time.Hour)}, a)
			ids = append(ids, r.ID)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.TransitionIncident(ctx, s.aAdmin, ids[0], incident.StatusClosed, incident.OutcomeFalsePositive)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			f    store.IncidentFilter
			want []int64
		}{
			{"all newest first", store.IncidentFilter{}, []int64{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}},
			{"open", store.IncidentFilter{Open: true}, []int64{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1]}},
			{"closed", store.IncidentFilter{Status: incident.StatusClosed}, []int64{ids[0]}},
			{"nis2", store.IncidentFilter{Regime: "nis2"}, []int64{ids[4], ids[2], ids[0]}},
			{"gdpr", store.IncidentFilter{Regime: "gdpr"}, []int64{ids[6]}},
			{"at risk within 24h", store.IncidentFilter{AtRisk: true}, []int64{ids[4], ids[2], ids[0]}},
			{"gdpr at risk in 24h", store.IncidentFilter{AtRisk: true, Regime: "gdpr"}, nil},
			{"gdpr at risk in 3 days", store.IncidentFilter{AtRisk: true, Regime: "gdpr", RiskWindow: 72 * time.Hour}, []int64{ids[6]}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				page, err := db.ListIncidents(ctx, s.aAdmin, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, r := range page.Incidents {
					got = append(got, r.ID)
				}
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			})
		}
		// Keyset pages of 3 cover everything once, in order.
		var all []int64
		f := store.IncidentFilter{Limit: 3}
		for range 10 {
			page, err := db.ListIncidents(ctx, s.aAdmin, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Incidents {
				all = append(all, r.ID)
				if len(r.Obligations) == 0 {
					t.Fatalf("incident %d listed without obligations", r.ID)
				}
			}
			if page.Next == 0 {
				break
			}
			f.Before = page.Next
		}
		if len(all) != 7 || all[0] != ids[6] || all[6] != ids[0] {
			t.Fatalf("paged %v", all)
		}
		// Statuses in the list are computed at f.Now, like on the page.
		page, _ := db.ListIncidents(ctx, s.aAdmin, store.IncidentFilter{Now: t0.Add(30 * time.Hour), Regime: "nis2"})
		for _, r := range page.Incidents {
			if r.Status != incident.StatusClosed && r.Late() == 0 {
				t.Errorf("incident %d not late 30 h after awareness", r.ID)
			}
		}
	})
}

// BenchmarkCreateIncident measures incident creation (record, 9 obligation
// rows, timeline, audit) in one transaction each, on every backend.
func BenchmarkCreateIncident(b *testing.B) {
	for _, backend := range storetest.Backends() {
		b.Run(backend, func(b *testing.B) {
			db := storetest.Open(b, backend)
			p := benchOrg(b, db)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				in := ransomware(t0.Add(time.Duration(i) * time.Minute))
				mustCreate(b, db, p, in, significant)
			}
		})
	}
}

// BenchmarkListIncidents measures one page of 50 with obligations computed,
// unfiltered and "at risk", over ACESO_BENCH_INCIDENTS incidents (default
// 10 000; the report quotes 100 000), every tenth significant and late.
func BenchmarkListIncidents(b *testing.B) {
	n := 10_000
	if v, err := strconv.Atoi(os.Getenv("ACESO_BENCH_INCIDENTS")); err == nil && v > 0 {
		n = v
	}
	for _, backend := range storetest.Backends() {
		b.Run(backend, func(b *testing.B) {
			db := storetest.Open(b, backend)
			p := benchOrg(b, db)
			const batch = 1000
			for done := 0; done < n; done += batch {
				err := db.InTx(ctx, func(tx *store.Tx) error {
					for i := done; i < min(done+batch, n); i++ {
						a := incident.Assessment{SevereOperationalDisruption: i%10 == 0}
						in := &incident.Incident{Title: "incident " + strconv.Itoa(i), AwareAt: t0.Add(time.Duration(i) * time.Minute)}
						if _, err := tx.CreateIncident(ctx, p, in, a); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			// Steady state: the statistics autovacuum (PostgreSQL) or an
			// occasional ANALYZE (SQLite) keep; right after a bulk load
			// PostgreSQL's planner still believes the tables are empty.
			if _, err := db.SQL().Exec("ANALYZE"); err != nil {
				b.Fatal(err)
			}
			for _, f := range []struct {
				name string
				f    store.IncidentFilter
			}{{"page", store.IncidentFilter{}}, {"at-risk", store.IncidentFilter{AtRisk: true, Regime: "nis2"}}} {
				b.Run(f.name, func(b *testing.B) {
					f.f.Now = t0.Add(time.Duration(n) * time.Minute)
					for b.Loop() {
						page, err := db.ListIncidents(ctx, p, f.f)
						if err != nil || len(page.Incidents) == 0 {
							b.Fatal(len(page.Incidents), err)
						}
					}
				})
			}
		})
	}
}

func benchOrg(b *testing.B, db *store.DB) access.Principal {
	b.Helper()
	org := access.Org{Name: "Bench Hospital", Kind: access.KindMember}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateOrg(ctx, access.System, &org) }); err != nil {
		b.Fatal(err)
	}
	p := access.System
	p.OrgID, p.OrgKind = org.ID, org.Kind
	return p
}

// TestIncidentQueryPlans guards against a regression that made creation
// quadratic: with an index led by org_id on a child table, SQLite's planner
// scanned all the organisation's obligations for every incident. Every
// child-table query must search by incident id.
func TestIncidentQueryPlans(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	for _, q := range []string{
		"DELETE FROM incident_obligations WHERE org_id = 1 AND incident_id = 2 AND submitted_at IS NULL",
		"SELECT regime FROM incident_obligations WHERE org_id = 1 AND incident_id IN (1, 2, 3) ORDER BY id",
		"SELECT kind FROM incident_observables WHERE org_id = 1 AND incident_id = 2 ORDER BY id",
		"SELECT seq FROM incident_timeline WHERE org_id = 1 AND incident_id = 2 ORDER BY seq",
		"SELECT id FROM incident_tasks WHERE org_id = 1 AND incident_id = 2 ORDER BY id",
		"SELECT id FROM incident_comments WHERE org_id = 1 AND incident_id = 2 ORDER BY id",
		`SELECT id FROM incidents i WHERE org_id = 1 AND EXISTS (SELECT 1 FROM incident_obligations o WHERE o.org_id = i.org_id
			AND o.incident_id = i.id AND o.submitted_at IS NULL AND o.regime = 'nis2' AND o.due_at <= 5) ORDER BY id DESC LIMIT 51`,
	} {
		rows, err := db.SQL().Query("EXPLAIN QUERY PLAN " + q)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		all := strings.Join(plan, "; ")
		if strings.Contains(all, "SCAN ") || !strings.Contains(all, "(incident_id") {
			t.Errorf("%s\nplan: %s", q, all)
		}
	}
}
