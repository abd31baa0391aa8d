package store

import (
	"slices"
	"testing"
	"time"
)

func TestPlanReminders(t *testing.T) {
	due := time.Date(2026, 10, 25, 12, 0, 0, 0, time.UTC)
	leads := []time.Duration{2 * time.Hour, 12 * time.Hour}
	tests := []struct {
		name string
		now  time.Time
		want []string // lead labels
	}{
		{"recorded early: all", due.Add(-48 * time.Hour), []string{"2h", "12h", "overdue"}},
		{"12 h passed: only the latest passed one kept", due.Add(-5 * time.Hour), []string{"2h", "12h", "overdue"}},
		{"both passed: only 2 h", due.Add(-time.Hour), []string{"2h", "overdue"}},
		{"deadline passed: only overdue", due.Add(time.Hour), []string{"overdue"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range planReminders(due, leads, tt.now) {
				got = append(got, LeadLabel(p.lead))
				if !p.at.Equal(due.Add(-p.lead)) {
					t.Errorf("%s at %v, want due − lead", LeadLabel(p.lead), p.at)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	for d, want := range map[time.Duration]string{0: "overdue", 12 * time.Hour: "12h", 90 * time.Minute: "90m", 45 * time.Second: "45s"} {
		if got := LeadLabel(d); got != want {
			t.Errorf("LeadLabel(%v) = %q, want %q", d, got, want)
		}
	}
}
