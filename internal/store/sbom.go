package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/audit"
	"github.com/aceso-health/aceso/internal/inventory"
)

// SBOM is a CycloneDX SBOM attached to a device model of an organisation.
// Devices with the same normalised manufacturer and model inherit its
// components; an SBOM with a version applies to that software version only,
// one without to every version that has no SBOM of its own.
type SBOM struct {
	ID               int64     `json:"id"`
	OrgID            int64     `json:"org_id"`
	Manufacturer     string    `json:"manufacturer"`
	ManufacturerNorm string    `json:"manufacturer_normalised"`
	Model            string    `json:"model"`
	Version          string    `json:"version"`
	Format           string    `json:"format"` // "CycloneDX"
	Spec             string    `json:"spec"`   // spec version, "1.5"
	Serial           string    `json:"serial"` // serialNumber, "urn:uuid:…"
	DocVersion       int       `json:"doc_version"`
	FileName         string    `json:"file_name"`
	Components       int       `json:"component_count"`
	UploadedBy       string    `json:"uploaded_by"`
	UploadedAt       time.Time `json:"uploaded_at"`
}

// MaxSBOMComponents bounds one SBOM: a device's firmware SBOM lists a few
// thousand components; far more is a mistake or an attack on the store.
const MaxSBOMComponents = 50000

const sbomCols = `id, org_id, manufacturer, manufacturer_norm, model, version, format, spec, serial, doc_version,
	file_name, component_count, uploaded_by, uploaded_at`

func scanSBOM(row interface{ Scan(...any) error }) (SBOM, error) {
	var (
		s SBOM
		u int64
	)
	err := row.Scan(&s.ID, &s.OrgID, &s.Manufacturer, &s.ManufacturerNorm, &s.Model, &s.Version, &s.Format, &s.Spec,
		&s.Serial, &s.DocVersion, &s.FileName, &s.Components, &s.UploadedBy, &u)
	s.UploadedAt = fromTS(u)
	return s, err
}

// modelKey is how a device model compares: normalised manufacturer and
// model, folded, since CMMS exports and SBOMs disagree on case and spacing
// ("IntelliVue MX450" vs "Intellivue  MX450").
func modelKey(manufacturerNorm, model string) string {
	fold := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
	return fold(manufacturerNorm) + "\x1f" + fold(model)
}

