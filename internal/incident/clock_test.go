package incident

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the clock tests must not depend on the host's zoneinfo

	"github.com/aceso-health/aceso"
)

func mustLoc(tb testing.TB, name string) *time.Location {
	tb.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load %s: %v", name, err)
	}
	return l
}

func find(tb testing.TB, obs []Obligation, regime, stage string) Obligation {
	tb.Helper()
	for _, o := range obs {
		if o.Regime == regime && o.Stage == stage {
			return o
		}
	}
	tb.Fatalf("no obligation %s/%s in %+v", regime, stage, obs)
	return Obligation{}
}

func wantDue(tb testing.TB, o Obligation, want time.Time) {
	tb.Helper()
	if o.DueAt == nil {
		tb.Fatalf("%s/%s: due nil, want %s (basis %q)", o.Regime, o.Stage, want, o.Basis)
	}
	if !o.DueAt.Equal(want) {
		tb.Fatalf("%s/%s: due %s, want %s (basis %q)", o.Regime, o.Stage, o.DueAt, want, o.Basis)
	}
}

func significant() Assessment { return Assessment{SevereOperationalDisruption: true} }

func newIncident(aware time.Time, zone string) *Incident {
	return &Incident{ID: 7, OrgID: 3, Title: "Ransomware on PACS", AwareAt: aware, DetectedAt: aware.Add(-time.Hour), TimeZone: zone, Status: StatusTriage}
}

// TestNIS2Clocks checks Art. 23(4)(a), (b) and (d) against the article text:
// 24 h and 72 h after awareness are elapsed hours, also across DST, and the
// final report is one calendar month after the notification (its due time
// while unsubmitted), clamped to the month end, in the organisation's zone.
func TestNIS2Clocks(t *testing.T) {
	utc := time.UTC
	berlin := mustLoc(t, "Europe/Berlin")
	lisbon := mustLoc(t, "Europe/Lisbon")
	tests := []struct {
		name                string
		zone                string
		aware               time.Time
		early, notif, final time.Time
	}{
		{"UTC plain", "UTC", time.Date(2025, 6, 1, 8, 0, 0, 0, utc),
			time.Date(2025, 6, 2, 8, 0, 0, 0, utc), time.Date(2025, 6, 4, 8, 0, 0, 0, utc), time.Date(2025, 7, 4, 8, 0, 0, 0, utc)},
		// Berlin springs forward on Sunday 30 March 2025 (02:00 CET → 03:00 CEST):
		// 24 real hours after 10:00 CET is 11:00 CEST.
		{"Berlin spring DST", "Europe/Berlin", time.Date(2025, 3, 29, 10, 0, 0, 0, berlin),
			time.Date(2025, 3, 30, 11, 0, 0, 0, berlin), time.Date(2025, 4, 1, 11, 0, 0, 0, berlin), time.Date(2025, 5, 1, 11, 0, 0, 0, berlin)},
		// Berlin falls back on Sunday 26 October 2025: 72 h after 20:00 CEST is 19:00 CET.
		{"Berlin autumn DST", "Europe/Berlin", time.Date(2025, 10, 24, 20, 0, 0, 0, berlin),
			time.Date(2025, 10, 25, 20, 0, 0, 0, berlin), time.Date(2025, 10, 27, 19, 0, 0, 0, berlin), time.Date(2025, 11, 27, 19, 0, 0, 0, berlin)},
		// Lisbon springs forward on 30 March 2025 at 01:00 WET → 02:00 WEST.
		{"Lisbon spring DST", "Europe/Lisbon", time.Date(2025, 3, 29, 12, 0, 0, 0, lisbon),
			time.Date(2025, 3, 30, 13, 0, 0, 0, lisbon), time.Date(2025, 4, 1, 13, 0, 0, 0, lisbon), time.Date(2025, 5, 1, 13, 0, 0, 0, lisbon)},
		{"Lisbon autumn DST", "Europe/Lisbon", time.Date(2025, 10, 25, 12, 0, 0, 0, lisbon),
			time.Date(2025, 10, 26, 11, 0, 0, 0, lisbon), time.Date(2025, 10, 28, 11, 0, 0, 0, lisbon), time.Date(2025, 11, 28, 11, 0, 0, 0, lisbon)},
		// Notification due 31 January: final report due 28 February (clamped), not 3 March.
		{"Berlin month end", "Europe/Berlin", time.Date(2025, 1, 28, 9, 0, 0, 0, berlin),
			time.Date(2025, 1, 29, 9, 0, 0, 0, berlin), time.Date(2025, 1, 31, 9, 0, 0, 0, berlin), time.Date(2025, 2, 28, 9, 0, 0, 0, berlin)},
		{"leap year month end", "Europe/Lisbon", time.Date(2024, 1, 28, 23, 30, 0, 0, lisbon),
			time.Date(2024, 1, 29, 23, 30, 0, 0, lisbon), time.Date(2024, 1, 31, 23, 30, 0, 0, lisbon), time.Date(2024, 2, 29, 23, 30, 0, 0, lisbon)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newIncident(tt.aware, tt.zone)
			now := tt.aware.Add(time.Hour)
			obs := Obligations(in, "member", significant(), nil, DefaultRegimes(), now)
			ew, n, fr := find(t, obs, "nis2", "early_warning"), find(t, obs, "nis2", "notification"), find(t, obs, "nis2", "final_report")
			wantDue(t, ew, tt.early)
			wantDue(t, n, tt.notif)
			wantDue(t, fr, tt.final)
			if got := ew.DueAt.Sub(tt.aware); got != 24*time.Hour {
				t.Errorf("early warning is %v after awareness, want 24h", got)
			}
			if got := n.DueAt.Sub(tt.aware); got != 72*time.Hour {
				t.Errorf("notification is %v after awareness, want 72h", got)
			}
			for _, o := range []Obligation{ew, n, fr} {
				if o.Status != ObligationPending {
					t.Errorf("%s: status %s, want pending", o.Stage, o.Status)
				}
			}
			if ew.DueAt.Location().String() != tt.zone {
				t.Errorf("due time in zone %s, want %s", ew.DueAt.Location(), tt.zone)
			}
		})
	}
}

