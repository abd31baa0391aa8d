package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aceso-health/aceso/internal/inventory"
)

func TestInventoryCLI(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "aceso.db")
	e := env(nil)
	if code, out, stderr := runCmd(t, e, "user", "create-org", "--db", db, "--name", "St. Anna Hospital", "--kind", "member"); code != 0 {
		t.Fatalf("create-org: %d %s %s", code, out, stderr)
	}
	devs := inventory.GenerateSector(1, 40, 11)[0]
	var buf bytes.Buffer
	if err := inventory.WriteCSV(&buf, devs); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("BAD-1,Philips,MX450,,,,,,,not-an-ip,,,,,,,,,,,,,\n")
	file := filepath.Join(dir, "cmms.csv")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		code, out, stderr := runCmd(t, e, "inventory", "export", "--db", db, "--org", "St. Anna Hospital")
		if code != 0 {
			t.Fatalf("export: %d %s", code, stderr)
		}
		res, err := inventory.ReadCSV(strings.NewReader(out), inventory.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Records)
	}
	tests := []struct {
		name         string
		args         []string
		code         int
		out, stderr  string
		devicesAfter int
	}{
		{name: "no file", args: []string{"inventory", "import", "--db", db, "--org", "St. Anna Hospital"}, code: 2, stderr: "needs a FILE"},
		{name: "no org", args: []string{"inventory", "import", file, "--db", db}, code: 2, stderr: "needs --org"},
		{name: "unknown org", args: []string{"inventory", "import", file, "--db", db, "--org", "Nowhere"}, code: 1, stderr: `no organisation named "Nowhere"`},
		{name: "missing file", args: []string{"inventory", "import", filepath.Join(dir, "nope.csv"), "--db", db, "--org", "St. Anna Hospital"}, code: 1, stderr: "file not found"},
		{name: "all-or-nothing refused", args: []string{"inventory", "import", file, "--db", db, "--org", "St. Anna Hospital"}, code: 1,
			out: `row 42, column "IP Address"`, stderr: "1 of 41 rows rejected, nothing imported", devicesAfter: 0},
		{name: "dry run", args: []string{"inventory", "import", file, "--db", db, "--org", "St. Anna Hospital", "--dry-run", "--valid-only"}, code: 0,
			out: "dry run, nothing written: " + file + " into St. Anna Hospital: 41 rows (utf-8), 40 new", devicesAfter: 0},
		{name: "valid only, flags first", args: []string{"inventory", "import", "--db", db, "--org", "St. Anna Hospital", "--valid-only", file}, code: 0,
			out: "40 new, 0 changed, 0 unchanged, 1 rejected", devicesAfter: 40},
		{name: "again: unchanged", args: []string{"inventory", "import", file, "--db", db, "--org", "St. Anna Hospital", "--valid-only"}, code: 0,
			out: "0 new, 0 changed, 40 unchanged", devicesAfter: 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCmd(t, e, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d\nstdout %q\nstderr %q\nwant %d, %q, %q", code, out, stderr, tt.code, tt.out, tt.stderr)
			}
			if strings.Contains(out, "\r") {
				t.Error("progress line written to a non-terminal")
			}
			if code != 2 {
				if n := count(); n != tt.devicesAfter {
					t.Fatalf("%d devices stored, want %d", n, tt.devicesAfter)
				}
			}
		})
	}
	// Export to a file: the CSV reads back into the same devices.
	out := filepath.Join(dir, "export.csv")
	if code, stdout, stderr := runCmd(t, e, "inventory", "export", "--db", db, "--org", "St. Anna Hospital", "--out", out); code != 0 || !strings.Contains(stdout, "exported 40 devices") {
		t.Fatalf("export --out: %d %s %s", code, stdout, stderr)
	}
	res, err := inventory.ReadFile(out, inventory.ReadOptions{})
	if err != nil || len(res.Records) != 40 {
		t.Fatalf("read export: %v", err)
	}
	for i, r := range res.Records {
		if r.Device.AssetTag != devs[i].AssetTag || r.Device.Model != devs[i].Model || r.Device.Version != devs[i].Version {
			t.Fatalf("export row %d: %+v, want %+v", i, r.Device, devs[i])
		}
	}
	code, stdout, _ := runCmd(t, e, "audit", "verify", "--db", db)
	if code != 0 || !strings.Contains(stdout, "intact") {
		t.Fatalf("audit after imports: %s", stdout)
	}
}

func TestDemoInventoryIdempotent(t *testing.T) {
	db := filepath.Join(t.TempDir(), "aceso.db")
	e := env(nil)
	if code, _, stderr := runCmd(t, e, "migrate", "--db", db); code != 0 {
		t.Fatal(stderr)
	}
	for _, name := range []string{"St. Anna Hospital (demo)", "Klinikum Nord (demo)"} {
		if code, _, stderr := runCmd(t, e, "user", "create-org", "--db", db, "--name", name); code != 0 {
			t.Fatal(stderr)
		}
	}
	sdb, err := openDB(t.Context(), Config{DB: db}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var first, second bytes.Buffer
	if err := loadDemoInventory(t.Context(), sdb, &first); err != nil {
		t.Fatal(err)
	}
	if err := loadDemoInventory(t.Context(), sdb, &second); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(first.String(), "420 devices for St. Anna Hospital (demo)") || !strings.Contains(first.String(), "260 devices for Klinikum Nord (demo)") {
		t.Fatalf("first load: %q", first.String())
	}
	if second.Len() != 0 {
		t.Fatalf("second load did something: %q", second.String())
	}
	_, out, _ := runCmd(t, e, "inventory", "export", "--db", db, "--org", "Klinikum Nord (demo)")
	res, err := inventory.ReadCSV(strings.NewReader(out), inventory.ReadOptions{})
	if err != nil || len(res.Records) != 260 {
		t.Fatalf("Klinikum Nord after two loads: %v, want 260 devices", err)
	}
}
