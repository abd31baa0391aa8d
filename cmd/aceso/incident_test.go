package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aceso-health/aceso/internal/access"
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
