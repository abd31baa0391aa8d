package incident

import (
	"encoding/hex"
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/aceso-health/aceso"
)

// Observable kinds accepted by ValidateObservable. The hash kinds md5, sha1,
// sha256 and sha512 insist on their length; "hash" infers the algorithm
// from it.
const (
	KindIP       = "ip"
	KindDomain   = "domain"
	KindURL      = "url"
	KindHash     = "hash"
	KindMD5      = "md5"
	KindSHA1     = "sha1"
	KindSHA256   = "sha256"
	KindSHA512   = "sha512"
	KindEmail    = "email"
	KindFilename = "filename"
)

// hashLengths maps the hex length of a digest to its algorithm.
var hashLengths = map[int]string{32: KindMD5, 40: KindSHA1, 64: KindSHA256, 128: KindSHA512}

// refang undoes the usual defanging of indicators in reports and e-mails
// (hxxp://evil[.]example), so pasted indicators are stored in one form.
var refang = strings.NewReplacer(
	"[.]", ".", "(.)", ".", "{.}", ".", "[dot]", ".", "(dot)", ".",
	"[@]", "@", "(@)", "@", "[at]", "@",
	"[:]", ":", "[://]", "://",
)

// ValidateObservable checks value as an observable of the given kind and
// returns it normalised (refanged, lower-cased where case is meaningless,
// canonical IP form), so that equal indicators compare equal. The error is
// EINVALID and says what is wrong for that kind.
func ValidateObservable(kind, value string) (string, error) {
	kind = strings.ToLower(strings.TrimSpace(kind))
	v := strings.TrimSpace(value)
	if v == "" {
		return "", obsErr(kind, value, "empty value")
	}
	if !utf8.ValidString(v) {
		return "", obsErr(kind, value, "not valid UTF-8")
	}
	if kind != KindFilename {
		v = refang.Replace(v)
	}
	switch kind {
	case KindIP:
		return normIP(v, value)
	case KindDomain:
		d, why := normDomain(v)
		if why != "" {
			return "", obsErr(kind, value, why)
		}
		return d, nil
	case KindURL:
		return normURL(v, value)
	case KindHash, KindMD5, KindSHA1, KindSHA256, KindSHA512:
		return normHash(kind, v, value)
	case KindEmail:
		return normEmail(v, value)
	case KindFilename:
		return normFilename(v, value)
	default:
		return "", aceso.Errorf(aceso.EINVALID, "observable kind %q: not one of ip, domain, url, hash, md5, sha1, sha256, sha512, email, filename", kind)
	}
}

// HashAlgorithm names the digest algorithm of a hex hash by its length
// ("md5", "sha1", "sha256", "sha512"), or "" when the length fits none.
func HashAlgorithm(hexDigest string) string {
	return hashLengths[len(strings.TrimSpace(hexDigest))]
}

func obsErr(kind, value, why string) error {
	if len(value) > 80 {
		value = value[:80] + "…"
	}
	return aceso.Errorf(aceso.EINVALID, "observable %s %q: %s", kind, value, why)
}

func normIP(v, orig string) (string, error) {
	v = strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
	a, err := netip.ParseAddr(v)
	if err != nil {
		return "", obsErr(KindIP, orig, "not an IPv4 or IPv6 address")
	}
	if a.Zone() != "" {
		return "", obsErr(KindIP, orig, "an IPv6 zone (%eth0) is local to one host; give the address only")
	}
	// An IPv4-mapped IPv6 address is the IPv4 host; store it once.
	return a.Unmap().String(), nil
}

// normDomain returns the lower-case domain without a trailing dot, or the
// reason it is not a DNS host name. Internationalised names must be given in
// their ASCII (xn--) form: without an IDNA table, two spellings of one name
// would otherwise be stored as different indicators.
func normDomain(v string) (string, string) {
	d := strings.TrimSuffix(strings.ToLower(v), ".")
	if d == "" {
		return "", "empty domain"
	}
	if len(d) > 253 {
		return "", "longer than 253 characters"
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", "needs at least two labels (e.g. example.org)"
	}
	for _, l := range labels {
		if l == "" {
			return "", "empty label (two dots in a row)"
		}
		if len(l) > 63 {
			return "", "label longer than 63 characters"
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return "", "label starts or ends with a hyphen"
		}
		for _, r := range l {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			case r > unicode.MaxASCII:
				return "", "internationalised name: give its ASCII form (xn--…)"
			default:
				return "", "character " + strconv.QuoteRune(r) + " is not allowed in a domain"
			}
		}
	}
	tld := labels[len(labels)-1]
	if strings.Trim(tld, "0123456789") == "" {
		return "", "all-numeric top-level label (an IP address is kind ip)"
	}
	return d, ""
}

