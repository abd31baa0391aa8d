package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
)

// FeedClient lists and fetches a provider's changed documents; advisory.Feed
// is the real one. Sync calls fn for each document changed after since, as
// (nil, err) for one that cannot be fetched, verified or parsed, and returns
// the cursor for the next sync.
type FeedClient interface {
	Sync(ctx context.Context, metadataURL string, since time.Time, fn func(a *advisory.Advisory, err error) error) (time.Time, error)
}

// FeedSyncer is the advisory sync job: it takes the lease of each due
// source, imports its changed documents (one transaction per document, so a
// bad one costs only itself), matches the new and updated advisories and
// alerts the affected members. Any number of serve nodes may run one.
type FeedSyncer struct {
	DB   *DB
	Feed FeedClient
	Node string // unique per process, e.g. hostname:pid
	// Lease is how long a claim lasts without renewal; the sync renews it
	// as it goes. 0 means 10 minutes.
	Lease time.Duration
	Log   *slog.Logger
}

func (s *FeedSyncer) lease() time.Duration {
	if s.Lease > 0 {
		return s.Lease
	}
	return 10 * time.Minute
}

func (s *FeedSyncer) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// errLeaseLost stops a sync whose source another node took over.
var errLeaseLost = errors.New("sync lease lost to another node")

// SyncDue syncs every enabled source that is due and not held by another
// node. Errors of one source are recorded on it and do not stop the others.
func (s *FeedSyncer) SyncDue(ctx context.Context) ([]FeedSyncResult, error) {
	ids, err := s.DB.dueFeedSources(ctx, s.DB.Now())
	if err != nil {
		return nil, err
	}
	return s.syncSources(ctx, ids, false)
}

// SyncAll syncs every enabled source now, due or not (the CLI's
// `advisories sync`); sources leased by another node are skipped.
func (s *FeedSyncer) SyncAll(ctx context.Context) ([]FeedSyncResult, error) {
	srcs, err := s.DB.FeedSources(ctx, access.System)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, f := range srcs {
		if f.Enabled {
			ids = append(ids, f.ID)
		}
	}
	return s.syncSources(ctx, ids, true)
}

