package web

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aceso-health/aceso/internal/access"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return nil
	}
	applied, known, err := s.db.SchemaVersion(ctx)
	if err != nil || applied != known {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "schema not migrated", "applied": applied, "known": known})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

// metrics counts requests per route and status class and their durations,
// exposed in the Prometheus text format without a client library.
type metrics struct {
	mu       sync.Mutex
	requests map[[2]string]*atomic.Int64 // pattern, status class
	seconds  map[string]*histogram
	start    time.Time
}

var buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

type histogram struct {
	mu     sync.Mutex
	counts []int64
	sum    float64
	n      int64
}

func newMetrics() *metrics {
	return &metrics{requests: map[[2]string]*atomic.Int64{}, seconds: map[string]*histogram{}, start: time.Now()}
}

func (m *metrics) instrument(pattern string, next http.Handler) http.Handler {
	h := &histogram{counts: make([]int64, len(buckets))}
	m.mu.Lock()
	m.seconds[pattern] = h
	m.mu.Unlock()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		d := time.Since(start).Seconds()
		key := [2]string{pattern, fmt.Sprintf("%dxx", sw.status/100)}
		m.mu.Lock()
		c := m.requests[key]
		if c == nil {
			c = new(atomic.Int64)
			m.requests[key] = c
		}
		m.mu.Unlock()
		c.Add(1)
		h.mu.Lock()
		for i, b := range buckets {
			if d <= b {
				h.counts[i]++
			}
		}
		h.sum += d
		h.n++
		h.mu.Unlock()
	})
}

func (s *Server) metricsPage(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	m := s.metrics
	var b strings.Builder
	b.WriteString("# HELP aceso_http_requests_total HTTP requests by route and status class.\n# TYPE aceso_http_requests_total counter\n")
	m.mu.Lock()
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	for _, k := range keys {
		fmt.Fprintf(&b, "aceso_http_requests_total{route=%q,code=%q} %d\n", k[0], k[1], m.requests[k].Load())
	}
	patterns := make([]string, 0, len(m.seconds))
	for p := range m.seconds {
		patterns = append(patterns, p)
	}
	m.mu.Unlock()
	sort.Strings(patterns)
	b.WriteString("# HELP aceso_http_request_duration_seconds HTTP request durations by route.\n# TYPE aceso_http_request_duration_seconds histogram\n")
	for _, p := range patterns {
		h := m.seconds[p]
		h.mu.Lock()
		if h.n > 0 {
			for i, le := range buckets {
				fmt.Fprintf(&b, "aceso_http_request_duration_seconds_bucket{route=%q,le=\"%g\"} %d\n", p, le, h.counts[i])
			}
			fmt.Fprintf(&b, "aceso_http_request_duration_seconds_bucket{route=%q,le=\"+Inf\"} %d\n", p, h.n)
			fmt.Fprintf(&b, "aceso_http_request_duration_seconds_sum{route=%q} %g\naceso_http_request_duration_seconds_count{route=%q} %d\n", p, h.sum, p, h.n)
		}
		h.mu.Unlock()
	}
	up := 1
	if s.db.Ping(r.Context()) != nil {
		up = 0
	}
	fmt.Fprintf(&b, "# HELP aceso_database_up Whether the database answers.\n# TYPE aceso_database_up gauge\naceso_database_up %d\n", up)
	fmt.Fprintf(&b, "# HELP aceso_goroutines Goroutines.\n# TYPE aceso_goroutines gauge\naceso_goroutines %d\n", runtime.NumGoroutine())
	fmt.Fprintf(&b, "# HELP aceso_uptime_seconds Seconds since start.\n# TYPE aceso_uptime_seconds gauge\naceso_uptime_seconds %g\n", time.Since(m.start).Seconds())
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
	return nil
}
