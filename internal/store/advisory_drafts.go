package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/audit"
	"github.com/aceso-health/aceso/internal/share"
)

// States of an advisory draft.
const (
	// DraftStateDraft: the draft holds changes not yet published (or was
	// never published: Version 0).
	DraftStateDraft = "draft"
	// DraftStatePublished: the published revision Version is the draft's text.
	DraftStatePublished = "published"
)

// AdvisoryDraft is an advisory the CSIRT writes itself: the analyst's
// draft and, once published, its tracking id, revision history and the
// stored advisory it became. Members never see drafts: they see the
// published advisory like any other.
type AdvisoryDraft struct {
	ID          int64               `json:"id"`
	OrgID       int64               `json:"org_id"`
	TrackingID  string              `json:"tracking_id,omitempty"`
	State       string              `json:"state"`   // draft | published
	Version     int                 `json:"version"` // revisions published; 0 before the first
	Title       string              `json:"title"`
	TLP         string              `json:"tlp"`
	Draft       share.Draft         `json:"draft"`
	Revisions   []advisory.Revision `json:"revision_history"`
	AdvisoryID  *int64              `json:"advisory_id,omitempty"`
	CreatedBy   string              `json:"created_by"`
	CreatedAt   time.Time           `json:"created_at"`
	UpdatedBy   string              `json:"updated_by"`
	UpdatedAt   time.Time           `json:"updated_at"` // send it back with an update: concurrent edits are refused
	PublishedBy string              `json:"published_by,omitempty"`
	PublishedAt *time.Time          `json:"published_at,omitempty"`
}

const draftCols = `id, org_id, tracking_id, state, version, title, tlp, draft, revisions, advisory_id,
	created_by, created_at, updated_by, updated_at, published_by, published_at`

func scanDraft(row interface{ Scan(...any) error }) (AdvisoryDraft, error) {
	var (
		d              AdvisoryDraft
		tracking       sql.NullString
		doc, revs      string
		advID, pubAt   sql.NullInt64
		created, upd   int64
		title, tlpText string
	)
	if err := row.Scan(&d.ID, &d.OrgID, &tracking, &d.State, &d.Version, &title, &tlpText, &doc, &revs, &advID,
		&d.CreatedBy, &created, &d.UpdatedBy, &upd, &d.PublishedBy, &pubAt); err != nil {
		return d, err
	}
	d.TrackingID, d.Title, d.TLP = tracking.String, title, tlpText
	d.CreatedAt, d.UpdatedAt, d.PublishedAt = fromTS(created), fromTS(upd), fromNullTS(pubAt)
	if advID.Valid {
		d.AdvisoryID = &advID.Int64
	}
	if err := json.Unmarshal([]byte(doc), &d.Draft); err != nil {
		return d, fmt.Errorf("advisory draft %d: stored draft: %w", d.ID, err)
	}
	if err := json.Unmarshal([]byte(revs), &d.Revisions); err != nil {
		return d, fmt.Errorf("advisory draft %d: stored revisions: %w", d.ID, err)
	}
	if d.Revisions == nil {
		d.Revisions = []advisory.Revision{}
	}
	return d, nil
}

// authorizeDrafts lets the CSIRT's analysts and admins write advisories.
// Members are refused here for the actions that name no draft (list,
// create); a member naming a draft gets ENOTFOUND from the org-scoped query.
func authorizeDrafts(p access.Principal) error {
	if err := access.Authorize(p, access.ActAnalyse, p.OrgID); err != nil {
		return err
	}
	if p.OrgKind != access.KindCSIRT || p.OrgID == 0 {
		return aceso.Errorf(aceso.EFORBIDDEN, "only the CSIRT's analysts write advisories")
	}
	return nil
}

// draftSummary is what the audit log keeps of a draft: enough to follow
// its history, not its whole text.
func draftSummary(d *share.Draft, state string, version int) map[string]any {
	return map[string]any{"title": d.Title, "tlp": d.TLP, "products": len(d.Products), "vulnerabilities": len(d.Vulnerabilities),
		"state": state, "version": version}
}

// prepareDraft normalises a draft and checks what any save needs.
func prepareDraft(d *share.Draft) (string, error) {
	d.Normalise()
	if err := d.CheckLimits(); err != nil {
		return "", err
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("advisory draft: encode: %w", err)
	}
	return string(b), nil
}

