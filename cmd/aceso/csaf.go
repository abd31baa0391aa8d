package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aceso-health/aceso/internal/web"
)

const csafUsage = `Usage: aceso csaf <action> [flags]

Actions:
  key    print the CSAF provider's OpenPGP public key and fingerprint,
         generating the key (Ed25519) at first use; the private key stays
         in the database and is never printed

The provider itself is served by 'aceso serve' under /.well-known/csaf/.
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
		return usageError{fmt.Errorf("csaf: unknown action %q (want key)", action)}
	}
	fs := newFlagSet("csaf key", "csaf key [flags]", stderr)
	cfg, err := parseConfig(fs, rest, getenv)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg, cfg.AutoMigrate, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	k, err := web.CSAFKey(ctx, db, func() time.Time { return time.Now().UTC() })
	if err != nil {
		return fmt.Errorf("csaf key: %w", err)
	}
	fmt.Fprintf(stdout, "Fingerprint: %s\nServed at:   /.well-known/csaf/openpgp/%s.asc\n\n%s", k.Fingerprint, k.Fingerprint, k.Public)
	return nil
}
