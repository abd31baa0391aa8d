package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const matchData = "../../../shared/testdata"

func needMatchData(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(matchData); err != nil {
		t.Skipf("shared test data not found at %s: %v", matchData, err)
	}
}

// jsonLines runs `aceso match --format json` and decodes every line.
func jsonLines(t *testing.T, extra ...string) ([]map[string]any, string) {
	t.Helper()
	args := append([]string{"--inventory", filepath.Join(matchData, "eval", "inventory.csv"),
		"--advisories", filepath.Join(matchData, "csaf", "icsma"), "--format", "json"}, extra...)
	var out, errb bytes.Buffer
	if err := runMatch(args, &out, &errb); err != nil {
		t.Fatalf("runMatch: %v (stderr %s)", err, errb.String())
	}
	var lines []map[string]any
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", len(lines)+1, err, sc.Text())
		}
		lines = append(lines, m)
	}
	return lines, errb.String()
}

func find(lines []map[string]any, tag, adv string) map[string]any {
	for _, l := range lines {
		if l["asset_tag"] == tag && l["advisory_id"] == adv {
			return l
		}
	}
	return nil
}

func TestRunMatchJSON(t *testing.T) {
	needMatchData(t)
	lines, stderr := jsonLines(t)
	if len(lines) == 0 {
		t.Fatal("no output")
	}
	fields := []string{"asset_tag", "manufacturer", "model", "version", "advisory_id", "cves", "status", "confidence",
		"reason", "remediation", "ssvc", "ssvc_inputs"}
	decisions := map[string]bool{"Defer": true, "Scheduled": true, "Out-of-Cycle": true, "Immediate": true}
	for i, l := range lines {
		for _, f := range fields {
			if _, ok := l[f]; !ok {
				t.Fatalf("line %d lacks %q: %v", i+1, f, l)
			}
		}
		if s := l["status"]; s != "affected" && s != "possibly_affected" {
			t.Errorf("line %d: status %v without --all", i+1, s)
		}
		if _, ok := l["cves"].([]any); !ok {
			t.Errorf("line %d: cves is not an array", i+1)
		}
		if !decisions[l["ssvc"].(string)] {
			t.Errorf("line %d: ssvc %v", i+1, l["ssvc"])
		}
		if in, ok := l["ssvc_inputs"].(map[string]any); !ok || in["exposure"] == nil || in["human_impact"] == nil {
			t.Errorf("line %d: ssvc_inputs %v", i+1, l["ssvc_inputs"])
		}
	}
	// A labelled pair of the evaluation set, with its remediation.
	pcu := find(lines, "D-0007", "ICSMA-20-317-01")
	if pcu == nil || pcu["status"] != "affected" || !strings.Contains(pcu["reason"].(string), "9.33.1") ||
		!strings.HasPrefix(pcu["remediation"].(string), "vendor_fix: ") {
		t.Errorf("D-0007 × ICSMA-20-317-01: %v", pcu)
	}
	if find(lines, "D-0010", "ICSMA-20-177-01") != nil {
		t.Error("not_affected D-0010 printed without --all")
	}
	if !strings.Contains(stderr, "42 devices") || !strings.Contains(stderr, "90 advisories") {
		t.Errorf("summary on stderr: %q", stderr)
	}
}

func TestRunMatchAll(t *testing.T) {
	needMatchData(t)
	some, _ := jsonLines(t)
	all, _ := jsonLines(t, "--all")
	if len(all) <= len(some) {
		t.Fatalf("--all printed %d lines, without %d", len(all), len(some))
	}
	epiq := find(all, "D-0010", "ICSMA-20-177-01") // VM6.0 is the fix of <= VM5.0
	if epiq == nil || epiq["status"] != "not_affected" {
		t.Errorf("D-0010 with --all: %v", epiq)
	}
}

