package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/inventory"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

var benchOrgs int

// deviceBenchOrg creates a member organisation and returns its admin principal.
func deviceBenchOrg(b *testing.B, db *store.DB, name string) access.Principal {
	b.Helper()
	benchOrgs++ // benchmark functions run several times against one database
	o := access.Org{Name: fmt.Sprintf("%s #%d", name, benchOrgs), Kind: access.KindMember}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateOrg(ctx, access.System, &o) }); err != nil {
		b.Fatal(err)
	}
	p := access.System
	p.OrgID = o.ID
	return p
}

// BenchmarkImport100k imports 100,000 new devices in one transaction into
// an empty organisation, then re-imports them unchanged, on every backend.
func BenchmarkImport100k(b *testing.B) {
	recs := records(inventory.GenerateSector(1, 100_000, 1)[0])
	for _, backend := range storetest.Backends() {
		b.Run(backend, func(b *testing.B) {
			db := storetest.Open(b, backend)
			b.Run("new", func(b *testing.B) {
				for i := range b.N {
					b.StopTimer()
					p := deviceBenchOrg(b, db, fmt.Sprintf("Hospital new %d", i))
					b.StartTimer()
					rep, err := importDevs(db, p, recs, store.ImportOptions{FileName: "bench.csv"})
					if err != nil || rep.New != len(recs) {
						b.Fatalf("%+v %v", rep.New, err)
					}
				}
				b.ReportMetric(float64(len(recs)*b.N)/b.Elapsed().Seconds(), "rows/s")
			})
			b.Run("unchanged", func(b *testing.B) {
				p := deviceBenchOrg(b, db, "Hospital again")
				if _, err := importDevs(db, p, recs, store.ImportOptions{}); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for range b.N {
					rep, err := importDevs(db, p, recs, store.ImportOptions{})
					if err != nil || rep.Unchanged != len(recs) {
						b.Fatalf("%+v %v", rep.Unchanged, err)
					}
				}
				b.ReportMetric(float64(len(recs)*b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		})
	}
}

// BenchmarkListDevicesPage reads one 50-row page deep inside a 100,000-device
// organisation (with 100,000 more devices of another one in the table), by
// tag, by manufacturer with a department filter, and by search.
func BenchmarkListDevicesPage(b *testing.B) {
	sector := inventory.GenerateSector(2, 100_000, 2)
	for _, backend := range storetest.Backends() {
		b.Run(backend, func(b *testing.B) {
			db := storetest.Open(b, backend)
			var p access.Principal
			for h, devs := range sector {
				p = deviceBenchOrg(b, db, fmt.Sprintf("Hospital %d", h))
				if _, err := importDevs(db, p, records(devs), store.ImportOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			for _, f := range []struct {
				name string
				f    store.DeviceFilter
			}{
				{"tag", store.DeviceFilter{}},
				{"tag+count", store.DeviceFilter{Count: true}},
				{"manufacturer+department", store.DeviceFilter{Sort: "manufacturer", Department: sector[1][0].Department, Count: true}},
				{"search", store.DeviceFilter{Query: "philips", Sort: "model", Count: true}},
			} {
				b.Run(f.name, func(b *testing.B) {
					// Walk 40 pages in to get a cursor deep in the list.
					ff := f.f
					ff.Limit = 500
					for range 40 {
						pg, err := db.ListDevices(ctx, p, ff)
						if err != nil {
							b.Fatal(err)
						}
						if pg.Next == "" {
							break
						}
						ff.After = pg.Next
					}
					ff.Limit = 50
					b.ResetTimer()
					start := time.Now()
					for range b.N {
						if _, err := db.ListDevices(ctx, p, ff); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N), "µs/page")
				})
			}
		})
	}
}
