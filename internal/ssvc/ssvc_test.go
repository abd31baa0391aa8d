package ssvc

import (
	"strings"
	"testing"

	"github.com/aceso-health/aceso/internal/inventory"
)

// deployerCSV is the CERT/CC SSVC deployer table as published in
// data/csv/ssvc/deployer_patch_application_priority_1_0_0.csv, kept verbatim
// in its CSV form so the test checks the Go table against the source, not
// against itself.
const deployerCSV = `0,none,small,no,low,defer
1,none,small,no,medium,defer
2,none,small,no,high,scheduled
3,none,small,no,very high,scheduled
4,none,small,yes,low,defer
5,none,small,yes,medium,scheduled
6,none,small,yes,high,scheduled
7,none,small,yes,very high,scheduled
8,none,controlled,no,low,defer
9,none,controlled,no,medium,scheduled
10,none,controlled,no,high,scheduled
11,none,controlled,no,very high,scheduled
12,none,controlled,yes,low,scheduled
13,none,controlled,yes,medium,scheduled
14,none,controlled,yes,high,scheduled
15,none,controlled,yes,very high,scheduled
16,none,open,no,low,defer
17,none,open,no,medium,scheduled
18,none,open,no,high,scheduled
19,none,open,no,very high,scheduled
20,none,open,yes,low,scheduled
21,none,open,yes,medium,scheduled
22,none,open,yes,high,scheduled
23,none,open,yes,very high,out-of-cycle
24,public poc,small,no,low,defer
25,public poc,small,no,medium,scheduled
26,public poc,small,no,high,scheduled
27,public poc,small,no,very high,scheduled
28,public poc,small,yes,low,scheduled
29,public poc,small,yes,medium,scheduled
30,public poc,small,yes,high,scheduled
31,public poc,small,yes,very high,scheduled
32,public poc,controlled,no,low,defer
33,public poc,controlled,no,medium,scheduled
34,public poc,controlled,no,high,scheduled
35,public poc,controlled,no,very high,scheduled
36,public poc,controlled,yes,low,scheduled
37,public poc,controlled,yes,medium,scheduled
38,public poc,controlled,yes,high,scheduled
39,public poc,controlled,yes,very high,out-of-cycle
40,public poc,open,no,low,scheduled
41,public poc,open,no,medium,scheduled
42,public poc,open,no,high,scheduled
43,public poc,open,no,very high,out-of-cycle
44,public poc,open,yes,low,scheduled
45,public poc,open,yes,medium,scheduled
46,public poc,open,yes,high,out-of-cycle
47,public poc,open,yes,very high,out-of-cycle
48,active,small,no,low,scheduled
49,active,small,no,medium,scheduled
50,active,small,no,high,out-of-cycle
51,active,small,no,very high,out-of-cycle
52,active,small,yes,low,scheduled
53,active,small,yes,medium,out-of-cycle
54,active,small,yes,high,out-of-cycle
55,active,small,yes,very high,out-of-cycle
56,active,controlled,no,low,scheduled
57,active,controlled,no,medium,scheduled
58,active,controlled,no,high,out-of-cycle
59,active,controlled,no,very high,out-of-cycle
60,active,controlled,yes,low,out-of-cycle
61,active,controlled,yes,medium,out-of-cycle
62,active,controlled,yes,high,out-of-cycle
63,active,controlled,yes,very high,out-of-cycle
64,active,open,no,low,scheduled
65,active,open,no,medium,out-of-cycle
66,active,open,no,high,out-of-cycle
67,active,open,no,very high,immediate
68,active,open,yes,low,out-of-cycle
69,active,open,yes,medium,out-of-cycle
70,active,open,yes,high,immediate
71,active,open,yes,very high,immediate`

// humanCSV is data/csv/ssvc/human_impact_1_0_0.csv of CERT/CC SSVC.
const humanCSV = `negligible,degraded,low
negligible,mef support crippled,low
negligible,mef failure,medium
negligible,mission failure,very high
marginal,degraded,low
marginal,mef support crippled,low
marginal,mef failure,medium
marginal,mission failure,very high
critical,degraded,medium
critical,mef support crippled,high
critical,mef failure,high
critical,mission failure,very high
catastrophic,degraded,very high
catastrophic,mef support crippled,very high
catastrophic,mef failure,very high
catastrophic,mission failure,very high`

func TestDecideDeployerTable(t *testing.T) {
	rows := strings.Split(deployerCSV, "\n")
	if len(rows) != 72 {
		t.Fatalf("table has %d rows, want 72", len(rows))
	}
	seen := map[string]bool{}
	for _, row := range rows {
		f := strings.Split(row, ",")
		name := "row " + f[0] + " " + strings.Join(f[1:5], "/")
		t.Run(name, func(t *testing.T) {
			in := Inputs{Exploitation: Exploitation(f[1]), Exposure: Exposure(f[2]),
				Automatable: Automatable(f[3]), Human: HumanImpact(f[4])}
			got := Decide(in)
			if !strings.EqualFold(string(got.Decision), f[5]) {
				t.Errorf("Decide(%+v) = %s, want %s", in, got.Decision, f[5])
			}
			if !strings.Contains(got.Why, string(got.Decision)) || !strings.Contains(got.Why, f[4]) {
				t.Errorf("Why %q does not name the inputs and decision", got.Why)
			}
		})
		seen[strings.Join(f[1:5], "/")] = true
	}
	if len(seen) != 72 {
		t.Errorf("table covers %d distinct combinations, want 72", len(seen))
	}
}