func TestRunMatchFormats(t *testing.T) {
	needMatchData(t)
	jl, _ := jsonLines(t)
	base := []string{"--inventory", filepath.Join(matchData, "eval", "inventory.csv"), "--advisories", filepath.Join(matchData, "csaf", "icsma")}
	tests := []struct {
		name   string
		args   []string
		header string
		rows   int // lines after the header
	}{
		{"csv", []string{"--format", "csv"}, "asset_tag,manufacturer,model,version,advisory_id", len(jl)},
		{"table default", nil, "ASSET", len(jl)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if err := runMatch(append(base, tt.args...), &out, &errb); err != nil {
				t.Fatal(err)
			}
			rows := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
			if !strings.HasPrefix(rows[0], tt.header) {
				t.Errorf("header %q", rows[0])
			}
			// CSV cells may hold quoted newlines; reasons and remediations here do not.
			if len(rows)-1 != tt.rows {
				t.Errorf("%d rows, want %d like the JSON output", len(rows)-1, tt.rows)
			}
		})
	}
}

func TestRunMatchErrorsAndWarnings(t *testing.T) {
	needMatchData(t)
	dir := t.TempDir()
	inv := filepath.Join(dir, "inv.csv")
	os.WriteFile(inv, []byte("Asset Tag,Manufacturer,Model,Software Version,IP Address\n"+
		"X-1,BD,Alaris 8015 PC Unit,9.19,10.0.0.1\nX-2,BD,Alaris 8015 PC Unit,9.19,999.1.1.1\n"), 0o600)
	advs := filepath.Join(dir, "advs")
	os.Mkdir(advs, 0o700)
	good, _ := os.ReadFile(filepath.Join(matchData, "csaf", "icsma", "icsma-20-317-01.json"))
	os.WriteFile(filepath.Join(advs, "good.json"), good, 0o600)
	os.WriteFile(filepath.Join(advs, "broken.json"), []byte(`{"document": `), 0o600)

	t.Run("warnings do not stop the run", func(t *testing.T) {
		var out, errb bytes.Buffer
		if err := runMatch([]string{"--inventory", inv, "--advisories", advs, "--format", "json"}, &out, &errb); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(errb.String(), "inv.csv") || !strings.Contains(errb.String(), "row 3") || !strings.Contains(errb.String(), "broken.json") {
			t.Errorf("warnings: %q", errb.String())
		}
		if !strings.Contains(out.String(), `"asset_tag":"X-1"`) || strings.Contains(out.String(), "X-2") {
			t.Errorf("output: %s", out.String())
		}
	})
	tests := []struct {
		name  string
		args  []string
		usage bool   // a usage error (exit 2) rather than a failure (exit 1)
		msg   string // in the error
	}{
		{"missing inventory file", []string{"--inventory", filepath.Join(dir, "nope.csv"), "--advisories", advs}, false, "nope.csv"},
		{"missing advisories", []string{"--inventory", inv, "--advisories", filepath.Join(dir, "nope")}, false, "nope"},
		{"no inventory flag", []string{"--advisories", advs}, true, "--inventory"},
		{"bad format", []string{"--inventory", inv, "--advisories", advs, "--format", "xml"}, true, "xml"},
		{"unknown flag", []string{"--bogus"}, true, "bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := runMatch(tt.args, &out, &errb)
			if err == nil {
				t.Fatal("no error")
			}
			if isUsage := errors.As(err, new(usageError)); isUsage != tt.usage {
				t.Errorf("usage error %v, want %v: %v", isUsage, tt.usage, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q lacks %q", err, tt.msg)
			}
			if out.Len() != 0 {
				t.Errorf("stdout on error: %q", out.String())
			}
		})
	}
	// Through run: a missing file exits 1 with the message on stderr.
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"match", "--inventory", filepath.Join(dir, "nope.csv"), "--advisories", advs}, &out, &errb, func(string) string { return "" }); code != 1 || !strings.Contains(errb.String(), "nope.csv") {
		t.Errorf("run exit %d, stderr %q", code, errb.String())
	}
}
