package version

import (
	"strings"
	"testing"
)

// probe is one version tested against a constraint with the expected answer.
type probe struct {
	v    string
	want Answer
}

// The constraint strings below are real names of product_version_range and
// product_version branches harvested from CISA's advisories (ICSMA and OT).
func TestContains(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     string
		known  bool
		all    bool
		probes []probe
	}{
		{"vers all", "vers:all/*", true, true, []probe{{"1.0", Yes}, {"VF10.1", Yes}, {"unknown", Yes}}},
		{"vers generic range", "vers:generic/>=1.0|<2.0", true, false, []probe{{"0.9", No}, {"1.0", Yes}, {"1.9.9", Yes}, {"2.0", No}, {"2.0rc1", Yes}}},
		{"vers two ranges", "vers:generic/>=1.0|<2.0|>=3.0|<4.0", true, false, []probe{{"2.5", No}, {"3.5", Yes}, {"4.1", No}}},
		{"vers not equal", "vers:generic/>=1.0|!=1.5", true, false, []probe{{"1.5", No}, {"1.6", Yes}, {"0.5", No}}},
		{"vers semver", "vers:semver/<1.2.3", true, false, []probe{{"1.2.2", Yes}, {"1.2.3-rc1", Yes}, {"1.2.3", No}}},
		{"vers intdot", "vers:intdot/<=9.33.1", true, false, []probe{{"9.33", Yes}, {"9.33.1", Yes}, {"9.34", No}}},
		{"CISA vers:all with a bound", "vers:all/<V1.1", true, false, []probe{{"1.0.9", Yes}, {"V1.1", No}}},
		{"vls <=", "<= 9.33.1", true, false, []probe{{"9.33", Yes}, {"9.33.2", No}, {"9.4", Yes}, {"N/A", Unknown}}},
		{"vls < four parts", "< 7.2.5.7", true, false, []probe{{"7.2.5.6", Yes}, {"7.2.5.7", No}, {"7.2.5", Yes}}},
		{"vls without space", "<=2.3.5", true, false, []probe{{"2.3.5", Yes}, {"2.3.6", No}}},
		{"vls with V", "<=V4.3", true, false, []probe{{"4.3", Yes}, {"V4.2 SP1", Yes}, {"4.3.1", No}}},
		{"vls interval", ">= 4.4 | <= 4.12", true, false, []probe{{"4.3", No}, {"4.4", Yes}, {"4.10", Yes}, {"4.12", Yes}, {"4.13", No}}},
		{"vls comma interval", ">=1.0,<2.0", true, false, []probe{{"1.5", Yes}, {"2.0", No}}},
		{"vls letter suffix", "<= 2.4A", true, false, []probe{{"2.4", Yes}, {"2.3B", Yes}, {"2.4B", No}, {"2.4.1", Unknown}}},
		{"vls HP letter", "< B.06.18", true, false, []probe{{"B.06.17", Yes}, {"B.06.18", No}, {"A.01", Unknown}}},
		{"Philips VM family", "<= VM5.0", true, false, []probe{{"VM4.2", Yes}, {"VM5.1", No}, {"VF5.0", Unknown}, {"5.0", Unknown}}},
		{"revision letters", "<=N", true, false, []probe{{"M", Yes}, {"N", Yes}, {"P", No}}},
		{"one bound per family", "<= U61 |<= L81", true, false, []probe{{"U50", Yes}, {"U62", No}, {"L90", No}, {"2.0", Unknown}}},
		{"service packs", "< V4.7 SP6 HF3", true, false, []probe{{"V4.7 SP6 HF2", Yes}, {"V4.7 SP5", Yes}, {"V4.7 SP6 HF3", No}, {"V4.7 SP7", No}, {"V4.7 HF5", Unknown}}},
		{"update", "All versions < V15.1 Update 5", true, false, []probe{{"V15.1 Upd 4", Yes}, {"V15.1", Yes}, {"V15.1 Update 5", No}}},
		{"list", "620 | 650 | 650c", true, false, []probe{{"650", Yes}, {"650c", Yes}, {"651", No}, {"620c", Unknown}}},
		{"list with and", "V15, V15.1 and V16", true, false, []probe{{"15.1", Yes}, {"16", Yes}, {"17", No}, {"15.2", Unknown}}},
		{"bare version is the line", "4.3", true, false, []probe{{"4.3", Yes}, {"4.3.0", Yes}, {"4.3.1", Unknown}, {"4.4", No}}},
		{"wildcard", "2.X", true, false, []probe{{"2.0", Yes}, {"2.9.1", Yes}, {"3.0", No}, {"1.9", No}}},
		{"wildcard list", "4.X | 5.X", true, false, []probe{{"5.1", Yes}, {"6.0", No}}},
		{"wildcard upper bound", "<= 11.x", true, false, []probe{{"11.9.9", Yes}, {"12.0", No}, {"10", Yes}}},
		{"wildcard lower bound", "2.7 | 3.0.71 | >= 4.0.x | <= 4.6.4 | 4.7.2", true, false, []probe{{"4.0.1", Yes}, {"4.6.5", No}, {"4.7.2", Yes}, {"3.0.72", No}}},
		{"free text and earlier", "Versions 9.33.1 and earlier", true, false, []probe{{"9.33", Yes}, {"9.33.2", No}}},
		{"product name before versions", "Alaris PC Unit Model 8015: Versions 9.33.1 and earlier", true, false, []probe{{"9.19", Yes}, {"12.1", No}}},
		{"and below", "2.3.6 and  below", true, false, []probe{{"2.3.6", Yes}, {"2.4", No}}},
		{"and prior", "SCADA Web Server Version 2.02.0007 and prior", true, false, []probe{{"2.02.0006", Yes}, {"2.02.0008", No}}},
		{"prior to", "All versions prior to V1.5.1", true, false, []probe{{"1.5.0", Yes}, {"1.5.1", No}}},
		{"before", "before 2.4", true, false, []probe{{"2.3", Yes}, {"2.4", No}}},
		{"earlier than", "earlier than 2.4", true, false, []probe{{"2.3", Yes}, {"2.4", No}}},
		{"up to and including", "up to and including 2.4", true, false, []probe{{"2.4", Yes}, {"2.4.1", No}}},
		{"later than", "later than 2.0", true, false, []probe{{"2.0", No}, {"2.0.1", Yes}}},
		{"and later", "2.0 and later", true, false, []probe{{"2.0", Yes}, {"1.9", No}}},
		{"through", "versions 1.0 through 1.5", true, false, []probe{{"1.0", Yes}, {"1.5", Yes}, {"1.6", No}}},
		{"to", "Versions 2.00 to 6.11", true, false, []probe{{"6.11", Yes}, {"6.12", No}, {"1.99", No}}},
		{"dash", "1.0 - 1.5", true, false, []probe{{"1.2", Yes}, {"2.0", No}}},
		{"between including excluding", "All versions between V2.5 (including) and V2.7 (excluding)", true, false, []probe{{"2.5", Yes}, {"2.6.9", Yes}, {"2.7", No}, {"2.4", No}}},
		{"x < y range", "1SAP500900R0101 | 1.91 <= 2.8.0.367", true, false, []probe{{"2.0", Yes}, {"2.9", No}, {"1.90", Unknown}}},
		{"no separator range", "All versions >= V4.0 < V4.0 SP1", true, false, []probe{{"V4.0", Yes}, {"V4.0 SP1", No}}},
		{"series bounds", "<= 4.2.21 | <= 5.0.27 | <= 5.1.19 | <= 6.0.16", true, false, []probe{{"4.2.20", Yes}, {"6.0.17", No}, {"5.0.30", Unknown}}},
		{"note kept", "<= 1.54 (integrated into GE MobileLink)", true, false, []probe{{"1.54", Yes}, {"1.6", Yes}, {"1.55", No}}},
		{"trailing remark", "<=11.2 on Windows 8.1 with IIS 7.5", true, false, []probe{{"11.1", Yes}, {"11.3", No}}},
		{"date constraint", "distributed  < april 1, 2018", true, false, []probe{{"2018-03", Yes}, {"2018-04-02", No}, {"1.0", Unknown}}},
		{"before month", "before April 2018", true, false, []probe{{"2018-03-31", Yes}, {"2018-04", No}, {"2.0", Unknown}}},
		{"date without year", "< august 28", false, false, []probe{{"2018-08-01", Unknown}}},
		{"all versions text", "All versions", true, true, []probe{{"anything 1", Yes}}},
		{"all with condition", "All versions only if web components are used", true, true, []probe{{"1.0", Yes}}},
		{"star", "*", true, true, []probe{{"1.0", Yes}}},
		{"exception list", "<= 9.6 (excluding 9.4.2.6 and 9.5.3.2)", false, false, []probe{{"9.4.2.6", Unknown}, {"9.0", Unknown}}},
		{"hedge", "4.1.1.7662 (and possibly prior versions)", false, false, []probe{{"4.0", Unknown}}},
		{"product name only", "Accu-Chek Inform II", false, false, []probe{{"1.0", Unknown}}},
		{"battery module remark", "v9.x (with Wireless Battery Module >= v22D19 | <= v22D28)", true, false, []probe{{"9.2", Yes}, {"8.1", No}}},
		{"empty", "", false, false, []probe{{"1.0", Unknown}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ParseConstraint(tc.in)
			if c.Known() != tc.known || c.All() != tc.all {
				t.Fatalf("ParseConstraint(%q): Known %v All %v, want %v %v (String %q)", tc.in, c.Known(), c.All(), tc.known, tc.all, c.String())
			}
			for _, p := range tc.probes {
				if got := c.Contains(p.v); got != p.want {
					_, why := c.Explain(p.v)
					t.Errorf("%q.Contains(%q) = %v, want %v (%s)", tc.in, p.v, got, p.want, why)
				}
				if got, _ := c.Explain(p.v); got != p.want {
					t.Errorf("%q.Explain(%q) = %v, want %v", tc.in, p.v, got, p.want)
				}
				if v, ok := Parse(p.v); ok {
					if got := c.ContainsVersion(v); got != p.want {
						t.Errorf("%q.ContainsVersion(%q) = %v, want %v", tc.in, p.v, got, p.want)
					}
				}
			}
		})
	}
}

