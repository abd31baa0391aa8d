package main

import (
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"path"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/store"
)

// demoAdvisoryFS holds Aceso's own fictitious CSAF advisories for the demo
// sector (title prefix "DEMO", CVE-2099-* ids, a demo-data note in each):
// shaped like CISA's ICSMA advisories and naming the manufacturers and
// models of the generated demo inventory, so demo hospitals show findings.
//
//go:embed demodata/*.json
var demoAdvisoryFS embed.FS

// loadDemoAdvisories imports the demo advisories and matches the new or
// changed ones against every organisation. It is idempotent: on later
// starts every document is unchanged and nothing is written.
func loadDemoAdvisories(ctx context.Context, db *store.DB, stdout io.Writer) error {
	names, err := fs.Glob(demoAdvisoryFS, "demodata/*.json")
	if err != nil {
		return err
	}
	var changed []int64
	for _, name := range names {
		data, err := demoAdvisoryFS.ReadFile(name)
		if err != nil {
			return err
		}
		a, err := advisory.Parse(data)
		if err != nil {
			return fmt.Errorf("demo advisory %s: %w", name, err)
		}
		a.Source = "demo:" + path.Base(name)
		var res store.ImportResult
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			res, err = tx.ImportAdvisory(ctx, access.System, a)
			return err
		}); err != nil {
			return fmt.Errorf("demo advisory %s: %w", name, err)
		}
		if res.Changed() {
			changed = append(changed, res.ID)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	rep, err := db.RematchAdvisories(ctx, changed)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Demo advisories loaded (fictitious): %d advisories, %d findings on %d devices of %d organisations.\n\n",
		len(changed), rep.Total.New, rep.Devices, rep.Orgs)
	return nil
}
