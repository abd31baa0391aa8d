package incident

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
)

// validIncident is a fully filled ransomware incident at a hospital.
func validIncident(tb testing.TB) *Incident {
	tb.Helper()
	aware := time.Date(2025, 3, 29, 10, 0, 0, 0, time.UTC)
	due := aware.Add(48 * time.Hour)
	in := &Incident{
		ID: 1, OrgID: 2, Title: "Ransomware encrypts PACS archive", Description: "LockBit note found on PACS server.",
		DetectedAt: aware.Add(-2 * time.Hour), AwareAt: aware, TimeZone: "Europe/Berlin", Reporter: "soc@klinikum.example",
		Status:             StatusContainment,
		Classification:     Classification{"information-content-security", "unauthorised-information-modification"},
		Severity:           SeverityCritical,
		SuspectedMalicious: Yes, CrossBorder: Unknown,
		ImpactOnCare:  ImpactOnCare{ServicesAffected: []string{"radiology", "emergency"}, AmbulanceDiversion: true, PostponedProcedures: 14, DurationMinutes: 1980},
		PatientSafety: SafetyPotential,
		PersonalData:  &PersonalDataBreach{DataCategories: []string{"health data"}, SubjectCategories: []string{"patients"}, ApproxSubjects: 12000, ApproxRecords: 48000},
		RootCause:     "VPN account without MFA", Mitigation: "Isolated PACS VLAN; restoring from offline backup.",
		ContactPoint: "DPO, dpo@klinikum.example, +49 30 1234",
		DeviceIDs:    []int64{11, 12},
		TLP:          TLPAmber,
		Observables:  []Observable{{Kind: "ip", Value: "203.0.113.5"}, {Kind: "sha256", Value: strings.Repeat("ab", 32)}},
		Tasks:        []Task{{ID: 1, Title: "Reset VPN credentials", Assignee: "bob", Due: &due, Status: TaskInProgress}},
		Comments:     []Comment{{ID: 1, At: aware, Author: "alice", Text: "CSIRT informed by phone"}},
	}
	in.AppendTimeline(aware, "alice", "note", "incident declared")
	return in
}

func TestValidate(t *testing.T) {
	if err := validIncident(t).Validate(); err != nil {
		t.Fatalf("valid incident rejected: %v", err)
	}
	tests := []struct {
		name  string
		edit  func(*Incident)
		field string
	}{
		{"no title", func(in *Incident) { in.Title = "  " }, "title"},
		{"long title", func(in *Incident) { in.Title = strings.Repeat("x", 201) }, "title"},
		{"no org", func(in *Incident) { in.OrgID = 0 }, "org_id"},
		{"no aware_at", func(in *Incident) { in.AwareAt = time.Time{} }, "aware_at"},
		{"detected after aware", func(in *Incident) { in.DetectedAt = in.AwareAt.Add(time.Minute) }, "detected_at"},
		{"handled before aware", func(in *Incident) { h := in.AwareAt.Add(-time.Hour); in.HandledAt = &h }, "handled_at"},
		{"bad zone", func(in *Incident) { in.TimeZone = "Europe/Atlantis" }, "time_zone"},
		{"bad status", func(in *Incident) { in.Status = "done" }, "status"},
		{"closed without outcome", func(in *Incident) { in.Status = StatusClosed }, "outcome"},
		{"outcome while open", func(in *Incident) { in.Outcome = OutcomeResolved }, "outcome"},
		{"bad classification", func(in *Incident) { in.Classification.Type = "ransomware" }, "classification.type"},
		{"bad severity", func(in *Incident) { in.Severity = "urgent" }, "severity"},
		{"bad suspected_malicious", func(in *Incident) { in.SuspectedMalicious = "maybe" }, "suspected_malicious"},
		{"bad cross_border", func(in *Incident) { in.CrossBorder = "true" }, "cross_border"},
		{"bad patient_safety", func(in *Incident) { in.PatientSafety = "death" }, "patient_safety"},
		{"bad tlp", func(in *Incident) { in.TLP = "TLP:WHITE" }, "tlp"},
		{"negative procedures", func(in *Incident) { in.ImpactOnCare.PostponedProcedures = -1 }, "impact_on_care.postponed_procedures"},
		{"negative subjects", func(in *Incident) { in.PersonalData.ApproxSubjects = -5 }, "personal_data.approx_subjects"},
		{"bad device id", func(in *Incident) { in.DeviceIDs = append(in.DeviceIDs, 0) }, "device_ids[2]"},
		{"bad observable", func(in *Incident) { in.Observables[1].Value = "xyz" }, "observables[1]"},
		{"unnormalised observable", func(in *Incident) { in.Observables[0] = Observable{Kind: "domain", Value: "Evil.Example"} }, "observables[0].value"},
		{"task without title", func(in *Incident) { in.Tasks[0].Title = "" }, "tasks[0].title"},
		{"bad task status", func(in *Incident) { in.Tasks[0].Status = "blocked" }, "tasks[0].status"},
		{"timeline edited", func(in *Incident) { in.Timeline[0].Seq = 5 }, "timeline[0].seq"},
		{"empty comment", func(in *Incident) { in.Comments[0].Text = "" }, "comments[0].text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validIncident(t)
			tt.edit(in)
			err := in.Validate()
			if err == nil {
				t.Fatal("accepted")
			}
			if aceso.ErrorCode(err) != aceso.EINVALID || !strings.HasPrefix(aceso.ErrorMessage(err), tt.field) {
				t.Errorf("error %q, want EINVALID starting with %q", aceso.ErrorMessage(err), tt.field)
			}
		})
	}
}

// TestIncidentJSON: the store persists the record as it is, so JSON must
// round-trip without loss.
func TestIncidentJSON(t *testing.T) {
	in := validIncident(t)
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var back Incident
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*in, back) {
		t.Errorf("round trip differs:\n%+v\n%+v", *in, back)
	}
}

func TestAppendTimeline(t *testing.T) {
	in := &Incident{}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= 3; i++ {
		e := in.AppendTimeline(at, "a", "note", "n")
		if e.Seq != i || len(in.Timeline) != i {
			t.Fatalf("entry %d got seq %d, len %d", i, e.Seq, len(in.Timeline))
		}
	}
}
