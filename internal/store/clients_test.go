package store_test

import (
	"fmt"
	"slices"
	"sort"
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

// orgWith creates an organisation (as the system, client of clientOf when
// not nil) with one admin, and returns it and the admin's principal.
func orgWith(t *testing.T, db *store.DB, name string, kind access.OrgKind, clientOf *int64) (access.Org, access.Principal) {
	t.Helper()
	o := access.Org{Name: name, Kind: kind, ClientOf: clientOf}
	var p access.Principal
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateOrg(ctx, access.System, &o); err != nil {
			return err
		}
		u := access.User{OrgID: o.ID, Email: "admin@" + strings.ReplaceAll(strings.ToLower(name), " ", "-") + ".example",
			Name: name, Role: access.RoleAdmin, PasswordHash: "x"}
		if err := tx.CreateUser(ctx, access.System, &u); err != nil {
			return err
		}
		p = access.Principal{UserID: u.ID, UserName: u.Email, OrgID: o.ID, OrgKind: kind, Role: access.RoleAdmin}
		return nil
	})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return o, p
}

func setClientOf(db *store.DB, p access.Principal, org int64, parent *int64) (access.Org, error) {
	var o access.Org
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		o, err = tx.SetOrgClientOf(ctx, p, org, parent)
		return err
	})
	return o, err
}

func TestOrgClientOf(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		group, _ := orgWith(t, db, "Hospital group", access.KindMember, nil)
		clinic, _ := orgWith(t, db, "Group clinic", access.KindMember, &group.ID)
		if got, err := db.Org(ctx, s.csirtAdmin, clinic.ID); err != nil || got.ClientOf == nil || *got.ClientOf != group.ID {
			t.Fatalf("clinic created as a client: %+v, %v", got, err)
		}
		if got, _ := db.Org(ctx, s.csirtAdmin, group.ID); got.ClientOf != nil {
			t.Fatalf("group: client_of %d, want none", *got.ClientOf)
		}
		auditLen := func(org int64) int {
			t.Helper()
			es, err := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: org, Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			return len(es)
		}
		unknown := int64(987654)
		tests := []struct {
			name        string
			org         int64
			parent      *int64
			code, words string
		}{
			{"self", group.ID, &group.ID, aceso.EINVALID, "its own client"},
			{"cycle", group.ID, &clinic.ID, aceso.EINVALID, "cycle"},
			{"CSIRT as a client", s.csirt.ID, &group.ID, aceso.EINVALID, "CSIRT serves the sector"},
			{"two levels: the parent is a client", s.a.ID, &clinic.ID, aceso.EINVALID, "one level"},
			{"two levels: a serving organisation becomes a client", group.ID, &s.b.ID, aceso.EINVALID, "serves clients itself"},
			{"unknown parent", s.a.ID, &unknown, aceso.EINVALID, "does not exist"},
			{"unknown organisation", unknown, &group.ID, aceso.ENOTFOUND, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := auditLen(tt.org)
				_, err := setClientOf(db, s.csirtAdmin, tt.org, tt.parent)
				if aceso.ErrorCode(err) != tt.code || !strings.Contains(aceso.ErrorMessage(err), tt.words) {
					t.Fatalf("got %v, want %s containing %q", err, tt.code, tt.words)
				}
				if auditLen(tt.org) != before {
					t.Error("a refused change was audited")
				}
			})
		}
		// Creating an organisation applies the same rules.
		for _, parent := range []int64{clinic.ID, unknown} {
			err := db.InTx(ctx, func(tx *store.Tx) error {
				return tx.CreateOrg(ctx, s.csirtAdmin, &access.Org{Name: fmt.Sprintf("Clinic of %d", parent), Kind: access.KindMember, ClientOf: &parent})
			})
			if aceso.ErrorCode(err) != aceso.EINVALID {
				t.Errorf("create as a client of %d: %v, want invalid", parent, err)
			}
		}
		// Only the CSIRT's administrators set it.
		if _, err := setClientOf(db, s.aAdmin, s.a.ID, &group.ID); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Errorf("member admin on its own organisation: %v, want forbidden", err)
		}
		if _, err := setClientOf(db, s.aAdmin, s.b.ID, &group.ID); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("member admin on another organisation: %v, want not found", err)
		}

		// A valid change, audited in A's log with its before and after.
		o, err := setClientOf(db, s.csirtAdmin, s.a.ID, &group.ID)
		if err != nil || o.ClientOf == nil || *o.ClientOf != group.ID || o.ID != s.a.ID {
			t.Fatalf("set: %+v, %v", o, err)
		}
		es, err := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: s.a.ID, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf(`{"after":{"client_of":%d},"before":{"client_of":null}}`, group.ID)
		if e := es[0]; e.Action != "org.client_of" || e.Summary != want || e.Actor != s.csirtAdmin.UserName || e.ObjectID != fmt.Sprint(s.a.ID) {
			t.Errorf("audit entry %+v, want org.client_of %s by %s", e, want, s.csirtAdmin.UserName)
		}
		n := auditLen(s.a.ID)
		if _, err := setClientOf(db, s.csirtAdmin, s.a.ID, &group.ID); err != nil || auditLen(s.a.ID) != n {
			t.Errorf("setting the same parent again: %v, %d audit entries (was %d)", err, auditLen(s.a.ID), n)
		}
		if o, err := setClientOf(db, s.csirtAdmin, s.a.ID, nil); err != nil || o.ClientOf != nil {
			t.Fatalf("clear: %+v, %v", o, err)
		}
		es, _ = db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: s.a.ID, Limit: 1})
		if want := fmt.Sprintf(`{"after":{"client_of":null},"before":{"client_of":%d}}`, group.ID); es[0].Summary != want {
			t.Errorf("clearing audited as %s, want %s", es[0].Summary, want)
		}
		// The group's last client leaves: it may now become a client itself.
		if _, err := setClientOf(db, s.csirtAdmin, clinic.ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := setClientOf(db, s.csirtAdmin, group.ID, &s.b.ID); err != nil {
			t.Errorf("group without clients as a client of B: %v", err)
		}
	})
}

