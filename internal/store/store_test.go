package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

var ctx = context.Background()

func TestMigrateFreshAndRerun(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b, func(t *testing.T) {
			dsn := storetest.DSN(t, b)
			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			applied, err := db.Migrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, known, _ := db.SchemaVersion(ctx)
			if len(applied) != known || known == 0 {
				t.Fatalf("fresh migrate applied %v, want all %d", applied, known)
			}
			again, err := db.Migrate(ctx)
			if err != nil || len(again) != 0 {
				t.Fatalf("re-run applied %v, %v; want nothing", again, err)
			}
			// A database from a newer aceso is refused, not guessed at.
			if _, err := db.SQL().Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '999_future.sql', 0)"); err != nil {
				t.Fatal(err)
			}
			_, err = db.Migrate(ctx)
			if aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(err.Error(), "upgrade aceso") {
				t.Fatalf("newer schema: got %v", err)
			}
		})
	}
}

func TestOpenCorruptSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.db")
	if err := os.WriteFile(path, []byte("this is not a database, just some text that is long enough to look like a header......"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := store.Open(ctx, path)
	if err == nil || !strings.Contains(aceso.ErrorMessage(err), "not an Aceso SQLite database") {
		t.Fatalf("corrupt file: got %v", err)
	}
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), "this is not a database") {
		t.Fatal("corrupt file was modified")
	}
}

func TestOpenUnreachablePostgres(t *testing.T) {
	_, err := store.Open(ctx, "postgres://aceso:secretpw@127.0.0.1:1/aceso?connect_timeout=2")
	if aceso.ErrorCode(err) != aceso.EUNAVAILABLE {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), "secretpw") {
		t.Fatal("password leaked into the error")
	}
}

// seed creates the CSIRT, two member hospitals and an admin in each.
type seeded struct {
	csirt, a, b            access.Org
	csirtAdmin, aAdmin     access.Principal
	bAdmin, aViewer        access.Principal
	aAdminUser, bAdminUser access.User
}

func seed(t *testing.T, db *store.DB) seeded {
	t.Helper()
	var s seeded
	mk := func(tx *store.Tx, org *access.Org, email string, role access.Role) (access.User, access.Principal) {
		u := access.User{OrgID: org.ID, Email: email, Name: email, Role: role, PasswordHash: "x"}
		if err := tx.CreateUser(ctx, access.System, &u); err != nil {
			t.Fatal(err)
		}
		return u, access.Principal{UserID: u.ID, UserName: u.Email, OrgID: org.ID, OrgKind: org.Kind, Role: role}
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		s.csirt = access.Org{Name: "Health CERT", Kind: access.KindCSIRT}
		s.a = access.Org{Name: "St. Anna Hospital", Kind: access.KindMember}
		s.b = access.Org{Name: "Klinikum Nord", Kind: access.KindMember}
		for _, o := range []*access.Org{&s.csirt, &s.a, &s.b} {
			if err := tx.CreateOrg(ctx, access.System, o); err != nil {
				return err
			}
		}
		_, s.csirtAdmin = mk(tx, &s.csirt, "admin@cert.example", access.RoleAdmin)
		s.aAdminUser, s.aAdmin = mk(tx, &s.a, "admin@anna.example", access.RoleAdmin)
		s.bAdminUser, s.bAdmin = mk(tx, &s.b, "admin@nord.example", access.RoleAdmin)
		_, s.aViewer = mk(tx, &s.a, "viewer@anna.example", access.RoleViewer)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOrgsAndUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		// One CSIRT only.
		err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.CreateOrg(ctx, access.System, &access.Org{Name: "Second CERT", Kind: access.KindCSIRT})
		})
		if aceso.ErrorCode(err) != aceso.ECONFLICT {
			t.Fatalf("second csirt: %v", err)
		}
		// E-mail unique, case-insensitively; driver error mapped to conflict.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			return tx.CreateUser(ctx, s.aAdmin, &access.User{OrgID: s.a.ID, Email: "ADMIN@nord.example", Role: access.RoleViewer, PasswordHash: "x"})
		})
		if aceso.ErrorCode(err) != aceso.ECONFLICT {
			t.Fatalf("duplicate email: %v", err)
		}
		// A member admin cannot create users in another organisation…
		err = db.InTx(ctx, func(tx *store.Tx) error {
			return tx.CreateUser(ctx, s.aAdmin, &access.User{OrgID: s.b.ID, Email: "intruder@anna.example", Role: access.RoleAdmin, PasswordHash: "x"})
		})
		if aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Fatalf("cross-org create: %v", err)
		}
		// …nor see them, nor read another organisation's user by id.
		if _, err := db.Users(ctx, s.aAdmin, s.b.ID); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Fatalf("cross-org list: %v", err)
		}
		if _, err := db.User(ctx, s.aAdmin, s.bAdminUser.ID); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Fatalf("cross-org get: %v", err)
		}
		// A viewer cannot administer.
		if _, err := db.Users(ctx, s.aViewer, s.a.ID); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Fatalf("viewer list: %v", err)
		}
		// The CSIRT admin onboards members.
		users, err := db.Users(ctx, s.csirtAdmin, s.b.ID)
		if err != nil || len(users) != 1 || users[0].Email != "admin@nord.example" {
			t.Fatalf("csirt admin list: %v %v", users, err)
		}
		orgs, err := db.Orgs(ctx, s.aAdmin)
		if err != nil || len(orgs) != 1 || orgs[0].ID != s.a.ID {
			t.Fatalf("member sees orgs %v, %v", orgs, err)
		}
		orgs, err = db.Orgs(ctx, s.csirtAdmin)
		if err != nil || len(orgs) != 3 || orgs[0].Kind != access.KindCSIRT {
			t.Fatalf("csirt sees orgs %v, %v", orgs, err)
		}
		// Users is sorted and nothing leaked a failed write.
		users, _ = db.Users(ctx, s.aAdmin, s.a.ID)
		if len(users) != 2 {
			t.Fatalf("org A has %d users, want 2 (failed writes must leave nothing)", len(users))
		}
	})
}

func TestSessionsAndTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		now := time.Now().UTC()
		sess := store.Session{IDHash: "h1", UserID: s.aAdminUser.ID, CSRFToken: "c", ExpiresAt: now.Add(time.Hour)}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateSession(ctx, &sess) }); err != nil {
			t.Fatal(err)
		}
		got, u, err := db.SessionUser(ctx, "h1", now)
		if err != nil || u.Email != "admin@anna.example" || got.CSRFToken != "c" {
			t.Fatalf("session: %v %v %v", got, u, err)
		}
		if _, _, err := db.SessionUser(ctx, "h1", now.Add(2*time.Hour)); aceso.ErrorCode(err) != aceso.EUNAUTHORIZED {
			t.Fatalf("expired session: %v", err)
		}
		// Changing the password ends all sessions.
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SetPassword(ctx, s.aAdmin, s.aAdminUser.ID, "y", false) }); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.SessionUser(ctx, "h1", now); aceso.ErrorCode(err) != aceso.EUNAUTHORIZED {
			t.Fatalf("session after password change: %v", err)
		}

		tok := access.APIToken{Name: "siem", Role: access.RoleViewer, Prefix: "aceso_ab"}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateToken(ctx, s.aAdmin, &tok, "tokhash") }); err != nil {
			t.Fatal(err)
		}
		p, err := db.TokenPrincipal(ctx, "tokhash", now)
		if err != nil || p.OrgID != s.a.ID || p.Role != access.RoleViewer || p.TokenID != tok.ID {
			t.Fatalf("token principal %+v %v", p, err)
		}
		// B's admin cannot revoke A's token; it does not even exist for B.
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.RevokeToken(ctx, s.bAdmin, tok.ID) }); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Fatalf("cross-org revoke: %v", err)
		}
		// A viewer token cannot mint an admin token.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			return tx.CreateToken(ctx, access.Principal{UserID: s.aViewer.UserID, OrgID: s.a.ID, Role: access.RoleViewer}, &access.APIToken{Name: "x", Role: access.RoleAdmin, Prefix: "p"}, "h2")
		})
		if aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Fatalf("viewer mints token: %v", err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.RevokeToken(ctx, s.aAdmin, tok.ID) }); err != nil {
			t.Fatal(err)
		}
		if _, err := db.TokenPrincipal(ctx, "tokhash", now); aceso.ErrorCode(err) != aceso.EUNAUTHORIZED {
			t.Fatalf("revoked token accepted: %v", err)
		}
		toks, err := db.Tokens(ctx, s.aAdmin)
		if err != nil || len(toks) != 1 || toks[0].RevokedAt == nil {
			t.Fatalf("tokens: %v %v", toks, err)
		}
	})
}