func TestString(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"vls upper", "<= 9.33.1", "vers:generic/<=9.33.1"},
		{"free text", "Versions 9.33.1 and earlier", "vers:generic/<=9.33.1"},
		{"all", "All versions", "vers:all/*"},
		{"interval", "versions 1.0 through 1.5", "vers:generic/>=1.0|<=1.5"},
		{"spaces are escaped", "< V4.7 SP6", "vers:generic/<V4.7%20SP6"},
		{"wildcards are not vers", "<= 11.x", "<= 11.x"},
		{"unknown keeps input", "  Accu-Chek Inform II ", "Accu-Chek Inform II"},
		{"vers is kept", "vers:generic/>=1.0|<2.0", "vers:generic/>=1.0|<2.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParseConstraint(tc.in).String(); got != tc.want {
				t.Errorf("ParseConstraint(%q).String() = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	for _, tc := range []struct {
		name, in, v string
		want        Answer
		reason      string // substring of the reason
	}{
		{"upper bound", "<= 9.33.1", "9.33", Yes, "9.33 <= 9.33.1"},
		{"all", "vers:all/*", "1.0", Yes, "all versions"},
		{"unparseable version", "< 2.4", "unknown", Unknown, "cannot compare 'unknown' with 'vers:generic/<2.4'"},
		{"outside", "< 2.4", "2.5", No, "2.5 is outside 'vers:generic/<2.4'"},
		{"interval", ">= 4.4 | <= 4.12", "4.5", Yes, "4.5 >= 4.4 and <= 4.12"},
		{"family", "<= VM5.0", "VF5.0", Unknown, "cannot compare 'VF5.0' with '<= VM5.0'"},
		{"series", "<= 4.2.21 | <= 5.0.27", "5.0.1", Unknown, "different release series"},
		{"note", "<= 1.54 (integrated into GE MobileLink)", "1.5", Yes, "note: integrated into GE MobileLink"},
		{"not parsed", "Accu-Chek Inform II", "1.0", Unknown, "cannot parse constraint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, why := ParseConstraint(tc.in).Explain(tc.v)
			if a != tc.want || !strings.Contains(why, tc.reason) {
				t.Errorf("Explain(%q) on %q = %v %q, want %v containing %q", tc.v, tc.in, a, why, tc.want, tc.reason)
			}
		})
	}
}

