package access

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"github.com/aceso-health/aceso"
)

// PasswordParams are the argon2id cost parameters of a password hash. They are
// stored in every hash, so they can be raised later without breaking old hashes.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultPasswordParams are the parameters of new hashes (argon2id, 64 MiB, 3
// passes, 2 lanes: above the OWASP minimum). A stored hash with other
// parameters verifies but is reported as needing a rehash.
var DefaultPasswordParams = PasswordParams{Memory: 64 * 1024, Time: 3, Threads: 2, SaltLen: 16, KeyLen: 32}

// Bounds on the parameters a hash may carry. They keep a tampered or corrupt
// hash in the database from making one login allocate gigabytes or spin for
// minutes, and reject parameters too weak to be a hash we wrote.
const (
	minMemoryKiB = 8 * 1024
	maxMemoryKiB = 1024 * 1024 // 1 GiB
	maxTime      = 64
	minSaltLen   = 8
	maxSaltLen   = 64
	minKeyLen    = 16
	maxKeyLen    = 128
)

// ErrMalformedHash is wrapped by VerifyPassword when the stored hash is not a
// well-formed argon2id PHC string within the accepted bounds; it means a bug
// or corrupt data, never a wrong password.
var ErrMalformedHash = errors.New("malformed password hash")

var phcB64 = base64.RawStdEncoding.Strict()

// validate checks p against the bounds; Threads is the number of lanes and
// argon2 needs at least 8 KiB of memory per lane.
func (p PasswordParams) validate() error {
	switch {
	case p.Memory < minMemoryKiB || p.Memory > maxMemoryKiB:
		return fmt.Errorf("memory %d KiB outside %d..%d", p.Memory, minMemoryKiB, maxMemoryKiB)
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("time %d outside 1..%d", p.Time, maxTime)
	case p.Threads < 1:
		return fmt.Errorf("threads must be at least 1")
	case p.Memory < 8*uint32(p.Threads):
		return fmt.Errorf("memory %d KiB below 8 KiB per thread", p.Memory)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("salt length %d outside %d..%d", p.SaltLen, minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("key length %d outside %d..%d", p.KeyLen, minKeyLen, maxKeyLen)
	}
	return nil
}

// normalizePassword applies Unicode NFKC, as NIST SP 800-63B advises, so
// that the same password typed on keyboards that compose accents
// differently hashes the same.
func normalizePassword(password string) []byte {
	return []byte(norm.NFKC.String(password))
}

// HashPassword hashes password with argon2id and a fresh random salt and
// returns it in the PHC string format
// "$argon2id$v=19$m=65536,t=3,p=2$<salt>$<hash>" (unpadded standard base64).
func HashPassword(password string, p PasswordParams) (string, error) {
	if err := p.validate(); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: salt: %w", err)
	}
	key := argon2.IDKey(normalizePassword(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return encodePHC(p, salt, key), nil
}

// VerifyPassword reports whether password matches the encoded hash, comparing
// in constant time. needsRehash is true after a successful match when the
// hash's parameters differ from DefaultPasswordParams, so the caller can
// store a fresh hash while it has the plain password. err is non-nil (and
// wraps ErrMalformedHash) only for a malformed encoded string, never for a
// wrong password.
func VerifyPassword(password, encoded string) (ok bool, needsRehash bool, err error) {
	p, salt, want, err := decodePHC(encoded)
	if err != nil {
		return false, false, fmt.Errorf("verify password: %w", err)
	}
	got := argon2.IDKey(normalizePassword(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, p != DefaultPasswordParams, nil
}

func encodePHC(p PasswordParams, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, phcB64.EncodeToString(salt), phcB64.EncodeToString(key))
}

// decodePHC parses an argon2id PHC string strictly: one canonical spelling
// per hash (no leading zeros, no padding, no stray bits), so that
// encodePHC(decodePHC(s)) == s for every accepted s.
func decodePHC(s string) (p PasswordParams, salt, key []byte, err error) {
	malformed := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrMalformedHash, fmt.Sprintf(format, args...))
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return p, nil, nil, malformed("want 5 $-separated fields")
	}
	if parts[1] != "argon2id" {
		return p, nil, nil, malformed("algorithm %q is not argon2id", truncate(parts[1], 20))
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, malformed("version %q is not v=%d", truncate(parts[2], 20), argon2.Version)
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return p, nil, nil, malformed("parameters %q: want m=,t=,p=", truncate(parts[3], 40))
	}
	var vals [3]uint32
	for i, name := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(kv[i], name)
		if !ok {
			return p, nil, nil, malformed("parameter %d: want %s", i+1, name)
		}
		n, err := parseCanonicalUint32(v)
		if err != nil {
			return p, nil, nil, malformed("parameter %s%q: %v", name, truncate(v, 20), err)
		}
		vals[i] = n
	}
	if vals[2] > 255 {
		return p, nil, nil, malformed("threads %d over 255", vals[2])
	}
	p.Memory, p.Time, p.Threads = vals[0], vals[1], uint8(vals[2])
	// encoding/base64 skips CR and LF; a stored hash must not, or two
	// different strings would verify as the same hash.
	if strings.ContainsAny(parts[4]+parts[5], "\r\n") {
		return p, nil, nil, malformed("line break inside salt or hash")
	}
	if salt, err = phcB64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, malformed("salt: %v", err)
	}
	if key, err = phcB64.DecodeString(parts[5]); err != nil {
		return p, nil, nil, malformed("hash: %v", err)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	if err := p.validate(); err != nil {
		return p, nil, nil, malformed("%v", err)
	}
	return p, salt, key, nil
}

