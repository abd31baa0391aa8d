package advisory

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
)

func TestParseKEV(t *testing.T) {
	data, err := os.ReadFile("testdata/kev.json")
	if err != nil {
		t.Fatal(err)
	}
	kev, err := ParseKEV(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(kev) != 3 {
		t.Fatalf("%d entries, want 3", len(kev))
	}
	tests := []struct {
		name       string
		cve        string
		vendor     string
		added, due time.Time
		ransomware bool
	}{
		{"known ransomware use", "CVE-2024-0001", "Example Medical", day(2024, 3, 5), day(2024, 3, 26), true},
		{"unknown ransomware use", "CVE-2023-12345", "Example Imaging", day(2023, 11, 20), day(2023, 12, 11), false},
		{"padded id, no due date", "CVE-2022-4242", "Example OT", day(2022, 6, 1), time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := kev[tt.cve]
			if !ok {
				t.Fatalf("%s missing", tt.cve)
			}
			if e.CVE != tt.cve || e.VendorProject != tt.vendor || !e.DateAdded.Equal(tt.added) ||
				!e.DueDate.Equal(tt.due) || e.Ransomware != tt.ransomware || e.Product == "" {
				t.Errorf("entry = %+v", e)
			}
		})
	}
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestParseKEVErrors(t *testing.T) {
	entry := func(fields string) string { return `{"vulnerabilities": [` + fields + `]}` }
	tests := []struct {
		name, in, want string
	}{
		{"not JSON", "nope", "not a KEV catalogue"},
		{"no vulnerabilities", `{"title": "x"}`, `no "vulnerabilities"`},
		{"bad cve", entry(`{"cveID": "CVE-24-1", "dateAdded": "2024-01-01"}`), `vulnerabilities[0].cveID: "CVE-24-1"`},
		{"missing cve", entry(`{"dateAdded": "2024-01-01"}`), "vulnerabilities[0].cveID"},
		{"bad dateAdded", entry(`{"cveID": "CVE-2024-0001", "dateAdded": "01/02/2024"}`), "(CVE-2024-0001).dateAdded"},
		{"bad dueDate", entry(`{"cveID": "CVE-2024-0001", "dateAdded": "2024-01-01", "dueDate": "soon"}`), "(CVE-2024-0001).dueDate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseKEV([]byte(tt.in))
			if err == nil || aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseKEV error = %v, want EINVALID containing %q", err, tt.want)
			}
		})
	}
	kev, err := ParseKEV([]byte(entry(`{"cveID": "CVE-2024-0001", "dateAdded": "2024-01-01", "product": "first"},
		{"cveID": "CVE-2024-0001", "dateAdded": "2024-02-01", "product": "second"}`)))
	if err != nil || kev["CVE-2024-0001"].Product != "first" {
		t.Errorf("duplicate entry: %v %+v", err, kev)
	}
}
