package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/audit"
	"github.com/aceso-health/aceso/internal/incident"
)

// Incident is an incident as the store returns it: the domain record with
// its assessment and its regulatory obligations, whose pending/late status
// is computed at read time so a passing deadline needs no background job.
type Incident struct {
	incident.Incident
	Assessment  incident.Assessment `json:"assessment"`
	Obligations []Obligation        `json:"obligations"`
	CreatedBy   string              `json:"created_by"`
	CreatedAt   time.Time           `json:"created_at"`
	UpdatedAt   time.Time           `json:"updated_at"`
	// SharedWithCSIRT: the CSIRT may read the incident (see CSIRTIncidentOrg).
	SharedWithCSIRT bool `json:"shared_with_csirt"`
	// DuplicateOf is the incident the CSIRT marked this one a duplicate of.
	DuplicateOf *int64 `json:"duplicate_of,omitempty"`
	// CSIRTAdvice is the CSIRT's advice on the incident, newest last.
	CSIRTAdvice []Advice `json:"csirt_advice,omitempty"`
	// Related are the incidents the CSIRT linked to this one, as the
	// reader may see them (another member's stays anonymous unless its TLP
	// allows naming it).
	Related []RelatedIncident `json:"related,omitempty"`
	// RedPeople are the CSIRT users the member named: while the incident
	// is TLP:RED and shared, only they of the CSIRT may read it.
	RedPeople []Person `json:"red_people,omitempty"`
}

// Obligation is one regulatory report of an incident together with who
// submitted it, which the domain type does not track.
type Obligation struct {
	incident.Obligation
	SubmittedBy string `json:"submitted_by,omitempty"`
}

// MarshalJSON writes the obligation with its key and with due_at and
// submitted_at always present (null when unknown), so that API clients
// can rely on the fields of a clock.
func (o Obligation) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Key                string                    `json:"key"`
		Regime             string                    `json:"regime"`
		Stage              string                    `json:"stage"`
		Title              string                    `json:"title"`
		Article            string                    `json:"article"`
		DueAt              *time.Time                `json:"due_at"`
		Status             incident.ObligationStatus `json:"status"`
		SubmittedAt        *time.Time                `json:"submitted_at"`
		SubmittedBy        string                    `json:"submitted_by,omitempty"`
		LateReason         string                    `json:"late_reason,omitempty"`
		RequiresLateReason bool                      `json:"requires_late_reason"`
		Basis              string                    `json:"basis"`
		Snapshot           json.RawMessage           `json:"snapshot,omitempty"`
	}{o.Key(), o.Regime, o.Stage, o.Title, o.Article, o.DueAt, o.Status, o.SubmittedAt, o.SubmittedBy, o.LateReason,
		o.RequiresLateReason, o.Basis, o.Snapshot})
}

// Key names the obligation as "regime.stage" (e.g. "gdpr.notification"):
// stage names repeat across regimes, and a stage name never holds a dot.
func (o Obligation) Key() string { return o.Regime + "." + o.Stage }

// Open reports whether the obligation still has to be submitted.
func (o Obligation) Open() bool {
	return o.Status == incident.ObligationPending || o.Status == incident.ObligationLate
}

// NextDue returns the open obligation with the earliest deadline, or nil
// when none has one; the list and the CLI show it as the incident's clock.
func (in Incident) NextDue() *Obligation {
	var next *Obligation
	for i := range in.Obligations {
		o := &in.Obligations[i]
		if o.Open() && o.DueAt != nil && (next == nil || o.DueAt.Before(*next.DueAt)) {
			next = o
		}
	}
	return next
}

// Late counts the obligations past their deadline and not yet submitted.
func (in Incident) Late() int {
	n := 0
	for _, o := range in.Obligations {
		if o.Status == incident.ObligationLate {
			n++
		}
	}
	return n
}

// Obligation finds an obligation by regime and stage.
func (in Incident) Obligation(regime, stage string) (Obligation, bool) {
	for _, o := range in.Obligations {
		if o.Regime == regime && o.Stage == stage {
			return o, true
		}
	}
	return Obligation{}, false
}

const incidentCols = `id, org_id, title, description, status, outcome, severity, tlp, reporter, time_zone,
	detected_at, aware_at, handled_at, rsit_class, rsit_type, suspected_malicious, cross_border, patient_safety,
	impact_on_care, personal_data, assessment, root_cause, mitigation, contact_point, device_ids, created_by, created_at, updated_at,
	shared_with_csirt, duplicate_of`

