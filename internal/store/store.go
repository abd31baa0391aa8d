// Package store persists Aceso's domain types in SQLite (the embedded
// default) or PostgreSQL (for a sector that outgrows one machine). One SQL
// text serves both: the SQLite driver binds $1 by number, timestamps are
// stored as Unix microseconds (BIGINT) and booleans as BOOLEAN/INTEGER.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
)

// Dialect names the database behind a DB.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open, migrated Aceso database.
type DB struct {
	db      *sql.DB
	dialect Dialect
	dsn     string // for messages only; never contains a password (see redact)
	// Now is the clock used for created/updated times; tests replace it.
	Now func() time.Time
	// IncidentConfig holds the deployment's incident settings (regimes, report
	// recipients); set it once before serving. Zero means the defaults.
	IncidentConfig IncidentSettings
}

// Open connects to dsn — a path or "sqlite:PATH" or "file:PATH" for
// SQLite, "postgres://…" or "postgresql://…" for PostgreSQL — and checks
// the connection. It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	var (
		d   *DB
		err error
	)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		d, err = openPostgres(ctx, dsn)
	default:
		d, err = openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
	}
	if err != nil {
		return nil, err
	}
	d.Now = func() time.Time { return time.Now().UTC() }
	return d, nil
}

// Dialect reports which database d is.
func (d *DB) Dialect() Dialect { return d.dialect }

// Close closes the database; with SQLite it checkpoints the WAL.
func (d *DB) Close() error { return d.db.Close() }

// Ping checks that the database answers (for /readyz).
func (d *DB) Ping(ctx context.Context) error {
	if err := d.db.PingContext(ctx); err != nil {
		return aceso.Wrap(aceso.EUNAVAILABLE, err, "database not reachable")
	}
	return nil
}

// SQL returns the underlying handle for packages of this module that need
// raw access in tests (tamper tests). Application code uses the methods.
func (d *DB) SQL() *sql.DB { return d.db }

// Tx is a transaction; store methods that write take one so that a change
// and its audit entry commit together.
type Tx struct {
	tx  *sql.Tx
	db  *DB
	now time.Time
}

// InTx runs fn in a transaction, committing when fn returns nil and rolling
// back otherwise (also on panic). Errors from the driver are translated to
// aceso error codes.
func (d *DB) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqltx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return d.translate(fmt.Errorf("begin transaction: %w", err))
	}
	tx := &Tx{tx: sqltx, db: d, now: d.Now().UTC().Truncate(time.Microsecond)}
	defer func() {
		if p := recover(); p != nil {
			_ = sqltx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqltx.Rollback()
			err = d.translate(err)
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = sqltx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Now returns the transaction's timestamp: every row a transaction writes
// carries the same time.
func (tx *Tx) Now() time.Time { return tx.now }

func (tx *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(ctx, q, args...)
}

func (tx *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(ctx, q, args...)
}

// translate maps driver errors to aceso codes by error code (in the
// dialect files), keeping the cause for the logs.
func (d *DB) translate(err error) error {
	if err == nil {
		return nil
	}
	var ae *aceso.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return aceso.Wrap(aceso.ENOTFOUND, err, "not found")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return aceso.Wrap(aceso.EUNAVAILABLE, err, "request cancelled or timed out")
	}
	switch d.dialect {
	case SQLite:
		return translateSQLite(err)
	case Postgres:
		return translatePostgres(err)
	}
	return err
}

// ts converts a time to the stored form (Unix microseconds, UTC).
func ts(t time.Time) int64 { return t.UTC().UnixMicro() }

// tsPtr converts an optional time; nil is stored as NULL.
func tsPtr(t *time.Time) sql.NullInt64 {
	if t == nil || t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ts(*t), Valid: true}
}

// fromTS converts a stored time back.
func fromTS(us int64) time.Time { return time.UnixMicro(us).UTC() }

// fromNullTS converts an optional stored time back.
func fromNullTS(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromTS(n.Int64)
	return &t
}
