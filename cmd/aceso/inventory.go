package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/inventory"
	"github.com/aceso-health/aceso/internal/store"
	"golang.org/x/term"
)

const inventoryUsage = `Usage: aceso inventory <action> [flags]

Actions:
  import FILE --org ORG [--dry-run] [--valid-only] [--mapping NAME]
        import a CMMS/spreadsheet export (.csv, .tsv, .txt, .xlsx) into an organisation's
        inventory, matching devices by asset tag. All-or-nothing unless --valid-only:
        any rejected row means nothing is written (exit 1). --dry-run only reports.
  export --org ORG [--out FILE]
        write the organisation's devices as CSV (to stdout without --out)

Every action also takes --db (and --config); changes are recorded in the audit log as "system".
`

func cmdInventory(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, inventoryUsage)
		if len(args) == 0 {
			return usageError{fmt.Errorf("missing action: import or export")}
		}
		return nil
	}
	action, rest := args[0], args[1:]
	if action != "import" && action != "export" {
		fmt.Fprint(stderr, inventoryUsage)
		return usageError{fmt.Errorf("unknown inventory action %q", action)}
	}
	// The file may come before the flags ("import FILE --org X"), which the
	// flag package would otherwise take as the end of the flags.
	var file string
	if action == "import" && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		file, rest = rest[0], rest[1:]
	}
	fs := newFlagSet("inventory "+action, "inventory "+action+" [flags]", stderr)
	var (
		org, mapping, out string
		dryRun, validOnly bool
	)
	fs.StringVar(&org, "org", "", "organisation `name`")
	if action == "import" {
		fs.BoolVar(&dryRun, "dry-run", false, "report what the import would do; write nothing")
		fs.BoolVar(&validOnly, "valid-only", false, "import the valid rows even when others are rejected")
		fs.StringVar(&mapping, "mapping", "", "saved column mapping `name` of the organisation")
	} else {
		fs.StringVar(&out, "out", "", "output `file` (default: stdout)")
	}
	cfg, err := parseConfig(fs, rest, getenv)
	if err != nil {
		return err
	}
	if action == "import" && file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if strings.TrimSpace(org) == "" {
		return usageError{fmt.Errorf("inventory %s needs --org", action)}
	}
	if action == "import" && file == "" {
		return usageError{fmt.Errorf("inventory import needs a FILE")}
	}
	db, err := openDB(ctx, cfg, cfg.AutoMigrate, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	o, err := db.OrgByName(ctx, org)
	if err != nil {
		return err
	}
	// Act as the organisation's own administrator: inventory is scoped to it.
	p := access.Principal{UserName: "system", OrgID: o.ID, OrgKind: o.Kind, Role: access.RoleAdmin}
	if action == "export" {
		return exportInventory(ctx, db, p, out, stdout)
	}
	return importInventory(ctx, db, p, o, file, mapping, dryRun, validOnly, stdout)
}

// progress writes a transient status line when stdout is a terminal.
type progress struct {
	w   io.Writer
	tty bool
}

func newProgress(w io.Writer) progress {
	f, ok := w.(*os.File)
	return progress{w: w, tty: ok && term.IsTerminal(int(f.Fd()))}
}

func (p progress) show(format string, args ...any) {
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K"+format, args...)
	}
}

func (p progress) done() {
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func importInventory(ctx context.Context, db *store.DB, p access.Principal, o access.Org, file, mapping string, dryRun, validOnly bool, stdout io.Writer) error {
	prog := newProgress(stdout)
	start := time.Now()
	aliases, err := db.ManufacturerAliases(ctx)
	if err != nil {
		return err
	}
	opt := inventory.ReadOptions{Aliases: aliases}
	if mapping != "" {
		if opt.Mapping, err = db.ImportMapping(ctx, p, mapping); err != nil {
			return err
		}
	}
	prog.show("reading %s …", file)
	res, err := inventory.ReadFile(file, opt)
	if err != nil {
		prog.done()
		return err
	}
	prog.show("importing %d rows into %s …", res.Rows, o.Name)
	var rep store.ImportReport
	err = db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		rep, err = tx.ImportDevices(ctx, p, res.Records, store.ImportOptions{
			FileName: filepath.Base(file), Rejected: res.Rejected, ValidOnly: validOnly, DryRun: dryRun, Columns: res.Columns})
		return err
	})
	prog.done()
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	verb := "imported"
	switch {
	case dryRun:
		verb = "dry run, nothing written:"
	case !rep.Written && err != nil:
		verb = "refused, nothing written:"
	case !rep.Written:
		verb = "nothing to change:"
	}
	fmt.Fprintf(w, "%s %s into %s: %d rows (%s), %d new, %d changed, %d unchanged, %d rejected; %d devices not in the file kept (%s)\n",
		verb, file, o.Name, rep.Rows, res.Encoding, rep.New, rep.Changed, rep.Unchanged, rep.RejectedRows, rep.NotInFile,
		time.Since(start).Round(time.Millisecond))
	for _, e := range rep.Rejected {
		fmt.Fprintf(w, "  %s\n", e.Error())
	}
	if err != nil && aceso.ErrorCode(err) == aceso.EINVALID && rep.RejectedRows > 0 {
		return aceso.Errorf(aceso.EINVALID, "%d of %d rows rejected, nothing imported; fix them or use --valid-only", rep.RejectedRows, rep.Rows)
	}
	if err == nil && rep.Written && rep.New+rep.Changed > 0 {
		// Findings follow the inventory: match the organisation's devices again.
		devs, err := db.AllDevices(ctx, p)
		if err != nil {
			return err
		}
		ids := make([]int64, len(devs))
		for i := range devs {
			ids[i] = devs[i].ID
		}
		c, err := db.RematchDevices(ctx, o.ID, ids)
		if err != nil {
			return fmt.Errorf("devices imported, but matching against advisories failed: %w", err)
		}
		fmt.Fprintf(w, "findings: %d new, %d updated, %d reopened, %d remediated\n", c.New, c.Updated, c.Reopened, c.Resolved)
	}
	return err
}

func exportInventory(ctx context.Context, db *store.DB, p access.Principal, out string, stdout io.Writer) error {
	devs, err := db.AllDevices(ctx, p)
	if err != nil {
		return err
	}
	if out == "" {
		return inventory.WriteCSV(stdout, devs)
	}
	// Write next to the target and rename, so a failed export never leaves half a file.
	tmp, err := os.CreateTemp(filepath.Dir(out), ".aceso-export-*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := inventory.WriteCSV(tmp, devs); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(stdout, "exported %d devices to %s\n", len(devs), out)
	return nil
}
