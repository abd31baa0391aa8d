package store_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// sharingWorld holds one advisory and one shared observable per label, and
// intel contributed to each collection, so every exporter can be checked
// against every label.
type sharingWorld struct {
	seeded
	incA int64
	// value of A's shared observable per label
	obs map[share.TLP]string
}

func labelledAdvisory(l share.TLP) *advisory.Advisory {
	slug := strings.NewReplacer("TLP:", "", "+", "-").Replace(l.String())
	n := int(l)
	return &advisory.Advisory{ID: "SHARE-" + slug, Title: "Advisory " + l.String(), TLP: l.String(), Revision: "1",
		CurrentRelease: t0,
		Vulnerabilities: []advisory.Vulnerability{{CVE: fmt.Sprintf("CVE-2026-900%d", n), Title: "flaw " + slug,
			Remediations: []advisory.Remediation{{Category: "vendor_fix", Details: "update " + slug}}}}}
}

func newSharingWorld(t *testing.T, db *store.DB) sharingWorld {
	t.Helper()
	w := sharingWorld{seeded: seed(t, db), obs: map[share.TLP]string{}}
	inc := mustCreate(t, db, w.aAdmin, ransomware(t0), significant)
	w.incA = inc.ID
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, l := range share.Labels {
			if _, err := tx.ImportAdvisory(ctx, w.csirtAdmin, labelledAdvisory(l)); err != nil {
				return err
			}
			v := fmt.Sprintf("203.0.113.%d", int(l))
			if err := tx.AddObservable(ctx, w.aAdmin, inc.ID, &incident.Observable{Kind: "ip", Value: v}); err != nil {
				return err
			}
			if l == share.TLPRed {
				continue
			}
			var addressed int64
			if l >= share.TLPAmber {
				addressed = w.b.ID
			}
			if _, err := tx.ShareObservable(ctx, w.aAdmin, inc.ID, "ip", v, l, addressed); err != nil {
				return err
			}
			w.obs[l] = v
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func ids(objs []store.SharedObject) map[string]share.TLP {
	out := map[string]share.TLP{}
	for _, o := range objs {
		out[o.ID] = o.TLP
	}
	return out
}

func TestSharedObjectsNeverAboveChannel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newSharingWorld(t, db)
		// B contributes GREEN intel to the community and AMBER+STRICT to its own collection.
		intel := func(id string, l share.TLP, coll string) store.Intel {
			body, _ := json.Marshal(map[string]any{"type": "indicator", "id": id, "object_marking_refs": []string{share.MarkingRef(l)}})
			return store.Intel{Format: store.FormatSTIX, Source: "test", Collection: coll, ObjectID: id, ObjectType: "indicator",
				Version: t0, SpecVersion: "2.1", TLP: l, Body: body}
		}
		greenID := "indicator--00000000-0000-4000-8000-000000000001"
		strictID := "indicator--00000000-0000-4000-8000-000000000002"
		amberOnCommunity := "indicator--00000000-0000-4000-8000-000000000003"
		err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.AddIntel(ctx, w.bAdmin, []store.Intel{intel(greenID, share.TLPGreen, "community"),
				intel(strictID, share.TLPAmberStrict, fmt.Sprintf("org:%d", w.b.ID)),
				intel(amberOnCommunity, share.TLPAmber, "community")})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name  string
			p     access.Principal
			scope store.ShareScope
			// labels of advisories and of A's observables expected on the scope
			advisories, observables []share.TLP
			intel                   []string
		}{
			{"public, unauthenticated", access.Principal{}, store.ShareScope{Channel: share.ChannelPublic},
				[]share.TLP{share.TLPClear}, []share.TLP{share.TLPClear}, nil},
			{"community as A", w.aViewer, store.ShareScope{Channel: share.ChannelCommunity},
				[]share.TLP{share.TLPClear, share.TLPGreen}, []share.TLP{share.TLPClear, share.TLPGreen}, []string{greenID}},
			{"community as B", w.bAdmin, store.ShareScope{Channel: share.ChannelCommunity},
				[]share.TLP{share.TLPClear, share.TLPGreen}, []share.TLP{share.TLPClear, share.TLPGreen}, []string{greenID}},
			{"B's own collection", w.bAdmin, store.ShareScope{Channel: share.ChannelOrg, OrgID: w.b.ID},
				nil, []share.TLP{share.TLPAmber, share.TLPAmberStrict}, []string{strictID}},
			{"A's own collection", w.aAdmin, store.ShareScope{Channel: share.ChannelOrg, OrgID: w.a.ID},
				nil, []share.TLP{share.TLPClear, share.TLPGreen, share.TLPAmber, share.TLPAmberStrict}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				objs, err := db.SharedObjects(ctx, tt.p, tt.scope)
				if err != nil {
					t.Fatal(err)
				}
				max := share.ChannelMax(string(tt.scope.Channel))
				got := ids(objs)
				for _, o := range objs {
					if !o.TLP.Valid() || o.TLP.Stricter(max) {
						t.Errorf("object %s labelled %s is above the channel maximum %s", o.ID, o.TLP, max)
					}
					if l, _ := share.MarkingsTLP(markings(t, o.JSON)); l != o.TLP {
						t.Errorf("object %s: JSON marking %s, row label %s", o.ID, l, o.TLP)
					}
				}
				want := map[string]bool{}
				for _, l := range tt.advisories {
					v, _ := share.NewVulnerability(labelledAdvisory(l).Vulnerabilities[0].CVE, "", t0, l, "")
					want[v.ID] = true
				}
				for _, l := range tt.observables {
					ind, _ := share.NewIndicator(share.Observable{Kind: "ip", Value: w.obs[l]}, t0, l, "")
					want[ind.ID] = true
				}
				for _, id := range tt.intel {
					want[id] = true
				}
				for id := range want {
					if _, ok := got[id]; !ok {
						t.Errorf("missing %s", id)
					}
				}
				for id, l := range got {
					if !want[id] && (strings.HasPrefix(id, "vulnerability--") || strings.HasPrefix(id, "indicator--")) {
						t.Errorf("unexpected %s (%s)", id, l)
					}
				}
				// Ordered by date added.
				for i := 1; i < len(objs); i++ {
					if objs[i].DateAdded.Before(objs[i-1].DateAdded) {
						t.Fatalf("objects not ordered by date added at %d", i)
					}
				}
			})
		}
		// A cannot read B's collection; an unknown channel is not found.
		for _, sc := range []store.ShareScope{{Channel: share.ChannelOrg, OrgID: w.b.ID}, {Channel: "secret"}} {
			if _, err := db.SharedObjects(ctx, w.aAdmin, sc); aceso.ErrorCode(err) != aceso.ENOTFOUND {
				t.Errorf("scope %+v as A: %v, want not found", sc, err)
			}
		}
		if _, err := db.SharedObjects(ctx, access.Principal{}, store.ShareScope{Channel: share.ChannelCommunity}); aceso.ErrorCode(err) != aceso.EUNAUTHORIZED {
			t.Errorf("community unauthenticated: %v", err)
		}
		// The bundle is valid STIX and self-contained.
		raw, err := db.SharedBundle(ctx, w.aViewer, store.ShareScope{Channel: share.ChannelCommunity})
		if err != nil {
			t.Fatal(err)
		}
		b, errs := share.ParseBundle(raw)
		if b == nil {
			t.Fatalf("bundle does not parse: %v", errs)
		}
		for _, e := range errs {
			if !strings.Contains(e.Error(), greenID) { // the hand-made intel lacks required properties
				t.Errorf("bundle problem: %v", e)
			}
		}
		for _, o := range b.Observables {
			if o.TLP.Stricter(share.TLPGreen) {
				t.Errorf("bundle observable %s labelled %s", o.Value, o.TLP)
			}
		}
	})
}