// TestFinalReportCountsFromSubmission: Art. 23(4)(d) runs one month from the
// notification's submission, not from its due time.
func TestFinalReportCountsFromSubmission(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	aware := time.Date(2025, 3, 10, 8, 0, 0, 0, berlin)
	in := newIncident(aware, "Europe/Berlin")
	obs := Obligations(in, "member", significant(), nil, DefaultRegimes(), aware)
	n := find(t, obs, "nis2", "notification")
	// Submitted on 15 March 10:00 CET; a month later is 15 April 10:00 CEST
	// (wall clock kept across the DST change: 743 elapsed hours).
	sub := time.Date(2025, 3, 15, 10, 0, 0, 0, berlin)
	if err := Submit(&n, sub, []byte(`{"x":1}`), ""); err != nil {
		t.Fatal(err)
	}
	obs = Obligations(in, "member", significant(), []Obligation{n}, DefaultRegimes(), sub.Add(time.Hour))
	fr := find(t, obs, "nis2", "final_report")
	wantDue(t, fr, time.Date(2025, 4, 15, 10, 0, 0, 0, berlin))
	if got := fr.DueAt.Sub(sub); got != 743*time.Hour {
		t.Errorf("month across spring DST = %v, want 743h", got)
	}
	if !strings.Contains(fr.Basis, "notification.submitted_at") {
		t.Errorf("basis %q does not name the submission", fr.Basis)
	}
}

