package store_test

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// TestCSAFKeyCreatedOnce proves that concurrent first uses (several nodes
// starting at once) end with one stored key that every caller gets.
func TestCSAFKeyCreatedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var gens atomic.Int32
		gen := func() (store.CSAFKey, error) {
			n := gens.Add(1)
			k, err := share.NewCSAFSigningKey("Health CERT", "", time.Now())
			return store.CSAFKey{Fingerprint: k.Fingerprint, Public: k.Public, Private: k.Private + strings.Repeat(" ", int(n))}, err
		}
		if _, err := db.CSAFKey(ctx, nil); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Fatalf("no key yet: got %v, want ENOTFOUND", err)
		}
		keys := make([]store.CSAFKey, 4)
		var wg sync.WaitGroup
		for i := range keys {
			wg.Go(func() {
				k, err := db.CSAFKey(ctx, gen)
				if err != nil {
					t.Error(err)
				}
				keys[i] = k
			})
		}
		wg.Wait()
		for _, k := range keys[1:] {
			if k.Fingerprint != keys[0].Fingerprint || k.Private != keys[0].Private || k.Fingerprint == "" {
				t.Fatalf("callers got different keys: %s vs %s", k.Fingerprint, keys[0].Fingerprint)
			}
		}
		if _, err := share.NewCSAFSigner(keys[0].Private); err != nil {
			t.Errorf("stored private key unusable: %v", err)
		}
	})
}

// TestCSAFAdvisoriesVisibility proves the label filter and the visibility
// rule: CLEAR needs no principal; GREEN goes to any member; AMBER only to
// the CSIRT (the member has no finding from it).
func TestCSAFAdvisoriesVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		hosp := access.Org{Name: "St. Anna", Kind: access.KindMember}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateOrg(ctx, access.System, &hosp); err != nil {
				return err
			}
			for _, l := range share.Labels {
				a := &advisory.Advisory{ID: "V-" + l.String(), Title: l.String(), TLP: l.String(), Revision: "1"}
				if _, err := tx.ImportAdvisory(ctx, access.System, a); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		member := access.Principal{UserID: 99, UserName: "nurse", OrgID: hosp.ID, OrgKind: access.KindMember, Role: access.RoleViewer}
		tests := []struct {
			name  string
			p     access.Principal
			label share.TLP
			want  []string
			err   string
		}{
			{name: "public clear", label: share.TLPClear, want: []string{"V-TLP:CLEAR"}},
			{name: "public green refused", label: share.TLPGreen, err: aceso.EUNAUTHORIZED},
			{name: "member green", p: member, label: share.TLPGreen, want: []string{"V-TLP:GREEN"}},
			{name: "member amber hidden", p: member, label: share.TLPAmber},
			{name: "csirt amber", p: access.System, label: share.TLPAmber, want: []string{"V-TLP:AMBER"}},
			{name: "invalid label", p: access.System, label: share.TLPUnknown, err: aceso.EINVALID},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := db.CSAFAdvisories(ctx, tt.p, tt.label)
				if tt.err != "" {
					if aceso.ErrorCode(err) != tt.err {
						t.Fatalf("err %v, want %s", err, tt.err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, a := range got {
					if a.Doc == nil || a.Doc.ID != a.TrackingID {
						t.Errorf("%s: document not loaded", a.TrackingID)
					}
					ids = append(ids, a.TrackingID)
				}
				if strings.Join(ids, ",") != strings.Join(tt.want, ",") {
					t.Errorf("got %v, want %v", ids, tt.want)
				}
			})
		}
	})
}

const testPassphrase = "correct horse battery staple, twice"

