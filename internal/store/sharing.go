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
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/audit"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/share"
)

// SharedObservable is an incident observable its organisation marked
// shareable, with the TLP label it chose and, for AMBER and stricter, the
// organisation it is addressed to.
type SharedObservable struct {
	ID           int64     `json:"id"`
	OrgID        int64     `json:"org_id"`
	IncidentID   int64     `json:"incident_id"`
	Kind         string    `json:"kind"`
	Value        string    `json:"value"`
	TLP          share.TLP `json:"tlp"`
	AddressedOrg int64     `json:"addressed_org,omitempty"`
	SharedBy     string    `json:"shared_by"`
	SharedAt     time.Time `json:"shared_at"`
}

// ShareObservable marks an observable already recorded on one of the
// principal's incidents as shareable under label (reporter and up, audited
// with the incident's own label). TLP:RED is refused (it goes to named
// people, never on a machine channel); AMBER+STRICT needs the organisation
// it is addressed to. A label looser than the incident's (incidentLabel:
// unlabelled counts as AMBER+STRICT) needs the analyst role (EFORBIDDEN).
// Sharing the same observable again replaces its label and addressee, at
// the same label or a stricter one only: loosening an existing share is a
// relabel (RelabelShared: analyst role and a reason), so it is EINVALID.
func (tx *Tx) ShareObservable(ctx context.Context, p access.Principal, incidentID int64, kind, value string, label share.TLP, addressedOrg int64) (SharedObservable, error) {
	if err := access.Authorize(p, access.ActWrite, p.OrgID); err != nil {
		return SharedObservable{}, err
	}
	switch {
	case !label.Valid():
		return SharedObservable{}, aceso.Errorf(aceso.EINVALID, "tlp: give one of TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT")
	case label == share.TLPRed:
		return SharedObservable{}, aceso.Errorf(aceso.EINVALID, "tlp: TLP:RED is for named people and is never shared on a machine channel")
	case label == share.TLPAmberStrict && addressedOrg == 0:
		return SharedObservable{}, aceso.Errorf(aceso.EINVALID, "addressed_org: TLP:AMBER+STRICT must name the organisation it is for")
	}
	kind = strings.ToLower(strings.TrimSpace(kind))
	v, err := incident.ValidateObservable(kind, value)
	if err != nil {
		return SharedObservable{}, err
	}
	if addressedOrg != 0 {
		var n int
		if err := tx.queryRow(ctx, "SELECT count(*) FROM orgs WHERE id = $1", addressedOrg).Scan(&n); err != nil {
			return SharedObservable{}, err
		}
		if n == 0 {
			return SharedObservable{}, aceso.Errorf(aceso.EINVALID, "addressed_org: organisation %d does not exist", addressedOrg)
		}
	}
	s := SharedObservable{OrgID: p.OrgID, IncidentID: incidentID, Kind: kind, Value: v, TLP: label,
		AddressedOrg: addressedOrg, SharedBy: actorName(p), SharedAt: tx.now}
	var (
		obsID  int64
		incTLP incident.TLP
	)
	err = tx.queryRow(ctx, `SELECT o.id, i.tlp FROM incident_observables o JOIN incidents i ON i.org_id = o.org_id AND i.id = o.incident_id
		WHERE o.org_id = $1 AND o.incident_id = $2 AND o.kind = $3 AND o.value = $4`,
		p.OrgID, incidentID, kind, v).Scan(&obsID, &incTLP)
	if err == sql.ErrNoRows {
		return s, aceso.Errorf(aceso.ENOTFOUND, "incident %d has no observable %s %s", incidentID, kind, v)
	}
	if err != nil {
		return s, err
	}
	// Sharing again never loosens: that is a relabel, which asks for the
	// analyst role and a reason (RelabelShared). A stored label that does
	// not read counts as stricter than any (fail closed).
	var prev string
	err = tx.queryRow(ctx, "SELECT tlp FROM shared_observables WHERE org_id = $1 AND observable_id = $2", p.OrgID, obsID).Scan(&prev)
	switch {
	case err == sql.ErrNoRows:
	case err != nil:
		return s, err
	default:
		if old, _ := share.ParseTLP(prev); old.Stricter(label) {
			return s, aceso.Errorf(aceso.EINVALID, "tlp: %s %s is already shared as %s; loosening it to %s is a relabel (analyst role and a reason)",
				kind, v, sharedLabelName(old, prev), label)
		}
	}
	// Below the incident's own label only an analyst decides: a reporter
	// shares at the incident's label or stricter.
	incLabel := incidentLabel(incTLP)
	if incLabel.Stricter(label) {
		if err := access.Authorize(p, access.ActAnalyse, p.OrgID); err != nil {
			return s, aceso.Errorf(aceso.EFORBIDDEN, "tlp: sharing under %s, looser than the incident's %s, needs the analyst role",
				label, incidentLabelName(incTLP))
		}
	}
	addr := sql.NullInt64{Int64: addressedOrg, Valid: addressedOrg != 0}
	if _, err := tx.exec(ctx, "DELETE FROM shared_observables WHERE org_id = $1 AND observable_id = $2", p.OrgID, obsID); err != nil {
		return s, err
	}
	err = tx.queryRow(ctx, `INSERT INTO shared_observables (org_id, incident_id, observable_id, tlp, addressed_org, shared_by, shared_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, p.OrgID, incidentID, obsID, label.String(), addr, s.SharedBy, ts(s.SharedAt)).Scan(&s.ID)
	if err != nil {
		return s, err
	}
	if err := tx.bumpSharing(ctx); err != nil {
		return s, err
	}
	return s, tx.Audit(ctx, p, p.OrgID, "incident.observable.share", "incident", incidentID, audit.Change(nil, struct {
		SharedObservable
		IncidentTLP string `json:"incident_tlp"`
	}{s, string(incTLP)}))
}

// sharedLabelName names a stored share label for a message: its canonical
// spelling, or the stored text when it does not read.
func sharedLabelName(l share.TLP, stored string) string {
	if l.Valid() {
		return l.String()
	}
	return fmt.Sprintf("%.40q (unreadable)", stored)
}

// incidentLabelName names an incident's label for a message.
func incidentLabelName(t incident.TLP) string {
	if t == "" {
		return "unlabelled (counts as TLP:AMBER+STRICT)"
	}
	return fmt.Sprintf("%.40s", string(t))
}

// SharedObservables lists what the principal's organisation has shared.
func (d *DB) SharedObservables(ctx context.Context, p access.Principal) ([]SharedObservable, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return nil, err
	}
	return d.sharedObservables(ctx, "s.org_id = $1", p.OrgID)
}

func (d *DB) sharedObservables(ctx context.Context, where string, args ...any) ([]SharedObservable, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT s.id, s.org_id, s.incident_id, o.kind, o.value, s.tlp, s.addressed_org, s.shared_by, s.shared_at
		FROM shared_observables s JOIN incident_observables o ON o.org_id = s.org_id AND o.id = s.observable_id
		WHERE `+where+` ORDER BY s.shared_at, s.id`, args...)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	var out []SharedObservable
	for rows.Next() {
		var (
			s    SharedObservable
			tlp  string
			addr sql.NullInt64
			at   int64
		)
		if err := rows.Scan(&s.ID, &s.OrgID, &s.IncidentID, &s.Kind, &s.Value, &tlp, &addr, &s.SharedBy, &at); err != nil {
			return nil, d.translate(err)
		}
		s.TLP, _ = share.ParseTLP(tlp) // a bad stored label stays TLPUnknown: exporters drop it
		s.AddressedOrg, s.SharedAt = addr.Int64, fromTS(at)
		out = append(out, s)
	}
	return out, d.translate(rows.Err())
}

