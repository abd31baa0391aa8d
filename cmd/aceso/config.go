package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/store"
)

// Config is all of Aceso's settings in one struct, filled in this order:
// defaults → optional JSON file (--config / ACESO_CONFIG) → environment
// (ACESO_*, and ACESO_*_FILE for secrets) → flags → Validate.
type Config struct {
	DB            string        `json:"db"`             // SQLite path or postgres:// URL
	Listen        string        `json:"listen"`         // host:port
	LogLevel      string        `json:"log_level"`      // debug, info, warn, error
	LogFormat     string        `json:"log_format"`     // text, json
	SecureCookies bool          `json:"secure_cookies"` // behind TLS: Secure cookies and HSTS
	SessionIdle   time.Duration `json:"-"`
	SessionMax    time.Duration `json:"-"`
	CSIRTName     string        `json:"csirt_name"` // name of the CSIRT created at first start
	AdminEmail    string        `json:"admin_email"`
	AutoMigrate   bool          `json:"auto_migrate"`
	MaxBodyBytes  int64         `json:"max_body_bytes"`
	// Outbound e-mail (reminders, alerts). Empty SMTPAddr: e-mail stays in the outbox.
	SMTPAddr     string `json:"smtp_addr"` // host:port of a submission server
	SMTPFrom     string `json:"smtp_from"`
	SMTPUser     string `json:"smtp_user"`
	SMTPPassword string `json:"-"` // only from ACESO_SMTP_PASSWORD(_FILE): secrets stay out of config files
	// WebhookSecret signs outbound webhooks (HMAC-SHA256).
	WebhookSecret string `json:"-"`
	// PublicURL is how clients reach Aceso (scheme and host, e.g.
	// https://cert.example): the CSAF provider and TAXII discovery write
	// their absolute URLs with it. Empty: they follow each request's Host
	// header (a laptop demo only).
	PublicURL string `json:"public_url"`
	// CSAFKeyPassphrase encrypts the CSAF signing key at rest; only from
	// ACESO_CSAF_KEY_PASSPHRASE(_FILE), like every secret.
	CSAFKeyPassphrase string `json:"-"`
	// RegimesFile names a JSON file in the shape of the embedded
	// internal/incident/regimes.json that replaces it (a national
	// transposition with other deadlines). Empty: the embedded table.
	RegimesFile string `json:"regimes_file"`
	// ReportRecipients says per regime where a submitted report goes:
	// "csirt", "mailto:ADDRESS" or "none" (env ACESO_REPORT_RECIPIENTS as
	// JSON). Regimes not named keep the default: nis2 → csirt, others none.
	ReportRecipients map[string]string `json:"report_recipients"`
	// ReminderLeads are how long before each regulatory deadline reminders
	// go out (an overdue alert is always sent); default 12h and 2h.
	ReminderLeads []time.Duration `json:"-"`

	// incidents is what Validate loaded from RegimesFile and
	// ReportRecipients, for applyIncidentSettings.
	incidents store.IncidentSettings
}

// configFile mirrors Config with durations as strings ("2h").
type configFile struct {
	Config
	ReminderLeads string `json:"reminder_leads"`
	SessionIdle   string `json:"session_idle"`
	SessionMax    string `json:"session_max"`
}

func defaultConfig() Config {
	return Config{
		DB:           "aceso-data/aceso.db",
		Listen:       "127.0.0.1:8080",
		LogLevel:     "info",
		LogFormat:    "text",
		SessionIdle:  2 * time.Hour,
		SessionMax:   12 * time.Hour,
		CSIRTName:    "Health Sector CSIRT",
		AdminEmail:   "admin@aceso.local",
		AutoMigrate:  true,
		MaxBodyBytes: 1 << 20,
	}
}

// loadConfig builds the configuration for a subcommand. fs has the
// common flags registered by registerConfigFlags; args are parsed here.
func loadConfig(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	cfg := defaultConfig()
	// The config file may be named by flag or env; find it before parsing
	// the rest, so that flags still win over the file.
	path := getenv("ACESO_CONFIG")
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			path = v
		} else if (a == "--config" || a == "-config") && i+1 < len(args) {
			path = args[i+1]
		}
	}
	if path != "" {
		if err := cfg.readFile(path); err != nil {
			return cfg, err
		}
	}
	if err := cfg.fromEnv(getenv); err != nil {
		return cfg, err
	}
	var configFlag string
	fs.StringVar(&configFlag, "config", path, "JSON configuration `file` (env ACESO_CONFIG)")
	fs.StringVar(&cfg.DB, "db", cfg.DB, "database: a SQLite `path` or a postgres:// URL (env ACESO_DB, ACESO_DB_FILE)")
	fs.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "log level: debug, info, warn, error (env ACESO_LOG_LEVEL)")
	fs.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "log format: text or json (env ACESO_LOG_FORMAT)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