// TestProgressReport covers Art. 23(4)(e): still ongoing when the final
// report is due means a progress report then and the final report one month
// after the incident is handled.
func TestProgressReport(t *testing.T) {
	aware := time.Date(2025, 5, 5, 12, 0, 0, 0, time.UTC)
	notifDue := aware.Add(72 * time.Hour)
	finalDue := time.Date(2025, 6, 8, 12, 0, 0, 0, time.UTC)
	handledLate := time.Date(2025, 6, 20, 9, 0, 0, 0, time.UTC)
	handledEarly := time.Date(2025, 5, 20, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		handled      *time.Time
		now          time.Time
		progress     ObligationStatus
		progressDue  *time.Time
		finalDue     *time.Time
		finalStatus  ObligationStatus
		finalArticle string
	}{
		{"before due, unhandled: final due as usual", nil, finalDue.Add(-time.Hour), ObligationNotApplicable, nil, &finalDue, ObligationPending, "Art. 23(4)(d)"},
		{"handled before due", &handledEarly, finalDue.Add(time.Hour), ObligationNotApplicable, nil, &finalDue, ObligationLate, "Art. 23(4)(d)"},
		{"ongoing at due, not handled yet", nil, finalDue.Add(time.Hour), ObligationLate, &finalDue, nil, ObligationPending, "Art. 23(4)(e)"},
		{"ongoing at due, handled later", &handledLate, handledLate.Add(time.Hour), ObligationLate, &finalDue, ptr(time.Date(2025, 7, 20, 9, 0, 0, 0, time.UTC)), ObligationPending, "Art. 23(4)(e)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newIncident(aware, "UTC")
			in.HandledAt = tt.handled
			obs := Obligations(in, "member", significant(), nil, DefaultRegimes(), tt.now)
			if n := find(t, obs, "nis2", "notification"); !n.DueAt.Equal(notifDue) {
				t.Fatalf("notification due %v", n.DueAt)
			}
			p := find(t, obs, "nis2", "progress_report")
			if p.Status != tt.progress {
				t.Errorf("progress status %s, want %s (%s)", p.Status, tt.progress, p.Basis)
			}
			if tt.progressDue != nil {
				wantDue(t, p, *tt.progressDue)
			}
			f := find(t, obs, "nis2", "final_report")
			if tt.finalDue == nil {
				if f.DueAt != nil || !strings.Contains(f.Basis, "handled_at") {
					t.Errorf("final due %v basis %q, want nil waiting for handled_at", f.DueAt, f.Basis)
				}
			} else {
				wantDue(t, f, *tt.finalDue)
			}
			if f.Status != tt.finalStatus || f.Article != tt.finalArticle {
				t.Errorf("final %s %s, want %s %s", f.Status, f.Article, tt.finalStatus, tt.finalArticle)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestNIS2NotApplicable(t *testing.T) {
	aware := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		orgKind string
		a       Assessment
		why     string
	}{
		{"not significant", "member", Assessment{PersonalDataBreach: true}, "significant"},
		{"csirt org", "csirt", significant(), "organisation kind"},
		{"supplier org", "supplier", Assessment{FinancialLoss: true}, "organisation kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := Obligations(newIncident(aware, ""), tt.orgKind, tt.a, nil, DefaultRegimes(), aware.Add(100*time.Hour))
			for _, o := range obs {
				if o.Regime != "nis2" {
					continue
				}
				if o.Status != ObligationNotApplicable || o.DueAt != nil || !strings.Contains(o.Basis, tt.why) {
					t.Errorf("%s: %s due %v basis %q, want not_applicable because %s", o.Stage, o.Status, o.DueAt, o.Basis, tt.why)
				}
			}
		})
	}
	// Each Art. 23(3) criterion alone makes the incident significant.
	for _, a := range []Assessment{{SevereOperationalDisruption: true}, {FinancialLoss: true}, {ConsiderableDamageToOthers: true}} {
		obs := Obligations(newIncident(aware, ""), "member", a, nil, DefaultRegimes(), aware)
		if o := find(t, obs, "nis2", "early_warning"); o.Status != ObligationPending {
			t.Errorf("%+v: early warning %s, want pending", a, o.Status)
		}
	}
}

func TestIntermediateReportOnRequest(t *testing.T) {
	aware := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	in := newIncident(aware, "")
	a := significant()
	if o := find(t, Obligations(in, "member", a, nil, DefaultRegimes(), aware), "nis2", "intermediate_report"); o.Status != ObligationNotApplicable {
		t.Fatalf("without a request: %s", o.Status)
	}
	req := time.Date(2025, 2, 10, 17, 0, 0, 0, time.UTC)
	a.IntermediateReportDue = &req
	o := find(t, Obligations(in, "member", a, nil, DefaultRegimes(), aware), "nis2", "intermediate_report")
	wantDue(t, o, req)
}

func TestGDPRClock(t *testing.T) {
	lisbon := mustLoc(t, "Europe/Lisbon")
	aware := time.Date(2025, 10, 24, 18, 0, 0, 0, lisbon)
	due := time.Date(2025, 10, 27, 17, 0, 0, 0, lisbon) // 72 real hours across the 26 Oct fall-back
	tests := []struct {
		name   string
		a      Assessment
		notif  ObligationStatus
		subj   ObligationStatus
		reason string
	}{
		{"no personal data", Assessment{}, ObligationNotApplicable, ObligationNotApplicable, "personal_data_breach"},
		{"breach", Assessment{PersonalDataBreach: true}, ObligationPending, ObligationNotApplicable, ""},
		{"risk unlikely with reason", Assessment{PersonalDataBreach: true, RiskUnlikely: true, RiskUnlikelyReason: "backup tapes fully encrypted, key safe"}, ObligationNotApplicable, ObligationNotApplicable, "risk_unlikely"},
		{"risk unlikely without reason does not count", Assessment{PersonalDataBreach: true, RiskUnlikely: true}, ObligationPending, ObligationNotApplicable, ""},
		{"high risk", Assessment{PersonalDataBreach: true, HighRisk: true}, ObligationPending, ObligationPending, ""},
		{"high risk, exemption 34(3)(a)", Assessment{PersonalDataBreach: true, HighRisk: true, Art34Exemption: Art34Protected, Art34ExemptionReason: "AES-256 at rest"}, ObligationPending, ObligationNotApplicable, ""},
		{"exemption without reason does not count", Assessment{PersonalDataBreach: true, HighRisk: true, Art34Exemption: Art34Disproportionate}, ObligationPending, ObligationPending, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := Obligations(newIncident(aware, "Europe/Lisbon"), "member", tt.a, nil, DefaultRegimes(), aware)
			n, s := find(t, obs, "gdpr", "notification"), find(t, obs, "gdpr", "data_subject_communication")
			if n.Status != tt.notif || s.Status != tt.subj {
				t.Fatalf("notification %s, subjects %s; want %s, %s (%q / %q)", n.Status, s.Status, tt.notif, tt.subj, n.Basis, s.Basis)
			}
			if tt.notif == ObligationPending {
				wantDue(t, n, due)
				if !n.RequiresLateReason {
					t.Error("GDPR notification must require a late reason")
				}
			}
			if tt.subj == ObligationPending && (s.DueAt != nil || s.Basis != "without undue delay") {
				t.Errorf("Art. 34: due %v basis %q, want no fixed deadline", s.DueAt, s.Basis)
			}
			if tt.reason != "" && !strings.Contains(n.Basis, tt.reason) {
				t.Errorf("basis %q does not name %s", n.Basis, tt.reason)
			}
		})
	}
}

// TestReassessment: personal data is found on day 2 of a NIS2 incident whose
// early warning was already sent. The GDPR clock starts at that awareness;
// the submitted early warning is kept, also if a later assessment drops NIS2.
func TestReassessment(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	aware := time.Date(2025, 3, 28, 22, 0, 0, 0, berlin)
	in := newIncident(aware, "Europe/Berlin")
	day0 := Obligations(in, "member", significant(), nil, DefaultRegimes(), aware.Add(time.Hour))
	if o := find(t, day0, "gdpr", "notification"); o.Status != ObligationNotApplicable {
		t.Fatalf("day 0 gdpr %s", o.Status)
	}
	ew := find(t, day0, "nis2", "early_warning")
	if err := Submit(&ew, aware.Add(20*time.Hour), []byte(`{"stage":"early_warning"}`), ""); err != nil {
		t.Fatal(err)
	}
	prev := []Obligation{ew}

	found := time.Date(2025, 3, 30, 10, 0, 0, 0, berlin) // day 2, after the DST change
	a := significant()
	a.PersonalDataBreach, a.PersonalDataAwareAt = true, &found
	day2 := Obligations(in, "member", a, prev, DefaultRegimes(), found)
	g := find(t, day2, "gdpr", "notification")
	wantDue(t, g, time.Date(2025, 4, 2, 10, 0, 0, 0, berlin))
	if g.Status != ObligationPending {
		t.Errorf("gdpr %s", g.Status)
	}
	if e := find(t, day2, "nis2", "early_warning"); e.Status != ObligationSubmitted || string(e.Snapshot) != `{"stage":"early_warning"}` || !e.SubmittedAt.Equal(*ew.SubmittedAt) {
		t.Errorf("early warning lost on reassessment: %+v", e)
	}
	if n := find(t, day2, "nis2", "notification"); n.Status != ObligationPending {
		t.Errorf("notification %s", n.Status)
	}

	// Later the incident is judged not significant: the submission stays.
	day3 := Obligations(in, "member", Assessment{PersonalDataBreach: true}, day2, DefaultRegimes(), found.Add(24*time.Hour))
	if e := find(t, day3, "nis2", "early_warning"); e.Status != ObligationSubmitted {
		t.Errorf("submitted early warning became %s", e.Status)
	}
	if n := find(t, day3, "nis2", "notification"); n.Status != ObligationNotApplicable {
		t.Errorf("notification %s, want not_applicable", n.Status)
	}
	// A submission of a stage no longer in the regimes is kept too.
	orphan := Obligation{Regime: "national", Stage: "extra", SubmittedAt: ptr(found), Status: ObligationSubmitted}
	day4 := Obligations(in, "member", a, append(day3, orphan), DefaultRegimes(), found)
	if o := find(t, day4, "national", "extra"); o.Status != ObligationSubmitted {
		t.Errorf("orphan submission %s", o.Status)
	}
	if len(day4) != len(day2)+1 {
		t.Errorf("%d obligations, want %d (no duplicates)", len(day4), len(day2)+1)
	}
}

func TestLateSubmission(t *testing.T) {
	aware := time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)
	due := aware.Add(72 * time.Hour)
	in := newIncident(aware, "UTC")
	a := Assessment{PersonalDataBreach: true, SevereOperationalDisruption: true}

	atDue := Obligations(in, "member", a, nil, DefaultRegimes(), due)
	if o := find(t, atDue, "gdpr", "notification"); o.Status != ObligationPending {
		t.Errorf("at the due instant: %s, want pending", o.Status)
	}
	obs := Obligations(in, "member", a, nil, DefaultRegimes(), due.Add(time.Second))
	g := find(t, obs, "gdpr", "notification")
	if g.Status != ObligationLate {
		t.Fatalf("after due: %s, want late", g.Status)
	}
	err := Submit(&g, due.Add(time.Hour), []byte(`{}`), "  ")
	if aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(err.Error(), "late_reason") {
		t.Fatalf("late GDPR without reason: %v", err)
	}
	if g.SubmittedAt != nil {
		t.Fatal("refused submission changed the obligation")
	}
	const why = "forensic team confirmed exfiltration only on day 4"
	if err := Submit(&g, due.Add(time.Hour), []byte(`{}`), why); err != nil {
		t.Fatal(err)
	}
	obs = Obligations(in, "member", a, []Obligation{g}, DefaultRegimes(), due.Add(48*time.Hour))
	g = find(t, obs, "gdpr", "notification")
	if g.Status != ObligationSubmitted || g.LateReason != why {
		t.Errorf("after late submission: %s %q", g.Status, g.LateReason)
	}
	if err := Submit(&g, due.Add(50*time.Hour), nil, why); aceso.ErrorCode(err) != aceso.ECONFLICT {
		t.Errorf("second submission: %v, want conflict", err)
	}

	// NIS2 does not demand a reason; an on-time submission keeps none.
	n := find(t, obs, "nis2", "notification")
	if err := Submit(&n, due.Add(time.Hour), nil, ""); err != nil {
		t.Errorf("late NIS2 without reason: %v", err)
	}
	ew := find(t, Obligations(in, "member", a, nil, DefaultRegimes(), aware), "nis2", "early_warning")
	if err := Submit(&ew, aware.Add(time.Hour), []byte(`{}`), "not late"); err != nil || ew.LateReason != "" {
		t.Errorf("on-time submission: %v, reason %q", err, ew.LateReason)
	}
	na := find(t, Obligations(in, "member", Assessment{}, nil, DefaultRegimes(), aware), "gdpr", "notification")
	if err := Submit(&na, aware, nil, ""); aceso.ErrorCode(err) != aceso.EINVALID {
		t.Errorf("submit not applicable: %v", err)
	}
	if err := Submit(&ew, aware, []byte("{"), ""); err == nil {
		t.Error("submit bad JSON snapshot accepted")
	}
}