// querier is what reads need from *sql.DB and *sql.Tx alike.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func scanIncident(row interface{ Scan(...any) error }) (Incident, error) {
	var (
		r                          Incident
		detected, handled          sql.NullInt64
		aware, created, updated    int64
		impact, pd, assess, device string
		dup                        sql.NullInt64
	)
	err := row.Scan(&r.ID, &r.OrgID, &r.Title, &r.Description, &r.Status, &r.Outcome, &r.Severity, &r.TLP, &r.Reporter, &r.TimeZone,
		&detected, &aware, &handled, &r.Classification.Class, &r.Classification.Type, &r.SuspectedMalicious, &r.CrossBorder, &r.PatientSafety,
		&impact, &pd, &assess, &r.RootCause, &r.Mitigation, &r.ContactPoint, &device, &r.CreatedBy, &created, &updated,
		&r.SharedWithCSIRT, &dup)
	if err != nil {
		return r, err
	}
	if detected.Valid {
		r.DetectedAt = fromTS(detected.Int64)
	}
	if dup.Valid {
		r.DuplicateOf = &dup.Int64
	}
	r.AwareAt, r.HandledAt, r.CreatedAt, r.UpdatedAt = fromTS(aware), fromNullTS(handled), fromTS(created), fromTS(updated)
	if err := json.Unmarshal([]byte(impact), &r.ImpactOnCare); err != nil {
		return r, fmt.Errorf("incident %d: impact_on_care: %w", r.ID, err)
	}
	if pd != "" {
		r.PersonalData = new(incident.PersonalDataBreach)
		if err := json.Unmarshal([]byte(pd), r.PersonalData); err != nil {
			return r, fmt.Errorf("incident %d: personal_data: %w", r.ID, err)
		}
	}
	if err := json.Unmarshal([]byte(assess), &r.Assessment); err != nil {
		return r, fmt.Errorf("incident %d: assessment: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(device), &r.DeviceIDs); err != nil {
		return r, fmt.Errorf("incident %d: device_ids: %w", r.ID, err)
	}
	return r, nil
}

// incidentArgs are the stored forms of the record's columns from title on,
// in incidentCols order (without id, org_id, created_*, updated_at).
func incidentArgs(r *Incident) ([]any, error) {
	impact, err := json.Marshal(r.ImpactOnCare)
	if err != nil {
		return nil, err
	}
	pd := []byte{}
	if r.PersonalData != nil {
		if pd, err = json.Marshal(r.PersonalData); err != nil {
			return nil, err
		}
	}
	assess, err := json.Marshal(r.Assessment)
	if err != nil {
		return nil, err
	}
	devices := r.DeviceIDs
	if devices == nil {
		devices = []int64{}
	}
	dev, err := json.Marshal(devices)
	if err != nil {
		return nil, err
	}
	detected := sql.NullInt64{}
	if !r.DetectedAt.IsZero() {
		detected = sql.NullInt64{Int64: ts(r.DetectedAt), Valid: true}
	}
	return []any{r.Title, r.Description, r.Status, r.Outcome, r.Severity, r.TLP, r.Reporter, r.TimeZone,
		detected, ts(r.AwareAt), tsPtr(r.HandledAt), r.Classification.Class, r.Classification.Type,
		r.SuspectedMalicious, r.CrossBorder, r.PatientSafety, string(impact), string(pd), string(assess),
		r.RootCause, r.Mitigation, r.ContactPoint, string(dev)}, nil
}

// incidentView is what the audit log keeps of a record: the facts that
// drive the clocks and the workflow, not the free text.
func incidentView(r *Incident) map[string]any {
	return map[string]any{
		"title": r.Title, "status": r.Status, "outcome": r.Outcome, "severity": r.Severity, "tlp": r.TLP,
		"aware_at": r.AwareAt, "detected_at": r.DetectedAt, "handled_at": r.HandledAt, "classification": r.Classification,
		"suspected_malicious": r.SuspectedMalicious, "cross_border": r.CrossBorder, "patient_safety": r.PatientSafety,
		"personal_data": r.PersonalData != nil, "assessment": r.Assessment,
	}
}

