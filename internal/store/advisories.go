package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/audit"
	"github.com/aceso-health/aceso/internal/share"
)

// Advisory is a stored advisory: its row id and metadata, and the
// normalised document itself when it was asked for.
type Advisory struct {
	ID             int64      `json:"id"`
	TrackingID     string     `json:"tracking_id"`
	Title          string     `json:"title"`
	Publisher      string     `json:"publisher"`
	TLP            string     `json:"tlp"`
	InitialRelease *time.Time `json:"initial_release,omitempty"`
	CurrentRelease *time.Time `json:"current_release,omitempty"`
	Revision       string     `json:"revision"`
	Status         string     `json:"status,omitempty"`
	SHA256         string     `json:"sha256,omitempty"`
	Source         string     `json:"source,omitempty"`
	CVEs           []string   `json:"cves"`
	Warnings       []string   `json:"warnings,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	// Doc is the normalised advisory; only Advisory (one) fills it.
	Doc *advisory.Advisory `json:"document,omitempty"`
}

const advisoryCols = `id, tracking_id, title, publisher, tlp, initial_release, current_release, revision, status, sha256,
	source, cves, warnings, created_at, updated_at`

func scanAdvisory(row interface{ Scan(...any) error }, extra ...any) (Advisory, error) {
	var (
		a          Advisory
		ir, cr     sql.NullInt64
		cves, warn string
		c, u       int64
	)
	dest := append([]any{&a.ID, &a.TrackingID, &a.Title, &a.Publisher, &a.TLP, &ir, &cr, &a.Revision, &a.Status,
		&a.SHA256, &a.Source, &cves, &warn, &c, &u}, extra...)
	if err := row.Scan(dest...); err != nil {
		return a, err
	}
	a.InitialRelease, a.CurrentRelease = fromNullTS(ir), fromNullTS(cr)
	a.CreatedAt, a.UpdatedAt = fromTS(c), fromTS(u)
	_ = json.Unmarshal([]byte(cves), &a.CVEs)
	_ = json.Unmarshal([]byte(warn), &a.Warnings)
	if a.CVEs == nil {
		a.CVEs = []string{}
	}
	return a, nil
}

// ImportResult says what ImportAdvisory did with one document.
type ImportResult struct {
	ID         int64  `json:"id"`
	TrackingID string `json:"tracking_id"`
	// Outcome is "new", "updated" (newer revision or changed content),
	// "unchanged" (same content) or "older" (a newer revision is stored; kept).
	Outcome string `json:"outcome"`
}

// Changed reports whether the stored advisory changed, i.e. whether it must be matched again.
func (r ImportResult) Changed() bool { return r.Outcome == "new" || r.Outcome == "updated" }

// ImportAdvisory stores an advisory, upserting by tracking id: a newer (or
// equal, but different) revision replaces the stored one, an older
// revision is ignored so that replaying an archive never rolls back. Only
// the CSIRT's analysts (and the system) ingest advisories. An advisory the
// CSIRT authored in Aceso (advisory.Advisory.Authored) is never replaced by
// an import: the same tracking id from a feed, an upload or the CLI is
// ECONFLICT; only publishing its draft (PublishAdvisoryDraft) revises it.
func (tx *Tx) ImportAdvisory(ctx context.Context, p access.Principal, a *advisory.Advisory) (ImportResult, error) {
	return tx.importAdvisory(ctx, p, a, false)
}

// importAdvisory is ImportAdvisory; fromDraft is true on the draft publish
// path alone, which may revise the CSIRT's own advisory.
func (tx *Tx) importAdvisory(ctx context.Context, p access.Principal, a *advisory.Advisory, fromDraft bool) (ImportResult, error) {
	res := ImportResult{}
	if err := authorizeCSIRT(p, access.ActAnalyse); err != nil {
		return res, err
	}
	if a == nil || strings.TrimSpace(a.ID) == "" {
		return res, aceso.Errorf(aceso.EINVALID, "advisory has no document.tracking.id")
	}
	if len(a.ID) > 200 {
		return res, aceso.Errorf(aceso.EINVALID, "advisory tracking id is %d bytes long; at most 200 are allowed", len(a.ID))
	}
	res.TrackingID = a.ID
	doc, err := json.Marshal(a)
	if err != nil {
		return res, fmt.Errorf("advisory %s: encode: %w", a.ID, err)
	}
	var (
		id            int64
		rev, sha, old string
		cur           sql.NullInt64
	)
	err = tx.queryRow(ctx, "SELECT id, revision, sha256, current_release, doc FROM advisories WHERE tracking_id = $1", a.ID).Scan(&id, &rev, &sha, &cur, &old)
	switch {
	case err == sql.ErrNoRows:
		res.Outcome = "new"
	case err != nil:
		return res, err
	default:
		res.ID = id
		var stored struct {
			Authored bool `json:"authored"`
		}
		if err := json.Unmarshal([]byte(old), &stored); err != nil {
			return res, fmt.Errorf("advisory %s: stored document: %w", a.ID, err)
		}
		if stored.Authored && !fromDraft {
			return res, aceso.Errorf(aceso.ECONFLICT, "advisory %s is the CSIRT's own, authored in Aceso; an import does not replace it (publish a new revision of its draft)", a.ID)
		}
		switch cmpRevision(a, rev, fromNullTS(cur)) {
		case -1:
			res.Outcome = "older"
			return res, nil
		case 0:
			if old == string(doc) || (sha != "" && sha == a.SHA256) {
				res.Outcome = "unchanged"
				return res, nil
			}
		}
		res.Outcome = "updated"
	}
	cves := a.CVEs()
	args := []any{a.ID, trunc(a.Title, 1000), trunc(a.Publisher, 500), a.TLP, tsPtr(&a.InitialRelease), tsPtr(&a.CurrentRelease),
		trunc(a.Revision, 100), a.Status, a.SHA256, trunc(a.Source, 1000), jsonText(cves, "[]"), string(doc),
		jsonText(a.Warnings, "[]"), ts(tx.now)}
	if res.Outcome == "new" {
		err = tx.queryRow(ctx, `INSERT INTO advisories (tracking_id, title, publisher, tlp, initial_release, current_release,
			revision, status, sha256, source, cves, doc, warnings, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id`, args...).Scan(&res.ID)
	} else {
		_, err = tx.exec(ctx, `UPDATE advisories SET title = $2, publisher = $3, tlp = $4, initial_release = $5,
			current_release = $6, revision = $7, status = $8, sha256 = $9, source = $10, cves = $11, doc = $12,
			warnings = $13, updated_at = $14 WHERE tracking_id = $1`, args...)
	}
	if err != nil {
		return res, fmt.Errorf("advisory %s: %w", a.ID, err)
	}
	summary := audit.Change(nil, map[string]any{"tracking_id": a.ID, "revision": a.Revision, "outcome": res.Outcome, "cves": len(cves)})
	return res, tx.Audit(ctx, p, p.OrgID, "advisory."+map[bool]string{true: "create", false: "update"}[res.Outcome == "new"], "advisory", res.ID, summary)
}

// cmpRevision compares the incoming advisory with the stored revision:
// numerically by tracking.version ("1.10" > "1.9"), falling back to the
// current release date when the versions are equal or not numbers.
func cmpRevision(a *advisory.Advisory, storedRev string, storedCur *time.Time) int {
	if c, ok := cmpVersionString(a.Revision, storedRev); ok && c != 0 {
		return c
	}
	if storedCur != nil && !a.CurrentRelease.IsZero() {
		switch {
		case a.CurrentRelease.Before(*storedCur):
			return -1
		case a.CurrentRelease.After(*storedCur):
			return 1
		}
	}
	return 0
}

// cmpVersionString compares dotted integer versions; ok is false when
// either is not one.
func cmpVersionString(a, b string) (int, bool) {
	pa, pb := strings.Split(strings.TrimSpace(a), "."), strings.Split(strings.TrimSpace(b), ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		var err error
		if i < len(pa) {
			if x, err = strconv.Atoi(pa[i]); err != nil {
				return 0, false
			}
		}
		if i < len(pb) {
			if y, err = strconv.Atoi(pb[i]); err != nil {
				return 0, false
			}
		}
		if x != y {
			if x < y {
				return -1, true
			}
			return 1, true
		}
	}
	return 0, true
}

func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// authorizeCSIRT lets the CSIRT's users with at least act's role (and the
// system) through; members get EFORBIDDEN: advisories are a sector
// resource that only the CSIRT curates.
func authorizeCSIRT(p access.Principal, act access.Action) error {
	if err := access.Authorize(p, act, p.OrgID); err != nil {
		return err
	}
	if !p.IsSystem() && p.OrgKind != access.KindCSIRT {
		return aceso.Errorf(aceso.EFORBIDDEN, "only the CSIRT ingests advisories and the KEV catalogue")
	}
	return nil
}

// AdvisoryFilter selects the advisory list.
type AdvisoryFilter struct {
	Query string // substring of tracking id, title or publisher
	Limit int    // 1 to 1000; 0 is 200
}

// Advisories and TLP. An advisory is ingested by the CSIRT, which holds it
// for the sector: to the TLP rule it is an object of an outside originator
// (organisation 0) addressed to the CSIRT, share.To(csirt). share.MayReceive
// then decides what reaches an organisation: TLP:CLEAR and GREEN every
// organisation of the community; TLP:AMBER the CSIRT and its clients (every
// member and supplier, see access.OrgKind.ImplicitClientOfCSIRT, and
// organisations made its clients explicitly); TLP:AMBER+STRICT and RED no
// one but the CSIRT. The CSIRT itself reads every label: it ingested the
// document and is its custodian (who inside the CSIRT may read a RED one is
// the CSIRT's business, not modelled here).
//
// An unlabelled advisory ('' — CSAF makes document.distribution.tlp
// optional) stays visible to every organisation, as it always was: public
// advisories (CISA's ICS-CERT among them) often carry no label. A stored
// label that is neither '' nor a TLP 2.0 label (nor TLP:WHITE, TLP 1.0's
// CLEAR) reaches no one but the CSIRT: fail closed.

// advisoryLabelSets returns the stored tlp values, as SQL string literals,
// of advisories that share.MayReceive lets an organisation of the community
// receive without being a client of the CSIRT (open), and those it receives
// only as a client of the CSIRT (served). Computed from MayReceive, so the
// SQL follows the rule if the rule changes.
func advisoryLabelSets() (open, served []string) {
	const csirt, org = 1, 2 // any two distinct ids: the rule compares ids, never their values
	lit := func(l share.TLP) []string {
		if l == share.TLPClear {
			return []string{"'" + l.String() + "'", "'TLP:WHITE'"}
		}
		return []string{"'" + l.String() + "'"}
	}
	open = []string{"''"}
	for _, l := range share.Labels {
		member := share.Recipient{OrgID: org, InCommunity: true}
		client := share.Recipient{OrgID: org, InCommunity: true, ClientOf: []int64{csirt}}
		switch {
		case share.MayReceive(l, 0, member, share.To(csirt)):
			open = append(open, lit(l)...)
		case share.MayReceive(l, 0, client, share.To(csirt)):
			served = append(served, lit(l)...)
		}
	}
	return open, served
}

// advisoryReceivable is the one SQL predicate of advisory TLP: true when
// organisation org (an SQL expression: a placeholder or a column) may
// receive an advisory whose stored label is the SQL expression col. It is
// share.MayReceive for the audience share.To(csirt) (see above) written as
// SQL, with "client of the CSIRT" read from the organisation's kind and
// client_of as recipientOf does; TestAdvisoryReceivableAgreesWithMayReceive
// checks the two agree for every label and kind of organisation.
func advisoryReceivable(col, org string) string {
	open, served := advisoryLabelSets()
	var kinds []string
	for _, k := range access.OrgKinds {
		if k.ImplicitClientOfCSIRT() {
			kinds = append(kinds, "'"+string(k)+"'")
		}
	}
	const csirt = "(SELECT cs.id FROM orgs cs WHERE cs.kind = 'csirt')"
	conds := []string{col + " IN (" + strings.Join(open, ", ") + ")", org + " = " + csirt}
	if len(served) > 0 {
		conds = append(conds, fmt.Sprintf("(%s IN (%s) AND %s IN (SELECT co.id FROM orgs co WHERE co.kind IN (%s) OR co.client_of = %s))",
			col, strings.Join(served, ", "), org, strings.Join(kinds, ", "), csirt))
	}
	return "(" + strings.Join(conds, " OR ") + ")"
}

// visibleClause restricts advisories (alias a) to those the principal may
// see, adding its arguments to args: the CSIRT sees all; another
// organisation those advisoryReceivable admits, and of those beyond the
// labels every organisation receives (TLP:AMBER) only the ones it has a
// finding from: need-to-know, the CSIRT's clients hear of an AMBER
// advisory when it concerns their devices.
func visibleClause(p access.Principal, args *[]any) string {
	if p.IsSystem() || p.OrgKind == access.KindCSIRT {
		return "1 = 1"
	}
	*args = append(*args, p.OrgID)
	org := "$" + strconv.Itoa(len(*args))
	open, _ := advisoryLabelSets()
	return fmt.Sprintf(`(%s AND (a.tlp IN (%s) OR EXISTS (SELECT 1 FROM findings f WHERE f.org_id = %s AND f.advisory_id = a.id)))`,
		advisoryReceivable("a.tlp", org), strings.Join(open, ", "), org)
}

// Advisories lists the advisories the principal may see, newest first.
func (d *DB) Advisories(ctx context.Context, p access.Principal, f AdvisoryFilter) ([]Advisory, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return nil, err
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	if f.Limit > 1000 {
		return nil, aceso.Errorf(aceso.EINVALID, "limit %d is over 1000", f.Limit)
	}
	var args []any
	where := []string{visibleClause(p, &args)}
	if q := strings.ToLower(strings.TrimSpace(f.Query)); q != "" {
		args = append(args, "%"+strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q)+"%")
		n := len(args)
		where = append(where, fmt.Sprintf(`(lower(a.tracking_id) LIKE $%d ESCAPE '\' OR lower(a.title) LIKE $%d ESCAPE '\' OR lower(a.publisher) LIKE $%d ESCAPE '\')`, n, n, n))
	}
	rows, err := d.db.QueryContext(ctx, "SELECT "+prefixCols("a.", advisoryCols)+" FROM advisories a WHERE "+strings.Join(where, " AND ")+
		" ORDER BY a.current_release DESC, a.id DESC LIMIT "+strconv.Itoa(f.Limit), args...)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	out := []Advisory{}
	for rows.Next() {
		a, err := scanAdvisory(rows)
		if err != nil {
			return nil, d.translate(err)
		}
		out = append(out, a)
	}
	return out, d.translate(rows.Err())
}

// Advisory returns one advisory with its normalised document, when the
// principal may see it (see openTLP); otherwise ENOTFOUND.
func (d *DB) Advisory(ctx context.Context, p access.Principal, id int64) (Advisory, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return Advisory{}, err
	}
	args := []any{id}
	var doc string
	a, err := scanAdvisory(d.db.QueryRowContext(ctx, "SELECT "+prefixCols("a.", advisoryCols)+", a.doc FROM advisories a WHERE a.id = $1 AND "+visibleClause(p, &args), args...), &doc)
	if err == sql.ErrNoRows {
		return a, aceso.Errorf(aceso.ENOTFOUND, "advisory %d not found", id)
	}
	if err != nil {
		return a, d.translate(err)
	}
	a.Doc = &advisory.Advisory{}
	if err := json.Unmarshal([]byte(doc), a.Doc); err != nil {
		return a, fmt.Errorf("advisory %d: stored document: %w", id, err)
	}
	return a, nil
}