// SaveSBOM attaches an SBOM with its components to the model s names
// (Manufacturer, Model, Version), replacing the one stored for that model
// and version. s comes back with its id, normalised manufacturer and
// timestamps. The upload is audited as one entry with its counts.
func (tx *Tx) SaveSBOM(ctx context.Context, p access.Principal, s *SBOM, comps []inventory.Component) error {
	if err := access.Authorize(p, access.ActWrite, p.OrgID); err != nil {
		return err
	}
	s.Manufacturer, s.Model, s.Version = strings.TrimSpace(s.Manufacturer), strings.TrimSpace(s.Model), strings.TrimSpace(s.Version)
	for _, f := range []struct{ name, v string }{
		{"manufacturer", s.Manufacturer}, {"model", s.Model}, {"version", s.Version}, {"format", s.Format},
		{"spec", s.Spec}, {"serial", s.Serial}, {"file name", s.FileName},
	} {
		if len(f.v) > 500 || !plainText(f.v) || strings.ContainsFunc(f.v, isControl) {
			return aceso.Errorf(aceso.EINVALID, "sbom: %s must be at most 500 characters of text", f.name)
		}
	}
	if s.Manufacturer == "" || s.Model == "" {
		return aceso.Errorf(aceso.EINVALID, "sbom: name the device model it describes (manufacturer and model are required)")
	}
	if len(comps) > MaxSBOMComponents {
		return aceso.Errorf(aceso.EINVALID, "sbom: %d components; at most %d are accepted", len(comps), MaxSBOMComponents)
	}
	for i, c := range comps {
		for _, f := range []struct{ name, v string }{{"name", c.Name}, {"version", c.Version}, {"purl", c.PURL}, {"cpe", c.CPE}, {"type", c.Type}} {
			if len(f.v) > 2000 || !plainText(f.v) {
				return aceso.Errorf(aceso.EINVALID, "sbom: component %d (%.60q): %s must be at most 2000 characters of text", i+1, c.Name, f.name)
			}
		}
		if strings.TrimSpace(c.Name) == "" {
			return aceso.Errorf(aceso.EINVALID, "sbom: component %d has no name", i+1)
		}
	}
	aliases, err := loadAliases(ctx, tx.tx)
	if err != nil {
		return err
	}
	s.ManufacturerNorm = aliases.Normalise(s.Manufacturer)
	if s.ManufacturerNorm == "" {
		return aceso.Errorf(aceso.EINVALID, "sbom: manufacturer %q has no letters or digits", s.Manufacturer)
	}
	if s.Format == "" {
		s.Format = "CycloneDX"
	}
	if s.DocVersion < 1 {
		s.DocVersion = 1
	}
	s.OrgID, s.Components, s.UploadedBy, s.UploadedAt = p.OrgID, len(comps), p.UserName, tx.now
	key := modelKey(s.ManufacturerNorm, s.Model)

	var (
		oldID    int64
		oldCount int
	)
	err = tx.queryRow(ctx, "SELECT id, component_count FROM sboms WHERE org_id = $1 AND model_key = $2 AND version = $3",
		p.OrgID, key, s.Version).Scan(&oldID, &oldCount)
	action := "sbom.create"
	switch {
	case err == sql.ErrNoRows:
		err = tx.queryRow(ctx, `INSERT INTO sboms (org_id, manufacturer, manufacturer_norm, model, model_key, version, format, spec, serial,
			doc_version, file_name, component_count, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			p.OrgID, s.Manufacturer, s.ManufacturerNorm, s.Model, key, s.Version, s.Format, s.Spec, s.Serial, s.DocVersion,
			s.FileName, s.Components, s.UploadedBy, ts(s.UploadedAt)).Scan(&s.ID)
		if err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		action, s.ID = "sbom.replace", oldID
		if _, err := tx.exec(ctx, "DELETE FROM sbom_components WHERE org_id = $1 AND sbom_id = $2", p.OrgID, oldID); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE sboms SET manufacturer = $3, model = $4, format = $5, spec = $6, serial = $7, doc_version = $8,
			file_name = $9, component_count = $10, uploaded_by = $11, uploaded_at = $12 WHERE org_id = $1 AND id = $2`,
			p.OrgID, oldID, s.Manufacturer, s.Model, s.Format, s.Spec, s.Serial, s.DocVersion, s.FileName, s.Components,
			s.UploadedBy, ts(s.UploadedAt))
		if err != nil {
			return err
		}
	}
	if err := tx.insertComponents(ctx, p.OrgID, s.ID, comps); err != nil {
		return fmt.Errorf("sbom: insert components: %w", err)
	}
	summary := map[string]any{"manufacturer": s.ManufacturerNorm, "model": s.Model, "version": s.Version, "spec": s.Spec,
		"serial": s.Serial, "file": s.FileName, "components": s.Components}
	if action == "sbom.replace" {
		summary["components_before"] = oldCount
	}
	return tx.Audit(ctx, p, p.OrgID, action, "sbom", s.ID, audit.Change(nil, summary))
}