func orgKindOf(ctx context.Context, q querier, orgID int64) (string, error) {
	var kind string
	err := q.QueryRowContext(ctx, "SELECT kind FROM orgs WHERE id = $1", orgID).Scan(&kind)
	if err == sql.ErrNoRows {
		return "", aceso.Errorf(aceso.ENOTFOUND, "organisation %d not found", orgID)
	}
	return kind, err
}

// CreateIncident stores a new incident of the principal's organisation (or
// in.OrgID, which must be it) with its assessment, computes its regulatory
// obligations at the transaction's time and opens its timeline. Reporters
// and above may create incidents. redPeople names the CSIRT users who may
// read it while it is TLP:RED (see SetRedPeople): a RED incident that a
// NIS2 report shares with the CSIRT at once needs them from the start.
func (tx *Tx) CreateIncident(ctx context.Context, p access.Principal, in *incident.Incident, a incident.Assessment, redPeople ...int64) (Incident, error) {
	if in.OrgID == 0 {
		in.OrgID = p.OrgID
	}
	if err := access.Authorize(p, access.ActWrite, in.OrgID); err != nil {
		return Incident{}, err
	}
	kind, err := orgKindOf(ctx, tx.tx, in.OrgID)
	if err != nil {
		return Incident{}, err
	}
	in.Title = strings.TrimSpace(in.Title)
	if in.Status == "" {
		in.Status = incident.StatusNew
	}
	if in.Reporter == "" {
		in.Reporter = actorName(p)
	}
	// Children are added through their own methods, so that each is
	// validated, numbered and audited on its own.
	in.ID, in.Observables, in.Tasks, in.Timeline, in.Comments = 0, nil, nil, nil, nil
	if err := in.Validate(); err != nil {
		return Incident{}, err
	}
	if err := a.Validate(); err != nil {
		return Incident{}, err
	}
	a.AssessedAt, a.AssessedBy = tx.now, actorName(p)
	r := Incident{Incident: *in, Assessment: a, CreatedBy: actorName(p), CreatedAt: tx.now, UpdatedAt: tx.now}
	args, err := incidentArgs(&r)
	if err != nil {
		return Incident{}, err
	}
	args = append([]any{r.OrgID}, append(args, r.CreatedBy, ts(r.CreatedAt), ts(r.UpdatedAt))...)
	err = tx.queryRow(ctx, `INSERT INTO incidents (org_id, title, description, status, outcome, severity, tlp, reporter, time_zone,
		detected_at, aware_at, handled_at, rsit_class, rsit_type, suspected_malicious, cross_border, patient_safety,
		impact_on_care, personal_data, assessment, root_cause, mitigation, contact_point, device_ids, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)
		RETURNING id`, args...).Scan(&r.ID)
	if err != nil {
		return Incident{}, fmt.Errorf("insert incident: %w", err)
	}
	in.ID = r.ID
	if err := tx.appendTimeline(ctx, &r, p, "created", "Incident reported: "+r.Title); err != nil {
		return Incident{}, err
	}
	if len(redPeople) > 0 {
		if r.RedPeople, err = tx.csirtPeople(ctx, redPeople); err != nil {
			return Incident{}, err
		}
		if err := tx.setNamedPeople(ctx, tlpIncident, r.ID, r.RedPeople); err != nil {
			return Incident{}, err
		}
	}
	r.Obligations = computeObligations(tx.db.IncidentRegimes(), &r, kind, nil, tx.now)
	if err := tx.writeObligations(ctx, &r); err != nil {
		return Incident{}, err
	}
	*in = r.Incident
	view := incidentView(&r)
	if len(r.RedPeople) > 0 {
		view["red_people"] = peopleNames(r.RedPeople)
	}
	return r, tx.Audit(ctx, p, r.OrgID, "incident.create", "incident", r.ID, audit.Change(nil, view))
}

// computeObligations runs the regimes over the record, keeping the
// submissions in prev and who made them.
func computeObligations(rg incident.Regimes, r *Incident, orgKind string, prev []Obligation, now time.Time) []Obligation {
	dom := make([]incident.Obligation, len(prev))
	by := make(map[string]string, len(prev))
	for i, p := range prev {
		dom[i] = p.Obligation
		by[p.Key()] = p.SubmittedBy
	}
	obs := incident.Obligations(&r.Incident, orgKind, r.Assessment, dom, rg, now)
	out := make([]Obligation, len(obs))
	for i, o := range obs {
		out[i] = Obligation{Obligation: o}
		if o.SubmittedAt != nil {
			out[i].SubmittedBy = by[out[i].Key()]
		}
	}
	return out
}

