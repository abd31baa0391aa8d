package main

import (
	"flag"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigPublicURL pins what public_url accepts and how it is
// normalised, from the environment and the config file alike.
func TestConfigPublicURL(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "https://cert.example", want: "https://cert.example"},
		{in: "https://cert.example/", want: "https://cert.example"},
		{in: "HTTPS://CERT.Example:8443/", want: "https://cert.example:8443"},
		{in: "https://[2001:db8::1]:443", want: "https://[2001:db8::1]:443"},
		{in: "http://localhost:8080/", want: "http://localhost:8080"},
		{in: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		{in: "http://[::1]:8080", want: "http://[::1]:8080"},
		{in: "http://cert.example", err: "must use https (http only for localhost)"},
		{in: "http://10.0.0.5", err: "must use https"},
		{in: "ftp://cert.example", err: "must be an https URL"},
		{in: "cert.example", err: "must be an absolute URL"},
		{in: "/relative", err: "must be an absolute URL"},
		{in: "https://", err: "must be an absolute URL"},
		{in: "https://cert.example/aceso", err: "must not have a path"},
		{in: "https://cert.example?x=1", err: "must not have a query or a fragment"},
		{in: "https://cert.example/?", err: "must not have a query or a fragment"},
		{in: "https://cert.example#top", err: "must not have a query or a fragment"},
		{in: "https://user:pw@cert.example", err: "must not contain a user or password"},
		{in: "https://cert.example:0", err: "invalid port"},
		{in: "https://cert.example:99999", err: "invalid port"},
		{in: "mailto:csirt@cert.example", err: "must be an absolute URL"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			c, err := loadConfig(fs, nil, env(map[string]string{"ACESO_PUBLIC_URL": tt.in}))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "public_url") {
					t.Fatalf("err %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || c.PublicURL != tt.want {
				t.Fatalf("got %q, %v; want %q", c.PublicURL, err, tt.want)
			}
		})
	}
	file := filepath.Join(t.TempDir(), "aceso.json")
	if err := os.WriteFile(file, []byte(`{"public_url":"https://csaf.cert.example/"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	if c, err := loadConfig(fs, []string{"--config", file}, env(nil)); err != nil || c.PublicURL != "https://csaf.cert.example" {
		t.Errorf("from file: %q, %v", c.PublicURL, err)
	}
}

// TestConfigCSAFKeyPassphrase reads the passphrase from the environment
// and from a *_FILE (trimmed, the file winning), refuses short ones and
// does not read it from the config file, where secrets do not belong.
func TestConfigCSAFKeyPassphrase(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "pass")
	if err := os.WriteFile(secret, []byte("  from the secret file, long enough\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inFile := filepath.Join(dir, "aceso.json")
	if err := os.WriteFile(inFile, []byte(`{"csaf_key_passphrase":"a passphrase in a config file"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
		err  string
	}{
		{name: "unset"},
		{name: "env", env: map[string]string{"ACESO_CSAF_KEY_PASSPHRASE": "sixteen chars ok"}, want: "sixteen chars ok"},
		{name: "file", env: map[string]string{"ACESO_CSAF_KEY_PASSPHRASE_FILE": secret}, want: "from the secret file, long enough"},
		{name: "file wins over env", env: map[string]string{"ACESO_CSAF_KEY_PASSPHRASE": "sixteen chars ok", "ACESO_CSAF_KEY_PASSPHRASE_FILE": secret}, want: "from the secret file, long enough"},
		{name: "missing file", env: map[string]string{"ACESO_CSAF_KEY_PASSPHRASE_FILE": filepath.Join(dir, "nope")}, err: "ACESO_CSAF_KEY_PASSPHRASE_FILE"},
		{name: "too short", env: map[string]string{"ACESO_CSAF_KEY_PASSPHRASE": "short"}, err: "ACESO_CSAF_KEY_PASSPHRASE must be at least 16 characters"},
		{name: "not from the config file", args: []string{"--config", inFile}, err: `unknown field "csaf_key_passphrase"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			c, err := loadConfig(fs, tt.args, env(tt.env))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "sixteen") || strings.Contains(err.Error(), "short\"") {
					t.Errorf("error reveals the passphrase: %v", err)
				}
				return
			}
			if err != nil || c.CSAFKeyPassphrase != tt.want {
				t.Fatalf("got %q, %v; want %q", c.CSAFKeyPassphrase, err, tt.want)
			}
		})
	}
}

// FuzzNormalisePublicURL: whatever an operator writes, an accepted
// public_url is scheme://host[:port] only, https unless the host is a
// loopback address, and normalising it again changes nothing.
func FuzzNormalisePublicURL(f *testing.F) {
	for _, s := range []string{"https://cert.example/", "http://localhost:8080", "http://[::1]:1", "https://a/b", "https://u@h", "https://h?#", " https://H:443 ", "javascript:alert(1)", "https://%zz", "http://127.0.0.1.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := normalisePublicURL(s)
		if err != nil {
			return
		}
		p, perr := url.Parse(u)
		if perr != nil || p.Host == "" || p.Path != "" || p.RawQuery != "" || p.Fragment != "" || p.User != nil ||
			(p.Scheme != "https" && !(p.Scheme == "http" && isLoopbackHost(p.Hostname()))) {
			t.Fatalf("%q accepted as %q", s, u)
		}
		if again, err := normalisePublicURL(u); err != nil || again != u {
			t.Fatalf("%q → %q → %q, %v", s, u, again, err)
		}
	})
}