func (c *Config) readFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	f := configFile{Config: *c, SessionIdle: c.SessionIdle.String(), SessionMax: c.SessionMax.String()}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("config file %s: %v", path, err)
	}
	*c = f.Config
	for name, dst := range map[string]*time.Duration{"session_idle": &c.SessionIdle, "session_max": &c.SessionMax} {
		v := map[string]string{"session_idle": f.SessionIdle, "session_max": f.SessionMax}[name]
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("config file %s: %s: %q is not a duration like 2h or 30m", path, name, v)
		}
		*dst = d
	}
	if f.ReminderLeads != "" {
		leads, err := parseLeads(f.ReminderLeads)
		if err != nil {
			return fmt.Errorf("config file %s: reminder_leads: %v", path, err)
		}
		c.ReminderLeads = leads
	}
	return nil
}

// fromEnv reads ACESO_* variables. For secrets, ACESO_X_FILE names a file
// holding the value (Docker/Kubernetes secrets), so it never sits in the
// environment of every process.
func (c *Config) fromEnv(getenv func(string) string) error {
	str := func(name string, dst *string) error {
		if v := getenv(name); v != "" {
			*dst = v
		}
		if p := getenv(name + "_FILE"); p != "" {
			b, err := os.ReadFile(p)
			if err != nil {
				return fmt.Errorf("%s_FILE: %w", name, err)
			}
			*dst = strings.TrimSpace(string(b))
		}
		return nil
	}
	for name, dst := range map[string]*string{
		"ACESO_DB": &c.DB, "ACESO_LISTEN": &c.Listen, "ACESO_LOG_LEVEL": &c.LogLevel, "ACESO_LOG_FORMAT": &c.LogFormat,
		"ACESO_CSIRT_NAME": &c.CSIRTName, "ACESO_ADMIN_EMAIL": &c.AdminEmail,
		"ACESO_SMTP_ADDR": &c.SMTPAddr, "ACESO_SMTP_FROM": &c.SMTPFrom, "ACESO_SMTP_USER": &c.SMTPUser,
		"ACESO_SMTP_PASSWORD": &c.SMTPPassword, "ACESO_WEBHOOK_SECRET": &c.WebhookSecret,
		"ACESO_REGIMES_FILE": &c.RegimesFile,
		"ACESO_PUBLIC_URL":   &c.PublicURL, "ACESO_CSAF_KEY_PASSPHRASE": &c.CSAFKeyPassphrase,
	} {
		if err := str(name, dst); err != nil {
			return err
		}
	}
	if v := getenv("ACESO_REMINDER_LEADS"); v != "" {
		leads, err := parseLeads(v)
		if err != nil {
			return fmt.Errorf("ACESO_REMINDER_LEADS: %v", err)
		}
		c.ReminderLeads = leads
	}
	if v := getenv("ACESO_REPORT_RECIPIENTS"); v != "" {
		var m map[string]string
		dec := json.NewDecoder(strings.NewReader(v))
		if err := dec.Decode(&m); err != nil || dec.More() {
			return fmt.Errorf("ACESO_REPORT_RECIPIENTS: want a JSON object such as {\"gdpr\": \"mailto:dpa@example.org\"}")
		}
		c.ReportRecipients = m
	}
	for name, dst := range map[string]*bool{"ACESO_SECURE_COOKIES": &c.SecureCookies, "ACESO_AUTO_MIGRATE": &c.AutoMigrate} {
		if v := getenv(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%s: %q is not true or false", name, v)
			}
			*dst = b
		}
	}
	for name, dst := range map[string]*time.Duration{"ACESO_SESSION_IDLE": &c.SessionIdle, "ACESO_SESSION_MAX": &c.SessionMax} {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%s: %q is not a duration like 2h or 30m", name, v)
			}
			*dst = d
		}
	}
	return nil
}