// genKey returns a key generator for CSAFKey/RotateCSAFKey that counts its
// calls; a non-empty passphrase stores the key encrypted.
func genKey(t *testing.T, passphrase string, calls *atomic.Int32) func() (store.CSAFKey, error) {
	return func() (store.CSAFKey, error) {
		if calls != nil {
			calls.Add(1)
		}
		k, err := share.NewCSAFSigningKey("Health CERT", "", time.Now())
		if err != nil {
			return store.CSAFKey{}, err
		}
		if passphrase != "" {
			if k.Private, err = share.EncryptCSAFKey(k.Private, []byte(passphrase)); err != nil {
				return store.CSAFKey{}, err
			}
		}
		return store.CSAFKey{Fingerprint: k.Fingerprint, Public: k.Public, Private: k.Private}, nil
	}
}

func mustGen(t *testing.T, gen func() (store.CSAFKey, error)) store.CSAFKey {
	t.Helper()
	k, err := gen()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// csafKeyAudit returns the deployment-wide audit actions on CSAF keys, oldest first.
func csafKeyAudit(t *testing.T, db *store.DB) []string {
	t.Helper()
	es, err := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: 0, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].ObjectType == "csaf_key" {
			out = append(out, es[i].Action+" "+es[i].ObjectID)
		}
	}
	return out
}

// verifies reports whether the stored key k, opened with passphrase, signs
// what its public key verifies.
func verifies(t *testing.T, k store.CSAFKey, passphrase string) error {
	t.Helper()
	s, err := share.OpenCSAFSigner(k.Private, []byte(passphrase))
	if err != nil {
		return err
	}
	doc := []byte(`{"document":{"title":"round trip"}}`)
	sig, err := s.Sign(doc, time.Now())
	if err != nil {
		return err
	}
	ring, err := openpgp.ReadArmoredKeyRing(strings.NewReader(k.Public))
	if err != nil {
		return err
	}
	_, err = openpgp.CheckArmoredDetachedSignature(ring, bytes.NewReader(doc), bytes.NewReader(sig), nil)
	return err
}

// TestCSAFKeyEncryptedRoundTrip proves that an encrypted key is stored
// encrypted, signs after decryption with the passphrase, and that a wrong
// or missing passphrase is a clear EINVALID that leaves the row as it was.
func TestCSAFKeyEncryptedRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		k, err := db.CSAFKey(ctx, genKey(t, testPassphrase, nil))
		if err != nil {
			t.Fatal(err)
		}
		if enc, err := share.CSAFKeyEncrypted(k.Private); err != nil || !enc {
			t.Fatalf("stored key encrypted = %v, %v; want true", enc, err)
		}
		if err := verifies(t, k, testPassphrase); err != nil {
			t.Fatalf("round trip: %v", err)
		}
		tests := []struct {
			name, passphrase, msg string
		}{
			{name: "wrong passphrase", passphrase: testPassphrase + "!", msg: "the configured key passphrase does not open CSAF signing key " + k.Fingerprint + " (wrong passphrase?)"},
			{name: "no passphrase", msg: "CSAF signing key " + k.Fingerprint + " is stored encrypted and no key passphrase is configured"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				n, err := db.ProtectCSAFKeys(ctx, []byte(tt.passphrase))
				if aceso.ErrorCode(err) != aceso.EINVALID || aceso.ErrorMessage(err) != tt.msg || n != 0 {
					t.Fatalf("got %d, %v; want EINVALID %q", n, err, tt.msg)
				}
				after, err := db.CSAFKey(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				if after != k {
					t.Error("the stored key changed")
				}
			})
		}
		if n, err := db.ProtectCSAFKeys(ctx, []byte(testPassphrase)); err != nil || n != 0 {
			t.Errorf("right passphrase: %d, %v; want 0, nil", n, err)
		}
		if got, want := csafKeyAudit(t, db), []string{"csaf.key.create " + k.Fingerprint}; !slices.Equal(got, want) {
			t.Errorf("audit %v, want %v", got, want)
		}
	})
}