func markings(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var o struct {
		Refs []string `json:"object_marking_refs"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	return o.Refs
}

func TestSharedMISPEventsFilterByChannel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newSharingWorld(t, db)
		for _, tt := range []struct {
			name    string
			p       access.Principal
			channel share.Channel
			labels  int // distinct event labels expected
		}{
			{"public", access.Principal{}, share.ChannelPublic, 1},
			{"community", w.bAdmin, share.ChannelCommunity, 2},
			{"community as system (CLI)", access.System, share.ChannelCommunity, 2},
		} {
			t.Run(tt.name, func(t *testing.T) {
				evs, err := db.SharedMISPEvents(ctx, tt.p, tt.channel)
				if err != nil {
					t.Fatal(err)
				}
				labels := map[share.TLP]bool{}
				attrs := map[string]bool{}
				for _, ev := range evs {
					l, ok := ev.TLP()
					if !ok || !share.AllowedOn(l, tt.channel) {
						t.Errorf("event %s labelled %s (%v) on %s", ev.Info, l, ok, tt.channel)
					}
					labels[l] = true
					if strings.Contains(ev.Info, "Ransomware") || ev.Orgc == nil || strings.Contains(ev.Orgc.Name, "Anna") {
						t.Errorf("event %q names the incident or hospital (orgc %+v)", ev.Info, ev.Orgc)
					}
					for _, a := range ev.Attribute {
						attrs[a.Value] = true
					}
				}
				if len(labels) != tt.labels {
					t.Errorf("labels %v, want %d distinct", labels, tt.labels)
				}
				for _, l := range share.Labels {
					if v := w.obs[l]; v != "" && share.AllowedOn(l, tt.channel) != attrs[v] {
						t.Errorf("observable %s (%s): present %v on %s", v, l, attrs[v], tt.channel)
					}
				}
				// The feed writer accepts every event: nothing is held back.
				feed := share.MemFeed{}
				res, err := share.WriteMISPFeed(feed, tt.channel, evs)
				if err != nil || len(res.Skipped) != 0 || res.Events != len(evs) {
					t.Errorf("feed: %+v %v", res, err)
				}
			})
		}
		if _, err := db.SharedMISPEvents(ctx, access.Principal{}, share.ChannelCommunity); aceso.ErrorCode(err) != aceso.EUNAUTHORIZED {
			t.Errorf("community without a principal: %v", err)
		}
		if _, err := db.SharedMISPEvents(ctx, w.aAdmin, share.ChannelOrg); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("org channel as a feed: %v", err)
		}
	})
}

func TestShareObservableRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		inc := mustCreate(t, db, s.aAdmin, ransomware(t0), significant)
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.AddObservable(ctx, s.aAdmin, inc.ID, &incident.Observable{Kind: "domain", Value: "evil[.]example"})
		}); err != nil {
			t.Fatal(err)
		}
		share1 := func(p access.Principal, incID int64, value string, l share.TLP, addr int64) error {
			return db.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.ShareObservable(ctx, p, incID, "domain", value, l, addr)
				return err
			})
		}
		for _, tt := range []struct {
			name  string
			p     access.Principal
			inc   int64
			value string
			label share.TLP
			addr  int64
			code  string
		}{
			{"viewer may not share", s.aViewer, inc.ID, "evil.example", share.TLPGreen, 0, aceso.EFORBIDDEN},
			{"another org's incident", s.bAdmin, inc.ID, "evil.example", share.TLPGreen, 0, aceso.ENOTFOUND},
			{"unrecorded observable", s.aAdmin, inc.ID, "other.example", share.TLPGreen, 0, aceso.ENOTFOUND},
			{"red never", s.aAdmin, inc.ID, "evil.example", share.TLPRed, s.b.ID, aceso.EINVALID},
			{"no label", s.aAdmin, inc.ID, "evil.example", share.TLPUnknown, 0, aceso.EINVALID},
			{"strict needs an addressee", s.aAdmin, inc.ID, "evil.example", share.TLPAmberStrict, 0, aceso.EINVALID},
			{"unknown addressee", s.aAdmin, inc.ID, "evil.example", share.TLPAmber, 99999, aceso.EINVALID},
			{"defanged value matches", s.aAdmin, inc.ID, "EVIL[.]example", share.TLPGreen, 0, ""},
			{"re-share looser is a relabel", s.aAdmin, inc.ID, "evil.example", share.TLPClear, 0, aceso.EINVALID},
			{"re-share stricter replaces", s.aAdmin, inc.ID, "evil.example", share.TLPAmber, 0, ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				err := share1(tt.p, tt.inc, tt.value, tt.label, tt.addr)
				if aceso.ErrorCode(err) != tt.code && !(tt.code == "" && err == nil) {
					t.Fatalf("got %v (%s), want %q", err, aceso.ErrorCode(err), tt.code)
				}
			})
		}
		list, err := db.SharedObservables(ctx, s.aAdmin)
		if err != nil || len(list) != 1 || list[0].TLP != share.TLPAmber || list[0].Value != "evil.example" {
			t.Fatalf("shared list: %+v %v", list, err)
		}
		if other, _ := db.SharedObservables(ctx, s.bAdmin); len(other) != 0 {
			t.Errorf("B sees A's shared observables: %+v", other)
		}
		entries, err := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: s.a.ID, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range entries {
			if e.Action == "incident.observable.share" {
				n++
			}
		}
		if n != 2 {
			t.Errorf("%d share audit entries, want 2", n)
		}
	})
}

func TestAddIntelDeduplicatesAndIsScoped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		item := store.Intel{Format: store.FormatMISP, Source: "https://misp.example/feed", ObjectID: "5f1d2c3b-0000-4000-8000-000000000001",
			ObjectType: "misp-event", Version: t0, TLP: share.TLPAmber, Body: json.RawMessage(`{"info":"x"}`)}
		add := func(p access.Principal, items ...store.Intel) (store.IntelResult, error) {
			var res store.IntelResult
			err := db.InTx(ctx, func(tx *store.Tx) error {
				var err error
				res, err = tx.AddIntel(ctx, p, items)
				return err
			})
			return res, err
		}
		if res, err := add(s.aAdmin, item); err != nil || res.Added != 1 {
			t.Fatalf("first: %+v %v", res, err)
		}
		if res, err := add(s.aAdmin, item); err != nil || res.Added != 0 || res.Duplicates != 1 {
			t.Fatalf("again: %+v %v", res, err)
		}
		newer := item
		newer.Version = t0.Add(time.Hour)
		if res, err := add(s.aAdmin, newer); err != nil || res.Added != 1 {
			t.Fatalf("new version: %+v %v", res, err)
		}
		if _, err := add(s.aViewer, item); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Errorf("viewer: %v", err)
		}
		bad := item
		bad.TLP = share.TLPUnknown
		if _, err := add(s.aAdmin, bad); aceso.ErrorCode(err) != aceso.EINVALID {
			t.Errorf("no tlp: %v", err)
		}
		list, err := db.IntelList(ctx, s.aAdmin, 0)
		if err != nil || len(list) != 2 || !list[0].Version.Equal(newer.Version) {
			t.Fatalf("list: %d %v", len(list), err)
		}
		if other, _ := db.IntelList(ctx, s.bAdmin, 0); len(other) != 0 {
			t.Errorf("B sees A's intel")
		}
		// Imported intel never shows on a channel: it was not contributed.
		objs, err := db.SharedObjects(ctx, s.aAdmin, store.ShareScope{Channel: share.ChannelOrg, OrgID: s.a.ID})
		if err != nil || len(objs) != 0 {
			t.Errorf("imported intel exported: %d %v", len(objs), err)
		}
	})
}
