package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/store"
)

// demoDB returns a migrated SQLite file with the demo sector and its
// incidents loaded twice (the second load must add nothing).
func demoDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "aceso.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		return tx.CreateOrg(ctx, access.System, &access.Org{Name: "Health CERT", Kind: access.KindCSIRT})
	}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := loadDemo(ctx, db, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Demo incidents loaded: 4") {
		t.Fatalf("first demo load: %s", out.String())
	}
	out.Reset()
	if err := loadDemo(ctx, db, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "Demo incidents loaded") {
		t.Fatalf("second demo load is not idempotent: %s", out.String())
	}
	return path
}

func TestIncidentCLI(t *testing.T) {
	path := demoDB(t)
	e := env(nil)
	anna, nord := "St. Anna Hospital (demo)", "Klinikum Nord (demo)"

	code, out, stderr := runCmd(t, e, "incident", "list", "--db", path, "--org", anna)
	if code != 0 || !strings.Contains(out, "Ransomware on the radiology PACS (demo)") || !strings.Contains(out, "Phishing wave") ||
		!strings.Contains(out, "nis2.notification due in") || strings.Contains(out, "Lost laptop") {
		t.Fatalf("list St. Anna: %d %s %s", code, out, stderr)
	}
	if n := strings.Count(strings.TrimSpace(out), "\n"); n != 2 {
		t.Errorf("St. Anna lists %d incidents, want 2 (demo loaded twice)", n)
	}
	code, out, _ = runCmd(t, e, "incident", "list", "--db", path, "--org", nord, "--regime", "gdpr", "--at-risk")
	if code != 0 || !strings.Contains(out, "gdpr.notification LATE by") {
		t.Fatalf("list Nord at risk: %d %s", code, out)
	}
	// The ransomware incident's id, from the list.
	_, out, _ = runCmd(t, e, "incident", "list", "--db", path, "--org", anna, "--status", "containment")
	fields := strings.Fields(strings.Split(out, "\n")[1])
	id := fields[0]
	if _, err := strconv.Atoi(id); err != nil {
		t.Fatalf("no incident id in %q", out)
	}

	code, out, _ = runCmd(t, e, "incident", "show", id, "--db", path, "--org", anna)
	for _, want := range []string{"Ransomware on the radiology PACS", "nis2.early_warning", "submitted", "gdpr.notification", "Timeline:", "triage → containment", "198.51.100.23", "update-check.example"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("show lacks %q: %d %s", want, code, out)
		}
	}

	code, out, _ = runCmd(t, e, "incident", "export", "--db", path, "--org", anna, id)
	if code != 0 {
		t.Fatalf("export: %d %s", code, out)
	}
	var exp struct {
		Incident struct {
			ID          int64 `json:"id"`
			Obligations []struct {
				Key, Status string
			} `json:"obligations"`
		} `json:"incident"`
		Reports map[string]struct {
			Stage string `json:"stage"`
			Items []struct {
				Key, Value string
			} `json:"items"`
		} `json:"reports"`
	}
	if err := json.Unmarshal([]byte(out), &exp); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	status := map[string]string{}
	for _, o := range exp.Incident.Obligations {
		status[o.Key] = o.Status
	}
	if status["nis2.early_warning"] != "submitted" || status["gdpr.notification"] != "pending" || status["mdr.serious_incident_report"] != "not_applicable" {
		t.Errorf("exported obligations %v", status)
	}
	if len(exp.Reports["gdpr.notification"].Items) == 0 || exp.Reports["nis2.early_warning"].Stage != "early_warning" {
		t.Errorf("exported reports %+v", exp.Reports)
	}
	if _, ok := exp.Reports["mdr.serious_incident_report"]; ok {
		t.Error("export carries a report for an obligation that does not apply")
	}

	bad := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"other hospital's incident", []string{"incident", "show", id, "--db", path, "--org", nord}, 1, "not found"},
		{"no org", []string{"incident", "list", "--db", path}, 2, "--org"},
		{"no id", []string{"incident", "show", "--db", path, "--org", anna}, 2, "incident ID"},
		{"unknown org", []string{"incident", "list", "--db", path, "--org", "Nowhere"}, 1, "no organisation"},
		{"unknown action", []string{"incident", "delete", "1"}, 2, "unknown incident action"},
		{"bad status", []string{"incident", "list", "--db", path, "--org", anna, "--limit", "x"}, 2, "invalid value"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, e, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d %q, want %d with %q", code, stderr, tt.code, tt.want)
			}
		})
	}
}

// writeRegimes writes the embedded regimes with the GDPR notification
// deadline changed to offset, as a national deployment file would.
func writeRegimes(t *testing.T, offset incident.Offset) string {
	t.Helper()
	b, _ := json.Marshal(incident.DefaultRegimes())
	rg, err := incident.LoadRegimes(b) // a deep copy to change
	if err != nil {
		t.Fatal(err)
	}
	changed := false
	for i, r := range rg.Regimes {
		for j, st := range r.Stages {
			if r.ID == "gdpr" && st.Name == "notification" {
				rg.Regimes[i].Stages[j].Offset = &offset
				changed = true
			}
		}
	}
	if !changed {
		t.Fatal("no gdpr notification stage")
	}
	b, _ = json.MarshalIndent(rg, "", "  ")
	path := filepath.Join(t.TempDir(), "regimes-national.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRegimesFileEndToEnd: a deployment's regimes file named in the
// environment changes the due times the commands compute, and a broken
// one stops the command with exit 2 naming the file and the field.
func TestRegimesFileEndToEnd(t *testing.T) {
	path := demoDB(t)
	anna := "St. Anna Hospital (demo)"
	_, out, _ := runCmd(t, env(nil), "incident", "list", "--db", path, "--org", anna, "--status", "containment")
	id := strings.Fields(strings.Split(out, "\n")[1])[0]
	due := func(e func(string) string) time.Time {
		t.Helper()
		code, out, stderr := runCmd(t, e, "incident", "export", "--db", path, "--org", anna, id)
		if code != 0 {
			t.Fatalf("export: %d %s", code, stderr)
		}
		var exp struct {
			Incident struct {
				Obligations []struct {
					Key   string     `json:"key"`
					DueAt *time.Time `json:"due_at"`
				} `json:"obligations"`
			} `json:"incident"`
		}
		if err := json.Unmarshal([]byte(out), &exp); err != nil {
			t.Fatal(err)
		}
		for _, o := range exp.Incident.Obligations {
			if o.Key == "gdpr.notification" && o.DueAt != nil {
				return *o.DueAt
			}
		}
		t.Fatalf("no gdpr.notification due time in %s", out)
		return time.Time{}
	}
	def := due(env(nil))
	national := due(env(map[string]string{"ACESO_REGIMES_FILE": writeRegimes(t, incident.Offset{N: 48, Unit: incident.Hours})}))
	if got := def.Sub(national); got != 24*time.Hour {
		t.Fatalf("GDPR notification due %v by default, %v with 48h: %v earlier, want 24h", def, national, got)
	}

	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"version":1,"regimes":[{"id":"nis2","name":"x","stages":[{"stage":"early_warning","title":"t","article":"a","applies_when":{"all":["significantt"]},"from":["aware_at"],"offset":"12h"}]}]}`), 0o600)
	code, _, stderr := runCmd(t, env(map[string]string{"ACESO_REGIMES_FILE": bad}), "incident", "list", "--db", path, "--org", anna)
	if code != 2 || !strings.Contains(stderr, "regimes_file "+bad) || !strings.Contains(stderr, "significantt") {
		t.Fatalf("bad regimes file: exit %d %s", code, stderr)
	}
}
