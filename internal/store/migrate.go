package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/aceso-health/aceso"
)

//go:embed migrations
var migrationFS embed.FS

// migration is one forward-only schema step.
type migration struct {
	version int
	name    string
	sql     string
}

func (d *DB) migrations() ([]migration, error) {
	dir := "migrations/" + string(d.dialect)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and '_'", name)
		}
		b, err := migrationFS.ReadFile(dir + "/" + name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := range ms {
		if ms[i].version != i+1 {
			return nil, fmt.Errorf("migration %s: versions must be 1, 2, 3… without gaps", ms[i].name)
		}
	}
	return ms, nil
}

// SchemaVersion returns the version applied to the database and the newest
// version this binary knows.
func (d *DB) SchemaVersion(ctx context.Context) (applied, known int, err error) {
	ms, err := d.migrations()
	if err != nil {
		return 0, 0, err
	}
	if err := d.ensureVersionTable(ctx); err != nil {
		return 0, 0, err
	}
	if err := d.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&applied); err != nil {
		return 0, 0, d.translate(fmt.Errorf("read schema version: %w", err))
	}
	return applied, len(ms), nil
}

func (d *DB) ensureVersionTable(ctx context.Context) error {
	_, err := d.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at BIGINT NOT NULL)`)
	if err != nil {
		return d.translate(fmt.Errorf("create schema_migrations: %w", err))
	}
	return nil
}

// Migrate applies every embedded migration not yet applied, each in its
// own transaction together with its row in schema_migrations, so a crash
// leaves the database at a clean version and a re-run continues from there.
// A database newer than this binary is refused rather than guessed at.
// It returns the versions applied.
func (d *DB) Migrate(ctx context.Context) ([]int, error) {
	applied, known, err := d.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	if applied > known {
		return nil, aceso.Errorf(aceso.EINVALID, "database schema is version %d but this aceso knows only up to %d; upgrade aceso", applied, known)
	}
	ms, err := d.migrations()
	if err != nil {
		return nil, err
	}
	var done []int
	for _, m := range ms[applied:] {
		err := d.InTx(ctx, func(tx *Tx) error {
			// Another node may have applied it meanwhile (PostgreSQL): the
			// primary key on version makes the second insert fail, and the
			// lock below makes the second node wait for the first.
			if d.dialect == Postgres {
				if _, err := tx.exec(ctx, "LOCK TABLE schema_migrations IN EXCLUSIVE MODE"); err != nil {
					return err
				}
			}
			var exists int
			if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = $1", m.version).Scan(&exists); err != nil {
				return err
			}
			if exists > 0 {
				return nil
			}
			if _, err := tx.exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			_, err := tx.exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", m.version, m.name, ts(tx.Now()))
			return err
		})
		if err != nil {
			return done, err
		}
		done = append(done, m.version)
	}
	return done, nil
}
