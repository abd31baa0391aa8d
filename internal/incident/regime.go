package incident

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aceso-health/aceso"
)

// regimesJSON holds the default reporting regimes (NIS2 Art. 23, GDPR Art.
// 33/34, MDR Art. 87). A deployment may replace it with a file of the same
// shape, e.g. for a national transposition with other deadlines.
//
//go:embed regimes.json
var regimesJSON []byte

// Regimes is the table of regulatory reporting regimes the clocks are
// computed from. It is data, so a change of law is a change of file.
type Regimes struct {
	Version int      `json:"version"`
	Regimes []Regime `json:"regimes"`
}

// Regime is one law's reporting obligations, such as "nis2".
type Regime struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	Stages []Stage `json:"stages"`
}

// Stage is one report a regime requires: when it applies, the event its
// deadline counts from and the offset to add.
type Stage struct {
	Name        string    `json:"stage"`
	Title       string    `json:"title"`
	Article     string    `json:"article"`
	AppliesWhen Condition `json:"applies_when"`
	// From lists events; the first one that has happened (has a time) is
	// the start of the offset, so "notification.submitted_at" can fall back
	// to "notification.due_at" while the notification is not submitted.
	From   []string `json:"from,omitempty"`
	Offset *Offset  `json:"offset,omitempty"`
	// Deadline describes a deadline without a fixed offset ("without undue
	// delay"); such a stage has no From and no Offset.
	Deadline string `json:"deadline,omitempty"`
	// IfOngoing, when set, says what happens if the incident is still
	// ongoing when this stage falls due: an interim stage is due then, and
	// this stage moves to IfOngoing.From + IfOngoing.Offset.
	IfOngoing *Ongoing `json:"if_ongoing,omitempty"`
	// LateReasonRequired makes Submit refuse a late submission that gives
	// no reason for the delay (GDPR Art. 33(1)).
	LateReasonRequired bool `json:"late_reason_required,omitempty"`
}

// Ongoing describes the NIS2 Art. 23(4)(e) rule: an interim report replaces
// the stage's deadline while the incident is ongoing, and the stage itself
// counts again from a later event.
type Ongoing struct {
	Stage   string   `json:"stage"`
	Title   string   `json:"title"`
	Article string   `json:"article"`
	From    []string `json:"from"`
	Offset  Offset   `json:"offset"`
}

// Condition is the applies-when test of a stage: the organisation kind must
// be one of OrgKinds (any when empty), every flag in All must be true and
// every flag in None false. Flags come from the Assessment.
type Condition struct {
	OrgKinds []string `json:"org_kinds,omitempty"`
	All      []string `json:"all,omitempty"`
	None     []string `json:"none,omitempty"`
}

// Unit is the unit of an Offset.
type Unit string

// Offset units. Hours are real elapsed hours; days and months are calendar
// units counted in the organisation's time zone.
const (
	Hours  Unit = "h"
	Days   Unit = "day"
	Months Unit = "month"
)

// Offset is a deadline offset such as "24h", "15 days" or "1 month". Hours
// are elapsed time: across a DST change 24h is 24 real hours, so the wall
// clock shows 23:00 or 01:00. Days and months are calendar arithmetic in the
// organisation's zone and keep the wall-clock time; a month from 31 January
// is the last day of February (clamped to the month end, not spilling into
// March as time.AddDate would).
type Offset struct {
	N    int
	Unit Unit
}

// ParseOffset reads "24h", "72 hours", "2 days", "15d", "1 month".
func ParseOffset(s string) (Offset, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 || i > 6 {
		return Offset{}, fmt.Errorf("offset %q: want a number and a unit, e.g. 24h, 15 days, 1 month", s)
	}
	n, _ := strconv.Atoi(t[:i])
	var u Unit
	switch strings.TrimSpace(t[i:]) {
	case "h", "hour", "hours":
		u = Hours
	case "d", "day", "days":
		u = Days
	case "month", "months":
		u = Months
	default:
		return Offset{}, fmt.Errorf("offset %q: unit must be h, days or month(s)", s)
	}
	return Offset{N: n, Unit: u}, nil
}

