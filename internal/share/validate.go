package share

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
)

var (
	cveRe   = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)
	scoType = map[string]bool{
		"artifact": true, "autonomous-system": true, "directory": true, "domain-name": true,
		"email-addr": true, "email-message": true, "file": true, "ipv4-addr": true, "ipv6-addr": true,
		"mac-addr": true, "mutex": true, "network-traffic": true, "process": true, "software": true,
		"url": true, "user-account": true, "windows-registry-key": true, "x509-certificate": true,
	}
	// namedTypes are the domain objects whose name property is required.
	namedTypes = map[string]bool{
		"attack-pattern": true, "campaign": true, "course-of-action": true, "grouping": false,
		"identity": true, "infrastructure": true, "intrusion-set": true, "location": false,
		"malware": false, "threat-actor": true, "tool": true, "vulnerability": true, "report": true,
	}
)

// Validate checks a decoded STIX 2.1 object (or bundle, recursively) at the
// level of the JSON schemas: the common properties (type, spec_version
// "2.1", id "<type>--<uuid>", created/modified as RFC 3339 UTC timestamps
// with modified not before created, reference formats), the properties
// each modelled type requires, and the syntax of STIX patterns. It returns
// one message per problem, naming the property; none means valid. Numbers
// may be float64 or json.Number (a decoder with UseNumber).
func Validate(obj map[string]any) []string {
	var v validator
	v.object("", obj)
	return v.msgs
}

type validator struct{ msgs []string }

func (v *validator) add(prefix, field, format string, args ...any) {
	v.msgs = append(v.msgs, prefix+field+": "+fmt.Sprintf(format, args...))
}

func (v *validator) object(prefix string, obj map[string]any) {
	typ, ok := obj["type"].(string)
	if !ok || !isType(typ) {
		v.add(prefix, "type", "required: lower-case letters, digits and hyphens, 3-250 characters")
		return
	}
	v.id(prefix, obj, typ)
	if typ == "bundle" {
		objs, ok := obj["objects"].([]any)
		if _, present := obj["objects"]; present && !ok {
			v.add(prefix, "objects", "must be a list")
		}
		for i, o := range objs {
			m, ok := o.(map[string]any)
			if !ok {
				v.add(prefix, fmt.Sprintf("objects[%d]", i), "must be an object")
				continue
			}
			id, _ := m["id"].(string)
			v.object(fmt.Sprintf("%sobjects[%d] %.80s: ", prefix, i, id), m)
		}
		return
	}
	sco := scoType[typ]
	if sv, present := obj["spec_version"]; present || !sco {
		if sv != "2.1" {
			v.add(prefix, "spec_version", `required and must be "2.1"`)
		}
	}
	var created, modified time.Time
	if !sco {
		created = v.timestamp(prefix, obj, "created", true)
		if typ != "marking-definition" {
			modified = v.timestamp(prefix, obj, "modified", true)
		}
		if !created.IsZero() && !modified.IsZero() && modified.Before(created) {
			v.add(prefix, "modified", "before created")
		}
	}
	if r, present := obj["created_by_ref"]; present {
		if s, ok := r.(string); !ok || !isRef(s) || !strings.HasPrefix(s, "identity--") {
			v.add(prefix, "created_by_ref", "must be an identity id")
		}
	}
	v.refs(prefix, obj, "object_marking_refs", "marking-definition", false)
	v.externalRefs(prefix, obj, typ)

	if namedTypes[typ] {
		v.str(prefix, obj, "name")
	}
	switch typ {
	case "indicator":
		pattern := v.str(prefix, obj, "pattern")
		ptype := v.str(prefix, obj, "pattern_type")
		from := v.timestamp(prefix, obj, "valid_from", true)
		until := v.timestamp(prefix, obj, "valid_until", false)
		if !from.IsZero() && !until.IsZero() && !until.After(from) {
			v.add(prefix, "valid_until", "must be after valid_from")
		}
		if ptype == "stix" && pattern != "" {
			if _, err := ParsePattern(pattern); err != nil {
				v.add(prefix, "pattern", "%s", aceso.ErrorMessage(err))
			}
		}
	case "report":
		v.timestamp(prefix, obj, "published", true)
		v.refs(prefix, obj, "object_refs", "", true)
	case "relationship":
		v.str(prefix, obj, "relationship_type")
		v.oneRef(prefix, obj, "source_ref")
		v.oneRef(prefix, obj, "target_ref")
	case "observed-data":
		first := v.timestamp(prefix, obj, "first_observed", true)
		last := v.timestamp(prefix, obj, "last_observed", true)
		if !first.IsZero() && !last.IsZero() && last.Before(first) {
			v.add(prefix, "last_observed", "before first_observed")
		}
		if n, ok := toFloat(obj["number_observed"]); !ok || n < 1 || n > 999999999 || n != float64(int64(n)) {
			v.add(prefix, "number_observed", "required: an integer from 1 to 999999999")
		}
		v.refs(prefix, obj, "object_refs", "", true)
	case "marking-definition":
		_, hasExt := obj["extensions"].(map[string]any)
		_, hasDef := obj["definition"].(map[string]any)
		dt, _ := obj["definition_type"].(string)
		if !hasExt && !(hasDef && dt != "") {
			v.add(prefix, "definition", "required (with definition_type) unless extensions is present")
		}
		id, _ := obj["id"].(string)
		if t, ok := markingTLP[id]; ok && MarkingRef(t) == id {
			if name, _ := obj["name"].(string); name != t.String() {
				v.add(prefix, "name", "the standard marking %s is named %q", id, t.String())
			}
		}
	}
}