// insertComponents writes comps in multi-row INSERTs sized as the device
// import's (one row per execution on SQLite, 250 on PostgreSQL).
func (tx *Tx) insertComponents(ctx context.Context, orgID, sbomID int64, comps []inventory.Component) error {
	const ncol = 7
	size := tx.db.importBatch()
	var (
		st     *sql.Stmt
		stRows int
	)
	defer func() {
		if st != nil {
			st.Close()
		}
	}()
	args := make([]any, 0, size*ncol)
	for start := 0; start < len(comps); start += size {
		batch := comps[start:min(start+size, len(comps))]
		if st == nil || stRows != len(batch) {
			if st != nil {
				st.Close()
			}
			var b strings.Builder
			b.WriteString("INSERT INTO sbom_components (org_id, sbom_id, name, version, purl, cpe, type) VALUES ")
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
		for _, c := range batch {
			args = append(args, orgID, sbomID, strings.TrimSpace(c.Name), strings.TrimSpace(c.Version), strings.TrimSpace(c.PURL),
				strings.TrimSpace(c.CPE), strings.TrimSpace(c.Type))
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// ListSBOMs returns the organisation's SBOMs by manufacturer, model and version.
func (d *DB) ListSBOMs(ctx context.Context, p access.Principal) ([]SBOM, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, "SELECT "+sbomCols+" FROM sboms WHERE org_id = $1 ORDER BY model_key, version, id LIMIT 5000", p.OrgID)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	out := []SBOM{}
	for rows.Next() {
		s, err := scanSBOM(rows)
		if err != nil {
			return nil, d.translate(err)
		}
		out = append(out, s)
	}
	return out, d.translate(rows.Err())
}

// SBOM returns one SBOM of the organisation with its components in
// document order.
func (d *DB) SBOM(ctx context.Context, p access.Principal, id int64) (SBOM, []inventory.Component, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return SBOM{}, nil, err
	}
	s, err := scanSBOM(d.db.QueryRowContext(ctx, "SELECT "+sbomCols+" FROM sboms WHERE org_id = $1 AND id = $2", p.OrgID, id))
	if err == sql.ErrNoRows {
		return s, nil, aceso.Errorf(aceso.ENOTFOUND, "sbom %d not found", id)
	}
	if err != nil {
		return s, nil, d.translate(err)
	}
	comps, err := d.sbomComponents(ctx, p.OrgID, s.ID)
	return s, comps, err
}

func (d *DB) sbomComponents(ctx context.Context, orgID, sbomID int64) ([]inventory.Component, error) {
	rows, err := d.db.QueryContext(ctx, "SELECT name, version, purl, cpe, type FROM sbom_components WHERE org_id = $1 AND sbom_id = $2 ORDER BY id", orgID, sbomID)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	out := []inventory.Component{}
	for rows.Next() {
		var c inventory.Component
		if err := rows.Scan(&c.Name, &c.Version, &c.PURL, &c.CPE, &c.Type); err != nil {
			return nil, d.translate(err)
		}
		out = append(out, c)
	}
	return out, d.translate(rows.Err())
}

// DeviceSBOM returns the SBOM a device inherits from its model: the one for
// its exact software version, else the model's version-less one. A device
// without either is ENOTFOUND. dev must have been read through the store
// (its normalised manufacturer is the key).
func (d *DB) DeviceSBOM(ctx context.Context, p access.Principal, dev inventory.Device) (SBOM, []inventory.Component, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return SBOM{}, nil, err
	}
	// DESC puts the exact version before the version-less one ("").
	rows, err := d.db.QueryContext(ctx, "SELECT "+sbomCols+" FROM sboms WHERE org_id = $1 AND model_key = $2 AND version IN ('', $3) ORDER BY version DESC",
		p.OrgID, modelKey(dev.ManufacturerNorm, dev.Model), strings.TrimSpace(dev.Version))
	if err != nil {
		return SBOM{}, nil, d.translate(err)
	}
	var (
		s     SBOM
		found bool
	)
	if rows.Next() {
		s, err = scanSBOM(rows)
		found = err == nil
	}
	rows.Close()
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		return s, nil, d.translate(err)
	}
	if !found {
		return s, nil, aceso.Errorf(aceso.ENOTFOUND, "no sbom for %s %s", dev.ManufacturerNorm, dev.Model)
	}
	comps, err := d.sbomComponents(ctx, p.OrgID, s.ID)
	return s, comps, err
}

// DeleteSBOM removes an SBOM and its components.
func (tx *Tx) DeleteSBOM(ctx context.Context, p access.Principal, id int64) error {
	if err := access.Authorize(p, access.ActWrite, p.OrgID); err != nil {
		return err
	}
	s, err := scanSBOM(tx.queryRow(ctx, "SELECT "+sbomCols+" FROM sboms WHERE org_id = $1 AND id = $2", p.OrgID, id))
	if err == sql.ErrNoRows {
		return aceso.Errorf(aceso.ENOTFOUND, "sbom %d not found", id)
	}
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, "DELETE FROM sbom_components WHERE org_id = $1 AND sbom_id = $2", p.OrgID, id); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, "DELETE FROM sboms WHERE org_id = $1 AND id = $2", p.OrgID, id); err != nil {
		return err
	}
	return tx.Audit(ctx, p, p.OrgID, "sbom.delete", "sbom", id, audit.Change(s, nil))
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