// String returns the canonical form, which ParseOffset reads back.
func (o Offset) String() string {
	switch o.Unit {
	case Hours:
		return strconv.Itoa(o.N) + "h"
	case Days, Months:
		s := strconv.Itoa(o.N) + " " + string(o.Unit)
		if o.N != 1 {
			s += "s"
		}
		return s
	}
	return ""
}

// MarshalJSON writes the offset as its string form.
func (o Offset) MarshalJSON() ([]byte, error) { return json.Marshal(o.String()) }

// UnmarshalJSON reads the string form.
func (o *Offset) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("offset: want a string like \"24h\": %w", err)
	}
	p, err := ParseOffset(s)
	if err != nil {
		return err
	}
	*o = p
	return nil
}

// Add returns t plus the offset; loc is the zone calendar units count in.
func (o Offset) Add(t time.Time, loc *time.Location) time.Time {
	switch o.Unit {
	case Hours:
		return t.Add(time.Duration(o.N) * time.Hour)
	case Days:
		l := t.In(loc)
		return time.Date(l.Year(), l.Month(), l.Day()+o.N, l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), loc)
	case Months:
		return addMonths(t.In(loc), o.N)
	}
	return t
}

// addMonths adds n calendar months keeping the wall-clock time and clamping
// the day to the end of the target month (31 Jan + 1 month = 28/29 Feb).
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, t.Location())
	last := time.Date(first.Year(), first.Month()+1, 0, 0, 0, 0, 0, t.Location()).Day()
	d = min(d, last)
	return time.Date(first.Year(), first.Month(), d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}

// Organisation kinds a condition may name (see docs: who uses Aceso).
var orgKinds = []string{"member", "csirt", "supplier", "authority"}

// Built-in events a stage may count from; "<stage>.submitted_at" and
// "<stage>.due_at" of an earlier stage of the same regime are allowed too.
var builtinEvents = []string{"aware_at", "detected_at", "handled_at", "requested_due", "personal_data_aware_at"}

// Assessment is what the organisation answered about an incident's
// regulatory relevance; each answer maps to a flag that stage conditions test.
// It is kept separate from the incident because it is reassessed (personal
// data found on day 2) and the clocks are recomputed from it.
type Assessment struct {
	// NIS2 Art. 23(3): significant when (a) severe operational disruption of
	// the services or financial loss for the entity, or (b) considerable
	// material or non-material damage to other persons.
	SevereOperationalDisruption bool `json:"severe_operational_disruption"`
	FinancialLoss               bool `json:"financial_loss"`
	ConsiderableDamageToOthers  bool `json:"considerable_damage_to_others"`
	// IntermediateReportDue is the due date the CSIRT or authority set when
	// requesting an intermediate report (Art. 23(4)(c)).
	IntermediateReportDue *time.Time `json:"intermediate_report_due,omitempty"`

	// GDPR Art. 33: a breach is notified unless it is unlikely to result in a
	// risk, which must be reasoned (the reason is the record of the decision).
	PersonalDataBreach bool `json:"personal_data_breach"`
	// PersonalDataAwareAt is when the organisation became aware that
	// personal data was affected, if later than AwareAt (found on day 2):
	// the Art. 33 clock runs from awareness of the personal-data breach.
	PersonalDataAwareAt *time.Time `json:"personal_data_aware_at,omitempty"`
	RiskUnlikely        bool       `json:"risk_unlikely"`
	RiskUnlikelyReason  string     `json:"risk_unlikely_reason,omitempty"`
	// GDPR Art. 34: high risk means telling the data subjects unless one of
	// the exemptions of Art. 34(3) applies and is explained.
	HighRisk             bool   `json:"high_risk"`
	Art34Exemption       string `json:"art34_exemption,omitempty"` // Art34Protected, Art34Mitigated, Art34Disproportionate
	Art34ExemptionReason string `json:"art34_exemption_reason,omitempty"`

	// MDR Art. 87 (manufacturers): the tier decides the deadline.
	SeriousIncident             bool `json:"serious_incident"`
	DeathOrSeriousDeterioration bool `json:"death_or_serious_deterioration"`
	SeriousPublicHealthThreat   bool `json:"serious_public_health_threat"`

	AssessedAt time.Time `json:"assessed_at"`
	AssessedBy string    `json:"assessed_by,omitempty"`
}

