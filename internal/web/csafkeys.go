package web

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
)

// DefaultCSAFKeyGrace is how long a retired signing key stays listed when
// a rotation names no grace period.
const DefaultCSAFKeyGrace = 30 * 24 * time.Hour

// CSAFKeyring is the one way to the CSAF provider's signing keys that the
// server and the CLI (`aceso csaf key`) share: creation at first use,
// rotation and the start-up check, all with the deployment's passphrase.
type CSAFKeyring struct {
	DB         *store.DB
	Passphrase []byte           // empty: private keys are stored unencrypted
	Now        func() time.Time // creation time written into new keys; nil: the clock
}

// Active returns the active signing key, generating and storing an
// Ed25519 key at first use (encrypted when a passphrase is set).
func (kr CSAFKeyring) Active(ctx context.Context) (store.CSAFKey, error) {
	return kr.DB.CSAFKey(ctx, func() (store.CSAFKey, error) { return kr.generate(ctx) })
}

// Rotate generates a new key and makes it the active one; the previous key
// stays listed for grace (see store.Tx.RotateCSAFKey). Only the CSIRT's
// administrators (or the system) may rotate.
func (kr CSAFKeyring) Rotate(ctx context.Context, p access.Principal, grace time.Duration) (store.CSAFKey, error) {
	// Checked here as well as in the store, so that a refused caller
	// costs no key generation.
	if err := access.Authorize(p, access.ActManageOrgs, p.OrgID); err != nil {
		return store.CSAFKey{}, err
	}
	nk, err := kr.generate(ctx)
	if err != nil {
		return nk, err
	}
	if err := kr.DB.InTx(ctx, func(tx *store.Tx) error { return tx.RotateCSAFKey(ctx, p, nk, grace) }); err != nil {
		return store.CSAFKey{}, err
	}
	return nk, nil
}

// Protect checks the stored keys against the passphrase and encrypts
// plaintext keys with it (store.DB.ProtectCSAFKeys); run it at start, so
// that a wrong or missing passphrase stops the start instead of breaking
// signatures later.
func (kr CSAFKeyring) Protect(ctx context.Context) (int, error) {
	return kr.DB.ProtectCSAFKeys(ctx, kr.Passphrase)
}

func (kr CSAFKeyring) generate(ctx context.Context) (store.CSAFKey, error) {
	name := "Aceso CSAF provider"
	if o, err := kr.DB.CSIRT(ctx); err == nil && o.Name != "" {
		name = o.Name + " CSAF provider"
	}
	now := time.Now().UTC()
	if kr.Now != nil {
		now = kr.Now()
	}
	k, err := share.NewCSAFSigningKey(name, "", now)
	if err != nil {
		return store.CSAFKey{}, err
	}
	if len(kr.Passphrase) > 0 {
		if k.Private, err = share.EncryptCSAFKey(k.Private, kr.Passphrase); err != nil {
			return store.CSAFKey{}, err
		}
	}
	return store.CSAFKey{Fingerprint: k.Fingerprint, Public: k.Public, Private: k.Private}, nil
}

func (s *Server) csafKeys() CSAFKeyring {
	return CSAFKeyring{DB: s.db, Passphrase: s.opt.CSAFKeyPassphrase, Now: s.now}
}

func init() {
	schemas["CSAFKeyRotate"] = obj(nil, map[string]any{"grace": map[string]any{"type": "string",
		"description": "how long the retired key stays listed: days (\"30d\") or a Go duration (\"12h\"); default 30d, at most 1825d"}})
	schemas["CSAFKey"] = obj(nil, map[string]any{"fingerprint": str, "state": map[string]any{"type": "string", "enum": []string{store.CSAFKeyActive, store.CSAFKeyRetired}},
		"created_at": when, "retired_at": when, "listed_until": when, "listed": boolean, "url": str})
	schemas["CSAFKeyList"] = obj(nil, map[string]any{"active": str, "keys": arr(ref("CSAFKey"))})
}

// csafKeyView is the public description of a signing key: never the
// private part.
type csafKeyView struct {
	Fingerprint string     `json:"fingerprint"`
	State       string     `json:"state"`
	CreatedAt   time.Time  `json:"created_at"`
	RetiredAt   *time.Time `json:"retired_at,omitempty"`
	ListedUntil *time.Time `json:"listed_until,omitempty"`
	Listed      bool       `json:"listed"` // in provider-metadata.json now
	URL         string     `json:"url,omitempty"`
}

// csafKeyViews describes keys for the API, with the URL each
// listed key is served at under base (the public URL).
func csafKeyViews(keys []store.CSAFKey, base string, now time.Time) []csafKeyView {
	out := make([]csafKeyView, 0, len(keys))
	for _, k := range keys {
		v := csafKeyView{Fingerprint: k.Fingerprint, State: k.State, CreatedAt: k.CreatedAt, Listed: k.Listed(now)}
		if !k.RetiredAt.IsZero() {
			v.RetiredAt, v.ListedUntil = &k.RetiredAt, &k.ListedUntil
		}
		if v.Listed {
			v.URL = base + "/.well-known/csaf/openpgp/" + k.Fingerprint + ".asc"
		}
		out = append(out, v)
	}
	return out
}

// apiRotate rotates the signing key. Signatures are made with the new key
// from the next request on, here and on every other node.
func (cp *csafProvider) apiRotate(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var in struct {
		Grace string `json:"grace"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	grace := DefaultCSAFKeyGrace
	if in.Grace != "" {
		g, err := ParseCSAFKeyGrace(in.Grace)
		if err != nil {
			return err
		}
		grace = g
	}
	nk, err := cp.s.csafKeys().Rotate(r.Context(), p, grace)
	if err != nil {
		return err
	}
	keys, err := cp.s.db.CSAFKeys(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"active": nk.Fingerprint, "keys": csafKeyViews(keys, cp.s.publicBase(r), cp.s.now())})
	return nil
}

var graceDays = regexp.MustCompile(`^([0-9]{1,4})d$`)

// ParseCSAFKeyGrace reads a grace period: whole days ("30d") or a Go
// duration ("12h", "90m", "0"), between 0 and store.CSAFKeyGraceMax.
func ParseCSAFKeyGrace(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	bad := aceso.Errorf(aceso.EINVALID, "grace %.40q: want a duration such as 30d or 12h, at most %dd", v, store.CSAFKeyGraceMax/(24*time.Hour))
	var d time.Duration
	if m := graceDays.FindStringSubmatch(v); m != nil {
		n, _ := strconv.Atoi(m[1])
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return 0, bad
		}
	}
	if d < 0 || d > store.CSAFKeyGraceMax {
		return 0, bad
	}
	return d, nil
}
