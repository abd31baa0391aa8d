package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/audit"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/share"
)

// Advice is a note the CSIRT gave a member on one of its incidents; the
// member sees it marked as the CSIRT's, apart from its own comments.
type Advice struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Author string    `json:"author"`
	Text   string    `json:"text"`
}

// RelatedIncident is an incident the CSIRT linked to another. For a member
// reading its own incident, one of another organisation is anonymous
// (ID 0, no name or title) unless its TLP is CLEAR or GREEN.
type RelatedIncident struct {
	ID        int64  `json:"id,omitempty"`
	OrgID     int64  `json:"org_id,omitempty"`
	OrgName   string `json:"org_name,omitempty"`
	Title     string `json:"title,omitempty"`
	SameOrg   bool   `json:"same_org"`
	Anonymous bool   `json:"anonymous"`
	Reason    string `json:"reason"`
}

// Label is how the member's page names the related incident.
func (r RelatedIncident) Label() string {
	switch {
	case r.Anonymous:
		return "Related incident at another organisation"
	case r.SameOrg:
		return fmt.Sprintf("Your incident #%d: %s", r.ID, r.Title)
	}
	return fmt.Sprintf("%s, incident #%d: %s", r.OrgName, r.ID, r.Title)
}

// tlpAllowsNaming reports whether an incident's TLP lets the CSIRT tell
// other members whose it is: TLP:CLEAR and TLP:GREEN (community) do;
// AMBER, AMBER+STRICT, RED and an unlabelled incident do not.
func tlpAllowsNaming(t incident.TLP) bool { return t == incident.TLPClear || t == incident.TLPGreen }

// CSIRTIncidentOrg is THE rule of the CSIRT's read path into members'
// incidents: a principal of the CSIRT with at least the role act needs
// may reach incident id iff csirtReadable admits it (shared with the
// CSIRT, and at TLP:RED naming the principal); it returns the incident's
// organisation, which every following query is scoped by. Anybody else
// gets EFORBIDDEN, and an unshared, unreadable or unknown incident is
// ENOTFOUND, so its existence does not leak.
func CSIRTIncidentOrg(ctx context.Context, q querier, p access.Principal, act access.Action, id int64) (int64, error) {
	if err := csirtOnly(p, act); err != nil {
		return 0, err
	}
	readable, err := csirtReadable(ctx, q, p, []int64{id})
	if err != nil {
		return 0, err
	}
	org, ok := readable[id]
	if !ok {
		return 0, aceso.Errorf(aceso.ENOTFOUND, "incident %d not found", id)
	}
	return org, nil
}

// incidentLabel reads an incident's label for share.MayReceive. An
// unlabelled incident ("") that its member shares with the CSIRT is for
// the CSIRT alone: TLP:AMBER+STRICT. A stored label that does not read is
// TLPUnknown, which admits nobody but the originator (fail closed).
func incidentLabel(t incident.TLP) share.TLP {
	if t == "" {
		return share.TLPAmberStrict
	}
	l, err := share.ParseTLP(string(t))
	if err != nil {
		return share.TLPUnknown
	}
	return l
}

// csirtReadable is the one place where share.MayReceive decides what of
// members' incidents a CSIRT user reads: of ids, those p may read, mapped
// to their organisations. Sharing addresses an incident to the CSIRT
// organisation (p's, which csirtOnly checked is the CSIRT); at TLP:RED it
// reaches only the CSIRT users the member named. The single read, the
// queue, candidates, links and merges all go through here. Callers check
// csirtOnly first.
func csirtReadable(ctx context.Context, q querier, p access.Principal, ids []int64) (map[int64]int64, error) {
	out := make(map[int64]int64, len(ids))
	reader := tlpReader(p)
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 1000)]
		ids = ids[len(chunk):]
		rows, err := q.QueryContext(ctx, "SELECT id, org_id, tlp FROM incidents WHERE shared_with_csirt = TRUE AND id IN ("+
			placeholders(1, len(chunk))+")", int64sAny(chunk)...)
		if err != nil {
			return nil, err
		}
		type row struct {
			id, org int64
			label   incident.TLP
		}
		var found []row
		var foundIDs []int64
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.org, &r.label); err != nil {
				rows.Close()
				return nil, err
			}
			found = append(found, r)
			foundIDs = append(foundIDs, r.id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		named, err := namedPeople(ctx, q, tlpIncident, foundIDs)
		if err != nil {
			return nil, err
		}
		for _, r := range found {
			if share.MayReceive(incidentLabel(r.label), r.org, reader, audienceOf([]int64{p.OrgID}, named[r.id])) {
				out[r.id] = r.org
			}
		}
	}
	return out, nil
}