// TestProtectCSAFKeysEncryptsInPlace proves that plaintext keys (the
// active and a retired one) are encrypted in place the first time a
// passphrase is configured: same fingerprints and public keys, private
// keys now opening only with the passphrase, one audit entry per key, and
// nothing more on the next start.
func TestProtectCSAFKeysEncryptsInPlace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		old, err := db.CSAFKey(ctx, genKey(t, "", nil))
		if err != nil {
			t.Fatal(err)
		}
		cur := mustGen(t, genKey(t, "", nil))
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.RotateCSAFKey(ctx, access.System, cur, time.Hour) }); err != nil {
			t.Fatal(err)
		}
		if n, err := db.ProtectCSAFKeys(ctx, nil); err != nil || n != 0 {
			t.Fatalf("no passphrase, plaintext keys: %d, %v; want 0, nil", n, err)
		}
		before, _ := db.CSAFKeys(ctx)
		n, err := db.ProtectCSAFKeys(ctx, []byte(testPassphrase))
		if err != nil || n != 2 {
			t.Fatalf("encrypt: %d, %v; want 2", n, err)
		}
		keys, err := db.CSAFKeys(ctx)
		if err != nil || len(keys) != 2 {
			t.Fatalf("keys %d, %v", len(keys), err)
		}
		for i, k := range keys {
			b := before[i]
			if k.Fingerprint != b.Fingerprint || k.Public != b.Public || k.State != b.State || !k.CreatedAt.Equal(b.CreatedAt) || k.Private == b.Private {
				t.Errorf("key %s: only the private key may change", b.Fingerprint)
			}
			if enc, _ := share.CSAFKeyEncrypted(k.Private); !enc {
				t.Errorf("key %s still plaintext", k.Fingerprint)
			}
			if err := verifies(t, k, testPassphrase); err != nil {
				t.Errorf("key %s: %v", k.Fingerprint, err)
			}
			if _, err := share.OpenCSAFSigner(k.Private, nil); aceso.ErrorCode(err) != aceso.EINVALID {
				t.Errorf("key %s opens without the passphrase: %v", k.Fingerprint, err)
			}
		}
		if n, err := db.ProtectCSAFKeys(ctx, []byte(testPassphrase)); err != nil || n != 0 {
			t.Errorf("second start: %d, %v; want 0, nil", n, err)
		}
		want := []string{"csaf.key.create " + old.Fingerprint, "csaf.key.rotate " + cur.Fingerprint,
			"csaf.key.encrypt " + cur.Fingerprint, "csaf.key.encrypt " + old.Fingerprint}
		if got := csafKeyAudit(t, db); !slices.Equal(got, want) {
			t.Errorf("audit %v\nwant %v", got, want)
		}
		if res, err := db.VerifyAudit(ctx); err != nil || !res.Intact {
			t.Errorf("audit chain: %+v %v", res, err)
		}
	})
}