// TestMDRTiers checks Art. 87(3)–(5) for manufacturers: 15 calendar days, 10
// for death or unanticipated serious deterioration, 2 for a serious public
// health threat; only the strictest tier applies.
func TestMDRTiers(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	aware := time.Date(2025, 10, 20, 14, 0, 0, 0, berlin) // tiers cross the 26 Oct DST change
	tests := []struct {
		name  string
		a     Assessment
		stage string
		due   time.Time
	}{
		{"serious incident", Assessment{SeriousIncident: true}, "serious_incident_report", time.Date(2025, 11, 4, 14, 0, 0, 0, berlin)},
		{"death", Assessment{SeriousIncident: true, DeathOrSeriousDeterioration: true}, "death_or_deterioration_report", time.Date(2025, 10, 30, 14, 0, 0, 0, berlin)},
		{"public health threat", Assessment{DeathOrSeriousDeterioration: true, SeriousPublicHealthThreat: true}, "public_health_threat_report", time.Date(2025, 10, 22, 14, 0, 0, 0, berlin)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := Obligations(newIncident(aware, "Europe/Berlin"), "supplier", tt.a, nil, DefaultRegimes(), aware)
			applicable := 0
			for _, o := range obs {
				if o.Regime == "mdr" && o.Status != ObligationNotApplicable {
					applicable++
					if o.Stage != tt.stage {
						t.Errorf("stage %s applies, want only %s", o.Stage, tt.stage)
					}
					wantDue(t, o, tt.due)
				}
			}
			if applicable != 1 {
				t.Errorf("%d MDR stages apply, want 1", applicable)
			}
			for _, o := range Obligations(newIncident(aware, "Europe/Berlin"), "member", tt.a, nil, DefaultRegimes(), aware) {
				if o.Regime == "mdr" && o.Status != ObligationNotApplicable {
					t.Errorf("member org: MDR %s is %s", o.Stage, o.Status)
				}
			}
		})
	}
}

