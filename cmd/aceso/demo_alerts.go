package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
)

// loadDemoAlerts publishes one CSIRT alert from the demo advisory that hits
// the most demo hospitals, to exactly those hospitals, and acknowledges it
// for the first of them, so that both the inbox and the CSIRT's follow-up
// show data. It runs after the demo advisories are matched and does
// nothing once any alert exists.
func loadDemoAlerts(ctx context.Context, db *store.DB, stdout io.Writer) error {
	if list, err := db.Alerts(ctx, access.System, store.AlertFilter{Limit: 1}); err != nil || len(list) > 0 {
		return err
	}
	advs, err := db.Advisories(ctx, access.System, store.AdvisoryFilter{Query: "DEMO", Limit: 100})
	if err != nil {
		return err
	}
	var (
		best     int64
		affected []access.Org
	)
	for _, a := range advs {
		orgs, err := db.AffectedMembers(ctx, access.System, a.ID)
		if err != nil {
			return err
		}
		if len(orgs) > len(affected) {
			best, affected = a.ID, orgs
		}
	}
	if best == 0 {
		return nil // no demo advisory hits a demo hospital: nothing to alert
	}
	draft, err := db.AlertDraft(ctx, access.System, best)
	if err != nil {
		return err
	}
	deadline := db.Now().UTC().Add(7 * 24 * time.Hour).Truncate(time.Hour)
	draft.Input.Deadline = &deadline
	var alert store.Alert
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		alert, err = tx.PublishAlert(ctx, access.System, draft.Input)
		return err
	}); err != nil {
		return fmt.Errorf("demo alert: %w", err)
	}
	acked := 0
	for _, o := range demoSector {
		for _, du := range o.users {
			u, err := db.UserByEmail(ctx, du.email)
			if err != nil || u.OrgID != affected[0].ID || !u.Role.AtLeast(access.RoleReporter) || acked > 0 {
				continue
			}
			p, err := db.PrincipalFor(ctx, u)
			if err != nil {
				return err
			}
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.AckAlert(ctx, p, alert.ID, store.AckInProgress, "Firmware update scheduled for Saturday night; affected pumps isolated meanwhile (demo).")
				return err
			}); err != nil {
				return fmt.Errorf("demo alert acknowledgement: %w", err)
			}
			acked++
		}
	}
	fmt.Fprintf(stdout, "Demo alert published (fictitious): %q to %d hospitals, %d acknowledged.\n\n", alert.Title, len(affected), acked)
	return nil
}
