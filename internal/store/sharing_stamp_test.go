package store_test

import (
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// TestSharingStampChangesOnEveryWrite proves the exporters' cache key moves
// on each sharing write, including the cases a count/max(id)/max(time)
// fingerprint missed: re-sharing the newest observable after unsharing it
// (SQLite reuses the highest rowid) with the clock standing still, and a
// change of an organisation's serving organisation.
func TestSharingStampChangesOnEveryWrite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		db.Now = func() time.Time { return t0 }
		s := seed(t, db)
		seen := map[string]string{}
		step := func(name string) {
			t.Helper()
			st, err := db.SharingStamp(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if prev, dup := seen[st]; dup {
				t.Fatalf("after %s the stamp %q is the same as after %s", name, st, prev)
			}
			seen[st] = name
		}
		step("seed")
		obs := shareOne(t, db, s.aAdmin, "c2.stamp.example", share.TLPGreen, 0)
		step("share")
		if err := unshare(db, s.aAdmin, obs.ID); err != nil {
			t.Fatal(err)
		}
		step("unshare")
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ShareObservable(ctx, s.aAdmin, obs.IncidentID, "domain", "c2.stamp.example", share.TLPGreen, 0)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		step("re-share of the same observable at the same instant")
		// The re-share may have a new id: relabel the row that is shared now.
		list, err := db.SharedObservables(ctx, s.aAdmin)
		if err != nil || len(list) != 1 {
			t.Fatalf("shared observables: %v %v", list, err)
		}
		if _, err := relabel(db, s.aAdmin, list[0].ID, share.TLPAmber, ""); err != nil {
			t.Fatal(err)
		}
		step("relabel")
		parent := s.a.ID
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.SetOrgClientOf(ctx, s.csirtAdmin, s.b.ID, &parent)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		step("client_of")
	})
}