// writeObligations replaces the stored obligation rows of an incident with
// the computed ones. Submitted rows are never deleted: the computation
// carries every submission over.
func (tx *Tx) writeObligations(ctx context.Context, r *Incident) error {
	if _, err := tx.exec(ctx, "DELETE FROM incident_obligations WHERE org_id = $1 AND incident_id = $2 AND submitted_at IS NULL", r.OrgID, r.ID); err != nil {
		return fmt.Errorf("obligations: %w", err)
	}
	for _, o := range r.Obligations {
		_, err := tx.exec(ctx, `INSERT INTO incident_obligations (org_id, incident_id, regime, stage, title, article, due_at, status, basis,
			requires_late_reason, submitted_at, submitted_by, snapshot, late_reason)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			ON CONFLICT (incident_id, regime, stage) DO UPDATE SET title = excluded.title, article = excluded.article,
			due_at = excluded.due_at, status = excluded.status, basis = excluded.basis, requires_late_reason = excluded.requires_late_reason,
			submitted_at = excluded.submitted_at, submitted_by = excluded.submitted_by, snapshot = excluded.snapshot, late_reason = excluded.late_reason`,
			r.OrgID, r.ID, o.Regime, o.Stage, o.Title, o.Article, tsPtr(o.DueAt), o.Status, o.Basis,
			o.RequiresLateReason, tsPtr(o.SubmittedAt), o.SubmittedBy, string(o.Snapshot), o.LateReason)
		if err != nil {
			return fmt.Errorf("obligation %s: %w", o.Key(), err)
		}
	}
	// NIS2 reports go to the CSIRT: an incident a NIS2 report applies to
	// is shared with it, and stays shared (see CSIRTIncidentOrg).
	for _, o := range r.Obligations {
		if o.Regime == "nis2" && (o.Status != incident.ObligationNotApplicable || o.SubmittedAt != nil) {
			if _, err := tx.exec(ctx, `UPDATE incidents SET shared_with_csirt = TRUE, shared_at = COALESCE(shared_at, $3)
				WHERE org_id = $1 AND id = $2`, r.OrgID, r.ID, ts(tx.now)); err != nil {
				return fmt.Errorf("share with the CSIRT: %w", err)
			}
			r.SharedWithCSIRT = true
			break
		}
	}
	if err := tx.checkRedShare(ctx, r); err != nil {
		return err
	}
	// Same transaction: a submitted or dropped obligation has no reminder left.
	return tx.cancelReminders(ctx, r)
}

