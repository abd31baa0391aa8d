package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/store"
)

// registerCSIRTIncidentRoutes adds the CSIRT's side of incidents: the
// sector queue of shared incidents, requests, advice, links, duplicates and
// the anonymised sector statistics, plus the member's "share" action. The
// store admits only the CSIRT's users (store.CSIRTIncidentOrg) and only
// to shared incidents; routes here build no tenant filter.
func (s *Server) registerCSIRTIncidentRoutes() {
	get, post := http.MethodGet, http.MethodPost
	read, write, analyse := access.ActRead, access.ActWrite, access.ActAnalyse
	api := func(rt Route, h handlerFunc) { rt.API = true; s.handle(rt, h) }
	const ci = "/api/v1/csirt/incidents/{incident}"
	api(Route{Method: post, Path: "/api/v1/incidents/{incident}/share", Auth: User, Act: write, Summary: "Share the incident with the CSIRT (NIS2-reportable incidents are shared automatically); cannot be withdrawn. A TLP:RED incident names the CSIRT users who may read it (red_people, or named before)", Body: "IncidentShare", Resp: "Incident"}, s.apiIncidentShare)
	api(Route{Method: get, Path: "/api/v1/csirt/incidents", Auth: User, Act: read, Summary: "CSIRT: the sector queue of shared incidents, newest first (?org=ID, ?status, ?open=1, ?rsit_class, ?at_risk=1, ?duplicates=1, ?before=ID, ?limit=N)", Resp: "CSIRTIncidentPage"}, s.apiCSIRTIncidents)
	api(Route{Method: get, Path: ci, Auth: User, Act: read, Summary: "CSIRT: one shared incident with advice, links and related candidates", Resp: "CSIRTIncident"}, s.apiCSIRTIncident)
	api(Route{Method: post, Path: ci + "/request-report", Auth: User, Act: analyse, Summary: "CSIRT: request a NIS2 intermediate report (Art. 23(4)(c)) due at due_at", Body: "ReportRequest", Resp: "Incident"}, s.apiCSIRTRequestReport)
	api(Route{Method: post, Path: ci + "/advice", Auth: User, Act: analyse, Summary: "CSIRT: advise the member (shown to it as CSIRT advice)", Body: "AdviceInput", Resp: "Advice"}, s.apiCSIRTAdvice)
	api(Route{Method: post, Path: ci + "/link", Auth: User, Act: analyse, Summary: "CSIRT: link a related shared incident (of any member)", Body: "LinkInput", Resp: "CSIRTIncident"}, s.apiCSIRTLink)
	api(Route{Method: post, Path: ci + "/merge", Auth: User, Act: analyse, Summary: "CSIRT: mark the incident a duplicate of another shared incident", Body: "MergeInput", Resp: "CSIRTIncident"}, s.apiCSIRTMerge)
	api(Route{Method: get, Path: "/api/v1/csirt/statistics", Auth: User, Act: read, Summary: "CSIRT: anonymised sector statistics (TLP:RED incidents left out; cells of fewer than 3 organisations suppressed; ?from, ?to as YYYY-MM-DD)", Resp: "Statistics"}, s.apiCSIRTStatistics)
	api(Route{Method: get, Path: "/api/v1/csirt/statistics.csv", Auth: User, Act: read, Summary: "CSIRT: the sector statistics as CSV (dimension,key,count; suppressed counts read <3)"}, s.apiCSIRTStatisticsCSV)

	const pg = "/csirt/incidents/{incident}"
	s.handle(Route{Method: post, Path: "/incidents/{incident}/share", Auth: User, Act: write}, s.incidentShare)
	s.handle(Route{Method: get, Path: "/csirt/incidents", Auth: User, Act: read}, s.csirtQueuePage)
	s.handle(Route{Method: get, Path: pg, Auth: User, Act: read}, s.csirtIncidentPage)
	s.handle(Route{Method: post, Path: pg + "/request-report", Auth: User, Act: analyse}, s.csirtRequestReport)
	s.handle(Route{Method: post, Path: pg + "/advice", Auth: User, Act: analyse}, s.csirtAdvice)
	s.handle(Route{Method: post, Path: pg + "/link", Auth: User, Act: analyse}, s.csirtLink)
	s.handle(Route{Method: post, Path: pg + "/merge", Auth: User, Act: analyse}, s.csirtMerge)
	s.handle(Route{Method: get, Path: "/csirt/statistics", Auth: User, Act: read}, s.csirtStatisticsPage)
}

