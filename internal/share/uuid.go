package share

import (
	"crypto/sha1"
	"encoding/hex"
)

// NamespaceDNS is the RFC 4122 name space for DNS names, used as the base of
// Aceso's own name space and in the RFC test vector.
var NamespaceDNS = mustUUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")

// NamespaceAceso is the UUIDv5 name space of every deterministic id Aceso
// mints (UUIDv5 of "aceso-health.org" in the DNS name space). Changing it
// would change every exported STIX id, so it is fixed here.
var NamespaceAceso = UUIDv5(NamespaceDNS, "aceso-health.org")

// IsUUID reports whether s is a UUID in its 8-4-4-4-12 hex form. It is
// hand-written rather than a regexp: bundle import checks every id with it.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// UUIDv5 returns the name-based UUID of name in namespace (RFC 4122 §4.3,
// SHA-1) in canonical lower-case form; ns must be a UUID string. It gives an
// object the same id every time it is exported, so consumers update rather
// than duplicate it.
func UUIDv5(ns, name string) string {
	nb, ok := parseUUID(ns)
	if !ok {
		panic("share: UUIDv5 namespace is not a UUID: " + ns)
	}
	h := sha1.New()
	h.Write(nb[:])
	h.Write([]byte(name))
	sum := h.Sum(nil)
	var u [16]byte
	copy(u[:], sum[:16])
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return formatUUID(u)
}

func parseUUID(s string) ([16]byte, bool) {
	var u [16]byte
	if !IsUUID(s) {
		return u, false
	}
	b, err := hex.DecodeString(s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36])
	if err != nil {
		return u, false
	}
	copy(u[:], b)
	return u, true
}

func formatUUID(u [16]byte) string {
	var buf [36]byte
	hex.Encode(buf[0:8], u[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], u[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], u[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], u[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:36], u[10:16])
	return string(buf[:])
}

func mustUUID(s string) string {
	if !IsUUID(s) {
		panic("share: not a UUID: " + s)
	}
	return s
}
