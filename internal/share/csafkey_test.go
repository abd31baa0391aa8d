package share

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/aceso-health/aceso"
)

// TestEncryptCSAFKey proves that an encrypted key keeps its public part
// and fingerprint, is unreadable without the passphrase, refuses a wrong
// one with a clear message, and signs what the public key verifies once
// opened.
func TestEncryptCSAFKey(t *testing.T) {
	k, err := NewCSAFSigningKey("Health CERT", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pass := []byte("a long passphrase for tests")
	enc, err := EncryptCSAFKey(k.Private, pass)
	if err != nil {
		t.Fatal(err)
	}
	if enc == k.Private || !strings.Contains(enc, "PRIVATE KEY") {
		t.Fatalf("not an encrypted private key: %.80q", enc)
	}
	for _, c := range []struct {
		armored string
		want    bool
	}{{k.Private, false}, {enc, true}} {
		if got, err := CSAFKeyEncrypted(c.armored); err != nil || got != c.want {
			t.Errorf("CSAFKeyEncrypted = %v, %v; want %v", got, err, c.want)
		}
	}
	ring, err := openpgp.ReadArmoredKeyRing(strings.NewReader(enc))
	if err != nil || len(ring) != 1 {
		t.Fatal(err)
	}
	if fp := strings.ToUpper(hex.EncodeToString(ring[0].PrimaryKey.Fingerprint)); fp != k.Fingerprint {
		t.Errorf("fingerprint changed: %s, want %s", fp, k.Fingerprint)
	}
	if !ring[0].PrivateKey.Encrypted || len(ring[0].Subkeys) != 1 || !ring[0].Subkeys[0].PrivateKey.Encrypted {
		t.Error("primary key or subkey stored unencrypted")
	}
	tests := []struct {
		name, armored string
		pass          []byte
		msg           string // substring of the error; "" means it opens
	}{
		{name: "right passphrase", armored: enc, pass: pass},
		{name: "no passphrase", armored: enc, msg: "is encrypted: a passphrase is needed"},
		{name: "wrong passphrase", armored: enc, pass: []byte("a long passphrase for tesTs"), msg: "does not open it (wrong passphrase?)"},
		{name: "plaintext key, passphrase not needed", armored: k.Private, pass: pass},
		{name: "public key", armored: k.Public, pass: pass, msg: "want one private key"},
	}
	pub, _ := openpgp.ReadArmoredKeyRing(strings.NewReader(k.Public))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := OpenCSAFSigner(tt.armored, tt.pass)
			if tt.msg != "" {
				if err == nil || aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(aceso.ErrorMessage(err), tt.msg) {
					t.Fatalf("err %v, want EINVALID containing %q", err, tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			doc := []byte(`{"document":{"title":"x"}}`)
			sig, err := s.Sign(doc, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := openpgp.CheckArmoredDetachedSignature(pub, bytes.NewReader(doc), bytes.NewReader(sig), nil); err != nil {
				t.Errorf("signature does not verify: %v", err)
			}
		})
	}
	if _, err := EncryptCSAFKey(enc, pass); aceso.ErrorCode(err) != aceso.EINVALID {
		t.Errorf("encrypting twice: %v, want EINVALID", err)
	}
	if _, err := EncryptCSAFKey(k.Private, nil); aceso.ErrorCode(err) != aceso.EINVALID {
		t.Errorf("empty passphrase: %v, want EINVALID", err)
	}
	if _, err := NewCSAFSigner(enc); aceso.ErrorCode(err) != aceso.EINVALID {
		t.Errorf("NewCSAFSigner on an encrypted key: %v, want EINVALID", err)
	}
}
