package main

import (
	"context"
	"fmt"
	"io"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/inventory"
	"github.com/aceso-health/aceso/internal/store"
)

// demoInventorySizes are the demo hospitals' inventory sizes: different
// on purpose, so that lists and statistics differ between them.
var demoInventorySizes = []int{420, 260, 330}

// loadDemoInventory gives every demo hospital a few hundred realistic
// (generated, fictitious) devices. It skips a hospital that has devices
// already, so a restart with --demo changes nothing.
func loadDemoInventory(ctx context.Context, db *store.DB, stdout io.Writer) error {
	var members []access.Org
	for _, o := range demoSector {
		if o.kind != access.KindMember {
			continue
		}
		org, err := db.OrgByName(ctx, o.org)
		if aceso.ErrorCode(err) == aceso.ENOTFOUND {
			continue
		}
		if err != nil {
			return err
		}
		members = append(members, org)
	}
	sector := inventory.GenerateSector(len(members), demoInventorySizes[0], 2026)
	for i, org := range members {
		p := access.Principal{UserName: "system", OrgID: org.ID, OrgKind: org.Kind, Role: access.RoleAdmin}
		page, err := db.ListDevices(ctx, p, store.DeviceFilter{Limit: 1})
		if err != nil {
			return err
		}
		if len(page.Devices) > 0 {
			continue
		}
		devs := sector[i][:demoInventorySizes[i%len(demoInventorySizes)]]
		recs := make([]inventory.Record, len(devs))
		for j, d := range devs {
			recs[j] = inventory.Record{Row: j + 2, Device: d}
		}
		var rep store.ImportReport
		err = db.InTx(ctx, func(tx *store.Tx) error {
			rep, err = tx.ImportDevices(ctx, p, recs, store.ImportOptions{FileName: "demo inventory"})
			return err
		})
		if err != nil {
			return fmt.Errorf("demo inventory of %s: %w", org.Name, err)
		}
		fmt.Fprintf(stdout, "Demo inventory: %d devices for %s.\n", rep.New, org.Name)
	}
	return nil
}
