package store_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// shareOne records value on a new incident of p's organisation and shares
// it under label; it returns the shared observable.
func shareOne(t *testing.T, db *store.DB, p access.Principal, value string, label share.TLP, addressed int64) store.SharedObservable {
	t.Helper()
	inc := mustCreate(t, db, p, ransomware(t0), significant)
	var s store.SharedObservable
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.AddObservable(ctx, p, inc.ID, &incident.Observable{Kind: "domain", Value: value}); err != nil {
			return err
		}
		var err error
		s, err = tx.ShareObservable(ctx, p, inc.ID, "domain", value, label, addressed)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func relabel(db *store.DB, p access.Principal, id int64, label share.TLP, reason string) (store.SharedObservable, error) {
	var out store.SharedObservable
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.RelabelShared(ctx, p, id, label, reason)
		return err
	})
	return out, err
}

func unshare(db *store.DB, p access.Principal, id int64) error {
	return db.InTx(ctx, func(tx *store.Tx) error { return tx.Unshare(ctx, p, id) })
}

// auditOf returns the organisation's audit entries with action, newest first.
func auditOf(t *testing.T, db *store.DB, org int64, action string) []map[string]any {
	t.Helper()
	es, err := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: org, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, e := range es {
		if e.Action == action {
			m := map[string]any{}
			if err := json.Unmarshal([]byte(e.Summary), &m); err != nil {
				t.Fatalf("summary of %s: %v", action, err)
			}
			m["_actor"], m["_object"] = e.Actor, e.ObjectID
			out = append(out, m)
		}
	}
	return out
}

func communityCarries(t *testing.T, db *store.DB, p access.Principal, value string) bool {
	t.Helper()
	objs, err := db.SharedObjects(ctx, p, store.ShareScope{Channel: share.ChannelCommunity})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if strings.Contains(string(o.JSON), value) {
			return true
		}
	}
	return false
}

func TestRelabelShared(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// A fixed clock: the stamp must change although time stands still.
		db.Now = func() time.Time { return t0 }
		s := seed(t, db)
		amber := shareOne(t, db, s.aAdmin, "c2.anna-relabel.example", share.TLPAmber, 0)
		stamp0, _ := db.SharingStamp(ctx)
		if communityCarries(t, db, s.bAdmin, "c2.anna-relabel.example") {
			t.Fatal("AMBER observable on the community channel")
		}

		refusals := []struct {
			name  string
			p     access.Principal
			label share.TLP
			code  string
			want  string
		}{
			{"another organisation", s.bAdmin, share.TLPGreen, aceso.ENOTFOUND, "not found"},
			{"the CSIRT", s.csirtAdmin, share.TLPGreen, aceso.ENOTFOUND, "not found"},
			{"a viewer of the originator", s.aViewer, share.TLPGreen, aceso.EFORBIDDEN, ""},
			{"downgrade without reason", s.aAdmin, share.TLPGreen, aceso.EINVALID, "reason: downgrading TLP:AMBER to TLP:GREEN needs a reason"},
			{"RED", s.aAdmin, share.TLPRed, aceso.EINVALID, "tlp: TLP:RED"},
			{"AMBER+STRICT without addressee", s.aAdmin, share.TLPAmberStrict, aceso.EINVALID, "tlp: TLP:AMBER+STRICT must name"},
			{"no label", s.aAdmin, share.TLPUnknown, aceso.EINVALID, "tlp:"},
		}
		for _, tt := range refusals {
			_, err := relabel(db, tt.p, amber.ID, tt.label, "")
			if aceso.ErrorCode(err) != tt.code || !strings.Contains(aceso.ErrorMessage(err), tt.want) {
				t.Errorf("%s: %v, want %s %q", tt.name, err, tt.code, tt.want)
			}
		}
		if got := auditOf(t, db, s.a.ID, "share.relabel"); len(got) != 0 {
			t.Fatalf("refused relabels were audited: %v", got)
		}
		if stamp, _ := db.SharingStamp(ctx); stamp != stamp0 {
			t.Fatal("refused relabels changed the sharing stamp")
		}

		// The downgrade with a reason: audited with from, to and reason,
		// and the community now carries it.
		green, err := relabel(db, s.aAdmin, amber.ID, share.TLPGreen, "  vendor published the IOC  ")
		if err != nil {
			t.Fatal(err)
		}
		if green.ID != amber.ID || green.TLP != share.TLPGreen || green.SharedBy != "admin@anna.example" || !green.SharedAt.After(amber.SharedAt) {
			t.Errorf("relabelled: %+v (before %+v)", green, amber)
		}
		got := auditOf(t, db, s.a.ID, "share.relabel")
		if len(got) != 1 || got[0]["from"] != "TLP:AMBER" || got[0]["to"] != "TLP:GREEN" || got[0]["reason"] != "vendor published the IOC" ||
			got[0]["downgrade"] != true || got[0]["_actor"] != "admin@anna.example" || got[0]["_object"] != itoa(amber.ID) {
			t.Fatalf("relabel audit: %v", got)
		}
		stamp1, _ := db.SharingStamp(ctx)
		if stamp1 == stamp0 {
			t.Error("the sharing stamp did not change after a relabel: cached feeds would keep the old label")
		}
		if !communityCarries(t, db, s.bAdmin, "c2.anna-relabel.example") {
			t.Error("downgraded to GREEN but not on the community channel")
		}
		list, err := db.SharedObservables(ctx, s.aViewer)
		if err != nil || len(list) != 1 || list[0].TLP != share.TLPGreen {
			t.Fatalf("list after relabel: %+v %v", list, err)
		}

		// An upgrade needs no reason; the same label again changes nothing.
		if _, err := relabel(db, s.aAdmin, amber.ID, share.TLPAmber, ""); err != nil {
			t.Fatalf("upgrade: %v", err)
		}
		if _, err := relabel(db, s.aAdmin, amber.ID, share.TLPAmber, ""); err != nil {
			t.Fatalf("same label: %v", err)
		}
		got = auditOf(t, db, s.a.ID, "share.relabel")
		if len(got) != 2 || got[0]["from"] != "TLP:GREEN" || got[0]["to"] != "TLP:AMBER" || got[0]["downgrade"] != false {
			t.Fatalf("upgrade audit (newest first): %v", got)
		}
		if stamp2, _ := db.SharingStamp(ctx); stamp2 == stamp1 {
			t.Error("the stamp did not change after the upgrade")
		}
		if communityCarries(t, db, s.bAdmin, "c2.anna-relabel.example") {
			t.Error("upgraded to AMBER but still on the community channel")
		}

		// AMBER+STRICT is possible when the observable is addressed.
		addressed := shareOne(t, db, s.aAdmin, "strict.anna-relabel.example", share.TLPAmber, s.b.ID)
		if out, err := relabel(db, s.aAdmin, addressed.ID, share.TLPAmberStrict, ""); err != nil || out.TLP != share.TLPAmberStrict || out.AddressedOrg != s.b.ID {
			t.Errorf("AMBER+STRICT with an addressee: %+v %v", out, err)
		}
		rows, err := db.ManagedSharedObservables(ctx, s.aViewer)
		// Newest change first; with the clock standing still each relabel
		// moves its row 1 µs past its previous version, so find rows by value.
		byValue := map[string]store.SharedObservableRow{}
		for _, r := range rows {
			byValue[r.Value] = r
		}
		if st, plain := byValue["strict.anna-relabel.example"], byValue["c2.anna-relabel.example"]; err != nil || len(rows) != 2 ||
			st.AddressedName != "Klinikum Nord" || st.IncidentTitle != "Ransomware on radiology PACS" || plain.ID == 0 || plain.AddressedName != "" {
			t.Fatalf("managed list: %+v %v", rows, err)
		}
		if rows, err := db.ManagedSharedObservables(ctx, s.bAdmin); err != nil || len(rows) != 0 {
			t.Errorf("B's managed list shows A's: %+v %v", rows, err)
		}
	})
}

