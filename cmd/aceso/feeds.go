package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/store"
)

// nodeName identifies this process in leases (feed sources, outbox).
func nodeName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// newFeedSyncer is the sync job with the real HTTP client.
func newFeedSyncer(db *store.DB, log *slog.Logger) *store.FeedSyncer {
	return &store.FeedSyncer{DB: db, Feed: &advisory.Feed{}, Node: nodeName(), Log: log}
}

// syncFeeds is `aceso advisories sync [URL]`: with a URL, that provider or
// aggregator ad hoc (from since; nothing is recorded but the advisories);
// without, every enabled configured source, due or not. It prints one
// summary per source and each failed document, and fails when any source
// or document failed, so that a cron job notices.
func syncFeeds(ctx context.Context, s *store.FeedSyncer, metadataURL string, since time.Time, stdout, stderr io.Writer) error {
	var results []store.FeedSyncResult
	if metadataURL != "" {
		results = []store.FeedSyncResult{s.SyncURL(ctx, metadataURL, since)}
	} else {
		var err error
		results, err = s.SyncAll(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "error: %s\n", message(err))
		}
		if len(results) == 0 {
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, "No enabled feed sources to sync (add one on the Feeds page or with POST /api/v1/feeds), or another node is syncing them.")
			return nil
		}
	}
	failed := 0
	for _, r := range results {
		c := r.Counts
		fmt.Fprintf(stdout, "Feed %s: %d documents: %d new, %d updated, %d unchanged, %d failed; %d new findings, %d alerts queued",
			r.URL, c.Documents, c.New, c.Updated, c.Unchanged, c.Failed, c.NewFindings, c.Alerts)
		if !r.Cursor.IsZero() {
			fmt.Fprintf(stdout, "; next sync from changes after %s", r.Cursor.UTC().Format(time.RFC3339))
		}
		fmt.Fprintln(stdout)
		if r.Err != "" {
			fmt.Fprintf(stderr, "error: %s: %s\n", r.URL, r.Err)
		}
		for _, e := range r.DocErrors {
			fmt.Fprintf(stderr, "document failed: %s\n", strings.TrimSpace(e))
		}
		if !r.OK() {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d feeds had errors", failed, len(results))
	}
	return nil
}

// feedScheduler syncs due feed sources every interval until ctx ends. Each
// node runs one; the lease on each source lets only one node sync it, and a
// failure is recorded on the source, never fatal to serve.
func feedScheduler(ctx context.Context, s *store.FeedSyncer, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					log.Error("feed sync panicked", "panic", p)
				}
			}()
			if _, err := s.SyncDue(ctx); err != nil && ctx.Err() == nil {
				log.Warn("feed sync", "err", err)
			}
		}()
	}
}
