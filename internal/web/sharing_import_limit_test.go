package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// TestSharingImportConcurrencyLimit: two imports fetching a slow feed hold
// both import slots; a third, by URL or by file, through the API or the
// page, is 429 with a clear message and stores nothing; once the two
// finish, imports run again.
func TestSharingImportConcurrencyLimit(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/slow.json" {
			http.NotFound(rw, r)
			return
		}
		entered <- struct{}{}
		<-release
		_, _ = io.WriteString(rw, `{"type":"bundle","id":"bundle--6f1b7d7e-6a54-4a8f-9d5e-1b0f7a2c3d4f","objects":[]}`)
	}))
	defer srv.Close()
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free() // before srv.Close, which waits for the handlers
	w := newWorld(t, storetest.Open(t, "sqlite"))

	results := make(chan resp, 2)
	for range 2 {
		go func() {
			results <- w.do(req{method: http.MethodPost, path: "/api/v1/intel/import", token: w.aToken, body: `{"url": "` + srv.URL + `/slow.json"}`})
		}()
	}
	<-entered
	<-entered

	const busy = "2 intelligence imports are running already; try again when one has finished"
	before := intelCount(t, w.db, w.aAdmin.user)
	r := w.do(req{method: http.MethodPost, path: "/api/v1/intel/import", token: w.aToken, body: `{"name": "api.json", "document": ` + importBundle + `}`})
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, busy) {
		t.Errorf("third import (API, document): %d %s", r.status, r.body)
	}
	r = w.do(req{method: http.MethodPost, path: "/api/v1/intel/import", token: w.aToken, body: `{"url": "` + srv.URL + `/other.json"}`})
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, busy) {
		t.Errorf("third import (API, URL): %d %s", r.status, r.body)
	}
	r = w.upload("/sharing/import", &w.aAdmin, "", nil, "pump.json", []byte(importBundle))
	if r.status != http.StatusTooManyRequests || between(r.body, `role="alert">`, "</p>") != busy {
		t.Errorf("third import (page, file): %d %q", r.status, between(r.body, `role="alert">`, "</p>"))
	}
	if after := intelCount(t, w.db, w.aAdmin.user); after != before {
		t.Errorf("a refused import stored %d objects", after-before)
	}

	free()
	for range 2 {
		if r := <-results; r.status != http.StatusCreated {
			t.Errorf("slow import: %d %s", r.status, r.body)
		}
	}
	// The slots are free again.
	r = w.do(req{method: http.MethodPost, path: "/api/v1/intel/import", token: w.aToken, body: `{"name": "api.json", "document": ` + importBundle + `}`})
	if rep := decode[store.IntelImportReport](t, r); r.status != http.StatusCreated || rep.Added != 1 || rep.Rejected != 1 {
		t.Errorf("import after the slow ones: %d %+v", r.status, rep)
	}
}