func TestUnshare(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		db.Now = func() time.Time { return t0 }
		s := seed(t, db)
		green := shareOne(t, db, s.aAdmin, "c2.anna-unshare.example", share.TLPGreen, 0)
		if !communityCarries(t, db, s.bAdmin, "c2.anna-unshare.example") {
			t.Fatal("GREEN observable not on the community channel")
		}
		stamp0, _ := db.SharingStamp(ctx)
		for _, tt := range []struct {
			name string
			p    access.Principal
			code string
		}{
			{"another organisation", s.bAdmin, aceso.ENOTFOUND},
			{"a viewer of the originator", s.aViewer, aceso.EFORBIDDEN},
		} {
			if err := unshare(db, tt.p, green.ID); aceso.ErrorCode(err) != tt.code {
				t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
			}
		}
		if err := unshare(db, s.aAdmin, green.ID); err != nil {
			t.Fatal(err)
		}
		if stamp, _ := db.SharingStamp(ctx); stamp == stamp0 {
			t.Error("the sharing stamp did not change after unsharing")
		}
		if communityCarries(t, db, s.bAdmin, "c2.anna-unshare.example") {
			t.Error("unshared observable still on the community channel")
		}
		events, err := db.SharedMISPEvents(ctx, s.bAdmin, share.ChannelCommunity)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range events {
			for _, a := range ev.Attributes() {
				if a.Value == "c2.anna-unshare.example" {
					t.Error("unshared observable still in the community MISP events")
				}
			}
		}
		if list, _ := db.SharedObservables(ctx, s.aAdmin); len(list) != 0 {
			t.Errorf("still listed: %+v", list)
		}
		got := auditOf(t, db, s.a.ID, "share.unshare")
		before, _ := got[0]["before"].(map[string]any)
		if len(got) != 1 || before["value"] != "c2.anna-unshare.example" || before["tlp"] != "TLP:GREEN" || got[0]["_object"] != itoa(green.ID) {
			t.Fatalf("unshare audit: %v", got)
		}
		if err := unshare(db, s.aAdmin, green.ID); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("second unshare: %v", err)
		}
		// The observable stays on the incident and can be shared again.
		if r, err := db.Incident(ctx, s.aAdmin, green.IncidentID, t0); err != nil || len(r.Observables) != 1 {
			t.Errorf("incident lost its observable: %v", err)
		}
	})
}
