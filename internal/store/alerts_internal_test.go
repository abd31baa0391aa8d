package store

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestNearestRank checks the percentile against its definition: the
// smallest sample such that at least q of all samples are no greater.
func TestNearestRank(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tt := range []struct {
		name string
		n    int
	}{{"one", 1}, {"two", 2}, {"odd", 7}, {"even", 10}, {"many", 101}} {
		t.Run(tt.name, func(t *testing.T) {
			d := make([]time.Duration, tt.n)
			for i := range d {
				d[i] = time.Duration(rng.IntN(100)) * time.Hour
			}
			slices.Sort(d)
			for _, q := range []float64{0.5, 0.9} {
				var want time.Duration
				for _, v := range d {
					le := 0
					for _, u := range d {
						if u <= v {
							le++
						}
					}
					if float64(le) >= q*float64(len(d)) {
						want = v
						break
					}
				}
				if got := nearestRank(d, q); got != want {
					t.Errorf("q=%v of %v: %v, want %v", q, d, got, want)
				}
			}
		})
	}
}

// TestComputeTTANegative keeps a clock skew (acknowledged "before"
// delivery) from producing negative times.
func TestComputeTTANegative(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	early := now.Add(-time.Minute)
	s := computeTTA([]ttaSample{{delivered: now, acked: &early}}, now)
	if s.MedianSeconds == nil || *s.MedianSeconds != 0 || s.Within48h == nil || *s.Within48h != 1 {
		t.Errorf("%+v", s)
	}
}
