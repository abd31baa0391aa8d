package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/audit"
	"github.com/aceso-health/aceso/internal/share"
)

// AckStatus is a recipient organisation's answer to a CSIRT alert.
type AckStatus string

// Acknowledgement states; every state but AckPending counts as acknowledged.
const (
	AckPending       AckStatus = "pending"
	AckNotApplicable AckStatus = "not_applicable"
	AckInProgress    AckStatus = "in_progress"
	AckDone          AckStatus = "done"
)

// AckStatuses lists the answers a member may give (not AckPending).
var AckStatuses = []AckStatus{AckNotApplicable, AckInProgress, AckDone}

// Audience says how the CSIRT chose an alert's recipients.
type Audience string

// Audiences of an alert.
const (
	// AudienceAffected is exactly the member organisations with live
	// (affected or possibly affected, open or in progress) findings of the
	// alert's advisory at publication time.
	AudienceAffected Audience = "affected"
	// AudienceChosen is a set of member organisations the CSIRT named.
	AudienceChosen Audience = "chosen"
	// AudienceAll is every member organisation.
	AudienceAll Audience = "all"
)

// AlertInput is what the CSIRT publishes; AlertDraft prefills it from an
// advisory.
type AlertInput struct {
	AdvisoryID int64      `json:"advisory_id,omitempty"`
	Title      string     `json:"title"`
	Summary    string     `json:"summary"`
	Actions    string     `json:"actions"`
	Deadline   *time.Time `json:"deadline,omitempty"`
	TLP        share.TLP  `json:"tlp"`
	Audience   Audience   `json:"recipients"`
	OrgIDs     []int64    `json:"org_ids,omitempty"` // for AudienceChosen
	// People are the users a TLP:RED alert is for (and only a RED alert
	// names people); its recipient organisations are exactly theirs.
	People []int64 `json:"people,omitempty"`
}

// AlertRecipient is one recipient organisation's delivery and answer.
type AlertRecipient struct {
	OrgID        int64      `json:"org_id"`
	OrgName      string     `json:"org_name,omitempty"`
	DeliveredAt  time.Time  `json:"delivered_at"`
	Status       AckStatus  `json:"status"`
	Note         string     `json:"note"`
	AckedBy      string     `json:"acked_by,omitempty"`
	AckedAt      *time.Time `json:"acked_at,omitempty"` // first acknowledgement: time-to-acknowledge counts to it
	StatusAt     *time.Time `json:"status_at,omitempty"`
	Chases       int        `json:"chases"`
	LastChasedAt *time.Time `json:"last_chased_at,omitempty"`
	Late         bool       `json:"late"` // still pending after the deadline
}

// AckCounts summarises an alert's answers for the CSIRT's list.
type AckCounts struct {
	Recipients   int `json:"recipients"`
	Acknowledged int `json:"acknowledged"`
	Pending      int `json:"pending"`
	Late         int `json:"late"`
}

// Alert is a CSIRT alert. A member sees its own acknowledgement (Ack); the
// CSIRT sees every recipient and the counts.
type Alert struct {
	ID         int64            `json:"id"`
	OrgID      int64            `json:"org_id"` // the originator: the CSIRT
	AdvisoryID *int64           `json:"advisory_id,omitempty"`
	TrackingID string           `json:"tracking_id,omitempty"`
	Title      string           `json:"title"`
	Summary    string           `json:"summary"`
	Actions    string           `json:"actions"`
	TLP        share.TLP        `json:"tlp"`
	Audience   Audience         `json:"audience"`
	Deadline   *time.Time       `json:"deadline,omitempty"`
	CreatedBy  string           `json:"created_by"`
	CreatedAt  time.Time        `json:"created_at"`
	Ack        *AlertRecipient  `json:"ack,omitempty"`
	Counts     *AckCounts       `json:"counts,omitempty"`
	Recipients []AlertRecipient `json:"recipients,omitempty"`
	// People are the named persons of a TLP:RED alert, in the CSIRT's view
	// only: a member's named person does not learn who else was told.
	People []Person `json:"people,omitempty"`
}

// isCSIRTView reports whether p reads alerts as their originator.
func isCSIRTView(p access.Principal) bool { return p.IsSystem() || p.OrgKind == access.KindCSIRT }

// authorizeAlertCSIRT lets the CSIRT's users with at least act's role (and
// the system) through: only the CSIRT publishes and chases alerts.
func authorizeAlertCSIRT(p access.Principal, act access.Action) error {
	if err := access.Authorize(p, act, p.OrgID); err != nil {
		return err
	}
	if !isCSIRTView(p) {
		return aceso.Errorf(aceso.EFORBIDDEN, "only the CSIRT publishes, chases and measures alerts")
	}
	return nil
}

