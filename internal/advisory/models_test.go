package advisory

import (
	"slices"
	"testing"
)

func TestModelsFromNames(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"list with range kept as one token", "IntelliVue MX100, MX400-MX850", []string{"MX100", "MX400-MX850"}},
		{"model keyword", "Alaris PC Unit Model 8015", []string{"8015"}},
		{"plain number", "Aespire 7900", []string{"7900"}},
		{"garbage with pipes", "CS2 Avance | Amingo", []string{"CS2"}},
		{"slash separated", "Avalon Fetal/Maternal Monitors FM20/FM30/FM40/FM50", []string{"FM20", "FM30", "FM40", "FM50"}},
		{"parenthesised code", "CARESCAPE Central Station (CSCS)", []string{"CSCS"}},
		{"order number", "SCALANCE X-200 6GK5615-0AA00-2AA2", []string{"X-200", "6GK5615-0AA00-2AA2"}},
		{"plus suffix kept", "Discovery XR656+", []string{"XR656+"}},
		{"model number that looks like a late year", "CareLink 2090 Programmer", []string{"2090"}},
		{"year dropped", "Holter 2010 Plus", nil},
		{"date dropped", "released 2020-11-12", nil},
		{"versions dropped", "Alaris 9.33.1 V4.0 v2 1.5T", nil},
		{"word after version keyword dropped", "Firmware A10 Software B20 Module C30", []string{"C30"}},
		{"short numbers and units dropped", "Brilliance 64 10GB 3T 2nd 64-bit 7-based", nil},
		{"acronyms and long capitals dropped", "INTEGRITY RTOS USB DICOM PACS", nil},
		{"mixed case without digit dropped", "IntelliVue Brivo", nil},
		{"V-number model kept", "Respironics V60 ventilator", []string{"V60"}},
		{"lower-case v-number dropped", "Tool v12", nil},
		{"cve dropped", "CVE-2020-1234", nil},
		{"duplicates case-insensitive", "MX100 mx100 MX100", []string{"MX100"}},
		{"non-ASCII and symbols", "Pümpe™ 5000® ¿?", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m modelSet
			m.addFrom(tt.in)
			if !slices.Equal(m.out, tt.want) {
				t.Errorf("models(%q) = %q, want %q", tt.in, m.out, tt.want)
			}
		})
	}
}

func TestModelsSkipVendorWords(t *testing.T) {
	m := modelSet{skip: vendorWords("BIOTRONIK", "BIOTRONIK SE")}
	m.addFrom("BIOTRONIK CardioMessenger II-S GSM T4APP")
	if !slices.Equal(m.out, []string{"T4APP"}) {
		t.Errorf("got %q", m.out)
	}
}

func TestSplitNameVersion(t *testing.T) {
	tests := []struct {
		name, in, head, tail string
	}{
		{"colon", "BD Alaris PC Unit Model 8015: Versions 9.33.1 and earlier", "BD Alaris PC Unit Model 8015", "Versions 9.33.1 and earlier"},
		{"version keyword", "SmartLog Software version 2.4.0", "SmartLog Software", "version 2.4.0"},
		{"prior to", "Pump prior to 3.1", "Pump", "prior to 3.1"},
		{"trailing and earlier", "Monitor 2.3 and earlier", "Monitor", "2.3 and earlier"},
		{"operator", "SmartLog Diabetes Management Software - < 2.4.0", "SmartLog Diabetes Management Software -", "< 2.4.0"},
		{"URL colon is not a separator", "see https://example.invalid", "see https://example.invalid", ""},
		{"nothing", "Aespire 7900", "Aespire 7900", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, v := splitNameVersion(tt.in)
			if h != tt.head || v != tt.tail {
				t.Errorf("splitNameVersion(%q) = %q, %q; want %q, %q", tt.in, h, v, tt.head, tt.tail)
			}
		})
	}
}

func TestVersionFromText(t *testing.T) {
	tests := []struct {
		name, in, want string
		isRange        bool
	}{
		{"and earlier", "Versions 9.33.1 and earlier", "<= 9.33.1", true},
		{"and prior", "Version 2.3.0 and prior", "<= 2.3.0", true},
		{"prior to", "prior to M.00.03", "< M.00.03", true},
		{"all versions", "All versions", "vers:all/*", true},
		{"later", "3.0 and later", ">= 3.0", true},
		{"through", "up to 7.6.2", "<= 7.6.2", true},
		{"explicit operator", "<= 4.2", "<= 4.2", true},
		{"single version", "4.2", "4.2", false},
		{"version word and single version", "Version 1.6.1", "1.6.1", false},
		{"free text", "with wireless option", "with wireless option", true},
		{"list kept as written", "1.10 1.11 1.13", "1.10 1.11 1.13", true},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, r := versionFromText(tt.in)
			if got != tt.want || r != tt.isRange {
				t.Errorf("versionFromText(%q) = %q, %v; want %q, %v", tt.in, got, r, tt.want, tt.isRange)
			}
		})
	}
}

func TestVendorPrefix(t *testing.T) {
	tests := []struct {
		name, in, vendor, rest string
	}{
		{"acronym", "BD Alaris PC Unit Model 8015", "BD", "Alaris PC Unit Model 8015"},
		{"canonical name with corporate word", "GE Healthcare Aespire 7900", "GE Healthcare", "Aespire 7900"},
		{"canonical name", "Philips IntelliVue MX40", "Philips", "IntelliVue MX40"},
		{"brand alias stays in the name", "Alaris Systems Manager", "Alaris", "Alaris Systems Manager"},
		{"unknown vendor", "Acme Pump", "", "Acme Pump"},
		{"single word", "Philips", "", "Philips"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &parser{a: &Advisory{}}
			v, rest := p.vendorPrefix(tt.in)
			if v != tt.vendor || rest != tt.rest {
				t.Errorf("vendorPrefix(%q) = %q, %q; want %q, %q", tt.in, v, rest, tt.vendor, tt.rest)
			}
		})
	}
}
