package store

import "testing"

// FuzzCmpVersionString checks the revision comparison that decides whether
// an imported advisory replaces the stored one: it must never panic, must be
// antisymmetric, and a revision equals itself.
func FuzzCmpVersionString(f *testing.F) {
	for _, s := range [][2]string{{"1", "2"}, {"1.10", "1.9"}, {"1.0.0", "1"}, {"", "1"}, {"1.a", "1"}, {"99999999999999999999", "1"}, {"-1", "1"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		c, ok := cmpVersionString(a, b)
		r, rok := cmpVersionString(b, a)
		if ok != rok {
			t.Fatalf("ok differs: %q,%q → %v, reversed %v", a, b, ok, rok)
		}
		if ok && c != -r {
			t.Fatalf("not antisymmetric: cmp(%q,%q)=%d, cmp(%q,%q)=%d", a, b, c, b, a, r)
		}
		if c < -1 || c > 1 {
			t.Fatalf("result %d out of range", c)
		}
		if s, ok := cmpVersionString(a, a); ok && s != 0 {
			t.Fatalf("cmp(%q,%q)=%d, want 0", a, a, s)
		}
	})
}
