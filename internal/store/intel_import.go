package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/share"
)

// Import outcomes of one object.
const (
	ImportAdded     = "added"
	ImportUnchanged = "unchanged"
	ImportRejected  = "rejected"
)

// IntelImportItem is one object of an import and what became of it.
type IntelImportItem struct {
	ObjectID   string     `json:"object_id"`
	ObjectType string     `json:"object_type,omitempty"`
	Version    *time.Time `json:"version,omitempty"`
	TLP        string     `json:"tlp,omitempty"`
	Outcome    string     `json:"outcome"`          // added, unchanged or rejected
	Reason     string     `json:"reason,omitempty"` // why rejected or unchanged, or a remark (an assumed label)
}

// IntelBatch is what a parser made of an import source: objects ready to
// store (Notes holds a remark per index of Items), and the objects it
// refused with the reason.
type IntelBatch struct {
	Source   string
	Format   string
	Items    []Intel
	Notes    map[int]string
	Rejected []IntelImportItem
}

func (b *IntelBatch) note(msg string) {
	if b.Notes == nil {
		b.Notes = map[int]string{}
	}
	b.Notes[len(b.Items)-1] = msg
}

func (b *IntelBatch) reject(id, typ, reason string) {
	if len(id) > 200 {
		id = strings.ToValidUTF8(id[:200], "") + "…"
	}
	b.Rejected = append(b.Rejected, IntelImportItem{ObjectID: id, ObjectType: typ, Outcome: ImportRejected, Reason: reason})
}

// IntelImportReport says what an import did, object by object.
type IntelImportReport struct {
	Source    string            `json:"source"`
	Format    string            `json:"format"`
	Added     int               `json:"added"`
	Unchanged int               `json:"unchanged"`
	Rejected  int               `json:"rejected"`
	Items     []IntelImportItem `json:"items"`
}

// ImportIntel stores a parsed batch for the principal's organisation
// (analyst and up, through AddIntel: one audit entry when anything was
// added) and reports each object: added, unchanged (the organisation held
// that id and version already, or the batch repeats it), or rejected by the
// parser or because it is TLP:RED (RED goes to named people, never to a
// whole organisation, so it is not stored).
func (tx *Tx) ImportIntel(ctx context.Context, p access.Principal, b IntelBatch) (IntelImportReport, error) {
	rep := IntelImportReport{Source: b.Source, Format: b.Format, Items: []IntelImportItem{}}
	if err := access.Authorize(p, access.ActAnalyse, p.OrgID); err != nil {
		return rep, err
	}
	type key struct {
		id  string
		ver int64
	}
	held := map[key]bool{}
	ids := make([]string, 0, len(b.Items))
	for i := range b.Items {
		if b.Items[i].Version.IsZero() {
			b.Items[i].Version = tx.now // as AddIntel would
		}
		ids = append(ids, b.Items[i].ObjectID)
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := []any{p.OrgID}
		marks := make([]string, len(chunk))
		for i, id := range chunk {
			args = append(args, id)
			marks[i] = fmt.Sprintf("$%d", i+2)
		}
		rows, err := tx.tx.QueryContext(ctx, "SELECT object_id, version FROM intel WHERE org_id = $1 AND object_id IN ("+strings.Join(marks, ", ")+")", args...)
		if err != nil {
			return rep, err
		}
		for rows.Next() {
			var k key
			if err := rows.Scan(&k.id, &k.ver); err != nil {
				rows.Close()
				return rep, err
			}
			held[k] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return rep, err
		}
	}
	seen := map[key]bool{}
	var fresh []Intel
	red := 0
	for i, it := range b.Items {
		k := key{it.ObjectID, ts(it.Version)}
		v := it.Version
		item := IntelImportItem{ObjectID: it.ObjectID, ObjectType: it.ObjectType, Version: &v, TLP: it.TLP.String(), Outcome: ImportAdded, Reason: b.Notes[i]}
		switch {
		case it.TLP == share.TLPRed:
			item.Outcome, item.Reason = ImportRejected, intelRedRefusal
			red++
		case held[k]:
			item.Outcome, item.Reason = ImportUnchanged, "this version is held already"
		case seen[k]:
			item.Outcome, item.Reason = ImportUnchanged, "repeated in this import"
		default:
			fresh = append(fresh, it)
		}
		seen[k] = true
		rep.Items = append(rep.Items, item)
	}
	res, err := tx.AddIntel(ctx, p, fresh)
	if err != nil {
		return rep, err
	}
	rep.Added, rep.Unchanged = res.Added, len(b.Items)-red-res.Added
	rep.Items = append(rep.Items, b.Rejected...)
	rep.Rejected = len(b.Rejected) + red
	return rep, nil
}

// intelRedRefusal is why an import rejects a TLP:RED object: intel belongs
// to the whole organisation and reaches its API tokens, while RED is for
// the people it was given to.
const intelRedRefusal = "TLP:RED is for named people; Aceso does not store RED intelligence for an organisation"

// Import formats a caller may ask for; IntelFormatAuto looks at the data.
const IntelFormatAuto = "auto"