func TestRecipientOf(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		group, _ := orgWith(t, db, "Hospital group", access.KindMember, nil)
		_, clinic := orgWith(t, db, "Group clinic", access.KindMember, &group.ID)
		_, supplier := orgWith(t, db, "Pump PSIRT", access.KindSupplier, nil)
		_, ministry := orgWith(t, db, "Ministry", access.KindAuthority, nil)
		_, agency := orgWith(t, db, "Agency", access.KindAuthority, &s.csirt.ID)
		tests := []struct {
			name     string
			p        access.Principal
			clientOf []int64
		}{
			{"the CSIRT serves, it is no client", s.csirtAdmin, nil},
			{"member: client of the CSIRT", s.aAdmin, []int64{s.csirt.ID}},
			{"clinic: client of its group and of the CSIRT", clinic, []int64{group.ID, s.csirt.ID}},
			{"supplier: client of the CSIRT", supplier, []int64{s.csirt.ID}},
			{"authority: nobody's client", ministry, nil},
			{"authority made a client of the CSIRT, once", agency, []int64{s.csirt.ID}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r, err := db.RecipientOf(ctx, tt.p)
				if err != nil {
					t.Fatal(err)
				}
				if r.OrgID != tt.p.OrgID || r.UserID != tt.p.UserID || !r.InCommunity || r.Public || !slices.Equal(r.ClientOf, tt.clientOf) {
					t.Errorf("got %+v, want org %d user %d in community, client of %v", r, tt.p.OrgID, tt.p.UserID, tt.clientOf)
				}
			})
		}
		if _, err := db.RecipientOf(ctx, access.Principal{OrgID: 987654, UserID: 1}); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("unknown organisation: %v", err)
		}
	})
}