// TestContainsAllocs guards the hot path of the matching engine.
func TestContainsAllocs(t *testing.T) {
	c := ParseConstraint(">= 4.4 | <= 4.12 | 5.0.x | <= VM5.0")
	for _, v := range []string{"4.10", "V4.7 SP6 HF2", "VM4.1", "5.0.3", "N/A"} {
		if n := testing.AllocsPerRun(100, func() { c.Contains(v) }); n != 0 {
			t.Errorf("Contains(%q) allocates %.0f times, want 0", v, n)
		}
	}
}

var fuzzProbes = []string{"0.9", "1.0", "1.5", "2.0", "2.4A", "4.3.8 SP2 HF1", "9.33.1", "VF10.1", "VM5.0", "12.x", "2018-04", "K", "1.0rc1"}

func FuzzParseConstraint(f *testing.F) {
	for _, s := range []string{"vers:all/*", "vers:generic/>=1.0|<2.0", "<= 2.3.5", ">= 4.4 | <= 4.12", "620 | 650 | 650c",
		"1.2, 1.3 and 1.4", "2.x", "Versions 9.33.1 and earlier", "prior to 2.4", "before April 2018", "1.0 - 1.5",
		"All versions between V2.5 (including) and V2.7 (excluding)", "<= U61 |<= L81", "vers:generic/!=1.0|>=0.5", "*",
		"vers:generic/%20|%7C", "All versions < V4.7 SP6 HF3", "distributed  < april 1, 2018", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := ParseConstraint(s)
		if !c.Known() && c.All() {
			t.Fatalf("%q: All but not Known", s)
		}
		for _, p := range fuzzProbes {
			a := c.Contains(p)
			if b := c.Contains(p); a != b {
				t.Fatalf("%q: Contains(%q) not deterministic: %v then %v", s, p, a, b)
			}
			if e, _ := c.Explain(p); e != a {
				t.Fatalf("%q: Explain(%q) = %v, Contains = %v", s, p, e, a)
			}
			if !c.Known() && a != Unknown {
				t.Fatalf("%q: not Known but Contains(%q) = %v", s, p, a)
			}
			if _, ok := Parse(p); ok && c.All() && a != Yes {
				t.Fatalf("%q: All but Contains(%q) = %v", s, p, a)
			}
		}
		if str := c.String(); strings.HasPrefix(str, "vers:") {
			r := ParseConstraint(str)
			if r.String() != str {
				t.Fatalf("%q: String %q re-parsed gives String %q", s, str, r.String())
			}
			for _, p := range fuzzProbes {
				if a, b := c.Contains(p), r.Contains(p); a != b {
					t.Fatalf("%q: String %q answers %v for %q, original %v", s, str, b, p, a)
				}
			}
		}
	})
}