// AdvisoryIDByTracking returns the row id of an advisory by tracking id.
func (d *DB) AdvisoryIDByTracking(ctx context.Context, trackingID string) (int64, error) {
	var id int64
	err := d.db.QueryRowContext(ctx, "SELECT id FROM advisories WHERE tracking_id = $1", trackingID).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, aceso.Errorf(aceso.ENOTFOUND, "advisory %q not found", trackingID)
	}
	return id, d.translate(err)
}

// storedAdvisory is a document loaded for matching.
type storedAdvisory struct {
	id  int64
	doc *advisory.Advisory
}

// loadAdvisories reads and decodes the documents with the given row ids
// (all when ids is nil), in id order.
func loadAdvisories(ctx context.Context, q querier, ids []int64) ([]storedAdvisory, error) {
	query := "SELECT id, doc FROM advisories"
	var args []any
	if ids != nil {
		if len(ids) == 0 {
			return nil, nil
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		ph := make([]string, len(ids))
		for i, id := range ids {
			args = append(args, id)
			ph[i] = "$" + strconv.Itoa(i+1)
		}
		query += " WHERE id IN (" + strings.Join(ph, ", ") + ")"
	}
	rows, err := q.QueryContext(ctx, query+" ORDER BY id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storedAdvisory
	for rows.Next() {
		var (
			sa  storedAdvisory
			doc string
		)
		if err := rows.Scan(&sa.id, &doc); err != nil {
			return nil, err
		}
		sa.doc = &advisory.Advisory{}
		if err := json.Unmarshal([]byte(doc), sa.doc); err != nil {
			return nil, fmt.Errorf("advisory %d: stored document: %w", sa.id, err)
		}
		out = append(out, sa)
	}
	return out, rows.Err()
}

// KEVCount is what ImportKEV did.
type KEVCount struct {
	Entries int `json:"entries"` // in the catalogue
	New     int `json:"new"`     // CVEs not stored before
}

// ImportKEV replaces the stored KEV catalogue with entries (CSIRT
// analysts). Entries that left the catalogue are kept: CISA does not
// remove exploited vulnerabilities, and a partial file must not clear it.
func (tx *Tx) ImportKEV(ctx context.Context, p access.Principal, entries map[string]advisory.KEVEntry) (KEVCount, error) {
	var c KEVCount
	if err := authorizeCSIRT(p, access.ActAnalyse); err != nil {
		return c, err
	}
	have := map[string]bool{}
	rows, err := tx.tx.QueryContext(ctx, "SELECT cve FROM kev")
	if err != nil {
		return c, err
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return c, err
		}
		have[s] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return c, err
	}
	cves := make([]string, 0, len(entries))
	for k := range entries {
		cves = append(cves, k)
	}
	slices.Sort(cves)
	for _, cve := range cves {
		e := entries[cve]
		c.Entries++
		var due *time.Time
		if !e.DueDate.IsZero() {
			due = &e.DueDate
		}
		args := []any{cve, trunc(e.VendorProject, 500), trunc(e.Product, 500), trunc(e.Name, 1000), ts(e.DateAdded), tsPtr(due), e.Ransomware, ts(tx.now)}
		q := `UPDATE kev SET vendor_project = $2, product = $3, name = $4, date_added = $5, due_date = $6, ransomware = $7, updated_at = $8 WHERE cve = $1`
		if !have[cve] {
			c.New++
			q = `INSERT INTO kev (cve, vendor_project, product, name, date_added, due_date, ransomware, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
		}
		if _, err := tx.exec(ctx, q, args...); err != nil {
			return c, fmt.Errorf("kev %s: %w", cve, err)
		}
	}
	return c, tx.Audit(ctx, p, p.OrgID, "kev.import", "kev", "catalogue", audit.Change(nil, c))
}

// loadKEV returns the set of CVE ids in the KEV catalogue.
func loadKEV(ctx context.Context, q querier) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, "SELECT cve FROM kev")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out[s] = true
	}
	return out, rows.Err()
}

// KEV returns one stored KEV entry (ENOTFOUND when the CVE is not listed).
func (d *DB) KEV(ctx context.Context, cve string) (advisory.KEVEntry, error) {
	var (
		e        advisory.KEVEntry
		added    int64
		due      sql.NullInt64
		ransomed bool
	)
	err := d.db.QueryRowContext(ctx, "SELECT cve, vendor_project, product, name, date_added, due_date, ransomware FROM kev WHERE cve = $1", cve).
		Scan(&e.CVE, &e.VendorProject, &e.Product, &e.Name, &added, &due, &ransomed)
	if err == sql.ErrNoRows {
		return e, aceso.Errorf(aceso.ENOTFOUND, "%s is not in the KEV catalogue", cve)
	}
	if err != nil {
		return e, d.translate(err)
	}
	e.DateAdded, e.Ransomware = fromTS(added), ransomed
	if t := fromNullTS(due); t != nil {
		e.DueDate = *t
	}
	return e, nil
}