// CreateAdvisoryDraft stores a new draft of the caller's CSIRT. The draft
// may be incomplete; only its limits are checked (share.Draft.CheckLimits).
func (tx *Tx) CreateAdvisoryDraft(ctx context.Context, p access.Principal, d share.Draft) (AdvisoryDraft, error) {
	if err := authorizeDrafts(p); err != nil {
		return AdvisoryDraft{}, err
	}
	doc, err := prepareDraft(&d)
	if err != nil {
		return AdvisoryDraft{}, err
	}
	var id int64
	err = tx.queryRow(ctx, `INSERT INTO advisory_drafts (org_id, state, version, title, tlp, draft, revisions, created_by, created_at, updated_by, updated_at)
		VALUES ($1, $2, 0, $3, $4, $5, '[]', $6, $7, $6, $7) RETURNING id`,
		p.OrgID, DraftStateDraft, trunc(d.Title, 1000), trunc(d.TLP, 40), doc, p.UserName, ts(tx.now)).Scan(&id)
	if err != nil {
		return AdvisoryDraft{}, fmt.Errorf("advisory draft: %w", err)
	}
	if err := tx.Audit(ctx, p, p.OrgID, "advisory_draft.create", "advisory_draft", id, audit.Change(nil, draftSummary(&d, DraftStateDraft, 0))); err != nil {
		return AdvisoryDraft{}, err
	}
	return tx.loadDraft(ctx, p, id)
}

func (tx *Tx) loadDraft(ctx context.Context, p access.Principal, id int64) (AdvisoryDraft, error) {
	return loadDraft(ctx, tx.tx, p, id)
}

func loadDraft(ctx context.Context, q querier, p access.Principal, id int64) (AdvisoryDraft, error) {
	d, err := scanDraft(q.QueryRowContext(ctx, "SELECT "+draftCols+" FROM advisory_drafts WHERE org_id = $1 AND id = $2", p.OrgID, id))
	if err == sql.ErrNoRows {
		return d, aceso.Errorf(aceso.ENOTFOUND, "advisory draft %d not found", id)
	}
	return d, err
}

// UpdateAdvisoryDraft replaces the text of a draft. updatedAt must be the
// UpdatedAt the editor read: a draft saved by someone else since is
// ECONFLICT. Editing a published advisory makes it a draft of the next
// revision (State draft); the published revision stays as it is until
// PublishAdvisoryDraft. Saving unchanged text changes nothing.
func (tx *Tx) UpdateAdvisoryDraft(ctx context.Context, p access.Principal, id int64, d share.Draft, updatedAt time.Time) (AdvisoryDraft, error) {
	if err := access.Authorize(p, access.ActAnalyse, p.OrgID); err != nil {
		return AdvisoryDraft{}, err
	}
	before, err := tx.loadDraft(ctx, p, id)
	if err != nil {
		return before, err
	}
	if updatedAt.IsZero() {
		return before, aceso.Errorf(aceso.EINVALID, "updated_at is required: send the value you read, so that concurrent edits are detected")
	}
	if !updatedAt.Equal(before.UpdatedAt) {
		return before, aceso.Errorf(aceso.ECONFLICT, "advisory draft %d was changed by %s at %s; reload it and apply your change again",
			id, before.UpdatedBy, before.UpdatedAt.Format(time.RFC3339))
	}
	doc, err := prepareDraft(&d)
	if err != nil {
		return before, err
	}
	old, _ := json.Marshal(before.Draft)
	if string(old) == doc {
		return before, nil
	}
	now := tx.now
	if !now.After(before.UpdatedAt) { // two saves in one microsecond must still move the version
		now = before.UpdatedAt.Add(time.Microsecond)
	}
	res, err := tx.exec(ctx, `UPDATE advisory_drafts SET draft = $4, title = $5, tlp = $6, state = $7, updated_by = $8, updated_at = $9
		WHERE org_id = $1 AND id = $2 AND updated_at = $3`,
		p.OrgID, id, ts(before.UpdatedAt), doc, trunc(d.Title, 1000), trunc(d.TLP, 40), DraftStateDraft, p.UserName, ts(now))
	if err != nil {
		return before, fmt.Errorf("advisory draft %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return before, aceso.Errorf(aceso.ECONFLICT, "advisory draft %d was changed by someone else; reload it", id)
	}
	if err := tx.Audit(ctx, p, p.OrgID, "advisory_draft.update", "advisory_draft", id,
		audit.Change(draftSummary(&before.Draft, before.State, before.Version), draftSummary(&d, DraftStateDraft, before.Version))); err != nil {
		return before, err
	}
	return tx.loadDraft(ctx, p, id)
}

// AdvisoryDraft returns one draft of the caller's CSIRT (ENOTFOUND for
// anyone else, members included).
func (d *DB) AdvisoryDraft(ctx context.Context, p access.Principal, id int64) (AdvisoryDraft, error) {
	if err := access.Authorize(p, access.ActAnalyse, p.OrgID); err != nil {
		return AdvisoryDraft{}, err
	}
	a, err := loadDraft(ctx, d.db, p, id)
	return a, d.translate(err)
}

// AdvisoryDrafts lists the CSIRT's drafts and authored advisories, most
// recently changed first (at most 500).
func (d *DB) AdvisoryDrafts(ctx context.Context, p access.Principal) ([]AdvisoryDraft, error) {
	if err := authorizeDrafts(p); err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, "SELECT "+draftCols+" FROM advisory_drafts WHERE org_id = $1 ORDER BY updated_at DESC, id DESC LIMIT 500", p.OrgID)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	out := []AdvisoryDraft{}
	for rows.Next() {
		a, err := scanDraft(rows)
		if err != nil {
			return nil, d.translate(err)
		}
		out = append(out, a)
	}
	return out, d.translate(rows.Err())
}

