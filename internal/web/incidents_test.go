package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
	"github.com/aceso-health/aceso/internal/web"
)

// The route matrix needs an incident, a task and an attachment of A and of
// B (B's file name carries the marker); {stage} is not an id, so the
// integer the matrix puts there must be a clean 404.
func init() {
	seeders = append(seeders, func(w *world) {
		mk := func(org access.Org, title string) (int64, int64, int64) {
			p := access.System
			p.OrgID, p.OrgKind = org.ID, org.Kind
			var id, file int64
			task := incident.Task{Title: title + " task"}
			err := w.db.InTx(ctx, func(tx *store.Tx) error {
				r, err := tx.CreateIncident(ctx, p, &incident.Incident{Title: title, AwareAt: time.Now().Add(-time.Hour)},
					incident.Assessment{SevereOperationalDisruption: true, PersonalDataBreach: true})
				if err != nil {
					return err
				}
				id = r.ID
				a, err := tx.AddAttachment(ctx, p, id, strings.ReplaceAll(title, " ", "_")+".txt", []byte("log of "+title))
				if err != nil {
					return err
				}
				file = a.ID
				return tx.AddTask(ctx, p, id, &task)
			})
			if err != nil {
				w.t.Fatal(err)
			}
			return id, task.ID, file
		}
		w.ownA["incident"], w.ownA["task"], w.ownA["attachment"] = mk(w.a, "Anna incident")
		w.ofB["incident"], w.ofB["task"], w.ofB["attachment"] = mk(w.b, "Nord incident "+marker)
		w.ownA["stage"], w.ofB["stage"] = 1, 1
	})
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// withClock returns a copy of the world whose server and store run on clock.
func (w *world) withClock(c *testClock) *world {
	w.t.Helper()
	srv, err := web.New(web.Options{DB: w.db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test", Now: c.Now})
	if err != nil {
		w.t.Fatal(err)
	}
	w.db.Now = c.Now
	w2 := *w
	w2.srv, w2.ts = srv, httptest.NewServer(srv)
	w.t.Cleanup(w2.ts.Close)
	return &w2
}

type apiObligation struct {
	Key         string     `json:"key"`
	Regime      string     `json:"regime"`
	Stage       string     `json:"stage"`
	DueAt       *time.Time `json:"due_at"`
	Status      string     `json:"status"`
	SubmittedAt *time.Time `json:"submitted_at"`
	LateReason  string     `json:"late_reason"`
}

func decode[T any](t *testing.T, r resp) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("decode %d %.300s: %v", r.status, r.body, err)
	}
	return v
}

func find(obs []apiObligation, key string) apiObligation {
	for _, o := range obs {
		if o.Key == key {
			return o
		}
	}
	return apiObligation{}
}

// TestIncidentAPIFlow: create → obligations → countdown reaching late with
// the injected clock → submissions, with the GDPR late reason enforced.
func TestIncidentAPIFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := &testClock{t: time.Now().UTC().Truncate(time.Second)}
		w := newWorld(t, db).withClock(c)
		aware := c.Now().Add(-time.Hour)
		body := `{"title":"Ransomware on PACS","description":"Encrypted archive","aware_at":"` + aware.Format(time.RFC3339) + `",
			"classification":{"class":"malicious-code","type":"infected-system"},"suspected_malicious":"yes","cross_border":"no",
			"impact_on_care":{"services_affected":["radiology"],"postponed_procedures":12},
			"personal_data":{"data_categories":["health data"],"subject_categories":["patients"],"approx_subjects":4000},
			"assessment":{"severe_operational_disruption":true,"personal_data_breach":true}}`
		r := w.do(req{method: http.MethodPost, path: "/api/v1/incidents", token: w.aToken, body: body})
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		created := decode[struct {
			ID          int64           `json:"id"`
			OrgID       int64           `json:"org_id"`
			Obligations []apiObligation `json:"obligations"`
		}](t, r)
		if created.OrgID != w.a.ID || len(created.Obligations) == 0 {
			t.Fatalf("created %+v", created)
		}
		base := "/api/v1/incidents/" + itoa(created.ID)
		obligations := func() []apiObligation {
			t.Helper()
			r := w.do(req{method: http.MethodGet, path: base + "/obligations", token: w.aToken})
			if r.status != http.StatusOK {
				t.Fatalf("obligations: %d %s", r.status, r.body)
			}
			// Every element carries the clock's fields, null or not.
			var raw []map[string]any
			_ = json.Unmarshal([]byte(r.body), &raw)
			for _, o := range raw {
				for _, k := range []string{"regime", "stage", "due_at", "status", "submitted_at"} {
					if _, ok := o[k]; !ok {
						t.Fatalf("obligation without %q: %v", k, o)
					}
				}
			}
			return decode[[]apiObligation](t, r)
		}
		obs := obligations()
		tests := []struct {
			key    string
			status string
			due    time.Duration
		}{
			{"nis2.early_warning", "pending", 24 * time.Hour},
			{"nis2.notification", "pending", 72 * time.Hour},
			{"gdpr.notification", "pending", 72 * time.Hour},
			{"mdr.serious_incident_report", "not_applicable", 0},
		}
		for _, tt := range tests {
			o := find(obs, tt.key)
			if o.Status != tt.status || (tt.due > 0 && (o.DueAt == nil || !o.DueAt.Equal(aware.Add(tt.due)))) {
				t.Errorf("%s: %+v, want %s due %v", tt.key, o, tt.status, aware.Add(tt.due))
			}
		}
		// The early warning's countdown on the page, then 24 h later: late,
		// without any job, in the API and on the page.
		r = w.do(req{method: http.MethodGet, path: base + "/reports/nis2.early_warning", token: w.aToken})
		if r.status != http.StatusOK || !strings.Contains(r.body, `"suspected_malicious"`) || !strings.Contains(r.body, `"value": "yes"`) {
			t.Fatalf("early warning report: %d %s", r.status, r.body)
		}
		c.Add(24 * time.Hour)
		obs = obligations()
		if o := find(obs, "nis2.early_warning"); o.Status != "late" {
			t.Fatalf("after 25 h the early warning is %s, want late", o.Status)
		}
		if o := find(obs, "gdpr.notification"); o.Status != "pending" {
			t.Fatalf("gdpr after 25 h: %s", o.Status)
		}
		// Submitting late: NIS2 needs no reason, GDPR does.
		r = w.do(req{method: http.MethodPost, path: base + "/obligations/nis2.early_warning/submit", token: w.aToken, body: `{}`})
		if r.status != http.StatusOK || find([]apiObligation{decode[apiObligation](t, r)}, "nis2.early_warning").Status != "submitted" {
			t.Fatalf("submit early warning: %d %s", r.status, r.body)
		}
		c.Add(48 * time.Hour)
		r = w.do(req{method: http.MethodPost, path: base + "/obligations/gdpr.notification/submit", token: w.aToken, body: `{}`})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "late_reason") {
			t.Fatalf("late GDPR without reason: %d %s", r.status, r.body)
		}
		r = w.do(req{method: http.MethodPost, path: base + "/obligations/gdpr.notification/submit", token: w.aToken,
			body: `{"late_reason":"Forensics needed to confirm the patient data were read."}`})
		if r.status != http.StatusOK {
			t.Fatalf("late GDPR with reason: %d %s", r.status, r.body)
		}
		// Wrong stages are 404, an ambiguous bare stage names the choices.
		for _, stage := range []string{"1", "nis2.nope", "gdpr.", "notification"} {
			r = w.do(req{method: http.MethodPost, path: base + "/obligations/" + url.PathEscape(stage) + "/submit", token: w.aToken, body: `{}`})
			if r.status != http.StatusNotFound {
				t.Errorf("stage %q: %d %s", stage, r.status, r.body)
			}
		}
		obs = obligations()
		if o := find(obs, "gdpr.notification"); o.Status != "submitted" || o.LateReason == "" || o.SubmittedAt == nil {
			t.Fatalf("gdpr after submission: %+v", o)
		}
		// The report as submitted keeps the reasons for the delay.
		r = w.do(req{method: http.MethodGet, path: base + "/reports/gdpr.notification", token: w.aToken})
		if !strings.Contains(r.body, "reasons_for_delay") || !strings.Contains(r.body, "Forensics needed") {
			t.Fatalf("submitted GDPR report: %s", r.body)
		}
		// Workflow, tasks, observables, comments through the API.
		steps := []struct {
			name, method, path, body string
			want                     int
		}{
			{"triage", http.MethodPost, base + "/transition", `{"status":"triage"}`, http.StatusOK},
			{"close without outcome", http.MethodPost, base + "/transition", `{"status":"closed"}`, http.StatusBadRequest},
			{"task", http.MethodPost, base + "/tasks", `{"title":"Restore PACS from offline backup","assignee":"it-ops"}`, http.StatusCreated},
			{"task bad status", http.MethodPost, base + "/tasks", `{"title":"x","status":"later"}`, http.StatusBadRequest},
			{"observable defanged", http.MethodPost, base + "/observables", `{"kind":"domain","value":"evil[.]example"}`, http.StatusCreated},
			{"observable twice", http.MethodPost, base + "/observables", `{"kind":"domain","value":"EVIL.example"}`, http.StatusConflict},
			{"observable bad", http.MethodPost, base + "/observables", `{"kind":"ip","value":"999.1.1.1"}`, http.StatusBadRequest},
			{"comment", http.MethodPost, base + "/comments", `{"text":"Backups are intact."}`, http.StatusCreated},
			{"patch title", http.MethodPatch, base, `{"title":"Ransomware on PACS (contained)"}`, http.StatusOK},
			{"patch unknown field", http.MethodPatch, base, `{"colour":"red"}`, http.StatusBadRequest},
			{"reassess", http.MethodPut, base + "/assessment", `{"severe_operational_disruption":true,"personal_data_breach":true,"high_risk":true}`, http.StatusOK},
			{"bad aware_at", http.MethodPost, "/api/v1/incidents", `{"title":"x","aware_at":"yesterday"}`, http.StatusBadRequest},
			{"empty create", http.MethodPost, "/api/v1/incidents", `{}`, http.StatusBadRequest},
			{"viewer cannot create", http.MethodPost, "/api/v1/incidents", body, http.StatusForbidden},
		}
		for _, st := range steps {
			tok := w.aToken
			if strings.HasPrefix(st.name, "viewer") {
				tok = w.aViewerToken
			}
			if r := w.do(req{method: st.method, path: st.path, token: tok, body: st.body}); r.status != st.want {
				t.Errorf("%s: %d %s, want %d", st.name, r.status, r.body, st.want)
			}
		}
		r = w.do(req{method: http.MethodGet, path: base, token: w.aToken})
		got := decode[struct {
			Title       string                   `json:"title"`
			Status      string                   `json:"status"`
			Tasks       []incident.Task          `json:"tasks"`
			Observables []incident.Observable    `json:"observables"`
			Comments    []incident.Comment       `json:"comments"`
			Timeline    []incident.TimelineEntry `json:"timeline"`
			Obligations []apiObligation          `json:"obligations"`
		}](t, r)
		if got.Title != "Ransomware on PACS (contained)" || got.Status != "triage" || len(got.Tasks) != 1 || len(got.Observables) != 1 ||
			got.Observables[0].Value != "evil.example" || len(got.Comments) != 1 {
			t.Fatalf("incident after the flow: %+v", got)
		}
		if o := find(got.Obligations, "gdpr.data_subject_communication"); o.Status != "pending" {
			t.Errorf("high risk makes Art. 34 communication due: %+v", o)
		}
		if o := find(got.Obligations, "gdpr.notification"); o.Status != "submitted" {
			t.Errorf("reassessment lost the GDPR submission: %+v", o)
		}
		// Task update by merge.
		r = w.do(req{method: http.MethodPatch, path: base + "/tasks/" + itoa(got.Tasks[0].ID), token: w.aToken, body: `{"status":"done"}`})
		if r.status != http.StatusOK || decode[incident.Task](t, r).Title != "Restore PACS from offline backup" {
			t.Fatalf("task patch: %d %s", r.status, r.body)
		}
		// List with filters; ?org cannot widen the scope.
		r = w.do(req{method: http.MethodGet, path: "/api/v1/incidents?regime=gdpr&org=" + itoa(w.b.ID), token: w.aToken})
		list := decode[struct {
			Incidents []struct{ ID int64 } `json:"incidents"`
		}](t, r)
		if r.status != http.StatusOK || strings.Contains(r.body, marker) || len(list.Incidents) == 0 {
			t.Fatalf("list: %d %.300s", r.status, r.body)
		}
		if r := w.do(req{method: http.MethodGet, path: "/api/v1/incidents?regime=hipaa", token: w.aToken}); r.status != http.StatusBadRequest {
			t.Errorf("unknown regime filter: %d", r.status)
		}
		// The OpenAPI document names the incident schemas it references.
		r = w.do(req{method: http.MethodGet, path: "/api/v1/openapi.json"})
		for _, name := range []string{`"IncidentInput"`, `"ObligationList"`, `"ReportDoc"`, `"/api/v1/incidents/{incident}/obligations/{stage}/submit"`} {
			if !strings.Contains(r.body, name) {
				t.Errorf("openapi lacks %s", name)
			}
		}
	})
}

