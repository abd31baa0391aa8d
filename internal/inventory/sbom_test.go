package inventory

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
)

var wantGatewayComponents = []Component{
	{Name: "linux", Version: "5.10.186", CPE: "cpe:2.3:o:linux:linux_kernel:5.10.186:*:*:*:*:*:*:*", Type: "operating-system"},
	{Name: "busybox", Version: "1.35.0", PURL: "pkg:generic/busybox@1.35.0", Type: "library"},
	{Name: "openssl", Version: "1.1.1w", PURL: "pkg:generic/openssl@1.1.1w", CPE: "cpe:2.3:a:openssl:openssl:1.1.1w:*:*:*:*:*:*:*", Type: "library"},
	{Name: "log4j-core", Version: "2.17.1", PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1", Type: "library"},
	{Name: "wifi-module-fw", Version: "7.35.180.133", Type: "firmware"},
}

func TestReadSBOM(t *testing.T) {
	tests := []struct {
		name, file, encoding, spec string
	}{
		{"json 1.5", "testdata/sbom/infusion-gateway.cdx.json", "json", "1.5"},
		{"xml 1.4", "testdata/sbom/infusion-gateway.cdx.xml", "xml", "1.4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := os.Open(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			meta, comps, err := ReadSBOM(f)
			if err != nil {
				t.Fatal(err)
			}
			want := SBOMMeta{Format: "CycloneDX", Encoding: tt.encoding, SpecVersion: tt.spec,
				SerialNumber: "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", Version: 2,
				Timestamp: time.Date(2025, 11, 3, 8, 12, 0, 0, time.UTC),
				Subject: Component{Name: "InfuLink Gateway 3000", Version: "4.2.1", Type: "device",
					CPE: "cpe:2.3:h:example_medical:infulink_gateway_3000:4.2.1:*:*:*:*:*:*:*"},
				Manufacturer: "Example Medical Devices GmbH"}
			if !reflect.DeepEqual(meta, want) {
				t.Errorf("meta\n got %+v\nwant %+v", meta, want)
			}
			if !reflect.DeepEqual(comps, wantGatewayComponents) {
				t.Errorf("components\n got %+v\nwant %+v", comps, wantGatewayComponents)
			}
		})
	}
}

func TestReadSBOMErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "  \n", "empty"},
		{"csv", "Manufacturer,Model\n", "not a CycloneDX"},
		{"spdx", `{"spdxVersion":"SPDX-2.3","packages":[]}`, "SPDX documents are not supported"},
		{"other json", `{"bomFormat":"Other"}`, `bomFormat is "Other"`},
		{"broken json", `{"bomFormat":"CycloneDX","components":[`, "invalid JSON"},
		{"other xml", `<?xml version="1.0"?><html></html>`, "want a CycloneDX <bom>"},
		{"broken xml", `<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components>`, "invalid XML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadSBOM(strings.NewReader(tt.in))
			if aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(aceso.ErrorMessage(err), tt.want) {
				t.Errorf("err %v, want EINVALID with %q", err, tt.want)
			}
		})
	}
}

func TestReadSBOMTolerant(t *testing.T) {
	// BOM, string version, 1.6 "manufacturer", no metadata timestamp.
	in := "\xef\xbb\xbf\n" + `{"bomFormat":"CycloneDX","specVersion":"1.6","version":"3",
		"metadata":{"manufacturer":{"name":"Acme"},"supplier":{"name":"Distributor"}},
		"components":[{"name":"zlib","version":"1.3"}]}`
	meta, comps, err := ReadSBOM(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if meta.Version != 3 || meta.Manufacturer != "Acme" || !meta.Timestamp.IsZero() || len(comps) != 1 || comps[0].Name != "zlib" {
		t.Errorf("meta %+v comps %+v", meta, comps)
	}
}

// cdxDocument writes components as a minimal CycloneDX JSON document, for
// the round-trip property of the fuzz target.
func cdxDocument(tb testing.TB, comps []Component) []byte {
	tb.Helper()
	type c struct {
		Type    string `json:"type,omitempty"`
		Name    string `json:"name"`
		Version string `json:"version,omitempty"`
		PURL    string `json:"purl,omitempty"`
		CPE     string `json:"cpe,omitempty"`
	}
	doc := struct {
		BOMFormat   string `json:"bomFormat"`
		SpecVersion string `json:"specVersion"`
		Components  []c    `json:"components"`
	}{"CycloneDX", "1.5", nil}
	for _, x := range comps {
		doc.Components = append(doc.Components, c{x.Type, x.Name, x.Version, x.PURL, x.CPE})
	}
	b, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func FuzzReadSBOM(f *testing.F) {
	for _, name := range []string{"testdata/sbom/infusion-gateway.cdx.json", "testdata/sbom/infusion-gateway.cdx.xml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(cdxDocument(f, wantGatewayComponents))
	f.Add([]byte(`<bom xmlns="http://cyclonedx.org/schema/bom/1.2"><components><component><name>a</name><components><component><name>b</name></component></components></component></components></bom>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		meta, comps, err := ReadSBOM(bytes.NewReader(data))
		if err != nil {
			return
		}
		if meta.Format != "CycloneDX" || (meta.Encoding != "json" && meta.Encoding != "xml") || meta.Version < 1 {
			t.Fatalf("meta %+v", meta)
		}
		for _, c := range comps {
			if c.Name == "" || c.Name != clean(c.Name) || c.Version != clean(c.Version) {
				t.Fatalf("component not clean: %+v", c)
			}
		}
		// Writing the components back as CycloneDX JSON and reading them again changes nothing.
		_, again, err := ReadSBOM(bytes.NewReader(cdxDocument(t, comps)))
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if len(again) != len(comps) || (len(comps) > 0 && !reflect.DeepEqual(again, comps)) {
			t.Fatalf("round trip changed components:\n%+v\n%+v", comps, again)
		}
	})
}
