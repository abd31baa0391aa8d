package incident

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aceso-health/aceso"
)

// ObligationStatus is the state of one regulatory report.
type ObligationStatus string

// Obligation statuses. Late means unsubmitted after the due time; a report
// submitted late is "submitted" and keeps its LateReason.
const (
	ObligationPending       ObligationStatus = "pending"
	ObligationSubmitted     ObligationStatus = "submitted"
	ObligationLate          ObligationStatus = "late"
	ObligationNotApplicable ObligationStatus = "not_applicable"
)

// Obligation is one report a regime requires for an incident, with its due
// time and, once submitted, what was sent. The store keeps them per incident
// and passes them back as prev so that reassessment never loses a submission.
type Obligation struct {
	Regime  string `json:"regime"`
	Stage   string `json:"stage"`
	Title   string `json:"title"`
	Article string `json:"article"`
	// DueAt is nil when there is no fixed deadline ("without undue delay")
	// or the event it counts from has not happened yet.
	DueAt       *time.Time       `json:"due_at,omitempty"`
	Status      ObligationStatus `json:"status"`
	SubmittedAt *time.Time       `json:"submitted_at,omitempty"`
	// Snapshot is the report as submitted (the ReportDoc, as edited).
	Snapshot   json.RawMessage `json:"snapshot,omitempty"`
	LateReason string          `json:"late_reason,omitempty"`
	// RequiresLateReason comes from the stage: Submit refuses a late
	// submission without a reason (GDPR Art. 33(1)).
	RequiresLateReason bool `json:"requires_late_reason,omitempty"`
	// Basis explains the due time ("72h after aware_at") or why the stage
	// does not apply, for the UI and the audit trail.
	Basis string `json:"basis"`
}

var zones sync.Map // IANA name → *time.Location

// location loads an IANA zone once; "" is UTC.
func location(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, l)
	return l, nil
}

type obKey struct{ regime, stage string }