// CanPublishAlerts reports, as an error, whether p may publish alerts (the
// CSIRT's analysts and admins), for callers that check before parsing input.
func CanPublishAlerts(p access.Principal) error { return authorizeAlertCSIRT(p, access.ActAnalyse) }

// AffectedMembers returns the member organisations with live findings
// (affected or possibly affected, open or in progress) of an advisory: the
// exact recipient list of an "affected" alert. CSIRT only.
func (d *DB) AffectedMembers(ctx context.Context, p access.Principal, advisoryID int64) ([]access.Org, error) {
	if err := authorizeAlertCSIRT(p, access.ActRead); err != nil {
		return nil, err
	}
	return affectedMembers(ctx, d.db, advisoryID, d.Now())
}

func affectedMembers(ctx context.Context, q querier, advisoryID int64, now time.Time) ([]access.Org, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+prefixCols("o.", orgCols)+` FROM orgs o WHERE o.kind = 'member' AND EXISTS (
		SELECT 1 FROM findings f WHERE f.org_id = o.id AND f.advisory_id = $1
		  AND f.status IN ('affected', 'possibly_affected') AND `+fmt.Sprintf(effState, "$2")+` IN ('open', 'in_progress'))
		ORDER BY o.name`, advisoryID, ts(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []access.Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// AlertDraft is an alert prefilled from an advisory, with the members it
// would reach as "affected".
type AlertDraft struct {
	Input    AlertInput   `json:"input"`
	Advisory Advisory     `json:"advisory"`
	Affected []access.Org `json:"affected"`
}

// AlertDraft prefills an alert from an ingested advisory: title, summary
// (summary notes and CVEs), actions (the publisher's remediations), the
// advisory's TLP label (TLP:AMBER when it has none) and its affected members.
// An advisory whose label keeps it with the CSIRT (TLP:AMBER+STRICT, RED,
// or unreadable) offers no prefill: EINVALID says why (see alertAdvisoryTLP).
func (d *DB) AlertDraft(ctx context.Context, p access.Principal, advisoryID int64) (AlertDraft, error) {
	var dr AlertDraft
	if err := authorizeAlertCSIRT(p, access.ActAnalyse); err != nil {
		return dr, err
	}
	a, err := d.Advisory(ctx, p, advisoryID)
	if err != nil {
		return dr, err
	}
	label, err := alertAdvisoryTLP(a.ID, a.TrackingID, a.TLP)
	if err != nil {
		return dr, err
	}
	dr.Advisory = a
	in := AlertInput{AdvisoryID: a.ID, Audience: AudienceAffected, Title: trunc(a.TrackingID+": "+a.Title, 300)}
	in.TLP = label
	var sum, act []string
	seen := map[string]bool{}
	if a.Doc != nil {
		for _, n := range a.Doc.Notes {
			if n.Category == "summary" || (n.Category == "description" && len(sum) == 0) {
				sum = append(sum, strings.TrimSpace(n.Text))
			}
		}
		for _, v := range a.Doc.Vulnerabilities {
			for _, r := range v.Remediations {
				line := "[" + r.Category + "] " + strings.TrimSpace(r.Details)
				if r.Details != "" && !seen[line] && len(act) < 20 {
					seen[line] = true
					act = append(act, "- "+line)
				}
			}
		}
	}
	if len(a.CVEs) > 0 {
		sum = append(sum, "Vulnerabilities: "+strings.Join(a.CVEs, ", ")+".")
	}
	in.Summary = trunc(strings.Join(sum, "\n\n"), maxAlertText)
	in.Actions = trunc(strings.Join(act, "\n"), maxAlertText)
	dr.Input = in
	dr.Affected, err = affectedMembers(ctx, d.db, advisoryID, d.Now())
	return dr, d.translate(err)
}

// alertAdvisoryTLP reads the stored label of the advisory an alert is
// written from, and refuses an advisory whose content may not reach the
// members: an alert passes the advisory's text (summary, remediations,
// tracking id) and its "affected" audience on to member organisations. To
// the TLP rule an advisory is an object of an outside originator addressed
// to the CSIRT (see advisoryLabelSets), and a member is a client of the
// CSIRT; a label that share.MayReceive refuses to such a client
// (TLP:AMBER+STRICT, RED) or that is unreadable (fail closed) stays with
// the CSIRT. An unlabelled advisory reaches every organisation; its alert
// defaults to TLP:AMBER, so that an alert never defaults to wider sharing.
func alertAdvisoryTLP(advisoryID int64, tracking, stored string) (share.TLP, error) {
	if stored == "" {
		return share.TLPAmber, nil
	}
	l, err := share.ParseTLP(stored)
	if err != nil {
		return share.TLPUnknown, aceso.Errorf(aceso.EINVALID,
			"advisory_id %d: advisory %s has no readable TLP label: its content stays with the CSIRT; write the alert from scratch without advisory_id", advisoryID, tracking)
	}
	const csirt, member = 1, 2 // any two distinct ids: the rule compares ids, never their values
	client := share.Recipient{OrgID: member, InCommunity: true, ClientOf: []int64{csirt}}
	if !share.MayReceive(l, 0, client, share.To(csirt)) {
		return l, aceso.Errorf(aceso.EINVALID,
			"advisory_id %d: advisory %s is %s: its content stays with the CSIRT; write the alert from scratch without advisory_id", advisoryID, tracking, l)
	}
	return l, nil
}

// advisoryRecipientsMayReceive checks that every recipient of an alert
// written from an advisory may receive the advisory itself, under
// share.MayReceive with the recipient as recipientOf builds it and the
// advisory's audience share.To(csirt), originator 0. alertAdvisoryTLP has
// refused the labels no member receives; this holds the rule for each
// actual recipient, so that an organisation the deployment does not make a
// client of the CSIRT never gets an AMBER advisory's text through an alert.
func (tx *Tx) advisoryRecipientsMayReceive(ctx context.Context, advisoryID int64, tracking string, label share.TLP, csirt int64, orgs []access.Org, people []Person) error {
	check := func(who access.Principal, name string) error {
		r, err := recipientOf(ctx, tx.tx, who)
		if err != nil {
			return err
		}
		if !share.MayReceive(label, 0, r, share.To(csirt)) {
			return aceso.Errorf(aceso.EINVALID,
				"advisory_id %d: advisory %s is %s, which %s may not receive; leave them out or write the alert from scratch without advisory_id", advisoryID, tracking, label, name)
		}
		return nil
	}
	for _, o := range orgs {
		if err := check(access.Principal{OrgID: o.ID}, o.Name); err != nil {
			return err
		}
	}
	for _, x := range people {
		if err := check(access.Principal{OrgID: x.OrgID, UserID: x.ID}, x.Email); err != nil {
			return err
		}
	}
	return nil
}

const maxAlertText = 20000

func (in *AlertInput) validate(now time.Time) error {
	in.Title, in.Summary, in.Actions = strings.TrimSpace(in.Title), strings.TrimSpace(in.Summary), strings.TrimSpace(in.Actions)
	switch {
	case len(in.Title) < 3 || len(in.Title) > 300:
		return aceso.Errorf(aceso.EINVALID, "title must be 3 to 300 characters")
	case len(in.Summary) > maxAlertText || len(in.Actions) > maxAlertText:
		return aceso.Errorf(aceso.EINVALID, "summary and actions must be at most %d characters each", maxAlertText)
	case !in.TLP.Valid():
		return aceso.Errorf(aceso.EINVALID, "tlp is required: one of TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT, TLP:RED")
	case in.Deadline != nil && !in.Deadline.After(now):
		return aceso.Errorf(aceso.EINVALID, "deadline %s is not in the future", in.Deadline.UTC().Format(time.RFC3339))
	}
	if in.TLP == share.TLPRed {
		return in.validateRed()
	}
	if len(in.People) > 0 {
		return aceso.Errorf(aceso.EINVALID, "people: only a TLP:RED alert names people; this one is %s and goes to organisations", in.TLP)
	}
	switch in.Audience {
	case AudienceAffected:
		if in.AdvisoryID == 0 {
			return aceso.Errorf(aceso.EINVALID, "recipients \"affected\" needs an advisory_id")
		}
	case AudienceChosen:
		if len(in.OrgIDs) == 0 {
			return aceso.Errorf(aceso.EINVALID, "recipients \"chosen\" needs at least one organisation in org_ids")
		}
	case AudienceAll:
	default:
		return aceso.Errorf(aceso.EINVALID, "recipients %q is not one of affected, chosen, all", in.Audience)
	}
	return nil
}

// PublishAlert stores an alert from the CSIRT (analysts and up), resolves
// its recipients, and enqueues one e-mail per active admin of each
// recipient organisation and, where the label allows a machine channel, the
// organisation's webhook. A TLP:RED alert instead goes to its named people
// only: one e-mail each, never an admin list or a webhook. An alert from an
// advisory may not carry a looser label than the advisory.
func (tx *Tx) PublishAlert(ctx context.Context, p access.Principal, in AlertInput) (Alert, error) {
	var a Alert
	if err := authorizeAlertCSIRT(p, access.ActAnalyse); err != nil {
		return a, err
	}
	if err := in.validate(tx.now); err != nil {
		return a, err
	}
	origin := p.OrgID
	if p.IsSystem() {
		if err := tx.queryRow(ctx, "SELECT id FROM orgs WHERE kind = 'csirt'").Scan(&origin); err != nil {
			return a, fmt.Errorf("alert: no CSIRT organisation: %w", err)
		}
	}
	var storedLabel string
	if in.AdvisoryID != 0 {
		var tracking string
		err := tx.queryRow(ctx, "SELECT tlp, tracking_id FROM advisories WHERE id = $1", in.AdvisoryID).Scan(&storedLabel, &tracking)
		if err == sql.ErrNoRows {
			return a, aceso.Errorf(aceso.EINVALID, "advisory_id %d: no such advisory", in.AdvisoryID)
		}
		if err != nil {
			return a, err
		}
		al, err := alertAdvisoryTLP(in.AdvisoryID, tracking, storedLabel)
		if err != nil {
			return a, err
		}
		if al.Stricter(in.TLP) {
			return a, aceso.Errorf(aceso.EINVALID, "tlp %s is looser than the advisory's %s", in.TLP, al)
		}
		a.TrackingID = tracking
		id := in.AdvisoryID
		a.AdvisoryID = &id
	}
	var (
		orgs   []access.Org
		people []Person
		err    error
	)
	if in.TLP == share.TLPRed {
		orgs, people, err = tx.redAudience(ctx, in.People)
	} else {
		orgs, err = tx.alertAudience(ctx, in)
	}
	if err != nil {
		return a, err
	}
	// An unlabelled advisory reaches every organisation (advisoryLabelSets).
	if a.AdvisoryID != nil && storedLabel != "" {
		label, _ := share.ParseTLP(storedLabel) // alertAdvisoryTLP has read it
		if err := tx.advisoryRecipientsMayReceive(ctx, in.AdvisoryID, a.TrackingID, label, origin, orgs, people); err != nil {
			return a, err
		}
	}
	a.OrgID, a.Title, a.Summary, a.Actions, a.TLP, a.Audience = origin, in.Title, in.Summary, in.Actions, in.TLP, in.Audience
	a.Deadline, a.CreatedBy, a.CreatedAt = in.Deadline, principalName(p), tx.now
	var adv sql.NullInt64
	if a.AdvisoryID != nil {
		adv = sql.NullInt64{Int64: *a.AdvisoryID, Valid: true}
	}
	err = tx.queryRow(ctx, `INSERT INTO alerts (org_id, advisory_id, title, summary, actions, tlp, audience, deadline, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		a.OrgID, adv, a.Title, a.Summary, a.Actions, a.TLP.String(), a.Audience, tsPtr(a.Deadline), a.CreatedBy, ts(a.CreatedAt)).Scan(&a.ID)
	if err != nil {
		return a, fmt.Errorf("alert: %w", err)
	}
	names := make([]string, 0, len(orgs))
	for _, o := range orgs {
		if _, err := tx.exec(ctx, "INSERT INTO alert_recipients (alert_id, org_id, delivered_at) VALUES ($1, $2, $3)", a.ID, o.ID, ts(tx.now)); err != nil {
			return a, fmt.Errorf("alert recipient %d: %w", o.ID, err)
		}
		a.Recipients = append(a.Recipients, AlertRecipient{OrgID: o.ID, OrgName: o.Name, DeliveredAt: tx.now, Status: AckPending})
		names = append(names, o.Name)
	}
	a.Counts = &AckCounts{Recipients: len(orgs), Pending: len(orgs)}
	if err := tx.setNamedPeople(ctx, tlpAlert, a.ID, people); err != nil {
		return a, err
	}
	a.People = people
	for _, o := range orgs {
		if _, err := tx.notifyAlert(ctx, &a, o.ID, people, false, 0); err != nil {
			return a, err
		}
	}
	// Named colleagues at the CSIRT get their copy too (no recipient row:
	// the CSIRT does not acknowledge its own alert).
	if slices.ContainsFunc(people, func(x Person) bool { return x.OrgID == origin }) {
		if _, err := tx.notifyAlert(ctx, &a, origin, people, false, 0); err != nil {
			return a, err
		}
	}
	after := map[string]any{"title": a.Title, "tlp": a.TLP.String(), "audience": a.Audience, "advisory": a.TrackingID, "recipients": names, "deadline": a.Deadline}
	if len(people) > 0 {
		after["people"] = peopleNames(people)
	}
	return a, tx.Audit(ctx, p, a.OrgID, "alert.publish", "alert", a.ID, audit.Change(nil, after))
}

func principalName(p access.Principal) string {
	if p.UserName == "" {
		return "system"
	}
	return p.UserName
}

// alertAudience resolves the recipient member organisations of in.
func (tx *Tx) alertAudience(ctx context.Context, in AlertInput) ([]access.Org, error) {
	var (
		orgs []access.Org
		err  error
	)
	switch in.Audience {
	case AudienceAffected:
		orgs, err = affectedMembers(ctx, tx.tx, in.AdvisoryID, tx.now)
		if err == nil && len(orgs) == 0 {
			return nil, aceso.Errorf(aceso.EINVALID, "advisory %d affects no member organisation; choose the recipients", in.AdvisoryID)
		}
	case AudienceAll:
		orgs, err = tx.memberOrgs(ctx, "")
	case AudienceChosen:
		ids := slices.Clone(in.OrgIDs)
		slices.Sort(ids)
		ids = slices.Compact(ids)
		if len(ids) > 10000 {
			return nil, aceso.Errorf(aceso.EINVALID, "org_ids: at most 10000 organisations")
		}
		orgs, err = tx.memberOrgs(ctx, " AND o.id IN ("+placeholders(1, len(ids))+")", int64sAny(ids)...)
		if err == nil && len(orgs) != len(ids) {
			for _, id := range ids {
				if !slices.ContainsFunc(orgs, func(o access.Org) bool { return o.ID == id }) {
					return nil, aceso.Errorf(aceso.EINVALID, "org_ids: %d is not a member organisation", id)
				}
			}
		}
	}
	return orgs, err
}

// AlertMemberOrgs lists the member organisations the CSIRT may address
// (its analysts compose alerts, and may not list organisations otherwise).
func (d *DB) AlertMemberOrgs(ctx context.Context, p access.Principal) ([]access.Org, error) {
	if err := authorizeAlertCSIRT(p, access.ActAnalyse); err != nil {
		return nil, err
	}
	var out []access.Org
	err := d.InTx(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.memberOrgs(ctx, "")
		return err
	})
	return out, err
}

func (tx *Tx) memberOrgs(ctx context.Context, cond string, args ...any) ([]access.Org, error) {
	rows, err := tx.tx.QueryContext(ctx, "SELECT "+prefixCols("o.", orgCols)+" FROM orgs o WHERE o.kind = 'member'"+cond+" ORDER BY o.name", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []access.Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

const alertCols = "a.id, a.org_id, a.advisory_id, COALESCE(adv.tracking_id, ''), a.title, a.summary, a.actions, a.tlp, a.audience, a.deadline, a.created_by, a.created_at"

const alertFrom = " FROM alerts a LEFT JOIN advisories adv ON adv.id = a.advisory_id"

func scanAlert(row interface{ Scan(...any) error }, extra ...any) (Alert, error) {
	var (
		a        Alert
		adv, ddl sql.NullInt64
		label    string
		at       int64
	)
	err := row.Scan(append([]any{&a.ID, &a.OrgID, &adv, &a.TrackingID, &a.Title, &a.Summary, &a.Actions, &label, &a.Audience, &ddl, &a.CreatedBy, &at}, extra...)...)
	if err != nil {
		return a, err
	}
	if adv.Valid {
		a.AdvisoryID = &adv.Int64
	}
	a.Deadline, a.CreatedAt = fromNullTS(ddl), fromTS(at)
	a.TLP, _ = share.ParseTLP(label) // an unreadable label stays TLPUnknown, which MayReceive refuses
	return a, nil
}

const recipientCols = "r.org_id, o.name, r.delivered_at, r.status, r.note, r.acked_by, r.acked_at, r.status_at, r.chases, r.last_chased_at"

func scanRecipient(row interface{ Scan(...any) error }, deadline *time.Time, now time.Time) (AlertRecipient, error) {
	var (
		r                      AlertRecipient
		del                    int64
		acked, stAt, lastChase sql.NullInt64
	)
	err := row.Scan(&r.OrgID, &r.OrgName, &del, &r.Status, &r.Note, &r.AckedBy, &acked, &stAt, &r.Chases, &lastChase)
	r.DeliveredAt, r.AckedAt, r.StatusAt, r.LastChasedAt = fromTS(del), fromNullTS(acked), fromNullTS(stAt), fromNullTS(lastChase)
	r.Late = r.Status == AckPending && deadline != nil && now.After(*deadline)
	return r, err
}

// scanAlertWithAck reads alertCols followed by recipientCols: a member's
// view of an alert with its own answer.
func scanAlertWithAck(row interface{ Scan(...any) error }, now time.Time) (Alert, error) {
	var (
		rr                     AlertRecipient
		del                    int64
		acked, stAt, lastChase sql.NullInt64
	)
	a, err := scanAlert(row, &rr.OrgID, &rr.OrgName, &del, &rr.Status, &rr.Note, &rr.AckedBy, &acked, &stAt, &rr.Chases, &lastChase)
	if err != nil {
		return a, err
	}
	rr.DeliveredAt, rr.AckedAt, rr.StatusAt, rr.LastChasedAt = fromTS(del), fromNullTS(acked), fromNullTS(stAt), fromNullTS(lastChase)
	rr.Late = rr.Status == AckPending && a.Deadline != nil && now.After(*a.Deadline)
	a.Ack = &rr
	return a, nil
}

// mayReceive is the TLP check of every read of alerts: it keeps the alerts
// of list that p may receive under share.MayReceive. An alert is addressed
// to its recipient organisations and, at TLP:RED, to its named persons,
// whose organisations those are; so at RED only the named persons of a
// recipient organisation read it, its other users get "not found". The
// CSIRT reads what it published (the originator always does).
func mayReceive(ctx context.Context, q querier, p access.Principal, list []Alert) ([]Alert, error) {
	kept := make([]Alert, 0, len(list))
	if len(list) == 0 {
		return kept, nil
	}
	ids := make([]int64, len(list))
	for i, a := range list {
		ids[i] = a.ID
	}
	orgs, err := alertRecipientOrgs(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	named, err := namedPeople(ctx, q, tlpAlert, ids)
	if err != nil {
		return nil, err
	}
	reader := tlpReader(p)
	for _, a := range list {
		if p.IsSystem() || share.MayReceive(a.TLP, a.OrgID, reader, audienceOf(orgs[a.ID], named[a.ID])) {
			kept = append(kept, a)
		}
	}
	return kept, nil
}

// alertRecipientOrgs returns the recipient organisations of each alert.
// Only the TLP check uses it; the list never leaves the store.
func alertRecipientOrgs(ctx context.Context, q querier, alertIDs []int64) (map[int64][]int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT alert_id, org_id FROM alert_recipients WHERE alert_id IN ("+placeholders(1, len(alertIDs))+")", int64sAny(alertIDs)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]int64{}
	for rows.Next() {
		var alert, org int64
		if err := rows.Scan(&alert, &org); err != nil {
			return nil, err
		}
		out[alert] = append(out[alert], org)
	}
	return out, rows.Err()
}

// AlertFilter selects the alert list.
type AlertFilter struct {
	AdvisoryID int64 // only alerts from this advisory
	Limit      int   // 1 to 1000; 0 is 200
}

// Alerts lists the alerts the principal may see. A member gets the alerts
// addressed to its organisation, unacknowledged first, each with its own
// acknowledgement; the CSIRT gets the alerts it published with their
// counts. Newest first within that.
func (d *DB) Alerts(ctx context.Context, p access.Principal, f AlertFilter) ([]Alert, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return nil, err
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	if f.Limit > 1000 {
		return nil, aceso.Errorf(aceso.EINVALID, "limit %d is over 1000", f.Limit)
	}
	now := d.Now()
	out := []Alert{}
	if isCSIRTView(p) {
		where, args := "a.org_id = $1", []any{p.OrgID}
		if p.IsSystem() {
			where, args = "1 = 1", nil
		}
		if f.AdvisoryID != 0 {
			args = append(args, f.AdvisoryID)
			where += " AND a.advisory_id = $" + strconv.Itoa(len(args))
		}
		args = append(args, ts(now))
		rows, err := d.db.QueryContext(ctx, "SELECT "+alertCols+`,
			(SELECT COUNT(*) FROM alert_recipients r WHERE r.alert_id = a.id),
			(SELECT COUNT(*) FROM alert_recipients r WHERE r.alert_id = a.id AND r.status = 'pending'),
			(SELECT COUNT(*) FROM alert_recipients r WHERE r.alert_id = a.id AND r.status = 'pending' AND a.deadline IS NOT NULL AND a.deadline < $`+strconv.Itoa(len(args))+`)`+
			alertFrom+" WHERE "+where+" ORDER BY a.created_at DESC, a.id DESC LIMIT "+strconv.Itoa(f.Limit), args...)
		if err != nil {
			return nil, d.translate(err)
		}
		defer rows.Close()
		for rows.Next() {
			var c AckCounts
			a, err := scanAlert(rows, &c.Recipients, &c.Pending, &c.Late)
			if err != nil {
				return nil, d.translate(err)
			}
			c.Acknowledged = c.Recipients - c.Pending
			a.Counts = &c
			out = append(out, a)
		}
		return out, d.translate(rows.Err())
	}
	args := []any{p.OrgID}
	where := "r.org_id = $1"
	if f.AdvisoryID != 0 {
		args = append(args, f.AdvisoryID)
		where += " AND a.advisory_id = $2"
	}
	// The recipient join finds the organisation's alerts; mayReceive then
	// decides per alert (a TLP:RED one only for its named persons). Pages
	// are read until the list is full, so that alerts the reader may not
	// see do not shorten it.
	q := "SELECT " + alertCols + ", " + recipientCols + alertFrom +
		" JOIN alert_recipients r ON r.alert_id = a.id JOIN orgs o ON o.id = r.org_id WHERE " + where +
		" ORDER BY CASE WHEN r.status = 'pending' THEN 0 ELSE 1 END, a.created_at DESC, a.id DESC LIMIT " + strconv.Itoa(f.Limit) + " OFFSET "
	for offset := 0; ; offset += f.Limit {
		rows, err := d.db.QueryContext(ctx, q+strconv.Itoa(offset), args...)
		if err != nil {
			return nil, d.translate(err)
		}
		var batch []Alert
		for rows.Next() {
			a, err := scanAlertWithAck(rows, now)
			if err != nil {
				rows.Close()
				return nil, d.translate(err)
			}
			batch = append(batch, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, d.translate(err)
		}
		kept, err := mayReceive(ctx, d.db, p, batch)
		if err != nil {
			return nil, d.translate(err)
		}
		out = append(out, kept...)
		if len(out) >= f.Limit || len(batch) < f.Limit {
			break
		}
	}
	return out[:min(len(out), f.Limit)], nil
}

// Alert returns one alert: for its CSIRT with every recipient's answer,
// for a recipient member with its own answer; anyone else gets ENOTFOUND.
func (d *DB) Alert(ctx context.Context, p access.Principal, id int64) (Alert, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return Alert{}, err
	}
	a, err := loadAlert(ctx, d.db, p, id, d.Now())
	return a, d.translate(err)
}

func loadAlert(ctx context.Context, q querier, p access.Principal, id int64, now time.Time) (Alert, error) {
	notFound := aceso.Errorf(aceso.ENOTFOUND, "alert %d not found", id)
	if isCSIRTView(p) {
		where, args := "a.org_id = $1 AND a.id = $2", []any{p.OrgID, id}
		if p.IsSystem() {
			where, args = "a.id = $1", []any{id}
		}
		a, err := scanAlert(q.QueryRowContext(ctx, "SELECT "+alertCols+alertFrom+" WHERE "+where, args...))
		if err == sql.ErrNoRows {
			return a, notFound
		}
		if err != nil {
			return a, err
		}
		rows, err := q.QueryContext(ctx, "SELECT "+recipientCols+" FROM alert_recipients r JOIN orgs o ON o.id = r.org_id WHERE r.alert_id = $1 ORDER BY o.name", a.ID)
		if err != nil {
			return a, err
		}
		defer rows.Close()
		c := AckCounts{}
		for rows.Next() {
			r, err := scanRecipient(rows, a.Deadline, now)
			if err != nil {
				return a, err
			}
			c.Recipients++
			if r.Status == AckPending {
				c.Pending++
			} else {
				c.Acknowledged++
			}
			if r.Late {
				c.Late++
			}
			a.Recipients = append(a.Recipients, r)
		}
		a.Counts = &c
		if err := rows.Err(); err != nil {
			return a, err
		}
		named, err := namedPeople(ctx, q, tlpAlert, []int64{a.ID})
		a.People = named[a.ID]
		return a, err
	}
	a, err := scanAlertWithAck(q.QueryRowContext(ctx, "SELECT "+alertCols+", "+recipientCols+alertFrom+
		" JOIN alert_recipients r ON r.alert_id = a.id JOIN orgs o ON o.id = r.org_id WHERE r.org_id = $1 AND r.alert_id = $2", p.OrgID, id), now)
	if err == sql.ErrNoRows {
		return a, notFound
	}
	if err != nil {
		return a, err
	}
	kept, err := mayReceive(ctx, q, p, []Alert{a})
	if err != nil {
		return a, err
	}
	if len(kept) == 0 {
		return Alert{}, notFound
	}
	return a, nil
}

// AckAlert records a recipient member's answer (reporters and up): who,
// when, the status and a note. The first answer's time is kept as the
// acknowledgement time that the CSIRT's statistics measure.
func (tx *Tx) AckAlert(ctx context.Context, p access.Principal, alertID int64, status AckStatus, note string) (AlertRecipient, error) {
	if err := access.Authorize(p, access.ActWrite, p.OrgID); err != nil {
		return AlertRecipient{}, err
	}
	if isCSIRTView(p) {
		return AlertRecipient{}, aceso.Errorf(aceso.ENOTFOUND, "alert %d not found", alertID)
	}
	// Not found comes before bad input: a non-recipient learns nothing.
	before, err := loadAlert(ctx, tx.tx, p, alertID, tx.now)
	if err != nil {
		return AlertRecipient{}, err
	}
	note = strings.TrimSpace(note)
	if !slices.Contains(AckStatuses, status) {
		return AlertRecipient{}, aceso.Errorf(aceso.EINVALID, "status %q is not one of not_applicable, in_progress, done", status)
	}
	if len(note) > 2000 {
		return AlertRecipient{}, aceso.Errorf(aceso.EINVALID, "note must be at most 2000 characters")
	}
	if _, err := tx.exec(ctx, `UPDATE alert_recipients SET status = $3, note = $4, status_at = $5,
		acked_by = CASE WHEN acked_at IS NULL THEN $6 ELSE acked_by END, acked_at = COALESCE(acked_at, $5)
		WHERE org_id = $1 AND alert_id = $2`, p.OrgID, alertID, status, note, ts(tx.now), principalName(p)); err != nil {
		return AlertRecipient{}, fmt.Errorf("alert %d acknowledgement: %w", alertID, err)
	}
	after, err := loadAlert(ctx, tx.tx, p, alertID, tx.now)
	if err != nil {
		return AlertRecipient{}, err
	}
	return *after.Ack, tx.Audit(ctx, p, p.OrgID, "alert.ack", "alert", alertID,
		audit.Change(map[string]any{"status": before.Ack.Status, "note": before.Ack.Note}, map[string]any{"status": status, "note": note}))
}

// ChaseReport says what one chase did.
type ChaseReport struct {
	Orgs     int `json:"orgs"`     // pending recipients reminded
	Enqueued int `json:"enqueued"` // outbox messages written
}

// ChaseAlert reminds every recipient that has not acknowledged an alert
// (CSIRT analysts and up). Each chase is a new reminder with its own dedup
// key (the recipient's chase number), so a chase is sent once however
// often its transaction's messages are retried.
func (tx *Tx) ChaseAlert(ctx context.Context, p access.Principal, alertID int64) (ChaseReport, error) {
	var rep ChaseReport
	if err := authorizeAlertCSIRT(p, access.ActAnalyse); err != nil {
		return rep, err
	}
	a, err := loadAlert(ctx, tx.tx, p, alertID, tx.now)
	if err != nil {
		return rep, err
	}
	var chased []string
	for _, r := range a.Recipients {
		if r.Status != AckPending {
			continue
		}
		var n int
		if err := tx.queryRow(ctx, `UPDATE alert_recipients SET chases = chases + 1, last_chased_at = $3
			WHERE alert_id = $1 AND org_id = $2 AND status = 'pending' RETURNING chases`, a.ID, r.OrgID, ts(tx.now)).Scan(&n); err != nil {
			if err == sql.ErrNoRows {
				continue // acknowledged meanwhile
			}
			return rep, fmt.Errorf("chase alert %d, organisation %d: %w", a.ID, r.OrgID, err)
		}
		sent, err := tx.notifyAlert(ctx, &a, r.OrgID, a.People, true, n)
		if err != nil {
			return rep, err
		}
		rep.Orgs++
		rep.Enqueued += sent
		chased = append(chased, r.OrgName)
	}
	if rep.Orgs == 0 {
		return rep, nil
	}
	return rep, tx.Audit(ctx, p, a.OrgID, "alert.chase", "alert", a.ID, audit.Change(nil, map[string]any{"chased": chased}))
}