func TestHumanImpactTable(t *testing.T) {
	for _, row := range strings.Split(humanCSV, "\n") {
		f := strings.Split(row, ",")
		t.Run(f[0]+"/"+f[1], func(t *testing.T) {
			got, ok := HumanImpactFor(inventory.SafetyImpact(f[0]), f[1])
			if !ok || string(got) != f[2] {
				t.Errorf("HumanImpactFor(%s, %s) = %q, %v; want %q", f[0], f[1], got, ok, f[2])
			}
			// Decide derives the same human impact when Human is empty.
			res := Decide(Inputs{Exploitation: "none", Exposure: "small", Automatable: "no",
				SafetyImpact: inventory.SafetyImpact(f[0]), MissionImpact: f[1]})
			if string(res.Inputs.Human) != f[2] {
				t.Errorf("Decide derived human %q, want %q", res.Inputs.Human, f[2])
			}
		})
	}
	if _, ok := HumanImpactFor("bogus", MissionFailure); ok {
		t.Error("unknown safety accepted")
	}
	if _, ok := HumanImpactFor(inventory.SafetyCritical, "bogus"); ok {
		t.Error("unknown mission accepted")
	}
}

func TestDecideDefaults(t *testing.T) {
	tests := []struct {
		name     string
		in       Inputs
		want     Decision
		human    HumanImpact
		whyParts []string
	}{
		{name: "all empty: none/controlled/no, critical × MEF support crippled = high",
			in: Inputs{}, want: Scheduled, human: HumanHigh,
			whyParts: []string{"default: no evidence", "default: network zone unknown", "default: no CVSS", "safety impact not set", "mission impact not set"}},
		{name: "bogus values are named in Why",
			in:   Inputs{Exploitation: "maybe", Exposure: "wide", Automatable: "perhaps", Human: "extreme"},
			want: Scheduled, human: HumanHigh,
			whyParts: []string{`"maybe" is not an SSVC value`, `"wide" is not`, `"perhaps" is not`}},
		{name: "sources are kept",
			in: Inputs{Exploitation: "active", ExploitationFrom: "CISA KEV CVE-2020-1", Exposure: "open", ExposureFrom: "zone internet-exposed",
				Automatable: "yes", AutomatableFrom: "CVSS AV:N", SafetyImpact: inventory.SafetyCatastrophic, SafetyFrom: "device", MissionImpact: "MEF failure"},
			want: Immediate, human: HumanVeryHigh,
			whyParts: []string{"CISA KEV CVE-2020-1", "zone internet-exposed", "CVSS AV:N", "catastrophic from device"}},
		{name: "PoC spellings", in: Inputs{Exploitation: "Public PoC", Exposure: "open", Automatable: "yes", Human: "high"},
			want: OutOfCycle, human: HumanHigh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.in)
			if got.Decision != tt.want || got.Inputs.Human != tt.human {
				t.Errorf("Decide = %s/%s, want %s/%s (%s)", got.Decision, got.Inputs.Human, tt.want, tt.human, got.Why)
			}
			for _, p := range tt.whyParts {
				if !strings.Contains(got.Why, p) {
					t.Errorf("Why %q lacks %q", got.Why, p)
				}
			}
		})
	}
}

func TestExposureForZone(t *testing.T) {
	tests := []struct {
		name string
		zone inventory.Zone
		want Exposure
	}{
		{"isolated", inventory.ZoneIsolated, ExposureSmall},
		{"clinical segment", inventory.ZoneClinicalSegment, ExposureControlled},
		{"hospital lan", inventory.ZoneHospitalLAN, ExposureControlled},
		{"remote access", inventory.ZoneRemoteAccess, ExposureOpen},
		{"internet", inventory.ZoneInternetExposed, ExposureOpen},
		{"unknown", inventory.ZoneUnknown, ExposureControlled},
		{"garbage", inventory.Zone("moon"), ExposureControlled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExposureForZone(tt.zone); got != tt.want {
				t.Errorf("ExposureForZone(%q) = %s, want %s", tt.zone, got, tt.want)
			}
			_, from := ExposureSource(tt.zone)
			if isDefault := strings.HasPrefix(from, "default"); isDefault != (tt.name == "unknown" || tt.name == "garbage") {
				t.Errorf("source %q: default flag wrong", from)
			}
		})
	}
}

