package advisory

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
)

// maxWarnings bounds the warnings kept per document so that a hostile or
// broken file cannot make one advisory hold millions of strings.
const maxWarnings = 200

// utf8BOM is stripped before decoding: some publishing tools write it and
// encoding/json rejects it.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// parser holds the state of one Parse call.
type parser struct {
	a       *Advisory
	dropped int                        // warnings over maxWarnings
	vendors map[string]string          // raw vendor → normalised, per document
	skips   map[string]map[string]bool // vendor → its words, not to be taken for models
}

// full reports whether no more warnings are kept, so that callers can skip
// building costly warning text.
func (p *parser) full() bool { return len(p.a.Warnings) >= maxWarnings }

func (p *parser) warnf(format string, args ...any) {
	if len(p.a.Warnings) >= maxWarnings {
		p.dropped++
		return
	}
	p.a.Warnings = append(p.a.Warnings, fmt.Sprintf(format, args...))
}

// Parse reads one CSAF 2.0 document. It fails only when data is not JSON or
// has no "document" object; every other schema problem (missing fields,
// unknown categories, bad dates, numbers written as strings) is recorded in
// Warnings, because dropping a real advisory would hide affected devices.
func Parse(data []byte) (*Advisory, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	var raw rawCSAF
	err := json.Unmarshal(data, &raw)
	var typeErr *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &typeErr) {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, aceso.Wrap(aceso.EINVALID, err, "csaf: not JSON: %s at byte %d", syn.Error(), syn.Offset)
		}
		return nil, aceso.Wrap(aceso.EINVALID, err, "csaf: not JSON: %s", err.Error())
	}
	if raw.Document == nil || typeErr != nil && !documentIsObject(data) {
		return nil, aceso.Errorf(aceso.EINVALID, `csaf: no "document" object`)
	}
	p := &parser{a: &Advisory{}}
	if typeErr != nil {
		// encoding/json skips the mistyped value and reports only the first.
		p.warnf("%s: %s where %s was expected (value skipped)", typeErrField(typeErr), typeErr.Value, typeErr.Type)
	}
	p.document(raw.Document)
	if raw.ProductTree == nil && len(raw.Vulnerabilities) > 0 {
		p.warnf("product_tree: missing")
	}
	p.productTree(raw.ProductTree)
	p.vulnerabilities(raw.Vulnerabilities)
	if p.dropped > 0 {
		p.a.Warnings = append(p.a.Warnings, fmt.Sprintf("%d more warnings not shown", p.dropped))
	}
	if p.a.Products == nil {
		p.a.Products = []Product{}
	}
	if p.a.Vulnerabilities == nil {
		p.a.Vulnerabilities = []Vulnerability{}
	}
	return p.a, nil
}

// documentIsObject reports whether data's "document" member is a JSON
// object. Only needed after a type error: encoding/json allocates the
// Document pointer before it finds that the value is, say, a string.
func documentIsObject(data []byte) bool {
	var probe struct {
		Document json.RawMessage `json:"document"`
	}
	_ = json.Unmarshal(data, &probe) // a type error elsewhere does not matter here
	return len(probe.Document) > 0 && probe.Document[0] == '{'
}

func typeErrField(e *json.UnmarshalTypeError) string {
	if e.Field != "" {
		return e.Field
	}
	return fmt.Sprintf("byte %d", e.Offset)
}

// ParseFile reads and parses the CSAF document at path, recording the path
// in Source and the SHA-256 of the raw bytes in SHA256.
func ParseFile(path string) (*Advisory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("csaf %s: %w", path, err)
	}
	return parseNamed(path, data)
}

// parseNamed parses data read from name, naming it in errors.
func parseNamed(name string, data []byte) (*Advisory, error) {
	a, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	sum := sha256.Sum256(data)
	a.Source = name
	a.SHA256 = hex.EncodeToString(sum[:])
	return a, nil
}

var (
	publisherCategories = []string{"coordinator", "discoverer", "other", "translator", "user", "vendor"}
	noteCategories      = []string{"description", "details", "faq", "general", "legal_disclaimer", "other", "summary"}
	referenceCategories = []string{"external", "self"}
	trackingStatuses    = []string{"draft", "final", "interim"}
)

func (p *parser) document(d *rawDocument) {
	a := p.a
	a.Title = strings.TrimSpace(d.Title)
	if a.Title == "" {
		p.warnf("document.title: missing")
	}
	if d.Category == "" {
		p.warnf("document.category: missing")
	}
	switch {
	case d.CSAFVersion.S == "":
		p.warnf("document.csaf_version: missing")
	case d.CSAFVersion.S != "2.0":
		p.warnf("document.csaf_version: %q, expected \"2.0\"", d.CSAFVersion.S)
	}
	if pub := d.Publisher; pub == nil {
		p.warnf("document.publisher: missing")
	} else {
		a.Publisher = strings.TrimSpace(pub.Name)
		if a.Publisher == "" {
			p.warnf("document.publisher.name: missing")
		}
		if pub.Namespace == "" {
			p.warnf("document.publisher.namespace: missing")
		}
		p.enum("document.publisher.category", pub.Category, publisherCategories)
	}
	if d.Distribution != nil && d.Distribution.TLP != nil {
		label := d.Distribution.TLP.Label
		a.TLP = mapTLP(label)
		if a.TLP == "" {
			// Fail closed: a label we cannot read must not make the
			// advisory look unlabelled (which every member may see).
			a.TLP = TLPUnrecognised
			p.warnf("document.distribution.tlp.label: unknown label %q; the advisory is kept to the CSIRT", label)
		}
	}
	if t := d.Tracking; t == nil {
		p.warnf("document.tracking: missing")
	} else {
		p.tracking(t)
	}
	a.Notes = p.notes("document.notes", d.Notes)
	a.References = p.references("document.references", d.References)
}

