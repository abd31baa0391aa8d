package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/share"
)

// IntelFilter selects imported intelligence for the browser, newest first,
// a page at a time (keyset on id).
type IntelFilter struct {
	Format     string    // FormatSTIX or FormatMISP; "" for both
	ObjectType string    // exact object type ("indicator", "misp-event")
	TLP        share.TLP // TLPUnknown for any label
	Source     string    // exact source (a URL, a file name, "taxii post")
	Q          string    // case-insensitive substring of the object id or type
	Before     int64     // page cursor: rows with id < Before (0: newest)
	Limit      int       // 1–500; 50 when zero
}

// IntelItem is a row of the browser: the intel without its body, with a
// title read from the start of the body (a MISP event's info, a STIX
// object's name).
type IntelItem struct {
	Intel
	Title string `json:"title,omitempty"`
}

// IntelPage is one page of the browser; Next is the cursor of the next
// page, 0 on the last.
type IntelPage struct {
	Items []IntelItem `json:"intel"`
	Next  int64       `json:"next,omitempty"`
}

// titlePrefix is how much of a body a list reads to find its title: the
// MISP events Aceso stores start with uuid and info, and whole bodies can
// be megabytes.
const titlePrefix = 2000

// SearchIntel returns a page of the principal's organisation's imported
// objects that match f, newest first. Bodies are left out (Title carries
// what a list shows); IntelByID has the whole object.
func (d *DB) SearchIntel(ctx context.Context, p access.Principal, f IntelFilter) (IntelPage, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return IntelPage{}, err
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	q := `SELECT id, org_id, format, source, collection, object_id, object_type, version, spec_version, tlp,
		substr(body, 1, ` + fmt.Sprint(titlePrefix) + `), date_added FROM intel WHERE org_id = $1`
	args := []any{p.OrgID}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.Before > 0 {
		q += " AND id < " + arg(f.Before)
	}
	if f.Format != "" {
		if f.Format != FormatSTIX && f.Format != FormatMISP {
			return IntelPage{}, aceso.Errorf(aceso.EINVALID, "format %.40q is not stix or misp", f.Format)
		}
		q += " AND format = " + arg(f.Format)
	}
	if f.ObjectType != "" {
		q += " AND object_type = " + arg(f.ObjectType)
	}
	if f.TLP != share.TLPUnknown {
		if !f.TLP.Valid() {
			return IntelPage{}, aceso.Errorf(aceso.EINVALID, "tlp: not a TLP label")
		}
		q += " AND tlp = " + arg(f.TLP.String())
	}
	if f.Source != "" {
		q += " AND source = " + arg(f.Source)
	}
	if s := strings.ToLower(strings.TrimSpace(f.Q)); s != "" {
		n := arg("%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%")
		q += ` AND (lower(object_id) LIKE ` + n + ` ESCAPE '\' OR lower(object_type) LIKE ` + n + ` ESCAPE '\')`
	}
	q += " ORDER BY id DESC LIMIT " + arg(f.Limit+1)
	list, err := d.intelRows(ctx, q, args...)
	if err != nil {
		return IntelPage{}, err
	}
	page := IntelPage{Items: make([]IntelItem, 0, len(list))}
	for _, it := range list {
		title := IntelTitle(it.Body)
		it.Body = nil
		page.Items = append(page.Items, IntelItem{Intel: it, Title: title})
	}
	if len(page.Items) > f.Limit {
		page.Items = page.Items[:f.Limit]
		page.Next = page.Items[f.Limit-1].ID
	}
	return page, nil
}

// IntelByID returns one stored object version of the principal's
// organisation with its body; another organisation's is ENOTFOUND.
func (d *DB) IntelByID(ctx context.Context, p access.Principal, id int64) (Intel, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return Intel{}, err
	}
	list, err := d.intel(ctx, "org_id = $1 AND id = $2", p.OrgID, id)
	if err != nil {
		return Intel{}, err
	}
	if len(list) == 0 {
		return Intel{}, aceso.Errorf(aceso.ENOTFOUND, "intel %d not found", id)
	}
	return list[0], nil
}

// IntelVersions lists the versions of one object the principal's
// organisation holds, newest version first (at most 100, without bodies).
func (d *DB) IntelVersions(ctx context.Context, p access.Principal, objectID string) ([]Intel, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return nil, err
	}
	return d.intelRows(ctx, `SELECT id, org_id, format, source, collection, object_id, object_type, version, spec_version, tlp, '', date_added
		FROM intel WHERE org_id = $1 AND object_id = $2 ORDER BY version DESC, id DESC LIMIT 100`, p.OrgID, objectID)
}

// IntelFacets are the values the browser's filters offer.
type IntelFacets struct {
	Types   []string `json:"types"`
	Sources []string `json:"sources"`
}

// IntelFacets returns the object types and sources of the principal's
// organisation's intel (at most 100 of each, sorted).
func (d *DB) IntelFacets(ctx context.Context, p access.Principal) (IntelFacets, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return IntelFacets{}, err
	}
	var out IntelFacets
	for _, f := range []struct {
		col string
		dst *[]string
	}{{"object_type", &out.Types}, {"source", &out.Sources}} {
		rows, err := d.db.QueryContext(ctx, "SELECT DISTINCT "+f.col+" FROM intel WHERE org_id = $1 AND "+f.col+" <> '' ORDER BY "+f.col+" LIMIT 100", p.OrgID)
		if err != nil {
			return out, d.translate(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return out, d.translate(err)
			}
			*f.dst = append(*f.dst, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return out, d.translate(err)
		}
	}
	return out, nil
}

// intelRows runs a query whose columns are those of intelCols (the body
// may be shortened or empty).
func (d *DB) intelRows(ctx context.Context, q string, args ...any) ([]Intel, error) {
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	var out []Intel
	for rows.Next() {
		var (
			it           Intel
			tlp, body    string
			ver, dateAdd int64
		)
		if err := rows.Scan(&it.ID, &it.OrgID, &it.Format, &it.Source, &it.Collection, &it.ObjectID, &it.ObjectType, &ver,
			&it.SpecVersion, &tlp, &body, &dateAdd); err != nil {
			return nil, d.translate(err)
		}
		it.TLP, _ = share.ParseTLP(tlp)
		it.Body, it.Version, it.DateAdded = json.RawMessage(body), fromTS(ver), fromTS(dateAdd)
		out = append(out, it)
	}
	return out, d.translate(rows.Err())
}

// IntelTitle reads a human title from the top level of a stored body (or
// its beginning): a MISP event's "info", a STIX object's "name". It reads
// tokens rather than the whole document, so a truncated body still gives
// the title when the title comes first; "" when there is none.
func IntelTitle(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return ""
		}
		key, _ := t.(string)
		if key == "info" || key == "name" {
			var s string
			if err := dec.Decode(&s); err != nil {
				return ""
			}
			s = strings.Join(strings.Fields(s), " ")
			if len(s) > 200 {
				s = strings.ToValidUTF8(s[:200], "") + "…"
			}
			return s
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return ""
		}
	}
	return ""
}
