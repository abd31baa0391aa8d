package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/audit"
	"github.com/aceso-health/aceso/internal/share"
)

// SharedObservableRow is a shared observable as its organisation manages
// it: with the incident's title and the name of the organisation it is
// addressed to (the sharer chose it, so it may see the name).
type SharedObservableRow struct {
	SharedObservable
	IncidentTitle string `json:"incident_title"`
	AddressedName string `json:"addressed_name,omitempty"`
}

// ManagedSharedObservables lists what the principal's organisation shares,
// most recently (re)labelled first.
func (d *DB) ManagedSharedObservables(ctx context.Context, p access.Principal) ([]SharedObservableRow, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, `SELECT s.id, s.org_id, s.incident_id, o.kind, o.value, s.tlp, s.addressed_org, s.shared_by, s.shared_at,
			i.title, COALESCE(ao.name, '')
		FROM shared_observables s
		JOIN incident_observables o ON o.org_id = s.org_id AND o.id = s.observable_id
		JOIN incidents i ON i.org_id = s.org_id AND i.id = s.incident_id
		LEFT JOIN orgs ao ON ao.id = s.addressed_org
		WHERE s.org_id = $1 ORDER BY s.shared_at DESC, s.id DESC`, p.OrgID)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	var out []SharedObservableRow
	for rows.Next() {
		var (
			r    SharedObservableRow
			tlp  string
			addr sql.NullInt64
			at   int64
		)
		if err := rows.Scan(&r.ID, &r.OrgID, &r.IncidentID, &r.Kind, &r.Value, &tlp, &addr, &r.SharedBy, &at, &r.IncidentTitle, &r.AddressedName); err != nil {
			return nil, d.translate(err)
		}
		r.TLP, _ = share.ParseTLP(tlp)
		r.AddressedOrg, r.SharedAt = addr.Int64, fromTS(at)
		out = append(out, r)
	}
	return out, d.translate(rows.Err())
}

// sharedObservable loads one shared observable of org for a change;
// another organisation's is ENOTFOUND.
func (tx *Tx) sharedObservable(ctx context.Context, orgID, id int64) (SharedObservable, error) {
	var (
		s    SharedObservable
		tlp  string
		addr sql.NullInt64
		at   int64
	)
	err := tx.queryRow(ctx, `SELECT s.id, s.org_id, s.incident_id, o.kind, o.value, s.tlp, s.addressed_org, s.shared_by, s.shared_at
		FROM shared_observables s JOIN incident_observables o ON o.org_id = s.org_id AND o.id = s.observable_id
		WHERE s.org_id = $1 AND s.id = $2`, orgID, id).Scan(&s.ID, &s.OrgID, &s.IncidentID, &s.Kind, &s.Value, &tlp, &addr, &s.SharedBy, &at)
	if err == sql.ErrNoRows {
		return s, aceso.Errorf(aceso.ENOTFOUND, "shared observable %d not found", id)
	}
	if err != nil {
		return s, err
	}
	s.TLP, _ = share.ParseTLP(tlp)
	s.AddressedOrg, s.SharedAt = addr.Int64, fromTS(at)
	return s, nil
}

// RelabelShared changes the TLP label of one of the principal's
// organisation's shared observables (analyst and up: only the originator
// relabels; another organisation's is ENOTFOUND). A downgrade (a looser
// label) needs a reason; the change is audited as "share.relabel" with the
// labels from and to and the reason. TLP:RED is refused (never on a machine
// channel), and AMBER+STRICT only when the observable is addressed to an
// organisation. The new label is a new version: shared_at and shared_by are
// set again, so the exporters' stamp (SharingStamp) changes and feeds and
// TAXII clients see the label at once. The same label again changes nothing.
func (tx *Tx) RelabelShared(ctx context.Context, p access.Principal, id int64, label share.TLP, reason string) (SharedObservable, error) {
	if err := access.Authorize(p, access.ActAnalyse, p.OrgID); err != nil {
		return SharedObservable{}, err
	}
	before, err := tx.sharedObservable(ctx, p.OrgID, id)
	if err != nil {
		return before, err
	}
	switch {
	case !label.Valid():
		return before, aceso.Errorf(aceso.EINVALID, "tlp: give one of TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT")
	case label == share.TLPRed:
		return before, aceso.Errorf(aceso.EINVALID, "tlp: TLP:RED is for named people and is never shared on a machine channel")
	case label == share.TLPAmberStrict && before.AddressedOrg == 0:
		return before, aceso.Errorf(aceso.EINVALID, "tlp: TLP:AMBER+STRICT must name the organisation it is for; share it again from the incident with an addressee")
	case label == before.TLP:
		return before, nil
	}
	reason = strings.TrimSpace(reason)
	downgrade := before.TLP.Stricter(label)
	switch {
	case downgrade && reason == "":
		return before, aceso.Errorf(aceso.EINVALID, "reason: downgrading %s to %s needs a reason; it is recorded in the audit log", before.TLP, label)
	case len(reason) > 2000:
		return before, aceso.Errorf(aceso.EINVALID, "reason: at most 2000 bytes")
	}
	// A new label is a new STIX version: its modified time must move past
	// the old one even when the clock has not.
	at := max(ts(tx.now), ts(before.SharedAt)+1)
	after := before
	after.TLP, after.SharedBy, after.SharedAt = label, actorName(p), fromTS(at)
	if _, err := tx.exec(ctx, "UPDATE shared_observables SET tlp = $1, shared_by = $2, shared_at = $3 WHERE org_id = $4 AND id = $5",
		label.String(), after.SharedBy, at, p.OrgID, id); err != nil {
		return before, err
	}
	if err := tx.bumpSharing(ctx); err != nil {
		return before, err
	}
	summary, err := json.Marshal(map[string]any{"from": before.TLP.String(), "to": label.String(), "downgrade": downgrade, "reason": reason,
		"incident_id": before.IncidentID, "kind": before.Kind, "value": before.Value})
	if err != nil {
		return before, err
	}
	return after, tx.Audit(ctx, p, p.OrgID, "share.relabel", "shared_observable", id, string(summary))
}

// Unshare stops sharing one of the principal's organisation's observables
// (analyst and up; another organisation's is ENOTFOUND): the feeds and TAXII
// collections no longer carry it (the exporters' stamp is bumped).
// The observable stays on its incident. Audited as "share.unshare".
func (tx *Tx) Unshare(ctx context.Context, p access.Principal, id int64) error {
	if err := access.Authorize(p, access.ActAnalyse, p.OrgID); err != nil {
		return err
	}
	before, err := tx.sharedObservable(ctx, p.OrgID, id)
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, "DELETE FROM shared_observables WHERE org_id = $1 AND id = $2", p.OrgID, id); err != nil {
		return err
	}
	if err := tx.bumpSharing(ctx); err != nil {
		return err
	}
	return tx.Audit(ctx, p, p.OrgID, "share.unshare", "shared_observable", id, audit.Change(before, nil))
}
