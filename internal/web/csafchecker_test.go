package web_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
	"github.com/aceso-health/aceso/internal/web"
)

// checkerReport is the part of csaf_checker's JSON report the test reads.
type checkerReport struct {
	Domains []struct {
		Name         string `json:"name"`
		Passed       bool   `json:"passed"`
		Requirements []struct {
			Num         int    `json:"num"`
			Description string `json:"description"`
			Messages    []struct {
				Type int    `json:"type"`
				Text string `json:"text"`
			} `json:"messages"`
		} `json:"requirements"`
	} `json:"domains"`
}

// notTestable are the requirements a test server cannot meet, and why.
// They are alternatives of requirement 9 (provider-metadata.json under
// /.well-known/csaf/ of the domain), which the checker does run and which
// must pass, so the trusted-provider role is still fully evaluated.
var notTestable = map[int]string{
	8:  "security.txt belongs to the deployment's web root, not to Aceso",
	10: "DNS path https://csaf.data.security.<domain> needs a real domain name",
}

// TestCSAFCheckerAcceptsProvider runs the reference checker (BSI's
// csaf_checker v3.7.0) against the provider over TLS: once as the public
// and once with the CSIRT's token (so that the GREEN and AMBER directories
// are checked too), and once more after a key rotation, when
// provider-metadata.json lists the new and the retired key. The domain
// must pass the csaf_trusted_provider rules and no requirement except the
// documented untestable alternatives may report an error.
func TestCSAFCheckerAcceptsProvider(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("go not on PATH in CI")
		}
		t.Skip("go not on PATH: cannot run csaf_checker")
	}
	if testing.Short() {
		t.Skip("-short: skipping the csaf_checker build")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if db.Dialect() != "sqlite" {
			t.Skip("the checker exercises HTTP only; one backend is enough")
		}
		w := newCSAFWorld(t, db)
		// One advisory the CSIRT wrote itself (two revisions) beside the republished ones.
		publishAuthoredAdvisory(t, w.world)
		domain := strings.TrimPrefix(w.tls.URL, "https://")
		tests := []struct {
			name   string
			args   []string
			rotate bool // rotate the signing key first: two keys are listed
		}{
			{name: "public"},
			{name: "csirt token", args: []string{"-H", "Authorization: Bearer " + w.csirtToken}},
			{name: "public after key rotation", rotate: true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if tt.rotate {
					if _, err := (web.CSAFKeyring{DB: db}).Rotate(context.Background(), access.System, web.DefaultCSAFKeyGrace); err != nil {
						t.Fatal(err)
					}
				}
				out := filepath.Join(t.TempDir(), "report.json")
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				defer cancel()
				args := append([]string{"run", "github.com/gocsaf/csaf/v3/cmd/csaf_checker@v3.7.0", "--insecure", "-f", "json", "-o", out}, tt.args...)
				cmd := exec.CommandContext(ctx, "go", append(args, domain)...)
				cmd.Env = append(os.Environ(), "GOFLAGS=")
				logs, err := cmd.CombinedOutput()
				data, rerr := os.ReadFile(out)
				if rerr != nil {
					t.Fatalf("csaf_checker: %v %v\n%s", err, rerr, logs)
				}
				var rep checkerReport
				if err := json.Unmarshal(data, &rep); err != nil || len(rep.Domains) != 1 {
					t.Fatalf("report: %v\n%s", err, data)
				}
				d := rep.Domains[0]
				seen := map[int]bool{}
				for _, r := range d.Requirements {
					seen[r.Num] = true
					for _, m := range r.Messages {
						switch {
						case m.Type == 2 && notTestable[r.Num] == "":
							t.Errorf("requirement %d (%s): %s", r.Num, r.Description, m.Text)
						case m.Type == 1 && notTestable[r.Num] == "" && r.Num != 1 && r.Num != 7:
							t.Errorf("requirement %d (%s) warns: %s", r.Num, r.Description, m.Text)
						case m.Type >= 1:
							// 1: no remote validator (schema validation ran locally);
							// 7: the checker's security.txt probe while loading the metadata.
							t.Logf("requirement %d (%s): %s", r.Num, r.Description, m.Text)
						}
					}
				}
				for _, n := range []int{1, 2, 3, 4, 5, 6, 7, 9, 11, 12, 13, 15, 16, 17, 18, 19, 20} {
					if !seen[n] {
						t.Errorf("requirement %d was not evaluated", n)
					}
				}
				if !d.Passed {
					t.Errorf("domain did not pass the trusted-provider rules:\n%s", data)
				}
			})
		}
	})
}
