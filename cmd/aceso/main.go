// Command aceso is the Aceso security platform for hospitals and their
// health-sector CSIRT: one binary that serves the web UI and API, migrates
// the database, administers users and matches advisories offline.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/store"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// it comes from the module's build information.
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += "+" + s.Value[:12]
			}
		}
		if v != "" {
			return v
		}
	}
	return "dev"
}

const usage = `aceso — security platform for hospitals and their health-sector CSIRT

Usage:
  aceso <command> [flags]

Commands:
  serve         run the web UI and API (SQLite in ./aceso-data by default)
  migrate       apply database migrations
  user          manage organisations, users, passwords and API tokens
  inventory     import a CMMS/spreadsheet device inventory, export it as CSV
  incident      list, show and export incidents with their regulatory deadlines
  audit verify  verify the hash chain of the audit log
  advisories    import CSAF advisories (file, directory, .tar.gz) and the KEV catalogue; match them
  match         match an inventory file against CSAF advisories, offline
  share         export the MISP feed or a STIX 2.1 bundle of a channel; import MISP events
  taxii pull    pull a TAXII 2.1 collection into an organisation's intel
  csaf key      list the CSAF provider's OpenPGP signing keys, print the active public key; 'csaf key rotate'
  version       print the version

Run 'aceso <command> --help' for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run executes one command and returns the process exit code: 0 success,
// 1 failure, 2 bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = cmdServe(ctx, rest, stdout, stderr, getenv)
	case "migrate":
		err = cmdMigrate(ctx, rest, stdout, stderr, getenv)
	case "user":
		err = cmdUser(ctx, rest, stdout, stderr, getenv)
	case "inventory":
		err = cmdInventory(ctx, rest, stdout, stderr, getenv)
	case "incident":
		err = cmdIncident(ctx, rest, stdout, stderr, getenv)
	case "audit":
		err = cmdAudit(ctx, rest, stdout, stderr, getenv)
	case "advisories":
		err = cmdAdvisories(ctx, rest, stdout, stderr, getenv)
	case "match":
		err = runMatch(rest, stdout, stderr)
	case "share":
		err = cmdShare(ctx, rest, stdout, stderr, getenv)
	case "taxii":
		err = cmdTAXII(ctx, rest, stdout, stderr, getenv)
	case "csaf":
		err = cmdCSAF(ctx, rest, stdout, stderr, getenv)
	case "version", "--version":
		fmt.Fprintln(stdout, "aceso", buildVersion())
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "aceso: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "aceso: %v\n", err)
		return 2
	}
	fmt.Fprintf(stderr, "aceso: %s\n", message(err))
	return 1
}

// usageError marks a wrong command line (exit code 2).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// message is the one line printed for an error: the safe message of an
// aceso error (its cause is for logs), or the error itself.
func message(err error) string {
	var ae *aceso.Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	return err.Error()
}

// newFlagSet returns a flag set that reports errors to the caller and
// prints its usage on stderr.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: aceso %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseConfig parses flags and configuration; a flag error is a usage error.
func parseConfig(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	cfg, err := loadConfig(fs, args, getenv)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return cfg, usageError{err}
	}
	return cfg, err
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openDB opens the configured database and, when migrate is set, brings
// its schema up to date; otherwise it refuses an outdated schema.
func openDB(ctx context.Context, cfg Config, migrate bool, log *slog.Logger) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	// Every command sees the deployment's regulatory regimes and report recipients.
	cfg.applyIncidentSettings(db)
	if migrate {
		applied, err := db.Migrate(ctx)
		if err != nil {
			db.Close()
			return nil, err
		}
		if len(applied) > 0 && log != nil {
			log.Info("database migrated", "versions", applied, "dialect", db.Dialect())
		}
		return db, nil
	}
	have, want, err := db.SchemaVersion(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if have < want {
		db.Close()
		return nil, aceso.Errorf(aceso.EINVALID, "database lacks %d of this aceso's %d schema migrations; run 'aceso migrate' first", want-have, want)
	}
	return db, nil
}
