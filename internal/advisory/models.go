package advisory

import (
	"strings"
)

// Model numbers are the best identifier medical advisories carry (CPE and
// purl are nearly absent), so they are pulled out of product names here.
// A token counts as a model when it holds a digit ("8015", "MX100",
// "MX400-MX850", "6GK5615-0AA00-2AA2") or is a short all-caps code ("CSCS"),
// and is not a version, year, date, unit or common acronym. Ranges such as
// "MX400-MX850" stay one token: the match engine expands them.

// maxModelLen drops tokens that are too long to be a model number (base64,
// hashes, garbage); the longest real ones (Siemens order numbers) are ~20.
const maxModelLen = 40

// Letters-only codes longer than this are brand names in capitals
// ("CARESCAPE", "INTEGRITY"), not model codes.
const maxLetterCode = 6

// modelStopwords are all-caps words of 3..6 letters that appear in product
// names but name a technology, a device type or a company form, not a model.
var modelStopwords = toSet(
	"AND", "THE", "FOR", "WITH", "ALL", "NEW", "OLD", "PLUS", "PRO", "MINI", "MAX", "LITE", "BASE", "CORE",
	"SUITE", "KIT", "UNIT", "EDGE", "ONE", "WEB", "NET", "APP", "APPS", "LLC", "INC", "LTD", "GMBH", "CORP",
	"USB", "LAN", "WAN", "WLAN", "WIFI", "GSM", "LTE", "UMTS", "BLE", "NFC", "RFID", "HMI", "PLC", "RTU",
	"SCADA", "OPC", "DCS", "MES", "ERP", "PACS", "RIS", "HIS", "EMR", "EHR", "DICOM", "MRI", "ICD", "IVD",
	"RUO", "OEM", "SDK", "API", "CPU", "GUI", "RTOS", "SQL", "HTTP", "HTTPS", "FTP", "SFTP", "SSH", "SNMP",
	"TCP", "UDP", "VPN", "PDF", "XML", "JSON", "CRT", "ECG", "EKG", "EEG", "PET", "SPECT", "ICU", "NICU",
	"AWS", "LVP", "PCA", "III", "VII", "VIII", "XII", "CLI", "KVM", "UPS", "BMS", "IOT", "IIOT", "LED",
	"LCD", "RAM", "ROM", "SSD", "HDD", "BIOS", "UEFI", "DHCP", "DNS", "NTP", "LDAP", "SMB", "CIFS", "NFS",
	"SAN", "NAS", "RDP", "VNC", "POS", "PDA", "DVR", "NVR", "CCTV", "IPC", "HSM", "TPM", "CAN", "BUS",
	"MODBUS", "BACNET", "KNX", "DNP", "IEC", "ISO", "ANSI", "NEMA", "FDA", "USA", "SIM", "GPS", "OTA",
	"IPV", "SSL", "TLS", "XSS", "CSRF", "CVE", "CWE", "CVSS", "TLP", "CSAF", "PDU", "AVR", "ARM", "RISC",
)

// versionWords announce that the next token is a version, not a model.
var versionWords = toSet("VERSION", "VERSIONS", "VER", "V", "FIRMWARE", "SOFTWARE", "RELEASE", "REV",
	"REVISION", "BUILD", "UPDATE", "SP", "PATCH", "FW", "SW")

// unitSuffixes turn "10GB", "3T" or "64bit" into measurements.
var unitSuffixes = []string{"GBPS", "MBPS", "KBPS", "GHZ", "MHZ", "KHZ", "HZ", "GB", "MB", "KB", "TB", "BIT", "BITS",
	"MM", "CM", "MS", "BASED", "ST", "ND", "RD", "TH", "T", "X", "K", "P"}

func toSet(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// isModelSeparator reports the bytes that split a name into candidate
// tokens; '-' and '+' stay inside tokens ("MX400-MX850", "XR656+"). All are
// ASCII, so scanning bytes is safe in UTF-8 text.
func isModelSeparator(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', ',', ';', '/', '|', '(', ')', '[', ']', '{', '}', ':', '&', '"', '\\', '=':
		return true
	}
	return false
}

// modelSet collects model tokens in first-seen order without duplicates
// (case-insensitive). A product has a handful of models, so a linear scan
// beats a map.
type modelSet struct {
	out  []string
	skip map[string]bool // upper-cased words that must not count (vendor names)
}