// GDPR Art. 34(3) exemptions from communicating a breach to data subjects.
const (
	Art34Protected        = "protected"               // (a) data unintelligible, e.g. encrypted
	Art34Mitigated        = "mitigated"               // (b) measures ensure the high risk no longer likely materialises
	Art34Disproportionate = "disproportionate_effort" // (c) public communication instead
)

// Significant reports whether NIS2 Art. 23(3) makes the incident significant.
func (a Assessment) Significant() bool {
	return a.SevereOperationalDisruption || a.FinancialLoss || a.ConsiderableDamageToOthers
}

// Validate rejects answers that cannot count: a decision without its reason.
func (a Assessment) Validate() error {
	switch {
	case a.RiskUnlikely && strings.TrimSpace(a.RiskUnlikelyReason) == "":
		return aceso.Errorf(aceso.EINVALID, "risk_unlikely_reason: required when the risk is assessed unlikely (GDPR Art. 33(1))")
	case a.Art34Exemption != "" && !oneOf(a.Art34Exemption, Art34Protected, Art34Mitigated, Art34Disproportionate):
		return aceso.Errorf(aceso.EINVALID, "art34_exemption: %q is not protected, mitigated or disproportionate_effort", a.Art34Exemption)
	case a.Art34Exemption != "" && strings.TrimSpace(a.Art34ExemptionReason) == "":
		return aceso.Errorf(aceso.EINVALID, "art34_exemption_reason: required with an exemption (GDPR Art. 34(3))")
	}
	return nil
}

// flagNames are the assessment flags conditions may test.
var flagNames = []string{
	"significant", "intermediate_requested",
	"personal_data_breach", "risk_unlikely", "high_risk", "art34_exempt",
	"serious_incident", "death_or_serious_deterioration", "serious_public_health_threat",
}

// flags evaluates the assessment (and the incident's personal-data record)
// into the named flags. A decision without its reason does not count.
func (a Assessment) flags(in *Incident) map[string]bool {
	return map[string]bool{
		"significant":                    a.Significant(),
		"intermediate_requested":         a.IntermediateReportDue != nil,
		"personal_data_breach":           a.PersonalDataBreach || (in != nil && in.PersonalData != nil),
		"risk_unlikely":                  a.RiskUnlikely && strings.TrimSpace(a.RiskUnlikelyReason) != "",
		"high_risk":                      a.HighRisk,
		"art34_exempt":                   a.Validate() == nil && a.Art34Exemption != "",
		"serious_incident":               a.SeriousIncident || a.DeathOrSeriousDeterioration || a.SeriousPublicHealthThreat,
		"death_or_serious_deterioration": a.DeathOrSeriousDeterioration,
		"serious_public_health_threat":   a.SeriousPublicHealthThreat,
	}
}

var (
	defaultOnce    sync.Once
	defaultRegimes Regimes
	defaultErr     error
)

// DefaultRegimes returns the embedded regimes. It panics if the embedded
// file is broken, which the tests catch before any release.
func DefaultRegimes() Regimes {
	defaultOnce.Do(func() { defaultRegimes, defaultErr = LoadRegimes(regimesJSON) })
	if defaultErr != nil {
		panic(defaultErr)
	}
	return defaultRegimes
}