// DraftPublish is what the analyst says when publishing.
type DraftPublish struct {
	// Summary says what changed; required from the second revision on
	// (the first defaults to "Initial release.").
	Summary string `json:"summary"`
	// UpdatedAt, when set, is the draft version the analyst reviewed: a
	// later edit makes the publication ECONFLICT rather than publish text
	// nobody previewed.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// DraftPublication is what publishing did.
type DraftPublication struct {
	Draft  AdvisoryDraft `json:"draft"`
	Import ImportResult  `json:"advisory"`
}

const maxChangeSummary = 1000

// initialSummary is the revision summary of a first publication without one.
const initialSummary = "Initial release."

// changeSummary checks the analyst's revision summary for revision next.
func changeSummary(s string, next int) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case utf8.RuneCountInString(s) > maxChangeSummary:
		return "", aceso.Errorf(aceso.EINVALID, "summary: at most %d characters", maxChangeSummary)
	case s == "" && next == 1:
		return initialSummary, nil
	case s == "":
		return "", aceso.Errorf(aceso.EINVALID, "summary: required for revision %d: say what changed since revision %d", next, next-1)
	}
	return s, nil
}

// nextRelease is the share.Release of the next revision of dr.
func nextRelease(dr *AdvisoryDraft, trackingID, publisher, summary string, now time.Time) share.Release {
	hist := append([]advisory.Revision(nil), dr.Revisions...)
	if n := len(hist); n > 0 && now.Before(hist[n-1].Date) {
		now = hist[n-1].Date // a clock set back must not unsort the history (CSAF 6.1.14)
	}
	hist = append(hist, advisory.Revision{Number: strconv.Itoa(dr.Version + 1), Date: now, Summary: summary})
	return share.Release{TrackingID: trackingID, Publisher: publisher, History: hist}
}

