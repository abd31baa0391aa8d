package incident

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestReportContent checks that each stage's report carries every content
// point of its article, in order, pre-filled from the incident.
func TestReportContent(t *testing.T) {
	tests := []struct {
		regime, stage string
		refs          []string
		prefilled     map[string]string // key → substring the value must contain
	}{
		{"nis2", "early_warning", []string{"Art. 23(4)(a)", "Art. 23(4)(a)"},
			map[string]string{"suspected_malicious": "yes", "cross_border": "unknown"}},
		{"nis2", "notification", []string{"Art. 23(4)(b)", "Art. 23(4)(b)", "Art. 23(4)(b)", "Art. 23(4)(b)", "Art. 23(4)(b)"},
			map[string]string{"severity": "critical", "impact": "Ambulances diverted", "indicators_of_compromise": "ip: 203.0.113.5", "initial_assessment": "Unauthorised modification of information"}},
		{"nis2", "intermediate_report", []string{"Art. 23(4)(c)"}, map[string]string{"status_update": "incident declared"}},
		{"nis2", "final_report", []string{"Art. 23(4)(d)(i)", "Art. 23(4)(d)(ii)", "Art. 23(4)(d)(iii)", "Art. 23(4)(d)(iv)"},
			map[string]string{"description": "LockBit", "root_cause": "VPN account without MFA", "mitigation": "offline backup"}},
		{"nis2", "progress_report", []string{"Art. 23(4)(e)", "Art. 23(4)(e)"}, map[string]string{"progress": "containment"}},
		{"gdpr", "notification", []string{"Art. 33(3)(a)", "Art. 33(3)(a)", "Art. 33(3)(a)", "Art. 33(3)(a)", "Art. 33(3)(a)", "Art. 33(3)(b)", "Art. 33(3)(c)", "Art. 33(3)(d)"},
			map[string]string{"approx_subjects": "12000", "approx_records": "48000", "data_categories": "health data", "subject_categories": "patients", "contact_point": "dpo@"}},
		{"gdpr", "data_subject_communication", []string{"Art. 34(2)", "Art. 34(2), 33(3)(b)", "Art. 34(2), 33(3)(c)", "Art. 34(2), 33(3)(d)"}, nil},
		{"mdr", "serious_incident_report", []string{"Art. 87(1)", "Art. 87(1)", "Art. 87(1)", "Art. 87(1)"}, map[string]string{"devices": "11, 12"}},
	}
	for _, tt := range tests {
		t.Run(tt.regime+"/"+tt.stage, func(t *testing.T) {
			in := validIncident(t)
			d := Report(in, Obligation{Regime: tt.regime, Stage: tt.stage, Status: ObligationPending})
			var refs []string
			for _, it := range d.Items {
				refs = append(refs, it.Ref)
				if it.Label == "" || it.Key == "" {
					t.Errorf("item without key or label: %+v", it)
				}
			}
			if !reflect.DeepEqual(refs, tt.refs) {
				t.Errorf("refs %v, want %v", refs, tt.refs)
			}
			for k, want := range tt.prefilled {
				it, ok := d.Item(k)
				if !ok || !strings.Contains(it.Value, want) || it.Missing {
					t.Errorf("item %s = %+v, want value containing %q", k, it, want)
				}
			}
			if d.IncidentID != in.ID || d.IncidentTitle != in.Title || !d.AwareAt.Equal(in.AwareAt) {
				t.Errorf("header %+v", d)
			}
		})
	}
}

// TestReportMissing: what the record cannot answer is flagged for the form;
// "where available" items are never flagged.
func TestReportMissing(t *testing.T) {
	in := &Incident{ID: 1, OrgID: 1, Title: "Phishing", AwareAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	d := Report(in, Obligation{Regime: "nis2", Stage: "final_report"})
	missing := map[string]bool{}
	for _, it := range d.Items {
		missing[it.Key] = it.Missing
	}
	want := map[string]bool{"description": true, "root_cause": true, "mitigation": true, "cross_border_impact": false}
	if !reflect.DeepEqual(missing, want) {
		t.Errorf("missing %v, want %v", missing, want)
	}
	ew := Report(in, Obligation{Regime: "nis2", Stage: "notification"})
	if it, _ := ew.Item("indicators_of_compromise"); it.Missing {
		t.Error("IoCs are 'where available' and must not be flagged missing")
	}
}

func TestReportGDPRLate(t *testing.T) {
	in := validIncident(t)
	on := Report(in, Obligation{Regime: "gdpr", Stage: "notification", Status: ObligationPending})
	if _, ok := on.Item("reasons_for_delay"); ok {
		t.Error("on-time notification asks for reasons for delay")
	}
	late := Report(in, Obligation{Regime: "gdpr", Stage: "notification", Status: ObligationLate})
	if it, ok := late.Item("reasons_for_delay"); !ok || !it.Missing || it.Ref != "Art. 33(1)" {
		t.Errorf("late notification: reasons_for_delay %+v %v", it, ok)
	}
	sub := Report(in, Obligation{Regime: "gdpr", Stage: "notification", Status: ObligationSubmitted, LateReason: "forensics"})
	if it, ok := sub.Item("reasons_for_delay"); !ok || it.Value != "forensics" {
		t.Errorf("submitted late: %+v %v", it, ok)
	}
}

func TestReportJSON(t *testing.T) {
	in := validIncident(t)
	obs := Obligations(in, "member", significant(), nil, DefaultRegimes(), in.AwareAt)
	d := Report(in, find(t, obs, "nis2", "early_warning"))
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"regime", "stage", "article", "due_at", "items", "incident_title"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
	items := m["items"].([]any)
	first := items[0].(map[string]any)
	if first["label"] == "" || first["ref"] != "Art. 23(4)(a)" {
		t.Errorf("first item %v", first)
	}
	// The edited report is what Submit stores as snapshot.
	ob := find(t, obs, "nis2", "early_warning")
	if err := Submit(&ob, in.AwareAt.Add(time.Hour), b, ""); err != nil || string(ob.Snapshot) != string(b) {
		t.Errorf("submit report snapshot: %v", err)
	}
}