func (v *validator) id(prefix string, obj map[string]any, typ string) {
	id, ok := obj["id"].(string)
	if !ok || !isRef(id) || !strings.HasPrefix(id, typ+"--") {
		v.add(prefix, "id", "required: %q followed by a UUID", typ+"--")
		return
	}
	// RFC 4122 variant: the first hex digit of the fourth group is 8, 9, a or b.
	if c := id[len(id)-17]; !strings.ContainsRune("89abAB", rune(c)) {
		v.add(prefix, "id", "UUID is not an RFC 4122 UUID (variant)")
	}
}

func (v *validator) str(prefix string, obj map[string]any, field string) string {
	s, ok := obj[field].(string)
	if !ok || strings.TrimSpace(s) == "" {
		v.add(prefix, field, "required: a non-empty string")
		return ""
	}
	return s
}

func (v *validator) timestamp(prefix string, obj map[string]any, field string, required bool) time.Time {
	raw, present := obj[field]
	if !present {
		if required {
			v.add(prefix, field, "required: an RFC 3339 timestamp")
		}
		return time.Time{}
	}
	s, ok := raw.(string)
	if !ok {
		v.add(prefix, field, "must be an RFC 3339 timestamp string")
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		v.add(prefix, field, "%.40q is not an RFC 3339 timestamp", s)
		return time.Time{}
	}
	if !strings.HasSuffix(s, "Z") && !strings.HasSuffix(s, "z") {
		v.add(prefix, field, "must be in UTC with the Z designation")
	}
	return t
}

func (v *validator) refs(prefix string, obj map[string]any, field, typ string, required bool) {
	raw, present := obj[field]
	if !present {
		if required {
			v.add(prefix, field, "required: a non-empty list of ids")
		}
		return
	}
	list, ok := raw.([]any)
	if !ok || (required && len(list) == 0) {
		v.add(prefix, field, "must be a non-empty list of ids")
		return
	}
	for i, r := range list {
		s, ok := r.(string)
		if !ok || !isRef(s) || (typ != "" && !strings.HasPrefix(s, typ+"--")) {
			want := "an id"
			if typ != "" {
				want = "a " + typ + " id"
			}
			v.add(prefix, fmt.Sprintf("%s[%d]", field, i), "must be %s", want)
		}
	}
}

func (v *validator) oneRef(prefix string, obj map[string]any, field string) {
	if s, ok := obj[field].(string); !ok || !isRef(s) {
		v.add(prefix, field, "required: an id")
	}
}

func (v *validator) externalRefs(prefix string, obj map[string]any, typ string) {
	raw, present := obj["external_references"]
	if !present {
		return
	}
	list, ok := raw.([]any)
	if !ok {
		v.add(prefix, "external_references", "must be a list")
		return
	}
	for i, r := range list {
		m, ok := r.(map[string]any)
		field := fmt.Sprintf("external_references[%d]", i)
		if !ok {
			v.add(prefix, field, "must be an object")
			continue
		}
		src, _ := m["source_name"].(string)
		if src == "" {
			v.add(prefix, field+".source_name", "required")
		}
		if typ == "vulnerability" && src == "cve" {
			if id, _ := m["external_id"].(string); !cveRe.MatchString(id) {
				v.add(prefix, field+".external_id", "a cve reference needs a CVE id (CVE-YYYY-NNNN)")
			}
		}
	}
}

// toFloat reads a JSON number decoded either as float64 or as json.Number.
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// isType reports whether s is a STIX type name: 3-250 characters of
// lower-case letters, digits and hyphens, starting with a letter and not
// ending with a hyphen.
func isType(s string) bool {
	if len(s) < 3 || len(s) > 250 || !(s[0] >= 'a' && s[0] <= 'z') || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isRef reports whether s is a STIX identifier "<type>--<uuid>".
func isRef(s string) bool {
	if len(s) < 36+2+3 || s[len(s)-38:len(s)-36] != "--" {
		return false
	}
	return isType(s[:len(s)-38]) && IsUUID(s[len(s)-36:])
}
