package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func runCmd(t *testing.T, getenv func(string) string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := run(ctx, args, &out, &errb, getenv)
	return code, out.String(), errb.String()
}

func TestConfigValidation(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "aceso.json")
	os.WriteFile(file, []byte(`{"listen":"127.0.0.1:9999","log_level":"debug","session_idle":"30m"}`), 0o600)
	badFile := filepath.Join(dir, "bad.json")
	os.WriteFile(badFile, []byte(`{"listen":"x","colour":"blue"}`), 0o600)
	recipientsFile := filepath.Join(dir, "recipients.json")
	os.WriteFile(recipientsFile, []byte(`{"report_recipients":{"mdr":"mailto:bfarm@authority.example"}}`), 0o600)
	secret := filepath.Join(dir, "db-url")
	os.WriteFile(secret, []byte("postgres://u:pw@db.example/aceso\n"), 0o600)
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, c Config)
	}{
		{name: "defaults", check: func(t *testing.T, c Config) {
			if c.DB != "aceso-data/aceso.db" || c.Listen != "127.0.0.1:8080" {
				t.Errorf("defaults: %+v", c)
			}
		}},
		{name: "file", args: []string{"--config", file}, check: func(t *testing.T, c Config) {
			if c.LogLevel != "debug" || c.SessionIdle != 30*time.Minute {
				t.Errorf("file not applied: %+v", c)
			}
		}},
		{name: "env over file, flag over env", args: []string{"--config", file, "--log-level", "warn"},
			env: map[string]string{"ACESO_LOG_LEVEL": "error", "ACESO_DB": "/tmp/x.db"}, check: func(t *testing.T, c Config) {
				if c.LogLevel != "warn" || c.DB != "/tmp/x.db" {
					t.Errorf("precedence: %+v", c)
				}
			}},
		{name: "secret from file", env: map[string]string{"ACESO_DB_FILE": secret}, check: func(t *testing.T, c Config) {
			if c.DB != "postgres://u:pw@db.example/aceso" {
				t.Errorf("ACESO_DB_FILE: %q", c.DB)
			}
		}},
		{name: "unknown key in file", args: []string{"--config", badFile}, wantErr: `unknown field "colour"`},
		{name: "missing file", args: []string{"--config", filepath.Join(dir, "nope.json")}, wantErr: "config file"},
		{name: "bad level", args: []string{"--log-level", "loud"}, wantErr: `--log-level "loud"`},
		{name: "bad env bool", env: map[string]string{"ACESO_SECURE_COOKIES": "maybe"}, wantErr: "ACESO_SECURE_COOKIES"},
		{name: "bad env duration", env: map[string]string{"ACESO_SESSION_IDLE": "forever"}, wantErr: "ACESO_SESSION_IDLE"},
		{name: "bad listen", env: map[string]string{"ACESO_LISTEN": "8080"}, wantErr: "--listen"},
		{name: "empty db", args: []string{"--db", " "}, wantErr: "--db is empty"},
		{name: "smtp without sender", env: map[string]string{"ACESO_SMTP_ADDR": "mail.example.org:587"}, wantErr: "smtp_from"},
		{name: "reminder leads", env: map[string]string{"ACESO_REMINDER_LEADS": "24h, 2h,30m"}, check: func(t *testing.T, c Config) {
			if len(c.ReminderLeads) != 3 || c.ReminderLeads[0] != 24*time.Hour || c.ReminderLeads[2] != 30*time.Minute {
				t.Errorf("leads: %v", c.ReminderLeads)
			}
		}},
		{name: "bad reminder lead", env: map[string]string{"ACESO_REMINDER_LEADS": "12h,soon"}, wantErr: `ACESO_REMINDER_LEADS: "soon"`},
		{name: "repeated reminder lead", env: map[string]string{"ACESO_REMINDER_LEADS": "2h,2h"}, wantErr: "given twice"},
		{name: "short webhook secret", env: map[string]string{"ACESO_WEBHOOK_SECRET": "short"}, wantErr: "ACESO_WEBHOOK_SECRET"},
		{name: "report recipients from env", env: map[string]string{"ACESO_REPORT_RECIPIENTS": `{"gdpr": "mailto:dpa@lda.example", "nis2": "none"}`},
			check: func(t *testing.T, c Config) {
				if c.ReportRecipients["gdpr"] != "mailto:dpa@lda.example" || c.incidents.Recipients["nis2"] != "none" {
					t.Errorf("recipients: %+v", c.ReportRecipients)
				}
			}},
		{name: "report recipients in file", args: []string{"--config", recipientsFile}, check: func(t *testing.T, c Config) {
			if c.incidents.Recipients["mdr"] != "mailto:bfarm@authority.example" {
				t.Errorf("recipients from file: %+v", c.incidents)
			}
		}},
		{name: "report recipients not JSON", env: map[string]string{"ACESO_REPORT_RECIPIENTS": "gdpr=dpa@x"}, wantErr: "ACESO_REPORT_RECIPIENTS"},
		{name: "report recipient unknown regime", env: map[string]string{"ACESO_REPORT_RECIPIENTS": `{"dora": "csirt"}`}, wantErr: "report_recipients.dora"},
		{name: "report recipient bad address", env: map[string]string{"ACESO_REPORT_RECIPIENTS": `{"gdpr": "mailto:nobody"}`}, wantErr: "report_recipients.gdpr"},
		{name: "regimes file missing", env: map[string]string{"ACESO_REGIMES_FILE": filepath.Join(dir, "none.json")}, wantErr: "regimes_file"},
		{name: "regimes file not JSON", env: map[string]string{"ACESO_REGIMES_FILE": badFile}, wantErr: "regimes_file " + badFile},
		{name: "smtp password from file", env: map[string]string{"ACESO_SMTP_ADDR": "127.0.0.1:25", "ACESO_SMTP_FROM": "aceso@cert.example", "ACESO_SMTP_PASSWORD_FILE": secret},
			check: func(t *testing.T, c Config) {
				if c.SMTPPassword != "postgres://u:pw@db.example/aceso" || c.SMTPAddr != "127.0.0.1:25" {
					t.Errorf("smtp config: %+v", c)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFlagSet("test", "test", &bytes.Buffer{})
			c, err := loadConfig(fs, tt.args, env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestBadInvocations(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.db")
	os.WriteFile(corrupt, bytes.Repeat([]byte("garbage!"), 512), 0o600)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	fresh := filepath.Join(dir, "fresh", "aceso.db")
	tests := []struct {
		name     string
		args     []string
		code     int
		stderr   string
		noCreate string
	}{
		{name: "no command", args: nil, code: 2, stderr: "Usage"},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`},
		{name: "unknown flag", args: []string{"serve", "--frob"}, code: 2, stderr: "flag provided but not defined: -frob"},
		{name: "help", args: []string{"serve", "--help"}, code: 0, stderr: "-demo"},
		{name: "corrupt sqlite", args: []string{"migrate", "--db", corrupt}, code: 1, stderr: "not an Aceso SQLite database or is corrupt"},
		{name: "unreachable postgres", args: []string{"migrate", "--db", "postgres://aceso:hunter2@127.0.0.1:1/aceso?connect_timeout=2"}, code: 1, stderr: "cannot reach PostgreSQL"},
		{name: "busy port", args: []string{"serve", "--db", fresh, "--listen", busy.Addr().String()}, code: 1, stderr: "already in use", noCreate: fresh},
		{name: "audit verify needs verb", args: []string{"audit"}, code: 2, stderr: "aceso audit verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, env(nil), tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.stderr)
			}
			if strings.Contains(stderr, "hunter2") {
				t.Fatal("password printed")
			}
			if tt.noCreate != "" {
				if _, err := os.Stat(filepath.Dir(tt.noCreate)); !os.IsNotExist(err) {
					t.Fatalf("%s was created although the command failed", tt.noCreate)
				}
			}
		})
	}
}

func TestMigrateUserAuditCLI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "aceso.db")
	e := env(nil)
	code, out, stderr := runCmd(t, e, "migrate", "--db", db)
	if code != 0 || !strings.Contains(out, "applied migrations") {
		t.Fatalf("migrate: %d %s %s", code, out, stderr)
	}
	if code, out, _ = runCmd(t, e, "migrate", "--db", db); code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("second migrate: %d %s", code, out)
	}
	steps := [][]string{
		{"user", "create-org", "--db", db, "--name", "St. Anna Hospital", "--kind", "member"},
		{"user", "create", "--db", db, "--org", "St. Anna Hospital", "--email", "ciso@anna.example", "--role", "admin"},
		{"user", "token", "create", "--db", db, "--email", "ciso@anna.example", "--name", "siem", "--role", "viewer"},
		{"user", "reset-password", "--db", db, "--email", "ciso@anna.example"},
		{"user", "list", "--db", db, "--org", "St. Anna Hospital"},
		{"user", "token", "list", "--db", db, "--org", "St. Anna Hospital"},
		{"user", "token", "revoke", "--db", db, "--org", "St. Anna Hospital", "--id", "1"},
	}
	for _, s := range steps {
		code, out, stderr := runCmd(t, e, s...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s%s", s, code, out, stderr)
		}
	}
	code, _, stderr = runCmd(t, e, "user", "create", "--db", db, "--org", "No Such Hospital", "--email", "x@y.example")
	if code != 1 || !strings.Contains(stderr, `no organisation named "No Such Hospital"`) {
		t.Fatalf("unknown org: %d %s", code, stderr)
	}
	code, out, _ = runCmd(t, e, "audit", "verify", "--db", db)
	if code != 0 || !strings.Contains(out, "audit log intact: 5 entries") {
		t.Fatalf("audit verify: %d %s", code, out)
	}
}

func TestServeFirstStartDemoAndShutdown(t *testing.T) {
	db := filepath.Join(t.TempDir(), "data", "aceso.db")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--db", db, "--listen", "127.0.0.1:0"}, &out, &errb, env(nil))
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "Aceso is running at") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %s %s", out.String(), errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	s := out.String()
	for _, want := range []string{"one-time password:", "admin@aceso.local", "Demo sector loaded", "ciso@st-anna.demo", "Klinikum Nord (demo)"} {
		if !strings.Contains(s, want) {
			t.Errorf("first start output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(errb.String(), "one-time password") {
		t.Error("a password reached the log")
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exit %d: %s", code, errb.String())
		}
	case <-time.After(40 * time.Second):
		t.Fatal("serve did not shut down")
	}
	// Second start: nothing created again, no password printed.
	ctx2, cancel2 := context.WithCancel(context.Background())
	var out2 syncBuffer
	go func() {
		done <- run(ctx2, []string{"serve", "--demo", "--db", db, "--listen", "127.0.0.1:0"}, &out2, &bytes.Buffer{}, env(nil))
	}()
	for !strings.Contains(out2.String(), "Aceso is running at") {
		time.Sleep(50 * time.Millisecond)
	}
	cancel2()
	<-done
	if strings.Contains(out2.String(), "password") {
		t.Errorf("second start printed passwords again:\n%s", out2.String())
	}
}