// Intel formats.
const (
	FormatSTIX = "stix"
	FormatMISP = "misp"
)

// Intel is one version of an imported object: a STIX object (from a TAXII
// pull or POST) or a MISP event (from a MISP feed), with its TLP and where
// it came from. Collection is the TAXII collection key it was posted to
// ("public", "community", "org:ID"); imports have none and stay with the
// importing organisation.
type Intel struct {
	ID          int64           `json:"id"`
	OrgID       int64           `json:"org_id"`
	Format      string          `json:"format"`
	Source      string          `json:"source"`
	Collection  string          `json:"collection,omitempty"`
	ObjectID    string          `json:"object_id"`
	ObjectType  string          `json:"object_type"`
	Version     time.Time       `json:"version"`
	SpecVersion string          `json:"spec_version,omitempty"`
	TLP         share.TLP       `json:"tlp"`
	Body        json.RawMessage `json:"body"`
	DateAdded   time.Time       `json:"date_added"`
}

// IntelResult counts what AddIntel stored.
type IntelResult struct {
	Added      int `json:"added"`
	Duplicates int `json:"duplicates"` // same object id and version stored before
}

// AddIntel stores imported objects for the principal's organisation
// (analyst and up; one audit entry per call). An object whose id and
// version the organisation holds already is counted as a duplicate, so a
// repeated pull is harmless. Each item needs an object id, a valid TLP
// other than TLP:RED (stored intel reaches the whole organisation and its
// API tokens; RED is for named people) and a JSON body; the error names the
// first that lacks one and nothing is stored.
func (tx *Tx) AddIntel(ctx context.Context, p access.Principal, items []Intel) (IntelResult, error) {
	var res IntelResult
	if err := access.Authorize(p, access.ActAnalyse, p.OrgID); err != nil {
		return res, err
	}
	for i := range items {
		it := &items[i]
		switch {
		case it.Format != FormatSTIX && it.Format != FormatMISP:
			return res, aceso.Errorf(aceso.EINVALID, "intel %d: format %q is not stix or misp", i, it.Format)
		case it.ObjectID == "" || len(it.ObjectID) > 200:
			return res, aceso.Errorf(aceso.EINVALID, "intel %d: object id must be 1 to 200 characters", i)
		case !it.TLP.Valid():
			return res, aceso.Errorf(aceso.EINVALID, "intel %d (%.80s): no valid TLP", i, it.ObjectID)
		case it.TLP == share.TLPRed:
			return res, aceso.Errorf(aceso.EINVALID, "intel %d (%.80s): %s", i, it.ObjectID, intelRedRefusal)
		case !json.Valid(it.Body):
			return res, aceso.Errorf(aceso.EINVALID, "intel %d (%.80s): body is not JSON", i, it.ObjectID)
		}
	}
	for i := range items {
		it := &items[i]
		it.OrgID, it.DateAdded = p.OrgID, tx.now
		if it.Version.IsZero() {
			it.Version = tx.now
		}
		r, err := tx.exec(ctx, `INSERT INTO intel (org_id, format, source, collection, object_id, object_type, version, spec_version, tlp, body, date_added)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (org_id, object_id, version) DO NOTHING`,
			it.OrgID, it.Format, trunc(it.Source, 500), it.Collection, it.ObjectID, trunc(it.ObjectType, 100), ts(it.Version),
			trunc(it.SpecVersion, 20), it.TLP.String(), string(it.Body), ts(it.DateAdded))
		if err != nil {
			return res, fmt.Errorf("intel %s: %w", it.ObjectID, err)
		}
		if n, _ := r.RowsAffected(); n == 1 {
			res.Added++
		} else {
			res.Duplicates++
		}
	}
	if res.Added == 0 {
		return res, nil
	}
	if err := tx.bumpSharing(ctx); err != nil {
		return res, err
	}
	src := ""
	if len(items) > 0 {
		src = items[0].Source
	}
	return res, tx.Audit(ctx, p, p.OrgID, "intel.import", "intel", src, audit.Change(nil, res))
}

