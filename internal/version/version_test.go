package version

import "testing"

func TestAnswerString(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    Answer
		want string
	}{
		{"zero value is unknown", Answer(0), "unknown"},
		{"no", No, "no"},
		{"yes", Yes, "yes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     string
		ok     bool
		str    string // String(): the input trimmed
		family string
		wild   bool
		date   bool
	}{
		{"leading V", " V4.3.8 ", true, "V4.3.8", "", false, false},
		{"service pack and hotfix", "4.3.8 SP2 HF1", true, "4.3.8 SP2 HF1", "", false, false},
		{"leading R", "R2.2", true, "R2.2", "", false, false},
		{"Ver. prefix", "Ver.2.40", true, "Ver.2.40", "", false, false},
		{"Version word", "Version 4.02C", true, "Version 4.02C", "", false, false},
		{"year.release", "2021.1", true, "2021.1", "", false, false},
		{"Dräger/Philips VF family", "VF10.1", true, "VF10.1", "VF", false, false},
		{"VM family", "VM5.0", true, "VM5.0", "VM", false, false},
		{"product word family", "T4APP 1.0.11", true, "T4APP 1.0.11", "T4APP", false, false},
		{"build code with letter infix", "028U000061", true, "028U000061", "", false, false},
		{"wildcard series", "14.1.x", true, "14.1.x", "", true, false},
		{"star wildcard", "12.*", true, "12.*", "", true, false},
		{"ISO month date", "2018-04", true, "2018-04", "", false, true},
		{"month name date", "April 2018", true, "April 2018", "", false, true},
		{"HP letter major", "B.06.18", true, "B.06.18", "B", false, false},
		{"revision letter", "K", true, "K", "", false, false},
		{"empty", "  ", false, "", "", false, false},
		{"N/A", "N/A", false, "N/A", "", false, false},
		{"unknown", "unknown", false, "unknown", "", false, false},
		{"product name without digits", "Accu-Chek Inform II", false, "Accu-Chek Inform II", "", false, false},
		{"lone wildcard", "*", false, "*", "", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, ok := Parse(tc.in)
			if ok != tc.ok {
				t.Fatalf("Parse(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			}
			if v.String() != tc.str {
				t.Errorf("String() = %q, want %q", v.String(), tc.str)
			}
			if !ok {
				return
			}
			if v.family != tc.family || v.Wildcard() != tc.wild || v.date != tc.date {
				t.Errorf("Parse(%q): family %q wild %v date %v, want %q %v %v", tc.in, v.family, v.wild, v.date, tc.family, tc.wild, tc.date)
			}
		})
	}
}

func mustParse(tb testing.TB, s string) Version {
	tb.Helper()
	v, ok := Parse(s)
	if !ok {
		tb.Fatalf("Parse(%q) failed", s)
	}
	return v
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b string
		want int
		ok   bool // a principled order exists (constraints answer Yes/No)
	}{
		{"numeric not lexical", "9.33", "9.4", 1, true},
		{"prefix V ignored", "V4.3.8", "4.3.8", 0, true},
		{"R prefix ignored", "R2.2", "2.2", 0, true},
		{"trailing zeros", "1.0", "1.0.0", 0, true},
		{"leading zeros", "04.09.00", "4.9", 0, true},
		{"longer is later", "9.33", "9.33.1", -1, true},
		{"service pack after release", "4.3.8", "4.3.8 SP2", -1, true},
		{"hotfix after service pack", "4.3.8 SP2", "4.3.8 SP2 HF1", -1, true},
		{"SP numbers", "V4.8 SP2", "V4.8 SP10", -1, true},
		{"Upd and Update are one word", "V15.1 Upd 4", "V15.1 Update 4", 0, true},
		{"update numbers", "2017 Update 2", "2017 Update 3", -1, true},
		{"build after release", "1.1.3", "1.1.3 Build 10", -1, true},
		{"b123 is a build", "5.0 b123", "5.0 build 123", 0, true},
		{"rc before release", "1.0rc1", "1.0", -1, true},
		{"beta before release", "1.5.0.0 Beta 4", "1.5.0.0", -1, true},
		{"alpha before beta", "2.0 alpha", "2.0 beta", -1, true},
		{"rc before patch", "1.0rc1", "1.0.1", -1, true},
		{"suffix letter after release", "2.4", "2.4A", -1, true},
		{"suffix letters ordered", "650b", "650c", -1, true},
		{"suffix letter before next", "9.1.2a", "9.1.3", -1, true},
		{"same family compares", "VF10.1", "VF9.9", 1, true},
		{"family case-insensitive", "vm5.0", "VM5.0", 0, true},
		{"different families", "VF10.1", "VM5.0", -1, false},
		{"family against plain", "VG6.1", "6.1", 1, false},
		{"letter suffix against number", "2.4A", "2.4.1", -1, false},
		{"SP against HF", "4.8 SP5", "4.8 HF4", 1, false},
		{"revision letters", "K", "N", -1, true},
		{"dates", "2018-04", "2018-03-30", 1, true},
		{"date against number", "2018-04", "2018.4", 1, false},
		{"year release", "2018 R2", "2018 R3", -1, true},
		{"long build numbers exact", "1.000.0000.18.20190409", "1.000.0000.18.20190423", -1, true},
		{"huge numbers do not overflow", "99999999999999999999999", "99999999999999999999998", 1, true},
		{"build code infix", "028U000061", "012U000040", 1, true},
		{"build code against short", "028U000061", "U61", -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := mustParse(t, tc.a), mustParse(t, tc.b)
			if got := Compare(a, b); got != tc.want {
				t.Errorf("Compare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
			if got := Compare(b, a); got != -tc.want {
				t.Errorf("Compare(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
			}
			if _, ok := compare(&a, &b, -1); ok != tc.ok {
				t.Errorf("compare(%q, %q) ok = %v, want %v", tc.a, tc.b, ok, tc.ok)
			}
		})
	}
}

// TestCompareTransitive checks the total order on a mixed set, which sorting relies on.
func TestCompareTransitive(t *testing.T) {
	in := []string{"1", "1.0", "1.0.0", "1.0rc1", "1.0.a", "1.a", "1.0.1", "1 SP1", "1 SP1 HF2", "2.4A", "2.4.1", "2.4",
		"VF10.1", "VM5.0", "VF9", "2018-04", "April 2017", "12.x", "12", "12.0.1", "K", "N", "2.0 beta", "2.0 alpha 2",
		"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2"}
	vs := make([]Version, len(in))
	for i, s := range in {
		vs[i] = mustParse(t, s)
	}
	for _, a := range vs {
		for _, b := range vs {
			for _, c := range vs {
				if Compare(a, b) <= 0 && Compare(b, c) <= 0 && Compare(a, c) > 0 {
					t.Errorf("not transitive: %q <= %q <= %q but %q > %q", a, b, c, a, c)
				}
			}
		}
	}
}
