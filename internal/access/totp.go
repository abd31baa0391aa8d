package access

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
)

// TOTP parameters (RFC 6238 defaults), the only ones every authenticator app
// supports: HMAC-SHA1, 30-second steps, 6 digits.
const (
	totpPeriod    = 30
	totpDigits    = 6
	totpSecretLen = 20 // bytes: the HMAC-SHA1 block-size-friendly length RFC 4226 recommends
)

var totpB32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a new random TOTP secret: 20 bytes in unpadded
// base32, the form authenticator apps expect in a QR code or typed by hand.
func NewTOTPSecret() (string, error) {
	b := make([]byte, totpSecretLen)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("totp secret: %w", err)
	}
	return totpB32.EncodeToString(b), nil
}

// decodeTOTPSecret accepts the secret as users may type or paste it: any
// case, with spaces or hyphens between groups, with or without padding.
func decodeTOTPSecret(secret string) ([]byte, error) {
	s := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '=' {
			return -1
		}
		return r
	}, strings.ToUpper(secret))
	key, err := totpB32.DecodeString(s)
	if err != nil || len(key) == 0 {
		return nil, aceso.Errorf(aceso.EINVALID, "totp secret: not a valid base32 key")
	}
	return key, nil
}

// hotp is RFC 4226: HMAC-SHA1 of the big-endian counter, dynamically
// truncated to 31 bits, reduced to digits decimal digits (6..9).
func hotp(key []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// totpStep is the RFC 6238 time step of t; ok is false before the Unix epoch,
// where the counter would be negative.
func totpStep(t time.Time) (int64, bool) {
	u := t.Unix()
	if u < 0 {
		return 0, false
	}
	return u / totpPeriod, true
}

func totpAt(key []byte, t time.Time, digits int) (string, error) {
	step, ok := totpStep(t)
	if !ok {
		return "", aceso.Errorf(aceso.EINVALID, "totp: time %s is before 1970", t.UTC().Format(time.RFC3339))
	}
	return hotp(key, uint64(step), digits), nil
}

// TOTPCode returns the 6-digit RFC 6238 code of secret at time t.
func TOTPCode(secret string, t time.Time) (string, error) {
	key, err := decodeTOTPSecret(secret)
	if err != nil {
		return "", err
	}
	return totpAt(key, t, totpDigits)
}

// ValidateTOTP checks a 6-digit code typed by the user at time t. It accepts
// the codes of the current step and of one step either side (clock skew), but
// never a step at or before lastUsedStep, so a code seen once (shoulder
// surfing, a phishing proxy) cannot be replayed. On success it returns the
// step to store as the new lastUsedStep. Spaces in the code are ignored, as
// apps display "123 456". Comparison is constant-time.
func ValidateTOTP(secret, code string, t time.Time, lastUsedStep int64) (step int64, ok bool) {
	code = strings.ReplaceAll(code, " ", "")
	if len(code) != totpDigits || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	key, err := decodeTOTPSecret(secret)
	if err != nil {
		return 0, false
	}
	now, valid := totpStep(t)
	if !valid {
		return 0, false
	}
	// All three candidates are always computed and the highest match wins: if
	// a code matched two steps by chance, returning the lower one would let the
	// same code be replayed once for the higher step.
	for s := now - 1; s <= now+1; s++ {
		if s < 0 || s <= lastUsedStep {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(hotp(key, uint64(s), totpDigits)), []byte(code)) == 1 {
			step, ok = s, true
		}
	}
	return step, ok
}

// TOTPURI returns the otpauth:// Key URI (Google Authenticator's format,
// understood by all common apps) to show as a QR code when enrolling.
func TOTPURI(issuer, account, secret string) string {
	label := uriEscape(account)
	if issuer != "" {
		label = uriEscape(issuer) + ":" + label
	}
	var b strings.Builder
	b.WriteString("otpauth://totp/")
	b.WriteString(label)
	b.WriteString("?secret=")
	b.WriteString(uriEscape(secret))
	if issuer != "" {
		b.WriteString("&issuer=")
		b.WriteString(uriEscape(issuer))
	}
	fmt.Fprintf(&b, "&algorithm=SHA1&digits=%d&period=%d", totpDigits, totpPeriod)
	return b.String()
}

// uriEscape percent-encodes everything but unreserved characters, spaces as
// %20 (apps show a literal "+" otherwise) and ':' so an issuer or account
// containing one cannot shift the issuer:account split of the label.
func uriEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
