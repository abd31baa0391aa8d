package access

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/aceso-health/aceso"
)

func TestNewToken(t *testing.T) {
	tests := []struct {
		name    string
		prefix  string
		wantErr bool
	}{
		{name: "personal access token", prefix: "aceso_pat"},
		{name: "single letter", prefix: "a"},
		{name: "32 characters", prefix: strings.Repeat("x", 32)},
		{name: "empty", prefix: "", wantErr: true},
		{name: "33 characters", prefix: strings.Repeat("x", 33), wantErr: true},
		{name: "upper case", prefix: "Aceso", wantErr: true},
		{name: "hyphen", prefix: "aceso-pat", wantErr: true},
		{name: "space", prefix: "aceso pat", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, hash, err := NewToken(tt.prefix)
			if tt.wantErr {
				if err == nil || aceso.ErrorCode(err) != aceso.EINVALID {
					t.Fatalf("NewToken(%q) = %q, %v; want EINVALID", tt.prefix, token, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rest, ok := strings.CutPrefix(token, tt.prefix+"_")
			if !ok {
				t.Fatalf("token %q does not start with %q", token, tt.prefix+"_")
			}
			raw, err := base64.RawURLEncoding.DecodeString(rest)
			if err != nil || len(raw) != 32 {
				t.Fatalf("token body %q: %d bytes, %v; want 32 bytes of base64url", rest, len(raw), err)
			}
			sum := sha256.Sum256([]byte(token))
			if hash != hex.EncodeToString(sum[:]) || hash != HashToken(token) {
				t.Errorf("hash %q is not hex SHA-256 of the token", hash)
			}
		})
	}
}

func TestNewTokenUnique(t *testing.T) {
	tokens, hashes := map[string]bool{}, map[string]bool{}
	for range 1000 {
		token, hash, err := NewToken("aceso_pat")
		if err != nil {
			t.Fatal(err)
		}
		if tokens[token] || hashes[hash] {
			t.Fatalf("duplicate token or hash %q", token)
		}
		tokens[token], hashes[hash] = true, true
	}
}

func TestHashToken(t *testing.T) {
	tests := []struct {
		name  string
		token string
		want  string
	}{
		// FIPS 180-2 SHA-256 test vectors: the stored hash must stay
		// readable by any other SHA-256 implementation.
		{name: "abc", token: "abc", want: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{name: "empty", token: "", want: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HashToken(tt.token); got != tt.want {
				t.Errorf("HashToken(%q) = %s, want %s", tt.token, got, tt.want)
			}
			if again := HashToken(tt.token); again != tt.want {
				t.Errorf("HashToken is not stable: %s then %s", tt.want, again)
			}
		})
	}
	if HashToken("aceso_pat_a") == HashToken("aceso_pat_b") {
		t.Errorf("different tokens share a hash")
	}
}

func TestRandomID(t *testing.T) {
	tests := []struct {
		name    string
		nbytes  int
		wantErr bool
	}{
		{name: "minimum", nbytes: 16},
		{name: "session id", nbytes: 32},
		{name: "maximum", nbytes: 1024},
		{name: "too short", nbytes: 15, wantErr: true},
		{name: "zero", nbytes: 0, wantErr: true},
		{name: "negative", nbytes: -1, wantErr: true},
		{name: "too long", nbytes: 1025, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := RandomID(tt.nbytes)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("RandomID(%d) = %q, want error", tt.nbytes, id)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			raw, err := base64.RawURLEncoding.DecodeString(id)
			if err != nil || len(raw) != tt.nbytes {
				t.Fatalf("RandomID(%d) = %q decodes to %d bytes, %v", tt.nbytes, id, len(raw), err)
			}
			other, _ := RandomID(tt.nbytes)
			if other == id {
				t.Errorf("two ids are equal: %q", id)
			}
		})
	}
}
