package incident

import (
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
)

// TestCanTransition checks every pair against the rule stated in the issue:
// forward steps (skipping allowed) and closed → triage, nothing else.
func TestCanTransition(t *testing.T) {
	order := []Status{StatusNew, StatusTriage, StatusContainment, StatusEradication, StatusRecovery, StatusClosed}
	all := append(order, Status("bogus"))
	for i, from := range all {
		for j, to := range all {
			want := i < len(order) && j < len(order) && j > i
			if from == StatusClosed && to == StatusTriage {
				want = true
			}
			if got := CanTransition(from, to); got != want {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
	}
}

func TestTransition(t *testing.T) {
	t0 := time.Date(2025, 4, 1, 8, 0, 0, 0, time.UTC)
	in := newIncident(t0, "")
	in.Status = StatusNew
	steps := []struct {
		name    string
		to      Status
		outcome Outcome
		code    string
	}{
		{"skip to containment", StatusContainment, "", ""},
		{"back to triage refused", StatusTriage, "", aceso.EINVALID},
		{"close without outcome", StatusClosed, "", aceso.EINVALID},
		{"outcome without closing", StatusRecovery, OutcomeResolved, aceso.EINVALID},
		{"close resolved", StatusClosed, OutcomeResolved, ""},
		{"reopen", StatusTriage, "", ""},
		{"close false positive", StatusClosed, OutcomeFalsePositive, ""},
	}
	for i, s := range steps {
		at := t0.Add(time.Duration(i+1) * time.Hour)
		before := len(in.Timeline)
		err := in.Transition(s.to, s.outcome, at, "alice")
		if aceso.ErrorCode(err) != s.code {
			t.Fatalf("%s: err %v, want code %q", s.name, err, s.code)
		}
		if err != nil {
			if len(in.Timeline) != before {
				t.Fatalf("%s: refused transition wrote the timeline", s.name)
			}
			continue
		}
		if in.Status != s.to {
			t.Fatalf("%s: status %s", s.name, in.Status)
		}
		last := in.Timeline[len(in.Timeline)-1]
		if last.Seq != before+1 || last.Kind != "status" || !last.At.Equal(at) || !strings.Contains(last.Text, string(s.to)) {
			t.Errorf("%s: timeline entry %+v", s.name, last)
		}
		switch s.name {
		case "close resolved":
			if in.HandledAt == nil || !in.HandledAt.Equal(at) || in.Outcome != OutcomeResolved {
				t.Errorf("closing: handled %v outcome %q", in.HandledAt, in.Outcome)
			}
		case "reopen":
			if in.HandledAt != nil || in.Outcome != "" {
				t.Errorf("reopening kept handled %v outcome %q", in.HandledAt, in.Outcome)
			}
		}
		if err := in.Validate(); err != nil {
			t.Errorf("%s: incident invalid after transition: %v", s.name, err)
		}
	}
}
