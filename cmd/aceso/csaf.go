package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/web"
)

const csafUsage = `Usage: aceso csaf <action> [flags]

Actions:
  key            list the CSAF provider's OpenPGP signing keys and print the
                 active public key and fingerprint, generating the key
                 (Ed25519) at first use; private keys stay in the database
                 and are never printed
  key rotate     make a new key the active one; the previous key is retired
                 but stays listed in provider-metadata.json for --grace
                 (default 30d) so that older signatures still verify

With ACESO_CSAF_KEY_PASSPHRASE (or ACESO_CSAF_KEY_PASSPHRASE_FILE) set, the
private keys are stored encrypted with it; plaintext keys are encrypted the
first time a passphrase is configured. The provider itself is served by
'aceso serve' under /.well-known/csaf/.
Every action also takes --db (and --config).
`

// cmdCSAF manages the CSAF trusted provider.
func cmdCSAF(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, csafUsage)
		if len(args) == 0 {
			return usageError{fmt.Errorf("missing action")}
		}
		return nil
	}
	action, rest := args[0], args[1:]
	if action != "key" {
		return usageError{fmt.Errorf("csaf: unknown action %q (want key or key rotate)", action)}
	}
	rotate := len(rest) > 0 && rest[0] == "rotate"
	name, synopsis := "csaf key", "csaf key [flags]"
	if rotate {
		rest = rest[1:]
		name, synopsis = "csaf key rotate", "csaf key rotate [--grace 30d] [flags]"
	}
	fs := newFlagSet(name, synopsis, stderr)
	var grace string
	if rotate {
		fs.StringVar(&grace, "grace", "30d", "how long the retired key stays listed in provider-metadata.json: days (30d) or a duration (12h)")
	}
	cfg, err := parseConfig(fs, rest, getenv)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("%s: unexpected argument %q", name, fs.Arg(0))}
	}
	var graceD time.Duration
	if rotate {
		if graceD, err = web.ParseCSAFKeyGrace(grace); err != nil {
			return usageError{fmt.Errorf("--grace: %w", err)}
		}
	}
	db, err := openDB(ctx, cfg, cfg.AutoMigrate, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	kr := csafKeyring(cfg, db)
	// Without a passphrase, listing needs no private key; with one, or
	// before creating a key, the stored keys must agree with it.
	if rotate || len(kr.Passphrase) > 0 {
		if err := protectCSAFKeys(ctx, kr, stdout); err != nil {
			return err
		}
	}
	if rotate {
		nk, err := kr.Rotate(ctx, access.System, graceD)
		if err != nil {
			return fmt.Errorf("csaf key rotate: %w", err)
		}
		fmt.Fprintf(stdout, "New active key: %s\nSignatures are made with it from the next request on; the previous key stays listed for %s.\n\n", nk.Fingerprint, grace)
	}
	active, err := kr.Active(ctx)
	if err != nil {
		return fmt.Errorf("csaf key: %w", err)
	}
	keys, err := db.CSAFKeys(ctx)
	if err != nil {
		return fmt.Errorf("csaf key: %w", err)
	}
	fmt.Fprintf(stdout, "Fingerprint: %s\nServed at:   %s/.well-known/csaf/openpgp/%s.asc\n\n", active.Fingerprint, cfg.PublicURL, active.Fingerprint)
	printCSAFKeys(stdout, keys, time.Now())
	fmt.Fprintf(stdout, "\n%s", active.Public)
	return nil
}

// csafKeyring is the key ring with the configured passphrase.
func csafKeyring(cfg Config, db *store.DB) web.CSAFKeyring {
	var pass []byte
	if cfg.CSAFKeyPassphrase != "" {
		pass = []byte(cfg.CSAFKeyPassphrase)
	}
	return web.CSAFKeyring{DB: db, Passphrase: pass}
}

// protectCSAFKeys checks the stored keys against the configured passphrase
// and encrypts plaintext ones with it; a wrong or missing passphrase is an
// error that says what to set.
func protectCSAFKeys(ctx context.Context, kr web.CSAFKeyring, out io.Writer) error {
	n, err := kr.Protect(ctx)
	if err != nil {
		return aceso.Wrap(aceso.ErrorCode(err), err, "%s (the passphrase comes from ACESO_CSAF_KEY_PASSPHRASE or ACESO_CSAF_KEY_PASSPHRASE_FILE)", aceso.ErrorMessage(err))
	}
	if n > 0 && out != nil {
		fmt.Fprintf(out, "Encrypted %d stored CSAF signing key(s) with the configured passphrase.\n", n)
	}
	return nil
}

// printCSAFKeys lists keys as a table: fingerprint, state, created,
// retired, and until when a retired key stays listed.
func printCSAFKeys(w io.Writer, keys []store.CSAFKey, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FINGERPRINT\tSTATE\tCREATED\tRETIRED\tLISTED UNTIL")
	day := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, k := range keys {
		state := k.State
		if k.State == store.CSAFKeyRetired && !k.Listed(now) {
			state += " (unlisted)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.Fingerprint, state, day(k.CreatedAt), day(k.RetiredAt), day(k.ListedUntil))
	}
	_ = tw.Flush()
}
