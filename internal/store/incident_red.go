package store

import (
	"context"
	"slices"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/audit"
	"github.com/aceso-health/aceso/internal/incident"
)

// csirtPeople resolves the CSIRT users a member names on a TLP:RED
// incident: each must be an active user of the CSIRT. A user of any other
// organisation, or no user at all, reads the same, so that a member cannot
// probe other organisations' user ids.
func (tx *Tx) csirtPeople(ctx context.Context, ids []int64) ([]Person, error) {
	ids, found, err := resolvePeople(ctx, tx.tx, "red_people", ids)
	if err != nil {
		return nil, err
	}
	people := make([]Person, 0, len(ids))
	for _, id := range ids {
		p, ok := found[id]
		switch {
		case !ok || p.orgKind != access.KindCSIRT:
			return nil, aceso.Errorf(aceso.EINVALID, "red_people: user %d is not a user of the CSIRT", id)
		case p.Disabled:
			return nil, aceso.Errorf(aceso.EINVALID, "red_people: user %d (%s) is disabled", id, p.Email)
		}
		people = append(people, p)
	}
	return people, nil
}

// checkRedShare refuses a TLP:RED incident shared with the CSIRT that
// names no active CSIRT user: nobody at the CSIRT could read it, and a
// NIS2 report that nobody can read is no report. It runs wherever an
// incident becomes shared, changes its label or its named people.
func (tx *Tx) checkRedShare(ctx context.Context, r *Incident) error {
	if !r.SharedWithCSIRT || r.TLP != incident.TLPRed {
		return nil
	}
	named, err := namedPeople(ctx, tx.tx, tlpIncident, []int64{r.ID})
	if err != nil {
		return err
	}
	for _, p := range named[r.ID] {
		if !p.Disabled && p.orgKind == access.KindCSIRT {
			return nil
		}
	}
	return aceso.Errorf(aceso.EINVALID, "red_people: a TLP:RED incident shared with the CSIRT must name at least one active CSIRT user who may read it")
}

// SetRedPeople replaces the CSIRT users named on one of the principal's
// organisation's incidents (reporters and up): while the incident is
// TLP:RED and shared, only they of the CSIRT may read it. The names are
// kept whatever the label, so that relabelling RED later does not widen
// or lose them silently. A shared RED incident cannot be left without one
// active named user. Audited with who was named before and after.
func (tx *Tx) SetRedPeople(ctx context.Context, p access.Principal, id int64, ids []int64) (Incident, error) {
	r, err := tx.lockIncident(ctx, p, id)
	if err != nil {
		return r, err
	}
	people, err := tx.csirtPeople(ctx, ids)
	if err != nil {
		return r, err
	}
	same := len(people) == len(r.RedPeople)
	for i := 0; same && i < len(people); i++ {
		same = slices.ContainsFunc(r.RedPeople, func(x Person) bool { return x.ID == people[i].ID })
	}
	if same {
		return r, nil
	}
	before := peopleNames(r.RedPeople)
	if err := tx.setNamedPeople(ctx, tlpIncident, r.ID, people); err != nil {
		return r, err
	}
	named, err := namedPeople(ctx, tx.tx, tlpIncident, []int64{r.ID})
	if err != nil {
		return r, err
	}
	r.RedPeople = named[r.ID]
	if err := tx.checkRedShare(ctx, &r); err != nil {
		return r, err
	}
	if err := tx.appendTimeline(ctx, &r, p, "update", "CSIRT users who may read the incident at TLP:RED changed"); err != nil {
		return r, err
	}
	return r, tx.Audit(ctx, p, r.OrgID, "incident.red_people", "incident", r.ID,
		audit.Change(map[string]any{"red_people": before}, map[string]any{"red_people": peopleNames(r.RedPeople)}))
}

// auditDowngrade records a loosened label as its own audited action of the
// originator ("incident.tlp_downgrade", from and to), apart from the
// general update entry: a downgrade widens who may read the incident, and
// the audit log must show that plainly. Strictness is read as the CSIRT's
// path reads it (incidentLabel: unlabelled counts as TLP:AMBER+STRICT).
func (tx *Tx) auditDowngrade(ctx context.Context, p access.Principal, r *Incident, from incident.TLP) error {
	if from == r.TLP || !incidentLabel(from).Stricter(incidentLabel(r.TLP)) {
		return nil
	}
	name := func(t incident.TLP) string {
		if t == "" {
			return "unlabelled"
		}
		return string(t)
	}
	if err := tx.appendTimeline(ctx, r, p, "update", "TLP downgraded from "+name(from)+" to "+name(r.TLP)); err != nil {
		return err
	}
	return tx.Audit(ctx, p, r.OrgID, "incident.tlp_downgrade", "incident", r.ID,
		audit.Change(map[string]any{"tlp": from}, map[string]any{"tlp": r.TLP}))
}

// CSIRTPeople lists the CSIRT's active users, whom a member may name on a
// TLP:RED incident (any user of the deployment may read the list).
func (d *DB) CSIRTPeople(ctx context.Context, p access.Principal) ([]Person, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return nil, err
	}
	groups, err := activePeople(ctx, d.db, access.KindCSIRT)
	if err != nil {
		return nil, d.translate(err)
	}
	out := []Person{}
	for _, g := range groups {
		out = append(out, g.People...)
	}
	return out, nil
}