// IntelList returns the principal's organisation's imported objects,
// newest first (at most limit, 1 to 1000; 0 is 200).
func (d *DB) IntelList(ctx context.Context, p access.Principal, limit int) ([]Intel, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 200
	}
	if limit > 1000 {
		return nil, aceso.Errorf(aceso.EINVALID, "limit %d is over 1000", limit)
	}
	return d.intel(ctx, "org_id = $1 ORDER BY date_added DESC, id DESC LIMIT "+strconv.Itoa(limit), p.OrgID)
}

const intelCols = "id, org_id, format, source, collection, object_id, object_type, version, spec_version, tlp, body, date_added"

func (d *DB) intel(ctx context.Context, where string, args ...any) ([]Intel, error) {
	return d.intelRows(ctx, "SELECT "+intelCols+" FROM intel WHERE "+where, args...)
}

// ShareScope is who reads shared objects: a channel and, for the
// organisation channel, the organisation whose collection it is.
type ShareScope struct {
	Channel share.Channel
	OrgID   int64 // ChannelOrg only
}

// Key names the scope as a TAXII collection key: "public", "community" or "org:ID".
func (s ShareScope) Key() string {
	if s.Channel == share.ChannelOrg {
		return "org:" + strconv.FormatInt(s.OrgID, 10)
	}
	return string(s.Channel)
}