func (m *modelSet) add(tok string) {
	for _, o := range m.out {
		if strings.EqualFold(o, tok) {
			return
		}
	}
	if m.skip != nil {
		var buf [maxModelLen * 2]byte
		if up, ok := upper(buf[:], tok); !ok || m.skip[string(up)] {
			return
		}
	}
	m.out = append(m.out, tok)
}

// upper writes the ASCII upper case of s into buf; ok is false when s does
// not fit. It spares an allocation per token on the hot path.
func upper(buf []byte, s string) (up []byte, ok bool) {
	if len(s) > len(buf) {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[i] = c
	}
	return buf[:len(s)], true
}

// addExplicit adds a model number that a model_numbers helper states.
func (m *modelSet) addExplicit(s string) {
	s = strings.TrimSpace(s)
	if s != "" && len(s) <= maxModelLen*2 {
		m.add(s)
	}
}

// addFrom adds every model token found in text.
func (m *modelSet) addFrom(text string) {
	afterVersionWord := false
	var buf [maxModelLen]byte
	for i := 0; i < len(text); {
		for i < len(text) && isModelSeparator(text[i]) {
			i++
		}
		start := i
		for i < len(text) && !isModelSeparator(text[i]) {
			i++
		}
		tok := strings.Trim(text[start:i], ".,:;'\"!?*#~`-_")
		if tok == "" {
			continue
		}
		up, fits := upper(buf[:], tok)
		if !fits {
			afterVersionWord = false
			continue // longer than any model number
		}
		if versionWords[string(up)] {
			afterVersionWord = true
			continue
		}
		if afterVersionWord {
			afterVersionWord = false
			continue
		}
		if isModelToken(tok, string(up)) {
			m.add(tok)
		}
	}
}

// isModelToken applies the model rules to one token; up is it in upper case.
func isModelToken(tok, up string) bool {
	if len(tok) > maxModelLen || strings.HasPrefix(up, "CVE-") || strings.HasPrefix(up, "CWE-") {
		return false
	}
	digits, letters, lower, other := 0, 0, 0, 0
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'A' && c <= 'Z':
			letters++
		case c >= 'a' && c <= 'z':
			letters++
			lower++
		case c == '-' || c == '+':
		case c == '.' || c == '%' || c == '<' || c == '>' || c == '*':
			// "9.33.1", "1.5T", "V4.0", "100%", "<4.3": versions and measures
			return false
		default:
			other++
		}
	}
	if other > 0 {
		return false // non-ASCII or symbols: not a model code we can compare
	}
	if digits == 0 {
		return lower == 0 && letters >= 3 && letters <= maxLetterCode && !strings.ContainsAny(tok, "-+") &&
			!modelStopwords[up]
	}
	if letters == 0 {
		return isNumberModel(tok)
	}
	// "v2", "V10" right after a product name are versions; "V60" (a Philips
	// ventilator) is not, so only lower-case v and short V-numbers are dropped.
	if (tok[0] == 'v' || (tok[0] == 'V' && digits <= 1)) && digits == len(tok)-1 {
		return false
	}
	if up == "X64" || up == "X86" || up == "X86-64" || up == "X86_64" || up == "ARM64" {
		return false
	}
	// digits followed by a unit or ordinal suffix: "10GB", "3T", "2nd", "64bit".
	if lead := leadingDigits(tok); lead > 0 && lead < len(tok) {
		suffix := up[lead:]
		suffix = strings.TrimPrefix(suffix, "-")
		for _, u := range unitSuffixes {
			if suffix == u {
				return false
			}
		}
	}
	return true
}

// isNumberModel accepts all-digit tokens ("8015", "24950", "8000-8100") that
// are neither short counts ("64", "10") nor years or dates.
func isNumberModel(tok string) bool {
	groups := strings.FieldsFunc(tok, func(r rune) bool { return r == '-' || r == '+' })
	if len(groups) == 0 {
		return false
	}
	for _, g := range groups {
		if isYear(g) {
			return false // a year, or a date such as 2020-11-12
		}
	}
	return len(groups[0]) >= 3
}

// isYear reports whether g is a year an advisory may name (1980-2039);
// "2090" (a Medtronic programmer) is a model.
func isYear(g string) bool {
	return len(g) == 4 && (g[:3] == "198" || g[:3] == "199" || g[:2] == "20" && g[2] >= '0' && g[2] <= '3')
}

func leadingDigits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
