package incident

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
)

func TestDefaultRegimes(t *testing.T) {
	r := DefaultRegimes()
	want := map[string][]string{
		"nis2": {"early_warning", "notification", "intermediate_report", "final_report"},
		"gdpr": {"notification", "data_subject_communication"},
		"mdr":  {"public_health_threat_report", "death_or_deterioration_report", "serious_incident_report"},
	}
	if len(r.Regimes) != len(want) {
		t.Fatalf("%d regimes, want %d", len(r.Regimes), len(want))
	}
	for _, rg := range r.Regimes {
		var got []string
		for _, s := range rg.Stages {
			got = append(got, s.Name)
			if s.Article == "" || s.Title == "" {
				t.Errorf("%s/%s: missing article or title", rg.ID, s.Name)
			}
		}
		if !reflect.DeepEqual(got, want[rg.ID]) {
			t.Errorf("%s stages %v, want %v", rg.ID, got, want[rg.ID])
		}
	}
}

func TestLoadRegimesErrors(t *testing.T) {
	stage := func(s string) string {
		return `{"version":1,"regimes":[{"id":"nis2","name":"x","stages":[` + s + `]}]}`
	}
	ok := `{"stage":"a","title":"A","article":"1","from":["aware_at"],"offset":"24h"}`
	tests := []struct {
		name, data, want string
	}{
		{"not JSON", `{`, "regimes"},
		{"unknown field", stage(`{"stage":"a","form":["aware_at"],"offset":"24h"}`), "form"},
		{"version", `{"version":2,"regimes":[]}`, "version 2"},
		{"no regime", `{"version":1,"regimes":[]}`, "no regime"},
		{"duplicate regime", `{"version":1,"regimes":[{"id":"a","stages":[` + ok + `]},{"id":"a","stages":[` + ok + `]}]}`, `"a"`},
		{"bad offset unit", stage(`{"stage":"a","from":["aware_at"],"offset":"3 weeks"}`), "unit"},
		{"bad offset number", stage(`{"stage":"a","from":["aware_at"],"offset":"soon"}`), "offset"},
		{"unknown event", stage(`{"stage":"a","from":["awareness"],"offset":"24h"}`), `stage "a": from: unknown event "awareness"`},
		{"forward stage reference", stage(`{"stage":"a","from":["b.submitted_at"],"offset":"24h"},{"stage":"b","from":["aware_at"],"offset":"1h"}`), `unknown event "b.submitted_at"`},
		{"unknown flag", stage(`{"stage":"a","applies_when":{"all":["signficant"]},"from":["aware_at"],"offset":"24h"}`), `unknown flag "signficant"`},
		{"unknown org kind", stage(`{"stage":"a","applies_when":{"org_kinds":["hospital"]},"from":["aware_at"],"offset":"24h"}`), `unknown kind "hospital"`},
		{"from without offset", stage(`{"stage":"a","from":["aware_at"]}`), "from and offset go together"},
		{"no deadline at all", stage(`{"stage":"a"}`), "deadline"},
		{"duplicate stage", stage(ok + `,` + ok), "duplicate"},
		{"if_ongoing without from", stage(`{"stage":"a","from":["aware_at"],"offset":"1 month","if_ongoing":{"stage":"p","offset":"1 month"}}`), "if_ongoing"},
		{"trailing data", stage(ok) + `{}`, "trailing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadRegimes([]byte(tt.data))
			if err == nil {
				t.Fatal("accepted")
			}
			if aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q (code %s), want EINVALID containing %q", err, aceso.ErrorCode(err), tt.want)
			}
		})
	}
}