// TestIncidentPages walks the UI: wizard with an error and then success,
// the incident page with its countdowns, the printable report, the submit
// button and the list filter.
func TestIncidentPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		form := func(v url.Values) string { v.Set("csrf_token", w.aAdmin.csrf); return v.Encode() }
		r := w.do(req{method: http.MethodGet, path: "/incidents/new", as: &w.aAdmin})
		if r.status != http.StatusOK || !strings.Contains(r.body, "Is it significant?") || !strings.Contains(r.body, `src="/static/incident.js"`) {
			t.Fatalf("wizard: %d", r.status)
		}
		aware := time.Now().UTC().Add(-2 * time.Hour).Format("2006-01-02T15:04")
		v := url.Values{"title": {"Lost laptop with patient list"}, "aware_at": {"not a time"}, "time_zone": {"UTC"}, "personal_data": {"yes"},
			"data_categories": {"health data"}, "subject_categories": {"patients"}, "approx_subjects": {"250"}}
		r = w.do(req{method: http.MethodPost, path: "/incidents", as: &w.aAdmin, body: form(v)})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "aware_at") || !strings.Contains(r.body, `value="Lost laptop with patient list"`) {
			t.Fatalf("wizard error must re-render with the answers: %d %.500s", r.status, r.body)
		}
		v.Set("aware_at", aware)
		r = w.do(req{method: http.MethodPost, path: "/incidents", as: &w.aAdmin, body: form(v)})
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/incidents/") {
			t.Fatalf("wizard submit: %d %s", r.status, r.body)
		}
		loc, _, _ := strings.Cut(r.header.Get("Location"), "?")
		r = w.do(req{method: http.MethodGet, path: loc, as: &w.aAdmin})
		if r.status != http.StatusOK || !strings.Contains(r.body, "data-due=") || !(strings.Contains(r.body, "due in 2 d 22 h") || strings.Contains(r.body, "due in 2 d 21 h")) ||
			!strings.Contains(r.body, "/reports/gdpr.notification") {
			t.Fatalf("incident page lacks the GDPR countdown: %d %.2000s", r.status, r.body)
		}
		r = w.do(req{method: http.MethodGet, path: loc + "/reports/gdpr.notification", as: &w.aAdmin})
		if r.status != http.StatusOK || !strings.Contains(r.body, "Approximate number of data subjects concerned") || !strings.Contains(r.body, "250") ||
			!strings.Contains(r.body, "Mark as submitted") || !strings.Contains(r.body, "data-print") {
			t.Fatalf("report page: %d %.2000s", r.status, r.body)
		}
		r = w.do(req{method: http.MethodPost, path: loc + "/obligations/gdpr.notification/submit", as: &w.aAdmin, body: form(url.Values{})})
		if r.status != http.StatusSeeOther {
			t.Fatalf("submit from the page: %d %.500s", r.status, r.body)
		}
		r = w.do(req{method: http.MethodGet, path: loc, as: &w.aAdmin})
		if !strings.Contains(r.body, "clock-submitted") || !strings.Contains(r.body, "Submitted GDPR notification") {
			t.Fatalf("page after submission: %.3000s", r.body)
		}
		// Page forms: bad input is a 400 page naming the problem, good input
		// redirects back.
		pageSteps := []struct {
			name, path string
			v          url.Values
			want       int
			text       string
		}{
			{"close without outcome", "/transition", url.Values{"status": {"closed"}}, http.StatusBadRequest, "outcome"},
			{"empty transition", "/transition", url.Values{}, http.StatusBadRequest, "cannot move"},
			{"triage", "/transition", url.Values{"status": {"triage"}}, http.StatusSeeOther, ""},
			{"observable", "/observables", url.Values{"kind": {"url"}, "value": {"hxxp://bad[.]example/x"}}, http.StatusSeeOther, ""},
			{"empty observable", "/observables", url.Values{}, http.StatusBadRequest, "observable"},
			{"task", "/tasks", url.Values{"title": {"Inform the DPO"}}, http.StatusSeeOther, ""},
			{"comment", "/comments", url.Values{"text": {"Police report filed."}}, http.StatusSeeOther, ""},
			{"reassess without reason", "/assessment", url.Values{"personal_data": {"yes"}, "risk_unlikely": {"1"}}, http.StatusBadRequest, "risk_unlikely_reason"},
			{"reassess", "/assessment", url.Values{"personal_data": {"yes"}, "high_risk": {"1"}}, http.StatusSeeOther, ""},
			{"edit empty title", "/edit", url.Values{"title": {" "}}, http.StatusBadRequest, "title: required"},
			{"edit", "/edit", url.Values{"root_cause": {"Laptop left unattended"}, "mitigation": {"Remote wipe issued"}}, http.StatusSeeOther, ""},
		}
		for _, st := range pageSteps {
			r := w.do(req{method: http.MethodPost, path: loc + st.path, as: &w.aAdmin, body: form(st.v)})
			if r.status != st.want || !strings.Contains(r.body, st.text) {
				t.Errorf("%s: %d, want %d with %q: %.300s", st.name, r.status, st.want, st.text, r.body)
			}
		}
		r = w.do(req{method: http.MethodGet, path: loc, as: &w.aAdmin})
		for _, want := range []string{"http://bad.example/x", "Inform the DPO", "Police report filed.", "Communication of a personal data breach to the data subjects",
			"Laptop left unattended", `value="Lost laptop with patient list"`} {
			if !strings.Contains(r.body, want) {
				t.Errorf("incident page lacks %q", want)
			}
		}
		// A viewer sees the page without the forms.
		r = w.do(req{method: http.MethodGet, path: loc, as: &w.aViewer})
		if r.status != http.StatusOK || strings.Contains(r.body, "Change status") || strings.Contains(r.body, `action="`+loc+`/tasks"`) {
			t.Errorf("viewer page: %d, forms shown", r.status)
		}
		// The list and its filters.
		r = w.do(req{method: http.MethodGet, path: "/incidents?regime=nis2&at_risk=1&org=" + itoa(w.b.ID), as: &w.aAdmin})
		if r.status != http.StatusOK || !strings.Contains(r.body, "Anna incident") || strings.Contains(r.body, "Lost laptop") {
			t.Errorf("at-risk NIS2 list: %d %.1500s", r.status, r.body)
		}
		r = w.do(req{method: http.MethodGet, path: "/incidents", as: &w.aAdmin})
		if !strings.Contains(r.body, "Lost laptop with patient list") || !strings.Contains(r.body, `aria-current="page">Incidents`) {
			t.Errorf("list: %.1500s", r.body)
		}
	})
}

