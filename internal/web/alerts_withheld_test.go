package web_test

import (
	"strings"
	"testing"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// TestAlertsFromWithheldAdvisory: a TLP:RED advisory (it hits A's pump)
// offers no prefill on the compose page, which says why and shows none of
// its text, and the API and the form refuse an alert from it; the form
// re-renders without the advisory, keeping what was typed.
func TestAlertsFromWithheldAdvisory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		cert := &w.csirtAdmin
		red := fndImport(w, strings.Replace(fndCSAF("TEST-RED-1", "RED", "Becton, Dickinson and Company (BD)", "Alaris PC Unit Model 8015", "<= 9.33.1", "CVE-2026-1001"),
			"Isolate the device on its own VLAN.", "SECRET-REMEDIATION", 1))
		refusal := "advisory_id " + itoa(red) + ": advisory TEST-RED-1 is TLP:RED: its content stays with the CSIRT; write the alert from scratch without advisory_id"
		for _, tt := range []struct {
			name   string
			r      req
			status int
		}{
			{"compose page", req{method: "GET", path: "/alerts/new?advisory=" + itoa(red), as: cert}, 400},
			{"API", req{method: "POST", path: "/api/v1/alerts", as: cert, body: `{"advisory_id": ` + itoa(red) + `, "tlp": "TLP:RED", "people": [` + itoa(w.aAdmin.user.ID) + `]}`}, 400},
			{"form", req{method: "POST", path: "/alerts", as: cert, body: form(cert, "advisory_id", itoa(red), "title", "Typed by hand",
				"tlp", "TLP:AMBER+STRICT", "recipients", "affected")}, 400},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := w.do(tt.r)
				if r.status != tt.status || !strings.Contains(r.body, refusal) {
					t.Errorf("%d, want %d with %q: %.3000s", r.status, tt.status, refusal, r.body)
				}
				if strings.Contains(r.body, "SECRET-REMEDIATION") || strings.Contains(r.body, "Exactly the affected members") ||
					strings.Contains(r.body, `name="advisory_id" value="`+itoa(red)+`"`) {
					t.Errorf("the refusal offers the advisory: %.3000s", r.body)
				}
			})
		}
		if r := w.do(req{method: "POST", path: "/alerts", as: cert, body: form(cert, "advisory_id", itoa(red), "title", "Typed by hand",
			"tlp", "TLP:AMBER+STRICT", "recipients", "affected")}); !strings.Contains(r.body, "Typed by hand") {
			t.Errorf("the form lost what was typed: %.3000s", r.body)
		}
		if list, err := db.Alerts(ctx, access.System, store.AlertFilter{AdvisoryID: red}); err != nil || len(list) != 0 {
			t.Errorf("alerts from the RED advisory: %+v, %v", list, err)
		}
	})
}
