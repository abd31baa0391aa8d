package share

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/aceso-health/aceso"
)

// ParseBundle imports a STIX 2.1 bundle tolerantly: every object that
// decodes is kept (known types as their structs, others as Unknown), and
// each problem (an object that does not decode, a Validate message) is
// returned as an EINVALID error naming the object. Indicators with STIX
// patterns give Bundle.Observables, each carrying the indicator's strictest
// TLP marking (TLPUnknown when unmarked: the caller chooses the default)
// and the indicator id; revoked indicators give none. The bundle is nil only
// when data is not a JSON object with an objects list.
func ParseBundle(data []byte) (*Bundle, []error) {
	var top struct {
		Type    string            `json:"type"`
		ID      string            `json:"id"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, []error{aceso.Wrap(aceso.EINVALID, err, "stix bundle: %s", jsonErrField(err))}
	}
	if top.Objects == nil {
		return nil, []error{aceso.Errorf(aceso.EINVALID, "stix bundle: no objects list")}
	}
	var errs []error
	if top.Type != "bundle" {
		errs = append(errs, aceso.Errorf(aceso.EINVALID, "stix bundle: type is %.40q, want \"bundle\"", top.Type))
	}
	if !isRef(top.ID) || top.ID[:8] != "bundle--" {
		errs = append(errs, aceso.Errorf(aceso.EINVALID, "stix bundle: id %.60q is not bundle--<uuid>", top.ID))
	}
	b := &Bundle{Type: "bundle", ID: top.ID, Objects: make([]Object, 0, len(top.Objects))}
	for i, raw := range top.Objects {
		obj, err := decodeObject(raw)
		if err != nil {
			why := jsonErrField(err)
			if err == errNotObject {
				why = err.Error()
			}
			errs = append(errs, aceso.Wrap(aceso.EINVALID, err, "stix bundle: objects[%d]: %s", i, why))
			continue
		}
		for _, msg := range obj.problems {
			errs = append(errs, aceso.Errorf(aceso.EINVALID, "stix bundle: objects[%d] %.80s: %s", i, obj.Base().ID, msg))
		}
		b.Objects = append(b.Objects, obj.Object)
		if ind, ok := obj.Object.(*Indicator); ok {
			obs, err := indicatorObservables(ind)
			if err != nil {
				continue // already reported by Validate
			}
			b.Observables = append(b.Observables, obs...)
		}
	}
	return b, errs
}

var errNotObject = errors.New("not a JSON object")

type decoded struct {
	Object
	problems []string
}

func decodeObject(raw json.RawMessage) (decoded, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // unknown objects pass through with their numbers intact
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return decoded{}, errNotObject
	}
	typ, _ := m["type"].(string)
	var obj Object
	switch typ {
	case "identity":
		obj = &Identity{}
	case "indicator":
		obj = &Indicator{}
	case "vulnerability":
		obj = &Vulnerability{}
	case "course-of-action":
		obj = &CourseOfAction{}
	case "report":
		obj = &Report{}
	case "relationship":
		obj = &Relationship{}
	case "marking-definition":
		md := &MarkingDefinition{}
		if err := json.Unmarshal(raw, md); err != nil {
			return decoded{}, err
		}
		md.Type = typ
		return decoded{md, Validate(m)}, nil
	default:
		u := &Unknown{Raw: m}
		// Common is read loosely: a bad property of an unknown type is
		// reported by Validate, the object still passes through.
		u.Common.Type = typ
		u.Common.ID, _ = m["id"].(string)
		return decoded{u, Validate(m)}, nil
	}
	if err := json.Unmarshal(raw, obj); err != nil {
		return decoded{}, err
	}
	// encoding/json matches keys case-insensitively; the type that chose the
	// struct is the exact "type" key, so keep that one.
	obj.Base().Type = typ
	return decoded{obj, Validate(m)}, nil
}

func indicatorObservables(ind *Indicator) ([]Observable, error) {
	if ind.Revoked || (ind.PatternType != "stix" && ind.PatternType != "") {
		return nil, nil
	}
	obs, err := PatternObservables(ind.Pattern)
	if err != nil {
		return nil, err
	}
	label, _ := MarkingsTLP(ind.ObjectMarkingRefs)
	for i := range obs {
		obs[i].TLP = label
		obs[i].Indicator = ind.ID
	}
	return obs, nil
}
