package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
)

// sharingDB is a migrated SQLite file with the CSIRT, a hospital, one
// advisory per label, and the hospital's incident with a GREEN and an
// AMBER+STRICT shared domain.
func sharingDB(t *testing.T) (string, *store.DB, access.Org) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "aceso.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	hosp := access.Org{Name: "St. Anna Hospital", Kind: access.KindMember}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateOrg(ctx, access.System, &access.Org{Name: "Health CERT", Kind: access.KindCSIRT}); err != nil {
			return err
		}
		if err := tx.CreateOrg(ctx, access.System, &hosp); err != nil {
			return err
		}
		for _, l := range share.Labels {
			slug := strings.NewReplacer("TLP:", "", "+", "-").Replace(l.String())
			a := &advisory.Advisory{ID: "CLI-" + slug, Title: "Pump " + slug, TLP: l.String(), Revision: "1",
				CurrentRelease:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
				Vulnerabilities: []advisory.Vulnerability{{CVE: fmt.Sprintf("CVE-2026-66%02d", int(l))}}}
			if _, err := tx.ImportAdvisory(ctx, access.System, a); err != nil {
				return err
			}
		}
		p := access.System
		p.OrgID, p.OrgKind = hosp.ID, hosp.Kind
		r, err := tx.CreateIncident(ctx, p, &incident.Incident{Title: "Phishing wave", AwareAt: time.Now().Add(-time.Hour)}, incident.Assessment{})
		if err != nil {
			return err
		}
		for _, s := range []struct {
			domain string
			label  share.TLP
			addr   int64
		}{{"green-c2.example", share.TLPGreen, 0}, {"strict-c2.example", share.TLPAmberStrict, hosp.ID}} {
			if err := tx.AddObservable(ctx, p, r.ID, &incident.Observable{Kind: "domain", Value: s.domain}); err != nil {
				return err
			}
			if _, err := tx.ShareObservable(ctx, p, r.ID, "domain", s.domain, s.label, s.addr); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return path, db, hosp
}

func TestShareExportCLI(t *testing.T) {
	path, _, _ := sharingDB(t)
	e := env(nil)
	for _, tt := range []struct {
		channel string
		events  int // advisories allowed on the channel, plus the GREEN incident event on community
	}{
		{"public", 1},
		{"community", 3},
	} {
		t.Run("misp "+tt.channel, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "feed")
			code, out, stderr := runCmd(t, e, "share", "export", "misp", "--db", path, "--channel", tt.channel, "--out", dir)
			if code != 0 {
				t.Fatalf("exit %d: %s %s", code, out, stderr)
			}
			b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
			if err != nil {
				t.Fatal(err)
			}
			man, err := share.ParseMISPManifest(b)
			if err != nil || len(man) != tt.events {
				t.Fatalf("manifest: %d events, want %d (%v)", len(man), tt.events, err)
			}
			for uuid := range man {
				raw, err := os.ReadFile(filepath.Join(dir, uuid+".json"))
				if err != nil {
					t.Fatal(err)
				}
				ev, err := share.ParseMISPEvent(raw)
				if err != nil {
					t.Fatal(err)
				}
				if l, ok := ev.TLP(); !ok || !share.AllowedOn(l, share.Channel(tt.channel)) {
					t.Errorf("event %s labelled %s on %s", uuid, l, tt.channel)
				}
				if strings.Contains(string(raw), "strict-c2") {
					t.Errorf("AMBER+STRICT indicator in the %s feed", tt.channel)
				}
			}
		})
		t.Run("stix "+tt.channel, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "bundle.json")
			if code, out, stderr := runCmd(t, e, "share", "export", "stix", "--db", path, "--channel", tt.channel, "--out", file); code != 0 {
				t.Fatalf("exit %d: %s %s", code, out, stderr)
			}
			raw, _ := os.ReadFile(file)
			b, errs := share.ParseBundle(raw)
			if b == nil || len(errs) > 0 {
				t.Fatalf("bundle: %v", errs)
			}
			max := share.ChannelMax(tt.channel)
			for _, o := range b.Objects {
				if l, ok := share.MarkingsTLP(o.Base().ObjectMarkingRefs); ok && l.Stricter(max) {
					t.Errorf("%s labelled %s on %s", o.Base().ID, l, tt.channel)
				}
			}
			if got := strings.Contains(string(raw), "green-c2.example"); got != (tt.channel == "community") {
				t.Errorf("GREEN indicator present %v on %s", got, tt.channel)
			}
			if strings.Contains(string(raw), "strict-c2") {
				t.Error("AMBER+STRICT indicator exported")
			}
		})
	}
	if code, _, _ := runCmd(t, e, "share", "export", "misp", "--db", path, "--channel", "org", "--out", t.TempDir()); code != 2 {
		t.Errorf("org channel as a feed: exit %d, want 2", code)
	}
	if code, _, _ := runCmd(t, e, "share", "export", "csv", "--db", path); code != 2 {
		t.Errorf("unknown format: exit %d, want 2", code)
	}
}