func init() {
	cell := obj(nil, map[string]any{"key": str, "count": map[string]any{"type": "integer", "nullable": true}, "suppressed": boolean})
	schemas["Advice"] = obj([]string{"text"}, map[string]any{"id": integer, "at": when, "author": str, "text": str})
	schemas["RelatedIncident"] = obj(nil, map[string]any{"id": integer, "org_id": integer, "org_name": str, "title": str, "same_org": boolean, "anonymous": boolean, "reason": str})
	schemas["CSIRTIncident"] = obj(nil, map[string]any{"incident": ref("Incident"), "org_name": str,
		"candidates": arr(obj(nil, map[string]any{"id": integer, "org_id": integer, "org_name": str, "title": str, "reasons": arr(str)}))})
	schemas["CSIRTIncidentPage"] = obj(nil, map[string]any{"incidents": arr(obj(nil, map[string]any{"incident": ref("Incident"), "org_name": str})), "next": integer})
	schemas["IncidentShare"] = obj(nil, map[string]any{"red_people": map[string]any{"type": "array", "items": integer, "description": "CSIRT users (ids) who may read a TLP:RED incident; replaces the names given before"}})
	schemas["ReportRequest"] = obj([]string{"due_at"}, map[string]any{"due_at": when})
	schemas["AdviceInput"] = obj([]string{"text"}, map[string]any{"text": str})
	schemas["LinkInput"] = obj([]string{"related_id"}, map[string]any{"related_id": integer, "reason": str})
	schemas["MergeInput"] = obj([]string{"duplicate_of"}, map[string]any{"duplicate_of": integer})
	schemas["Statistics"] = obj(nil, map[string]any{"total": cell, "by_rsit_class": arr(cell), "by_month": arr(cell), "by_care_impact": arr(cell), "min_orgs_per_cell": integer})
	if inc, ok := schemas["Incident"].(map[string]any); ok {
		if props, ok := inc["properties"].(map[string]any); ok {
			props["shared_with_csirt"] = boolean
			props["duplicate_of"] = integer
			props["csirt_advice"] = arr(ref("Advice"))
			props["related"] = arr(ref("RelatedIncident"))
		}
	}
	templateFuncs["cellDisplay"] = func(c store.StatCell) string { return c.Display() }
}

// csirtView is a shared incident as the CSIRT's API shows it. The record
// is nested so that the member's own schema (Incident) stays one thing.
type csirtView struct {
	Incident   store.Incident    `json:"incident"`
	OrgName    string            `json:"org_name"`
	Candidates []store.Candidate `json:"candidates,omitempty"`
}

type csirtRow struct {
	Incident store.Incident `json:"incident"`
	OrgName  string         `json:"org_name"`
}

// csirtFilter reads the queue's query parameters; a bad one names itself.
func csirtFilter(q url.Values, now time.Time) (store.CSIRTFilter, error) {
	f := store.CSIRTFilter{Status: incident.Status(q.Get("status")), Open: q.Get("open") == "1", RSITClass: q.Get("rsit_class"),
		AtRisk: q.Get("at_risk") == "1", Duplicates: q.Get("duplicates") == "1", Now: now}
	for name, dst := range map[string]*int64{"org": &f.OrgID, "before": &f.Before} {
		if err := queryNumber(q, name, 0, 0, dst); err != nil {
			return f, err
		}
	}
	return f, queryNumber(q, "limit", 1, 500, &f.Limit)
}