func normURL(v, orig string) (string, error) {
	// Defanged schemes: hxxp, hxxps, hxxp[s].
	if i := strings.Index(v, "://"); i > 0 {
		switch strings.ToLower(v[:i]) {
		case "hxxp":
			v = "http" + v[i:]
		case "hxxps", "hxxp[s]":
			v = "https" + v[i:]
		}
	}
	u, err := url.Parse(v)
	if err != nil {
		return "", obsErr(KindURL, orig, "not a URL")
	}
	if u.Scheme == "" || u.Host == "" {
		return "", obsErr(KindURL, orig, "needs a scheme and a host (e.g. https://example.org/path)")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	host := u.Hostname()
	port := u.Port()
	var h string
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return "", obsErr(KindURL, orig, "host has an IPv6 zone")
		}
		h = a.Unmap().String()
		if a.Unmap().Is6() {
			h = "[" + h + "]"
		}
	} else {
		d, why := normDomain(host)
		if why != "" {
			return "", obsErr(KindURL, orig, "host: "+why)
		}
		h = d
	}
	if port != "" {
		h += ":" + port
	}
	u.Host = h
	return u.String(), nil
}

func normHash(kind, v, orig string) (string, error) {
	h := strings.ToLower(v)
	if _, err := hex.DecodeString(h); err != nil || len(h)%2 != 0 {
		return "", obsErr(kind, orig, "not a hexadecimal digest")
	}
	algo := hashLengths[len(h)]
	switch {
	case algo == "":
		return "", obsErr(kind, orig, "length "+strconv.Itoa(len(h))+" fits no digest (md5 32, sha1 40, sha256 64, sha512 128 hex digits)")
	case kind != KindHash && algo != kind:
		return "", obsErr(kind, orig, "length "+strconv.Itoa(len(h))+" is a "+algo+" digest, not "+kind)
	}
	return h, nil
}

func normEmail(v, orig string) (string, error) {
	a, err := mail.ParseAddress(v)
	if err != nil {
		return "", obsErr(KindEmail, orig, "not an e-mail address (local@domain)")
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at <= 0 {
		return "", obsErr(KindEmail, orig, "no local part before @")
	}
	local, domain := a.Address[:at], a.Address[at+1:]
	d, why := normDomain(domain)
	if why != "" {
		return "", obsErr(KindEmail, orig, "domain: "+why)
	}
	// The local part is case-sensitive by RFC 5321, so it is kept as given;
	// the display name, if any, is dropped.
	if strings.ContainsFunc(local, func(r rune) bool { return r <= ' ' || r == '"' || r == '\\' || r == 0x7f }) {
		// A quoted local part with spaces or quotes cannot be written back
		// unquoted: it would not read as the same address again.
		return "", obsErr(KindEmail, orig, "local part with spaces, quotes or control characters is not supported")
	}
	out := local + "@" + d
	if b, err := mail.ParseAddress(out); err != nil || b.Address != out {
		return "", obsErr(KindEmail, orig, "not an e-mail address (local@domain)")
	}
	return out, nil
}

func normFilename(v, orig string) (string, error) {
	v = norm.NFC.String(v)
	switch {
	case len(v) > 255:
		return "", obsErr(KindFilename, orig, "longer than 255 bytes")
	case strings.ContainsAny(v, `/\`):
		return "", obsErr(KindFilename, orig, "contains a path separator; give the file name only")
	case v == "." || v == "..":
		return "", obsErr(KindFilename, orig, "not a file name")
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return "", obsErr(KindFilename, orig, "contains a control character")
		}
	}
	return v, nil
}