// DetectIntelFormat tells a STIX bundle (a top-level "type": "bundle") from
// anything else, which is read as MISP.
func DetectIntelFormat(data []byte) string {
	var top struct {
		Type json.RawMessage `json:"type"`
	}
	if json.Unmarshal(data, &top) == nil && string(bytes.TrimSpace(top.Type)) == `"bundle"` {
		return FormatSTIX
	}
	return FormatMISP
}

// ParseIntel parses an uploaded document of format (stix, misp or auto):
// a STIX 2.1 bundle or one MISP event. source names it in the stored
// intel and in errors; a document that is not of the format at all is an
// EINVALID error naming source and the field, and nothing of it is kept.
func ParseIntel(data []byte, format, source string) (IntelBatch, error) {
	switch format {
	case "", IntelFormatAuto:
		format = DetectIntelFormat(data)
	case FormatSTIX, FormatMISP:
	default:
		return IntelBatch{}, aceso.Errorf(aceso.EINVALID, "format %.40q is not stix, misp or auto", format)
	}
	if format == FormatSTIX {
		return ParseSTIXIntel(data, source)
	}
	return ParseMISPIntel(data, source)
}

// ParseMISPIntel reads one MISP event as intel. A feed's manifest.json is
// refused with a hint: its events are files next to it, which an upload
// does not have (import the feed by its URL).
func ParseMISPIntel(data []byte, source string) (IntelBatch, error) {
	b := IntelBatch{Source: source, Format: FormatMISP}
	ev, err := share.ParseMISPEvent(data)
	if err != nil {
		if IsMISPManifest(data) {
			return b, aceso.Errorf(aceso.EINVALID, "%s: a MISP feed manifest, not an event: import the feed by its URL", source)
		}
		return b, aceso.Wrap(aceso.EINVALID, err, "%s: %s", source, aceso.ErrorMessage(err))
	}
	it, note, err := MISPIntel(ev, source)
	if err != nil {
		return b, aceso.Wrap(aceso.EINVALID, err, "%s: %s", source, aceso.ErrorMessage(err))
	}
	b.Items = append(b.Items, it)
	if note != "" {
		b.note(note)
	}
	return b, nil
}

// IsMISPManifest reports whether data reads as a MISP feed manifest: a
// non-empty object whose keys are all event UUIDs.
func IsMISPManifest(data []byte) bool {
	man, err := share.ParseMISPManifest(data)
	if err != nil || len(man) == 0 {
		return false
	}
	for k := range man {
		if !share.IsUUID(k) {
			return false
		}
	}
	return true
}

// MISPIntel turns an event into intel: its TLP from its tlp: tags,
// TLP:AMBER when untagged (an unlabelled event stays with the importer;
// note says so), its version the event timestamp. source is stored without
// user information or query, which may hold credentials.
func MISPIntel(ev *share.MISPEvent, source string) (it Intel, note string, err error) {
	if !share.IsUUID(ev.UUID) {
		return Intel{}, "", aceso.Errorf(aceso.EINVALID, "misp event %.60q: uuid %.40q is not a UUID", ev.Info, ev.UUID)
	}
	label, ok := ev.TLP()
	if !ok {
		label, note = share.TLPAmber, "no tlp: tag: stored as TLP:AMBER"
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return Intel{}, "", err
	}
	return Intel{Format: FormatMISP, Source: RedactSource(source), ObjectID: strings.ToLower(ev.UUID), ObjectType: "misp-event",
		Version: time.Unix(int64(ev.Timestamp), 0).UTC(), TLP: label, Body: body}, note, nil
}

// FeedFetch reads one event file of a MISP feed by its uuid, returning the
// data and the address it came from.
type FeedFetch func(ctx context.Context, uuid string) (data []byte, source string, err error)

// CollectMISPFeed reads the events a feed manifest lists (in uuid order,
// at most max when max > 0) through fetch. An event that cannot be fetched
// or read is rejected with the reason, not fatal: a feed is imported
// tolerantly. A cancelled or expired ctx ends the collection with an error.
func CollectMISPFeed(ctx context.Context, manifest map[string]share.ManifestEntry, source string, max int, fetch FeedFetch) (IntelBatch, error) {
	b := IntelBatch{Source: RedactSource(source), Format: FormatMISP}
	uuids := make([]string, 0, len(manifest))
	for u := range manifest {
		uuids = append(uuids, u)
	}
	sort.Strings(uuids)
	taken := 0
	for _, u := range uuids {
		if !share.IsUUID(u) {
			b.reject(u, "misp-event", "manifest key is not a UUID")
			continue
		}
		if max > 0 && taken >= max {
			b.reject(strings.ToLower(u), "misp-event", fmt.Sprintf("over the limit of %d events per import; the CLI (aceso share import-misp) has none", max))
			continue
		}
		taken++
		data, src, err := fetch(ctx, u) // the file is named as the manifest names it
		if ctxErr := ctx.Err(); ctxErr != nil {
			return b, aceso.Wrap(aceso.EUNAVAILABLE, ctxErr, "%s: the feed took too long after %d of %d events; nothing was stored", b.Source, taken-1, len(uuids))
		}
		if err != nil {
			b.reject(strings.ToLower(u), "misp-event", aceso.ErrorMessage(err))
			continue
		}
		ev, err := share.ParseMISPEvent(data)
		if err != nil {
			b.reject(strings.ToLower(u), "misp-event", aceso.ErrorMessage(err))
			continue
		}
		it, note, err := MISPIntel(ev, src)
		if err != nil {
			b.reject(strings.ToLower(u), "misp-event", aceso.ErrorMessage(err))
			continue
		}
		b.Items = append(b.Items, it)
		if note != "" {
			b.note(note)
		}
	}
	return b, nil
}

