package inventory

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// setField stores the trimmed, non-empty cell value v in d's field f. It
// returns "" or the reason the value is invalid.
func setField(d *Device, f field, v string) string {
	switch f {
	case fAssetTag:
		d.AssetTag = v
	case fManufacturer:
		d.Manufacturer = v
	case fModel:
		d.Model = v
	case fVersion:
		d.Version = v
	case fSerial:
		d.SerialNumber = v
	case fUDIDI:
		d.UDIDI = v
	case fDeviceType:
		d.DeviceType = v
	case fDepartment:
		d.Department = v
	case fLocation:
		d.Location = v
	case fHostname:
		if strings.ContainsAny(v, " \t/\\") {
			return fmt.Sprintf("invalid hostname %s: a host name has no spaces or slashes", shortQuote(v))
		}
		d.Hostname = v
	case fOS:
		d.OperatingSystem = v
	case fOwner:
		d.Owner = v
	case fNotes:
		d.Notes = v
	case fIP:
		ips, reason := parseIPList(v)
		if reason != "" {
			return reason
		}
		d.IPAddresses = ips
	case fMAC:
		macs, reason := parseMACList(v)
		if reason != "" {
			return reason
		}
		d.MACAddresses = macs
	case fTags:
		d.Tags = splitList(v, ";,|")
	case fZone:
		z, ok := zoneSynonyms[foldEnum(v)]
		if !ok {
			return fmt.Sprintf("unknown network zone %s (use one of %s)", shortQuote(v), enumList(Zones))
		}
		d.Zone = z
	case fClinicalFunction:
		c, ok := functionSynonyms[foldEnum(v)]
		if !ok {
			return fmt.Sprintf("unknown clinical function %s (use one of %s)", shortQuote(v), enumList(ClinicalFunctions))
		}
		d.ClinicalFunction = c
	case fSafety:
		s, ok := safetySynonyms[foldEnum(v)]
		if !ok {
			return fmt.Sprintf("unknown safety impact %s (use one of %s)", shortQuote(v),
				enumList([]SafetyImpact{SafetyNegligible, SafetyMarginal, SafetyCritical, SafetyCatastrophic}))
		}
		d.SafetyImpact = s
	case fSupport:
		s, ok := supportSynonyms[foldEnum(v)]
		if !ok {
			return fmt.Sprintf("unknown support status %s (use one of %s)", shortQuote(v),
				enumList([]SupportStatus{SupportSupported, SupportEndOfSupport, SupportEndOfLife}))
		}
		d.SupportStatus = s
	case fEndOfSupport, fEndOfLife:
		t, reason := parseDate(v)
		if reason != "" {
			return reason
		}
		if f == fEndOfSupport {
			d.EndOfSupport = &t
		} else {
			d.EndOfLife = &t
		}
	case fPatchable:
		b, ok := parseBool(v)
		if !ok {
			return fmt.Sprintf("invalid patchable value %s (use yes/no, true/false, 1/0 or ja/nein)", shortQuote(v))
		}
		d.Patchable = &b
	}
	return ""
}

// parseIPList parses one or more IP addresses separated by ";", "," or
// spaces into their canonical forms (duplicates dropped). reason is "" or
// says which item is bad.
func parseIPList(s string) (ips []string, reason string) {
	for _, item := range splitList(s, ";, \t\n\r") {
		a, err := netip.ParseAddr(item)
		if err != nil {
			if _, perr := netip.ParsePrefix(item); perr == nil {
				return nil, fmt.Sprintf("invalid IP address %s: a network prefix, not a device address", shortQuote(item))
			}
			return nil, fmt.Sprintf("invalid IP address %s", shortQuote(item))
		}
		c := item
		var buf [64]byte
		if string(a.AppendTo(buf[:0])) != item {
			c = a.String() // not canonical as typed ("FE80::1"); the common case keeps the cell's memory
		}
		if !contains(ips, c) {
			ips = append(ips, c)
		}
	}
	return ips, ""
}

// parseMACList parses one or more MAC addresses (EUI-48) separated by ";",
// "," or spaces. Accepted forms: 00:1a:2b:3c:4d:5e, 00-1A-2B-3C-4D-5E,
// 001a.2b3c.4d5e and 001A2B3C4D5E; the result is lower case with colons.
func parseMACList(s string) (macs []string, reason string) {
	for _, item := range splitList(s, ";, \t\n\r") {
		m, ok := normaliseMAC(item)
		if !ok {
			return nil, fmt.Sprintf("invalid MAC address %s (expected 6 hex pairs, e.g. 00:1a:2b:3c:4d:5e)", shortQuote(item))
		}
		if !contains(macs, m) {
			macs = append(macs, m)
		}
	}
	return macs, ""
}

func normaliseMAC(s string) (string, bool) {
	var group int // expected group length, 0: no separators
	var sep byte
	switch {
	case len(s) == 12:
	case len(s) == 17 && (s[2] == ':' || s[2] == '-'):
		group, sep = 2, s[2]
	case len(s) == 14 && s[4] == '.':
		group, sep = 4, '.'
	default:
		return "", false
	}
	var hexd [12]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if group > 0 && (i+1)%(group+1) == 0 {
			if c != sep {
				return "", false
			}
			continue
		}
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			c += 'a' - 'A'
		default:
			return "", false
		}
		if n == 12 {
			return "", false
		}
		hexd[n] = c
		n++
	}
	if n != 12 {
		return "", false
	}
	if group == 2 && sep == ':' && isLowerHex(s) {
		return s, true // already canonical: no copy
	}
	out := make([]byte, 0, 17)
	for i := 0; i < 12; i += 2 {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, hexd[i], hexd[i+1])
	}
	return string(out), true
}