// TestRotateCSAFKey proves rotation with an injected clock: the new key is
// the one active key, the old one is retired at the rotation time and
// listed until exactly the end of its grace period; only the CSIRT's
// administrators (or the system) may rotate.
func TestRotateCSAFKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
		now := t0
		db.Now = func() time.Time { return now }
		var csirt, hosp access.Org
		err := db.InTx(ctx, func(tx *store.Tx) error {
			csirt, hosp = access.Org{Name: "Health CERT", Kind: access.KindCSIRT}, access.Org{Name: "St. Anna", Kind: access.KindMember}
			if err := tx.CreateOrg(ctx, access.System, &csirt); err != nil {
				return err
			}
			return tx.CreateOrg(ctx, access.System, &hosp)
		})
		if err != nil {
			t.Fatal(err)
		}
		k1, err := db.CSAFKey(ctx, genKey(t, "", nil))
		if err != nil {
			t.Fatal(err)
		}
		k2 := mustGen(t, genKey(t, "", nil))
		admin := access.Principal{UserID: 7, UserName: "admin@cert.example", OrgID: csirt.ID, OrgKind: access.KindCSIRT, Role: access.RoleAdmin}
		refused := []struct {
			name  string
			p     access.Principal
			grace time.Duration
			code  string
		}{
			{name: "hospital admin", p: access.Principal{UserID: 8, OrgID: hosp.ID, OrgKind: access.KindMember, Role: access.RoleAdmin}, grace: time.Hour, code: aceso.EFORBIDDEN},
			{name: "CSIRT analyst", p: access.Principal{UserID: 9, OrgID: csirt.ID, OrgKind: access.KindCSIRT, Role: access.RoleAnalyst}, grace: time.Hour, code: aceso.EFORBIDDEN},
			{name: "nobody", grace: time.Hour, code: aceso.EUNAUTHORIZED},
			{name: "negative grace", p: admin, grace: -time.Second, code: aceso.EINVALID},
			{name: "grace too long", p: admin, grace: store.CSAFKeyGraceMax + time.Second, code: aceso.EINVALID},
		}
		for _, tt := range refused {
			err := db.InTx(ctx, func(tx *store.Tx) error { return tx.RotateCSAFKey(ctx, tt.p, k2, tt.grace) })
			if aceso.ErrorCode(err) != tt.code {
				t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
			}
		}
		now = t0.Add(time.Hour)
		grace := 30 * 24 * time.Hour
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.RotateCSAFKey(ctx, admin, k2, grace) }); err != nil {
			t.Fatal(err)
		}
		keys, err := db.CSAFKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 2 || keys[0].Fingerprint != k2.Fingerprint || keys[1].Fingerprint != k1.Fingerprint {
			t.Fatalf("keys %+v", keys)
		}
		if a := keys[0]; a.State != store.CSAFKeyActive || !a.CreatedAt.Equal(now) || !a.RetiredAt.IsZero() || !a.ListedUntil.IsZero() {
			t.Errorf("active key %+v", a)
		}
		r := keys[1]
		if r.State != store.CSAFKeyRetired || !r.RetiredAt.Equal(now) || !r.ListedUntil.Equal(now.Add(grace)) || !r.CreatedAt.Equal(t0) {
			t.Errorf("retired key: state %s retired %v listed until %v", r.State, r.RetiredAt, r.ListedUntil)
		}
		for _, c := range []struct {
			at         time.Time
			old, fresh bool
		}{
			{now, true, true},
			{now.Add(grace - time.Microsecond), true, true},
			{now.Add(grace), false, true},
			{now.Add(10 * grace), false, true},
		} {
			if got := r.Listed(c.at); got != c.old {
				t.Errorf("retired key listed at %v: %v, want %v", c.at, got, c.old)
			}
			if got := keys[0].Listed(c.at); got != c.fresh {
				t.Errorf("active key listed at %v: %v", c.at, got)
			}
		}
		if a, err := db.CSAFKey(ctx, genKey(t, "", nil)); err != nil || a.Fingerprint != k2.Fingerprint {
			t.Errorf("active key %s, %v; want %s", a.Fingerprint, err, k2.Fingerprint)
		}
		// A second rotation retires k2; k1 keeps its own grace period.
		k3 := mustGen(t, genKey(t, "", nil))
		now = t0.Add(48 * time.Hour)
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.RotateCSAFKey(ctx, access.System, k3, 0) }); err != nil {
			t.Fatal(err)
		}
		keys, _ = db.CSAFKeys(ctx)
		var states []string
		for _, k := range keys {
			states = append(states, k.Fingerprint[:8]+"="+k.State)
		}
		want := []string{k3.Fingerprint[:8] + "=active", k2.Fingerprint[:8] + "=retired", k1.Fingerprint[:8] + "=retired"}
		if !slices.Equal(states, want) {
			t.Fatalf("keys %v, want %v", states, want)
		}
		if keys[1].Listed(now) || !keys[2].Listed(now) || !keys[2].ListedUntil.Equal(t0.Add(time.Hour+grace)) {
			t.Errorf("grace 0 must delist k2 at once; k1 stays until %v (got %v)", t0.Add(time.Hour+grace), keys[2].ListedUntil)
		}
		wantAudit := []string{"csaf.key.create " + k1.Fingerprint, "csaf.key.rotate " + k2.Fingerprint, "csaf.key.rotate " + k3.Fingerprint}
		if got := csafKeyAudit(t, db); !slices.Equal(got, wantAudit) {
			t.Errorf("audit %v, want %v", got, wantAudit)
		}
	})
}

