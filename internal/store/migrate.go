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
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", ms[i-1].name, ms[i].name, ms[i].version)
		}
	}
	return ms, nil
}

// appliedVersions reads the set of versions recorded in schema_migrations.
func (d *DB) appliedVersions(ctx context.Context) (map[int]bool, error) {
	if err := d.ensureVersionTable(ctx); err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, d.translate(fmt.Errorf("read schema versions: %w", err))
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, d.translate(err)
		}
		applied[v] = true
	}
	return applied, d.translate(rows.Err())
}

// SchemaVersion returns how many of this binary's migrations the database
// has, and how many the binary knows; a database that holds a migration
// this binary does not know is refused (it was migrated by a newer aceso).
func (d *DB) SchemaVersion(ctx context.Context) (applied, known int, err error) {
	ms, err := d.migrations()
	if err != nil {
		return 0, 0, err
	}
	done, err := d.appliedVersions(ctx)
	if err != nil {
		return 0, 0, err
	}
	knownSet := map[int]bool{}
	for _, m := range ms {
		knownSet[m.version] = true
		if done[m.version] {
			applied++
		}
	}
	for v := range done {
		if !knownSet[v] {
			return 0, 0, aceso.Errorf(aceso.EINVALID, "database has schema migration %d, which this aceso does not know; upgrade aceso", v)
		}
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

// Migrate applies every embedded migration not yet applied, in version
// order, each in its own transaction together with its row in
// schema_migrations, so a crash leaves the database at a clean state and a
// re-run continues from there. A database newer than this binary is refused
// rather than guessed at. It returns the versions applied.
func (d *DB) Migrate(ctx context.Context) ([]int, error) {
	if _, _, err := d.SchemaVersion(ctx); err != nil {
		return nil, err
	}
	ms, err := d.migrations()
	if err != nil {
		return nil, err
	}
	have, err := d.appliedVersions(ctx)
	if err != nil {
		return nil, err
	}
	var done []int
	for _, m := range ms {
		if have[m.version] {
			continue
		}
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
