package inventory

import (
	"bytes"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestGenerateSectorRoundTrip(t *testing.T) {
	sector := GenerateSector(3, 400, 42)
	if len(sector) != 3 {
		t.Fatalf("%d hospitals", len(sector))
	}
	for h, devs := range sector {
		if len(devs) != 400 {
			t.Fatalf("hospital %d: %d devices", h, len(devs))
		}
		var buf bytes.Buffer
		devs[0].Extra = map[string]string{"Purchase Order": "PO-1"} // extra columns survive too
		if err := WriteCSV(&buf, devs); err != nil {
			t.Fatal(err)
		}
		res, err := ReadCSV(&buf, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Rejected) != 0 {
			t.Fatalf("hospital %d: rejected %v", h, res.Rejected[:min(3, len(res.Rejected))])
		}
		if len(res.Records) != len(devs) {
			t.Fatalf("hospital %d: %d records for %d devices", h, len(res.Records), len(devs))
		}
		for i, r := range res.Records {
			if !reflect.DeepEqual(r.Device, devs[i]) {
				t.Fatalf("hospital %d device %d changed in the round trip:\n got %+v\nwant %+v", h, i, r.Device, devs[i])
			}
		}
	}
}

func TestGenerateSectorDeterministicAndRealistic(t *testing.T) {
	a, b := GenerateSector(2, 300, 7), GenerateSector(2, 300, 7)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed gave different sectors")
	}
	if c := GenerateSector(2, 300, 8); reflect.DeepEqual(a, c) {
		t.Fatal("different seeds gave the same sector")
	}
	mfrs, functions, zones := map[string]bool{}, map[ClinicalFunction]bool{}, map[Zone]bool{}
	for h, devs := range a {
		ips, tags := map[string]bool{}, map[string]bool{}
		for _, d := range devs {
			if tags[d.AssetTag] {
				t.Errorf("hospital %d: duplicate tag %s", h, d.AssetTag)
			}
			tags[d.AssetTag] = true
			if d.ManufacturerNorm != NormaliseManufacturer(d.Manufacturer) || d.Model == "" || d.Version == "" {
				t.Errorf("device %+v", d)
			}
			for _, ip := range d.IPAddresses {
				a, err := netip.ParseAddr(ip)
				if err != nil || !a.IsPrivate() || !strings.HasPrefix(ip, fmt.Sprintf("10.%d.", h)) {
					t.Errorf("hospital %d: ip %q", h, ip)
				}
				if ips[ip] {
					t.Errorf("hospital %d: duplicate ip %s", h, ip)
				}
				ips[ip] = true
			}
			mfrs[d.ManufacturerNorm] = true
			functions[d.ClinicalFunction] = true
			zones[d.Zone] = true
		}
	}
	if len(mfrs) < 15 || len(functions) != len(ClinicalFunctions) || len(zones) != len(Zones) {
		t.Errorf("too little variety: %d manufacturers, %d functions, %d zones", len(mfrs), len(functions), len(zones))
	}
}

// TestProductsAreKnownManufacturers keeps the generator's table in step with
// the alias table, so generated devices match advisories by manufacturer.
func TestProductsAreKnownManufacturers(t *testing.T) {
	for _, p := range products {
		norm := NormaliseManufacturer(p.mfr)
		if _, ok := builtinAliases[norm]; !ok {
			t.Errorf("%s %s: manufacturer normalises to %q, not a canonical name of the alias table", p.mfr, p.model, norm)
		}
	}
}
