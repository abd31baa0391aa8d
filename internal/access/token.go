package access

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/aceso-health/aceso"
)

// tokenBytes is the entropy of an API token: 256 bits, far beyond guessing,
// which is why a fast unsalted SHA-256 is enough to store it.
const tokenBytes = 32

// Bounds for RandomID: below 128 bits a session id or CSRF token could be
// guessed online (OWASP); the upper bound only catches mistakes.
const (
	minRandomIDBytes = 16
	maxRandomIDBytes = 1024
)

// NewToken returns a new API token "<prefix>_<base64url of 32 random bytes>"
// and the hex SHA-256 of the whole token, which is all the store keeps. The
// prefix (1..32 of a-z, 0-9 and _, e.g. "aceso_pat") lets people and secret
// scanners recognise a leaked token.
func NewToken(prefix string) (token string, hash string, err error) {
	if err := checkTokenPrefix(prefix); err != nil {
		return "", "", err
	}
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("new token: %w", err)
	}
	token = prefix + "_" + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token), nil
}

func checkTokenPrefix(prefix string) error {
	if len(prefix) < 1 || len(prefix) > 32 {
		return aceso.Errorf(aceso.EINVALID, "token prefix %q: must be 1 to 32 characters", prefix)
	}
	for i := 0; i < len(prefix); i++ {
		c := prefix[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return aceso.Errorf(aceso.EINVALID, "token prefix %q: only a-z, 0-9 and _ are allowed", prefix)
		}
	}
	return nil
}

// HashToken returns the hex SHA-256 of token: the form in which tokens are
// stored and looked up, so a database leak reveals no usable token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// RandomID returns nbytes random bytes in unpadded base64url, for session
// ids and CSRF tokens. nbytes must be 16..1024; fewer than 16 bytes (128
// bits) would be guessable and is refused.
func RandomID(nbytes int) (string, error) {
	if nbytes < minRandomIDBytes || nbytes > maxRandomIDBytes {
		return "", fmt.Errorf("random id: %d bytes outside %d..%d", nbytes, minRandomIDBytes, maxRandomIDBytes)
	}
	b := make([]byte, nbytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
