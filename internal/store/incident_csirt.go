package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/audit"
	"github.com/aceso-health/aceso/internal/incident"
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
// may reach incident id iff it is shared with the CSIRT; it returns the
// incident's organisation, which every following query is scoped by.
// Anybody else gets EFORBIDDEN, and an unshared or unknown incident is
// ENOTFOUND, so its existence does not leak.
func CSIRTIncidentOrg(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, p access.Principal, act access.Action, id int64) (int64, error) {
	if err := csirtOnly(p, act); err != nil {
		return 0, err
	}
	var org int64
	err := q.QueryRowContext(ctx, "SELECT org_id FROM incidents WHERE id = $1 AND shared_with_csirt = TRUE", id).Scan(&org)
	if err == sql.ErrNoRows {
		return 0, aceso.Errorf(aceso.ENOTFOUND, "incident %d not found", id)
	}
	return org, err
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

// loadCSIRTParts reads the CSIRT advice and links of r; full (the CSIRT's
// view) names every related incident, otherwise another member's is
// named only when its TLP allows.
func loadCSIRTParts(ctx context.Context, q querier, r *Incident, full bool) error {
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
	defer rows.Close()
	for rows.Next() {
		var (
			rel RelatedIncident
			tlp incident.TLP
		)
		if err := rows.Scan(&rel.ID, &rel.OrgID, &rel.Reason, &rel.OrgName, &rel.Title, &tlp); err != nil {
			return err
		}
		rel.SameOrg = rel.OrgID == r.OrgID
		if !full && !rel.SameOrg && !tlpAllowsNaming(tlp) {
			rel = RelatedIncident{Anonymous: true, Reason: rel.Reason}
		}
		r.Related = append(r.Related, rel)
	}
	return rows.Err()
}

// ShareIncident shares one of the principal's organisation's incidents
// with the CSIRT (reporters and up); sharing cannot be withdrawn, as the
// CSIRT may already have acted on it.
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

// CSIRTIncidents lists the incidents members shared with the CSIRT, with
// their obligations computed at f.Now, for the CSIRT's users only.
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
	if f.Before > 0 {
		q += " AND i.id < " + arg(f.Before)
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
	q += " ORDER BY i.id DESC LIMIT " + arg(f.Limit+1)
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return CSIRTPage{}, d.translate(err)
	}
	var page CSIRTPage
	kinds := map[int64]string{}
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
		page.Incidents = append(page.Incidents, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return CSIRTPage{}, d.translate(err)
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

// CSIRTIncident returns one shared incident in full for the CSIRT, with
// every related incident named.
func (d *DB) CSIRTIncident(ctx context.Context, p access.Principal, id int64) (CSIRTIncident, error) {
	org, err := CSIRTIncidentOrg(ctx, d.db, p, access.ActRead, id)
	if err != nil {
		return CSIRTIncident{}, d.translate(err)
	}
	return d.csirtLoad(ctx, d.db, org, id)
}

func (d *DB) csirtLoad(ctx context.Context, q querier, org, id int64) (CSIRTIncident, error) {
	r, err := loadIncident(ctx, q, d.IncidentRegimes(), org, id, d.Now())
	if err != nil {
		return CSIRTIncident{}, d.translate(err)
	}
	if err := loadCSIRTParts(ctx, q, &r, true); err != nil {
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
// to link.
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
	out := make([]Candidate, 0, len(byID))
	for _, c := range byID {
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

// MinOrgsPerCell is the anonymity threshold of the sector statistics: a
// cell counting incidents of fewer distinct organisations is suppressed,
// so that no member's incidents can be singled out.
const MinOrgsPerCell = 3

// StatCell is one count of the sector statistics. A suppressed cell has no
// count (JSON null) and shows as "<3".
type StatCell struct {
	Key        string `json:"key"`
	Count      *int   `json:"count"`
	Suppressed bool   `json:"suppressed"`
}

// Display is the cell as printed: the count, or "<3" when suppressed.
func (c StatCell) Display() string {
	if c.Suppressed || c.Count == nil {
		return "<" + strconv.Itoa(MinOrgsPerCell)
	}
	return strconv.Itoa(*c.Count)
}

// Statistics are the anonymised sector statistics over the incidents
// shared with the CSIRT (duplicates counted once, as their original).
type Statistics struct {
	Total        StatCell   `json:"total"`
	ByRSITClass  []StatCell `json:"by_rsit_class"`
	ByMonth      []StatCell `json:"by_month"`       // "2026-03", by awareness time (UTC)
	ByCareImpact []StatCell `json:"by_care_impact"` // see careImpact
	MinOrgs      int        `json:"min_orgs_per_cell"`
}

// StatsFilter bounds the statistics by awareness time.
type StatsFilter struct {
	From, To time.Time // zero: unbounded
}

// careImpact classes an incident's impact on patient care for the
// statistics, most severe first.
func careImpact(ic incident.ImpactOnCare) string {
	switch {
	case ic.AmbulanceDiversion:
		return "ambulance_diversion"
	case ic.PostponedProcedures > 0:
		return "postponed_procedures"
	case len(ic.ServicesAffected) > 0 || ic.DurationMinutes > 0:
		return "services_affected"
	}
	return "none"
}

// SectorStatistics counts the shared incidents by RSIT class, by month and
// by impact on care for the CSIRT, suppressing every cell (the total too)
// that counts fewer than MinOrgsPerCell distinct organisations.
func (d *DB) SectorStatistics(ctx context.Context, p access.Principal, f StatsFilter) (Statistics, error) {
	if err := csirtOnly(p, access.ActRead); err != nil {
		return Statistics{}, err
	}
	q := "SELECT org_id, rsit_class, aware_at, impact_on_care FROM incidents WHERE shared_with_csirt = TRUE AND duplicate_of IS NULL"
	var args []any
	if !f.From.IsZero() {
		args = append(args, ts(f.From))
		q += " AND aware_at >= $" + strconv.Itoa(len(args))
	}
	if !f.To.IsZero() {
		args = append(args, ts(f.To))
		q += " AND aware_at < $" + strconv.Itoa(len(args))
	}
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return Statistics{}, d.translate(err)
	}
	defer rows.Close()
	type acc struct {
		n    int
		orgs map[int64]bool
	}
	dims := [3]map[string]*acc{{}, {}, {}}
	total := &acc{orgs: map[int64]bool{}}
	count := func(m map[string]*acc, key string, org int64) {
		a := m[key]
		if a == nil {
			a = &acc{orgs: map[int64]bool{}}
			m[key] = a
		}
		a.n++
		a.orgs[org] = true
	}
	for rows.Next() {
		var (
			org    int64
			class  string
			aware  int64
			impact string
		)
		if err := rows.Scan(&org, &class, &aware, &impact); err != nil {
			return Statistics{}, d.translate(err)
		}
		var ic incident.ImpactOnCare
		_ = json.Unmarshal([]byte(impact), &ic) // a broken record counts as no impact
		if class == "" {
			class = "unclassified"
		}
		count(dims[0], class, org)
		count(dims[1], fromTS(aware).UTC().Format("2006-01"), org)
		count(dims[2], careImpact(ic), org)
		total.n++
		total.orgs[org] = true
	}
	if err := rows.Err(); err != nil {
		return Statistics{}, d.translate(err)
	}
	cell := func(key string, a *acc) StatCell {
		if len(a.orgs) < MinOrgsPerCell {
			return StatCell{Key: key, Suppressed: true}
		}
		n := a.n
		return StatCell{Key: key, Count: &n}
	}
	totalCell := cell("total", total)
	cells := func(m map[string]*acc) []StatCell {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([]StatCell, 0, len(keys))
		for _, k := range keys {
			out = append(out, cell(k, m[k]))
		}
		return complementSuppress(out, !totalCell.Suppressed)
	}
	return Statistics{Total: totalCell, ByRSITClass: cells(dims[0]), ByMonth: cells(dims[1]), ByCareImpact: cells(dims[2]), MinOrgs: MinOrgsPerCell}, nil
}

// complementSuppress hides a second cell when a dimension would otherwise
// have exactly one hidden cell beside a published total: the hidden count
// would be the total minus the others. The smallest published cell goes,
// so the least information is lost.
func complementSuppress(cells []StatCell, totalShown bool) []StatCell {
	hidden, smallest := 0, -1
	for i, c := range cells {
		if c.Suppressed {
			hidden++
			continue
		}
		if smallest < 0 || *c.Count < *cells[smallest].Count {
			smallest = i
		}
	}
	if totalShown && hidden == 1 && smallest >= 0 {
		cells[smallest] = StatCell{Key: cells[smallest].Key, Suppressed: true}
	}
	return cells
}
