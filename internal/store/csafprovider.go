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

// CSAFKey is one of the CSAF provider's OpenPGP signing keys, armored.
// Private is the secret key (OpenPGP-encrypted when the deployment has a
// key passphrase): callers sign with it and never serve or log it.
type CSAFKey struct {
	Fingerprint string // upper-case hex, as provider-metadata.json lists it
	Public      string // armored public key
	Private     string // armored private key
	CreatedAt   time.Time
	State       string    // CSAFKeyActive or CSAFKeyRetired
	RetiredAt   time.Time // zero while active
	// ListedUntil is the end of a retired key's grace period: until then
	// provider-metadata.json still lists it, so that signatures made
	// before the rotation can be verified. Zero while active.
	ListedUntil time.Time
}

// CSAF key states: exactly one key is active and signs; retired keys only
// verify older signatures.
const (
	CSAFKeyActive  = "active"
	CSAFKeyRetired = "retired"
)

// Listed reports whether provider-metadata.json lists the key at now: the
// active key always, a retired one until its grace period ends.
func (k CSAFKey) Listed(now time.Time) bool {
	return k.State == CSAFKeyActive || now.Before(k.ListedUntil)
}

// csafKeyName names the provider's key ring; every key carries it, and a
// partial unique index allows one active key per name.
const csafKeyName = "provider"

const csafKeyCols = "fingerprint, public_key, private_key, created_at, state, retired_at, listed_until"

// CSAFKey returns the provider's active signing key, creating it with gen
// on first use. Several nodes may race to create it: the unique index on
// the active key lets exactly one insert win and every node then reads
// the winner's key. gen returns the key as it is to be stored (encrypted
// when a passphrase is configured).
func (d *DB) CSAFKey(ctx context.Context, gen func() (CSAFKey, error)) (CSAFKey, error) {
	k, err := d.activeCSAFKey(ctx)
	if err == nil || aceso.ErrorCode(err) != aceso.ENOTFOUND || gen == nil {
		return k, err
	}
	nk, err := gen()
	if err != nil {
		return k, fmt.Errorf("csaf key: generate: %w", err)
	}
	err = d.InTx(ctx, func(tx *Tx) error {
		if err := tx.insertCSAFKey(ctx, nk); err != nil {
			return err
		}
		return tx.Audit(ctx, access.System, 0, "csaf.key.create", "csaf_key", nk.Fingerprint, audit.Change(nil, map[string]string{"fingerprint": nk.Fingerprint}))
	})
	if err != nil && aceso.ErrorCode(err) != aceso.ECONFLICT {
		return k, fmt.Errorf("csaf key: %w", err)
	}
	return d.activeCSAFKey(ctx)
}

func (tx *Tx) insertCSAFKey(ctx context.Context, k CSAFKey) error {
	_, err := tx.exec(ctx, `INSERT INTO csaf_keys (name, fingerprint, public_key, private_key, created_at, state) VALUES ($1, $2, $3, $4, $5, $6)`,
		csafKeyName, k.Fingerprint, k.Public, k.Private, ts(tx.now), CSAFKeyActive)
	return err
}

func (d *DB) activeCSAFKey(ctx context.Context) (CSAFKey, error) {
	k, err := scanCSAFKey(d.db.QueryRowContext(ctx, "SELECT "+csafKeyCols+" FROM csaf_keys WHERE name = $1 AND state = $2", csafKeyName, CSAFKeyActive))
	if err == sql.ErrNoRows {
		return k, aceso.Errorf(aceso.ENOTFOUND, "no CSAF provider key yet")
	}
	return k, d.translate(err)
}

func scanCSAFKey(row interface{ Scan(...any) error }) (CSAFKey, error) {
	var (
		k                  CSAFKey
		at                 int64
		retired, listedEnd sql.NullInt64
	)
	if err := row.Scan(&k.Fingerprint, &k.Public, &k.Private, &at, &k.State, &retired, &listedEnd); err != nil {
		return k, err
	}
	k.CreatedAt = fromTS(at)
	if retired.Valid {
		k.RetiredAt = fromTS(retired.Int64)
	}
	if listedEnd.Valid {
		k.ListedUntil = fromTS(listedEnd.Int64)
	}
	return k, nil
}

// CSAFKeys returns every stored signing key: the active one first, then
// the retired ones, newest first.
func (d *DB) CSAFKeys(ctx context.Context) ([]CSAFKey, error) {
	rows, err := d.db.QueryContext(ctx, "SELECT "+csafKeyCols+" FROM csaf_keys WHERE name = $1 ORDER BY CASE WHEN state = $2 THEN 0 ELSE 1 END, id DESC",
		csafKeyName, CSAFKeyActive)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	var out []CSAFKey
	for rows.Next() {
		k, err := scanCSAFKey(rows)
		if err != nil {
			return nil, d.translate(err)
		}
		out = append(out, k)
	}
	return out, d.translate(rows.Err())
}

// CSAFKeyGraceMax bounds how long a retired key stays listed.
const CSAFKeyGraceMax = 5 * 365 * 24 * time.Hour

