package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/notify"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/web"
)

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlagSet("serve", "serve [flags]", stderr)
	var demo bool
	listen := fs.String("listen", "", "`address` to listen on, host:port (env ACESO_LISTEN; default 127.0.0.1:8080)")
	fs.BoolVar(&demo, "demo", false, "load a small demo sector (a CSIRT and three hospitals with users) on start")
	secure := fs.Bool("secure-cookies", false, "Aceso is reached over HTTPS (directly or via a proxy): Secure cookies and HSTS (env ACESO_SECURE_COOKIES)")
	noMigrate := fs.Bool("no-migrate", false, "do not apply database migrations on start; refuse to start on an outdated schema (env ACESO_AUTO_MIGRATE=false)")
	publicURL := fs.String("public-url", "", "external base `URL` clients reach Aceso at, e.g. https://cert.example; CSAF and TAXII links use it (env ACESO_PUBLIC_URL)")
	cfg, err := parseConfig(fs, args, getenv)
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if *secure {
		cfg.SecureCookies = true
	}
	if *noMigrate {
		cfg.AutoMigrate = false
	}
	if *publicURL != "" {
		cfg.PublicURL = *publicURL
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	log := newLogger(cfg, stderr)

	// Take the port before touching the database, so that a busy port
	// leaves nothing written.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("address %s is already in use: stop the other program or choose another with --listen", cfg.Listen)
		}
		return fmt.Errorf("cannot listen on %s: %v", cfg.Listen, err)
	}
	defer ln.Close()

	db, err := openDB(ctx, cfg, cfg.AutoMigrate, log)
	if err != nil {
		return err
	}
	defer db.Close()
	// A wrong or missing key passphrase stops the start before anything is
	// served; a stored plaintext key is encrypted once a passphrase is set.
	kr := csafKeyring(cfg, db)
	if err := protectCSAFKeys(ctx, kr, stdout); err != nil {
		return err
	}
	if len(kr.Passphrase) == 0 {
		log.Warn("the CSAF signing key is stored unencrypted in the database; set ACESO_CSAF_KEY_PASSPHRASE_FILE to encrypt it")
	}
	if cfg.PublicURL == "" {
		log.Warn("public_url is not set: CSAF provider and TAXII links follow each request's Host header; set --public-url or ACESO_PUBLIC_URL")
	}
	if err := bootstrap(ctx, db, cfg, stdout); err != nil {
		return err
	}
	if demo {
		if err := loadDemo(ctx, db, stdout); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}
	srv, err := web.New(web.Options{DB: db, Log: log, Version: buildVersion(), SecureCookies: cfg.SecureCookies,
		SessionIdle: cfg.SessionIdle, SessionMax: cfg.SessionMax, MaxBodyBytes: cfg.MaxBodyBytes,
		PublicURL: cfg.PublicURL, CSAFKeyPassphrase: kr.Passphrase})
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	go sweepSessions(ctx, db, log)
	go outboxWorker(cfg, db, log).Run(ctx, 15*time.Second)
	go db.RunIncidentReminders(ctx, store.ReminderConfig{Leads: cfg.ReminderLeads}, time.Minute, log)
	go feedScheduler(ctx, newFeedSyncer(db, log), time.Minute, log)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("aceso serving", "url", "http://"+ln.Addr().String(), "db", db.Dialect(), "version", buildVersion())
	fmt.Fprintf(stdout, "Aceso is running at http://%s/ — press Ctrl+C to stop.\n", ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// In-flight requests finish; then the database closes (deferred).
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// bootstrap creates the CSIRT and its first administrator on the first
// start, printing the one-time password once to the terminal (never to the log).
func bootstrap(ctx context.Context, db *store.DB, cfg Config, stdout io.Writer) error {
	if _, err := db.CSIRT(ctx); err == nil {
		return nil
	} else if aceso.ErrorCode(err) != aceso.ENOTFOUND {
		return err
	}
	pw, hash, err := access.NewOneTimePassword()
	if err != nil {
		return err
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		org := access.Org{Name: cfg.CSIRTName, Kind: access.KindCSIRT}
		if err := tx.CreateOrg(ctx, access.System, &org); err != nil {
			return err
		}
		u := access.User{OrgID: org.ID, Email: cfg.AdminEmail, Name: "Administrator", Role: access.RoleAdmin, PasswordHash: hash, MustChangePassword: true}
		return tx.CreateUser(ctx, access.System, &u)
	})
	if err != nil {
		return fmt.Errorf("first start: %w", err)
	}
	fmt.Fprintf(stdout, "\nFirst start: created the CSIRT %q and its administrator.\n  e-mail:             %s\n  one-time password:  %s\n(shown only now; you will choose your own password at first sign-in)\n\n", cfg.CSIRTName, cfg.AdminEmail, pw)
	return nil
}

// outboxWorker delivers the outbox: e-mail when SMTP is configured,
// webhooks always (signed when a secret is set).
func outboxWorker(cfg Config, db *store.DB, log *slog.Logger) *notify.Worker {
	host, _ := os.Hostname()
	senders := map[string]notify.Sender{notify.Webhook: &notify.HTTPWebhook{Secret: []byte(cfg.WebhookSecret)}}
	if cfg.SMTPAddr != "" {
		senders[notify.Email] = &notify.SMTP{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, Username: cfg.SMTPUser,
			Password: cfg.SMTPPassword, StartTLS: !isLoopback(cfg.SMTPAddr)}
	}
	return &notify.Worker{Outbox: db.Outbox(), Senders: senders, Node: fmt.Sprintf("%s:%d", host, os.Getpid()), Log: log}
}

func isLoopback(addr string) bool {
	h, _, _ := net.SplitHostPort(addr)
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func sweepSessions(ctx context.Context, db *store.DB, log interface{ Warn(string, ...any) }) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := db.DeleteExpiredSessions(ctx, time.Now()); err != nil && ctx.Err() == nil {
				log.Warn("session sweep", "err", err)
			}
		}
	}
}

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlagSet("migrate", "migrate [flags]", stderr)
	cfg, err := parseConfig(fs, args, getenv)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	have, _, _ := db.SchemaVersion(ctx)
	if len(applied) == 0 {
		fmt.Fprintf(stdout, "database is up to date (schema version %d, %s)\n", have, db.Dialect())
		return nil
	}
	fmt.Fprintf(stdout, "applied migrations %v; schema version %d (%s)\n", applied, have, db.Dialect())
	return nil
}

func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageError{fmt.Errorf("usage: aceso audit verify [--db …]")}
	}
	fs := newFlagSet("audit verify", "audit verify [flags]", stderr)
	cfg, err := parseConfig(fs, args[1:], getenv)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg, false, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := db.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if !res.Intact {
		return fmt.Errorf("audit log BROKEN at entry %d: %s (%d entries checked)", res.Break.ID, res.Break.Reason, res.Entries)
	}
	fmt.Fprintf(stdout, "audit log intact: %d entries verified\n", res.Entries)
	return nil
}