// TestAdvisoryReceivableAgreesWithMayReceive checks the SQL predicate of
// advisory TLP against share.MayReceive, for every stored label and every
// kind of organisation: an advisory is addressed to the CSIRT by an outside
// originator, and the CSIRT, its custodian, reads every label.
func TestAdvisoryReceivableAgreesWithMayReceive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		group, groupAdmin := orgWith(t, db, "Hospital group", access.KindMember, nil)
		_, clinic := orgWith(t, db, "Group clinic", access.KindMember, &group.ID)
		_, supplier := orgWith(t, db, "Pump PSIRT", access.KindSupplier, nil)
		_, ministry := orgWith(t, db, "Ministry", access.KindAuthority, nil)
		_, agency := orgWith(t, db, "Agency", access.KindAuthority, &s.csirt.ID)
		_, mClient := orgWith(t, db, "Ministry lab", access.KindAuthority, &ministry.OrgID)
		// Stored values: the TLP 2.0 labels, TLP 1.0 WHITE, and values no
		// label is stored as, which must fail closed.
		stored := map[string]share.TLP{"TLP:WHITE": share.TLPClear, "TLP:YELLOW": share.TLPUnknown, "tlp:amber": share.TLPUnknown, "AMBER": share.TLPUnknown}
		for _, l := range share.Labels {
			stored[l.String()] = l
		}
		n := 0
		for _, p := range []access.Principal{s.csirtAdmin, s.aAdmin, groupAdmin, clinic, supplier, ministry, agency, mClient} {
			r, err := db.RecipientOf(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			check := func(value string, want bool) {
				t.Helper()
				n++
				got, err := db.AdvisoryReceivable(ctx, value, p.OrgID)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("org %d (%s, client of %v), stored label %q: SQL says %v, MayReceive %v", p.OrgID, p.OrgKind, r.ClientOf, value, got, want)
				}
			}
			check("", true) // unlabelled: for everyone, as before labels were enforced
			for value, l := range stored {
				check(value, p.OrgID == s.csirt.ID || share.MayReceive(l, 0, r, share.To(s.csirt.ID)))
			}
		}
		if n != 8*10 {
			t.Fatalf("%d cases checked", n)
		}
		// What the table above must amount to, spelled out for two of them.
		for _, c := range []struct {
			p    access.Principal
			want string // CLEAR GREEN AMBER AMBER+STRICT RED
		}{{s.aAdmin, "11100"}, {ministry, "11000"}, {agency, "11100"}, {s.csirtAdmin, "11111"}} {
			for i, l := range share.Labels {
				if got, _ := db.AdvisoryReceivable(ctx, l.String(), c.p.OrgID); got != (c.want[i] == '1') {
					t.Errorf("org %d (%s) and %s: %v", c.p.OrgID, c.p.OrgKind, l, got)
				}
			}
		}
	})
}

// TestAmberReachesClientsOnOrgChannel: A shares observables addressed to a
// hospital group at AMBER and AMBER+STRICT; the group's clinic gets the
// AMBER one on its organisation channel, not the STRICT one; other members
// get neither, and no community channel carries either.
func TestAmberReachesClientsOnOrgChannel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		group, groupAdmin := orgWith(t, db, "Hospital group", access.KindMember, nil)
		_, clinic := orgWith(t, db, "Group clinic", access.KindMember, &group.ID)
		_, agency := orgWith(t, db, "Agency", access.KindAuthority, &s.csirt.ID)
		inc := mustCreate(t, db, s.aAdmin, ransomware(t0), significant)
		const amber, strict, toCSIRT, green = "198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for _, o := range []struct {
				v  string
				l  share.TLP
				to int64
			}{{amber, share.TLPAmber, group.ID}, {strict, share.TLPAmberStrict, group.ID}, {toCSIRT, share.TLPAmber, s.csirt.ID}, {green, share.TLPGreen, 0}} {
				if err := tx.AddObservable(ctx, s.aAdmin, inc.ID, &incident.Observable{Kind: "ip", Value: o.v}); err != nil {
					return err
				}
				if _, err := tx.ShareObservable(ctx, s.aAdmin, inc.ID, "ip", o.v, o.l, o.to); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// The group also posts intel to its own collection.
		intelID := map[share.TLP]string{share.TLPAmber: "indicator--00000000-0000-4000-8000-00000000000a",
			share.TLPAmberStrict: "indicator--00000000-0000-4000-8000-00000000000b"}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			var items []store.Intel
			for l, id := range intelID {
				items = append(items, store.Intel{Format: store.FormatSTIX, Source: "test", Collection: fmt.Sprintf("org:%d", group.ID),
					ObjectID: id, ObjectType: "indicator", Version: t0, SpecVersion: "2.1", TLP: l, Body: []byte(`{"type":"indicator","id":"` + id + `"}`)})
			}
			_, err := tx.AddIntel(ctx, groupAdmin, items)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		indicator := func(v string, l share.TLP) string {
			ind, err := share.NewIndicator(share.Observable{Kind: "ip", Value: v}, t0, l, "")
			if err != nil {
				t.Fatal(err)
			}
			return ind.ID
		}
		ids := map[string]string{
			indicator(amber, share.TLPAmber): "amber to group", indicator(strict, share.TLPAmberStrict): "strict to group",
			indicator(toCSIRT, share.TLPAmber): "amber to CSIRT", indicator(green, share.TLPGreen): "green",
			intelID[share.TLPAmber]: "group's amber intel", intelID[share.TLPAmberStrict]: "group's strict intel",
		}
		org := func(p access.Principal) store.ShareScope {
			return store.ShareScope{Channel: share.ChannelOrg, OrgID: p.OrgID}
		}
		community := store.ShareScope{Channel: share.ChannelCommunity}
		tests := []struct {
			name  string
			p     access.Principal
			scope store.ShareScope
			want  []string
		}{
			{"group's collection", groupAdmin, org(groupAdmin), []string{"amber to group", "group's amber intel", "group's strict intel", "strict to group"}},
			{"clinic's collection", clinic, org(clinic), []string{"amber to group", "group's amber intel"}},
			{"B's collection", s.bAdmin, org(s.bAdmin), nil},
			{"CSIRT's collection", s.csirtAdmin, org(s.csirtAdmin), []string{"amber to CSIRT"}},
			// The CSIRT's clients do not get what is addressed to the CSIRT: it passes that on.
			{"agency served by the CSIRT", agency, org(agency), nil},
			{"A's collection (the originator)", s.aAdmin, org(s.aAdmin), []string{"amber to CSIRT", "amber to group", "green", "strict to group"}},
			{"clinic's collection, read by the system", access.System, org(clinic), []string{"amber to group", "group's amber intel"}},
			{"community as the clinic", clinic, community, []string{"green"}},
			{"community as the group", groupAdmin, community, []string{"green"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				objs, err := db.SharedObjects(ctx, tt.p, tt.scope)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, o := range objs {
					if name, ok := ids[o.ID]; ok {
						got = append(got, name)
					}
				}
				sort.Strings(got)
				if !slices.Equal(got, tt.want) {
					t.Errorf("got %q, want %q", got, tt.want)
				}
			})
		}
		// The clinic cannot open the group's collection itself.
		if _, err := db.SharedObjects(ctx, clinic, org(groupAdmin)); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("clinic reading the group's collection: %v", err)
		}
		// Once the clinic leaves the group, the group's AMBER no longer reaches it.
		if _, err := setClientOf(db, s.csirtAdmin, clinic.OrgID, nil); err != nil {
			t.Fatal(err)
		}
		if objs, err := db.SharedObjects(ctx, clinic, org(clinic)); err != nil || len(objs) != 0 {
			t.Errorf("clinic after leaving the group: %d objects, %v", len(objs), err)
		}
	})
}