// TestIncidentBrowser reports an incident through the wizard in headless
// Chromium, one step at a time, lands on the incident page and proves the
// client-side countdown switches a clock to "late" once its due time has
// passed, all under the strict CSP without a violation. Set
// ACESO_SCREENSHOT_INCIDENT=file.png to save the incident page.
func TestIncidentBrowser(t *testing.T) {
	bin := findBrowser(t)
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no Chromium found (CI is set, so the browser test may not be skipped)")
		}
		t.Skip("no Chromium found: install chromium or set ACESO_CHROMIUM")
	}
	w := newWorld(t, storetest.Open(t, "sqlite"))
	profile := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.UserDataDir(profile), chromedp.WindowSize(1280, 900))
	timeout, cancelTimeout := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancelTimeout()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(timeout, opts...)
	defer cancelAlloc()
	bctx, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	var console consoleLog
	messages := chromedp.Console(bctx)
	consoleDone := make(chan struct{})
	go func() {
		defer close(consoleDone)
		for m, err := range messages {
			if err != nil {
				return
			}
			console.add(m)
		}
	}()
	defer func() { cancelTab(); <-consoleDone }()
	if _, err := chromedp.Call(bctx, network.SetCookie, network.SetCookieParams{Name: w.aAdmin.cookie.Name, Value: w.aAdmin.cookie.Value, URL: w.ts.URL}); err != nil {
		t.Fatalf("set session cookie: %v", err)
	}
	b := &tab{t: t, ctx: bctx, base: w.ts.URL}
	visible := func() int { return b.count("fieldset.step:not([hidden])") }
	next := func(step int) {
		t.Helper()
		if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`fieldset[data-step="`+itoa(int64(step))+`"] .wizard-nav button:not(.secondary)`))); err != nil {
			t.Fatalf("next from step %d: %v", step, err)
		}
	}

	resp := b.open("/incidents/new")
	b.at("wizard", resp, "/incidents/new")
	if n := visible(); n != 1 {
		t.Fatalf("wizard shows %d steps at once, want 1", n)
	}
	aware, err := chromedp.Run(bctx, chromedp.Value(chromedp.CSS("#aware_at")))
	if err != nil || aware == "" {
		t.Fatalf("aware_at not pre-filled with now: %q %v", aware, err)
	}
	b.fill("#title", "Infusion pump tampering (browser)")
	next(1)
	b.fill("#services_affected", "intensive care")
	next(2)
	if err := chromedp.Do(bctx, chromedp.SetValue(chromedp.CSS("#personal_data"), "no")); err != nil {
		t.Fatal(err)
	}
	next(3)
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`input[name="considerable_damage_to_others"]`))); err != nil {
		t.Fatal(err)
	}
	next(4)
	if review := b.text("#wizard-review"); !strings.Contains(review, "Infusion pump tampering (browser)") || !strings.Contains(review, "intensive care") {
		t.Fatalf("review step does not summarise the answers: %q", review)
	}
	resp = b.click(`#wizard button[type=submit]`)
	if resp == nil || resp.Status != http.StatusOK || b.text("h1") != "Infusion pump tampering (browser)" {
		t.Fatalf("after reporting: %+v, heading %q", resp, b.text("h1"))
	}
	clock := `tr.ob-soon .clock`
	if txt := b.text(clock); !strings.HasPrefix(txt, "due in 23 h") && !strings.HasPrefix(txt, "due in 24 h") {
		t.Fatalf("early warning countdown %q, want about 24 h", txt)
	}
	// Two minutes past the due time, the script turns the clock late.
	late, err := chromedp.Run(bctx, chromedp.Evaluate[string](`(function () {
		var el = document.querySelector("`+clock+`");
		el.setAttribute("data-due", new Date(Date.now() - 125000).toISOString());
		document.dispatchEvent(new Event("aceso:tick"));
		return el.textContent + "|" + el.className;
	})()`))
	if err != nil || !strings.HasPrefix(late, "late by 2 min|") || !strings.Contains(late, "clock-late") {
		t.Fatalf("client-side countdown past due: %q %v", late, err)
	}
	for _, m := range console.all() {
		if isCSPViolation(m) || m.Type == "error" {
			t.Errorf("console: %s %s", m.Type, m.Text)
		}
	}
	if path := os.Getenv("ACESO_SCREENSHOT_INCIDENT"); path != "" {
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(path, png, 0o644)
		}
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
	}
}