// csirtOnly admits the CSIRT's users with the role act needs.
func csirtOnly(p access.Principal, act access.Action) error {
	if err := access.Authorize(p, act, p.OrgID); err != nil {
		return err
	}
	if p.OrgKind != access.KindCSIRT {
		return aceso.Errorf(aceso.EFORBIDDEN, "only the CSIRT works the sector incident queue")
	}
	return nil
}

// loadCSIRTParts reads the CSIRT advice and links of r. For the member
// (csirt nil) another member's related incident is named only when its TLP
// allows; for a CSIRT user (csirt set) every related incident that user may
// read (csirtReadable) is named, and the others stay anonymous.
func loadCSIRTParts(ctx context.Context, q querier, r *Incident, csirt *access.Principal) error {
	r.CSIRTAdvice, r.Related = nil, nil
	rows, err := q.QueryContext(ctx, "SELECT id, at, author, text FROM incident_advice WHERE org_id = $1 AND incident_id = $2 ORDER BY id", r.OrgID, r.ID)
	if err != nil {
		return fmt.Errorf("advice: %w", err)
	}
	for rows.Next() {
		var a Advice
		var at int64
		if err := rows.Scan(&a.ID, &at, &a.Author, &a.Text); err != nil {
			rows.Close()
			return err
		}
		a.At = fromTS(at)
		r.CSIRTAdvice = append(r.CSIRTAdvice, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = q.QueryContext(ctx, `SELECT l.related_id, l.related_org_id, l.reason, o.name, i.title, i.tlp
		FROM incident_links l JOIN incidents i ON i.id = l.related_id JOIN orgs o ON o.id = l.related_org_id
		WHERE l.org_id = $1 AND l.incident_id = $2 ORDER BY l.id`, r.OrgID, r.ID)
	if err != nil {
		return fmt.Errorf("links: %w", err)
	}
	for rows.Next() {
		var (
			rel RelatedIncident
			tlp incident.TLP
		)
		if err := rows.Scan(&rel.ID, &rel.OrgID, &rel.Reason, &rel.OrgName, &rel.Title, &tlp); err != nil {
			rows.Close()
			return err
		}
		rel.SameOrg = rel.OrgID == r.OrgID
		if csirt == nil && !rel.SameOrg && !tlpAllowsNaming(tlp) {
			rel = RelatedIncident{Anonymous: true, Reason: rel.Reason}
		}
		r.Related = append(r.Related, rel)
	}
	rows.Close()
	if err := rows.Err(); err != nil || csirt == nil || len(r.Related) == 0 {
		return err
	}
	ids := make([]int64, len(r.Related))
	for i, rel := range r.Related {
		ids[i] = rel.ID
	}
	readable, err := csirtReadable(ctx, q, *csirt, ids)
	if err != nil {
		return err
	}
	for i, rel := range r.Related {
		if _, ok := readable[rel.ID]; !ok {
			r.Related[i] = RelatedIncident{Anonymous: true, Reason: rel.Reason}
		}
	}
	return nil
}

// ShareIncident shares one of the principal's organisation's incidents
// with the CSIRT (reporters and up); sharing cannot be withdrawn, as the
// CSIRT may already have acted on it. A TLP:RED incident must first name
// the CSIRT users who may read it (SetRedPeople).
func (tx *Tx) ShareIncident(ctx context.Context, p access.Principal, id int64) (Incident, error) {
	r, err := tx.lockIncident(ctx, p, id)
	if err != nil {
		return r, err
	}
	if r.SharedWithCSIRT {
		return r, nil
	}
	if _, err := tx.exec(ctx, "UPDATE incidents SET shared_with_csirt = TRUE, shared_at = $3 WHERE org_id = $1 AND id = $2", r.OrgID, r.ID, ts(tx.now)); err != nil {
		return r, err
	}
	r.SharedWithCSIRT = true
	if err := tx.checkRedShare(ctx, &r); err != nil {
		return r, err
	}
	if err := tx.appendTimeline(ctx, &r, p, "shared", "Shared with the CSIRT"); err != nil {
		return r, err
	}
	return r, tx.Audit(ctx, p, r.OrgID, "incident.share", "incident", r.ID, audit.Change(map[string]bool{"shared_with_csirt": false}, map[string]bool{"shared_with_csirt": true}))
}

// CSIRTFilter selects the sector queue, newest first.
type CSIRTFilter struct {
	OrgID     int64           // one member only
	Status    incident.Status // only this status
	Open      bool            // not closed
	RSITClass string          // only this RSIT class
	// AtRisk keeps incidents with an unsubmitted obligation that is late or
	// due within 24 h.
	AtRisk bool
	// Duplicates also lists incidents marked as duplicates (hidden by default).
	Duplicates bool
	Before     int64 // page cursor (ids below)
	Limit      int   // 1–500, 50 when zero
	Now        time.Time
}

// CSIRTIncident is one row of the sector queue.
type CSIRTIncident struct {
	Incident
	OrgName string `json:"org_name"`
}

// CSIRTPage is a page of the sector queue.
type CSIRTPage struct {
	Incidents []CSIRTIncident `json:"incidents"`
	Next      int64           `json:"next,omitempty"`
}

// CSIRTIncidents lists the incidents members shared with the CSIRT that
// the user may read (csirtReadable: a TLP:RED one only for its named
// users), with their obligations computed at f.Now, for the CSIRT's users
// only.
func (d *DB) CSIRTIncidents(ctx context.Context, p access.Principal, f CSIRTFilter) (CSIRTPage, error) {
	if err := csirtOnly(p, access.ActRead); err != nil {
		return CSIRTPage{}, err
	}
	if f.Now.IsZero() {
		f.Now = d.Now()
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	cols := "i." + strings.Join(strings.Fields(strings.ReplaceAll(incidentCols, ",", " ")), ", i.")
	q := "SELECT " + cols + ", o.name, o.kind FROM incidents i JOIN orgs o ON o.id = i.org_id WHERE i.shared_with_csirt = TRUE"
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if f.OrgID > 0 {
		q += " AND i.org_id = " + arg(f.OrgID)
	}
	if f.Status != "" {
		q += " AND i.status = " + arg(f.Status)
	}
	if f.Open {
		q += " AND i.status <> 'closed'"
	}
	if f.RSITClass != "" {
		q += " AND i.rsit_class = " + arg(f.RSITClass)
	}
	if !f.Duplicates {
		q += " AND i.duplicate_of IS NULL"
	}
	if f.AtRisk {
		q += ` AND EXISTS (SELECT 1 FROM incident_obligations ob WHERE ob.org_id = i.org_id AND ob.incident_id = i.id
			AND ob.submitted_at IS NULL AND ob.status <> 'not_applicable' AND ob.due_at IS NOT NULL AND ob.due_at <= ` + arg(ts(f.Now.Add(24*time.Hour))) + ")"
	}
	// Pages are read until one is full of incidents the user may read, so
	// that unreadable ones neither shorten the page nor end the cursor.
	var page CSIRTPage
	kinds := map[int64]string{}
	for before := f.Before; ; {
		qq, qargs := q, slices.Clone(args)
		if before > 0 {
			qargs = append(qargs, before)
			qq += " AND i.id < $" + strconv.Itoa(len(qargs))
		}
		rows, err := d.db.QueryContext(ctx, qq+" ORDER BY i.id DESC LIMIT "+strconv.Itoa(f.Limit+1), qargs...)
		if err != nil {
			return CSIRTPage{}, d.translate(err)
		}
		var batch []CSIRTIncident
		for rows.Next() {
			var (
				c    CSIRTIncident
				kind string
			)
			r, err := scanIncident(scanAppend{rows, []any{&c.OrgName, &kind}})
			if err != nil {
				rows.Close()
				return CSIRTPage{}, d.translate(err)
			}
			c.Incident = r
			kinds[r.OrgID] = kind
			batch = append(batch, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return CSIRTPage{}, d.translate(err)
		}
		ids := make([]int64, len(batch))
		for i, c := range batch {
			ids[i] = c.ID
		}
		readable, err := csirtReadable(ctx, d.db, p, ids)
		if err != nil {
			return CSIRTPage{}, d.translate(err)
		}
		for _, c := range batch {
			if _, ok := readable[c.ID]; ok {
				page.Incidents = append(page.Incidents, c)
			}
		}
		if len(page.Incidents) > f.Limit || len(batch) <= f.Limit {
			break
		}
		before = batch[len(batch)-1].ID
	}
	if len(page.Incidents) > f.Limit {
		page.Incidents = page.Incidents[:f.Limit]
		page.Next = page.Incidents[f.Limit-1].ID
	}
	byOrg := map[int64][]int64{}
	for _, c := range page.Incidents {
		byOrg[c.OrgID] = append(byOrg[c.OrgID], c.ID)
	}
	for org, ids := range byOrg {
		stored, err := storedObligations(ctx, d.db, org, ids)
		if err != nil {
			return CSIRTPage{}, d.translate(err)
		}
		for i := range page.Incidents {
			r := &page.Incidents[i].Incident
			if r.OrgID == org {
				r.Obligations = computeObligations(d.IncidentRegimes(), r, kinds[org], stored[r.ID], f.Now)
			}
		}
	}
	if page.Incidents == nil {
		page.Incidents = []CSIRTIncident{}
	}
	return page, nil
}

// scanAppend scans a row whose first columns are an incident and whose
// last ones go to extra.
type scanAppend struct {
	rows  *sql.Rows
	extra []any
}

func (s scanAppend) Scan(dest ...any) error { return s.rows.Scan(append(dest, s.extra...)...) }

// CSIRTIncident returns one shared incident in full for a CSIRT user who
// may read it, with every related incident that user may read named.
func (d *DB) CSIRTIncident(ctx context.Context, p access.Principal, id int64) (CSIRTIncident, error) {
	org, err := CSIRTIncidentOrg(ctx, d.db, p, access.ActRead, id)
	if err != nil {
		return CSIRTIncident{}, d.translate(err)
	}
	return d.csirtLoad(ctx, d.db, p, org, id)
}

func (d *DB) csirtLoad(ctx context.Context, q querier, p access.Principal, org, id int64) (CSIRTIncident, error) {
	r, err := loadIncident(ctx, q, d.IncidentRegimes(), org, id, d.Now())
	if err != nil {
		return CSIRTIncident{}, d.translate(err)
	}
	if err := loadCSIRTParts(ctx, q, &r, &p); err != nil {
		return CSIRTIncident{}, d.translate(err)
	}
	c := CSIRTIncident{Incident: r}
	err = q.QueryRowContext(ctx, "SELECT name FROM orgs WHERE id = $1", org).Scan(&c.OrgName)
	return c, d.translate(err)
}

// csirtLock resolves a shared incident for a CSIRT analyst and takes its
// row lock, like lockIncident does for the member.
func (tx *Tx) csirtLock(ctx context.Context, p access.Principal, id int64) (Incident, error) {
	org, err := CSIRTIncidentOrg(ctx, tx.tx, p, access.ActAnalyse, id)
	if err != nil {
		return Incident{}, err
	}
	if _, err := tx.exec(ctx, "UPDATE incidents SET updated_at = $3 WHERE org_id = $1 AND id = $2", org, id, ts(tx.now)); err != nil {
		return Incident{}, err
	}
	return loadIncident(ctx, tx.tx, tx.db.IncidentRegimes(), org, id, tx.now)
}

// RequestIntermediateReport records the CSIRT's request for a NIS2
// intermediate report (Art. 23(4)(c)) due at due: the member's obligation
// appears with that deadline (and its reminders follow). The incident must
// be one a NIS2 report applies to.
func (tx *Tx) RequestIntermediateReport(ctx context.Context, p access.Principal, id int64, due time.Time) (Incident, error) {
	r, err := tx.csirtLock(ctx, p, id)
	if err != nil {
		return r, err
	}
	if due.IsZero() || !due.After(tx.now) {
		return r, aceso.Errorf(aceso.EINVALID, "due_at: must be a time in the future")
	}
	if !r.Assessment.Significant() {
		return r, aceso.Errorf(aceso.EINVALID, "incident %d is not assessed significant under NIS2: no intermediate report applies", id)
	}
	before := map[string]any{"intermediate_report_due": r.Assessment.IntermediateReportDue}
	due = due.UTC().Truncate(time.Microsecond)
	r.Assessment.IntermediateReportDue = &due
	if err := tx.saveIncident(ctx, &r); err != nil {
		return r, err
	}
	if err := tx.appendTimeline(ctx, &r, p, "csirt", "The CSIRT requested an intermediate report (NIS2 Art. 23(4)(c)) due "+due.Format(time.RFC3339)); err != nil {
		return r, err
	}
	return r, tx.Audit(ctx, p, r.OrgID, "incident.csirt.request_report", "incident", r.ID, audit.Change(before, map[string]any{"intermediate_report_due": due}))
}

// AddAdvice gives the member the CSIRT's advice on a shared incident.
func (tx *Tx) AddAdvice(ctx context.Context, p access.Principal, id int64, text string) (Advice, error) {
	r, err := tx.csirtLock(ctx, p, id)
	if err != nil {
		return Advice{}, err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return Advice{}, aceso.Errorf(aceso.EINVALID, "advice text: required")
	}
	if len(text) > 20000 {
		return Advice{}, aceso.Errorf(aceso.EINVALID, "advice text: longer than 20000 bytes")
	}
	a := Advice{At: tx.now, Author: actorName(p), Text: text}
	if err := tx.queryRow(ctx, "INSERT INTO incident_advice (org_id, incident_id, at, author, text) VALUES ($1, $2, $3, $4, $5) RETURNING id",
		r.OrgID, r.ID, ts(a.At), a.Author, a.Text).Scan(&a.ID); err != nil {
		return Advice{}, fmt.Errorf("insert advice: %w", err)
	}
	if err := tx.appendTimeline(ctx, &r, p, "csirt", "CSIRT advice added"); err != nil {
		return Advice{}, err
	}
	return a, tx.Audit(ctx, p, r.OrgID, "incident.csirt.advice", "incident", r.ID, audit.Change(nil, map[string]any{"advice_id": a.ID}))
}

// LinkIncidents links two shared incidents as related (same observables,
// same device model, same campaign); each side then lists the other. The
// link is written in both directions, each row scoped by its own side's
// organisation. Linking again is a no-op.
func (tx *Tx) LinkIncidents(ctx context.Context, p access.Principal, id, other int64, reason string) error {
	if id == other {
		return aceso.Errorf(aceso.EINVALID, "related: an incident cannot be linked to itself")
	}
	reason = strings.TrimSpace(reason)
	if len(reason) > 500 {
		return aceso.Errorf(aceso.EINVALID, "reason: longer than 500 bytes")
	}
	a, err := tx.csirtLock(ctx, p, id)
	if err != nil {
		return err
	}
	b, err := tx.csirtLock(ctx, p, other)
	if err != nil {
		return fmt.Errorf("related: %w", err)
	}
	for _, pr := range [][2]*Incident{{&a, &b}, {&b, &a}} {
		res, err := tx.exec(ctx, `INSERT INTO incident_links (org_id, incident_id, related_org_id, related_id, reason, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (incident_id, related_id) DO NOTHING`,
			pr[0].OrgID, pr[0].ID, pr[1].OrgID, pr[1].ID, reason, actorName(p), ts(tx.now))
		if err != nil {
			return fmt.Errorf("link: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		if err := tx.appendTimeline(ctx, pr[0], p, "csirt", "The CSIRT linked a related incident"); err != nil {
			return err
		}
		if err := tx.Audit(ctx, p, pr[0].OrgID, "incident.csirt.link", "incident", pr[0].ID, audit.Change(nil, map[string]any{"related_id": pr[1].ID, "reason": reason})); err != nil {
			return err
		}
	}
	return nil
}

// MarkDuplicate marks incident id a duplicate of incident of (both shared):
// the queue and the statistics then count only the original. An original
// cannot itself be a duplicate, so there are no chains or cycles.
func (tx *Tx) MarkDuplicate(ctx context.Context, p access.Principal, id, of int64) error {
	if id == of {
		return aceso.Errorf(aceso.EINVALID, "duplicate_of: an incident cannot duplicate itself")
	}
	dup, err := tx.csirtLock(ctx, p, id)
	if err != nil {
		return err
	}
	orig, err := tx.csirtLock(ctx, p, of)
	if err != nil {
		return fmt.Errorf("duplicate_of: %w", err)
	}
	if orig.DuplicateOf != nil {
		return aceso.Errorf(aceso.EINVALID, "duplicate_of: incident %d is itself a duplicate of %d", of, *orig.DuplicateOf)
	}
	var n int
	if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM incidents WHERE duplicate_of = $1", id).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return aceso.Errorf(aceso.ECONFLICT, "incident %d has duplicates of its own: mark those first", id)
	}
	if _, err := tx.exec(ctx, "UPDATE incidents SET duplicate_of = $3 WHERE org_id = $1 AND id = $2", dup.OrgID, dup.ID, orig.ID); err != nil {
		return err
	}
	if err := tx.appendTimeline(ctx, &dup, p, "csirt", "The CSIRT marked this incident a duplicate of another report"); err != nil {
		return err
	}
	if err := tx.Audit(ctx, p, dup.OrgID, "incident.csirt.duplicate", "incident", dup.ID, audit.Change(map[string]any{"duplicate_of": dup.DuplicateOf}, map[string]any{"duplicate_of": orig.ID})); err != nil {
		return err
	}
	return tx.LinkIncidents(ctx, p, dup.ID, orig.ID, "duplicate")
}

// Candidate is a shared incident that looks related to another: what they
// have in common.
type Candidate struct {
	ID      int64    `json:"id"`
	OrgID   int64    `json:"org_id"`
	OrgName string   `json:"org_name"`
	Title   string   `json:"title"`
	Reasons []string `json:"reasons"` // "observable ip:203.0.113.7", "device model Siemens AXIOM"
}

// RelatedCandidates finds the shared incidents (of any member) that share
// an observable or a device model with shared incident id, for the CSIRT
// to link: only those the user may read (csirtReadable).
func (d *DB) RelatedCandidates(ctx context.Context, p access.Principal, id int64) ([]Candidate, error) {
	org, err := CSIRTIncidentOrg(ctx, d.db, p, access.ActRead, id)
	if err != nil {
		return nil, d.translate(err)
	}
	byID := map[int64]*Candidate{}
	add := func(rows *sql.Rows, prefix string) error {
		defer rows.Close()
		for rows.Next() {
			var c Candidate
			var what string
			if err := rows.Scan(&c.ID, &c.OrgID, &c.OrgName, &c.Title, &what); err != nil {
				return err
			}
			if byID[c.ID] == nil {
				byID[c.ID] = &c
			}
			byID[c.ID].Reasons = append(byID[c.ID].Reasons, prefix+what)
		}
		return rows.Err()
	}
	rows, err := d.db.QueryContext(ctx, `SELECT DISTINCT i.id, i.org_id, o.name, i.title, x.kind || ':' || x.value
		FROM incident_observables s JOIN incident_observables x ON x.kind = s.kind AND x.value = s.value AND x.incident_id <> s.incident_id
		JOIN incidents i ON i.id = x.incident_id AND i.org_id = x.org_id JOIN orgs o ON o.id = i.org_id
		WHERE s.org_id = $1 AND s.incident_id = $2 AND i.shared_with_csirt = TRUE`, org, id)
	if err != nil {
		return nil, d.translate(err)
	}
	if err := add(rows, "observable "); err != nil {
		return nil, d.translate(err)
	}
	// Device models: device_ids is JSON, read whole; the models of this
	// incident's devices are compared with those of the other shared ones.
	models, err := d.incidentModels(ctx, org, id)
	if err != nil {
		return nil, err
	}
	if len(models) > 0 {
		rows, err := d.db.QueryContext(ctx, "SELECT i.id, i.org_id, o.name, i.title, i.device_ids FROM incidents i JOIN orgs o ON o.id = i.org_id WHERE i.shared_with_csirt = TRUE AND i.id <> $1 AND i.device_ids <> '[]'", id)
		if err != nil {
			return nil, d.translate(err)
		}
		type other struct {
			c   Candidate
			dev string
		}
		var others []other
		for rows.Next() {
			var o other
			if err := rows.Scan(&o.c.ID, &o.c.OrgID, &o.c.OrgName, &o.c.Title, &o.dev); err != nil {
				rows.Close()
				return nil, d.translate(err)
			}
			others = append(others, o)
		}
		rows.Close()
		for _, o := range others {
			ms, err := d.incidentModels(ctx, o.c.OrgID, o.c.ID)
			if err != nil {
				return nil, err
			}
			for m := range ms {
				if models[m] {
					c := o.c
					if byID[c.ID] == nil {
						byID[c.ID] = &c
					}
					byID[c.ID].Reasons = append(byID[c.ID].Reasons, "device model "+m)
				}
			}
		}
	}
	ids := make([]int64, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	readable, err := csirtReadable(ctx, d.db, p, ids)
	if err != nil {
		return nil, d.translate(err)
	}
	out := make([]Candidate, 0, len(byID))
	for _, c := range byID {
		if _, ok := readable[c.ID]; !ok {
			continue
		}
		sort.Strings(c.Reasons)
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, nil
}

// incidentModels returns "manufacturer model" of the devices an incident names.
func (d *DB) incidentModels(ctx context.Context, org, id int64) (map[string]bool, error) {
	var dev string
	if err := d.db.QueryRowContext(ctx, "SELECT device_ids FROM incidents WHERE org_id = $1 AND id = $2", org, id).Scan(&dev); err != nil {
		return nil, d.translate(err)
	}
	var ids []int64
	if err := json.Unmarshal([]byte(dev), &ids); err != nil || len(ids) == 0 {
		return nil, nil
	}
	rows, err := d.db.QueryContext(ctx, "SELECT manufacturer_norm, model FROM devices WHERE org_id = $1 AND id IN ("+placeholders(2, len(ids))+")",
		append([]any{org}, int64sAny(ids)...)...)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var m, model string
		if err := rows.Scan(&m, &model); err != nil {
			return nil, d.translate(err)
		}
		out[strings.ToLower(strings.TrimSpace(m+" "+model))] = true
	}
	return out, d.translate(rows.Err())
}
