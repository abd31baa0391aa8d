package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/audit"
)

// FeedSource is a CSAF provider (provider-metadata.json) or aggregator
// (aggregator.json) that the CSIRT syncs advisories from, with the status
// of its last sync. Feed sources are a sector resource: only the CSIRT sees
// and manages them.
type FeedSource struct {
	ID       int64         `json:"id"`
	URL      string        `json:"url"`
	Name     string        `json:"name"`
	Enabled  bool          `json:"enabled"`
	Interval time.Duration `json:"-"`
	// IntervalSeconds mirrors Interval in JSON.
	IntervalSeconds int64 `json:"interval_seconds"`
	// OpenPGPKey is the provider's armoured public key. Signature
	// verification is not implemented yet: documents are checked against
	// their published SHA-512/SHA-256 files only.
	OpenPGPKey    string     `json:"openpgp_key,omitempty"`
	LastSyncAt    *time.Time `json:"last_sync_at,omitempty"`
	LastSuccessAt *time.Time `json:"last_success_at,omitempty"`
	// Cursor is the change time the next sync starts after (nil: from the start).
	Cursor        *time.Time `json:"cursor,omitempty"`
	LastError     string     `json:"last_error"`
	LastDocErrors []string   `json:"last_document_errors"`
	LastCounts    FeedCounts `json:"last_counts"`
	DocumentsSeen int64      `json:"documents_seen"`
	NextSyncAt    time.Time  `json:"next_sync_at"`
	Running       bool       `json:"running"` // a node holds the sync lease now
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// FeedCounts is what one sync of a source did.
type FeedCounts struct {
	Documents int `json:"documents"` // listed as changed and handed to the importer
	New       int `json:"new"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"` // same content, or an older revision than the stored one
	Failed    int `json:"failed"`    // could not be fetched, verified, parsed or stored
	// Findings created by matching the new and updated advisories.
	NewFindings int `json:"new_findings"`
	Alerts      int `json:"alerts"` // outbox messages enqueued
}

// Limits of a feed source.
const (
	minFeedInterval     = 5 * time.Minute
	maxFeedInterval     = 7 * 24 * time.Hour
	defaultFeedInterval = time.Hour
	maxDocErrors        = 50
)

const feedCols = `id, url, name, enabled, interval_seconds, openpgp_key, last_sync_at, last_success_at, last_cursor,
	last_error, last_doc_errors, last_counts, documents_seen, next_sync_at, claimed_until, created_at, updated_at`

func scanFeed(row interface{ Scan(...any) error }, now time.Time) (FeedSource, error) {
	var (
		f                 FeedSource
		sync, ok, cur     sql.NullInt64
		docErrs, counts   string
		next, claim, c, u int64
	)
	err := row.Scan(&f.ID, &f.URL, &f.Name, &f.Enabled, &f.IntervalSeconds, &f.OpenPGPKey, &sync, &ok, &cur,
		&f.LastError, &docErrs, &counts, &f.DocumentsSeen, &next, &claim, &c, &u)
	if err != nil {
		return f, err
	}
	f.Interval = time.Duration(f.IntervalSeconds) * time.Second
	f.LastSyncAt, f.LastSuccessAt, f.Cursor = fromNullTS(sync), fromNullTS(ok), fromNullTS(cur)
	_ = json.Unmarshal([]byte(docErrs), &f.LastDocErrors)
	if f.LastDocErrors == nil {
		f.LastDocErrors = []string{}
	}
	_ = json.Unmarshal([]byte(counts), &f.LastCounts)
	f.NextSyncAt, f.CreatedAt, f.UpdatedAt = fromTS(next), fromTS(c), fromTS(u)
	f.Running = claim > ts(now)
	return f, nil
}

// validate normalises and checks a source before it is stored.
func (f *FeedSource) validate() error {
	f.URL, f.Name = strings.TrimSpace(f.URL), strings.TrimSpace(f.Name)
	u, err := url.Parse(f.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return aceso.Errorf(aceso.EINVALID, "feed url %q must be an http(s) URL of provider-metadata.json or aggregator.json", f.URL)
	}
	if len(f.URL) > 1000 {
		return aceso.Errorf(aceso.EINVALID, "feed url is %d characters long; at most 1000 are allowed", len(f.URL))
	}
	if f.Name == "" {
		f.Name = u.Host
	}
	if len(f.Name) > 200 {
		return aceso.Errorf(aceso.EINVALID, "feed name must be at most 200 characters")
	}
	if f.Interval == 0 && f.IntervalSeconds != 0 {
		// Checked before converting, so a huge number cannot wrap around.
		if f.IntervalSeconds < 0 || f.IntervalSeconds > int64(maxFeedInterval/time.Second) {
			return aceso.Errorf(aceso.EINVALID, "feed interval of %d seconds must be between %d and %d", f.IntervalSeconds,
				int64(minFeedInterval/time.Second), int64(maxFeedInterval/time.Second))
		}
		f.Interval = time.Duration(f.IntervalSeconds) * time.Second
	}
	if f.Interval == 0 {
		f.Interval = defaultFeedInterval
	}
	if f.Interval < minFeedInterval || f.Interval > maxFeedInterval {
		return aceso.Errorf(aceso.EINVALID, "feed interval %s must be between %s and %s", f.Interval, minFeedInterval, maxFeedInterval)
	}
	f.IntervalSeconds = int64(f.Interval / time.Second)
	if len(f.OpenPGPKey) > 64<<10 {
		return aceso.Errorf(aceso.EINVALID, "OpenPGP key is larger than 64 KiB")
	}
	if k := strings.TrimSpace(f.OpenPGPKey); k != "" && !strings.HasPrefix(k, "-----BEGIN PGP PUBLIC KEY BLOCK-----") {
		return aceso.Errorf(aceso.EINVALID, "OpenPGP key must be an ASCII-armoured public key block")
	}
	return nil
}

func feedView(f *FeedSource) map[string]any {
	return map[string]any{"url": f.URL, "name": f.Name, "enabled": f.Enabled, "interval_seconds": f.IntervalSeconds, "openpgp_key": f.OpenPGPKey != ""}
}

// CreateFeedSource adds a source (CSIRT analysts and up); it is due for its
// first sync at once.
func (tx *Tx) CreateFeedSource(ctx context.Context, p access.Principal, f *FeedSource) error {
	if err := authorizeCSIRT(p, access.ActAnalyse); err != nil {
		return err
	}
	if err := f.validate(); err != nil {
		return err
	}
	err := tx.queryRow(ctx, `INSERT INTO feed_sources (url, name, enabled, interval_seconds, openpgp_key, next_sync_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, 0, $6, $6) RETURNING id`, f.URL, f.Name, f.Enabled, f.IntervalSeconds, f.OpenPGPKey, ts(tx.now)).Scan(&f.ID)
	if err != nil {
		if aceso.ErrorCode(tx.db.translate(err)) == aceso.ECONFLICT {
			return aceso.Errorf(aceso.ECONFLICT, "a feed source with url %s exists already", f.URL)
		}
		return fmt.Errorf("feed source: %w", err)
	}
	f.CreatedAt, f.UpdatedAt, f.LastDocErrors = tx.now, tx.now, []string{}
	return tx.Audit(ctx, p, p.OrgID, "feed.create", "feed", f.ID, audit.Change(nil, feedView(f)))
}

// UpdateFeedSource changes a source's url, name, enabled flag, interval and
// key (CSIRT analysts and up). A changed url starts again from the beginning.
func (tx *Tx) UpdateFeedSource(ctx context.Context, p access.Principal, f *FeedSource) error {
	if err := authorizeCSIRT(p, access.ActAnalyse); err != nil {
		return err
	}
	if err := f.validate(); err != nil {
		return err
	}
	before, err := scanFeed(tx.queryRow(ctx, "SELECT "+feedCols+" FROM feed_sources WHERE id = $1", f.ID), tx.now)
	if err == sql.ErrNoRows {
		return aceso.Errorf(aceso.ENOTFOUND, "feed source %d not found", f.ID)
	}
	if err != nil {
		return err
	}
	q := `UPDATE feed_sources SET url = $2, name = $3, enabled = $4, interval_seconds = $5, openpgp_key = $6, updated_at = $7`
	if before.URL != f.URL {
		q += `, last_cursor = NULL, next_sync_at = 0`
	}
	if _, err := tx.exec(ctx, q+" WHERE id = $1", f.ID, f.URL, f.Name, f.Enabled, f.IntervalSeconds, f.OpenPGPKey, ts(tx.now)); err != nil {
		if aceso.ErrorCode(tx.db.translate(err)) == aceso.ECONFLICT {
			return aceso.Errorf(aceso.ECONFLICT, "a feed source with url %s exists already", f.URL)
		}
		return fmt.Errorf("feed source %d: %w", f.ID, err)
	}
	return tx.Audit(ctx, p, p.OrgID, "feed.update", "feed", f.ID, audit.Change(feedView(&before), feedView(f)))
}

// DeleteFeedSource removes a source; advisories it brought stay.
func (tx *Tx) DeleteFeedSource(ctx context.Context, p access.Principal, id int64) error {
	if err := authorizeCSIRT(p, access.ActAnalyse); err != nil {
		return err
	}
	before, err := scanFeed(tx.queryRow(ctx, "SELECT "+feedCols+" FROM feed_sources WHERE id = $1", id), tx.now)
	if err == sql.ErrNoRows {
		return aceso.Errorf(aceso.ENOTFOUND, "feed source %d not found", id)
	}
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, "DELETE FROM feed_sources WHERE id = $1", id); err != nil {
		return err
	}
	return tx.Audit(ctx, p, p.OrgID, "feed.delete", "feed", id, audit.Change(feedView(&before), nil))
}