func TestOffsetAdd(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	tests := []struct {
		name string
		off  string
		from time.Time
		want time.Time
	}{
		{"31 Jan + 1 month", "1 month", time.Date(2025, 1, 31, 12, 0, 0, 0, berlin), time.Date(2025, 2, 28, 12, 0, 0, 0, berlin)},
		{"31 Jan leap + 1 month", "1 month", time.Date(2028, 1, 31, 12, 0, 0, 0, berlin), time.Date(2028, 2, 29, 12, 0, 0, 0, berlin)},
		{"30 Nov + 3 months", "3 months", time.Date(2025, 11, 30, 8, 0, 0, 0, berlin), time.Date(2026, 2, 28, 8, 0, 0, 0, berlin)},
		{"31 Dec + 1 month", "1 month", time.Date(2025, 12, 31, 8, 0, 0, 0, berlin), time.Date(2026, 1, 31, 8, 0, 0, 0, berlin)},
		// 28 Feb 23:30 UTC is already 1 March in Berlin: a month later is 1 April
		// there (31 March 22:30 UTC), where UTC arithmetic would say 28 March.
		{"month counted in zone, not UTC", "1 month", time.Date(2025, 2, 28, 23, 30, 0, 0, time.UTC), time.Date(2025, 4, 1, 0, 30, 0, 0, berlin)},
		{"24h over spring DST", "24h", time.Date(2025, 3, 29, 12, 0, 0, 0, berlin), time.Date(2025, 3, 30, 13, 0, 0, 0, berlin)},
		{"1 day over spring DST keeps wall clock", "1 day", time.Date(2025, 3, 29, 12, 0, 0, 0, berlin), time.Date(2025, 3, 30, 12, 0, 0, 0, berlin)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := ParseOffset(tt.off)
			if err != nil {
				t.Fatal(err)
			}
			if got := o.Add(tt.from, berlin); !got.Equal(tt.want) {
				t.Errorf("%s + %s = %s, want %s", tt.from, tt.off, got, tt.want)
			}
		})
	}
}

