package store_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// A source configured with the provider's OpenPGP key imports nothing the
// provider did not sign: this test provider publishes no .asc files, so
// every document is rejected by name and none is stored.
func TestFeedSyncRequiresSignatureWhenKeyed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := newCSAFServer(t, 3)
		w := newFeedWorld(t, db)
		e, err := openpgp.NewEntity("provider", "", "psirt@provider.example", nil)
		if err != nil {
			t.Fatal(err)
		}
		var pub bytes.Buffer
		aw, _ := armor.Encode(&pub, openpgp.PublicKeyType, nil)
		if err := e.Serialize(aw); err != nil {
			t.Fatal(err)
		}
		aw.Close()
		f := store.FeedSource{URL: srv.url(), Name: "signed provider", Enabled: true, Interval: time.Hour, OpenPGPKey: pub.String()}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateFeedSource(ctx, w.csirt, &f) }); err != nil {
			t.Fatal(err)
		}
		res, ok, err := w.syncer(db, "node-a").SyncSource(ctx, f.ID, false)
		if err != nil || !ok {
			t.Fatalf("sync: %v %v", ok, err)
		}
		if res.OK() || res.Counts.New != 0 || len(res.DocErrors) != len(srv.docs) {
			t.Fatalf("unsigned documents imported or not reported: %+v", res)
		}
		for _, e := range res.DocErrors {
			if !strings.Contains(e, "no OpenPGP signature") {
				t.Errorf("document error %q does not name the missing signature", e)
			}
		}
		for _, id := range srv.trackingIDs(t) {
			if _, err := db.AdvisoryIDByTracking(ctx, id); err == nil {
				t.Errorf("unsigned %s was imported", id)
			}
		}
	})
}