// SharedObject is one STIX object that may leave Aceso on a scope: its id,
// version (modified), date added, label and JSON.
type SharedObject struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	SpecVersion string          `json:"spec_version"`
	Version     time.Time       `json:"version"`
	DateAdded   time.Time       `json:"date_added"`
	TLP         share.TLP       `json:"tlp"`
	JSON        json.RawMessage `json:"object"`
}

// recipientOf is who p's organisation is to the TLP rule: the one place a
// share.Recipient is built for an authenticated organisation. Every
// organisation of the deployment is in its community. ClientOf lists the
// organisation that serves it (orgs.client_of, one level deep: see
// access.ValidateClientOf) and, for members and suppliers, the sector CSIRT
// (access.OrgKind.ImplicitClientOfCSIRT). UserID is p's user (0 for an API
// token: no named person).
func recipientOf(ctx context.Context, q querier, p access.Principal) (share.Recipient, error) {
	r, _, err := recipientAndServer(ctx, q, p)
	return r, err
}

// recipientAndServer is recipientOf, and also returns the organisation
// serving p's explicitly (its client_of) unless that is the CSIRT: 0 when
// there is none.
func recipientAndServer(ctx context.Context, q querier, p access.Principal) (share.Recipient, int64, error) {
	r := share.Recipient{OrgID: p.OrgID, UserID: p.UserID, InCommunity: true}
	var (
		kind          access.OrgKind
		parent, csirt sql.NullInt64
	)
	err := q.QueryRowContext(ctx, "SELECT kind, client_of, (SELECT cs.id FROM orgs cs WHERE cs.kind = 'csirt') FROM orgs WHERE id = $1", p.OrgID).
		Scan(&kind, &parent, &csirt)
	if err == sql.ErrNoRows {
		return r, 0, aceso.Errorf(aceso.ENOTFOUND, "organisation %d not found", p.OrgID)
	}
	if err != nil {
		return r, 0, err
	}
	var server int64
	if parent.Valid {
		r.ClientOf = append(r.ClientOf, parent.Int64)
		if !csirt.Valid || parent.Int64 != csirt.Int64 {
			server = parent.Int64
		}
	}
	if csirt.Valid && kind.ImplicitClientOfCSIRT() && !slices.Contains(r.ClientOf, csirt.Int64) {
		r.ClientOf = append(r.ClientOf, csirt.Int64)
	}
	return r, server, nil
}

// scopeReader is who reads a scope: the TLP recipient and, on an
// organisation channel, the organisations whose addressed objects the
// channel carries.
type scopeReader struct {
	share.Recipient
	// carries is, on an organisation channel, the organisation itself and
	// the organisation that serves it (its client_of): TLP:AMBER addressed
	// to a hospital group reaches the collection of the clinic it runs.
	// Never the CSIRT, though it serves every member (and may serve others
	// explicitly): an AMBER object addressed to the CSIRT is the CSIRT's to
	// pass on to whom needs to know (an alert, or sharing it addressed to a
	// member), not a broadcast to the whole constituency.
	carries []int64
}

// authorizeScope checks that p may read scope and returns the reader it
// stands for. The public channel needs no principal; the community
// channel any authenticated user (every organisation of the deployment is
// in the community); an organisation channel only that organisation's users
// (another organisation's is ENOTFOUND). Feeds and collections are machine
// channels, so the recipient names no person (TLP:RED never travels on them).
func (d *DB) authorizeScope(ctx context.Context, p access.Principal, s ShareScope) (scopeReader, error) {
	switch s.Channel {
	case share.ChannelPublic:
		return scopeReader{Recipient: share.Recipient{Public: true}}, nil
	case share.ChannelCommunity:
		if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
			return scopeReader{}, err
		}
		if p.IsSystem() {
			return scopeReader{Recipient: share.Recipient{InCommunity: true}}, nil
		}
		r, err := recipientOf(ctx, d.db, p)
		if err != nil {
			return scopeReader{}, d.translate(err)
		}
		r.UserID = 0
		return scopeReader{Recipient: r}, nil
	case share.ChannelOrg:
		if p.IsSystem() {
			p = access.Principal{OrgID: s.OrgID}
		} else if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
			return scopeReader{}, err
		} else if s.OrgID != p.OrgID {
			return scopeReader{}, aceso.Errorf(aceso.ENOTFOUND, "collection not found")
		}
		r, server, err := recipientAndServer(ctx, d.db, p)
		if err != nil {
			return scopeReader{}, d.translate(err)
		}
		r.UserID = 0
		rd := scopeReader{Recipient: r, carries: []int64{s.OrgID}}
		if server != 0 {
			rd.carries = append(rd.carries, server)
		}
		return rd, nil
	}
	return scopeReader{}, aceso.Errorf(aceso.ENOTFOUND, "channel %.40q not found", s.Channel)
}