func (s *Server) apiIncidentShare(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var in struct {
		RedPeople *[]int64 `json:"red_people"`
	}
	if r.ContentLength != 0 { // the body is optional
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
	}
	return s.update(w, r, p, http.StatusOK, func(tx *store.Tx, id int64) error {
		return shareNaming(r.Context(), tx, p, id, in.RedPeople)
	})
}

// shareNaming shares an incident with the CSIRT, naming first, when people
// is set, the CSIRT users who may read it at TLP:RED.
func shareNaming(ctx context.Context, tx *store.Tx, p access.Principal, id int64, people *[]int64) error {
	if people != nil {
		if _, err := tx.SetRedPeople(ctx, p, id, *people); err != nil {
			return err
		}
	}
	_, err := tx.ShareIncident(ctx, p, id)
	return err
}

func (s *Server) apiCSIRTIncidents(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	f, err := csirtFilter(r.URL.Query(), s.now())
	if err != nil {
		return err
	}
	page, err := s.db.CSIRTIncidents(r.Context(), p, f)
	if err != nil {
		return err
	}
	out := struct {
		Incidents []csirtRow `json:"incidents"`
		Next      int64      `json:"next,omitempty"`
	}{Incidents: make([]csirtRow, len(page.Incidents)), Next: page.Next}
	for i, c := range page.Incidents {
		out.Incidents[i] = csirtRow{c.Incident, c.OrgName}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) csirtLoad(r *http.Request, p access.Principal) (csirtView, error) {
	id, err := pathID(r, "incident")
	if err != nil {
		return csirtView{}, err
	}
	c, err := s.db.CSIRTIncident(r.Context(), p, id)
	if err != nil {
		return csirtView{}, err
	}
	cands, err := s.db.RelatedCandidates(r.Context(), p, id)
	if err != nil {
		return csirtView{}, err
	}
	return csirtView{Incident: c.Incident, OrgName: c.OrgName, Candidates: cands}, nil
}

func (s *Server) apiCSIRTIncident(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	v, err := s.csirtLoad(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// csirtWrite runs a CSIRT write on the incident of the path and answers
// with the CSIRT's view of it.
func (s *Server) csirtWrite(w http.ResponseWriter, r *http.Request, p access.Principal, body any, fn func(tx *store.Tx, id int64) error) error {
	if err := decodeJSON(r, body); err != nil {
		return err
	}
	id, err := pathID(r, "incident")
	if err != nil {
		return err
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return fn(tx, id) }); err != nil {
		return err
	}
	v, err := s.csirtLoad(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) apiCSIRTRequestReport(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var in struct {
		DueAt time.Time `json:"due_at"`
	}
	return s.csirtWrite(w, r, p, &in, func(tx *store.Tx, id int64) error {
		_, err := tx.RequestIntermediateReport(r.Context(), p, id, in.DueAt)
		return err
	})
}

func (s *Server) apiCSIRTAdvice(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var in struct {
		Text string `json:"text"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := pathID(r, "incident")
	if err != nil {
		return err
	}
	var a store.Advice
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error {
		var err error
		a, err = tx.AddAdvice(r.Context(), p, id, in.Text)
		return err
	}); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) apiCSIRTLink(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var in struct {
		RelatedID int64  `json:"related_id"`
		Reason    string `json:"reason"`
	}
	return s.csirtWrite(w, r, p, &in, func(tx *store.Tx, id int64) error {
		return tx.LinkIncidents(r.Context(), p, id, in.RelatedID, in.Reason)
	})
}

func (s *Server) apiCSIRTMerge(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var in struct {
		DuplicateOf int64 `json:"duplicate_of"`
	}
	return s.csirtWrite(w, r, p, &in, func(tx *store.Tx, id int64) error {
		return tx.MarkDuplicate(r.Context(), p, id, in.DuplicateOf)
	})
}

// statsFilter reads ?from and ?to (YYYY-MM-DD, UTC; to is exclusive).
func statsFilter(q url.Values) (store.StatsFilter, error) {
	var f store.StatsFilter
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse("2006-01-02", v)
			if err != nil {
				return f, aceso.Errorf(aceso.EINVALID, "%s: %q is not a date YYYY-MM-DD", name, v)
			}
			*dst = t
		}
	}
	return f, nil
}

func (s *Server) statistics(r *http.Request, p access.Principal) (store.Statistics, error) {
	f, err := statsFilter(r.URL.Query())
	if err != nil {
		return store.Statistics{}, err
	}
	return s.db.SectorStatistics(r.Context(), p, f)
}

func (s *Server) apiCSIRTStatistics(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	st, err := s.statistics(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) apiCSIRTStatisticsCSV(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	st, err := s.statistics(r, p)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="aceso-sector-statistics.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"dimension", "key", "count"})
	_ = cw.Write([]string{"total", "total", st.Total.Display()})
	for _, d := range []struct {
		name  string
		cells []store.StatCell
	}{{"rsit_class", st.ByRSITClass}, {"month", st.ByMonth}, {"care_impact", st.ByCareImpact}} {
		for _, c := range d.cells {
			_ = cw.Write([]string{d.name, c.Key, c.Display()})
		}
	}
	cw.Flush()
	return cw.Error()
}

// --- pages ---

type csirtQueueData struct {
	Rows   []store.CSIRTIncident
	Next   int64
	Filter store.CSIRTFilter
	Now    time.Time
}

func (s *Server) csirtQueuePage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	f, err := csirtFilter(r.URL.Query(), s.now())
	if err != nil {
		return err
	}
	page, err := s.db.CSIRTIncidents(r.Context(), p, f)
	if err != nil {
		return err
	}
	s.render(w, r, "csirt-incidents", page2(r, "Sector incidents", csirtQueueData{Rows: page.Incidents, Next: page.Next, Filter: f, Now: s.now()}))
	return nil
}

func page2(r *http.Request, title string, data any) page {
	return page{Title: title, Nav: "csirt", Flash: r.URL.Query().Get("flash"), Data: data}
}

type csirtIncidentData struct {
	V        csirtView
	Open     []obligationView
	CanWrite bool
	Files    csirtFilesView // the "csirt_incident_files" section (incidents_attachments_csirt.go)
}

func (s *Server) csirtIncidentPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.renderCSIRTIncident(w, r, p, "", http.StatusOK)
}

func (s *Server) renderCSIRTIncident(w http.ResponseWriter, r *http.Request, p access.Principal, errMsg string, status int) error {
	v, err := s.csirtLoad(r, p)
	if err != nil {
		return err
	}
	d := csirtIncidentData{V: v, CanWrite: p.Role.AtLeast(access.RoleAnalyst)}
	if d.Files, err = s.csirtFiles(r.Context(), p, v.Incident.ID); err != nil {
		return err
	}
	for _, o := range v.Incident.Obligations {
		if o.Status != incident.ObligationNotApplicable {
			d.Open = append(d.Open, viewObligation(o, s.now()))
		}
	}
	w.WriteHeader(status)
	pg := page2(r, v.Incident.Title, d)
	pg.Error = errMsg
	s.render(w, r, "csirt-incident", pg)
	return nil
}

// csirtPageWrite runs a CSIRT form post and redirects back to the page;
// bad input re-renders it with the message.
func (s *Server) csirtPageWrite(w http.ResponseWriter, r *http.Request, p access.Principal, flash string, fn func(tx *store.Tx, id int64) error) error {
	return s.incidentFormWrite(w, r, p, "/csirt/incidents/", s.renderCSIRTIncident, flash, fn)
}

func formID(r *http.Request, name string) (int64, error) {
	v := strings.TrimSpace(r.PostFormValue(name))
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, aceso.Errorf(aceso.EINVALID, "%s: %q is not an incident id", name, v)
	}
	return n, nil
}

func (s *Server) csirtRequestReport(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.csirtPageWrite(w, r, p, "Intermediate report requested.", func(tx *store.Tx, id int64) error {
		v := r.PostFormValue("due_at")
		due, err := time.ParseInLocation("2006-01-02T15:04", v, time.UTC)
		if err != nil {
			return aceso.Errorf(aceso.EINVALID, "due_at: %q is not a date and time (UTC)", v)
		}
		_, err = tx.RequestIntermediateReport(r.Context(), p, id, due)
		return err
	})
}

func (s *Server) csirtAdvice(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.csirtPageWrite(w, r, p, "Advice sent to the member.", func(tx *store.Tx, id int64) error {
		_, err := tx.AddAdvice(r.Context(), p, id, r.PostFormValue("text"))
		return err
	})
}

func (s *Server) csirtLink(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.csirtPageWrite(w, r, p, "Incidents linked.", func(tx *store.Tx, id int64) error {
		other, err := formID(r, "related_id")
		if err != nil {
			return err
		}
		return tx.LinkIncidents(r.Context(), p, id, other, r.PostFormValue("reason"))
	})
}

func (s *Server) csirtMerge(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.csirtPageWrite(w, r, p, "Marked as duplicate.", func(tx *store.Tx, id int64) error {
		of, err := formID(r, "duplicate_of")
		if err != nil {
			return err
		}
		return tx.MarkDuplicate(r.Context(), p, id, of)
	})
}

func (s *Server) incidentShare(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.pageWrite(w, r, p, "Shared with the CSIRT.", func(tx *store.Tx, id int64) error {
		people, err := redPeopleForm(r.PostForm)
		if err != nil {
			return err
		}
		return shareNaming(r.Context(), tx, p, id, people)
	})
}

type statsPageData struct {
	St     store.Statistics
	Charts []template.HTML
	From   string
	To     string
}

func (s *Server) csirtStatisticsPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	st, err := s.statistics(r, p)
	if err != nil {
		return err
	}
	d := statsPageData{St: st, From: r.URL.Query().Get("from"), To: r.URL.Query().Get("to")}
	d.Charts = []template.HTML{barChart("Incidents by RSIT class", st.ByRSITClass), barChart("Incidents by month", st.ByMonth),
		barChart("Incidents by impact on care", st.ByCareImpact)}
	s.render(w, r, "csirt-statistics", page2(r, "Sector statistics", d))
	return nil
}

// barChart draws cells as a horizontal SVG bar chart on the server (no
// script, no inline style: only SVG attributes, which the CSP allows). A
// suppressed cell gets no bar, only its "<3" label.
func barChart(title string, cells []store.StatCell) template.HTML {
	const rowH, labelW, barW = 22, 190, 320
	maxN := 1
	for _, c := range cells {
		if c.Count != nil && *c.Count > maxN {
			maxN = *c.Count
		}
	}
	h := rowH*len(cells) + 30
	var b strings.Builder
	esc := template.HTMLEscapeString
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-label="%s" width="%d" height="%d" viewBox="0 0 %d %d" xmlns="http://www.w3.org/2000/svg">`,
		esc(title), labelW+barW+60, h, labelW+barW+60, h)
	fmt.Fprintf(&b, `<title>%s</title><text x="0" y="16" font-weight="bold">%s</text>`, esc(title), esc(title))
	for i, c := range cells {
		y := 30 + i*rowH
		fmt.Fprintf(&b, `<text x="0" y="%d" font-size="13">%s</text>`, y+14, esc(c.Key))
		if c.Count != nil {
			w := max(1, *c.Count*barW/maxN)
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#2b6cb0"></rect>`, labelW, y+2, w, rowH-6)
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13">%s</text>`, labelW+w+6, y+14, esc(c.Display()))
		} else {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" fill="#666">%s (suppressed)</text>`, labelW, y+14, esc(c.Display()))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text above is escaped
}