func TestObligationJSON(t *testing.T) {
	aware := time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)
	obs := Obligations(newIncident(aware, ""), "member", significant(), nil, DefaultRegimes(), aware)
	b, err := json.Marshal(obs)
	if err != nil {
		t.Fatal(err)
	}
	var back []Obligation
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != len(obs) || back[0].Regime != obs[0].Regime || !back[0].DueAt.Equal(*obs[0].DueAt) || back[0].Status != obs[0].Status {
		t.Errorf("round trip changed obligations:\n%s", b)
	}
}

func BenchmarkObligations(b *testing.B) {
	berlin := mustLoc(b, "Europe/Berlin")
	aware := time.Date(2025, 3, 28, 22, 0, 0, 0, berlin)
	in := newIncident(aware, "Europe/Berlin")
	a := Assessment{SevereOperationalDisruption: true, PersonalDataBreach: true, HighRisk: true}
	regimes := DefaultRegimes()
	prev := Obligations(in, "member", a, nil, regimes, aware)
	ew := find(b, prev, "nis2", "early_warning")
	_ = Submit(&ew, aware.Add(time.Hour), []byte(`{}`), "")
	prev = []Obligation{ew}
	now := aware.Add(30 * time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		_ = Obligations(in, "member", a, prev, regimes, now)
	}
}