// PublishAdvisoryDraft publishes a draft as revision Version+1 of the
// CSIRT's own advisory: at the first publication it allocates the
// tracking id "<PREFIX>-<YEAR>-<NNNN>" (prefix from the CSIRT's name, see
// share.TrackingPrefix), appends {number, date, summary} to the revision
// history (the initial release date stays, the current one moves), checks
// that the CSAF document is schema-valid, and stores the advisory through
// ImportAdvisory in this same transaction, so that it is stored exactly
// like an ingested one. The caller matches it afterwards like any imported
// advisory (RematchAndAlert; DB.PublishAdvisoryDraftAndMatch does both).
func (tx *Tx) PublishAdvisoryDraft(ctx context.Context, p access.Principal, id int64, in DraftPublish) (DraftPublication, error) {
	var out DraftPublication
	if err := access.Authorize(p, access.ActAnalyse, p.OrgID); err != nil {
		return out, err
	}
	dr, err := tx.loadDraft(ctx, p, id)
	if err != nil {
		return out, err
	}
	if err := authorizeDrafts(p); err != nil { // a member never has a draft; this is for the system principal
		return out, err
	}
	if !in.UpdatedAt.IsZero() && !in.UpdatedAt.Equal(dr.UpdatedAt) {
		return out, aceso.Errorf(aceso.ECONFLICT, "advisory draft %d was changed by %s at %s after you reviewed it; preview it again",
			id, dr.UpdatedBy, dr.UpdatedAt.Format(time.RFC3339))
	}
	if dr.State == DraftStatePublished {
		return out, aceso.Errorf(aceso.EINVALID, "advisory draft %d: nothing to publish: no change since revision %d", id, dr.Version)
	}
	summary, err := changeSummary(in.Summary, dr.Version+1)
	if err != nil {
		return out, err
	}
	dr.Draft.Normalise()
	if err := dr.Draft.Validate(); err != nil {
		return out, err
	}
	// Claim the next revision first: on PostgreSQL a concurrent publisher
	// of the same draft waits on this row and then finds it changed.
	res, err := tx.exec(ctx, `UPDATE advisory_drafts SET version = version + 1 WHERE org_id = $1 AND id = $2 AND version = $3 AND updated_at = $4`,
		p.OrgID, id, dr.Version, ts(dr.UpdatedAt))
	if err != nil {
		return out, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return out, aceso.Errorf(aceso.ECONFLICT, "advisory draft %d was published or changed meanwhile; reload it", id)
	}
	var publisher string
	if err := tx.queryRow(ctx, "SELECT name FROM orgs WHERE id = $1", p.OrgID).Scan(&publisher); err != nil {
		return out, fmt.Errorf("advisory draft %d: publisher: %w", id, err)
	}
	tracking := dr.TrackingID
	if tracking == "" {
		if tracking, err = tx.allocateTrackingID(ctx, share.TrackingPrefix(publisher), tx.now.Year()); err != nil {
			return out, err
		}
	}
	rel := nextRelease(&dr, tracking, publisher, summary, tx.now)
	a, err := dr.Draft.Advisory(rel)
	if err != nil {
		return out, err
	}
	a.Source = "aceso:advisory-draft/" + strconv.FormatInt(id, 10)
	if err := checkAuthoredCSAF(a, publisher); err != nil {
		return out, err
	}
	imp, err := tx.importAdvisory(ctx, p, a, true)
	if err != nil {
		return out, err
	}
	if !imp.Changed() {
		return out, aceso.Errorf(aceso.ECONFLICT, "advisory %s is stored already at a newer revision (%s); it was not replaced", tracking, imp.Outcome)
	}
	revs, _ := json.Marshal(rel.History)
	_, err = tx.exec(ctx, `UPDATE advisory_drafts SET tracking_id = $3, state = $4, title = $5, tlp = $6, draft = $7, revisions = $8,
		advisory_id = $9, published_by = $10, published_at = $11 WHERE org_id = $1 AND id = $2`,
		p.OrgID, id, tracking, DraftStatePublished, trunc(dr.Draft.Title, 1000), trunc(dr.Draft.TLP, 40), jsonText(dr.Draft, "{}"),
		string(revs), imp.ID, p.UserName, ts(tx.now))
	if err != nil {
		return out, fmt.Errorf("advisory draft %d: %w", id, err)
	}
	if err := tx.Audit(ctx, p, p.OrgID, "advisory_draft.publish", "advisory_draft", id, audit.Change(nil, map[string]any{
		"tracking_id": tracking, "version": dr.Version + 1, "summary": summary, "advisory_id": imp.ID, "tlp": a.TLP})); err != nil {
		return out, err
	}
	out.Import = imp
	out.Draft, err = tx.loadDraft(ctx, p, id)
	return out, err
}

// checkAuthoredCSAF refuses to publish a document that is not valid CSAF
// 2.0. A valid draft always gives one (see the share tests and fuzz
// target); this is the last line of defence, so a failure is EINTERNAL.
func checkAuthoredCSAF(a *advisory.Advisory, publisher string) error {
	data, err := share.CSAFDocument(a, share.CSAFPublisher{Name: publisher, Namespace: "https://aceso.invalid"})
	if err != nil {
		return fmt.Errorf("advisory %s: csaf: %w", a.ID, err)
	}
	msgs, err := advisory.Validate(data)
	if err != nil {
		return fmt.Errorf("advisory %s: csaf: %w", a.ID, err)
	}
	if len(msgs) > 0 {
		return fmt.Errorf("advisory %s: csaf schema: %s", a.ID, strings.Join(msgs, "; "))
	}
	return nil
}