func TestShareImportMISPCLI(t *testing.T) {
	path, db, hosp := sharingDB(t)
	e := env(nil)
	dir := filepath.Join(t.TempDir(), "feed")
	if code, out, stderr := runCmd(t, e, "share", "export", "misp", "--db", path, "--channel", "community", "--out", dir); code != 0 {
		t.Fatalf("export: %d %s %s", code, out, stderr)
	}
	untagged := filepath.Join(t.TempDir(), "event.json")
	os.WriteFile(untagged, []byte(`{"response":[{"Event":{"uuid":"5a0b1c2d-0000-4000-8000-00000000abcd","info":"untagged","timestamp":"1700000000","Attribute":[{"type":"ip-dst","value":"192.0.2.9"}]}}]}`), 0o600)
	red := filepath.Join(t.TempDir(), "red.json")
	os.WriteFile(red, []byte(`{"Event":{"uuid":"5a0b1c2d-0000-4000-8000-00000000beef","info":"red","timestamp":"1700000000","Tag":[{"name":"tlp:red"}],"Attribute":[{"type":"ip-dst","value":"192.0.2.10"}]}}`), 0o600)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"feed", []string{dir + "/manifest.json", "--org", "St. Anna Hospital"}, "imported 3 MISP events"},
		{"feed again", []string{"--org", "St. Anna Hospital", dir + "/manifest.json"}, "imported 0 MISP events into St. Anna Hospital (3 already held"},
		{"one untagged event", []string{untagged, "--org", "St. Anna Hospital"}, "imported 1 MISP events"},
		{"a TLP:RED event is not stored", []string{red, "--org", "St. Anna Hospital"}, "imported 0 MISP events into St. Anna Hospital (0 already held, 0 unreadable, 1 TLP:RED not stored)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCmd(t, e, append([]string{"share", "import-misp", "--db", path}, tt.args...)...)
			if code != 0 || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d: %q %s, want %q", code, out, stderr, tt.want)
			}
		})
	}
	p := access.System
	p.OrgID, p.OrgKind = hosp.ID, hosp.Kind
	list, err := db.IntelList(context.Background(), p, 0)
	if err != nil || len(list) != 4 {
		t.Fatalf("intel: %d %v", len(list), err)
	}
	for _, it := range list {
		want := share.TLPGreen
		if it.ObjectID == "5a0b1c2d-0000-4000-8000-00000000abcd" {
			want = share.TLPAmber // untagged: fail closed
		} else if strings.Contains(string(it.Body), "tlp:clear") {
			want = share.TLPClear
		}
		if it.TLP != want || it.Format != store.FormatMISP {
			t.Errorf("%s: %s %s, want %s", it.ObjectID, it.Format, it.TLP, want)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`[1,2,3]`), 0o600)
	if code, _, stderr := runCmd(t, e, "share", "import-misp", "--db", path, "--org", "St. Anna Hospital", bad); code != 1 || !strings.Contains(stderr, "neither a MISP event nor a feed manifest") {
		t.Errorf("bad file: %d %s", code, stderr)
	}
	if code, _, _ := runCmd(t, e, "share", "import-misp", "--db", path, bad); code != 2 {
		t.Errorf("missing --org: exit %d, want 2", code)
	}
}