// RotateCSAFKey makes nk the provider's active signing key (CSIRT
// administrators only). The key it replaces is retired: it signs nothing
// more and stays listed in provider-metadata.json for grace, so that
// clients can still verify what they downloaded before. Two rotations at
// once cannot leave two active keys: on PostgreSQL the later one fails
// with ECONFLICT, on SQLite they run one after the other.
func (tx *Tx) RotateCSAFKey(ctx context.Context, p access.Principal, nk CSAFKey, grace time.Duration) error {
	if err := access.Authorize(p, access.ActManageOrgs, p.OrgID); err != nil {
		return err
	}
	if grace < 0 || grace > CSAFKeyGraceMax {
		return aceso.Errorf(aceso.EINVALID, "grace must be between 0 and %d days", CSAFKeyGraceMax/(24*time.Hour))
	}
	if nk.Fingerprint == "" || nk.Public == "" || nk.Private == "" {
		return aceso.Errorf(aceso.EINVALID, "csaf key: the new key is incomplete")
	}
	var old string
	err := tx.queryRow(ctx, "SELECT fingerprint FROM csaf_keys WHERE name = $1 AND state = $2", csafKeyName, CSAFKeyActive).Scan(&old)
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	until := tx.now.Add(grace)
	if old != "" {
		res, err := tx.exec(ctx, "UPDATE csaf_keys SET state = $1, retired_at = $2, listed_until = $3 WHERE name = $4 AND state = $5 AND fingerprint = $6",
			CSAFKeyRetired, ts(tx.now), ts(until), csafKeyName, CSAFKeyActive, old)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return aceso.Errorf(aceso.ECONFLICT, "the active CSAF key changed meanwhile (another rotation?); list the keys and retry")
		}
	}
	if err := tx.insertCSAFKey(ctx, nk); err != nil {
		return err
	}
	after := map[string]string{"active": nk.Fingerprint}
	if old != "" {
		after["retired"], after["listed_until"] = old, until.Format(time.RFC3339)
	}
	// The key ring is deployment-wide: organisation 0, like its creation.
	return tx.Audit(ctx, p, 0, "csaf.key.rotate", "csaf_key", nk.Fingerprint, audit.Change(map[string]string{"active": old}, after))
}

// ProtectCSAFKeys brings the stored private keys in line with the
// deployment's key passphrase, and is meant to run at start. With a
// passphrase, every encrypted key must open with it (a wrong one is
// EINVALID and changes nothing) and every plaintext key is encrypted with
// it in place, in one audited transaction. Without one, an encrypted key
// is EINVALID: it could not sign, and generating a new key instead would
// silently replace the one clients trust. It returns how many keys it
// encrypted.
func (d *DB) ProtectCSAFKeys(ctx context.Context, passphrase []byte) (int, error) {
	keys, err := d.CSAFKeys(ctx)
	if err != nil {
		return 0, err
	}
	type change struct{ fingerprint, old, new string }
	var changes []change
	// The Argon2id work happens outside the transaction, so that it does
	// not hold SQLite's write lock.
	for _, k := range keys {
		enc, err := share.CSAFKeyEncrypted(k.Private)
		if err != nil {
			return 0, fmt.Errorf("csaf key %s: %w", k.Fingerprint, err)
		}
		switch {
		case enc && len(passphrase) == 0:
			return 0, aceso.Errorf(aceso.EINVALID, "CSAF signing key %s is stored encrypted and no key passphrase is configured", k.Fingerprint)
		case enc:
			if _, err := share.OpenCSAFSigner(k.Private, passphrase); err != nil {
				return 0, aceso.Wrap(aceso.EINVALID, err, "the configured key passphrase does not open CSAF signing key %s (wrong passphrase?)", k.Fingerprint)
			}
		case len(passphrase) > 0:
			priv, err := share.EncryptCSAFKey(k.Private, passphrase)
			if err != nil {
				return 0, fmt.Errorf("csaf key %s: %w", k.Fingerprint, err)
			}
			changes = append(changes, change{k.Fingerprint, k.Private, priv})
		}
	}
	if len(changes) == 0 {
		return 0, nil
	}
	n := 0
	err = d.InTx(ctx, func(tx *Tx) error {
		n = 0
		for _, c := range changes {
			// Only the plaintext just read is replaced: a node that
			// encrypted it meanwhile wins, and nothing is audited twice.
			res, err := tx.exec(ctx, "UPDATE csaf_keys SET private_key = $1 WHERE name = $2 AND fingerprint = $3 AND private_key = $4", c.new, csafKeyName, c.fingerprint, c.old)
			if err != nil {
				return err
			}
			if m, err := res.RowsAffected(); err != nil || m != 1 {
				continue
			}
			n++
			if err := tx.Audit(ctx, access.System, 0, "csaf.key.encrypt", "csaf_key", c.fingerprint,
				audit.Change(map[string]bool{"encrypted": false}, map[string]bool{"encrypted": true})); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("csaf key: encrypt: %w", err)
	}
	return n, nil
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