// allocateTrackingID hands out the next "<PREFIX>-<YEAR>-<NNNN>". The
// upsert makes concurrent allocations line up on the sequence row; a number
// whose id an ingested advisory holds already is skipped.
func (tx *Tx) allocateTrackingID(ctx context.Context, prefix string, year int) (string, error) {
	for range 1000 {
		var n int64
		err := tx.queryRow(ctx, `INSERT INTO advisory_tracking_seq (prefix, year, last_number) VALUES ($1, $2, 1)
			ON CONFLICT (prefix, year) DO UPDATE SET last_number = advisory_tracking_seq.last_number + 1 RETURNING last_number`, prefix, year).Scan(&n)
		if err != nil {
			return "", fmt.Errorf("tracking id: %w", err)
		}
		id := share.TrackingID(prefix, year, n)
		var taken int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM advisories WHERE tracking_id = $1", id).Scan(&taken); err != nil {
			return "", fmt.Errorf("tracking id: %w", err)
		}
		if taken == 0 {
			return id, nil
		}
	}
	return "", aceso.Errorf(aceso.ECONFLICT, "tracking id: no free number for %s-%d after 1000 tries", prefix, year)
}

// PublishAdvisoryDraftAndMatch publishes a draft (Tx.PublishAdvisoryDraft)
// and then, like an uploaded or synced advisory, matches it against every
// organisation's devices and alerts members with new findings. A revision
// that no longer names a device closes its findings as remediated.
func (d *DB) PublishAdvisoryDraftAndMatch(ctx context.Context, p access.Principal, id int64, in DraftPublish) (DraftPublication, RematchReport, error) {
	var pub DraftPublication
	err := d.InTx(ctx, func(tx *Tx) error {
		var err error
		pub, err = tx.PublishAdvisoryDraft(ctx, p, id, in)
		return err
	})
	if err != nil {
		return pub, RematchReport{}, err
	}
	rep, _, err := d.RematchAndAlert(ctx, []int64{pub.Import.ID})
	return pub, rep, err
}

// DraftPreview is a draft as it would be published now.
type DraftPreview struct {
	Draft AdvisoryDraft `json:"draft"`
	// Problems keep the draft from being published; Advisory is nil then.
	Problems []string `json:"problems"`
	// TrackingID is the allocated id, or the pattern the first publication
	// fills in ("HEALTH-CERT-2026-NNNN").
	TrackingID string             `json:"tracking_id"`
	Publisher  string             `json:"publisher"`
	Advisory   *advisory.Advisory `json:"advisory,omitempty"`
}

// AdvisoryDraftPreview builds the advisory the draft would publish as its
// next revision, with summary as the revision summary (a placeholder when
// empty). Nothing is stored or allocated.
func (d *DB) AdvisoryDraftPreview(ctx context.Context, p access.Principal, id int64, summary string) (DraftPreview, error) {
	var pv DraftPreview
	dr, err := d.AdvisoryDraft(ctx, p, id)
	if err != nil {
		return pv, err
	}
	pv.Draft = dr
	if err := d.db.QueryRowContext(ctx, "SELECT name FROM orgs WHERE id = $1", p.OrgID).Scan(&pv.Publisher); err != nil {
		return pv, d.translate(err)
	}
	now := d.Now().UTC().Truncate(time.Microsecond)
	pv.TrackingID = dr.TrackingID
	if pv.TrackingID == "" {
		pv.TrackingID = fmt.Sprintf("%s-%d-NNNN", share.TrackingPrefix(pv.Publisher), now.Year())
	}
	if summary = strings.TrimSpace(summary); summary == "" {
		summary = initialSummary
		if dr.Version > 0 {
			summary = "(the change summary given at publication)"
		}
	}
	dr.Draft.Normalise()
	pv.Problems = dr.Draft.Problems()
	if len(pv.Problems) > 0 {
		return pv, nil
	}
	pv.Advisory, err = dr.Draft.Advisory(nextRelease(&dr, pv.TrackingID, pv.Publisher, summary, now))
	return pv, err
}