func (s *FeedSyncer) syncSources(ctx context.Context, ids []int64, force bool) ([]FeedSyncResult, error) {
	var (
		out  []FeedSyncResult
		errs []error
	)
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		r, ok, err := s.SyncSource(ctx, id, force)
		if err != nil {
			// One source's store trouble (a lost lease) does not stop the others.
			errs = append(errs, fmt.Errorf("feed source %d: %w", id, err))
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, errors.Join(errs...)
}

// SyncSource syncs one configured source under its lease and records the
// outcome on it. ok is false when the source was not claimed (another node
// holds it, or, without force, it is disabled or not due). err is for
// failures of the store itself; the source's own problems are in the result.
func (s *FeedSyncer) SyncSource(ctx context.Context, id int64, force bool) (res FeedSyncResult, ok bool, err error) {
	now := s.DB.Now()
	ok, err = s.DB.ClaimFeedSource(ctx, id, s.Node, now, now.Add(s.lease()), force)
	if err != nil || !ok {
		return res, false, err
	}
	src, err := s.DB.FeedSource(ctx, access.System, id)
	if err != nil {
		return res, false, err
	}
	var since time.Time
	if src.Cursor != nil {
		since = *src.Cursor
	}
	// A panic in a parser or matcher must not take serve down, nor keep the
	// lease until it runs out: it becomes the source's error.
	func() {
		defer func() {
			if p := recover(); p != nil {
				res.Err = fmt.Sprintf("internal error: %v", p)
				res.Cursor = time.Time{}
			}
		}()
		res = s.sync(ctx, src.URL, src.OpenPGPKey, since, id)
	}()
	res.SourceID, res.URL = id, src.URL
	if res.Finished.IsZero() {
		res.Finished = s.DB.Now()
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		// Shutting down: record with a fresh context so the lease is released.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		ctx = rctx
	}
	if err := s.DB.RecordSync(ctx, s.Node, res); err != nil {
		return res, true, err
	}
	if !res.OK() {
		s.log().Warn("feed sync", "feed", src.URL, "error", res.Err, "failed_documents", len(res.DocErrors))
	}
	return res, true, nil
}

// SyncURL syncs an ad-hoc provider URL that is not a configured source
// (the CLI's `advisories sync URL`), from since; nothing is recorded but
// the advisories, findings and alerts.
func (s *FeedSyncer) SyncURL(ctx context.Context, metadataURL string, since time.Time) FeedSyncResult {
	r := s.sync(ctx, metadataURL, "", since, 0)
	r.URL = metadataURL
	return r
}

// sync runs one feed: import each document in its own transaction, then
// match the changed advisories and enqueue the alerts. With a source id it
// renews that source's lease as it goes and stops when it lost it.
func (s *FeedSyncer) sync(ctx context.Context, metadataURL, openPGPKey string, since time.Time, sourceID int64) FeedSyncResult {
	r := FeedSyncResult{Started: s.DB.Now(), Cursor: since}
	client := s.Feed
	if strings.TrimSpace(openPGPKey) != "" {
		// A provider with a configured key must sign every document.
		kf, ok := client.(interface {
			WithOpenPGPKey(string) (*advisory.Feed, error)
		})
		if !ok {
			r.Err = "an OpenPGP key is configured but this feed client cannot verify signatures"
			return r
		}
		signed, err := kf.WithOpenPGPKey(openPGPKey)
		if err != nil {
			r.Err = "OpenPGP key: " + aceso.ErrorMessage(err)
			return r
		}
		client = signed
	}
	var changed []int64
	renewed := r.Started
	next, err := client.Sync(ctx, metadataURL, since, func(a *advisory.Advisory, ferr error) error {
		r.Counts.Documents++
		if sourceID != 0 && s.DB.Now().Sub(renewed) > s.lease()/3 {
			renewed = s.DB.Now()
			held, err := s.DB.extendFeedLease(ctx, sourceID, s.Node, renewed.Add(s.lease()))
			if err != nil {
				return err
			}
			if !held {
				return errLeaseLost
			}
		}
		if ferr != nil {
			r.Counts.Failed++
			r.DocErrors = append(r.DocErrors, ferr.Error())
			return nil
		}
		var res ImportResult
		err := s.DB.InTx(ctx, func(tx *Tx) error {
			var err error
			res, err = tx.ImportAdvisory(ctx, access.System, a)
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.Counts.Failed++
			r.DocErrors = append(r.DocErrors, fmt.Sprintf("%s (%s): %s", a.ID, a.Source, aceso.ErrorMessage(err)))
			return nil
		}
		switch res.Outcome {
		case "new":
			r.Counts.New++
		case "updated":
			r.Counts.Updated++
		default:
			r.Counts.Unchanged++
		}
		if res.Changed() {
			changed = append(changed, res.ID)
		}
		return nil
	})
	if err != nil {
		r.Err = err.Error()
	}
	// What was imported is matched even when the sync stopped half-way:
	// the documents are stored, and a later sync would find them unchanged.
	if len(changed) > 0 {
		mctx := ctx
		if ctx.Err() != nil {
			var cancel context.CancelFunc
			mctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
		}
		rep, alerts, merr := s.DB.RematchAndAlert(mctx, changed)
		r.Counts.NewFindings, r.Counts.Alerts = rep.Total.New, alerts.Enqueued
		if merr != nil {
			if r.Err != "" {
				r.Err += "; "
			}
			// The cursor still moves on: the documents are stored, and a
			// refetch would find them unchanged and not match them either.
			r.Err += "match: " + merr.Error()
		}
	}
	// Feed.Sync never moves the cursor past a document that failed.
	r.Cursor = next
	r.Finished = s.DB.Now()
	return r
}