// tlpAdvisory names BD Alaris PC units (A has two affected, B one) and a
// Philips IntelliVue family (A's two monitors and B's one are possible
// matches, for review) under one CVE, labelled label.
func tlpAdvisory(label string, n int) *advisory.Advisory {
	slug := strings.NewReplacer("TLP:", "", "+", "-").Replace(label)
	if slug == "" {
		slug = "UNLABELLED"
	}
	return &advisory.Advisory{ID: "TLPTEST-" + slug, Title: "Pumps and monitors " + slug, TLP: label, Revision: "1",
		CurrentRelease: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
		Products: []advisory.Product{fxProd("P1", "Becton, Dickinson and Company (BD)", "Alaris PC Unit Model 8015", "<= 9.33.1"),
			fxProd("P2", "Philips", "IntelliVue patient monitor MX400-MX850", "vers:all/*")},
		Vulnerabilities: []advisory.Vulnerability{{CVE: fmt.Sprintf("CVE-2026-%d", 31000+n), ProductStatus: map[string][]string{"known_affected": {"P1", "P2"}}}}}
}

// TestAdvisoryTLPWithheldFromMembers matches one advisory per label against
// the hospitals: a member sees its findings and the advisories of
// unlabelled, CLEAR, GREEN and AMBER ones everywhere, never of AMBER+STRICT,
// RED or an unknown label; the CSIRT sees the sector impact of all.
func TestAdvisoryTLPWithheldFromMembers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := fxSetup(t, db)
		err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.CreateUser(ctx, access.System, &access.User{OrgID: w.a.OrgID, Email: "admin@a.example", Role: access.RoleAdmin, PasswordHash: "x"})
		})
		if err != nil {
			t.Fatal(err)
		}
		labels := []string{"", "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED", "TLP:YELLOW"}
		visible := map[string]bool{"": true, "TLP:CLEAR": true, "TLP:GREEN": true, "TLP:AMBER": true}
		advID := map[string]int64{}    // label → advisory row id
		tracking := map[int64]string{} // advisory row id → tracking id
		var ids, visibleIDs []int64
		err = db.InTx(ctx, func(tx *store.Tx) error {
			for i, l := range labels {
				res, err := tx.ImportAdvisory(ctx, w.csirt, tlpAdvisory(l, i))
				if err != nil {
					return err
				}
				advID[l], tracking[res.ID] = res.ID, res.TrackingID
				ids = append(ids, res.ID)
				if visible[l] {
					visibleIDs = append(visibleIDs, res.ID)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		rep, alerts, err := db.RematchAndAlert(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		// Every advisory is matched and stored for both hospitals: 4 findings of A, 2 of B each.
		if rep.ByOrg[w.a.OrgID].New != 4*len(labels) || rep.ByOrg[w.b.OrgID].New != 2*len(labels) {
			t.Fatalf("matching: %+v", rep.ByOrg)
		}
		sortedTracking := func(advIDs []int64) []string {
			var out []string
			for _, id := range advIDs {
				out = append(out, tracking[id])
			}
			sort.Strings(out)
			return slices.Compact(out)
		}
		wantTracking := sortedTracking(visibleIDs)

		// Findings list, and the list of one withheld advisory.
		page, err := db.ListFindings(ctx, w.a, store.FindingFilter{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		var listed []int64
		for _, f := range page.Findings {
			listed = append(listed, f.AdvisoryID)
		}
		if len(page.Findings) != 16 || !slices.Equal(sortedTracking(listed), wantTracking) {
			t.Errorf("A lists %d findings of %v, want 16 of %v", len(page.Findings), sortedTracking(listed), wantTracking)
		}
		for _, l := range []string{"TLP:AMBER+STRICT", "TLP:RED", "TLP:YELLOW"} {
			if p, err := db.ListFindings(ctx, w.a, store.FindingFilter{AdvisoryID: advID[l]}); err != nil || len(p.Findings) != 0 {
				t.Errorf("A's findings of the %s advisory: %d, %v", l, len(p.Findings), err)
			}
		}
		// The finding page and every change of a withheld finding: not found.
		var withheld []int64
		rows, err := db.SQL().Query("SELECT id FROM findings WHERE org_id = $1 AND advisory_id IN ($2, $3, $4) ORDER BY id",
			w.a.OrgID, advID["TLP:AMBER+STRICT"], advID["TLP:RED"], advID["TLP:YELLOW"])
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			withheld = append(withheld, id)
		}
		rows.Close()
		if len(withheld) != 12 {
			t.Fatalf("%d withheld findings stored, want 12", len(withheld))
		}
		for _, id := range withheld {
			if _, err := db.Finding(ctx, w.a, id); aceso.ErrorCode(err) != aceso.ENOTFOUND {
				t.Errorf("finding %d: %v, want not found", id, err)
			}
			err := db.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.SetFindingState(ctx, w.a, id, store.FindingChange{State: store.StateInProgress})
				return err
			})
			if aceso.ErrorCode(err) != aceso.ENOTFOUND {
				t.Errorf("state of finding %d: %v, want not found", id, err)
			}
			if _, err := db.DecideReview(ctx, w.a, id, false, "not ours"); aceso.ErrorCode(err) != aceso.ENOTFOUND {
				t.Errorf("review of finding %d: %v, want not found", id, err)
			}
		}
		// Dashboard counts.
		sum, err := db.FindingSummary(ctx, w.a)
		if err != nil {
			t.Fatal(err)
		}
		open := 0
		for _, c := range sum.ByState {
			if c.Key == string(store.StateOpen) {
				open = c.Findings
			}
		}
		if sum.Active != 16 || sum.ActiveDevices != 4 || sum.Review != 8 || open != 16 {
			t.Errorf("summary: active %d on %d devices, review %d, open %d; want 16, 4, 8, 16", sum.Active, sum.ActiveDevices, sum.Review, open)
		}
		// Review queue: the monitors' possible matches of the four visible advisories.
		q, err := db.ReviewQueue(ctx, w.a)
		if err != nil {
			t.Fatal(err)
		}
		if len(q) != 1 || q[0].Findings != 8 || q[0].Advisories != 4 || q[0].Devices != 2 || !visible[labelOf(advID, q[0].TrackingID, tracking)] {
			t.Errorf("review queue: %+v", q)
		}
		// Per-advisory counts.
		counts, err := db.AdvisoryCounts(ctx, w.a)
		if err != nil {
			t.Fatal(err)
		}
		var counted []int64
		for id, c := range counts {
			counted = append(counted, id)
			if c.Findings != 4 || c.Devices != 4 {
				t.Errorf("advisory %s: %+v, want 4 findings on 4 devices", tracking[id], c)
			}
		}
		if !slices.Equal(sortedTracking(counted), wantTracking) {
			t.Errorf("A's advisory counts cover %v, want %v", sortedTracking(counted), wantTracking)
		}
		// Advisories: the list and each page.
		advs, err := db.Advisories(ctx, w.a, store.AdvisoryFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var seen []int64
		for _, a := range advs {
			seen = append(seen, a.ID)
		}
		if !slices.Equal(sortedTracking(seen), wantTracking) {
			t.Errorf("A's advisories %v, want %v", sortedTracking(seen), wantTracking)
		}
		for _, l := range labels {
			_, err := db.Advisory(ctx, w.a, advID[l])
			if visible[l] != (err == nil) || (err != nil && aceso.ErrorCode(err) != aceso.ENOTFOUND) {
				t.Errorf("A opens the %q advisory: %v", l, err)
			}
		}
		// A member without devices: the AMBER advisory is need-to-know.
		_, m := orgWith(t, db, "Small clinic", access.KindMember, nil)
		advs, err = db.Advisories(ctx, m, store.AdvisoryFilter{})
		if err != nil {
			t.Fatal(err)
		}
		seen = seen[:0]
		for _, a := range advs {
			seen = append(seen, a.ID)
		}
		if want := sortedTracking([]int64{advID[""], advID["TLP:CLEAR"], advID["TLP:GREEN"]}); !slices.Equal(sortedTracking(seen), want) {
			t.Errorf("member without findings sees %v, want %v", sortedTracking(seen), want)
		}
		// The "new findings" alerts: A's admin hears of the visible advisories only.
		if alerts.Orgs != 4+4 || alerts.Enqueued != 4 {
			// B has no admin: its groups enqueue nothing.
			t.Errorf("alerts: %+v, want 8 (organisation, advisory) pairs and 4 messages", alerts)
		}
		rows, err = db.SQL().Query("SELECT dedup_key, subject FROM outbox WHERE org_id = $1", w.a.OrgID)
		if err != nil {
			t.Fatal(err)
		}
		var alerted []string
		for rows.Next() {
			var key, subject string
			if err := rows.Scan(&key, &subject); err != nil {
				t.Fatal(err)
			}
			alerted = append(alerted, strings.Split(key, ":")[2])
		}
		rows.Close()
		sort.Strings(alerted)
		if !slices.Equal(alerted, wantTracking) {
			t.Errorf("A alerted of %v, want %v", alerted, wantTracking)
		}
		// The CSIRT sees every advisory and the sector impact of each.
		for _, l := range labels {
			if _, err := db.Advisory(ctx, w.csirt, advID[l]); err != nil {
				t.Errorf("CSIRT opens %q: %v", l, err)
			}
			im, err := db.AdvisoryImpact(ctx, w.csirt, advID[l])
			want := store.AdvisoryImpact{Orgs: 2, Devices: 6, AffectedOrgs: 2, AffectedDevices: 3, PossibleDevices: 3, LiveFindings: 6}
			if err != nil || im != want {
				t.Errorf("impact of %q: %+v, %v; want %+v", l, im, err, want)
			}
		}
		if all, err := db.AdvisoryCounts(ctx, w.csirt); err != nil || len(all) != len(labels) {
			t.Errorf("CSIRT's advisory counts: %d, %v", len(all), err)
		}

		// Re-labelling reveals the stored findings at once, without matching again.
		relabel := tlpAdvisory("TLP:AMBER+STRICT", 4)
		relabel.TLP, relabel.Revision = "TLP:AMBER", "2"
		err = db.InTx(ctx, func(tx *store.Tx) error {
			res, err := tx.ImportAdvisory(ctx, w.csirt, relabel)
			if err == nil && res.Outcome != "updated" {
				err = fmt.Errorf("re-label: outcome %s", res.Outcome)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		p, err := db.ListFindings(ctx, w.a, store.FindingFilter{AdvisoryID: advID["TLP:AMBER+STRICT"]})
		if err != nil || len(p.Findings) != 4 || !p.Findings[0].FirstSeen.Equal(w.now) {
			t.Errorf("after re-labelling AMBER: %d findings, %v", len(p.Findings), err)
		}
	})
}

func labelOf(advID map[string]int64, trackingID string, tracking map[int64]string) string {
	for l, id := range advID {
		if tracking[id] == trackingID {
			return l
		}
	}
	return "?"
}