// ParseSTIXIntel reads a STIX 2.1 bundle as intel, object by object: each
// must pass share.Validate; the standard TLP marking definitions are
// constants, not intelligence, and are left out; an object without a TLP
// marking is stored as TLP:AMBER (noted). The bundle itself must be a JSON
// object of type "bundle" with an objects list, or nothing is kept.
func ParseSTIXIntel(data []byte, source string) (IntelBatch, error) {
	b := IntelBatch{Source: source, Format: FormatSTIX}
	var top struct {
		Type    string            `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return b, aceso.Wrap(aceso.EINVALID, err, "%s: stix bundle: %s", source, jsonProblem(err))
	}
	if top.Type != "bundle" {
		return b, aceso.Errorf(aceso.EINVALID, "%s: stix bundle: type is %.40q, want \"bundle\"", source, top.Type)
	}
	if top.Objects == nil {
		return b, aceso.Errorf(aceso.EINVALID, "%s: stix bundle: objects: missing (a bundle lists its objects)", source)
	}
	for i, raw := range top.Objects {
		it, skip, problem := STIXIntel(raw, source)
		switch {
		case skip:
		case problem != "":
			id := it.ObjectID
			if id == "" {
				id = fmt.Sprintf("objects[%d]", i)
			}
			b.reject(id, it.ObjectType, problem)
		default:
			b.Items = append(b.Items, it)
			if _, marked := share.MarkingsTLP(markingRefs(raw)); !marked {
				b.note("no TLP marking: stored as TLP:AMBER")
			}
		}
	}
	return b, nil
}

// STIXIntel checks one STIX object and returns it as intel, or a message
// saying why it is refused. skip is true for the standard TLP marking
// definitions, which are accepted and not stored.
func STIXIntel(raw json.RawMessage, source string) (it Intel, skip bool, problem string) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return it, false, "not a JSON object"
	}
	it.ObjectID, _ = m["id"].(string)
	it.ObjectType, _ = m["type"].(string)
	if msgs := share.Validate(m); len(msgs) > 0 {
		if len(msgs) > 3 {
			msgs = append(msgs[:3], fmt.Sprintf("and %d more", len(msgs)-3))
		}
		return it, false, strings.Join(msgs, "; ")
	}
	if len(it.ObjectID) > 200 {
		return it, false, "id: longer than 200 characters"
	}
	if it.ObjectType == "marking-definition" {
		if _, ok := share.MarkingsTLP([]string{it.ObjectID}); ok {
			return it, true, ""
		}
	}
	label, ok := share.MarkingsTLP(markingRefs(raw))
	if !ok {
		label = share.TLPAmber
	}
	it.Version = time.Unix(0, 0).UTC()
	for _, f := range []string{"modified", "created"} {
		if v, ok := m[f].(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
				it.Version = t.UTC()
				break
			}
		}
	}
	var body bytes.Buffer
	if err := json.Compact(&body, raw); err != nil {
		return it, false, "not a JSON object"
	}
	it.SpecVersion, _ = m["spec_version"].(string)
	it.Format, it.Source, it.TLP, it.Body = FormatSTIX, RedactSource(source), label, body.Bytes()
	return it, false, ""
}

// markingRefs reads object_marking_refs of an object ("" entries for
// anything that is not a string).
func markingRefs(raw json.RawMessage) []string {
	var o struct {
		Refs []json.RawMessage `json:"object_marking_refs"`
	}
	_ = json.Unmarshal(raw, &o)
	out := make([]string, 0, len(o.Refs))
	for _, r := range o.Refs {
		var s string
		_ = json.Unmarshal(r, &s)
		out = append(out, s)
	}
	return out
}

// jsonProblem names what is wrong with a document for its author.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te) && te.Field != "":
		what := "a " + te.Type.Kind().String()
		switch te.Type.Kind() {
		case reflect.Slice:
			what = "a list"
		case reflect.String:
			what = "a string"
		}
		return fmt.Sprintf("field %s: must be %s, not %s", te.Field, what, te.Value)
	case errors.As(err, &te):
		return "not a JSON object"
	}
	return "malformed JSON"
}

// RedactSource drops user information and the query of a URL source (they
// may hold credentials); anything else is returned as it is.
func RedactSource(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return s
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