// dateHelp lists the accepted date forms for reasons.
const dateHelp = "use YYYY-MM-DD or DD.MM.YYYY"

// parseDate parses a date as exports write it: 2006-01-02 (optionally with a
// time after "T" or a space), 2006/01/02, 02.01.2006 (also 2.1.2006), and
// slash dates only when unambiguous: 31/12/2025 (day > 12) or 12/31/2025,
// or when day and month are equal. 03/04/2025 is rejected, since it means
// 3 April in Europe and 4 March in the US and guessing would silently shift
// an end-of-support date. Two-digit years are rejected. The result is
// midnight UTC.
func parseDate(s string) (time.Time, string) {
	bad := func(why string) (time.Time, string) {
		return time.Time{}, fmt.Sprintf("invalid date %s: %s", shortQuote(s), why)
	}
	v := s
	if len(v) > 10 && (v[10] == 'T' || v[10] == ' ') && (v[4] == '-' || v[4] == '/') {
		v = v[:10]
	}
	var parts [3]string
	var sep byte
	for _, c := range []byte{'-', '.', '/'} {
		if i := strings.IndexByte(v, c); i >= 0 {
			j := strings.IndexByte(v[i+1:], c)
			if j >= 0 && strings.IndexByte(v[i+1+j+1:], c) < 0 {
				parts, sep = [3]string{v[:i], v[i+1 : i+1+j], v[i+1+j+1:]}, c
				break
			}
		}
	}
	if sep == 0 {
		return bad(dateHelp)
	}
	var nums [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p == "" || p[0] == '+' {
			return bad(dateHelp)
		}
		nums[i] = n
	}
	var y, m, d int
	switch {
	case len(parts[0]) == 4 && (sep == '-' || sep == '/'):
		y, m, d = nums[0], nums[1], nums[2]
	case len(parts[2]) == 4 && sep == '.':
		d, m, y = nums[0], nums[1], nums[2]
	case len(parts[2]) == 4 && sep == '/':
		a, b := nums[0], nums[1]
		switch {
		case a == b, a > 12 && b <= 12:
			d, m = a, b
		case b > 12 && a <= 12:
			m, d = a, b
		default:
			return bad("ambiguous day/month order; " + dateHelp)
		}
		y = nums[2]
	case len(parts[2]) == 4 && sep == '-':
		d, m, y = nums[0], nums[1], nums[2] // 31-12-2025: Dutch/ISO-like order, year last
		if d <= 12 && m <= 12 && d != m {
			return bad("ambiguous day/month order; " + dateHelp)
		}
		if m > 12 {
			d, m = m, d
		}
	default:
		return bad("four-digit year needed; " + dateHelp)
	}
	if y < 1900 || y > 2200 {
		return bad("year out of range")
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || t.Day() != d {
		return bad("no such day")
	}
	return t, ""
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "yes", "y", "true", "t", "1", "ja", "j", "oui", "x":
		return true, true
	case "no", "n", "false", "f", "0", "nein", "non", "-":
		return false, true
	}
	return false, false
}

// foldEnum folds an enum cell: lower case, with spaces, hyphens and
// underscores removed ("Life Support" = "life-support" = "LIFE_SUPPORT").
func foldEnum(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-' || c == '_' || c == '\t':
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// enumSynonyms builds a lookup from the canonical values plus a few common
// abbreviations, all folded.
func enumSynonyms[T ~string](vals []T, extra map[string]T) map[string]T {
	m := make(map[string]T, len(vals)+len(extra))
	for _, v := range vals {
		m[foldEnum(string(v))] = v
	}
	for k, v := range extra {
		m[foldEnum(k)] = v
	}
	return m
}

var (
	zoneSynonyms = enumSynonyms(Zones, map[string]Zone{
		"air-gapped": ZoneIsolated, "standalone": ZoneIsolated, "offline": ZoneIsolated,
		"clinical": ZoneClinicalSegment, "medical-segment": ZoneClinicalSegment, "clinical-vlan": ZoneClinicalSegment,
		"lan": ZoneHospitalLAN, "internal": ZoneHospitalLAN,
		"remote": ZoneRemoteAccess, "vendor-remote-access": ZoneRemoteAccess,
		"internet": ZoneInternetExposed, "public": ZoneInternetExposed,
	})
	functionSynonyms = enumSynonyms(ClinicalFunctions, map[string]ClinicalFunction{
		"imaging": FunctionDiagnosticImaging, "lab": FunctionLaboratory, "it": FunctionClinicalIT,
		"life-sustaining": FunctionLifeSupport,
	})
	safetySynonyms  = enumSynonyms([]SafetyImpact{SafetyNegligible, SafetyMarginal, SafetyCritical, SafetyCatastrophic}, nil)
	supportSynonyms = enumSynonyms([]SupportStatus{SupportSupported, SupportEndOfSupport, SupportEndOfLife}, map[string]SupportStatus{
		"eos": SupportEndOfSupport, "eol": SupportEndOfLife, "end-of-service": SupportEndOfSupport,
	})
)

func enumList[T ~string](vals []T) string {
	s := make([]string, len(vals))
	for i, v := range vals {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// splitList splits s at any of seps, trims the items and drops empty and
// repeated ones.
func splitList(s, seps string) []string {
	var out []string
	for len(s) > 0 {
		i := strings.IndexAny(s, seps)
		item := s
		if i >= 0 {
			item, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		item = strings.TrimSpace(item)
		if item != "" && !contains(out, item) {
			out = append(out, item)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'F' {
			return false
		}
	}
	return true
}
