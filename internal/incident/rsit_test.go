package incident

import (
	"strings"
	"testing"

	"github.com/aceso-health/aceso"
)

// TestRSITLoads checks the embedded taxonomy is RSIT v1.3 with all eleven
// classes and the types added in 1.3 (system-compromise, data-leak,
// undetermined).
func TestRSITLoads(t *testing.T) {
	tax := RSIT()
	if tax.Version != "1.3" {
		t.Errorf("version %q", tax.Version)
	}
	wantClasses := []string{"abusive-content", "malicious-code", "information-gathering", "intrusion-attempts", "intrusions",
		"availability", "information-content-security", "fraud", "vulnerable", "other", "test"}
	if len(tax.Classes) != len(wantClasses) {
		t.Fatalf("%d classes, want %d", len(tax.Classes), len(wantClasses))
	}
	for i, c := range tax.Classes {
		if c.Class != wantClasses[i] || c.Name == "" || c.Description == "" || len(c.Types) == 0 {
			t.Errorf("class %d = %+v, want %s with name, description and types", i, c, wantClasses[i])
		}
	}
	for _, p := range [][2]string{{"intrusions", "system-compromise"}, {"information-content-security", "data-leak"},
		{"other", "undetermined"}, {"malicious-code", "infected-system"}, {"availability", "misconfiguration"}} {
		c, ty, ok := tax.Lookup(p[0], p[1])
		if !ok || c.Class != p[0] || ty.Type != p[1] || ty.Description == "" {
			t.Errorf("Lookup(%s, %s) = %+v %+v %v", p[0], p[1], c, ty, ok)
		}
	}
	if _, _, ok := tax.Lookup("malicious-code", "virus"); ok {
		t.Error("RSIT 1.3 has no malicious-code/virus (that was the eCSIRT.net v1)")
	}
}

func TestClassificationValidate(t *testing.T) {
	tests := []struct {
		name  string
		c     Classification
		field string
	}{
		{"unclassified", Classification{}, ""},
		{"valid pair", Classification{"information-content-security", "unauthorised-information-modification"}, ""},
		{"unknown class", Classification{"ransomware", "x"}, "classification.class"},
		{"type of other class", Classification{"fraud", "dos"}, "classification.type"},
		{"type only", Classification{Type: "spam"}, "classification.class"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			if (err == nil) != (tt.field == "") {
				t.Fatalf("err %v", err)
			}
			if err != nil && (aceso.ErrorCode(err) != aceso.EINVALID || !strings.HasPrefix(aceso.ErrorMessage(err), tt.field)) {
				t.Errorf("err %v, want EINVALID naming %s", err, tt.field)
			}
		})
	}
}

func TestParseTaxonomyRejects(t *testing.T) {
	for _, bad := range []string{`{`, `{"classes":[{"class":"a","types":[]}]}`, `{"classes":[{"class":"a","types":[{"type":"x","description":"d"},{"type":"x","description":"d"}]}]}`} {
		if _, err := parseTaxonomy([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
