package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// TestDemoAlerts loads the demo sector twice: one alert goes to exactly
// the demo hospitals its advisory affects, one of them has answered, and
// the second load adds nothing.
func TestDemoAlerts(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, "sqlite")
	csirt := access.Org{Name: "Health CERT", Kind: access.KindCSIRT}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateOrg(ctx, access.System, &csirt) }); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for range 2 {
		if err := loadDemo(ctx, db, &out); err != nil {
			t.Fatal(err)
		}
	}
	list, err := db.Alerts(ctx, access.System, store.AlertFilter{})
	if err != nil || len(list) != 1 || list[0].AdvisoryID == nil {
		t.Fatalf("demo alerts %+v %v", list, err)
	}
	a, err := db.Alert(ctx, access.System, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	want, err := db.AffectedMembers(ctx, access.System, *a.AdvisoryID)
	if err != nil {
		t.Fatal(err)
	}
	var got, wantIDs []int64
	acked := 0
	for _, r := range a.Recipients {
		got = append(got, r.OrgID)
		if r.Status != store.AckPending {
			acked++
		}
	}
	for _, o := range want {
		wantIDs = append(wantIDs, o.ID)
	}
	slices.Sort(got)
	slices.Sort(wantIDs)
	if len(got) < 2 || !slices.Equal(got, wantIDs) || acked != 1 {
		t.Errorf("recipients %v, affected %v, %d acknowledged", got, wantIDs, acked)
	}
	if n := strings.Count(out.String(), "Demo alert published"); n != 1 {
		t.Errorf("demo alert announced %d times:\n%s", n, out.String())
	}
}
