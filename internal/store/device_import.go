package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/audit"
	"github.com/aceso-health/aceso/internal/inventory"
)

// This file holds the bulk side of the inventory: CSV/CMMS imports, the
// uploads waiting between preview and commit, saved column mappings and the
// sector's manufacturer aliases. devices.go holds single-device CRUD and the list.

// ImportOptions tune ImportDevices.
type ImportOptions struct {
	FileName  string               // for the audit entry and messages
	Rejected  []inventory.RowError // rows the reader rejected already
	ValidOnly bool                 // write the valid rows even when others were rejected
	DryRun    bool                 // compute the report only; write nothing
	// Columns, from the reader, name a rejected field by the file's header.
	Columns []inventory.ColumnMapping
}

// ImportReport is what an import did (or, dry-run or refused, would do).
type ImportReport struct {
	Rows      int                  `json:"rows"`      // rows read: imported + rejected
	New       int                  `json:"new"`       // devices created
	Changed   int                  `json:"changed"`   // devices whose fields changed
	Unchanged int                  `json:"unchanged"` // devices already as in the file
	NotInFile int                  `json:"not_in_file"`
	Rejected  []inventory.RowError `json:"rejected"`
	// RejectedRows counts distinct rows in Rejected (a row may have several problems).
	RejectedRows int  `json:"rejected_rows"`
	Written      bool `json:"written"` // the changes were stored
}

// importBatch is how many new devices one INSERT carries. PostgreSQL gains
// from fewer round trips (250 × 31 parameters stays under its limit); the
// SQLite driver looks each parameter up by a linear scan, so many
// parameters per statement cost quadratically: one row per execution of
// the prepared statement measured fastest there (no round trips anyway).
func (d *DB) importBatch() int {
	if d.dialect == SQLite {
		return 1
	}
	return 250
}

// ImportDevices upserts records into the principal's organisation by asset
// tag, in the caller's transaction. By default it is all-or-nothing: any
// rejected row (by the reader or here) means nothing is written and the
// report comes back with an EINVALID error; opts.ValidOnly writes the valid
// rows anyway. Existing devices are loaded in one query and compared by
// content hash, new ones inserted in batches, and the import is audited as
// one entry with its counts, not one per device.
func (tx *Tx) ImportDevices(ctx context.Context, p access.Principal, records []inventory.Record, opts ImportOptions) (ImportReport, error) {
	rep := ImportReport{Rejected: slices.Clone(opts.Rejected)}
	if err := access.Authorize(p, access.ActWrite, p.OrgID); err != nil {
		return rep, err
	}
	type existing struct {
		id   int64
		hash string
		seen bool
	}
	have := make(map[string]*existing)
	rows, err := tx.tx.QueryContext(ctx, "SELECT asset_tag, id, content_hash FROM devices WHERE org_id = $1", p.OrgID)
	if err != nil {
		return rep, err
	}
	for rows.Next() {
		var (
			tag string
			e   existing
		)
		if err := rows.Scan(&tag, &e.id, &e.hash); err != nil {
			rows.Close()
			return rep, err
		}
		have[tag] = &e
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, err
	}
	header := make(map[string]string, len(inventory.Fields())+1)
	for _, f := range append(inventory.Fields(), "extra") {
		header[f] = f
	}
	for _, c := range opts.Columns {
		if c.Field != "" {
			header[c.Field] = c.Header
		}
	}
	var news, changes []*inventory.Device
	var changeIDs []int64
	seenTags := make(map[string]int, len(records))
	for i := range records {
		r := &records[i]
		d := r.Device
		// Reader-made devices carry their normalised manufacturer already.
		probs := normaliseDevice(&d, nil)
		if first, dup := seenTags[d.AssetTag]; dup && d.AssetTag != "" {
			probs = append(probs, fieldProblem{"asset_tag", fmt.Sprintf("duplicate asset tag %q, first used in row %d", d.AssetTag, first)})
		}
		if len(probs) > 0 {
			for _, pr := range probs {
				rep.Rejected = append(rep.Rejected, inventory.RowError{Row: r.Row, Column: header[pr.field], Reason: pr.reason})
			}
			continue
		}
		seenTags[d.AssetTag] = r.Row
		d.OrgID, d.CreatedAt, d.UpdatedAt, d.LastSeenAt = p.OrgID, tx.now, tx.now, nil
		e := have[d.AssetTag]
		switch {
		case e == nil:
			news = append(news, &d)
		case e.hash == contentHash(&d):
			e.seen = true
			rep.Unchanged++
		default:
			e.seen = true
			changes = append(changes, &d)
			changeIDs = append(changeIDs, e.id)
		}
	}
	slices.SortStableFunc(rep.Rejected, func(a, b inventory.RowError) int { return a.Row - b.Row })
	for i, e := range rep.Rejected {
		if i == 0 || e.Row != rep.Rejected[i-1].Row {
			rep.RejectedRows++
		}
	}
	rep.New, rep.Changed = len(news), len(changes)
	rep.Rows = len(seenTags) + rep.RejectedRows
	for _, e := range have {
		if !e.seen {
			rep.NotInFile++
		}
	}
	if rep.RejectedRows > 0 && !opts.ValidOnly {
		return rep, aceso.Errorf(aceso.EINVALID, "%d of %d rows rejected, nothing imported; fix them, or import the valid rows only", rep.RejectedRows, rep.Rows)
	}
	if opts.DryRun || len(news)+len(changes) == 0 {
		return rep, nil
	}
	if err := tx.insertDevices(ctx, news); err != nil {
		return rep, fmt.Errorf("import: insert: %w", err)
	}
	if len(changes) > 0 {
		st, err := tx.tx.PrepareContext(ctx, "UPDATE devices SET "+setList(3)+" WHERE org_id = $1 AND id = $2")
		if err != nil {
			return rep, fmt.Errorf("import: prepare update: %w", err)
		}
		defer st.Close()
		for i, d := range changes {
			if _, err := st.ExecContext(ctx, append([]any{p.OrgID, changeIDs[i]}, updateArgs(d)...)...); err != nil {
				return rep, fmt.Errorf("import: update %q: %w", d.AssetTag, err)
			}
		}
	}
	rep.Written = true
	name := strings.ToValidUTF8(strings.ReplaceAll(opts.FileName, "\x00", ""), "?")
	if name == "" {
		name = "upload"
	}
	summary := audit.Change(nil, map[string]any{"file": name, "rows": rep.Rows, "new": rep.New, "changed": rep.Changed,
		"unchanged": rep.Unchanged, "rejected_rows": rep.RejectedRows, "valid_only": opts.ValidOnly})
	return rep, tx.Audit(ctx, p, p.OrgID, "device.import", "device_import", name, summary)
}