// RequestFeedSync makes a source due now, so that the next scheduler run
// (on any node) syncs it; the web's "sync now" uses it rather than holding a
// request open for a sync that can take minutes.
func (tx *Tx) RequestFeedSync(ctx context.Context, p access.Principal, id int64) error {
	if err := authorizeCSIRT(p, access.ActAnalyse); err != nil {
		return err
	}
	res, err := tx.exec(ctx, "UPDATE feed_sources SET next_sync_at = 0 WHERE id = $1", id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return aceso.Errorf(aceso.ENOTFOUND, "feed source %d not found", id)
	}
	return tx.Audit(ctx, p, p.OrgID, "feed.sync_requested", "feed", id, "")
}

// FeedSources lists the sources, by name (CSIRT users only).
func (d *DB) FeedSources(ctx context.Context, p access.Principal) ([]FeedSource, error) {
	if err := authorizeCSIRT(p, access.ActRead); err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, "SELECT "+feedCols+" FROM feed_sources ORDER BY name, id")
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	out := []FeedSource{}
	now := d.Now()
	for rows.Next() {
		f, err := scanFeed(rows, now)
		if err != nil {
			return nil, d.translate(err)
		}
		out = append(out, f)
	}
	return out, d.translate(rows.Err())
}

// FeedSource returns one source (CSIRT users only).
func (d *DB) FeedSource(ctx context.Context, p access.Principal, id int64) (FeedSource, error) {
	if err := authorizeCSIRT(p, access.ActRead); err != nil {
		return FeedSource{}, err
	}
	f, err := scanFeed(d.db.QueryRowContext(ctx, "SELECT "+feedCols+" FROM feed_sources WHERE id = $1", id), d.Now())
	if err == sql.ErrNoRows {
		return f, aceso.Errorf(aceso.ENOTFOUND, "feed source %d not found", id)
	}
	return f, d.translate(err)
}

