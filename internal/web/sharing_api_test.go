package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// An organisation shares an observable of its own incident under a label;
// RED, unknown labels, viewers and other organisations are refused, and the
// shared observable is listed for its organisation only.
func TestShareObservableAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		body := `{"title":"Phishing wave","description":"Credential phishing","aware_at":"` + time.Now().UTC().Add(-time.Hour).Format(time.RFC3339) + `",
			"classification":{"class":"fraud","type":"phishing"}}`
		r := w.do(req{method: http.MethodPost, path: "/api/v1/incidents", token: w.aToken, body: body})
		if r.status != http.StatusCreated {
			t.Fatalf("create incident: %d %s", r.status, r.body)
		}
		id := decode[struct {
			ID int64 `json:"id"`
		}](t, r).ID
		base := "/api/v1/incidents/" + itoa(id)
		if r := w.do(req{method: http.MethodPost, path: base + "/observables", token: w.aToken, body: `{"kind":"domain","value":"login-anna-hospital[.]example"}`}); r.status != http.StatusCreated {
			t.Fatalf("observable: %d %s", r.status, r.body)
		}
		share := func(token, tlp string) resp {
			return w.do(req{method: http.MethodPost, path: base + "/shared-observables", token: token,
				body: `{"kind":"domain","value":"login-anna-hospital.example","tlp":"` + tlp + `"}`})
		}
		if r := share(w.aToken, "TLP:RED"); r.status != http.StatusBadRequest {
			t.Errorf("RED shared on a machine channel: %d %s", r.status, r.body)
		}
		if r := share(w.aToken, "TLP:PURPLE"); r.status != http.StatusBadRequest || !strings.Contains(r.body, "tlp") {
			t.Errorf("unknown label: %d %s", r.status, r.body)
		}
		bTok := w.token(w.bAdmin.user, &access.APIToken{Name: "nord-admin", Role: access.RoleAdmin})
		if r := share(bTok, "TLP:GREEN"); r.status != http.StatusNotFound {
			t.Errorf("hospital B shared A's observable: %d %s", r.status, r.body)
		}
		if r := share(w.aViewerToken, "TLP:GREEN"); r.status != http.StatusForbidden {
			t.Errorf("viewer shared: %d", r.status)
		}
		if r := share(w.aToken, "TLP:GREEN"); r.status != http.StatusCreated {
			t.Fatalf("share GREEN: %d %s", r.status, r.body)
		}
		list := w.do(req{method: http.MethodGet, path: "/api/v1/shared-observables", token: w.aToken})
		if list.status != http.StatusOK || !strings.Contains(list.body, "login-anna-hospital.example") {
			t.Fatalf("shared list: %d %s", list.status, list.body)
		}
		if other := w.do(req{method: http.MethodGet, path: "/api/v1/shared-observables", token: bTok}); strings.Contains(other.body, "login-anna-hospital") {
			t.Fatal("B's list shows A's shared observable")
		}
		if r := w.do(req{method: http.MethodGet, path: "/api/v1/intel?limit=0", token: w.aToken}); r.status != http.StatusBadRequest {
			t.Errorf("intel limit 0: %d", r.status)
		}
		if r := w.do(req{method: http.MethodGet, path: "/api/v1/intel", token: w.aToken}); r.status != http.StatusOK || !strings.Contains(r.body, `"intel": []`) {
			t.Errorf("intel: %d %s", r.status, r.body)
		}
	})
}

// From the incident page: share an observable with the sector; the page
// then shows its label instead of the form.
func TestShareObservableFromIncidentPage(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	w := newWorld(t, db)
	body := `{"title":"Scan from 203.0.113.7","aware_at":"` + time.Now().UTC().Add(-time.Hour).Format(time.RFC3339) + `","classification":{"class":"information-gathering","type":"scanner"}}`
	r := w.do(req{method: http.MethodPost, path: "/api/v1/incidents", token: w.aToken, body: body})
	id := decode[struct {
		ID int64 `json:"id"`
	}](t, r).ID
	base := "/incidents/" + itoa(id)
	if r := w.do(req{method: http.MethodPost, path: "/api/v1/incidents/" + itoa(id) + "/observables", token: w.aToken, body: `{"kind":"ip","value":"203.0.113.7"}`}); r.status != http.StatusCreated {
		t.Fatalf("observable: %d %s", r.status, r.body)
	}
	page := w.do(req{method: http.MethodGet, path: base, as: &w.aAdmin})
	if !strings.Contains(page.body, `action="`+base+`/observables/share"`) {
		t.Fatal("incident page offers no share form")
	}
	form := "csrf_token=" + w.aAdmin.csrf + "&kind=ip&value=203.0.113.7&tlp=TLP:GREEN"
	if r := w.do(req{method: http.MethodPost, path: base + "/observables/share", as: &w.aAdmin, body: form}); r.status != http.StatusSeeOther {
		t.Fatalf("share form: %d %s", r.status, r.body)
	}
	page = w.do(req{method: http.MethodGet, path: base, as: &w.aAdmin})
	if !strings.Contains(page.body, "shared TLP:GREEN") || strings.Contains(page.body, `action="`+base+`/observables/share"`) {
		t.Fatalf("after sharing the page does not show the label")
	}
	if r := w.do(req{method: http.MethodPost, path: base + "/observables/share", as: &w.aViewer, body: "csrf_token=" + w.aViewer.csrf + "&kind=ip&value=203.0.113.7&tlp=TLP:GREEN"}); r.status != http.StatusForbidden {
		t.Fatalf("viewer shared: %d", r.status)
	}
}
