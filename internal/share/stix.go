package share

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
)

// SpecVersion is the STIX version Aceso writes.
const SpecVersion = "2.1"

// stixTimeLayout is the STIX timestamp form Aceso writes: UTC, millisecond
// precision, "Z" (STIX 2.1 §3.2 requires UTC and allows any sub-second
// precision; created and modified SHOULD be millisecond-precise).
const stixTimeLayout = "2006-01-02T15:04:05.000Z"

// Timestamp is a STIX timestamp. It writes UTC with milliseconds and "Z"
// and reads any RFC 3339 time.
type Timestamp struct{ time.Time }

// Stamp returns t as a Timestamp truncated to the millisecond, so a value
// compares equal to itself after a JSON round trip.
func Stamp(t time.Time) Timestamp { return Timestamp{t.UTC().Truncate(time.Millisecond)} }

// MarshalJSON writes "2006-01-02T15:04:05.000Z".
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte(`null`), nil
	}
	return []byte(`"` + t.UTC().Format(stixTimeLayout) + `"`), nil
}

// UnmarshalJSON reads an RFC 3339 string, keeping millisecond precision.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = Timestamp{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &json.UnmarshalTypeError{Value: fmt.Sprintf("%.40s", b), Type: reflect.TypeFor[Timestamp]()}
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return &json.UnmarshalTypeError{Value: fmt.Sprintf("%.40q", s), Type: reflect.TypeFor[Timestamp]()}
	}
	*t = Stamp(v)
	return nil
}

// ExternalReference points outside STIX: a CVE, an advisory URL.
type ExternalReference struct {
	SourceName  string `json:"source_name"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url,omitempty"`
	ExternalID  string `json:"external_id,omitempty"`
}

// Common holds the properties shared by every STIX domain and relationship
// object (STIX 2.1 §3.2).
type Common struct {
	Type               string              `json:"type"`
	SpecVersion        string              `json:"spec_version"`
	ID                 string              `json:"id"`
	Created            Timestamp           `json:"created"`
	Modified           Timestamp           `json:"modified"`
	CreatedByRef       string              `json:"created_by_ref,omitempty"`
	Revoked            bool                `json:"revoked,omitempty"`
	Labels             []string            `json:"labels,omitempty"`
	Confidence         int                 `json:"confidence,omitempty"`
	ExternalReferences []ExternalReference `json:"external_references,omitempty"`
	ObjectMarkingRefs  []string            `json:"object_marking_refs,omitempty"`
}

// Base returns the common properties, so any object can be handled alike.
func (c *Common) Base() *Common { return c }

// Object is any STIX object Aceso models (Identity, Indicator, …).
type Object interface {
	Base() *Common
}

// Identity is an organisation (a hospital, the CSIRT) as STIX names it.
type Identity struct {
	Common
	Name               string   `json:"name"`
	Description        string   `json:"description,omitempty"`
	IdentityClass      string   `json:"identity_class,omitempty"`
	Sectors            []string `json:"sectors,omitempty"`
	ContactInformation string   `json:"contact_information,omitempty"`
}

// Indicator is a pattern of something to detect: an address, a hash.
type Indicator struct {
	Common
	Name           string    `json:"name,omitempty"`
	Description    string    `json:"description,omitempty"`
	IndicatorTypes []string  `json:"indicator_types,omitempty"`
	Pattern        string    `json:"pattern"`
	PatternType    string    `json:"pattern_type"`
	PatternVersion string    `json:"pattern_version,omitempty"`
	ValidFrom      Timestamp `json:"valid_from"`
	ValidUntil     Timestamp `json:"valid_until,omitzero"`
}

