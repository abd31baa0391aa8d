// Package storetest opens fresh, migrated databases for tests: SQLite
// always, PostgreSQL too when ACESO_TEST_POSTGRES holds a DSN, so that every
// store test runs against both backends.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aceso-health/aceso/internal/store"
	_ "github.com/jackc/pgx/v5/stdlib" // driver for the schema set-up
)

// Backends returns the backends to test: "sqlite", and "postgres" when
// ACESO_TEST_POSTGRES is set.
func Backends() []string {
	if os.Getenv("ACESO_TEST_POSTGRES") != "" {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// Each runs fn as a subtest on a fresh database of every backend.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b, func(t *testing.T) { fn(t, Open(t, b)) })
	}
}

// Open returns a fresh, migrated database of the given backend, removed
// when the test ends.
func Open(tb testing.TB, backend string) *store.DB {
	tb.Helper()
	dsn := DSN(tb, backend)
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("open %s: %v", backend, err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate %s: %v", backend, err)
	}
	return db
}

// DSN returns the address of a fresh, empty database of the backend: a
// temporary SQLite file, or a new PostgreSQL schema dropped at cleanup.
func DSN(tb testing.TB, backend string) string {
	tb.Helper()
	switch backend {
	case "sqlite":
		return filepath.Join(tb.TempDir(), "aceso.db")
	case "postgres":
		base := os.Getenv("ACESO_TEST_POSTGRES")
		if base == "" {
			tb.Skip("ACESO_TEST_POSTGRES is not set")
		}
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		schema := "t_" + hex.EncodeToString(b)
		admin, err := sql.Open("pgx", base)
		if err != nil {
			tb.Fatalf("postgres: %v", err)
		}
		defer admin.Close()
		if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
			tb.Fatalf("postgres: create schema: %v", err)
		}
		tb.Cleanup(func() {
			a, err := sql.Open("pgx", base)
			if err != nil {
				return
			}
			defer a.Close()
			_, _ = a.Exec("DROP SCHEMA " + schema + " CASCADE")
		})
		u, err := url.Parse(base)
		if err != nil || !strings.HasPrefix(base, "postgres") {
			tb.Fatalf("ACESO_TEST_POSTGRES must be a postgres:// URL")
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	tb.Fatalf("unknown backend %q", backend)
	return ""
}