func (p *parser) tracking(t *rawTracking) {
	a := p.a
	a.ID = strings.TrimSpace(t.ID)
	if a.ID == "" {
		p.warnf("document.tracking.id: missing")
	}
	a.Status = t.Status
	p.enum("document.tracking.status", t.Status, trackingStatuses)
	a.Revision = p.flex("document.tracking.version", t.Version)
	if a.Revision == "" {
		p.warnf("document.tracking.version: missing")
	}
	a.InitialRelease = p.date("document.tracking.initial_release_date", t.InitialReleaseDate)
	a.CurrentRelease = p.date("document.tracking.current_release_date", t.CurrentReleaseDate)
	if len(t.RevisionHistory) == 0 {
		p.warnf("document.tracking.revision_history: missing")
	}
	for i, r := range t.RevisionHistory {
		if r.Number.Bad || r.Number.Coerced || r.Number.S == "" {
			if v := p.flex(fmt.Sprintf("document.tracking.revision_history[%d].number", i), r.Number); v == "" && !r.Number.Bad {
				p.warnf("document.tracking.revision_history[%d].number: missing", i)
			}
		}
		if _, err := time.Parse(time.RFC3339Nano, r.Date); err != nil {
			p.date(fmt.Sprintf("document.tracking.revision_history[%d].date", i), r.Date)
		}
	}
}

// flex returns the text of a flexString, warning where its JSON type was wrong.
func (p *parser) flex(field string, f flexString) string {
	switch {
	case f.Bad:
		p.warnf("%s: object or array where a string was expected", field)
	case f.Coerced:
		p.warnf("%s: %s written as a number, expected a string", field, f.S)
	}
	return strings.TrimSpace(f.S)
}

// enum warns when v is missing or not one of allowed.
func (p *parser) enum(field, v string, allowed []string) {
	if v == "" {
		p.warnf("%s: missing", field)
	} else if !slices.Contains(allowed, v) {
		p.warnf("%s: unknown category %q", field, v)
	}
}

// dateLayouts are tried in order; only the first is what the schema allows.
var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"}

// date parses a CSAF date-time; a missing or unparsable one is a warning and
// the zero time, a parsable but non-RFC 3339 one a warning and its value (UTC
// when it has no zone).
func (p *parser) date(field, s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		p.warnf("%s: missing", field)
		return time.Time{}
	}
	for i, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if i > 0 {
				p.warnf("%s: %q is not an RFC 3339 date-time", field, s)
			}
			return t.UTC()
		}
	}
	p.warnf("%s: bad date %q", field, s)
	return time.Time{}
}

// notes checks notes in place: Note has CSAF's member names, so the slice
// decoded from JSON is kept as it is.
func (p *parser) notes(field string, in []Note) []Note {
	for i, n := range in {
		if !slices.Contains(noteCategories, n.Category) {
			p.enum(fmt.Sprintf("%s[%d].category", field, i), n.Category, noteCategories)
		}
		if n.Text == "" {
			p.warnf("%s[%d].text: missing", field, i)
		}
	}
	return in
}

func (p *parser) references(field string, in []Reference) []Reference {
	for i, r := range in {
		if r.Category != "" && !slices.Contains(referenceCategories, r.Category) {
			p.warnf("%s[%d].category: unknown category %q", field, i, r.Category)
		}
		if r.URL == "" {
			p.warnf("%s[%d].url: missing", field, i)
		}
	}
	return in
}

// mapTLP maps a CSAF 2.0 TLP label (TLP 1.0 words) to its TLP 2.0 string;
// it returns "" for an unknown label.
// TLPUnrecognised is stored for an advisory whose distribution names a TLP
// label that is not one of TLP 1.0/2.0's. It is not a valid label, so the
// sharing rule admits no member and no exporter emits the advisory: only the
// CSIRT sees it until a corrected revision arrives.
const TLPUnrecognised = "TLP:UNRECOGNISED"

func mapTLP(label string) string {
	l := strings.ToUpper(strings.TrimSpace(label))
	l = strings.TrimPrefix(l, "TLP:")
	switch l {
	case "WHITE", "CLEAR":
		return "TLP:CLEAR"
	case "GREEN", "AMBER", "RED", "AMBER+STRICT":
		return "TLP:" + l
	}
	return ""
}