// parseCanonicalUint32 accepts only the decimal spelling strconv would write.
func parseCanonicalUint32(s string) (uint32, error) {
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return 0, errors.New("not a canonical decimal number")
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, errors.New("not a canonical decimal number")
	}
	return uint32(n), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Password policy bounds, after NIST SP 800-63B: length matters, composition
// rules do not. The upper bound keeps hashing cheap to reason about.
const (
	MinPasswordLen       = 12   // characters
	MaxPasswordBytes     = 1024 // bytes of UTF-8
	generatedPasswordLen = 20
)

// commonPasswords are among the most used passwords in public breach corpora
// plus words specific to Aceso's users. A password is refused when it is one
// of them, or one of them with digits and symbols around it, in leetspeak, or
// repeated ("Password2024!", "p@ssw0rd", "qwertyqwerty").
var commonPasswords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`
		123456 123456789 12345678 1234567890 111111 123123 000000 654321 121212 112233
		password passwort motdepasse wachtwoord contrasena qwerty qwertz azerty qwertyuiop
		asdfgh asdfghjkl zxcvbnm 1qaz2wsx qazwsx 1q2w3e4r 1q2w3e4r5t 123qwe abc123 iloveyou
		letmein welcome admin administrator root changeme secret trustno1 master
		dragon monkey shadow sunshine princess football baseball soccer superman batman
		starwars pokemon computer internet whatever freedom hello michael jennifer
		summer winter spring autumn
		hospital krankenhaus hopital ziekenhuis ospedale sjukhus aceso csirt
		correcthorsebatterystaple`) {
		commonPasswords[w] = true
	}
}

// leet undoes the common letter-for-symbol swaps before the list lookup.
var leet = strings.NewReplacer("@", "a", "4", "a", "0", "o", "1", "i", "3", "e", "$", "s", "5", "s", "7", "t", "!", "i")

// CheckPasswordPolicy reports whether password may be chosen as a new
// password: at least MinPasswordLen characters, at most MaxPasswordBytes
// bytes of valid UTF-8, and not a very common or trivially guessable one.
// Following NIST SP 800-63B it imposes no composition rules. The error is an EINVALID *aceso.Error whose
// message tells the user what to change.
func CheckPasswordPolicy(password string) error {
	if !utf8.ValidString(password) {
		return aceso.Errorf(aceso.EINVALID, "password: contains invalid characters")
	}
	if len(password) > MaxPasswordBytes {
		return aceso.Errorf(aceso.EINVALID, "password: must be at most %d bytes long", MaxPasswordBytes)
	}
	n := utf8.RuneCountInString(norm.NFKC.String(password))
	if n < MinPasswordLen {
		return aceso.Errorf(aceso.EINVALID, "password: must be at least %d characters long (has %d); a passphrase of several words is easiest", MinPasswordLen, n)
	}
	if guessable(password) {
		return aceso.Errorf(aceso.EINVALID, "password: too common or easy to guess (a known password, a keyboard or number sequence, or a repeated pattern); choose a longer passphrase")
	}
	return nil
}

func guessable(password string) bool {
	lower := strings.ToLower(norm.NFKC.String(password))
	if repeatsUnit(lower, 4) || isSequence(lower) {
		return true
	}
	stem := strings.TrimFunc(lower, func(r rune) bool {
		return r < utf8.RuneSelf && !('a' <= r && r <= 'z')
	})
	for _, cand := range []string{lower, stem, leet.Replace(stem), leet.Replace(lower)} {
		if cand != "" && (commonPasswords[cand] || repeatsCommon(cand)) {
			return true
		}
	}
	return false
}

// repeatsUnit reports whether s is one unit of at most maxUnit runes repeated.
func repeatsUnit(s string, maxUnit int) bool {
	r := []rune(s)
	for u := 1; u <= maxUnit && u < len(r); u++ {
		if len(r)%u != 0 {
			continue
		}
		same := true
		for i := u; i < len(r) && same; i++ {
			same = r[i] == r[i-u]
		}
		if same {
			return true
		}
	}
	return false
}

// repeatsCommon reports whether s is a common password written twice or more.
func repeatsCommon(s string) bool {
	for u := 1; u <= len(s)/2; u++ {
		if len(s)%u == 0 && commonPasswords[s[:u]] && strings.Repeat(s[:u], len(s)/u) == s {
			return true
		}
	}
	return false
}

// isSequence reports whether s runs up or down by one along the alphabet,
// the digits (wrapping 9→0) or a keyboard row ("123456789012", "qwertyuiop[]").
func isSequence(s string) bool {
	for _, run := range []string{
		"abcdefghijklmnopqrstuvwxyz",
		"01234567890123456789",
		"1234567890-=", "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./",
		"qwertzuiopü", "azertyuiop",
	} {
		if strings.Contains(run, s) || strings.Contains(reverse(run), s) {
			return true
		}
	}
	return false
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// passwordAlphabet leaves out characters that are confused when read aloud or
// copied from paper: 0/O/o, 1/l/I/i.
const passwordAlphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// GeneratePassword returns a random one-time password for a new account:
// 20 characters from an unambiguous 54-letter alphabet (about 115 bits),
// always accepted by CheckPasswordPolicy.
func GeneratePassword() string {
	for {
		if pw := randomString(generatedPasswordLen, passwordAlphabet); CheckPasswordPolicy(pw) == nil {
			return pw
		}
	}
}

// randomString draws n characters uniformly from alphabet (at most 256
// characters) by rejection sampling, so no character is favoured by modulo bias.
func randomString(n int, alphabet string) string {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2)
	for len(out) < n {
		_, _ = rand.Read(buf) // never fails: crypto/rand aborts the program instead
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}
