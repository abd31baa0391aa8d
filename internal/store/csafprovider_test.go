package store_test

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// TestCSAFKeyCreatedOnce proves that concurrent first uses (several nodes
// starting at once) end with one stored key that every caller gets.
func TestCSAFKeyCreatedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var gens atomic.Int32
		gen := func() (store.CSAFKey, error) {
			n := gens.Add(1)
			k, err := share.NewCSAFSigningKey("Health CERT", "", time.Now())
			return store.CSAFKey{Fingerprint: k.Fingerprint, Public: k.Public, Private: k.Private + strings.Repeat(" ", int(n))}, err
		}
		if _, err := db.CSAFKey(ctx, nil); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Fatalf("no key yet: got %v, want ENOTFOUND", err)
		}
		keys := make([]store.CSAFKey, 4)
		var wg sync.WaitGroup
		for i := range keys {
			wg.Go(func() {
				k, err := db.CSAFKey(ctx, gen)
				if err != nil {
					t.Error(err)
				}
				keys[i] = k
			})
		}
		wg.Wait()
		for _, k := range keys[1:] {
			if k.Fingerprint != keys[0].Fingerprint || k.Private != keys[0].Private || k.Fingerprint == "" {
				t.Fatalf("callers got different keys: %s vs %s", k.Fingerprint, keys[0].Fingerprint)
			}
		}
		if _, err := share.NewCSAFSigner(keys[0].Private); err != nil {
			t.Errorf("stored private key unusable: %v", err)
		}
	})
}

// TestCSAFAdvisoriesVisibility proves the label filter and the visibility
// rule: CLEAR needs no principal; GREEN goes to any member; AMBER only to
// the CSIRT (the member has no finding from it).
func TestCSAFAdvisoriesVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		hosp := access.Org{Name: "St. Anna", Kind: access.KindMember}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateOrg(ctx, access.System, &hosp); err != nil {
				return err
			}
			for _, l := range share.Labels {
				a := &advisory.Advisory{ID: "V-" + l.String(), Title: l.String(), TLP: l.String(), Revision: "1"}
				if _, err := tx.ImportAdvisory(ctx, access.System, a); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		member := access.Principal{UserID: 99, UserName: "nurse", OrgID: hosp.ID, OrgKind: access.KindMember, Role: access.RoleViewer}
		tests := []struct {
			name  string
			p     access.Principal
			label share.TLP
			want  []string
			err   string
		}{
			{name: "public clear", label: share.TLPClear, want: []string{"V-TLP:CLEAR"}},
			{name: "public green refused", label: share.TLPGreen, err: aceso.EUNAUTHORIZED},
			{name: "member green", p: member, label: share.TLPGreen, want: []string{"V-TLP:GREEN"}},
			{name: "member amber hidden", p: member, label: share.TLPAmber},
			{name: "csirt amber", p: access.System, label: share.TLPAmber, want: []string{"V-TLP:AMBER"}},
			{name: "invalid label", p: access.System, label: share.TLPUnknown, err: aceso.EINVALID},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := db.CSAFAdvisories(ctx, tt.p, tt.label)
				if tt.err != "" {
					if aceso.ErrorCode(err) != tt.err {
						t.Fatalf("err %v, want %s", err, tt.err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, a := range got {
					if a.Doc == nil || a.Doc.ID != a.TrackingID {
						t.Errorf("%s: document not loaded", a.TrackingID)
					}
					ids = append(ids, a.TrackingID)
				}
				if strings.Join(ids, ",") != strings.Join(tt.want, ",") {
					t.Errorf("got %v, want %v", ids, tt.want)
				}
			})
		}
	})
}
