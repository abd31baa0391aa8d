package store_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// TestSectorStatisticsLeaveOutRed: a shared TLP:RED incident (or one whose
// label does not read) changes no count of the sector statistics, in any
// date window, so that no two windows' difference reveals it to a CSIRT
// user it was not named for.
func TestSectorStatisticsLeaveOutRed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		db.Now = (&clock{t: t0}).Now
		members := []access.Principal{s.aAdmin, s.bAdmin}
		inTx(t, db, func(tx *store.Tx) error {
			o := access.Org{Name: "Third Hospital", Kind: access.KindMember}
			if err := tx.CreateOrg(ctx, access.System, &o); err != nil {
				return err
			}
			u := access.User{OrgID: o.ID, Email: "admin@third.example", Name: "x", Role: access.RoleAdmin, PasswordHash: "x"}
			if err := tx.CreateUser(ctx, access.System, &u); err != nil {
				return err
			}
			members = append(members, access.Principal{UserID: u.ID, UserName: u.Email, OrgID: o.ID, OrgKind: access.KindMember, Role: access.RoleAdmin})
			return nil
		})
		day := func(d int) time.Time { return time.Date(2026, 2, d, 8, 0, 0, 0, time.UTC) }
		share := func(p access.Principal, in *incident.Incident, people ...int64) store.Incident {
			t.Helper()
			var r store.Incident
			inTx(t, db, func(tx *store.Tx) error {
				var err error
				if r, err = tx.CreateIncident(ctx, p, in, incident.Assessment{}, people...); err != nil {
					return err
				}
				r, err = tx.ShareIncident(ctx, p, r.ID)
				return err
			})
			return r
		}
		// Phishing on 10 February at three organisations: every cell shown.
		for _, p := range members {
			share(p, minor("Phishing", day(10)))
		}
		windows := []store.StatsFilter{{}, {From: day(1), To: day(28)}, {From: day(11), To: day(28)}, {From: day(1), To: day(12)}}
		stats := func() []store.Statistics {
			t.Helper()
			var out []store.Statistics
			for _, f := range windows {
				st, err := db.SectorStatistics(ctx, s.csirtAdmin, f)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, st)
			}
			return out
		}
		before := stats()
		if got := before[0].Total.Display(); got != "3" {
			t.Fatalf("total before: %s, want 3", got)
		}
		// A RED ransomware incident on 11 February at each member, named for
		// the CSIRT's admin: counted, it would make a malicious-code cell of
		// three organisations and move the totals of the windows with the
		// 11th.
		for _, p := range members {
			in := ransomware(day(11))
			in.TLP = incident.TLPRed
			share(p, in, s.csirtAdmin.UserID)
		}
		// And an AMBER one whose stored label no longer reads.
		odd := share(members[0], ransomware(day(11)))
		if _, err := db.SQL().ExecContext(ctx, "UPDATE incidents SET tlp = 'TLP:PURPLE' WHERE id = $1", odd.ID); err != nil {
			t.Fatal(err)
		}
		after := stats()
		for i := range windows {
			if !reflect.DeepEqual(before[i], after[i]) {
				t.Errorf("window %+v: the RED incidents changed the statistics:\nbefore %+v\nafter  %+v", windows[i], before[i], after[i])
			}
		}
		// An AMBER incident still counts.
		share(members[1], minor("Phishing", day(11)))
		if got := stats()[0].Total.Display(); got != "4" {
			t.Errorf("total with an AMBER incident: %s, want 4", got)
		}
	})
}
