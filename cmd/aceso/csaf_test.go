package main

import (
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// TestCSAFKeyCLI proves that 'aceso csaf key' creates the provider key once
// (a second run prints the same key), prints a public key whose fingerprint
// is the one shown, and never prints the private key.
func TestCSAFKeyCLI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "aceso.db")
	var fps []string
	for range 2 {
		code, out, errOut := runCmd(t, env(nil), "csaf", "key", "--db", db)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if strings.Contains(out, "PRIVATE") {
			t.Fatal("private key printed")
		}
		fp := strings.TrimSpace(between(out, "Fingerprint:", "\n"))
		ring, err := openpgp.ReadArmoredKeyRing(strings.NewReader(out[strings.Index(out, "-----BEGIN"):]))
		if err != nil || len(ring) != 1 {
			t.Fatalf("public key: %v\n%s", err, out)
		}
		if got := strings.ToUpper(hex.EncodeToString(ring[0].PrimaryKey.Fingerprint)); got != fp || len(fp) != 40 {
			t.Errorf("fingerprint shown %q, key has %q", fp, got)
		}
		fps = append(fps, fp)
	}
	if fps[0] != fps[1] {
		t.Errorf("key changed between runs: %v", fps)
	}
	tests := []struct {
		name string
		args []string
		code int
	}{
		{name: "no action", args: []string{"csaf"}, code: 2},
		{name: "unknown action", args: []string{"csaf", "rotate", "--db", db}, code: 2},
		{name: "help", args: []string{"csaf", "--help"}, code: 0},
	}
	for _, tt := range tests {
		if code, _, _ := runCmd(t, env(nil), tt.args...); code != tt.code {
			t.Errorf("%s: exit %d, want %d", tt.name, code, tt.code)
		}
	}
}

func between(s, from, to string) string {
	_, after, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, to)
	return v
}
