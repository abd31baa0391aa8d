package web

import (
	"net/url"
	"testing"
	"time"
)

// FuzzCSIRTQuery feeds arbitrary query strings to the queue and statistics
// filters: no panic, and an accepted filter holds only values in range
// (ids not negative, limit 1–500, dates that format back to their input).
func FuzzCSIRTQuery(f *testing.F) {
	for _, s := range []string{"", "org=3&status=new&open=1&at_risk=1", "limit=0", "limit=501", "before=-1", "org=x",
		"from=2026-03-01&to=2026-04-01", "from=2026-02-30", "to=yesterday", "limit=500&duplicates=1&rsit_class=fraud"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if cf, err := csirtFilter(q, now); err == nil {
			if cf.OrgID < 0 || cf.Before < 0 || cf.Limit < 0 || cf.Limit > 500 || !cf.Now.Equal(now) {
				t.Fatalf("accepted out-of-range filter %+v from %q", cf, raw)
			}
			if v := q.Get("limit"); v != "" && cf.Limit == 0 {
				t.Fatalf("limit %q accepted as zero", v)
			}
		}
		if sf, err := statsFilter(q); err == nil {
			if v := q.Get("from"); v != "" && sf.From.Format("2006-01-02") != v {
				t.Fatalf("from %q read as %v", v, sf.From)
			}
			if v := q.Get("to"); v != "" && sf.To.Format("2006-01-02") != v {
				t.Fatalf("to %q read as %v", v, sf.To)
			}
		}
	})
}
