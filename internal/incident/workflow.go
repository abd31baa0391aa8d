package incident

import (
	"fmt"
	"time"

	"github.com/aceso-health/aceso"
)

// Status is a step of the incident handling workflow.
type Status string

// Workflow statuses in their forward order.
const (
	StatusNew         Status = "new"
	StatusTriage      Status = "triage"
	StatusContainment Status = "containment"
	StatusEradication Status = "eradication"
	StatusRecovery    Status = "recovery"
	StatusClosed      Status = "closed"
)

// Outcome says how a closed incident ended.
type Outcome string

// Outcomes of a closed incident.
const (
	OutcomeResolved      Outcome = "resolved"
	OutcomeFalsePositive Outcome = "false_positive"
	OutcomeDuplicate     Outcome = "duplicate"
)

// transitions is the whole workflow in one table: forward steps, skipping
// forward allowed (a false positive closes straight from triage), and the one
// way back, reopening a closed incident into triage.
var transitions = map[Status][]Status{
	StatusNew:         {StatusTriage, StatusContainment, StatusEradication, StatusRecovery, StatusClosed},
	StatusTriage:      {StatusContainment, StatusEradication, StatusRecovery, StatusClosed},
	StatusContainment: {StatusEradication, StatusRecovery, StatusClosed},
	StatusEradication: {StatusRecovery, StatusClosed},
	StatusRecovery:    {StatusClosed},
	StatusClosed:      {StatusTriage},
}

// CanTransition reports whether the workflow allows moving from one status to
// another.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Transition moves the incident to another status and records it on the
// timeline. Closing needs an outcome and sets HandledAt (when not set yet);
// reopening clears both, since the incident is no longer handled.
func (in *Incident) Transition(to Status, outcome Outcome, at time.Time, actor string) error {
	if !CanTransition(in.Status, to) {
		return aceso.Errorf(aceso.EINVALID, "status: cannot move from %q to %q", in.Status, to)
	}
	if at.IsZero() {
		return aceso.Errorf(aceso.EINVALID, "status: transition time required")
	}
	text := fmt.Sprintf("%s → %s", in.Status, to)
	switch {
	case to == StatusClosed:
		if !oneOf(outcome, OutcomeResolved, OutcomeFalsePositive, OutcomeDuplicate) {
			return aceso.Errorf(aceso.EINVALID, "outcome: closing needs resolved, false_positive or duplicate, got %q", outcome)
		}
		in.Outcome = outcome
		if in.HandledAt == nil {
			t := at
			in.HandledAt = &t
		}
		text += " (" + string(outcome) + ")"
	case outcome != "":
		return aceso.Errorf(aceso.EINVALID, "outcome: only closing takes an outcome")
	case in.Status == StatusClosed:
		in.Outcome = ""
		in.HandledAt = nil
	}
	in.Status = to
	in.AppendTimeline(at, actor, "status", text)
	return nil
}