// LoadRegimes parses and checks a regimes file. Unknown fields, flags,
// events and organisation kinds are errors naming the regime and stage, so a
// typo in a deployment's override cannot silently drop an obligation.
func LoadRegimes(data []byte) (Regimes, error) {
	var r Regimes
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Regimes{}, aceso.Wrap(aceso.EINVALID, err, "regimes: %v", err)
	}
	if dec.More() {
		return Regimes{}, aceso.Errorf(aceso.EINVALID, "regimes: trailing data after the JSON object")
	}
	if r.Version != 1 {
		return Regimes{}, aceso.Errorf(aceso.EINVALID, "regimes: version %d is not supported (want 1)", r.Version)
	}
	if len(r.Regimes) == 0 {
		return Regimes{}, aceso.Errorf(aceso.EINVALID, "regimes: no regime")
	}
	ids := map[string]bool{}
	for i, rg := range r.Regimes {
		if rg.ID == "" || ids[rg.ID] {
			return Regimes{}, aceso.Errorf(aceso.EINVALID, "regimes[%d].id: empty or duplicate %q", i, rg.ID)
		}
		ids[rg.ID] = true
		if err := checkStages(rg); err != nil {
			return Regimes{}, err
		}
	}
	return r, nil
}

func checkStages(rg Regime) error {
	names := map[string]bool{}
	bad := func(st, format string, args ...any) error {
		return aceso.Errorf(aceso.EINVALID, "regime %q stage %q: %s", rg.ID, st, fmt.Sprintf(format, args...))
	}
	if len(rg.Stages) == 0 {
		return aceso.Errorf(aceso.EINVALID, "regime %q: no stages", rg.ID)
	}
	checkEvents := func(st, field string, from []string) error {
		for _, ev := range from {
			if oneOf(ev, builtinEvents...) {
				continue
			}
			ref, suffix, ok := strings.Cut(ev, ".")
			if !ok || !oneOf(suffix, "submitted_at", "due_at") || !names[ref] {
				return bad(st, "%s: unknown event %q (want %s, or <earlier stage>.submitted_at / .due_at)", field, ev, strings.Join(builtinEvents, ", "))
			}
		}
		return nil
	}
	for _, s := range rg.Stages {
		if s.Name == "" || strings.Contains(s.Name, ".") || names[s.Name] {
			return bad(s.Name, "stage: empty, dotted or duplicate name")
		}
		for _, k := range s.AppliesWhen.OrgKinds {
			if !oneOf(k, orgKinds...) {
				return bad(s.Name, "applies_when.org_kinds: unknown kind %q (want %s)", k, strings.Join(orgKinds, ", "))
			}
		}
		for _, f := range append(append([]string(nil), s.AppliesWhen.All...), s.AppliesWhen.None...) {
			if !oneOf(f, flagNames...) {
				return bad(s.Name, "applies_when: unknown flag %q (want one of %s)", f, strings.Join(flagNames, ", "))
			}
		}
		switch {
		case s.Offset == nil && len(s.From) == 0:
			if strings.TrimSpace(s.Deadline) == "" {
				return bad(s.Name, "needs from+offset or a deadline text")
			}
		case s.Offset == nil || len(s.From) == 0:
			return bad(s.Name, "from and offset go together")
		}
		if err := checkEvents(s.Name, "from", s.From); err != nil {
			return err
		}
		if s.IfOngoing != nil {
			o := s.IfOngoing
			if s.Offset == nil {
				return bad(s.Name, "if_ongoing needs an offset on the stage")
			}
			if o.Stage == "" || strings.Contains(o.Stage, ".") || names[o.Stage] || o.Stage == s.Name {
				return bad(s.Name, "if_ongoing.stage: empty, dotted or duplicate name %q", o.Stage)
			}
			if len(o.From) == 0 || o.Offset.Unit == "" {
				return bad(s.Name, "if_ongoing: needs from and offset")
			}
			if err := checkEvents(s.Name, "if_ongoing.from", o.From); err != nil {
				return err
			}
			names[o.Stage] = true
		}
		names[s.Name] = true
	}
	return nil
}
