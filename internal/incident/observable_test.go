package incident

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aceso-health/aceso"
)

func TestValidateObservable(t *testing.T) {
	tests := []struct {
		name, kind, value, want, errPart string
	}{
		{"ipv4", "ip", " 192.0.2.10 ", "192.0.2.10", ""},
		{"ipv4 defanged", "IP", "192.0.2[.]10", "192.0.2.10", ""},
		{"ipv6 canonical", "ip", "2001:DB8:0:0::1", "2001:db8::1", ""},
		{"ipv4-mapped ipv6", "ip", "::ffff:198.51.100.7", "198.51.100.7", ""},
		{"ipv6 in brackets", "ip", "[2001:db8::2]", "2001:db8::2", ""},
		{"ip with zone", "ip", "fe80::1%eth0", "", "zone"},
		{"ip out of range", "ip", "256.1.1.1", "", "not an IPv4 or IPv6 address"},
		{"ip leading zeros", "ip", "010.0.0.1", "", "not an IPv4"},
		{"domain", "domain", "Evil-Update.Example.COM.", "evil-update.example.com", ""},
		{"domain defanged", "domain", "evil[.]example[.]org", "evil.example.org", ""},
		{"domain single label", "domain", "localhost", "", "two labels"},
		{"domain hyphen edge", "domain", "-bad.example.org", "", "hyphen"},
		{"domain space", "domain", "bad domain.org", "", "not allowed"},
		{"domain IDN", "domain", "bücher.example", "", "xn--"},
		{"domain punycode", "domain", "xn--bcher-kva.example", "xn--bcher-kva.example", ""},
		{"domain numeric tld", "domain", "192.0.2.1", "", "kind ip"},
		{"domain long label", "domain", strings.Repeat("a", 64) + ".org", "", "63"},
		{"url", "url", "HTTPS://Login.Example.ORG/Path?q=1", "https://login.example.org/Path?q=1", ""},
		{"url defanged", "url", "hxxp://evil[.]example/payload.exe", "http://evil.example/payload.exe", ""},
		{"url hxxps", "url", "hxxps://evil[.]example:8443/a", "https://evil.example:8443/a", ""},
		{"url ip host", "url", "http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x", ""},
		{"url no scheme", "url", "evil.example/payload", "", "scheme and a host"},
		{"url bad host", "url", "http://bad_host!/x", "", "host"},
		{"md5", "hash", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e", ""},
		{"sha1", "hash", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709", ""},
		{"sha256", "sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ""},
		{"sha512", "hash", strings.Repeat("ab", 64), strings.Repeat("ab", 64), ""},
		{"hash wrong length", "hash", strings.Repeat("a", 50), "", "length 50 fits no digest"},
		{"hash kind mismatch", "sha256", "d41d8cd98f00b204e9800998ecf8427e", "", "is a md5 digest, not sha256"},
		{"hash not hex", "hash", strings.Repeat("g", 32), "", "hexadecimal"},
		{"email", "email", "Billing <Invoice@Evil.Example>", "Invoice@evil.example", ""},
		{"email defanged", "email", "ceo[@]evil[.]example", "ceo@evil.example", ""},
		{"email no at", "email", "not-an-address", "", "e-mail address"},
		{"email bad domain", "email", "a@localhost", "", "domain"},
		{"filename", "filename", " invoice.pdf.exe ", "invoice.pdf.exe", ""},
		{"filename NFC", "filename", "Befund_Mu\u0308ller.docm", "Befund_M\u00fcller.docm", ""},
		{"filename keeps brackets", "filename", "report[.]zip", "report[.]zip", ""},
		{"filename path", "filename", `C:\Users\x\evil.exe`, "", "path separator"},
		{"filename control", "filename", "a\x00b", "", "control"},
		{"empty", "ip", "  ", "", "empty"},
		{"unknown kind", "cve", "CVE-2024-1", "", "not one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateObservable(tt.kind, tt.value)
			if tt.errPart != "" {
				if err == nil {
					t.Fatalf("accepted as %q", got)
				}
				if aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(err.Error(), tt.errPart) {
					t.Errorf("error %q, want EINVALID containing %q", err, tt.errPart)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
			again, err := ValidateObservable(tt.kind, got)
			if err != nil || again != got {
				t.Errorf("not idempotent: %q → %q, %v", got, again, err)
			}
		})
	}
}

func TestHashAlgorithm(t *testing.T) {
	for n, want := range map[int]string{32: "md5", 40: "sha1", 64: "sha256", 128: "sha512", 16: ""} {
		if got := HashAlgorithm(strings.Repeat("a", n)); got != want {
			t.Errorf("len %d: %q, want %q", n, got, want)
		}
	}
}

// FuzzValidateObservable: never panics; an accepted value is a fixed point
// of normalisation, valid UTF-8, and hashes are lower-case hex of a digest
// length.
func FuzzValidateObservable(f *testing.F) {
	for _, s := range [][2]string{
		{"ip", "192.0.2[.]1"}, {"ip", "::ffff:1.2.3.4"}, {"domain", "Evil.Example."}, {"url", "hxxps://a[.]b/c?d=e#f"},
		{"url", "http://[::1]:80/%41"}, {"hash", "D41D8CD98F00B204E9800998ECF8427E"}, {"email", "A <b@c.de>"},
		{"filename", "a\u0308.txt"}, {"url", "ftp://user:pw@host.example/x y"}, {"email", `"a b"@c.de`},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, kind, value string) {
		got, err := ValidateObservable(kind, value)
		if err != nil {
			if aceso.ErrorCode(err) != aceso.EINVALID {
				t.Fatalf("error code %s", aceso.ErrorCode(err))
			}
			return
		}
		if got == "" || !utf8.ValidString(got) {
			t.Fatalf("accepted %q as %q", value, got)
		}
		again, err := ValidateObservable(kind, got)
		if err != nil || again != got {
			t.Fatalf("%s %q: normalised %q re-validates to %q, %v", kind, value, got, again, err)
		}
		k := strings.ToLower(strings.TrimSpace(kind))
		if oneOf(k, KindHash, KindMD5, KindSHA1, KindSHA256, KindSHA512) && (HashAlgorithm(got) == "" || strings.ToLower(got) != got) {
			t.Fatalf("hash %q accepted as %q", value, got)
		}
	})
}
