package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/web"
)

// TestTAXIIPullCLI pulls the community collection of a real Aceso server
// (httptest) with a real API token into a second database.
func TestTAXIIPullCLI(t *testing.T) {
	ctx := context.Background()
	_, srvDB, hosp := sharingDB(t)
	u := access.User{OrgID: hosp.ID, Email: "soc@anna.example", Name: "SOC", Role: access.RoleAdmin, PasswordHash: "x"}
	secret, hash, err := access.NewToken("aceso")
	if err != nil {
		t.Fatal(err)
	}
	err = srvDB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateUser(ctx, access.System, &u); err != nil {
			return err
		}
		p, err := srvDB.PrincipalFor(ctx, u)
		if err != nil {
			return err
		}
		return tx.CreateToken(ctx, p, &access.APIToken{Name: "pull", Role: access.RoleViewer, Prefix: secret[:12]}, hash)
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Options{DB: srvDB, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	want, err := srvDB.SharedObjects(ctx, access.System, store.ShareScope{Channel: share.ChannelCommunity})
	if err != nil || len(want) < 3 {
		t.Fatalf("server has %d community objects (%v)", len(want), err)
	}

	client := filepath.Join(t.TempDir(), "client.db")
	e := env(nil)
	if code, _, stderr := runCmd(t, e, "migrate", "--db", client); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := runCmd(t, e, "user", "create-org", "--db", client, "--name", "Receiver Clinic", "--kind", "member"); code != 0 {
		t.Fatal(stderr)
	}
	root := ts.URL + "/taxii2/api/"
	coll := web.CollectionID("community")
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		code int
		want string
	}{
		{"pull", []string{"taxii", "pull", root, "--collection", coll, "--token", secret, "--org", "Receiver Clinic"}, nil, 0,
			fmt.Sprintf("pulled %d objects into Receiver Clinic (0 already held", len(want))},
		{"again, token from env", []string{"taxii", "pull", root, "--collection", coll, "--org", "Receiver Clinic"}, map[string]string{"ACESO_TAXII_TOKEN": secret}, 0,
			fmt.Sprintf("pulled 0 objects into Receiver Clinic (%d already held", len(want))},
		{"added after", []string{"taxii", "pull", root, "--collection", coll, "--token", secret, "--org", "Receiver Clinic", "--added-after", future}, nil, 0,
			"pulled 0 objects into Receiver Clinic (0 already held"},
		{"bad token", []string{"taxii", "pull", root, "--collection", coll, "--token", "aceso_wrong", "--org", "Receiver Clinic"}, nil, 1, "401"},
		{"another org's collection", []string{"taxii", "pull", root, "--collection", web.CollectionID("org:999"), "--token", secret, "--org", "Receiver Clinic"}, nil, 1, "404"},
		{"bad time", []string{"taxii", "pull", root, "--collection", coll, "--org", "Receiver Clinic", "--added-after", "yesterday"}, nil, 2, "RFC 3339"},
		{"no collection", []string{"taxii", "pull", root, "--org", "Receiver Clinic"}, nil, 2, "--collection"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCmd(t, env(tt.env), append(tt.args, "--db", client)...)
			if code != tt.code || !strings.Contains(out+stderr, tt.want) {
				t.Fatalf("exit %d: %q %q; want %d and %q", code, out, stderr, tt.code, tt.want)
			}
			if strings.Contains(stderr, secret) {
				t.Error("the token appears in the error output")
			}
		})
	}
	cdb, err := store.Open(ctx, client)
	if err != nil {
		t.Fatal(err)
	}
	defer cdb.Close()
	recv, err := cdb.OrgByName(ctx, "Receiver Clinic")
	if err != nil {
		t.Fatal(err)
	}
	p := access.System
	p.OrgID, p.OrgKind = recv.ID, recv.Kind
	list, err := cdb.IntelList(ctx, p, 0)
	if err != nil || len(list) != len(want) {
		t.Fatalf("intel: %d, want %d (%v)", len(list), len(want), err)
	}
	for _, it := range list {
		if !share.AllowedOn(it.TLP, share.ChannelCommunity) || it.Format != store.FormatSTIX || !strings.HasPrefix(it.Source, ts.URL) {
			t.Errorf("pulled %s: %s %s from %s", it.ObjectID, it.Format, it.TLP, it.Source)
		}
	}
}

func FuzzPulledObject(f *testing.F) {
	f.Add(`{"type":"indicator","id":"indicator--6b1f0c43-6f0e-4ad0-9d3b-1a2b3c4d5e6f","modified":"2026-01-01T00:00:00Z","object_marking_refs":["` + share.MarkingGreen + `"]}`)
	f.Add(`{"type":"marking-definition","id":"` + share.MarkingRed + `"}`)
	f.Add(`{"type":"note","id":"note--1","object_marking_refs":["marking-definition--unknown"]}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, raw string) {
		it, ok := pulledObject([]byte(raw), "https://cert.example/taxii2/api/")
		if !ok {
			return
		}
		// What is kept has an id, a valid label (AMBER when unmarked), a
		// version, and the object exactly as received.
		if it.ObjectID == "" || !it.TLP.Valid() || it.Version.IsZero() && it.Version != time.Unix(0, 0).UTC() || string(it.Body) != raw {
			t.Fatalf("kept %+v", it)
		}
		if _, isTLP := share.MarkingsTLP([]string{it.ObjectID}); isTLP {
			t.Fatal("kept a TLP marking definition")
		}
	})
}
