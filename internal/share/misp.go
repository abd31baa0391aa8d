package share

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/aceso-health/aceso"
)

// FlexInt is an integer that MISP writes either as a JSON number or as a
// string of digits ("threat_level_id": "1"); null and "" read as 0. It is
// written back as a string, the way MISP itself exports events.
type FlexInt int64

// UnmarshalJSON accepts a number, a string of a number, or null.
func (f *FlexInt) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		*f = 0
		return nil
	}
	if len(s) > 0 && s[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*f = 0
			return nil
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// MISP never writes fractions, but other producers write 2.0.
		x, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || x != float64(int64(x)) {
			return &json.UnmarshalTypeError{Value: fmt.Sprintf("%.40q", s), Type: reflect.TypeFor[FlexInt]()}
		}
		n = int64(x)
	}
	*f = FlexInt(n)
	return nil
}

// MarshalJSON writes the number as a JSON string.
func (f FlexInt) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(int64(f), 10) + `"`), nil
}

// FlexBool is a boolean that MISP writes as true/false, 0/1 or "0"/"1";
// null and "" read as false.
type FlexBool bool

// UnmarshalJSON accepts a boolean, 0/1 as number or string, or null.
func (f *FlexBool) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if len(s) > 0 && s[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1":
		*f = true
	case "false", "0", "", "null":
		*f = false
	default:
		return &json.UnmarshalTypeError{Value: fmt.Sprintf("%.40q", s), Type: reflect.TypeFor[FlexBool]()}
	}
	return nil
}

// MISP distribution levels of events and attributes.
const (
	DistributionOrganisation = 0 // your organisation only
	DistributionCommunity    = 1 // this community only
	DistributionConnected    = 2 // connected communities
	DistributionAll          = 3 // all communities
	DistributionSharingGroup = 4 // a sharing group
	DistributionInherit      = 5 // attributes: as the event
)

// MISPDistribution maps a TLP label to the MISP distribution written into a
// feed. A feed is read by another MISP instance, where the distribution
// decides who there sees the event and whether it syncs onwards:
//
//	CLEAR        → 3 all communities (may go anywhere)
//	GREEN        → 2 connected communities (the consumer's community and its
//	               sync partners, never beyond)
//	AMBER        → 1 this community only (the consumer instance's own
//	               organisations: the recipient and its clients)
//	AMBER+STRICT → 0 your organisation only
//	RED          → 0 your organisation only (RED is never allowed on a feed
//	               channel anyway; see ChannelMax)
//
// An invalid label maps to 0, the most restrictive.
func MISPDistribution(t TLP) int {
	switch t {
	case TLPClear:
		return DistributionAll
	case TLPGreen:
		return DistributionConnected
	case TLPAmber:
		return DistributionCommunity
	}
	return DistributionOrganisation
}

// MISPOrg is an organisation as MISP names it (Org, Orgc).
type MISPOrg struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
}

// MISPTag is a MISP tag; taxonomies are machine tags like `tlp:amber`.
type MISPTag struct {
	Name   string `json:"name"`
	Colour string `json:"colour,omitempty"`
}

// MISPAttribute is one indicator or piece of context of an event.
type MISPAttribute struct {
	UUID           string    `json:"uuid,omitempty"`
	Type           string    `json:"type"`
	Category       string    `json:"category,omitempty"`
	Value          string    `json:"value"`
	ToIDs          FlexBool  `json:"to_ids"`
	Comment        string    `json:"comment,omitempty"`
	Timestamp      FlexInt   `json:"timestamp,omitempty"`
	Distribution   FlexInt   `json:"distribution"`
	ObjectRelation string    `json:"object_relation,omitempty"`
	Deleted        FlexBool  `json:"deleted,omitempty"`
	Tag            []MISPTag `json:"Tag,omitempty"`
}

// MISPObject groups attributes after an object template (file, url, …).
type MISPObject struct {
	UUID            string          `json:"uuid,omitempty"`
	Name            string          `json:"name"`
	MetaCategory    string          `json:"meta-category,omitempty"`
	Description     string          `json:"description,omitempty"`
	TemplateUUID    string          `json:"template_uuid,omitempty"`
	TemplateVersion FlexInt         `json:"template_version,omitempty"`
	Comment         string          `json:"comment,omitempty"`
	Timestamp       FlexInt         `json:"timestamp,omitempty"`
	Distribution    FlexInt         `json:"distribution"`
	Attribute       []MISPAttribute `json:"Attribute"`
}

// MISPEvent is an event of the MISP core format: the fields Aceso reads and
// writes. Unknown fields (Org ids, ShadowAttribute, Galaxy, …) are ignored.
type MISPEvent struct {
	UUID             string          `json:"uuid"`
	Info             string          `json:"info"`
	Date             string          `json:"date,omitempty"`
	ThreatLevelID    FlexInt         `json:"threat_level_id"`
	Analysis         FlexInt         `json:"analysis"`
	Distribution     FlexInt         `json:"distribution"`
	Published        FlexBool        `json:"published"`
	Timestamp        FlexInt         `json:"timestamp,omitempty"`
	PublishTimestamp FlexInt         `json:"publish_timestamp,omitempty"`
	Orgc             *MISPOrg        `json:"Orgc,omitempty"`
	Tag              []MISPTag       `json:"Tag,omitempty"`
	Attribute        []MISPAttribute `json:"Attribute,omitempty"`
	Object           []MISPObject    `json:"Object,omitempty"`
}