// Validate checks the whole configuration and says what to fix.
func (c *Config) Validate() error {
	var problems []string
	if strings.TrimSpace(c.DB) == "" {
		problems = append(problems, "--db is empty: give a SQLite path or a postgres:// URL")
	}
	if strings.HasPrefix(c.DB, "mysql:") || strings.HasPrefix(c.DB, "sqlserver:") {
		problems = append(problems, "--db: only SQLite paths and postgres:// URLs are supported")
	}
	if _, port, err := net.SplitHostPort(c.Listen); err != nil {
		problems = append(problems, fmt.Sprintf("--listen %q must be host:port, e.g. 127.0.0.1:8080", c.Listen))
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		problems = append(problems, fmt.Sprintf("--listen %q: port must be 0 to 65535", c.Listen))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		problems = append(problems, fmt.Sprintf("--log-level %q must be debug, info, warn or error", c.LogLevel))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		problems = append(problems, fmt.Sprintf("--log-format %q must be text or json", c.LogFormat))
	}
	if c.SessionIdle < time.Minute || c.SessionIdle > 24*time.Hour {
		problems = append(problems, "session idle timeout must be between 1m and 24h")
	}
	if c.SessionMax < c.SessionIdle || c.SessionMax > 30*24*time.Hour {
		problems = append(problems, "session maximum lifetime must be at least the idle timeout and at most 720h")
	}
	if c.MaxBodyBytes < 1024 {
		problems = append(problems, "max_body_bytes must be at least 1024")
	}
	if len(strings.TrimSpace(c.CSIRTName)) < 2 {
		problems = append(problems, "csirt_name must be at least 2 characters")
	}
	if !strings.Contains(c.AdminEmail, "@") {
		problems = append(problems, fmt.Sprintf("admin_email %q is not an e-mail address", c.AdminEmail))
	}
	if c.SMTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.SMTPAddr); err != nil {
			problems = append(problems, fmt.Sprintf("smtp_addr %q must be host:port, e.g. mail.example.org:587", c.SMTPAddr))
		}
		if !strings.Contains(c.SMTPFrom, "@") {
			problems = append(problems, "smtp_from must be an e-mail address when smtp_addr is set")
		}
	}
	if c.WebhookSecret != "" && len(c.WebhookSecret) < 16 {
		problems = append(problems, "ACESO_WEBHOOK_SECRET must be at least 16 characters")
	}
	if c.PublicURL != "" {
		if u, err := normalisePublicURL(c.PublicURL); err != nil {
			problems = append(problems, err.Error())
		} else {
			c.PublicURL = u
		}
	}
	if c.CSAFKeyPassphrase != "" && len(c.CSAFKeyPassphrase) < 16 {
		problems = append(problems, "ACESO_CSAF_KEY_PASSPHRASE must be at least 16 characters")
	}
	if err := c.loadIncidentSettings(); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid configuration: %s", strings.Join(problems, "; "))
	}
	return nil
}

// loadIncidentSettings reads the regimes file (if any) and checks the
// report recipients against the regimes in force, so that a typo stops
// the start (exit 2) instead of silently dropping a deadline or a report.
func (c *Config) loadIncidentSettings() error {
	c.incidents = store.IncidentSettings{Recipients: c.ReportRecipients}
	rg := incident.DefaultRegimes()
	if c.RegimesFile != "" {
		b, err := os.ReadFile(c.RegimesFile)
		if err != nil {
			return fmt.Errorf("regimes_file: %v", err)
		}
		if rg, err = incident.LoadRegimes(b); err != nil {
			return fmt.Errorf("regimes_file %s: %s", c.RegimesFile, aceso.ErrorMessage(err))
		}
		c.incidents.Regimes = rg
	}
	if err := store.CheckReportRecipients(c.ReportRecipients, rg); err != nil {
		return fmt.Errorf("%s", aceso.ErrorMessage(err))
	}
	return nil
}

// applyIncidentSettings gives the store the deployment's regimes and
// report recipients; every command that touches incidents calls it after
// opening the database.
func (c Config) applyIncidentSettings(db *store.DB) { db.IncidentConfig = c.incidents }

// parseLeads reads reminder lead times such as "24h,12h,2h": each between
// one minute and 30 days, no repeats.
func parseLeads(v string) ([]time.Duration, error) {
	var out []time.Duration
	seen := map[time.Duration]bool{}
	for _, part := range strings.Split(v, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d < time.Minute || d > 30*24*time.Hour {
			return nil, fmt.Errorf("%q is not a lead time between 1m and 720h (e.g. 12h,2h)", strings.TrimSpace(part))
		}
		if seen[d] {
			return nil, fmt.Errorf("lead time %s given twice", d)
		}
		seen[d] = true
		out = append(out, d)
	}
	return out, nil
}

// normalisePublicURL checks public_url and returns it as scheme://host[:port]
// without a trailing slash. It must be https (http only for a loopback
// host, for local tests) and name no path: Aceso serves the UI and
// /.well-known/csaf/ at the root of its host, and a proxy that mounted it
// under a path would break both.
func normalisePublicURL(v string) (string, error) {
	bad := func(why string) error { return fmt.Errorf("public_url %q %s", v, why) }
	u, err := url.Parse(strings.TrimSpace(v))
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return "", bad("must be an absolute URL such as https://cert.example")
	}
	switch {
	case u.User != nil:
		return "", bad("must not contain a user or password")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(v, "#"):
		return "", bad("must not have a query or a fragment")
	case u.Path != "" && u.Path != "/":
		return "", bad("must not have a path: Aceso is served at the root of its host")
	case u.Scheme != "https" && u.Scheme != "http":
		return "", bad("must be an https URL")
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		return "", bad("must use https (http only for localhost)")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", bad("has an invalid port")
		}
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
