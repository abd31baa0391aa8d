package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sha256Hex12(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:12]
}

func TestParseMACList(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		bad      string // substring of the reason, "" for valid
	}{
		{"colon upper", "00:1A:2B:3C:4D:5E", []string{"00:1a:2b:3c:4d:5e"}, ""},
		{"dash", "00-1a-2b-3c-4d-5e", []string{"00:1a:2b:3c:4d:5e"}, ""},
		{"cisco dots", "001A.2B3C.4D5E", []string{"00:1a:2b:3c:4d:5e"}, ""},
		{"bare", "001a2b3c4d5e", []string{"00:1a:2b:3c:4d:5e"}, ""},
		{"several, duplicates dropped", "001a2b3c4d5e; 00:1a:2b:3c:4d:5f ,001A2B3C4D5E", []string{"00:1a:2b:3c:4d:5e", "00:1a:2b:3c:4d:5f"}, ""},
		{"bad hex", "00:1G:2b:3c:4d:5e", nil, `"00:1G:2b:3c:4d:5e"`},
		{"mixed separators", "00:1a-2b:3c:4d:5e", nil, "invalid MAC"},
		{"too short", "00:1a:2b:3c:4d", nil, "invalid MAC"},
		{"eui-64", "00:1a:2b:ff:fe:3c:4d:5e", nil, "invalid MAC"},
		{"second bad", "001a2b3c4d5e x", nil, `"x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := parseMACList(tt.in)
			if tt.bad != "" {
				if !strings.Contains(reason, tt.bad) || got != nil {
					t.Errorf("got %v, reason %q; want reason with %q", got, reason, tt.bad)
				}
				return
			}
			if reason != "" || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v %q, want %v", got, reason, tt.want)
			}
		})
	}
}

func TestParseIPList(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		bad      string
	}{
		{"one", "10.0.0.1", []string{"10.0.0.1"}, ""},
		{"semicolon comma space", "10.0.0.1; 10.0.0.2,10.0.0.3 10.0.0.4", []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"}, ""},
		{"ipv6 canonical", "FE80:0:0:0:0:0:0:1", []string{"fe80::1"}, ""},
		{"duplicate", "10.0.0.1;10.0.0.1", []string{"10.0.0.1"}, ""},
		{"octet too big", "10.0.0.300", nil, `invalid IP address "10.0.0.300"`},
		{"prefix", "10.0.0.0/24", nil, "network prefix"},
		{"hostname", "pacs01", nil, `"pacs01"`},
		{"leading zeros", "010.000.000.001", nil, "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := parseIPList(tt.in)
			if tt.bad != "" {
				if !strings.Contains(reason, tt.bad) {
					t.Errorf("reason %q lacks %q", reason, tt.bad)
				}
				return
			}
			if reason != "" || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v %q, want %v", got, reason, tt.want)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name, in string
		want     time.Time
		bad      string
	}{
		{"iso", "2027-03-31", d(2027, 3, 31), ""},
		{"iso with time", "2027-03-31T12:00:00Z", d(2027, 3, 31), ""},
		{"iso with space time", "2027-03-31 00:00:00", d(2027, 3, 31), ""},
		{"iso slashes", "2027/03/31", d(2027, 3, 31), ""},
		{"german", "31.03.2027", d(2027, 3, 31), ""},
		{"german short", "1.4.2027", d(2027, 4, 1), ""},
		{"d/m/Y day > 12", "31/03/2027", d(2027, 3, 31), ""},
		{"m/d/Y day > 12", "03/31/2027", d(2027, 3, 31), ""},
		{"same day and month", "04/04/2027", d(2027, 4, 4), ""},
		{"ambiguous slash", "03/04/2027", time.Time{}, "ambiguous"},
		{"ambiguous dash", "03-04-2027", time.Time{}, "ambiguous"},
		{"d-m-Y unambiguous", "31-03-2027", d(2027, 3, 31), ""},
		{"two-digit year", "31.03.27", time.Time{}, "four-digit year"},
		{"no such day", "2027-02-30", time.Time{}, "no such day"},
		{"month 13", "2027-13-01", time.Time{}, "no such day"},
		{"text", "next year", time.Time{}, `invalid date "next year"`},
		{"year only", "2027", time.Time{}, "YYYY-MM-DD"},
		{"signed", "+2027-01-01", time.Time{}, "invalid date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := parseDate(tt.in)
			if tt.bad != "" {
				if !strings.Contains(reason, tt.bad) {
					t.Errorf("reason %q lacks %q", reason, tt.bad)
				}
				return
			}
			if reason != "" || !got.Equal(tt.want) {
				t.Errorf("got %v %q, want %v", got, reason, tt.want)
			}
		})
	}
}

func TestSetFieldEnums(t *testing.T) {
	tests := []struct {
		name string
		f    field
		in   string
		want func(d *Device) bool
		bad  string
	}{
		{"zone spaced", fZone, "Hospital LAN", func(d *Device) bool { return d.Zone == ZoneHospitalLAN }, ""},
		{"zone underscore", fZone, "INTERNET_EXPOSED", func(d *Device) bool { return d.Zone == ZoneInternetExposed }, ""},
		{"zone air-gapped", fZone, "air gapped", func(d *Device) bool { return d.Zone == ZoneIsolated }, ""},
		{"zone unknown lists choices", fZone, "DMZ", nil, "isolated, clinical-segment, hospital-lan, remote-access, internet-exposed"},
		{"function life support", fClinicalFunction, "Life Support", func(d *Device) bool { return d.ClinicalFunction == FunctionLifeSupport }, ""},
		{"function imaging", fClinicalFunction, "imaging", func(d *Device) bool { return d.ClinicalFunction == FunctionDiagnosticImaging }, ""},
		{"function free text rejected", fClinicalFunction, "ICU monitor", nil, `unknown clinical function "ICU monitor"`},
		{"safety", fSafety, "Catastrophic", func(d *Device) bool { return d.SafetyImpact == SafetyCatastrophic }, ""},
		{"safety bad", fSafety, "high", nil, "unknown safety impact"},
		{"support EOL", fSupport, "EOL", func(d *Device) bool { return d.SupportStatus == SupportEndOfLife }, ""},
		{"support end of support", fSupport, "End of Support", func(d *Device) bool { return d.SupportStatus == SupportEndOfSupport }, ""},
		{"support bad", fSupport, "maybe", nil, "unknown support status"},
		{"patchable ja", fPatchable, "Ja", func(d *Device) bool { return d.Patchable != nil && *d.Patchable }, ""},
		{"patchable nein", fPatchable, "NEIN", func(d *Device) bool { return d.Patchable != nil && !*d.Patchable }, ""},
		{"patchable 0", fPatchable, "0", func(d *Device) bool { return d.Patchable != nil && !*d.Patchable }, ""},
		{"patchable true", fPatchable, "TRUE", func(d *Device) bool { return *d.Patchable }, ""},
		{"patchable bad", fPatchable, "sometimes", nil, "invalid patchable"},
		{"tags split", fTags, "icu; wifi,legacy|wifi", func(d *Device) bool { return reflect.DeepEqual(d.Tags, []string{"icu", "wifi", "legacy"}) }, ""},
		{"hostname with space", fHostname, "pacs 01", nil, "invalid hostname"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Device
			reason := setField(&d, tt.f, tt.in)
			if tt.bad != "" {
				if !strings.Contains(reason, tt.bad) {
					t.Errorf("reason %q lacks %q", reason, tt.bad)
				}
				return
			}
			if reason != "" || !tt.want(&d) {
				t.Errorf("reason %q, device %+v", reason, d)
			}
		})
	}
}
