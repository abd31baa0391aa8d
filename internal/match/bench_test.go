package match

import (
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/inventory"
)

// The benchmark sector: 1,000 hospitals × 1,000 devices, generated once.
var (
	sectorOnce sync.Once
	sector     []inventory.Device
)

func benchSector(b *testing.B) []inventory.Device {
	b.Helper()
	sectorOnce.Do(func() {
		for _, h := range inventory.GenerateSector(1000, 1000, 1) {
			sector = append(sector, h...)
		}
	})
	return sector
}

// corpus holds every parsed advisory of icsma/ and the CISA OT tarball.
var (
	corpusOnce sync.Once
	corpus     []*advisory.Advisory
)

func benchCorpus(b *testing.B) []*advisory.Advisory {
	b.Helper()
	needShared(b)
	corpusOnce.Do(func() {
		for _, p := range []string{filepath.Join(sharedData, "csaf", "icsma"), filepath.Join(sharedData, "csaf", "cisa-ot-corpus.tar.gz")} {
			err := advisory.Walk(p, func(a *advisory.Advisory, err error) error {
				if err == nil {
					corpus = append(corpus, a)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	return corpus
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkIndex builds the index over one million devices and reports the
// index's own memory per device (the devices themselves are the caller's).
func BenchmarkIndex(b *testing.B) {
	devs := benchSector(b)
	b.ResetTimer()
	for b.Loop() {
		_ = New(devs, Options{})
	}
	b.StopTimer()
	before := heapInUse()
	e := New(devs, Options{})
	after := heapInUse()
	b.ReportMetric(float64(after-before)/float64(len(devs)), "B/device")
	b.ReportMetric(float64(len(e.groups)), "groups")
	runtime.KeepAlive(e)
}

// BenchmarkMatchOne matches one new advisory (Philips patient monitors,
// which hits many generated devices) against one million devices.
func BenchmarkMatchOne(b *testing.B) {
	needShared(b)
	e := New(benchSector(b), Options{})
	a := mustParseAdvisory(b, filepath.Join(sharedData, "csaf", "icsma", "icsma-20-254-01.json"))
	n := 0
	b.ResetTimer()
	for b.Loop() {
		n = 0
		e.MatchFunc(a, func(*Result) { n++ })
	}
	b.ReportMetric(float64(n), "results")
}

// BenchmarkMatchOneCollect is BenchmarkMatchOne returning the result slice.
func BenchmarkMatchOneCollect(b *testing.B) {
	needShared(b)
	e := New(benchSector(b), Options{})
	a := mustParseAdvisory(b, filepath.Join(sharedData, "csaf", "icsma", "icsma-20-254-01.json"))
	b.ResetTimer()
	for b.Loop() {
		_ = e.Match(a)
	}
}

// BenchmarkMatchCorpus matches every advisory of the ICSMA directory and
// the CISA OT tarball (parsed beforehand) against one million devices.
func BenchmarkMatchCorpus(b *testing.B) {
	advs := benchCorpus(b)
	e := New(benchSector(b), Options{})
	n := 0
	b.ResetTimer()
	for b.Loop() {
		n = 0
		for _, a := range advs {
			e.MatchFunc(a, func(*Result) { n++ })
		}
	}
	b.ReportMetric(float64(len(advs)), "advisories")
	b.ReportMetric(float64(n), "results")
}
