package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/audit"
	"github.com/aceso-health/aceso/internal/share"
)

// CSAFKey is the CSAF provider's OpenPGP signing key, armored. Private is
// the secret key: callers sign with it and never serve or log it.
type CSAFKey struct {
	Fingerprint string // upper-case hex, as provider-metadata.json lists it
	Public      string // armored public key
	Private     string // armored private key
	CreatedAt   time.Time
}

// csafKeyName is the one key the provider uses; a name column leaves room
// for rotation without a new migration.
const csafKeyName = "provider"

// CSAFKey returns the provider's signing key, creating it with gen on
// first use. Several nodes may race to create it: the unique name lets
// exactly one insert win and every node then reads the winner's key.
func (d *DB) CSAFKey(ctx context.Context, gen func() (CSAFKey, error)) (CSAFKey, error) {
	k, err := d.readCSAFKey(ctx)
	if err == nil || aceso.ErrorCode(err) != aceso.ENOTFOUND || gen == nil {
		return k, err
	}
	nk, err := gen()
	if err != nil {
		return k, fmt.Errorf("csaf key: generate: %w", err)
	}
	err = d.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `INSERT INTO csaf_keys (name, fingerprint, public_key, private_key, created_at) VALUES ($1, $2, $3, $4, $5)`,
			csafKeyName, nk.Fingerprint, nk.Public, nk.Private, ts(tx.now)); err != nil {
			return err
		}
		return tx.Audit(ctx, access.System, 0, "csaf.key.create", "csaf_key", nk.Fingerprint, audit.Change(nil, map[string]string{"fingerprint": nk.Fingerprint}))
	})
	if err != nil && aceso.ErrorCode(err) != aceso.ECONFLICT {
		return k, fmt.Errorf("csaf key: %w", err)
	}
	return d.readCSAFKey(ctx)
}

func (d *DB) readCSAFKey(ctx context.Context) (CSAFKey, error) {
	var (
		k  CSAFKey
		at int64
	)
	err := d.db.QueryRowContext(ctx, "SELECT fingerprint, public_key, private_key, created_at FROM csaf_keys WHERE name = $1", csafKeyName).
		Scan(&k.Fingerprint, &k.Public, &k.Private, &at)
	if err == sql.ErrNoRows {
		return k, aceso.Errorf(aceso.ENOTFOUND, "no CSAF provider key yet")
	}
	if err != nil {
		return k, d.translate(err)
	}
	k.CreatedAt = fromTS(at)
	return k, nil
}

// CSAFAdvisories returns the stored advisories labelled label (with their
// documents, oldest first) for the CSAF provider's directory of that label.
// TLP:CLEAR is public and needs no principal; any other label needs an
// authenticated principal and returns only what it may see (the same rule
// as Advisories: the CSIRT sees all, a member GREEN and those it has a
// finding from).
func (d *DB) CSAFAdvisories(ctx context.Context, p access.Principal, label share.TLP) ([]Advisory, error) {
	if !label.Valid() {
		return nil, aceso.Errorf(aceso.EINVALID, "csaf: no valid TLP label")
	}
	labels := []any{label.String()}
	where := "a.tlp = $1"
	if label == share.TLPClear {
		labels = append(labels, "TLP:WHITE")
		where = "a.tlp IN ($1, $2)"
	} else {
		if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
			return nil, err
		}
		where += " AND " + visibleClause(p, &labels)
	}
	rows, err := d.db.QueryContext(ctx, "SELECT "+prefixCols("a.", advisoryCols)+", a.doc FROM advisories a WHERE "+where+" ORDER BY a.id", labels...)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	var out []Advisory
	for rows.Next() {
		var doc string
		a, err := scanAdvisory(rows, &doc)
		if err != nil {
			return nil, d.translate(err)
		}
		a.Doc = &advisory.Advisory{}
		if err := json.Unmarshal([]byte(doc), a.Doc); err != nil {
			return nil, fmt.Errorf("advisory %d: stored document: %w", a.ID, err)
		}
		out = append(out, a)
	}
	return out, d.translate(rows.Err())
}
