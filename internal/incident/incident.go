// Package incident holds the incident domain of Aceso: the incident record,
// its RSIT classification, the handling workflow, observables and the
// regulatory clocks (NIS2 Art. 23, GDPR Art. 33/34, MDR Art. 87) computed from
// regimes kept as data. It knows nothing of SQL or HTTP; the store persists
// these types as they are and the web layer calls the functions here.
package incident

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aceso-health/aceso"
)

// Incident is one security incident reported by an organisation. AwareAt is
// the moment the organisation became aware of it and starts every
// regulatory clock.
type Incident struct {
	ID          int64  `json:"id"`
	OrgID       int64  `json:"org_id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	// DetectedAt is when the first sign was seen (e.g. an EDR alert);
	// AwareAt is when the organisation became aware it is an incident.
	DetectedAt time.Time `json:"detected_at"`
	AwareAt    time.Time `json:"aware_at"`
	// HandledAt is when the incident was handled (NIS2 Art. 23(4)(e)); set
	// on closing, cleared on reopening.
	HandledAt *time.Time `json:"handled_at,omitempty"`
	// TimeZone is the organisation's IANA zone (e.g. "Europe/Berlin"); the
	// calendar offsets ("1 month", "15 days") are counted in it. Empty is UTC.
	TimeZone string  `json:"time_zone"`
	Reporter string  `json:"reporter"`
	Status   Status  `json:"status"`
	Outcome  Outcome `json:"outcome,omitempty"`

	Classification     Classification `json:"classification"`
	Severity           Severity       `json:"severity"`
	SuspectedMalicious Tristate       `json:"suspected_malicious"`
	CrossBorder        Tristate       `json:"cross_border"`
	ImpactOnCare       ImpactOnCare   `json:"impact_on_care"`
	PatientSafety      PatientSafety  `json:"patient_safety"`
	// PersonalData is nil when no personal-data breach is recorded.
	PersonalData *PersonalDataBreach `json:"personal_data,omitempty"`
	// RootCause and Mitigation feed the NIS2 final report (Art. 23(4)(d)).
	RootCause  string `json:"root_cause,omitempty"`
	Mitigation string `json:"mitigation,omitempty"`
	// ContactPoint is the DPO or other contact for GDPR Art. 33(3)(b).
	ContactPoint string `json:"contact_point,omitempty"`

	DeviceIDs   []int64         `json:"device_ids,omitempty"`
	TLP         TLP             `json:"tlp"`
	Observables []Observable    `json:"observables,omitempty"`
	Tasks       []Task          `json:"tasks,omitempty"`
	Timeline    []TimelineEntry `json:"timeline,omitempty"`
	Comments    []Comment       `json:"comments,omitempty"`
}

// Severity is the handler's severity rating of an incident.
type Severity string

// Severities, lowest first.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Tristate is a yes/no/unknown answer; early in an incident many facts (was it
// malicious? does it cross borders?) are honestly unknown.
type Tristate string

// Tristate values.
const (
	Yes     Tristate = "yes"
	No      Tristate = "no"
	Unknown Tristate = "unknown"
)

// PatientSafety records whether patients were, or could have been, harmed.
type PatientSafety string

// PatientSafety values.
const (
	SafetyNone      PatientSafety = "none"
	SafetyPotential PatientSafety = "potential"
	SafetyHarm      PatientSafety = "harm"
)

// TLP is a Traffic Light Protocol 2.0 label that governs sharing of the
// incident with the CSIRT and other members.
type TLP string

// TLP 2.0 labels.
const (
	TLPClear       TLP = "TLP:CLEAR"
	TLPGreen       TLP = "TLP:GREEN"
	TLPAmber       TLP = "TLP:AMBER"
	TLPAmberStrict TLP = "TLP:AMBER+STRICT"
	TLPRed         TLP = "TLP:RED"
)

// ImpactOnCare describes the incident's effect on patient care, the impact
// that makes a hospital incident significant.
type ImpactOnCare struct {
	ServicesAffected    []string `json:"services_affected,omitempty"`
	AmbulanceDiversion  bool     `json:"ambulance_diversion"`
	PostponedProcedures int      `json:"postponed_procedures"`
	DurationMinutes     int      `json:"duration_minutes"`
}

// PersonalDataBreach describes a personal-data breach with the items GDPR
// Art. 33(3)(a) asks for: categories and approximate numbers.
type PersonalDataBreach struct {
	DataCategories    []string `json:"data_categories"`    // e.g. "health data", "contact details"
	SubjectCategories []string `json:"subject_categories"` // e.g. "patients", "staff"
	ApproxSubjects    int      `json:"approx_subjects"`
	ApproxRecords     int      `json:"approx_records"`
}

// Observable is a validated indicator (IP, domain, URL, hash, e-mail,
// filename) seen in the incident; Value is normalised by ValidateObservable.
type Observable struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
	Note  string `json:"note,omitempty"`
}

// TaskStatus is the state of a task.
type TaskStatus string

// TaskStatus values.
const (
	TaskOpen       TaskStatus = "open"
	TaskInProgress TaskStatus = "in_progress"
	TaskDone       TaskStatus = "done"
)

// Task is a piece of response work assigned to someone.
type Task struct {
	ID       int64      `json:"id"`
	Title    string     `json:"title"`
	Assignee string     `json:"assignee,omitempty"`
	Due      *time.Time `json:"due,omitempty"`
	Status   TaskStatus `json:"status"`
}

// TimelineEntry is one append-only record of what happened when; Seq numbers
// entries 1, 2, 3 … so that a gap or reordering is detectable.
type TimelineEntry struct {
	Seq   int       `json:"seq"`
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	Kind  string    `json:"kind"` // "status", "note", "submission", …
	Text  string    `json:"text"`
}

// Comment is a free-text remark by a handler.
type Comment struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Author string    `json:"author"`
	Text   string    `json:"text"`
}

// AppendTimeline adds an entry at the end of the timeline, numbering it; the
// timeline is append-only, so there is no way to edit or remove an entry.
func (in *Incident) AppendTimeline(at time.Time, actor, kind, text string) TimelineEntry {
	e := TimelineEntry{Seq: len(in.Timeline) + 1, At: at, Actor: actor, Kind: kind, Text: text}
	in.Timeline = append(in.Timeline, e)
	return e
}

const (
	maxTitle = 200
	maxText  = 100_000
)

// Validate checks the record and returns an EINVALID error naming the first
// bad field, so a form can point at it.
func (in *Incident) Validate() error {
	bad := func(format string, args ...any) error { return aceso.Errorf(aceso.EINVALID, format, args...) }
	title := strings.TrimSpace(in.Title)
	switch {
	case title == "":
		return bad("title: required")
	case utf8.RuneCountInString(title) > maxTitle:
		return bad("title: longer than %d characters", maxTitle)
	case !utf8.ValidString(in.Title) || !utf8.ValidString(in.Description):
		return bad("title/description: not valid UTF-8")
	case len(in.Description) > maxText:
		return bad("description: longer than %d bytes", maxText)
	case in.OrgID <= 0:
		return bad("org_id: required")
	case in.AwareAt.IsZero():
		return bad("aware_at: required (it starts the regulatory clocks)")
	case !in.DetectedAt.IsZero() && in.DetectedAt.After(in.AwareAt):
		return bad("detected_at: %s is after aware_at %s", in.DetectedAt.Format(time.RFC3339), in.AwareAt.Format(time.RFC3339))
	case in.HandledAt != nil && in.HandledAt.Before(in.AwareAt):
		return bad("handled_at: before aware_at")
	}
	if _, err := location(in.TimeZone); err != nil {
		return bad("time_zone: %q is not an IANA time zone", in.TimeZone)
	}
	if !oneOf(in.Status, StatusNew, StatusTriage, StatusContainment, StatusEradication, StatusRecovery, StatusClosed) {
		return bad("status: %q is not a status", in.Status)
	}
	if in.Status == StatusClosed {
		if !oneOf(in.Outcome, OutcomeResolved, OutcomeFalsePositive, OutcomeDuplicate) {
			return bad("outcome: required when closed (resolved, false_positive or duplicate), got %q", in.Outcome)
		}
	} else if in.Outcome != "" {
		return bad("outcome: only a closed incident has one")
	}
	if err := in.Classification.Validate(); err != nil {
		return err
	}
	if in.Severity != "" && !oneOf(in.Severity, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical) {
		return bad("severity: %q is not low, medium, high or critical", in.Severity)
	}
	if in.SuspectedMalicious != "" && !oneOf(in.SuspectedMalicious, Yes, No, Unknown) {
		return bad("suspected_malicious: %q is not yes, no or unknown", in.SuspectedMalicious)
	}
	if in.CrossBorder != "" && !oneOf(in.CrossBorder, Yes, No, Unknown) {
		return bad("cross_border: %q is not yes, no or unknown", in.CrossBorder)
	}
	if in.PatientSafety != "" && !oneOf(in.PatientSafety, SafetyNone, SafetyPotential, SafetyHarm) {
		return bad("patient_safety: %q is not none, potential or harm", in.PatientSafety)
	}
	if in.TLP != "" && !oneOf(in.TLP, TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed) {
		return bad("tlp: %q is not a TLP 2.0 label", in.TLP)
	}
	ic := in.ImpactOnCare
	switch {
	case ic.PostponedProcedures < 0:
		return bad("impact_on_care.postponed_procedures: negative")
	case ic.DurationMinutes < 0:
		return bad("impact_on_care.duration_minutes: negative")
	}
	if pd := in.PersonalData; pd != nil {
		switch {
		case pd.ApproxSubjects < 0:
			return bad("personal_data.approx_subjects: negative")
		case pd.ApproxRecords < 0:
			return bad("personal_data.approx_records: negative")
		}
	}
	for i, id := range in.DeviceIDs {
		if id <= 0 {
			return bad("device_ids[%d]: %d is not a device id", i, id)
		}
	}
	for i, o := range in.Observables {
		norm, err := ValidateObservable(o.Kind, o.Value)
		if err != nil {
			return aceso.Wrap(aceso.EINVALID, err, "observables[%d]: %s", i, aceso.ErrorMessage(err))
		}
		if norm != o.Value {
			return bad("observables[%d].value: not normalised (want %q)", i, norm)
		}
	}
	for i, t := range in.Tasks {
		switch {
		case strings.TrimSpace(t.Title) == "":
			return bad("tasks[%d].title: required", i)
		case !oneOf(t.Status, TaskOpen, TaskInProgress, TaskDone):
			return bad("tasks[%d].status: %q is not open, in_progress or done", i, t.Status)
		}
	}
	for i, e := range in.Timeline {
		switch {
		case e.Seq != i+1:
			return bad("timeline[%d].seq: %d, want %d (the timeline is append-only)", i, e.Seq, i+1)
		case e.At.IsZero():
			return bad("timeline[%d].at: required", i)
		}
	}
	for i, c := range in.Comments {
		if strings.TrimSpace(c.Text) == "" {
			return bad("comments[%d].text: required", i)
		}
	}
	return nil
}

func oneOf[T comparable](v T, allowed ...T) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}
