package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/audit"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/share"
)

// Audit appends an entry for a change made in this transaction, chained to
// the previous entry. It commits or rolls back with the change itself.
// orgID is the organisation whose data changed; summary comes from
// audit.Change and must hold no secrets.
func (tx *Tx) Audit(ctx context.Context, p access.Principal, orgID int64, action, objectType string, objectID any, summary string) error {
	var (
		id   int64
		prev string
	)
	// Bumping the head first takes its row lock on PostgreSQL (SQLite holds
	// the database write lock already), so concurrent appends line up.
	err := tx.queryRow(ctx, "UPDATE audit_head SET last_id = last_id + 1 WHERE id = 1 RETURNING last_id, last_hash").Scan(&id, &prev)
	if err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	actor := p.UserName
	if actor == "" {
		actor = "system"
	}
	e := audit.Entry{
		ID: id, At: tx.now, OrgID: orgID, ActorID: p.UserID, Actor: actor,
		Action: action, ObjectType: objectType, ObjectID: fmt.Sprint(objectID), Summary: summary,
		PrevHash: prev,
	}
	e.Hash = e.ComputeHash(prev)
	if _, err := tx.exec(ctx, `INSERT INTO audit_log (id, at, org_id, actor_id, actor, action, object_type, object_id, summary, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		e.ID, ts(e.At), e.OrgID, e.ActorID, e.Actor, e.Action, e.ObjectType, e.ObjectID, e.Summary, e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("audit insert: %w", err)
	}
	if _, err := tx.exec(ctx, "UPDATE audit_head SET last_hash = $1 WHERE id = 1", e.Hash); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	return nil
}

// AuditFilter selects audit entries for the audit page and API.
type AuditFilter struct {
	OrgID    int64 // organisation whose log is read; checked against the principal
	BeforeID int64 // page backwards from this id (0: newest)
	Limit    int
}

// ListAudit returns an organisation's audit entries, newest first. Admins
// read their own organisation's log; the CSIRT's admins may read any, with
// the content of TLP:RED incidents withheld (see redactRedIncidents).
func (d *DB) ListAudit(ctx context.Context, p access.Principal, f AuditFilter) ([]audit.Entry, error) {
	if err := access.Authorize(p, access.ActAdmin, f.OrgID); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	before := f.BeforeID
	if before <= 0 {
		before = 1<<62 - 1
	}
	rows, err := d.db.QueryContext(ctx, `SELECT id, at, org_id, actor_id, actor, action, object_type, object_id, summary, prev_hash, hash
		FROM audit_log WHERE org_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, f.OrgID, before, f.Limit)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, d.translate(err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, d.translate(err)
	}
	return out, d.translate(redactRedIncidents(ctx, d.db, p, out))
}

// RedactedSummary replaces the summary of an audit entry about a TLP:RED
// incident for a reader the incident is not for.
const RedactedSummary = "restricted: TLP:RED incident"

// redactRedIncidents withholds, at read time, what an audit log says about
// a TLP:RED incident from a reader of another organisation (the CSIRT's
// admins read every log) who is not one of its named persons: the entries
// of incident code (object type "incident": its creation, updates,
// transitions, tasks, observables, attachments, reports, named people)
// carry its title, classification and names. The id, action, actor and
// time stay; the summary becomes RedactedSummary. The label is the
// incident's current one, decided by share.MayReceive as for the incident
// itself; an unreadable label admits only its organisation (fail closed),
// and so does an incident that cannot be found. The stored chain is
// untouched, so VerifyAudit (which reports only ids and reasons) still
// checks it; a redacted entry's hash no longer matches the summary shown.
func redactRedIncidents(ctx context.Context, q querier, p access.Principal, entries []audit.Entry) error {
	if p.IsSystem() {
		return nil
	}
	var ids []int64
	for _, e := range entries {
		if e.ObjectType != tlpIncident || e.OrgID == p.OrgID {
			continue
		}
		if id, err := strconv.ParseInt(e.ObjectID, 10, 64); err == nil && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	type inc struct {
		org   int64
		label share.TLP
	}
	found := map[int64]inc{}
	if len(ids) > 0 {
		rows, err := q.QueryContext(ctx, "SELECT id, org_id, tlp FROM incidents WHERE id IN ("+placeholders(1, len(ids))+")", int64sAny(ids)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				id, org int64
				label   string
			)
			if err := rows.Scan(&id, &org, &label); err != nil {
				return err
			}
			found[id] = inc{org, incidentLabel(incident.TLP(label))}
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	var red []int64
	for id, r := range found {
		if r.label == share.TLPRed || !r.label.Valid() {
			red = append(red, id)
		}
	}
	named, err := namedPeople(ctx, q, tlpIncident, red)
	if err != nil {
		return err
	}
	reader := tlpReader(p)
	for i, e := range entries {
		if e.ObjectType != tlpIncident || e.OrgID == p.OrgID {
			continue
		}
		id, err := strconv.ParseInt(e.ObjectID, 10, 64)
		r, ok := found[id]
		switch {
		case err != nil || !ok || r.org != e.OrgID:
			// Not an incident of this log: fail closed.
		case r.label != share.TLPRed && r.label.Valid():
			continue
		case share.MayReceive(r.label, r.org, reader, audienceOf(nil, named[id])):
			continue
		}
		entries[i].Summary = RedactedSummary
	}
	return nil
}

func scanAudit(rows *sql.Rows) (audit.Entry, error) {
	var (
		e  audit.Entry
		at int64
	)
	err := rows.Scan(&e.ID, &at, &e.OrgID, &e.ActorID, &e.Actor, &e.Action, &e.ObjectType, &e.ObjectID, &e.Summary, &e.PrevHash, &e.Hash)
	e.At = fromTS(at)
	return e, err
}

// VerifyResult is what a verification of the whole audit chain found.
type VerifyResult struct {
	Entries int64        `json:"entries"`
	Intact  bool         `json:"intact"`
	Break   *audit.Break `json:"break,omitempty"`
}

// VerifyAudit walks the whole chain in id order and reports the first
// broken link. It reads in pages so that memory stays flat on a long log.
func (d *DB) VerifyAudit(ctx context.Context) (VerifyResult, error) {
	v := audit.NewVerifier()
	var last int64
	for {
		rows, err := d.db.QueryContext(ctx, `SELECT id, at, org_id, actor_id, actor, action, object_type, object_id, summary, prev_hash, hash
			FROM audit_log WHERE id > $1 ORDER BY id LIMIT 5000`, last)
		if err != nil {
			return VerifyResult{}, d.translate(err)
		}
		n := 0
		var brk *audit.Break
		for rows.Next() {
			e, err := scanAudit(rows)
			if err != nil {
				rows.Close()
				return VerifyResult{}, d.translate(err)
			}
			n++
			last = e.ID
			if brk = v.Next(&e); brk != nil {
				break
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return VerifyResult{}, d.translate(err)
		}
		if brk != nil {
			count, _ := v.Done(0, "")
			return VerifyResult{Entries: count, Break: brk}, nil
		}
		if n == 0 {
			break
		}
	}
	var headID int64
	var headHash string
	if err := d.db.QueryRowContext(ctx, "SELECT last_id, last_hash FROM audit_head WHERE id = 1").Scan(&headID, &headHash); err != nil {
		return VerifyResult{}, d.translate(err)
	}
	count, brk := v.Done(headID, headHash)
	return VerifyResult{Entries: count, Intact: brk == nil, Break: brk}, nil
}

// orgKey formats an id for audit object ids.
func orgKey(id int64) string { return strconv.FormatInt(id, 10) }
