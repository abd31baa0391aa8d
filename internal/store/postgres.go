package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// openPostgres connects to PostgreSQL and checks that it answers.
func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return nil, aceso.Wrap(aceso.EINVALID, err, "invalid PostgreSQL URL: %v", redactErr(err))
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, aceso.Wrap(aceso.EUNAVAILABLE, err, "cannot reach PostgreSQL at %s:%d database %q: %v; is it running and is the URL right?", cfg.Host, cfg.Port, cfg.Database, redactErr(err))
	}
	return &DB{db: db, dialect: Postgres, dsn: fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)}, nil
}

// redactErr keeps driver messages but never a password: pgconn errors do
// not include it, yet the URL may be echoed by a parse error.
func redactErr(err error) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return "cannot parse connection string"
	}
	return err.Error()
}

// translatePostgres maps SQLSTATE codes to aceso codes.
func translatePostgres(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case "23505":
		return aceso.Wrap(aceso.ECONFLICT, err, "already exists")
	case "23503":
		return aceso.Wrap(aceso.EINVALID, err, "refers to something that does not exist or is still in use")
	case "23514", "23502", "22001", "22P02":
		return aceso.Wrap(aceso.EINVALID, err, "value not allowed")
	case "40001", "40P01", "55P03":
		return aceso.Wrap(aceso.EUNAVAILABLE, err, "database busy, try again")
	}
	return err
}