func FuzzCompare(f *testing.F) {
	for _, p := range [][2]string{{"1.0", "1.0.0"}, {"V4.3.8", "4.3.8 SP2"}, {"VF10.1", "VM5.0"}, {"2.4A", "2.4.1"},
		{"1.0rc1", "1.0"}, {"2018-04", "April 2018"}, {"028U000061", "U61"}, {"14.1.x", "14.1.3"}, {"1.0.a", "1"}} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, okA := Parse(a)
		vb, okB := Parse(b)
		if !okA || !okB {
			return
		}
		if Compare(va, va) != 0 || Compare(vb, vb) != 0 {
			t.Fatalf("not reflexive: %q %q", a, b)
		}
		ab, ba := Compare(va, vb), Compare(vb, va)
		if ab != -ba || ab < -1 || ab > 1 {
			t.Fatalf("Compare(%q, %q) = %d, reverse %d", a, b, ab, ba)
		}
		if _, ok1 := compare(&va, &vb, -1); true {
			if _, ok2 := compare(&vb, &va, -1); ok1 != ok2 {
				t.Fatalf("comparability of %q and %q not symmetric", a, b)
			}
		}
	})
}

func BenchmarkParseConstraint(b *testing.B) {
	in := []string{"vers:all/*", "<= 9.33.1", ">= 4.4 | <= 4.12", "Versions 9.33.1 and earlier", "All versions < V4.7 SP6 HF3",
		"620 | 650 | 650c", "distributed  < april 1, 2018"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ParseConstraint(in[i%len(in)])
	}
}

func BenchmarkContains(b *testing.B) {
	c := ParseConstraint(">= 4.4 | <= 4.12 | 5.0.x | <= VM5.0")
	vs := []string{"4.10", "V4.7 SP6 HF2", "VM4.1", "5.0.3"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.Contains(vs[i%len(vs)])
	}
}

func BenchmarkContainsVersion(b *testing.B) {
	c := ParseConstraint(">= 4.4 | <= 4.12 | 5.0.x | <= VM5.0")
	v := mustParse(b, "V4.7 SP6 HF2")
	b.ReportAllocs()
	for b.Loop() {
		c.ContainsVersion(v)
	}
}