// ClaimFeedSource leases a source to node until leaseUntil, when no other
// node holds it and (unless force) it is enabled and due. The conditions
// are checked in the UPDATE itself, so two nodes racing cannot both win.
func (d *DB) ClaimFeedSource(ctx context.Context, id int64, node string, now, leaseUntil time.Time, force bool) (bool, error) {
	q := `UPDATE feed_sources SET claimed_by = $2, claimed_until = $3 WHERE id = $1 AND claimed_until < $4`
	if !force {
		q += ` AND enabled = TRUE AND next_sync_at <= $4`
	}
	res, err := d.db.ExecContext(ctx, q, id, node, ts(leaseUntil), ts(now))
	if err != nil {
		return false, d.translate(err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// extendFeedLease keeps a long sync's lease; false means another node took
// the source over (the lease had run out) and this sync must stop.
func (d *DB) extendFeedLease(ctx context.Context, id int64, node string, leaseUntil time.Time) (bool, error) {
	res, err := d.db.ExecContext(ctx, `UPDATE feed_sources SET claimed_until = $3 WHERE id = $1 AND claimed_by = $2`, id, node, ts(leaseUntil))
	if err != nil {
		return false, d.translate(err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// dueFeedSources returns the ids of enabled sources due at now, oldest due first.
func (d *DB) dueFeedSources(ctx context.Context, now time.Time) ([]int64, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id FROM feed_sources WHERE enabled = TRUE AND next_sync_at <= $1 AND claimed_until < $1
		ORDER BY next_sync_at, id`, ts(now))
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, d.translate(err)
		}
		out = append(out, id)
	}
	return out, d.translate(rows.Err())
}

// FeedSyncResult is the outcome of syncing one source.
type FeedSyncResult struct {
	SourceID int64      `json:"source_id,omitempty"`
	URL      string     `json:"url"`
	Started  time.Time  `json:"started"`
	Finished time.Time  `json:"finished"`
	Cursor   time.Time  `json:"cursor"` // where the next sync starts
	Counts   FeedCounts `json:"counts"`
	// Err is the source-level failure (metadata or listing unreachable,
	// lease lost); DocErrors are the documents that failed.
	Err       string   `json:"error,omitempty"`
	DocErrors []string `json:"document_errors,omitempty"`
}

// OK reports whether the sync listed the source and every document went in.
func (r FeedSyncResult) OK() bool { return r.Err == "" && len(r.DocErrors) == 0 }

// RecordSync stores the outcome of a sync made under node's lease and
// releases it: the cursor moves on, the source is due again one interval
// later, and errors are kept for the feeds page.
func (d *DB) RecordSync(ctx context.Context, node string, r FeedSyncResult) error {
	docErrs := r.DocErrors
	if len(docErrs) > maxDocErrors {
		docErrs = append(docErrs[:maxDocErrors:maxDocErrors], fmt.Sprintf("… and %d more", len(r.DocErrors)-maxDocErrors))
	}
	lastErr := r.Err
	if lastErr == "" && len(r.DocErrors) > 0 {
		lastErr = fmt.Sprintf("%d of %d documents failed", len(r.DocErrors), r.Counts.Documents)
	}
	var cursor sql.NullInt64
	if !r.Cursor.IsZero() {
		cursor = sql.NullInt64{Int64: ts(r.Cursor), Valid: true}
	}
	var success sql.NullInt64
	if r.Err == "" {
		success = sql.NullInt64{Int64: ts(r.Finished), Valid: true}
	}
	res, err := d.db.ExecContext(ctx, `UPDATE feed_sources SET last_sync_at = $3, last_success_at = COALESCE($4, last_success_at),
		last_cursor = COALESCE($5, last_cursor), last_error = $6, last_doc_errors = $7, last_counts = $8,
		documents_seen = documents_seen + $9, next_sync_at = $10 + interval_seconds * 1000000, claimed_until = 0
		WHERE id = $1 AND claimed_by = $2`,
		r.SourceID, node, ts(r.Finished), success, cursor, trunc(lastErr, 2000), jsonText(truncAll(docErrs, 1000), "[]"),
		jsonText(r.Counts, "{}"), r.Counts.Documents, ts(r.Finished))
	if err != nil {
		return d.translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return aceso.Errorf(aceso.ECONFLICT, "feed source %d: sync lease lost to another node", r.SourceID)
	}
	return nil
}

func truncAll(ss []string, n int) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = trunc(s, n)
	}
	return out
}