// Vulnerability is a flaw, named by its CVE in an external reference.
type Vulnerability struct {
	Common
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// CourseOfAction is a remediation: an update, a mitigation, a workaround.
type CourseOfAction struct {
	Common
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Report is a published collection of objects (an alert, a bulletin).
type Report struct {
	Common
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	ReportTypes []string  `json:"report_types,omitempty"`
	Published   Timestamp `json:"published"`
	ObjectRefs  []string  `json:"object_refs"`
}

// Relationship links two objects (a course of action mitigates a
// vulnerability, an indicator indicates a campaign).
type Relationship struct {
	Common
	RelationshipType string `json:"relationship_type"`
	Description      string `json:"description,omitempty"`
	SourceRef        string `json:"source_ref"`
	TargetRef        string `json:"target_ref"`
}

// MarkingDefinition is a data marking; Aceso writes the TLP 2.0 ones of the
// OASIS extension and reads TLP 1.0 ones too. It has no modified property.
type MarkingDefinition struct {
	Type              string         `json:"type"`
	SpecVersion       string         `json:"spec_version"`
	ID                string         `json:"id"`
	Created           Timestamp      `json:"created"`
	CreatedByRef      string         `json:"created_by_ref,omitempty"`
	Name              string         `json:"name,omitempty"`
	DefinitionType    string         `json:"definition_type,omitempty"`
	Definition        map[string]any `json:"definition,omitempty"`
	Extensions        map[string]any `json:"extensions,omitempty"`
	ObjectMarkingRefs []string       `json:"object_marking_refs,omitempty"`
}

// Base returns the common properties the marking has (no modified).
func (m *MarkingDefinition) Base() *Common {
	return &Common{Type: m.Type, SpecVersion: m.SpecVersion, ID: m.ID, Created: m.Created, CreatedByRef: m.CreatedByRef, ObjectMarkingRefs: m.ObjectMarkingRefs}
}

// Unknown is an object of a type Aceso does not model, kept as read so that
// an import passes it through unchanged.
type Unknown struct {
	Common
	Raw map[string]any
}

// MarshalJSON writes the object as it was read.
func (u *Unknown) MarshalJSON() ([]byte, error) { return json.Marshal(u.Raw) }

// TLP 2.0 marking definitions of the OASIS "TLP 2.0" STIX extension
// (oasis-open/cti-stix-common-objects, extension-definition-specifications/
// tlp-2.0); these ids are fixed by the standard.
const (
	TLP2ExtensionID     = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
	MarkingClear        = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	MarkingGreen        = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	MarkingAmber        = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	MarkingAmberStrict  = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	MarkingRed          = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
	tlp2MarkingsCreated = "2022-10-01T00:00:00.000Z"
)

// TLP 1.0 marking definitions predefined by STIX 2.1 §7.2.1.4, read on
// import (TLP:WHITE as CLEAR).
const (
	MarkingV1White = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
	MarkingV1Green = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
	MarkingV1Amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
	MarkingV1Red   = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
)

var markingTLP = map[string]TLP{
	MarkingClear: TLPClear, MarkingGreen: TLPGreen, MarkingAmber: TLPAmber,
	MarkingAmberStrict: TLPAmberStrict, MarkingRed: TLPRed,
	MarkingV1White: TLPClear, MarkingV1Green: TLPGreen, MarkingV1Amber: TLPAmber, MarkingV1Red: TLPRed,
}

// MarkingRef returns the id of the standard TLP 2.0 marking definition of t,
// "" for an invalid label.
func MarkingRef(t TLP) string {
	switch t {
	case TLPClear:
		return MarkingClear
	case TLPGreen:
		return MarkingGreen
	case TLPAmber:
		return MarkingAmber
	case TLPAmberStrict:
		return MarkingAmberStrict
	case TLPRed:
		return MarkingRed
	}
	return ""
}

// TLPMarking returns the standard TLP 2.0 marking definition object of t,
// as the OASIS extension defines it, for inclusion in a bundle.
func TLPMarking(t TLP) *MarkingDefinition {
	created, _ := time.Parse(time.RFC3339, tlp2MarkingsCreated)
	return &MarkingDefinition{
		Type: "marking-definition", SpecVersion: SpecVersion, ID: MarkingRef(t),
		Created: Stamp(created), Name: t.String(),
		Extensions: map[string]any{TLP2ExtensionID: map[string]any{
			"extension_type": "property-extension",
			"tlp_2_0":        strings.ToLower(strings.TrimPrefix(t.String(), "TLP:")),
		}},
	}
}

// MarkingsTLP returns the strictest TLP label among object_marking_refs
// (TLP 2.0 or TLP 1.0 standard ids), and false when none is a TLP marking.
func MarkingsTLP(refs []string) (TLP, bool) {
	var labels []TLP
	for _, r := range refs {
		if t, ok := markingTLP[strings.ToLower(r)]; ok {
			labels = append(labels, t)
		}
	}
	if len(labels) == 0 {
		return TLPUnknown, false
	}
	return Strictest(labels...), true
}

// DeterministicID returns "<type>--<UUIDv5>" of key in Aceso's name space,
// so that re-exporting the same thing (a CVE, an organisation, an
// indicator pattern) keeps its STIX id.
func DeterministicID(objType, key string) string {
	return objType + "--" + UUIDv5(NamespaceAceso, objType+"\x00"+key)
}

func newCommon(objType, key string, created time.Time, label TLP, createdBy string) Common {
	c := Common{
		Type: objType, SpecVersion: SpecVersion, ID: DeterministicID(objType, key),
		Created: Stamp(created), Modified: Stamp(created), CreatedByRef: createdBy,
	}
	if ref := MarkingRef(label); ref != "" {
		c.ObjectMarkingRefs = []string{ref}
	}
	return c
}

// NewIdentity returns the identity of an organisation; key is its stable
// identifier (e.g. "org:42") and fixes the STIX id.
func NewIdentity(key, name string, created time.Time) *Identity {
	return &Identity{
		Common: newCommon("identity", key, created, TLPUnknown, ""),
		Name:   name, IdentityClass: "organization", Sectors: []string{"healthcare"},
	}
}

// NewIndicator returns a STIX-pattern indicator for observable o, marked
// with label and created by createdBy (an identity id or ""). Its id is
// derived from the pattern, so one observable keeps one indicator id. The
// error is EINVALID when o has no STIX pattern.
func NewIndicator(o Observable, created time.Time, label TLP, createdBy string) (*Indicator, error) {
	p, err := ObservablePattern(o)
	if err != nil {
		return nil, err
	}
	return &Indicator{
		Common:         newCommon("indicator", p, created, label, createdBy),
		Name:           o.Kind + " " + o.Value,
		IndicatorTypes: []string{"malicious-activity"},
		Pattern:        p, PatternType: "stix", PatternVersion: SpecVersion,
		ValidFrom: Stamp(created),
	}, nil
}

// NewVulnerability returns the vulnerability object of a CVE, with the CVE
// external reference STIX expects (source_name "cve"). The error is
// EINVALID when cve is not a CVE id.
func NewVulnerability(cve, description string, created time.Time, label TLP, createdBy string) (*Vulnerability, error) {
	cve = strings.ToUpper(strings.TrimSpace(cve))
	if !cveRe.MatchString(cve) {
		return nil, aceso.Errorf(aceso.EINVALID, "vulnerability: %.40q is not a CVE id (CVE-YYYY-NNNN)", cve)
	}
	v := &Vulnerability{Common: newCommon("vulnerability", cve, created, label, createdBy), Name: cve, Description: description}
	v.ExternalReferences = []ExternalReference{{SourceName: "cve", ExternalID: cve, URL: "https://www.cve.org/CVERecord?id=" + cve}}
	return v, nil
}

// NewCourseOfAction returns a remediation; key (e.g. advisory id and
// remediation number) fixes its id.
func NewCourseOfAction(key, name, description string, created time.Time, label TLP, createdBy string) *CourseOfAction {
	return &CourseOfAction{Common: newCommon("course-of-action", key, created, label, createdBy), Name: name, Description: description}
}

// NewRelationship links source to target with relType ("mitigates",
// "indicates", …); its id derives from the three.
func NewRelationship(relType, sourceRef, targetRef string, created time.Time, label TLP, createdBy string) *Relationship {
	return &Relationship{
		Common:           newCommon("relationship", relType+"\x00"+sourceRef+"\x00"+targetRef, created, label, createdBy),
		RelationshipType: relType, SourceRef: sourceRef, TargetRef: targetRef,
	}
}

// NewReport returns a report of objects published at published; key fixes
// its id (e.g. the alert id).
func NewReport(key, name string, published time.Time, objects []Object, label TLP, createdBy string) *Report {
	r := &Report{
		Common: newCommon("report", key, published, label, createdBy), Name: name,
		ReportTypes: []string{"threat-report"}, Published: Stamp(published),
		ObjectRefs: make([]string, 0, len(objects)),
	}
	for _, o := range objects {
		r.ObjectRefs = append(r.ObjectRefs, o.Base().ID)
	}
	return r
}

// Bundle is a STIX 2.1 bundle. Observables is filled by ParseBundle with the
// observables of the indicators it read and is not part of the JSON.
type Bundle struct {
	Type        string       `json:"type"`
	ID          string       `json:"id"`
	Objects     []Object     `json:"objects"`
	Observables []Observable `json:"-"`
}

// NewBundle returns a bundle of objects, adding the TLP marking definitions
// they refer to, so the bundle is self-contained. Its id is random-free:
// derived from the ids of its objects.
func NewBundle(objects ...Object) *Bundle {
	b := &Bundle{Type: "bundle", Objects: make([]Object, 0, len(objects)+2)}
	used := map[string]bool{}
	for _, o := range objects {
		for _, r := range o.Base().ObjectMarkingRefs {
			used[r] = true
		}
	}
	for _, t := range Labels {
		if used[MarkingRef(t)] {
			b.Objects = append(b.Objects, TLPMarking(t))
		}
	}
	var key strings.Builder
	for _, o := range objects {
		key.WriteString(o.Base().ID)
		key.WriteByte('\n')
	}
	b.Objects = append(b.Objects, objects...)
	b.ID = DeterministicID("bundle", key.String())
	return b
}

// MarshalJSON writes the bundle with its objects; it writes HTML characters
// unescaped (patterns hold & and <) to keep the output readable.
func (b *Bundle) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	objs := b.Objects
	if objs == nil {
		objs = []Object{}
	}
	err := enc.Encode(struct {
		Type    string   `json:"type"`
		ID      string   `json:"id"`
		Objects []Object `json:"objects"`
	}{b.Type, b.ID, objs})
	return bytes.TrimRight(buf.Bytes(), "\n"), err
}
