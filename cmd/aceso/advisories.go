package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/store"
)

const advisoriesUsage = `Usage: aceso advisories <action> PATH [flags]

Actions:
  import PATH   store CSAF advisories from a file, a directory (recursively) or a .tar.gz,
                then match the new and changed ones against every organisation's devices
  kev FILE      store the CISA KEV catalogue (known_exploited_vulnerabilities.json) and
                recompute every finding's priority
  sync [URL]    sync every enabled CSAF feed source configured on the Feeds page (due or
                not), or, with URL, that provider-metadata.json or aggregator.json once
                (--since TIME: only documents changed after it); changed documents are
                checked against their hash files, stored, matched, and the affected
                members' admins alerted

New findings of imported or synced advisories are alerted to each affected
member's admins (e-mail, and the member's webhook) through the outbox.

Every action also takes --db (and --config); changes are audited as "system".
`

// cmdAdvisories ingests advisories and the KEV catalogue from the command
// line: the CSIRT's bulk path next to the upload form and API.
func cmdAdvisories(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, advisoriesUsage)
		if len(args) == 0 {
			return usageError{fmt.Errorf("missing action: import, kev or sync")}
		}
		return nil
	}
	action, rest := args[0], args[1:]
	if action != "import" && action != "kev" && action != "sync" {
		return usageError{fmt.Errorf("unknown advisories action %q: import, kev or sync", action)}
	}
	// The path may come before or after the flags.
	var path string
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		path, rest = rest[0], rest[1:]
	}
	fs := newFlagSet("advisories "+action, "advisories "+action+" PATH [flags]", stderr)
	var since *string
	if action == "sync" {
		since = fs.String("since", "", "with a URL: only documents changed after this `time` (RFC 3339)")
	}
	cfg, err := parseConfig(fs, rest, getenv)
	if err != nil {
		return err
	}
	if path == "" && fs.NArg() > 0 {
		path = fs.Arg(0)
	}
	if path == "" && action != "sync" {
		return usageError{fmt.Errorf("advisories %s needs a PATH", action)}
	}
	var sinceTime time.Time
	if since != nil && *since != "" {
		if path == "" {
			return usageError{fmt.Errorf("--since needs a URL: configured sources continue from their own cursor")}
		}
		if sinceTime, err = time.Parse(time.RFC3339, *since); err != nil {
			return usageError{fmt.Errorf("--since %q is not an RFC 3339 time like 2024-10-15T00:00:00Z", *since)}
		}
	}
	db, err := openDB(ctx, cfg, cfg.AutoMigrate, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	if action == "kev" {
		return importKEVFile(ctx, db, path, stdout)
	}
	if action == "sync" {
		return syncFeeds(ctx, newFeedSyncer(db, slog.New(slog.DiscardHandler)), path, sinceTime, stdout, stderr)
	}
	_, err = importAdvisories(ctx, db, path, stdout, stderr)
	return err
}

// advisoryImport counts what an import run did.
type advisoryImport struct {
	Documents, New, Updated, Unchanged, Older, Failed, Warnings int
	Report                                                      store.RematchReport
	Alerts                                                      store.AlertReport
	ImportTime, MatchTime                                       time.Duration
}

// importAdvisories walks path, stores every document (one transaction
// each, so that one bad document costs only itself) and matches the new and
// changed ones in one run. A document that does not parse is reported with
// its name and skipped; the import fails only when nothing could be read.
func importAdvisories(ctx context.Context, db *store.DB, path string, stdout, stderr io.Writer) (advisoryImport, error) {
	var (
		st      advisoryImport
		changed []int64
	)
	start := time.Now()
	err := advisory.Walk(path, func(a *advisory.Advisory, perr error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		st.Documents++
		if perr != nil {
			st.Failed++
			fmt.Fprintf(stderr, "skipped: %s\n", message(perr))
			return nil
		}
		st.Warnings += len(a.Warnings)
		var res store.ImportResult
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			res, err = tx.ImportAdvisory(ctx, access.System, a)
			return err
		})
		if err != nil {
			st.Failed++
			fmt.Fprintf(stderr, "skipped: %s (%s): %s\n", a.ID, a.Source, message(err))
			return nil
		}
		switch res.Outcome {
		case "new":
			st.New++
		case "updated":
			st.Updated++
		case "older":
			st.Older++
		default:
			st.Unchanged++
		}
		if res.Changed() {
			changed = append(changed, res.ID)
		}
		return nil
	})
	st.ImportTime = time.Since(start)
	if err != nil {
		return st, fmt.Errorf("import %s: %w", path, err)
	}
	fmt.Fprintf(stdout, "Advisories: %d documents read in %s: %d new, %d updated, %d unchanged, %d older revisions ignored, %d failed; %d parser warnings\n",
		st.Documents, st.ImportTime.Round(time.Millisecond), st.New, st.Updated, st.Unchanged, st.Older, st.Failed, st.Warnings)
	if st.Documents > 0 && st.Failed == st.Documents {
		return st, fmt.Errorf("import %s: no document could be imported", path)
	}
	if len(changed) == 0 {
		return st, nil
	}
	start = time.Now()
	st.Report, st.Alerts, err = db.RematchAndAlert(ctx, changed)
	st.MatchTime = time.Since(start)
	if err != nil {
		return st, err
	}
	t := st.Report.Total
	fmt.Fprintf(stdout, "Matching: %d advisories against %d devices of %d organisations in %s: %d new findings, %d updated, %d reopened, %d closed as remediated; %d alerts queued\n",
		st.Report.Advisories, st.Report.Devices, st.Report.Orgs, st.MatchTime.Round(time.Millisecond), t.New, t.Updated, t.Reopened, t.Resolved, st.Alerts.Enqueued)
	return st, nil
}

// importKEVFile stores the KEV catalogue and re-matches every advisory,
// since exploitation feeds every priority.
func importKEVFile(ctx context.Context, db *store.DB, path string, stdout io.Writer) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("kev: %w", err)
	}
	entries, err := advisory.ParseKEV(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var c store.KEVCount
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		c, err = tx.ImportKEV(ctx, access.System, entries)
		return err
	}); err != nil {
		return err
	}
	rep, err := db.RematchAdvisories(ctx, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "KEV: %d entries (%d new); %d findings re-prioritised across %d organisations\n", c.Entries, c.New, rep.Total.Updated, rep.Orgs)
	return nil
}