// insertDevices inserts devs with multi-row INSERTs through one prepared
// statement per batch size.
func (tx *Tx) insertDevices(ctx context.Context, devs []*inventory.Device) error {
	ncol := len(deviceWriteCols)
	var (
		st     *sql.Stmt
		stRows int
	)
	defer func() {
		if st != nil {
			st.Close()
		}
	}()
	size := tx.db.importBatch()
	args := make([]any, 0, size*ncol)
	for start := 0; start < len(devs); start += size {
		batch := devs[start:min(start+size, len(devs))]
		if st == nil || stRows != len(batch) {
			if st != nil {
				st.Close()
			}
			var b strings.Builder
			b.WriteString("INSERT INTO devices (" + strings.Join(deviceWriteCols, ", ") + ") VALUES ")
			for i := range batch {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(" + placeholders(1+i*ncol, ncol) + ")")
			}
			var err error
			if st, err = tx.tx.PrepareContext(ctx, b.String()); err != nil {
				return err
			}
			stRows = len(batch)
		}
		args = args[:0]
		for _, d := range batch {
			args = append(args, deviceArgs(d)...)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

type aliasQuerier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// loadAliases builds the alias table: the built-in one extended by the
// rows of manufacturer_aliases.
func loadAliases(ctx context.Context, q aliasQuerier) (*inventory.Aliases, error) {
	rows, err := q.QueryContext(ctx, "SELECT canonical, alias FROM manufacturer_aliases ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("manufacturer aliases: %w", err)
	}
	defer rows.Close()
	extra := map[string][]string{}
	for rows.Next() {
		var c, a string
		if err := rows.Scan(&c, &a); err != nil {
			return nil, err
		}
		extra[c] = append(extra[c], a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(extra) == 0 {
		return inventory.DefaultAliases(), nil
	}
	return inventory.NewAliases(extra), nil
}

// ManufacturerAliases returns the deployment's alias table (built-in plus
// what the CSIRT's administrators added), for imports and matching.
func (d *DB) ManufacturerAliases(ctx context.Context) (*inventory.Aliases, error) {
	a, err := loadAliases(ctx, d.db)
	return a, d.translate(err)
}

// AddManufacturerAlias records that alias names the manufacturer canonical.
// The table is shared by the whole sector, so only the CSIRT's
// administrators extend it. Devices already stored keep their normalised
// name until they are saved or imported again.
func (tx *Tx) AddManufacturerAlias(ctx context.Context, p access.Principal, canonical, alias string) error {
	if err := access.Authorize(p, access.ActManageOrgs, p.OrgID); err != nil {
		return err
	}
	canonical, alias = strings.TrimSpace(canonical), strings.TrimSpace(alias)
	if canonical == "" || alias == "" || len(canonical) > 200 || len(alias) > 200 || !plainText(canonical) || !plainText(alias) {
		return aceso.Errorf(aceso.EINVALID, "canonical name and alias must be 1 to 200 characters")
	}
	if _, err := tx.exec(ctx, "INSERT INTO manufacturer_aliases (canonical, alias, created_at) VALUES ($1, $2, $3)", canonical, alias, ts(tx.now)); err != nil {
		if aceso.ErrorCode(tx.db.translate(err)) == aceso.ECONFLICT {
			return aceso.Errorf(aceso.ECONFLICT, "alias %q is defined already", alias)
		}
		return err
	}
	return tx.Audit(ctx, p, p.OrgID, "manufacturer_alias.create", "manufacturer_alias", alias, audit.Change(nil, map[string]string{"canonical": canonical, "alias": alias}))
}

// SaveImportMapping stores (or replaces) a named column mapping of the
// organisation's CMMS export: header → field name (see inventory.Fields).
func (tx *Tx) SaveImportMapping(ctx context.Context, p access.Principal, name string, mapping map[string]string) error {
	if err := access.Authorize(p, access.ActWrite, p.OrgID); err != nil {
		return err
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return aceso.Errorf(aceso.EINVALID, "mapping name must be 1 to 100 characters")
	}
	fields := inventory.Fields()
	if !plainText(name) {
		return aceso.Errorf(aceso.EINVALID, "mapping name is not valid UTF-8 text")
	}
	if len(mapping) > 500 {
		return aceso.Errorf(aceso.EINVALID, "mapping %q has %d columns; at most 500 are kept", name, len(mapping))
	}
	for h, f := range mapping {
		if h == "" || len(h) > 500 || !plainText(h) {
			return aceso.Errorf(aceso.EINVALID, "mapping %q: a column header must be 1 to 500 characters of text", name)
		}
		if f != "" && !slices.Contains(fields, f) {
			return aceso.Errorf(aceso.EINVALID, "mapping %q: column %q maps to unknown field %q (fields: %s)", name, h, f, strings.Join(fields, ", "))
		}
	}
	b, err := json.Marshal(mapping)
	if err != nil {
		return fmt.Errorf("mapping: %w", err)
	}
	_, err = tx.exec(ctx, `INSERT INTO import_mappings (org_id, name, mapping, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
		ON CONFLICT (org_id, name) DO UPDATE SET mapping = excluded.mapping, updated_at = excluded.updated_at`, p.OrgID, name, string(b), ts(tx.now))
	if err != nil {
		return err
	}
	return tx.Audit(ctx, p, p.OrgID, "import_mapping.save", "import_mapping", name, audit.Change(nil, mapping))
}

// ImportMapping returns a saved mapping of the organisation by name.
func (d *DB) ImportMapping(ctx context.Context, p access.Principal, name string) (map[string]string, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return nil, err
	}
	if !plainText(name) {
		return nil, aceso.Errorf(aceso.ENOTFOUND, "no saved import mapping named %q", name)
	}
	var s string
	err := d.db.QueryRowContext(ctx, "SELECT mapping FROM import_mappings WHERE org_id = $1 AND name = $2", p.OrgID, strings.TrimSpace(name)).Scan(&s)
	if err == sql.ErrNoRows {
		return nil, aceso.Errorf(aceso.ENOTFOUND, "no saved import mapping named %q", name)
	}
	if err != nil {
		return nil, d.translate(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("mapping %q: %w", name, err)
	}
	return m, nil
}

// UploadTTL is how long an uploaded import file waits for its commit.
const UploadTTL = time.Hour

// SaveImportUpload holds an uploaded file between the import preview and
// its commit, bound to the uploading user, and returns its random id.
// Uploads older than UploadTTL are purged on the way.
func (tx *Tx) SaveImportUpload(ctx context.Context, p access.Principal, fileName string, data []byte) (string, error) {
	if err := access.Authorize(p, access.ActWrite, p.OrgID); err != nil {
		return "", err
	}
	id, err := access.RandomID(24)
	if err != nil {
		return "", err
	}
	if _, err := tx.exec(ctx, "DELETE FROM import_uploads WHERE created_at < $1", ts(tx.now.Add(-UploadTTL))); err != nil {
		return "", err
	}
	fileName = strings.ToValidUTF8(strings.ReplaceAll(fileName, "\x00", ""), "?")
	if len(fileName) > 255 {
		fileName = strings.ToValidUTF8(fileName[:255], "")
	}
	_, err = tx.exec(ctx, "INSERT INTO import_uploads (id, org_id, user_id, file_name, data, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
		id, p.OrgID, p.UserID, fileName, data, ts(tx.now))
	return id, err
}

// ImportUpload returns an upload of the principal (same user, same
// organisation, younger than UploadTTL); anything else is not found.
func (d *DB) ImportUpload(ctx context.Context, p access.Principal, id string) (fileName string, data []byte, err error) {
	if err := access.Authorize(p, access.ActWrite, p.OrgID); err != nil {
		return "", nil, err
	}
	if !plainText(id) {
		return "", nil, aceso.Errorf(aceso.ENOTFOUND, "upload not found or expired; upload the file again")
	}
	err = d.db.QueryRowContext(ctx, "SELECT file_name, data FROM import_uploads WHERE org_id = $1 AND id = $2 AND user_id = $3 AND created_at >= $4",
		p.OrgID, id, p.UserID, ts(d.Now().Add(-UploadTTL))).Scan(&fileName, &data)
	if err == sql.ErrNoRows {
		return "", nil, aceso.Errorf(aceso.ENOTFOUND, "upload not found or expired (uploads are kept %s); upload the file again", UploadTTL)
	}
	return fileName, data, d.translate(err)
}

// DeleteImportUpload removes an upload once it is committed or abandoned.
func (tx *Tx) DeleteImportUpload(ctx context.Context, p access.Principal, id string) error {
	_, err := tx.exec(ctx, "DELETE FROM import_uploads WHERE org_id = $1 AND id = $2 AND user_id = $3", p.OrgID, id, p.UserID)
	return err
}

// ManufacturerAlias is one alias row the CSIRT's administrators added on
// top of the built-in table.
type ManufacturerAlias struct {
	ID        int64     `json:"id"`
	Canonical string    `json:"canonical"`
	Alias     string    `json:"alias"`
	CreatedAt time.Time `json:"created_at"`
}

// ListManufacturerAliases returns the added aliases, by canonical name.
// Every signed-in user may read them: they explain how a device's
// manufacturer was normalised.
func (d *DB) ListManufacturerAliases(ctx context.Context, p access.Principal) ([]ManufacturerAlias, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, "SELECT id, canonical, alias, created_at FROM manufacturer_aliases ORDER BY canonical, alias, id")
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	out := []ManufacturerAlias{}
	for rows.Next() {
		var (
			a ManufacturerAlias
			c int64
		)
		if err := rows.Scan(&a.ID, &a.Canonical, &a.Alias, &c); err != nil {
			return nil, d.translate(err)
		}
		a.CreatedAt = fromTS(c)
		out = append(out, a)
	}
	return out, d.translate(rows.Err())
}

// SavedMapping is a named column mapping of the organisation's CMMS export.
type SavedMapping struct {
	Name      string            `json:"name"`
	Mapping   map[string]string `json:"mapping"` // header → field ("" keeps the column as extra)
	UpdatedAt time.Time         `json:"updated_at"`
}

// ImportMappings returns the organisation's saved mappings by name, for the
// wizard's mapping select and the API.
func (d *DB) ImportMappings(ctx context.Context, p access.Principal) ([]SavedMapping, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, "SELECT name, mapping, updated_at FROM import_mappings WHERE org_id = $1 ORDER BY name LIMIT 500", p.OrgID)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	out := []SavedMapping{}
	for rows.Next() {
		var (
			m SavedMapping
			s string
			u int64
		)
		if err := rows.Scan(&m.Name, &s, &u); err != nil {
			return nil, d.translate(err)
		}
		m.UpdatedAt = fromTS(u)
		if err := json.Unmarshal([]byte(s), &m.Mapping); err != nil {
			return nil, fmt.Errorf("mapping %q: %w", m.Name, err)
		}
		out = append(out, m)
	}
	return out, d.translate(rows.Err())
}
