package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/audit"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// TestAuditRedIncidentRedacted: the CSIRT's admins read every member's
// audit log, but what it says about a TLP:RED incident (title, names,
// observables) reaches only the incident's own organisation and the CSIRT
// users it names; an unnamed CSIRT admin, and the named one through an API
// token, see the entries with a fixed summary and everything else intact.
// Redaction follows the current label and leaves the stored chain as it is.
func TestAuditRedIncidentRedacted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		db.Now = (&clock{t: t0}).Now
		named := s.csirtAdmin
		unnamed := csirtUser(t, db, s, access.RoleAdmin)
		token := named
		token.TokenID = 7

		in := ransomware(t0.Add(-time.Hour))
		in.Title, in.TLP = "RED-TITLE ransomware", incident.TLPRed
		var red store.Incident
		inTx(t, db, func(tx *store.Tx) error {
			var err error
			red, err = tx.CreateIncident(ctx, s.aAdmin, in, significant, named.UserID)
			return err
		})
		inTx(t, db, func(tx *store.Tx) error {
			return tx.AddObservable(ctx, s.aAdmin, red.ID, &incident.Observable{Kind: "ip", Value: "198.51.100.77"})
		})
		amber := mustCreate(t, db, s.aAdmin, minor("AMBER-TITLE phishing", t0.Add(-time.Hour)), incident.Assessment{})
		// An incident relabelled RED later: its older entries follow the label.
		later := mustCreate(t, db, s.aAdmin, minor("LATER-TITLE phishing", t0.Add(-time.Hour)), incident.Assessment{})
		inTx(t, db, func(tx *store.Tx) error {
			_, err := tx.UpdateIncident(ctx, s.aAdmin, later.ID, func(in *incident.Incident, _ *incident.Assessment) error {
				in.TLP = incident.TLPRed
				return nil
			})
			return err
		})

		read := func(p access.Principal) map[int64]audit.Entry {
			t.Helper()
			es, err := db.ListAudit(ctx, p, store.AuditFilter{OrgID: s.a.ID, Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			out := map[int64]audit.Entry{}
			for _, e := range es {
				out[e.ID] = e
			}
			return out
		}
		full := read(access.System)
		kinds := map[int64]int{} // incident id → entries about it
		for _, e := range full {
			if e.ObjectType == "incident" {
				switch e.ObjectID {
				case itoa(red.ID):
					kinds[red.ID]++
				case itoa(amber.ID):
					kinds[amber.ID]++
				case itoa(later.ID):
					kinds[later.ID]++
				}
			}
		}
		if kinds[red.ID] < 2 || kinds[amber.ID] < 1 || kinds[later.ID] < 2 {
			t.Fatalf("entries per incident: %v", kinds)
		}
		for _, tt := range []struct {
			name     string
			p        access.Principal
			redacted []int64 // incidents whose entries are withheld
		}{
			{"A's admin: its own log", s.aAdmin, nil},
			{"named CSIRT admin", named, []int64{later.ID}}, // named on the first RED incident only
			{"unnamed CSIRT admin", unnamed, []int64{red.ID, later.ID}},
			{"named CSIRT admin's API token", token, []int64{red.ID, later.ID}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got := read(tt.p)
				if len(got) != len(full) {
					t.Fatalf("%d entries, want %d", len(got), len(full))
				}
				for id, want := range full {
					e := got[id]
					withheld := false
					for _, inc := range tt.redacted {
						withheld = withheld || (e.ObjectType == "incident" && e.ObjectID == itoa(inc))
					}
					if withheld {
						if e.Summary != store.RedactedSummary {
							t.Errorf("entry %d (%s on incident %s): summary %q, want %q", id, e.Action, e.ObjectID, e.Summary, store.RedactedSummary)
						}
						want.Summary = store.RedactedSummary
					}
					if e != want {
						t.Errorf("entry %d: %+v, want %+v", id, e, want)
					}
				}
				// Nothing of a withheld incident leaks through another entry.
				for _, e := range got {
					for _, inc := range tt.redacted {
						title := map[int64]string{red.ID: "RED-TITLE", later.ID: "LATER-TITLE"}[inc]
						if strings.Contains(e.Summary, title) || (inc == red.ID && strings.Contains(e.Summary, "198.51.100.77")) {
							t.Errorf("entry %d (%s) leaks incident %d: %s", e.ID, e.Action, inc, e.Summary)
						}
					}
				}
			})
		}
		// The stored chain is untouched and still verifies.
		var stored string
		if err := db.SQL().QueryRowContext(ctx, "SELECT summary FROM audit_log WHERE org_id = $1 AND object_type = 'incident' AND object_id = $2 AND action = 'incident.create'",
			s.a.ID, itoa(red.ID)).Scan(&stored); err != nil || !strings.Contains(stored, "RED-TITLE") {
			t.Errorf("stored summary %q, %v", stored, err)
		}
		if v, err := db.VerifyAudit(ctx); err != nil || !v.Intact {
			t.Errorf("verify: %+v, %v", v, err)
		}
	})
}