// admits is the one filter every exporter applies to every object: the
// label must be allowed on the channel and the TLP rule must admit the
// recipient; an organisation channel further carries only what was
// contributed by that organisation or addressed to it or to the
// organisation serving it (scopeReader.carries; MayReceive has admitted
// the latter only up to TLP:AMBER).
func admits(s ShareScope, r scopeReader, label share.TLP, origin int64, addressed []int64) bool {
	if !share.AllowedOn(label, s.Channel) || !share.MayReceive(label, origin, r.Recipient, share.To(addressed...)) {
		return false
	}
	if s.Channel == share.ChannelOrg {
		return origin == s.OrgID || slices.ContainsFunc(addressed, func(o int64) bool { return slices.Contains(r.carries, o) })
	}
	return true
}

// SharingStamp fingerprints everything the exporters read (advisories,
// shared observables, contributed intel, organisations' client_of), so a
// server can cache a feed until the stamp changes. Sharing writes bump
// sharing_version (bumpSharing); advisories are fingerprinted by count and
// last update, since they change through imports and feed syncs.
func (d *DB) SharingStamp(ctx context.Context) (string, error) {
	var a1, a2, v int64
	err := d.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM advisories), (SELECT COALESCE(max(updated_at), 0) FROM advisories),
		(SELECT version FROM sharing_version WHERE id = 1)`).Scan(&a1, &a2, &v)
	if err != nil {
		return "", d.translate(err)
	}
	return fmt.Sprint(a1, "-", a2, "-", v), nil
}

// bumpSharing marks a change to what the sharing exporters read, in the
// caller's transaction, so the change and the new stamp commit together.
func (tx *Tx) bumpSharing(ctx context.Context) error {
	_, err := tx.exec(ctx, "UPDATE sharing_version SET version = version + 1 WHERE id = 1")
	return err
}

// exportAdvisory is what the exporters need of an advisory.
type exportAdvisory struct {
	id        int64
	label     share.TLP
	created   time.Time
	modified  time.Time
	dateAdded time.Time
	doc       *advisory.Advisory
}

// shareableAdvisories loads advisories whose label is allowed on channel
// (the SQL pre-filter; admits decides again per object).
func (d *DB) shareableAdvisories(ctx context.Context, channel share.Channel) ([]exportAdvisory, error) {
	var labels []string
	for _, l := range share.Labels {
		if share.AllowedOn(l, channel) {
			labels = append(labels, "'"+l.String()+"'")
			if l == share.TLPClear {
				labels = append(labels, "'TLP:WHITE'")
			}
		}
	}
	if len(labels) == 0 {
		return nil, nil
	}
	rows, err := d.db.QueryContext(ctx, "SELECT id, tlp, initial_release, current_release, created_at, updated_at, doc FROM advisories WHERE tlp IN ("+
		strings.Join(labels, ", ")+") ORDER BY updated_at, id")
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	var out []exportAdvisory
	for rows.Next() {
		var (
			a            exportAdvisory
			tlp, doc     string
			initial, cur sql.NullInt64
			created, upd int64
		)
		if err := rows.Scan(&a.id, &tlp, &initial, &cur, &created, &upd, &doc); err != nil {
			return nil, d.translate(err)
		}
		a.label, _ = share.ParseTLP(tlp)
		a.created, a.modified, a.dateAdded = fromTS(created), fromTS(upd), fromTS(upd)
		if initial.Valid {
			a.created = fromTS(initial.Int64)
		}
		if cur.Valid {
			a.modified = fromTS(cur.Int64)
		}
		if a.modified.Before(a.created) {
			a.modified = a.created
		}
		a.doc = &advisory.Advisory{}
		if err := json.Unmarshal([]byte(doc), a.doc); err != nil {
			return nil, fmt.Errorf("advisory %d: stored document: %w", a.id, err)
		}
		out = append(out, a)
	}
	return out, d.translate(rows.Err())
}

// advisoryObjects turns an advisory into STIX: a vulnerability per CVE, a
// course of action per remediation, and a "mitigates" relationship between
// them. Ids are deterministic, so re-exports update rather than duplicate.
func advisoryObjects(a exportAdvisory) []share.Object {
	var out []share.Object
	for _, v := range a.doc.Vulnerabilities {
		desc := v.Title
		if desc == "" {
			desc = a.doc.Title
		}
		vuln, err := share.NewVulnerability(v.CVE, desc, a.created, a.label, "")
		if err != nil {
			continue // no CVE: nothing STIX can name
		}
		vuln.Modified = share.Stamp(a.modified)
		vuln.ExternalReferences = append(vuln.ExternalReferences, share.ExternalReference{SourceName: "csaf", ExternalID: a.doc.ID})
		out = append(out, vuln)
		for j, r := range v.Remediations {
			name := strings.ReplaceAll(r.Category, "_", " ")
			if name == "" {
				name = "remediation"
			}
			coa := share.NewCourseOfAction(a.doc.ID+"\x00"+vuln.Name+"\x00"+strconv.Itoa(j), vuln.Name+": "+name, r.Details, a.created, a.label, "")
			coa.Modified = share.Stamp(a.modified)
			if r.URL != "" {
				coa.ExternalReferences = []share.ExternalReference{{SourceName: "remediation", URL: r.URL}}
			}
			rel := share.NewRelationship("mitigates", coa.ID, vuln.ID, a.created, a.label, "")
			rel.Modified = share.Stamp(a.modified)
			out = append(out, coa, rel)
		}
	}
	return out
}

// SharedObjects returns every STIX object p may read on scope, ordered by
// date added: advisories' vulnerabilities and remediations, shared incident
// observables as indicators, and intel contributed to the collection. Each
// object passes admits (channel maximum and the TLP rule), so nothing above
// the channel's label is returned.
func (d *DB) SharedObjects(ctx context.Context, p access.Principal, s ShareScope) ([]SharedObject, error) {
	r, err := d.authorizeScope(ctx, p, s)
	if err != nil {
		return nil, err
	}
	csirt, _ := d.CSIRT(ctx) // advisories originate with the CSIRT (0 before it exists)
	var out []SharedObject
	add := func(o share.Object, dateAdded time.Time) error {
		b, err := json.Marshal(o)
		if err != nil {
			return fmt.Errorf("shared object %s: %w", o.Base().ID, err)
		}
		c := o.Base()
		label, _ := share.MarkingsTLP(c.ObjectMarkingRefs)
		out = append(out, SharedObject{ID: c.ID, Type: c.Type, SpecVersion: c.SpecVersion, Version: c.Modified.Time,
			DateAdded: dateAdded, TLP: label, JSON: b})
		return nil
	}
	if s.Channel != share.ChannelOrg {
		advs, err := d.shareableAdvisories(ctx, s.Channel)
		if err != nil {
			return nil, err
		}
		for _, a := range advs {
			if !admits(s, r, a.label, csirt.ID, nil) {
				continue
			}
			for _, o := range advisoryObjects(a) {
				if err := add(o, a.dateAdded); err != nil {
					return nil, err
				}
			}
		}
	}
	obs, err := d.sharedObservables(ctx, "1 = 1")
	if err != nil {
		return nil, err
	}
	for _, so := range obs {
		var addressed []int64
		if so.AddressedOrg != 0 {
			addressed = []int64{so.AddressedOrg}
		}
		if !admits(s, r, so.TLP, so.OrgID, addressed) {
			continue
		}
		ind, err := share.NewIndicator(share.Observable{Kind: so.Kind, Value: so.Value}, so.SharedAt, so.TLP, "")
		if err != nil {
			continue // a kind without a STIX pattern
		}
		if err := add(ind, so.SharedAt); err != nil {
			return nil, err
		}
	}
	var intel []Intel
	switch s.Channel {
	case share.ChannelPublic:
		intel, err = d.intel(ctx, "format = 'stix' AND collection = 'public'")
	case share.ChannelCommunity:
		intel, err = d.intel(ctx, "format = 'stix' AND collection IN ('public', 'community')")
	default:
		// The organisation's own collection and that of the organisation
		// serving it: what was posted there is addressed to it (admits
		// decides which labels reach the client).
		keys := make([]any, len(r.carries))
		for i, o := range r.carries {
			keys[i] = ShareScope{Channel: share.ChannelOrg, OrgID: o}.Key()
		}
		intel, err = d.intel(ctx, "format = 'stix' AND collection IN ("+placeholders(1, len(keys))+")", keys...)
	}
	if err != nil {
		return nil, err
	}
	for _, it := range intel {
		var addressed []int64
		if strings.HasPrefix(it.Collection, "org:") {
			n, _ := strconv.ParseInt(strings.TrimPrefix(it.Collection, "org:"), 10, 64)
			addressed = []int64{n}
		}
		if !admits(s, r, it.TLP, it.OrgID, addressed) {
			continue
		}
		out = append(out, SharedObject{ID: it.ObjectID, Type: it.ObjectType, SpecVersion: it.SpecVersion, Version: it.Version,
			DateAdded: it.DateAdded, TLP: it.TLP, JSON: it.Body})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].DateAdded.Before(out[j].DateAdded) })
	return out, nil
}

// SharedBundle returns the objects p may read on scope as one STIX bundle,
// with the TLP marking definitions they refer to.
func (d *DB) SharedBundle(ctx context.Context, p access.Principal, s ShareScope) (json.RawMessage, error) {
	objs, err := d.SharedObjects(ctx, p, s)
	if err != nil {
		return nil, err
	}
	used := map[share.TLP]bool{}
	raws := make([]json.RawMessage, 0, len(objs)+3)
	var key strings.Builder
	for _, o := range objs {
		used[o.TLP] = true
		key.WriteString(o.ID + "\n")
	}
	for _, l := range share.Labels {
		if used[l] {
			b, _ := json.Marshal(share.TLPMarking(l))
			raws = append(raws, b)
		}
	}
	for _, o := range objs {
		raws = append(raws, o.JSON)
	}
	return json.Marshal(map[string]any{"type": "bundle", "id": share.DeterministicID("bundle", key.String()), "objects": raws})
}

// mispAttrType maps an observable kind to a MISP attribute type and category.
func mispAttrType(kind, value string) (string, string) {
	switch kind {
	case incident.KindIP:
		return "ip-dst", "Network activity"
	case incident.KindDomain:
		return "domain", "Network activity"
	case incident.KindURL:
		return "url", "Network activity"
	case incident.KindEmail:
		return "email-src", "Payload delivery"
	case incident.KindFilename:
		return "filename", "Payload delivery"
	case incident.KindHash:
		switch len(value) {
		case 32:
			return "md5", "Payload delivery"
		case 40:
			return "sha1", "Payload delivery"
		case 128:
			return "sha512", "Payload delivery"
		}
		return "sha256", "Payload delivery"
	}
	return kind, "Payload delivery"
}

// SharedMISPEvents returns the MISP events p may read on a feed channel
// (public or community): one per advisory (its CVEs as vulnerability
// attributes) and one per incident and label for shared observables. The
// events are tagged with their TLP; share.WriteMISPFeed filters again.
// Incident events name neither the incident nor the hospital: the CSIRT is
// their creator organisation, so a feed does not say who was attacked.
func (d *DB) SharedMISPEvents(ctx context.Context, p access.Principal, channel share.Channel) ([]share.MISPEvent, error) {
	if channel != share.ChannelPublic && channel != share.ChannelCommunity {
		return nil, aceso.Errorf(aceso.ENOTFOUND, "misp feed channel %.40q not found", channel)
	}
	s := ShareScope{Channel: channel}
	r, err := d.authorizeScope(ctx, p, s)
	if err != nil {
		return nil, err
	}
	csirt, _ := d.CSIRT(ctx)
	orgc := &share.MISPOrg{Name: csirt.Name, UUID: share.UUIDv5(share.NamespaceAceso, "org:"+strconv.FormatInt(csirt.ID, 10))}
	if orgc.Name == "" {
		orgc.Name = "Aceso"
	}
	var out []share.MISPEvent
	advs, err := d.shareableAdvisories(ctx, channel)
	if err != nil {
		return nil, err
	}
	for _, a := range advs {
		if !admits(s, r, a.label, csirt.ID, nil) {
			continue
		}
		ev := share.MISPEvent{
			UUID: share.UUIDv5(share.NamespaceAceso, "misp-event:advisory:"+a.doc.ID),
			Info: strings.TrimSpace(a.doc.ID + ": " + a.doc.Title), Date: a.modified.Format("2006-01-02"),
			ThreatLevelID: 2, Analysis: 2, Published: true, Orgc: orgc,
			Timestamp: share.FlexInt(a.dateAdded.Unix()), PublishTimestamp: share.FlexInt(a.dateAdded.Unix()),
		}
		ev.SetTLP(a.label)
		for _, v := range a.doc.Vulnerabilities {
			if v.CVE == "" {
				continue
			}
			ev.Attribute = append(ev.Attribute, share.MISPAttribute{
				UUID: share.UUIDv5(share.NamespaceAceso, "misp-attr:advisory:"+a.doc.ID+":"+v.CVE),
				Type: "vulnerability", Category: "External analysis", Value: v.CVE, Comment: v.Title,
				Timestamp: share.FlexInt(a.dateAdded.Unix()),
			})
		}
		if len(ev.Attribute) > 0 {
			out = append(out, ev)
		}
	}
	obs, err := d.sharedObservables(ctx, "1 = 1")
	if err != nil {
		return nil, err
	}
	byKey := map[string]int{}
	for _, so := range obs {
		var addressed []int64
		if so.AddressedOrg != 0 {
			addressed = []int64{so.AddressedOrg}
		}
		if !admits(s, r, so.TLP, so.OrgID, addressed) {
			continue
		}
		key := fmt.Sprintf("misp-event:incident:%d:%d:%s", so.OrgID, so.IncidentID, so.TLP)
		i, ok := byKey[key]
		if !ok {
			ev := share.MISPEvent{UUID: share.UUIDv5(share.NamespaceAceso, key), Info: "Indicators shared by a sector member",
				Date: so.SharedAt.Format("2006-01-02"), ThreatLevelID: 2, Analysis: 1, Published: true, Orgc: orgc}
			ev.SetTLP(so.TLP)
			out = append(out, ev)
			i = len(out) - 1
			byKey[key] = i
		}
		ev := &out[i]
		typ, cat := mispAttrType(so.Kind, so.Value)
		ev.Attribute = append(ev.Attribute, share.MISPAttribute{
			UUID: share.UUIDv5(share.NamespaceAceso, key+":"+so.Kind+":"+so.Value), Type: typ, Category: cat,
			Value: so.Value, ToIDs: true, Timestamp: share.FlexInt(so.SharedAt.Unix()),
		})
		if t := share.FlexInt(so.SharedAt.Unix()); t > ev.Timestamp {
			ev.Timestamp, ev.PublishTimestamp = t, t
		}
	}
	return out, nil
}

// SaveTAXIIStatus stores the status resource of a TAXII POST for the
// principal's organisation, so the client can fetch it again by id.
func (tx *Tx) SaveTAXIIStatus(ctx context.Context, p access.Principal, id string, body json.RawMessage) error {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return err
	}
	if !share.IsUUID(id) {
		return aceso.Errorf(aceso.EINVALID, "taxii status id %.40q is not a UUID", id)
	}
	_, err := tx.exec(ctx, "INSERT INTO taxii_status (id, org_id, body, created_at) VALUES ($1, $2, $3, $4)", strings.ToLower(id), p.OrgID, string(body), ts(tx.now))
	return err
}

// TAXIIStatus returns a status resource of the principal's organisation;
// another organisation's is ENOTFOUND.
func (d *DB) TAXIIStatus(ctx context.Context, p access.Principal, id string) (json.RawMessage, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return nil, err
	}
	var body string
	err := d.db.QueryRowContext(ctx, "SELECT body FROM taxii_status WHERE org_id = $1 AND id = $2", p.OrgID, strings.ToLower(id)).Scan(&body)
	if err == sql.ErrNoRows {
		return nil, aceso.Errorf(aceso.ENOTFOUND, "status %.40q not found", id)
	}
	if err != nil {
		return nil, d.translate(err)
	}
	return json.RawMessage(body), nil
}