// TestRotateCSAFKeyConcurrent proves that rotations and first uses racing
// each other never leave two active keys: every rotation either succeeds
// or fails with ECONFLICT, and the key count adds up.
func TestRotateCSAFKeyConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if _, err := db.CSAFKey(ctx, genKey(t, "", nil)); err != nil {
			t.Fatal(err)
		}
		next := make([]store.CSAFKey, 4)
		for i := range next {
			next[i] = mustGen(t, genKey(t, "", nil))
		}
		var (
			wg      sync.WaitGroup
			ok      atomic.Int32
			created atomic.Int32
		)
		for i := range next {
			wg.Go(func() {
				err := db.InTx(ctx, func(tx *store.Tx) error { return tx.RotateCSAFKey(ctx, access.System, next[i], time.Hour) })
				switch aceso.ErrorCode(err) {
				case "":
					ok.Add(1)
				case aceso.ECONFLICT:
				default:
					t.Errorf("rotation: %v", err)
				}
			})
			wg.Go(func() {
				if _, err := db.CSAFKey(ctx, genKey(t, "", &created)); err != nil {
					t.Errorf("first use: %v", err)
				}
			})
		}
		wg.Wait()
		keys, err := db.CSAFKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		active := 0
		for _, k := range keys {
			if k.State == store.CSAFKeyActive {
				active++
			}
		}
		if active != 1 || len(keys) != 1+int(ok.Load()) || ok.Load() == 0 || created.Load() != 0 {
			t.Errorf("%d active of %d keys after %d successful rotations (%d generated by first use)", active, len(keys), ok.Load(), created.Load())
		}
	})
}

// TestCSAFKeyMigrationKeepsKey upgrades a database that holds a key from
// before rotation (migration 0015): the key survives as the active one
// with its id, and the old UNIQUE(name) is gone, so rotation works.
func TestCSAFKeyMigrationKeepsKey(t *testing.T) {
	for _, backend := range storetest.Backends() {
		t.Run(backend, func(t *testing.T) {
			db, err := store.Open(ctx, storetest.DSN(t, backend))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if err := db.MigrateBefore(ctx, 15); err != nil {
				t.Fatal(err)
			}
			k := mustGen(t, genKey(t, "", nil))
			if _, err := db.SQL().Exec("INSERT INTO csaf_keys (name, fingerprint, public_key, private_key, created_at) VALUES ('provider', $1, $2, $3, 1700000000000000)",
				k.Fingerprint, k.Public, k.Private); err != nil {
				t.Fatal(err)
			}
			applied, err := db.Migrate(ctx)
			if err != nil || !slices.Contains(applied, 15) {
				t.Fatalf("migrate: %v %v", applied, err)
			}
			got, err := db.CSAFKey(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.Fingerprint != k.Fingerprint || got.Private != k.Private || got.State != store.CSAFKeyActive || got.CreatedAt.UnixMicro() != 1700000000000000 {
				t.Fatalf("key after upgrade: %s %s %v", got.Fingerprint, got.State, got.CreatedAt)
			}
			var id int64
			if err := db.SQL().QueryRow("SELECT id FROM csaf_keys WHERE fingerprint = $1", k.Fingerprint).Scan(&id); err != nil || id != 1 {
				t.Errorf("id %d, %v; want 1", id, err)
			}
			k2 := mustGen(t, genKey(t, "", nil))
			if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.RotateCSAFKey(ctx, access.System, k2, time.Hour) }); err != nil {
				t.Fatalf("rotate after upgrade: %v", err)
			}
			// The partial index still refuses a second active key.
			_, err = db.SQL().Exec("UPDATE csaf_keys SET state = 'active' WHERE fingerprint = $1", k.Fingerprint)
			if err == nil {
				t.Error("a second active key was accepted")
			}
		})
	}
}