func TestAutomatableFromCVSS(t *testing.T) {
	tests := []struct {
		name   string
		vector string
		want   Automatable
	}{
		{"3.1 network no priv no ui", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", AutomatableYes},
		{"3.0 network no priv no ui", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", AutomatableYes},
		{"3.1 adjacent", "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", AutomatableNo},
		{"3.1 privileges", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", AutomatableNo},
		{"3.1 user interaction", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", AutomatableNo},
		{"3.1 high complexity", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", AutomatableNo},
		{"4.0 network", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", AutomatableYes},
		{"4.0 attack requirements", "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", AutomatableNo},
		{"4.0 passive ui", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", AutomatableNo},
		{"4.0 AU:Y supplemental", "CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/AU:Y", AutomatableYes},
		{"4.0 AU:N supplemental", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/AU:N", AutomatableNo},
		{"2.0", "AV:N/AC:L/Au:N/C:P/I:P/A:P", AutomatableYes},
		{"2.0 auth", "AV:N/AC:L/Au:S/C:P/I:P/A:P", AutomatableNo},
		{"empty", "", AutomatableNo},
		{"garbage", "hello/world", AutomatableNo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AutomatableFromCVSS(tt.vector); got != tt.want {
				t.Errorf("AutomatableFromCVSS(%q) = %s, want %s", tt.vector, got, tt.want)
			}
		})
	}
}

func TestMissionImpactFor(t *testing.T) {
	tests := []struct {
		name string
		f    inventory.ClinicalFunction
		want string
		// human impact with the function's default safety, checks the combination is sensible
		human HumanImpact
	}{
		{"life support", inventory.FunctionLifeSupport, MissionMEFFailure, HumanVeryHigh},
		{"therapy", inventory.FunctionTherapy, MissionMEFFailure, HumanHigh},
		{"monitoring", inventory.FunctionMonitoring, MissionMEFFailure, HumanHigh},
		{"imaging", inventory.FunctionDiagnosticImaging, MissionMEFSupportCrippled, HumanLow},
		{"laboratory", inventory.FunctionLaboratory, MissionMEFSupportCrippled, HumanLow},
		{"clinical it", inventory.FunctionClinicalIT, MissionMEFSupportCrippled, HumanLow},
		{"non clinical", inventory.FunctionNonClinical, MissionDegraded, HumanLow},
		{"unknown", inventory.FunctionUnknown, MissionMEFSupportCrippled, HumanHigh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MissionImpactFor(tt.f); got != tt.want {
				t.Errorf("MissionImpactFor(%q) = %q, want %q", tt.f, got, tt.want)
			}
			d := inventory.Device{ClinicalFunction: tt.f}
			in := ForDevice(&d)
			in.Exploitation, in.Automatable = ExploitationNone, AutomatableNo
			if got := Decide(in).Inputs.Human; got != tt.human {
				t.Errorf("human impact for %q device = %s, want %s", tt.f, got, tt.human)
			}
		})
	}
}

func TestForDeviceOwnerSafetyWins(t *testing.T) {
	d := inventory.Device{ClinicalFunction: inventory.FunctionNonClinical, SafetyImpact: inventory.SafetyCatastrophic,
		Zone: inventory.ZoneInternetExposed}
	in := ForDevice(&d)
	in.Exploitation, in.Automatable = ExploitationActive, AutomatableYes
	r := Decide(in)
	if r.Decision != Immediate || r.Inputs.Exposure != ExposureOpen || !strings.Contains(r.Why, "device safety impact") {
		t.Errorf("got %s: %s", r.Decision, r.Why)
	}
}

func TestDecisionRank(t *testing.T) {
	order := []Decision{Defer, Scheduled, OutOfCycle, Immediate}
	for i, d := range order {
		if d.Rank() != i {
			t.Errorf("%s.Rank() = %d, want %d", d, d.Rank(), i)
		}
	}
	if Decision("x").Rank() != -1 {
		t.Error("unknown decision ranked")
	}
}

func FuzzAutomatableFromCVSS(f *testing.F) {
	for _, s := range []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/AU:Y",
		"AV:N/AC:L/Au:N/C:P/I:P/A:P", "", "::/::", "CVSS:3.1/AV:L"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got := AutomatableFromCVSS(v)
		if got != AutomatableYes && got != AutomatableNo {
			t.Fatalf("AutomatableFromCVSS(%q) = %q", v, got)
		}
		// "yes" needs network attack vector evidence or an explicit AU:Y.
		up := strings.ToUpper(strings.ReplaceAll(v, " ", ""))
		if got == AutomatableYes && !strings.Contains(up, "AV:N") && !strings.Contains(up, "AU:Y") {
			t.Fatalf("yes without AV:N or AU:Y: %q", v)
		}
		// Decide never panics and always yields a known decision for any input.
		if r := Decide(Inputs{Exploitation: Exploitation(v), Exposure: Exposure(v), Automatable: got, Human: HumanImpact(v)}); r.Decision.Rank() < 0 {
			t.Fatalf("Decide gave %q", r.Decision)
		}
	})
}
