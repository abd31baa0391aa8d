package incident

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/aceso-health/aceso"
)

// rsitJSON is the Reference Security Incident Taxonomy v1.3 (CC0, ENISA and
// TF-CSIRT), kept as data so that a taxonomy update is a data change.
//
//go:embed rsit.json
var rsitJSON []byte

// Taxonomy is the Reference Security Incident Taxonomy: the classes and the
// incident types within each class that incidents are classified with.
type Taxonomy struct {
	Name    string      `json:"name"`
	Version string      `json:"version"`
	Source  string      `json:"source"`
	Classes []RSITClass `json:"classes"`
}

// RSITClass is one class of the taxonomy (the mandatory first column), such as
// "intrusions", with the types that belong to it.
type RSITClass struct {
	Class       string     `json:"class"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Types       []RSITType `json:"types"`
}

// RSITType is one incident type of a class (the second column), such as
// "system-compromise".
type RSITType struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Classification is the class/type pair an incident is classified with, in
// the machine values of the taxonomy (e.g. "intrusions"/"system-compromise").
type Classification struct {
	Class string `json:"class"`
	Type  string `json:"type"`
}

var (
	rsitOnce sync.Once
	rsitTax  Taxonomy
	rsitErr  error
)

// RSIT returns the embedded taxonomy. It panics if the embedded file is
// broken, which a test catches before any release.
func RSIT() Taxonomy {
	rsitOnce.Do(func() { rsitTax, rsitErr = parseTaxonomy(rsitJSON) })
	if rsitErr != nil {
		panic(rsitErr)
	}
	return rsitTax
}

func parseTaxonomy(data []byte) (Taxonomy, error) {
	var t Taxonomy
	if err := json.Unmarshal(data, &t); err != nil {
		return Taxonomy{}, fmt.Errorf("rsit: %w", err)
	}
	seen := map[string]bool{}
	for i, c := range t.Classes {
		if c.Class == "" || seen[c.Class] {
			return Taxonomy{}, fmt.Errorf("rsit: class %d: empty or duplicate class %q", i, c.Class)
		}
		seen[c.Class] = true
		if len(c.Types) == 0 {
			return Taxonomy{}, fmt.Errorf("rsit: class %q: no types", c.Class)
		}
		types := map[string]bool{}
		for j, ty := range c.Types {
			if ty.Type == "" || types[ty.Type] || ty.Description == "" {
				return Taxonomy{}, fmt.Errorf("rsit: class %q type %d: empty, duplicate or undescribed type %q", c.Class, j, ty.Type)
			}
			types[ty.Type] = true
		}
	}
	return t, nil
}

// Lookup returns the class and type for a machine-value pair, so callers can
// show names and descriptions and reject pairs the taxonomy does not define.
func (t Taxonomy) Lookup(class, typ string) (RSITClass, RSITType, bool) {
	for _, c := range t.Classes {
		if c.Class != class {
			continue
		}
		for _, ty := range c.Types {
			if ty.Type == typ {
				return c, ty, true
			}
		}
		return c, RSITType{}, false
	}
	return RSITClass{}, RSITType{}, false
}

// Validate reports whether c is a pair of the taxonomy; the empty pair means
// "not classified yet" and is valid.
func (c Classification) Validate() error {
	if c.Class == "" && c.Type == "" {
		return nil
	}
	cl, _, ok := RSIT().Lookup(c.Class, c.Type)
	switch {
	case ok:
		return nil
	case cl.Class == "":
		return aceso.Errorf(aceso.EINVALID, "classification.class: %q is not an RSIT class", c.Class)
	default:
		return aceso.Errorf(aceso.EINVALID, "classification.type: %q is not a type of RSIT class %q", c.Type, c.Class)
	}
}