// TestRegimeOverride: a deployment replaces the embedded regimes with its
// own file (here a national rule with a 12 h early warning) and the clocks
// follow the data.
func TestRegimeOverride(t *testing.T) {
	data := []byte(`{"version":1,"regimes":[{"id":"nis2","name":"national transposition","stages":[
	  {"stage":"early_warning","title":"Early warning","article":"§ 32(1)","applies_when":{"org_kinds":["member"],"all":["significant"]},"from":["aware_at"],"offset":"12h"}]}]}`)
	r, err := LoadRegimes(data)
	if err != nil {
		t.Fatal(err)
	}
	aware := time.Date(2025, 9, 1, 6, 0, 0, 0, time.UTC)
	obs := Obligations(newIncident(aware, ""), "member", significant(), nil, r, aware)
	if len(obs) != 1 {
		t.Fatalf("%d obligations, want 1: %+v", len(obs), obs)
	}
	wantDue(t, obs[0], aware.Add(12*time.Hour))
}

func TestParseOffset(t *testing.T) {
	tests := []struct {
		in   string
		want Offset
		str  string
	}{
		{"24h", Offset{24, Hours}, "24h"},
		{"72 hours", Offset{72, Hours}, "72h"},
		{"0h", Offset{0, Hours}, "0h"},
		{"15d", Offset{15, Days}, "15 days"},
		{"1 day", Offset{1, Days}, "1 day"},
		{" 1 Month ", Offset{1, Months}, "1 month"},
		{"2 months", Offset{2, Months}, "2 months"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseOffset(tt.in)
			if err != nil || got != tt.want || got.String() != tt.str {
				t.Errorf("ParseOffset(%q) = %+v %q, %v; want %+v %q", tt.in, got, got.String(), err, tt.want, tt.str)
			}
		})
	}
	for _, bad := range []string{"", "h", "-1h", "1 week", "1.5h", "9999999h", "24"} {
		if _, err := ParseOffset(bad); err == nil {
			t.Errorf("ParseOffset(%q) accepted", bad)
		}
	}
}

func TestAssessmentValidate(t *testing.T) {
	tests := []struct {
		name  string
		a     Assessment
		field string
	}{
		{"ok", Assessment{PersonalDataBreach: true, HighRisk: true}, ""},
		{"risk unlikely needs reason", Assessment{RiskUnlikely: true}, "risk_unlikely_reason"},
		{"unknown exemption", Assessment{Art34Exemption: "because", Art34ExemptionReason: "x"}, "art34_exemption"},
		{"exemption needs reason", Assessment{Art34Exemption: Art34Mitigated}, "art34_exemption_reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(aceso.ErrorMessage(err), tt.field+":") {
				t.Errorf("error %v, want one naming %s", err, tt.field)
			}
		})
	}
}

// FuzzLoadRegimes: any input either fails cleanly or loads into regimes that
// survive a marshal/load round trip unchanged and can be evaluated.
func FuzzLoadRegimes(f *testing.F) {
	f.Add(regimesJSON)
	f.Add([]byte(`{"version":1,"regimes":[{"id":"x","stages":[{"stage":"a","deadline":"asap"}]}]}`))
	f.Add([]byte(`{"version":1,"regimes":[{"id":"x","stages":[{"stage":"a","from":["aware_at"],"offset":"1 month","if_ongoing":{"stage":"p","from":["handled_at"],"offset":"2 days"}}]}]}`))
	f.Add([]byte(`{"version":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := LoadRegimes(data)
		if err != nil {
			if aceso.ErrorCode(err) != aceso.EINVALID {
				t.Fatalf("error code %s: %v", aceso.ErrorCode(err), err)
			}
			return
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := LoadRegimes(b)
		if err != nil {
			t.Fatalf("reload of %s: %v", b, err)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip changed regimes:\n%+v\n%+v", r, r2)
		}
		aware := time.Date(2025, 1, 31, 12, 0, 0, 0, time.UTC)
		obs := Obligations(newIncident(aware, ""), "member", Assessment{SevereOperationalDisruption: true, PersonalDataBreach: true}, nil, r, aware)
		stages := 0
		for _, rg := range r.Regimes {
			stages += len(rg.Stages)
		}
		if len(obs) < stages {
			t.Fatalf("%d obligations for %d stages", len(obs), stages)
		}
	})
}
