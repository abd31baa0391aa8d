package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/aceso-health/aceso"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// openSQLite opens (creating if needed) the SQLite database at path.
// ":memory:" gives a private in-memory database for tests.
func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, aceso.Errorf(aceso.EINVALID, "empty database path")
	}
	mem := path == ":memory:"
	if !mem {
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, aceso.Wrap(aceso.EINVALID, err, "cannot create database directory %s: %v", dir, err)
			}
		}
	}
	// busy_timeout first so that switching to WAL waits for other writers;
	// _txlock=immediate takes the write lock at BEGIN so two writers never
	// deadlock upgrading read locks.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	if mem {
		// Each connection to ":memory:" would be a different database: keep one.
		dsn = "file::memory:?" + q.Encode()
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if mem {
		db.SetMaxOpenConns(1)
	} else {
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
	}
	d := &DB{db: db, dialect: SQLite, dsn: path}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		db.Close()
		var se *sqlite.Error
		if errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_NOTADB || se.Code() == sqlite3.SQLITE_CORRUPT) {
			return nil, aceso.Wrap(aceso.EINVALID, err, "%s is not an Aceso SQLite database or is corrupt; restore it from a backup or point --db elsewhere", path)
		}
		return nil, aceso.Wrap(aceso.EUNAVAILABLE, err, "cannot open SQLite database %s: %v", path, err)
	}
	return d, nil
}

// translateSQLite maps SQLite result codes to aceso codes.
func translateSQLite(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return aceso.Wrap(aceso.ECONFLICT, err, "already exists")
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return aceso.Wrap(aceso.EINVALID, err, "refers to something that does not exist or is still in use")
	case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		return aceso.Wrap(aceso.EINVALID, err, "value not allowed")
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return aceso.Wrap(aceso.EUNAVAILABLE, err, "database busy, try again")
	}
	return err
}