func TestAuditChainAndTamper(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		res, err := db.VerifyAudit(ctx)
		if err != nil || !res.Intact || res.Entries < 7 {
			t.Fatalf("fresh chain: %+v %v", res, err)
		}
		entries, err := db.ListAudit(ctx, s.aAdmin, store.AuditFilter{OrgID: s.a.ID})
		if err != nil || len(entries) != 3 {
			t.Fatalf("org A audit: %d entries, %v", len(entries), err)
		}
		for _, e := range entries {
			if strings.Contains(e.Summary, "password") && strings.Contains(e.Summary, `"x"`) {
				t.Fatalf("secret in audit summary: %s", e.Summary)
			}
		}
		if _, err := db.ListAudit(ctx, s.aAdmin, store.AuditFilter{OrgID: s.b.ID}); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Fatalf("cross-org audit: %v", err)
		}
		if _, err := db.ListAudit(ctx, s.aViewer, store.AuditFilter{OrgID: s.a.ID}); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Fatalf("viewer audit: %v", err)
		}

		raw := db.SQL()
		// Alter a row: caught at that row.
		if _, err := raw.Exec("UPDATE audit_log SET actor = 'mallory' WHERE id = 3"); err != nil {
			t.Fatal(err)
		}
		res, _ = db.VerifyAudit(ctx)
		if res.Intact || res.Break == nil || res.Break.ID != 3 {
			t.Fatalf("altered row: %+v", res)
		}
		// Remove a row in the middle instead: caught where it was.
		if _, err := raw.Exec("UPDATE audit_log SET actor = 'system' WHERE id = 3"); err != nil {
			t.Fatal(err)
		}
		if res, _ = db.VerifyAudit(ctx); !res.Intact {
			t.Fatalf("restored row should verify: %+v", res)
		}
		if _, err := raw.Exec("DELETE FROM audit_log WHERE id = 5"); err != nil {
			t.Fatal(err)
		}
		res, _ = db.VerifyAudit(ctx)
		if res.Intact || res.Break.ID != 5 {
			t.Fatalf("deleted row: %+v", res)
		}
	})
}

func TestAuditTruncationDetected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seed(t, db)
		var last int64
		if err := db.SQL().QueryRow("SELECT MAX(id) FROM audit_log").Scan(&last); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().Exec("DELETE FROM audit_log WHERE id = $1", last); err != nil {
			t.Fatal(err)
		}
		res, err := db.VerifyAudit(ctx)
		if err != nil || res.Intact || res.Break.ID != last {
			t.Fatalf("truncated log: %+v %v", res, err)
		}
	})
}

func TestFailedWriteRollsBackAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seed(t, db)
		before, _ := db.VerifyAudit(ctx)
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateOrg(ctx, access.System, &access.Org{Name: "Temp Clinic", Kind: access.KindMember}); err != nil {
				return err
			}
			return aceso.Errorf(aceso.EINVALID, "later step failed")
		})
		if aceso.ErrorCode(err) != aceso.EINVALID {
			t.Fatal(err)
		}
		after, _ := db.VerifyAudit(ctx)
		if after.Entries != before.Entries || !after.Intact {
			t.Fatalf("rolled-back write left audit entries: %d → %d", before.Entries, after.Entries)
		}
		if _, err := db.OrgByName(ctx, "Temp Clinic"); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Fatalf("rolled-back org exists: %v", err)
		}
	})
}
