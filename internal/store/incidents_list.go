package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/incident"
)

// IncidentFilter selects incidents for the list, newest first, a page at a
// time (keyset on id).
type IncidentFilter struct {
	Status incident.Status // only incidents in this status
	Open   bool            // only incidents not closed
	// Regime keeps incidents with an unsubmitted, applicable obligation of
	// this regime ("nis2", "gdpr", "mdr").
	Regime string
	// AtRisk keeps incidents with an unsubmitted obligation that is late or
	// due within RiskWindow (24 h when zero), of Regime when set.
	AtRisk     bool
	RiskWindow time.Duration
	Before     int64 // page cursor: incidents with id < Before (0: newest)
	Limit      int   // 1–500; 50 when zero
	Now        time.Time
}

// IncidentPage is one page of the list; Next is the cursor of the next
// page, 0 on the last.
type IncidentPage struct {
	Incidents []Incident `json:"incidents"`
	Next      int64      `json:"next,omitempty"`
}

// ListIncidents returns a page of the principal's organisation's incidents
// with their obligations computed at f.Now (timeline and other children
// are left out; Incident has them).
func (d *DB) ListIncidents(ctx context.Context, p access.Principal, f IncidentFilter) (IncidentPage, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return IncidentPage{}, err
	}
	if f.Now.IsZero() {
		f.Now = d.Now()
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	if f.RiskWindow <= 0 {
		f.RiskWindow = 24 * time.Hour
	}
	q := "SELECT " + incidentCols + " FROM incidents i WHERE org_id = $1"
	args := []any{p.OrgID}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.Before > 0 {
		q += " AND id < " + arg(f.Before)
	}
	if f.Status != "" {
		q += " AND status = " + arg(f.Status)
	}
	if f.Open {
		q += " AND status <> 'closed'"
	}
	if f.Regime != "" || f.AtRisk {
		q += ` AND EXISTS (SELECT 1 FROM incident_obligations o WHERE o.org_id = i.org_id AND o.incident_id = i.id
			AND o.submitted_at IS NULL AND o.status <> 'not_applicable'`
		if f.Regime != "" {
			q += " AND o.regime = " + arg(f.Regime)
		}
		if f.AtRisk {
			q += " AND o.due_at IS NOT NULL AND o.due_at <= " + arg(ts(f.Now.Add(f.RiskWindow)))
		}
		q += ")"
	}
	q += " ORDER BY id DESC LIMIT " + arg(f.Limit+1)
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return IncidentPage{}, d.translate(err)
	}
	var page IncidentPage
	for rows.Next() {
		r, err := scanIncident(rows)
		if err != nil {
			rows.Close()
			return IncidentPage{}, d.translate(err)
		}
		page.Incidents = append(page.Incidents, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return IncidentPage{}, d.translate(err)
	}
	if len(page.Incidents) > f.Limit {
		page.Incidents = page.Incidents[:f.Limit]
		page.Next = page.Incidents[f.Limit-1].ID
	}
	ids := make([]int64, len(page.Incidents))
	for i, r := range page.Incidents {
		ids[i] = r.ID
	}
	stored, err := storedObligations(ctx, d.db, p.OrgID, ids)
	if err != nil {
		return IncidentPage{}, d.translate(err)
	}
	kind, err := orgKindOf(ctx, d.db, p.OrgID)
	if err != nil {
		return IncidentPage{}, d.translate(err)
	}
	for i := range page.Incidents {
		r := &page.Incidents[i]
		r.Obligations = computeObligations(d.IncidentRegimes(), r, kind, stored[r.ID], f.Now)
	}
	if page.Incidents == nil {
		page.Incidents = []Incident{}
	}
	return page, nil
}