// ParseMISPEvent reads one MISP event in any of the shapes found in the
// wild: wrapped `{"Event": {...}}`, bare, or an API answer
// `{"response": [{"Event": {...}}]}` (its first event). It is tolerant of
// numbers written as strings and of missing fields, but the document must be
// a JSON object with at least one of uuid, info, Attribute or Object;
// otherwise, or on malformed JSON, the error is EINVALID and names the field.
func ParseMISPEvent(data []byte) (*MISPEvent, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, aceso.Wrap(aceso.EINVALID, err, "misp event: not a JSON object")
	}
	body := data
	if raw, ok := top["response"]; ok {
		var list []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 || list[0] == nil {
			return nil, aceso.Errorf(aceso.EINVALID, "misp event: response: not a non-empty list of events")
		}
		top = list[0]
		body, _ = json.Marshal(top)
	}
	if raw, ok := top["Event"]; ok {
		body = raw
		top = nil
		if err := json.Unmarshal(raw, &top); err != nil || top == nil {
			return nil, aceso.Errorf(aceso.EINVALID, "misp event: Event: not a JSON object")
		}
	}
	var ev MISPEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, aceso.Wrap(aceso.EINVALID, err, "misp event: %s", jsonErrField(err))
	}
	if !hasAny(top, "uuid", "info", "Attribute", "Object") {
		return nil, aceso.Errorf(aceso.EINVALID, "misp event: none of uuid, info, Attribute, Object: not an event")
	}
	return &ev, nil
}

// hasAny reports whether m has one of the keys, as encoding/json matches
// them (case-insensitively).
func hasAny(m map[string]json.RawMessage, keys ...string) bool {
	for k := range m {
		for _, want := range keys {
			if strings.EqualFold(k, want) {
				return true
			}
		}
	}
	return false
}

// jsonErrField names the field of a decoding error for the user.
func jsonErrField(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return "field " + strings.TrimPrefix(te.Field, "Common.") + ": " + te.Value + " is not " + typeWord(te.Type)
	}
	msg := err.Error()
	if i := strings.Index(msg, "Go struct field "); i >= 0 {
		return "field " + msg[i+len("Go struct field "):]
	}
	return "malformed"
}

// typeWord names a Go type the way a JSON author knows it.
func typeWord(t reflect.Type) string {
	switch {
	case t == nil:
		return "valid"
	case t == reflect.TypeFor[FlexInt]():
		return "an integer"
	case t == reflect.TypeFor[FlexBool]():
		return "a boolean"
	case t == reflect.TypeFor[Timestamp]():
		return "an RFC 3339 timestamp"
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	}
	return "a number"
}

// TLP returns the strictest TLP label among the event's tlp: tags, and
// false when it carries none. Tags of other taxonomies are ignored; a tlp:
// tag that is not a TLP label (tlp:ex:chr) is ignored as well.
func (e *MISPEvent) TLP() (TLP, bool) { return tagsTLP(e.Tag) }

func tagsTLP(tags []MISPTag) (TLP, bool) {
	var labels []TLP
	for _, t := range tags {
		name := strings.TrimSpace(t.Name)
		if len(name) < 4 || !strings.EqualFold(name[:4], "tlp:") {
			continue
		}
		if l, err := ParseTLP(name); err == nil {
			labels = append(labels, l)
		}
	}
	if len(labels) == 0 {
		return TLPUnknown, false
	}
	return Strictest(labels...), true
}

// SetTLP replaces the event's tlp: tags by the canonical tag of t, keeping
// all other tags in order.
func (e *MISPEvent) SetTLP(t TLP) {
	out := e.Tag[:0:0]
	for _, tag := range e.Tag {
		if n := strings.TrimSpace(tag.Name); len(n) >= 4 && strings.EqualFold(n[:4], "tlp:") {
			if _, err := ParseTLP(n); err == nil {
				continue
			}
		}
		out = append(out, tag)
	}
	e.Tag = append(out, MISPTag{Name: t.MISPTag(), Colour: tlpColour[t]})
}

// tlpColour is the colour of the MISP tlp taxonomy, so exported tags look
// as MISP users expect.
var tlpColour = map[TLP]string{
	TLPClear: "#ffffff", TLPGreen: "#33ff00", TLPAmber: "#ffc000",
	TLPAmberStrict: "#ffc000", TLPRed: "#ff2b2b",
}

// Attributes returns the event's attributes followed by those of its
// objects, the set a feed's hashes.csv covers.
func (e *MISPEvent) Attributes() []MISPAttribute {
	n := len(e.Attribute)
	for _, o := range e.Object {
		n += len(o.Attribute)
	}
	out := make([]MISPAttribute, 0, n)
	out = append(out, e.Attribute...)
	for _, o := range e.Object {
		out = append(out, o.Attribute...)
	}
	return out
}