func (tx *Tx) appendTimeline(ctx context.Context, r *Incident, p access.Principal, kind, text string) error {
	e := r.AppendTimeline(tx.now, actorName(p), kind, text)
	_, err := tx.exec(ctx, "INSERT INTO incident_timeline (org_id, incident_id, seq, at, actor, kind, text) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		r.OrgID, r.ID, e.Seq, ts(e.At), e.Actor, e.Kind, e.Text)
	if err != nil {
		return fmt.Errorf("timeline: %w", err)
	}
	return nil
}

func actorName(p access.Principal) string {
	if p.UserName == "" {
		return "system"
	}
	return p.UserName
}

// storedObligations reads the obligation rows of the given incidents,
// grouped by incident id, in one query.
func storedObligations(ctx context.Context, q querier, orgID int64, ids []int64) (map[int64][]Obligation, error) {
	out := make(map[int64][]Obligation, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{orgID}
	ph := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		ph[i] = fmt.Sprintf("$%d", i+2)
	}
	rows, err := q.QueryContext(ctx, `SELECT incident_id, regime, stage, title, article, due_at, status, basis, requires_late_reason,
		submitted_at, submitted_by, snapshot, late_reason FROM incident_obligations
		WHERE org_id = $1 AND incident_id IN (`+strings.Join(ph, ", ")+`) ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			o        Obligation
			id       int64
			due, sub sql.NullInt64
			snap     string
		)
		if err := rows.Scan(&id, &o.Regime, &o.Stage, &o.Title, &o.Article, &due, &o.Status, &o.Basis, &o.RequiresLateReason,
			&sub, &o.SubmittedBy, &snap, &o.LateReason); err != nil {
			return nil, err
		}
		o.DueAt, o.SubmittedAt = fromNullTS(due), fromNullTS(sub)
		if snap != "" {
			o.Snapshot = json.RawMessage(snap)
		}
		out[id] = append(out[id], o)
	}
	return out, rows.Err()
}

// loadIncident reads one incident of orgID with all its parts and its
// obligations computed at now.
func loadIncident(ctx context.Context, q querier, rg incident.Regimes, orgID, id int64, now time.Time) (Incident, error) {
	r, err := scanIncident(q.QueryRowContext(ctx, "SELECT "+incidentCols+" FROM incidents WHERE org_id = $1 AND id = $2", orgID, id))
	if err == sql.ErrNoRows {
		return r, aceso.Errorf(aceso.ENOTFOUND, "incident %d not found", id)
	}
	if err != nil {
		return r, err
	}
	if err := loadChildren(ctx, q, &r); err != nil {
		return r, err
	}
	kind, err := orgKindOf(ctx, q, orgID)
	if err != nil {
		return r, err
	}
	stored, err := storedObligations(ctx, q, orgID, []int64{id})
	if err != nil {
		return r, fmt.Errorf("obligations: %w", err)
	}
	r.Obligations = computeObligations(rg, &r, kind, stored[id], now)
	if err := loadCSIRTParts(ctx, q, &r, nil); err != nil {
		return r, err
	}
	named, err := namedPeople(ctx, q, tlpIncident, []int64{r.ID})
	r.RedPeople = named[r.ID]
	return r, err
}

func loadChildren(ctx context.Context, q querier, r *Incident) error {
	each := func(what, query string, scan func(rows *sql.Rows) error) error {
		rows, err := q.QueryContext(ctx, query, r.OrgID, r.ID)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
		}
		return rows.Err()
	}
	err := each("timeline", "SELECT seq, at, actor, kind, text FROM incident_timeline WHERE org_id = $1 AND incident_id = $2 ORDER BY seq", func(rows *sql.Rows) error {
		var (
			e  incident.TimelineEntry
			at int64
		)
		err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Kind, &e.Text)
		e.At = fromTS(at)
		r.Timeline = append(r.Timeline, e)
		return err
	})
	if err != nil {
		return err
	}
	err = each("tasks", "SELECT id, title, assignee, due_at, status FROM incident_tasks WHERE org_id = $1 AND incident_id = $2 ORDER BY id", func(rows *sql.Rows) error {
		var (
			t   incident.Task
			due sql.NullInt64
		)
		err := rows.Scan(&t.ID, &t.Title, &t.Assignee, &due, &t.Status)
		t.Due = fromNullTS(due)
		r.Tasks = append(r.Tasks, t)
		return err
	})
	if err != nil {
		return err
	}
	err = each("observables", "SELECT kind, value, note FROM incident_observables WHERE org_id = $1 AND incident_id = $2 ORDER BY id", func(rows *sql.Rows) error {
		var o incident.Observable
		err := rows.Scan(&o.Kind, &o.Value, &o.Note)
		r.Observables = append(r.Observables, o)
		return err
	})
	if err != nil {
		return err
	}
	return each("comments", "SELECT id, at, author, text FROM incident_comments WHERE org_id = $1 AND incident_id = $2 ORDER BY id", func(rows *sql.Rows) error {
		var (
			c  incident.Comment
			at int64
		)
		err := rows.Scan(&c.ID, &at, &c.Author, &c.Text)
		c.At = fromTS(at)
		r.Comments = append(r.Comments, c)
		return err
	})
}

// Incident returns one incident of the principal's organisation with its
// timeline, tasks, observables, comments and obligations as of now (the
// store's clock when now is zero).
func (d *DB) Incident(ctx context.Context, p access.Principal, id int64, now time.Time) (Incident, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return Incident{}, err
	}
	if now.IsZero() {
		now = d.Now()
	}
	r, err := loadIncident(ctx, d.db, d.IncidentRegimes(), p.OrgID, id, now)
	return r, d.translate(err)
}

// lockIncident checks the principal may write, takes the incident's row
// lock (PostgreSQL; SQLite holds the write lock) by bumping updated_at, so
// that concurrent writers of one incident line up and the timeline numbers
// stay gapless, and loads it.
func (tx *Tx) lockIncident(ctx context.Context, p access.Principal, id int64) (Incident, error) {
	if err := access.Authorize(p, access.ActWrite, p.OrgID); err != nil {
		return Incident{}, err
	}
	res, err := tx.exec(ctx, "UPDATE incidents SET updated_at = $3 WHERE org_id = $1 AND id = $2", p.OrgID, id, ts(tx.now))
	if err != nil {
		return Incident{}, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Incident{}, aceso.Errorf(aceso.ENOTFOUND, "incident %d not found", id)
	}
	return loadIncident(ctx, tx.tx, tx.db.IncidentRegimes(), p.OrgID, id, tx.now)
}

// saveIncident writes the record's columns and recomputes its obligations.
func (tx *Tx) saveIncident(ctx context.Context, r *Incident) error {
	args, err := incidentArgs(r)
	if err != nil {
		return err
	}
	r.UpdatedAt = tx.now
	args = append([]any{r.OrgID, r.ID}, append(args, ts(r.UpdatedAt))...)
	_, err = tx.exec(ctx, `UPDATE incidents SET title = $3, description = $4, status = $5, outcome = $6, severity = $7, tlp = $8,
		reporter = $9, time_zone = $10, detected_at = $11, aware_at = $12, handled_at = $13, rsit_class = $14, rsit_type = $15,
		suspected_malicious = $16, cross_border = $17, patient_safety = $18, impact_on_care = $19, personal_data = $20,
		assessment = $21, root_cause = $22, mitigation = $23, contact_point = $24, device_ids = $25, updated_at = $26
		WHERE org_id = $1 AND id = $2`, args...)
	if err != nil {
		return fmt.Errorf("update incident: %w", err)
	}
	kind, err := orgKindOf(ctx, tx.tx, r.OrgID)
	if err != nil {
		return err
	}
	r.Obligations = computeObligations(tx.db.IncidentRegimes(), r, kind, r.Obligations, tx.now)
	return tx.writeObligations(ctx, r)
}

// UpdateIncident applies edit to the record and its assessment, validates
// the result and recomputes the obligations, keeping every submission. The
// workflow state (status, outcome, handled_at) and the children are not
// edited here: they have their own methods, which keep the timeline.
func (tx *Tx) UpdateIncident(ctx context.Context, p access.Principal, id int64, edit func(in *incident.Incident, a *incident.Assessment) error) (Incident, error) {
	r, err := tx.lockIncident(ctx, p, id)
	if err != nil {
		return r, err
	}
	before, oldTLP := incidentView(&r), r.TLP
	in, a := r.Incident, r.Assessment
	in.ImpactOnCare.ServicesAffected = append([]string(nil), in.ImpactOnCare.ServicesAffected...)
	if in.PersonalData != nil {
		pd := *in.PersonalData
		in.PersonalData = &pd
	}
	if err := edit(&in, &a); err != nil {
		return r, err
	}
	// What edit may not change.
	in.ID, in.OrgID, in.Status, in.Outcome, in.HandledAt = r.ID, r.OrgID, r.Status, r.Outcome, r.HandledAt
	in.Timeline, in.Tasks, in.Observables, in.Comments = r.Timeline, r.Tasks, r.Observables, r.Comments
	in.Title = strings.TrimSpace(in.Title)
	if err := in.Validate(); err != nil {
		return r, err
	}
	if err := a.Validate(); err != nil {
		return r, err
	}
	reassessed := !sameAssessment(a, r.Assessment) || (in.PersonalData == nil) != (r.PersonalData == nil) ||
		!in.AwareAt.Equal(r.AwareAt) || in.TimeZone != r.TimeZone
	if reassessed {
		a.AssessedAt, a.AssessedBy = tx.now, actorName(p)
	} else {
		a.AssessedAt, a.AssessedBy = r.Assessment.AssessedAt, r.Assessment.AssessedBy
	}
	r.Incident, r.Assessment = in, a
	if err := tx.saveIncident(ctx, &r); err != nil {
		return r, err
	}
	text := "Record updated"
	if reassessed {
		text = "Reassessed: " + openSummary(&r)
	}
	if err := tx.appendTimeline(ctx, &r, p, "update", text); err != nil {
		return r, err
	}
	if err := tx.Audit(ctx, p, r.OrgID, "incident.update", "incident", r.ID, audit.Change(before, incidentView(&r))); err != nil {
		return r, err
	}
	return r, tx.auditDowngrade(ctx, p, &r, oldTLP)
}

func sameAssessment(a, b incident.Assessment) bool {
	a.AssessedAt, a.AssessedBy, b.AssessedAt, b.AssessedBy = time.Time{}, "", time.Time{}, ""
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// openSummary lists the obligations that apply, for the timeline.
func openSummary(r *Incident) string {
	var keys []string
	for _, o := range r.Obligations {
		if o.Status != incident.ObligationNotApplicable {
			keys = append(keys, o.Key()+" ("+string(o.Status)+")")
		}
	}
	if len(keys) == 0 {
		return "no regulatory report applies"
	}
	return strings.Join(keys, ", ")
}

// Reassess replaces the incident's regulatory assessment and recomputes
// the clocks; submitted reports stay submitted whatever the new answers.
func (tx *Tx) Reassess(ctx context.Context, p access.Principal, id int64, a incident.Assessment) (Incident, error) {
	return tx.UpdateIncident(ctx, p, id, func(_ *incident.Incident, cur *incident.Assessment) error {
		*cur = a
		return nil
	})
}

// TransitionIncident moves an incident through the workflow; closing needs
// an outcome and sets handled_at, which starts the clocks that count from it.
func (tx *Tx) TransitionIncident(ctx context.Context, p access.Principal, id int64, to incident.Status, outcome incident.Outcome) (Incident, error) {
	r, err := tx.lockIncident(ctx, p, id)
	if err != nil {
		return r, err
	}
	before := incidentView(&r)
	n := len(r.Timeline)
	if err := r.Transition(to, outcome, tx.now, actorName(p)); err != nil {
		return r, err
	}
	e := r.Timeline[n]
	r.Timeline = r.Timeline[:n]
	if err := tx.saveIncident(ctx, &r); err != nil {
		return r, err
	}
	if err := tx.appendTimeline(ctx, &r, p, e.Kind, e.Text); err != nil {
		return r, err
	}
	return r, tx.Audit(ctx, p, r.OrgID, "incident.transition", "incident", r.ID, audit.Change(before, incidentView(&r)))
}

// SubmitObligation records that the report of regime/stage was sent now.
// With an empty snapshot the store keeps the pre-filled report
// (incident.Report) as what was sent. A late submission of a stage that
// requires it (GDPR Art. 33(1)) must give lateReason.
func (tx *Tx) SubmitObligation(ctx context.Context, p access.Principal, id int64, regime, stage string, snapshot []byte, lateReason string) (Obligation, error) {
	r, err := tx.lockIncident(ctx, p, id)
	if err != nil {
		return Obligation{}, err
	}
	i := -1
	for j, o := range r.Obligations {
		if o.Regime == regime && o.Stage == stage {
			i = j
		}
	}
	if i < 0 {
		return Obligation{}, aceso.Errorf(aceso.ENOTFOUND, "incident %d has no obligation %s.%s", id, regime, stage)
	}
	ob := r.Obligations[i]
	if len(snapshot) == 0 {
		pre := ob.Obligation
		if ob.DueAt != nil && tx.now.After(*ob.DueAt) {
			pre.LateReason = strings.TrimSpace(lateReason)
		}
		snapshot, err = json.Marshal(incident.Report(&r.Incident, pre))
		if err != nil {
			return Obligation{}, err
		}
	}
	if err := incident.Submit(&ob.Obligation, tx.now, snapshot, lateReason); err != nil {
		return Obligation{}, err
	}
	ob.SubmittedBy = actorName(p)
	r.Obligations[i] = ob
	// Later stages may count from this submission (NIS2 final report).
	if err := tx.saveIncident(ctx, &r); err != nil {
		return Obligation{}, err
	}
	text := fmt.Sprintf("Submitted %s %s (%s)", strings.ToUpper(regime), strings.ReplaceAll(stage, "_", " "), ob.Article)
	if ob.LateReason != "" {
		text += "; late: " + ob.LateReason
	}
	if err := tx.appendTimeline(ctx, &r, p, "submission", text); err != nil {
		return Obligation{}, err
	}
	if err := tx.deliverReport(ctx, &r, ob); err != nil {
		return Obligation{}, err
	}
	// Delivery may have shared the incident with the CSIRT.
	if err := tx.checkRedShare(ctx, &r); err != nil {
		return Obligation{}, err
	}
	view := map[string]any{"regime": regime, "stage": stage, "due_at": ob.DueAt, "submitted_at": ob.SubmittedAt, "late_reason": ob.LateReason,
		"delivered_to": tx.db.ReportRecipient(regime)}
	return ob, tx.Audit(ctx, p, r.OrgID, "incident.submit", "incident", r.ID, audit.Change(nil, view))
}
