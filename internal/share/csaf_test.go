package share

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/gocsaf/csaf/v3/csaf"

	"github.com/aceso-health/aceso/internal/advisory"
)

var testPub = CSAFPublisher{Name: "Health CERT", Namespace: "https://cert.example", Engine: "test"}

const icsmaDir = "../../../shared/testdata/csaf/icsma"

func icsmaFiles(tb testing.TB) []string {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join(icsmaDir, "*.json"))
	if len(files) == 0 {
		tb.Skipf("no shared test data in %s", icsmaDir)
	}
	return files
}

func validateCSAF(t *testing.T, name string, data []byte) {
	t.Helper()
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	errs, err := csaf.ValidateCSAF(doc)
	if err != nil {
		t.Fatalf("%s: validate: %v", name, err)
	}
	if len(errs) > 0 {
		t.Errorf("%s: schema errors: %v", name, errs)
	}
}

// TestCSAFDocumentRealAdvisories exports every real CISA medical advisory
// and proves that the output is schema-valid CSAF 2.0 and that Aceso's own
// parser reads back the same products, CVEs, statuses and tracking data.
func TestCSAFDocumentRealAdvisories(t *testing.T) {
	for _, f := range icsmaFiles(t) {
		a, err := advisory.ParseFile(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if a.TLP == "" {
			a.TLP = "TLP:CLEAR"
		}
		out, err := CSAFDocument(a, testPub)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		validateCSAF(t, f, out)
		again, err := CSAFDocument(a, testPub)
		if err != nil || !bytes.Equal(out, again) {
			t.Errorf("%s: output not deterministic", f)
		}
		b, err := advisory.Parse(out)
		if err != nil {
			t.Fatalf("%s: reparse: %v", f, err)
		}
		if b.ID != a.ID || b.TLP != a.TLP || !b.CurrentRelease.Equal(a.CurrentRelease) || b.Title != a.Title {
			t.Errorf("%s: tracking changed: %s %s %v %q", f, b.ID, b.TLP, b.CurrentRelease, b.Title)
		}
		if !slices.Equal(b.CVEs(), a.CVEs()) {
			t.Errorf("%s: CVEs %v, want %v", f, b.CVEs(), a.CVEs())
		}
		for _, p := range a.Products {
			if p.RelCategory != "" {
				continue
			}
			q := b.Product(p.ID)
			if q == nil {
				t.Errorf("%s: product %s lost", f, p.ID)
				continue
			}
			if q.Vendor != p.Vendor || q.Version != p.Version || q.Name != p.Name {
				t.Errorf("%s: product %s: got %q/%q/%q, want %q/%q/%q", f, p.ID, q.Vendor, q.Name, q.Version, p.Vendor, p.Name, p.Version)
			}
		}
		for i, v := range a.Vulnerabilities {
			for _, p := range a.Products {
				if p.RelCategory == "" && a.StatusOf(&v, p.ID) != b.StatusOf(&b.Vulnerabilities[i], p.ID) {
					t.Errorf("%s: vuln %d product %s: status changed", f, i, p.ID)
				}
			}
			if len(b.Vulnerabilities[i].Remediations) == 0 && len(v.Remediations) > 0 {
				t.Errorf("%s: vuln %d lost its remediations", f, i)
			}
		}
	}
}

func TestCSAFDocumentLabels(t *testing.T) {
	base := advisory.Advisory{ID: "ACESO-2026-0001", Title: "Pump firmware", Revision: "1.2",
		CurrentRelease: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		Products:       []advisory.Product{{ID: "P1", FullName: "Acme Pump 8015 <= 2.3", Vendor: "Acme", Name: "Pump 8015", Version: "<= 2.3"}},
		Vulnerabilities: []advisory.Vulnerability{{CVE: "CVE-2026-1234", CWE: "CWE-798",
			ProductStatus: map[string][]string{"known_affected": {"P1", "GHOST"}},
			Scores:        []advisory.Score{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", BaseScore: 9.8, Severity: "CRITICAL", ProductIDs: []string{"P1"}}},
			Remediations:  []advisory.Remediation{{Category: "vendor_fix", Details: "Update to 2.4", ProductIDs: []string{"P1"}}}}},
	}
	tests := []struct {
		name, tlp, want string
		err, noProducts bool
	}{
		{name: "clear is white", tlp: "TLP:CLEAR", want: "WHITE"},
		{name: "green", tlp: "TLP:GREEN", want: "GREEN"},
		{name: "amber", tlp: "TLP:AMBER", want: "AMBER"},
		{name: "red", tlp: "TLP:RED", want: "RED"},
		{name: "amber+strict has no csaf label", tlp: "TLP:AMBER+STRICT", err: true},
		{name: "unlabelled", tlp: "", err: true},
		{name: "no products", tlp: "TLP:CLEAR", noProducts: true, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := base
			a.TLP = tt.tlp
			if tt.noProducts {
				a.Products = nil
			}
			out, err := CSAFDocument(&a, testPub)
			if tt.err {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			validateCSAF(t, tt.name, out)
			var d struct {
				Document struct {
					Distribution struct{ TLP struct{ Label string } }
					Publisher    struct{ Category, Name string }
					Tracking     struct{ ID, Version string }
				}
				Vulnerabilities []struct {
					ProductStatus map[string][]string `json:"product_status"`
				}
			}
			if err := json.Unmarshal(out, &d); err != nil {
				t.Fatal(err)
			}
			if d.Document.Distribution.TLP.Label != tt.want || d.Document.Publisher.Category != "coordinator" ||
				d.Document.Tracking.ID != a.ID || d.Document.Tracking.Version != "1.2.0" {
				t.Errorf("got %+v", d.Document)
			}
			if got := d.Vulnerabilities[0].ProductStatus["known_affected"]; !slices.Equal(got, []string{"P1"}) {
				t.Errorf("known_affected = %v: unknown product ids must be dropped", got)
			}
		})
	}
}

func TestCSAFFileName(t *testing.T) {
	tests := []struct{ name, id, want string }{
		{name: "cisa", id: "ICSMA-20-317-01", want: "icsma-20-317-01.json"},
		{name: "spaces and slashes", id: "Acme SA/2024:01", want: "acme_sa_2024_01.json"},
		{name: "plus kept", id: "x+y", want: "x+y.json"},
		{name: "runs collapse", id: "a  ..b", want: "a_b.json"},
	}
	for _, tt := range tests {
		if got := CSAFFileName(tt.id); got != tt.want {
			t.Errorf("%s: CSAFFileName(%q) = %q, want %q", tt.name, tt.id, got, tt.want)
		}
	}
}

// FuzzCSAFDocument feeds arbitrary CSAF-ish JSON through Aceso's parser
// and the exporter: no panic, deterministic output, and whatever is
// exported is schema-valid and keeps the tracking id.
func FuzzCSAFDocument(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(icsmaDir, "*.json"))
	for _, p := range files[:min(len(files), 5)] {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"document":{"tracking":{"id":"X 1","version":"0"},"distribution":{"tlp":{"label":"GREEN"}}},"product_tree":{"branches":[{"category":"vendor","name":"V","branches":[{"category":"product_version","name":"< 2","product":{"product_id":"A","name":"a"}}]}]},"vulnerabilities":[{"cve":"CVE-1","product_status":{"fixed":["A","B"]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := advisory.Parse(data)
		if err != nil {
			return
		}
		if a.TLP == "" {
			a.TLP = "TLP:CLEAR"
		}
		out, err := CSAFDocument(a, testPub)
		if err != nil {
			return
		}
		again, _ := CSAFDocument(a, testPub)
		if !bytes.Equal(out, again) {
			t.Fatal("not deterministic")
		}
		var doc any
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		if errs, err := csaf.ValidateCSAF(doc); err != nil || len(errs) > 0 {
			t.Fatalf("invalid output %v %v\n%s", errs, err, out)
		}
		b, err := advisory.Parse(out)
		if err != nil || b.ID != a.ID {
			t.Fatalf("reparse: %v", err)
		}
	})
}

// BenchmarkCSAFDocument exports the 90 real ICSMA advisories (one op = all).
func BenchmarkCSAFDocument(b *testing.B) {
	var advs []*advisory.Advisory
	for _, f := range icsmaFiles(b) {
		a, err := advisory.ParseFile(f)
		if err != nil {
			b.Fatal(err)
		}
		a.TLP = "TLP:CLEAR"
		advs = append(advs, a)
	}
	for b.Loop() {
		for _, a := range advs {
			if _, err := CSAFDocument(a, testPub); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkCSAFSign signs one 20 KiB document with the Ed25519 key.
func BenchmarkCSAFSign(b *testing.B) {
	k, err := NewCSAFSigningKey("Health CERT", "", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	s, err := NewCSAFSigner(k.Private)
	if err != nil {
		b.Fatal(err)
	}
	doc := bytes.Repeat([]byte("x"), 20<<10)
	for b.Loop() {
		if _, err := s.Sign(doc, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCSAFSigner proves signatures verify against the public key only and
// that tampering is detected.
func TestCSAFSigner(t *testing.T) {
	k, err := NewCSAFSigningKey("Health CERT", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(k.Public, "PRIVATE") || len(k.Fingerprint) != 40 {
		t.Fatalf("public key %q fingerprint %q", k.Public[:40], k.Fingerprint)
	}
	s, err := NewCSAFSigner(k.Private)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewCSAFSigner(k.Public); err == nil {
		t.Error("a public key accepted as signer")
	}
	ring, err := openpgp.ReadArmoredKeyRing(strings.NewReader(k.Public))
	if err != nil {
		t.Fatal(err)
	}
	doc := []byte(`{"document":{}}`)
	sig, err := s.Sign(doc, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		ok   bool
	}{
		{name: "original", data: doc, ok: true},
		{name: "tampered", data: []byte(`{"document":{ }}`)},
	}
	for _, tt := range tests {
		_, err := openpgp.CheckArmoredDetachedSignature(ring, bytes.NewReader(tt.data), bytes.NewReader(sig), nil)
		if (err == nil) != tt.ok {
			t.Errorf("%s: verify err = %v", tt.name, err)
		}
	}
}