// Obligations computes the regulatory reports an incident needs under the
// regimes, for an organisation of kind orgKind with assessment a, at time
// now. Every stage yields one obligation (not_applicable with the reason when
// its condition fails) so the UI can say why nothing is due. Submissions in
// prev are kept whatever the reassessment says, and a later stage can count
// from an earlier one's submission (NIS2 final report). An unknown time zone
// on the incident falls back to UTC; Validate reports it.
func Obligations(in *Incident, orgKind string, a Assessment, prev []Obligation, regimes Regimes, now time.Time) []Obligation {
	loc, err := location(in.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	flags := a.flags(in)
	prevBy := make(map[obKey]Obligation, len(prev))
	for _, p := range prev {
		prevBy[obKey{p.Regime, p.Stage}] = p
	}
	used := make(map[obKey]bool, len(prev))
	out := make([]Obligation, 0, len(prev)+8)

	for _, rg := range regimes.Regimes {
		done := map[string]Obligation{} // stages of this regime computed so far
		event := func(name string) (*time.Time, bool) {
			switch name {
			case "aware_at":
				return timePtr(in.AwareAt), !in.AwareAt.IsZero()
			case "detected_at":
				return timePtr(in.DetectedAt), !in.DetectedAt.IsZero()
			case "handled_at":
				return in.HandledAt, in.HandledAt != nil
			case "requested_due":
				return a.IntermediateReportDue, a.IntermediateReportDue != nil
			case "personal_data_aware_at":
				return a.PersonalDataAwareAt, a.PersonalDataAwareAt != nil
			}
			ref, suffix, _ := strings.Cut(name, ".")
			ob, ok := done[ref]
			if !ok || ob.Status == ObligationNotApplicable && ob.SubmittedAt == nil {
				return nil, false
			}
			if suffix == "submitted_at" {
				return ob.SubmittedAt, ob.SubmittedAt != nil
			}
			return ob.DueAt, ob.DueAt != nil
		}
		// due resolves the first available event and adds the offset.
		due := func(from []string, off Offset) (*time.Time, string) {
			for _, ev := range from {
				if t, ok := event(ev); ok {
					d := off.Add(*t, loc).In(loc)
					return &d, off.String() + " after " + ev
				}
			}
			return nil, "due date not known yet: waiting for " + strings.Join(from, " or ")
		}
		emit := func(ob Obligation, applies bool) Obligation {
			k := obKey{ob.Regime, ob.Stage}
			used[k] = true
			if p, ok := prevBy[k]; ok && p.SubmittedAt != nil {
				ob.SubmittedAt, ob.Snapshot, ob.LateReason = p.SubmittedAt, p.Snapshot, p.LateReason
				if !applies {
					ob.DueAt, ob.Basis = p.DueAt, p.Basis+" (no longer applies after reassessment; kept as submitted)"
				}
			}
			switch {
			case ob.SubmittedAt != nil:
				ob.Status = ObligationSubmitted
			case !applies:
				ob.Status = ObligationNotApplicable
			case ob.DueAt != nil && now.After(*ob.DueAt):
				ob.Status = ObligationLate
			default:
				ob.Status = ObligationPending
			}
			out = append(out, ob)
			return ob
		}

		for _, st := range rg.Stages {
			ob := Obligation{Regime: rg.ID, Stage: st.Name, Title: st.Title, Article: st.Article, RequiresLateReason: st.LateReasonRequired}
			applies, why := st.AppliesWhen.eval(orgKind, flags)
			if !applies {
				ob.Basis = "not applicable: " + why
			} else if st.Offset == nil {
				ob.Basis = st.Deadline
			} else {
				ob.DueAt, ob.Basis = due(st.From, *st.Offset)
			}
			if o := st.IfOngoing; o != nil {
				interim := Obligation{Regime: rg.ID, Stage: o.Stage, Title: o.Title, Article: o.Article, RequiresLateReason: st.LateReasonRequired}
				ongoing := false
				switch p, ok := prevBy[obKey{rg.ID, st.Name}]; {
				case !applies:
					interim.Basis = "not applicable: " + why
				case ok && p.SubmittedAt != nil:
					interim.Basis = "not applicable: " + st.Name + " already submitted"
				case ob.DueAt == nil:
					interim.Basis = "not applicable: " + st.Name + " has no due date yet"
				case in.HandledAt != nil && !in.HandledAt.After(*ob.DueAt):
					interim.Basis = "not applicable: incident handled before " + st.Name + " was due"
				case in.HandledAt == nil && now.Before(*ob.DueAt):
					interim.Basis = "not applicable unless the incident is still ongoing at " + ob.DueAt.Format(time.RFC3339)
				default:
					ongoing = true
				}
				if ongoing {
					d := *ob.DueAt
					interim.DueAt = &d
					interim.Basis = "incident ongoing when " + st.Name + " fell due (" + ob.Basis + ")"
					ob.Article = o.Article
					ob.DueAt, ob.Basis = due(o.From, o.Offset)
				}
				done[o.Stage] = emit(interim, ongoing)
			}
			done[st.Name] = emit(ob, applies)
		}
	}
	// A submission whose stage vanished from the regimes (an override file
	// dropped it) is still a fact: keep it.
	for _, p := range prev {
		if k := (obKey{p.Regime, p.Stage}); !used[k] && p.SubmittedAt != nil {
			p.Status = ObligationSubmitted
			out = append(out, p)
			used[k] = true
		}
	}
	return out
}

func timePtr(t time.Time) *time.Time { return &t }

// eval tests the condition and, when it fails, says which part failed.
func (c Condition) eval(orgKind string, flags map[string]bool) (bool, string) {
	if len(c.OrgKinds) > 0 && !oneOf(orgKind, c.OrgKinds...) {
		return false, fmt.Sprintf("organisation kind %q is not %s", orgKind, strings.Join(c.OrgKinds, " or "))
	}
	for _, f := range c.All {
		if !flags[f] {
			return false, f + " is not assessed true"
		}
	}
	for _, f := range c.None {
		if flags[f] {
			return false, f + " is assessed true"
		}
	}
	return true, ""
}

// Submit records that the report was sent at the given time with the given
// content. A late submission of a stage that requires it must carry the
// reasons for the delay (GDPR Art. 33(1)); the reason is kept only when the
// submission is late.
func Submit(ob *Obligation, at time.Time, snapshot []byte, lateReason string) error {
	switch {
	case ob == nil:
		return aceso.Errorf(aceso.EINVALID, "obligation: missing")
	case ob.Status == ObligationSubmitted || ob.SubmittedAt != nil:
		return aceso.Errorf(aceso.ECONFLICT, "%s %s: already submitted at %s", ob.Regime, ob.Stage, ob.SubmittedAt.Format(time.RFC3339))
	case ob.Status == ObligationNotApplicable:
		return aceso.Errorf(aceso.EINVALID, "%s %s: not applicable, nothing to submit", ob.Regime, ob.Stage)
	case at.IsZero():
		return aceso.Errorf(aceso.EINVALID, "submitted_at: required")
	case len(snapshot) > 0 && !json.Valid(snapshot):
		return aceso.Errorf(aceso.EINVALID, "snapshot: not valid JSON")
	}
	reason := strings.TrimSpace(lateReason)
	late := ob.DueAt != nil && at.After(*ob.DueAt)
	if late && ob.RequiresLateReason && reason == "" {
		return aceso.Errorf(aceso.EINVALID, "late_reason: %s %s is submitted after its deadline %s and must give the reasons for the delay (%s)",
			ob.Regime, ob.Stage, ob.DueAt.Format(time.RFC3339), ob.Article)
	}
	t := at
	ob.SubmittedAt = &t
	ob.Status = ObligationSubmitted
	ob.Snapshot = append(json.RawMessage(nil), snapshot...)
	ob.LateReason = ""
	if late {
		ob.LateReason = reason
	}
	return nil
}
