package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/match"
	"github.com/aceso-health/aceso/internal/ssvc"
	"github.com/aceso-health/aceso/internal/store"
)

// registerFindingRoutes adds advisories, findings, the review queue and
// SSVC overrides: API and UI.
func (s *Server) registerFindingRoutes() {
	get, post, patch := http.MethodGet, http.MethodPost, http.MethodPatch
	read, analyse := access.ActRead, access.ActAnalyse
	api := func(rt Route, h handlerFunc) { rt.API = true; s.handle(rt, h) }

	api(Route{Method: get, Path: "/api/v1/advisories", Auth: User, Act: read, Summary: "Advisories the caller may see, with the caller's finding counts (?q=)", Resp: "AdvisoryList"}, s.apiAdvisories)
	api(Route{Method: get, Path: "/api/v1/advisories/{advisory}", Auth: User, Act: read, Summary: "One advisory: a member gets its own affected devices, the CSIRT the sector counts", Resp: "AdvisoryView"}, s.apiAdvisory)
	api(Route{Method: post, Path: "/api/v1/advisories", Auth: User, Act: analyse, MaxBody: 16 << 20, Summary: "Upload a CSAF 2.0 document (CSIRT analysts); it is stored and matched against every member", Body: "CSAF", Resp: "AdvisoryImport"}, s.apiAdvisoryImport)
	api(Route{Method: post, Path: "/api/v1/kev", Auth: User, Act: analyse, MaxBody: 16 << 20, Summary: "Upload the CISA KEV catalogue JSON (CSIRT analysts); priorities are recomputed", Body: "KEVCatalogue", Resp: "KEVImport"}, s.apiKEVImport)
	api(Route{Method: get, Path: "/api/v1/findings", Auth: User, Act: read, Summary: "Findings of the caller's organisation, most urgent first (?ssvc, state, status, manufacturer, department, advisory, device, after, limit)", Resp: "FindingPage"}, s.apiFindings)
	api(Route{Method: get, Path: "/api/v1/findings/summary", Auth: User, Act: read, Summary: "Findings dashboard counts of the caller's organisation", Resp: "FindingSummary"}, s.apiFindingSummary)
	api(Route{Method: get, Path: "/api/v1/findings/{finding}", Auth: User, Act: read, Summary: "One finding", Resp: "Finding"}, s.apiFinding)
	api(Route{Method: patch, Path: "/api/v1/findings/{finding}", Auth: User, Act: analyse, Summary: "Change a finding's state (note, approver, accepted_until for risk acceptance)", Body: "FindingChange", Resp: "Finding"}, s.apiFindingState)
	api(Route{Method: get, Path: "/api/v1/review", Auth: User, Act: read, Summary: "Review queue: possibly affected findings grouped by device model and advisory product", Resp: "ReviewQueue"}, s.apiReview)
	api(Route{Method: post, Path: "/api/v1/findings/{finding}/review", Auth: User, Act: analyse, Summary: "Confirm or reject the product match of a finding; applies to every device of the model", Body: "ReviewDecision", Resp: "ReviewOutcome"}, s.apiReviewDecide)
	api(Route{Method: post, Path: "/api/v1/findings/{finding}/ssvc", Auth: User, Act: analyse, Summary: "Override one SSVC input with a reason (empty value removes the override)", Body: "SSVCOverride", Resp: "Finding"}, s.apiSSVCOverride)

	s.handle(Route{Method: get, Path: "/findings", Auth: User, Act: read}, s.findingsDashboard)
	s.handle(Route{Method: get, Path: "/findings/list", Auth: User, Act: read}, s.findingsListPage)
	s.handle(Route{Method: get, Path: "/findings/{finding}", Auth: User, Act: read}, s.findingPage)
	s.handle(Route{Method: post, Path: "/findings/{finding}/state", Auth: User, Act: analyse}, s.findingStateSubmit)
	s.handle(Route{Method: post, Path: "/findings/{finding}/ssvc", Auth: User, Act: analyse}, s.findingSSVCSubmit)
	s.handle(Route{Method: post, Path: "/findings/{finding}/review", Auth: User, Act: analyse}, s.findingReviewSubmit)
	s.handle(Route{Method: get, Path: "/review", Auth: User, Act: read}, s.reviewPage)
	s.handle(Route{Method: get, Path: "/advisories", Auth: User, Act: read}, s.advisoriesPage)
	s.handle(Route{Method: post, Path: "/advisories", Auth: User, Act: analyse, MaxBody: 16 << 20}, s.advisoryUpload)
	s.handle(Route{Method: get, Path: "/advisories/{advisory}", Auth: User, Act: read}, s.advisoryPage)
}

func init() {
	templateFuncs["ssvcClass"] = func(d ssvc.Decision) string { return decisionClass(string(d)) }
	templateFuncs["percent"] = func(f float64) string { return fmt.Sprintf("%.0f %%", f*100) }
	templateFuncs["label"] = func(s string) string { return strings.ReplaceAll(s, "_", " ") }
	num := map[string]any{"type": "number"}
	obj0 := map[string]any{"type": "object"}
	count := obj(nil, map[string]any{"key": str, "findings": integer, "devices": integer})
	schemas["Advisory"] = obj(nil, map[string]any{"id": integer, "tracking_id": str, "title": str, "publisher": str, "tlp": str,
		"initial_release": when, "current_release": when, "revision": str, "status": str, "sha256": str, "source": str,
		"cves": arr(str), "warnings": arr(str), "created_at": when, "updated_at": when, "document": obj0,
		"my_findings": integer, "my_devices": integer})
	schemas["AdvisoryList"] = obj(nil, map[string]any{"advisories": arr(ref("Advisory"))})
	schemas["AdvisoryImpact"] = obj(nil, map[string]any{"orgs": integer, "devices": integer, "affected_orgs": integer,
		"affected_devices": integer, "possibly_affected_devices": integer, "live_findings": integer})
	schemas["AdvisoryView"] = obj(nil, map[string]any{"advisory": ref("Advisory"), "findings": arr(ref("Finding")), "impact": ref("AdvisoryImpact")})
	schemas["CSAF"] = map[string]any{"type": "object", "description": "A CSAF 2.0 document (application/json)"}
	schemas["KEVCatalogue"] = map[string]any{"type": "object", "description": "CISA known_exploited_vulnerabilities.json"}
	schemas["AdvisoryImport"] = obj(nil, map[string]any{"tracking_id": str, "id": integer, "outcome": str, "warnings": arr(str),
		"matched": obj0, "impact": ref("AdvisoryImpact")})
	schemas["KEVImport"] = obj(nil, map[string]any{"entries": integer, "new": integer, "matched": obj0})
	schemas["Finding"] = obj(nil, map[string]any{"id": integer, "org_id": integer, "device_id": integer, "advisory_id": integer,
		"tracking_id": str, "advisory_title": str, "vuln_key": str,
		"status":     map[string]any{"type": "string", "enum": []string{"affected", "possibly_affected"}},
		"confidence": num, "reason": str, "product_id": str, "product_key": str, "product_name": str, "manufacturer_norm": str,
		"model": str, "remediations": arr(obj(nil, map[string]any{"category": str, "details": str, "url": str})), "vendor_fix": boolean,
		"ssvc": obj(nil, map[string]any{"decision": str, "inputs": obj0, "why": str}), "ssvc_matched_inputs": obj0, "ssvc_overrides": obj0,
		"state":              map[string]any{"type": "string", "enum": []string{"open", "in_progress", "remediated", "mitigated", "risk_accepted", "false_positive"}},
		"acceptance_expired": boolean, "state_note": str, "approver": str, "accepted_until": when, "state_by": str, "state_at": when,
		"auto_closed": boolean, "first_seen": when, "last_matched": when, "updated_at": when, "device": obj0})
	schemas["FindingPage"] = obj(nil, map[string]any{"findings": arr(ref("Finding")), "next": str})
	schemas["FindingChange"] = obj([]string{"state"}, map[string]any{"state": str, "note": str, "approver": str, "accepted_until": when})
	schemas["FindingSummary"] = obj(nil, map[string]any{"active": integer, "active_devices": integer, "by_decision": arr(count),
		"by_department": arr(count), "by_manufacturer": arr(count), "by_state": arr(count), "review": integer,
		"no_fix": arr(obj(nil, map[string]any{"device_id": integer, "asset_tag": str, "model": str, "findings": integer}))})
	schemas["ReviewQueue"] = obj(nil, map[string]any{"groups": arr(obj(nil, map[string]any{"manufacturer_norm": str, "model": str,
		"product_key": str, "product_name": str, "devices": integer, "findings": integer, "advisories": integer, "tracking_id": str,
		"finding_id": integer, "max_confidence": num}))})
	schemas["ReviewDecision"] = obj([]string{"decision"}, map[string]any{"decision": map[string]any{"type": "string", "enum": []string{"confirm", "reject"}}, "note": str})
	schemas["ReviewOutcome"] = obj(nil, map[string]any{"manufacturer": str, "model": str, "product_key": str, "confirmed": boolean,
		"devices": integer, "false_positive": integer, "counts": obj0})
	schemas["SSVCOverride"] = obj([]string{"input", "value", "reason"}, map[string]any{
		"input": map[string]any{"type": "string", "enum": []string{"exploitation", "exposure", "automatable", "safety_impact", "mission_impact"}},
		"value": str, "reason": str})
}

// isCSIRT reports whether the caller speaks for the CSIRT.
func isCSIRT(p access.Principal) bool { return p.OrgKind == access.KindCSIRT }

// advisoryRow is an advisory in a list, with the caller's counts.
type advisoryRow struct {
	store.Advisory
	MyFindings int `json:"my_findings"` // members: own findings; CSIRT: member organisations hit
	MyDevices  int `json:"my_devices"`
}

func (s *Server) advisoryRows(ctx context.Context, p access.Principal, q string) ([]advisoryRow, error) {
	list, err := s.db.Advisories(ctx, p, store.AdvisoryFilter{Query: q, Limit: 1000})
	if err != nil {
		return nil, err
	}
	counts, err := s.db.AdvisoryCounts(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]advisoryRow, len(list))
	for i, a := range list {
		c := counts[a.ID]
		out[i] = advisoryRow{Advisory: a, MyFindings: c.Findings, MyDevices: c.Devices}
	}
	return out, nil
}

func (s *Server) apiAdvisories(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	rows, err := s.advisoryRows(r.Context(), p, r.URL.Query().Get("q"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"advisories": rows})
	return nil
}

// advisoryView is one advisory as the caller may see it: its own findings
// for a member, the sector's counts for the CSIRT.
type advisoryView struct {
	Advisory store.Advisory        `json:"advisory"`
	Findings []store.Finding       `json:"findings,omitempty"`
	Impact   *store.AdvisoryImpact `json:"impact,omitempty"`
}

func (s *Server) loadAdvisoryView(ctx context.Context, p access.Principal, id int64) (advisoryView, error) {
	var v advisoryView
	a, err := s.db.Advisory(ctx, p, id)
	if err != nil {
		return v, err
	}
	v.Advisory = a
	if isCSIRT(p) {
		im, err := s.db.AdvisoryImpact(ctx, p, id)
		if err != nil {
			return v, err
		}
		v.Impact = &im
		return v, nil
	}
	page, err := s.db.ListFindings(ctx, p, store.FindingFilter{AdvisoryID: id, Limit: 500})
	if err != nil {
		return v, err
	}
	v.Findings = page.Findings
	return v, nil
}

func (s *Server) apiAdvisory(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "advisory")
	if err != nil {
		return err
	}
	v, err := s.loadAdvisoryView(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// importResult is what uploading one advisory did.
type importResult struct {
	store.ImportResult
	Warnings []string             `json:"warnings"`
	Matched  store.ApplyCounts    `json:"matched"`
	Impact   store.AdvisoryImpact `json:"impact"`
}

// importCSAF parses, stores and matches one uploaded CSAF document.
func (s *Server) importCSAF(ctx context.Context, p access.Principal, name string, data []byte) (importResult, error) {
	var out importResult
	if !isCSIRT(p) {
		return out, aceso.Errorf(aceso.EFORBIDDEN, "only the CSIRT ingests advisories")
	}
	a, err := advisory.Parse(data)
	if err != nil {
		if aceso.ErrorCode(err) == aceso.EINTERNAL {
			return out, aceso.Wrap(aceso.EINVALID, err, "%s: not a CSAF document: %v", name, err)
		}
		return out, err
	}
	a.Source = "upload:" + name
	if err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out.ImportResult, err = tx.ImportAdvisory(ctx, p, a)
		return err
	}); err != nil {
		return out, err
	}
	out.Warnings = a.Warnings
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	if out.Changed() {
		// Members with new findings are alerted through the outbox.
		rep, _, err := s.db.RematchAndAlert(ctx, []int64{out.ID})
		if err != nil {
			return out, err
		}
		out.Matched = rep.Total
	}
	im, err := s.db.AdvisoryImpact(ctx, p, out.ID)
	out.Impact = im
	return out, err
}

func (s *Server) apiAdvisoryImport(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if !isCSIRT(p) {
		return aceso.Errorf(aceso.EFORBIDDEN, "only the CSIRT ingests advisories")
	}
	data, err := readRawBody(r)
	if err != nil {
		return err
	}
	res, err := s.importCSAF(r.Context(), p, "api", data)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if res.Outcome == "new" {
		status = http.StatusCreated
	}
	writeJSON(w, status, res)
	return nil
}

func readRawBody(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if asErr(err, &mbe) {
			return nil, aceso.Errorf(aceso.ETOOLARGE, "request body larger than %d bytes", mbe.Limit)
		}
		return nil, aceso.Errorf(aceso.EINVALID, "read body: %v", err)
	}
	return data, nil
}

func (s *Server) apiKEVImport(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if !isCSIRT(p) {
		return aceso.Errorf(aceso.EFORBIDDEN, "only the CSIRT ingests the KEV catalogue")
	}
	data, err := readRawBody(r)
	if err != nil {
		return err
	}
	entries, err := advisory.ParseKEV(data)
	if err != nil {
		return err
	}
	var c store.KEVCount
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error {
		var err error
		c, err = tx.ImportKEV(r.Context(), p, entries)
		return err
	}); err != nil {
		return err
	}
	// Exploitation feeds every priority: match everything again.
	rep, err := s.db.RematchAdvisories(r.Context(), nil)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": c.Entries, "new": c.New, "matched": rep.Total})
	return nil
}

// findingFilter reads the list filters from the query string. An "org"
// parameter, or any other, is ignored: the store scopes by the principal.
func findingFilter(q url.Values) (store.FindingFilter, error) {
	f := store.FindingFilter{
		Decision: ssvc.Decision(q.Get("ssvc")), State: store.FindingState(q.Get("state")), Status: match.Status(q.Get("status")),
		Manufacturer: q.Get("manufacturer"), Department: q.Get("department"), After: q.Get("after"),
	}
	for _, n := range []struct {
		name string
		dst  *int64
	}{{"advisory", &f.AdvisoryID}, {"device", &f.DeviceID}} {
		if err := queryNumber(q, n.name, 1, 0, n.dst); err != nil {
			return f, err
		}
	}
	return f, queryNumber(q, "limit", 1, 0, &f.Limit)
}

func (s *Server) apiFindings(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	f, err := findingFilter(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := s.db.ListFindings(r.Context(), p, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) apiFindingSummary(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	sum, err := s.db.FindingSummary(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sum)
	return nil
}

func (s *Server) apiFinding(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "finding")
	if err != nil {
		return err
	}
	f, err := s.db.Finding(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (s *Server) setState(ctx context.Context, p access.Principal, id int64, ch store.FindingChange) (store.Finding, error) {
	var f store.Finding
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		f, err = tx.SetFindingState(ctx, p, id, ch)
		return err
	})
	return f, err
}

func (s *Server) apiFindingState(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "finding")
	if err != nil {
		return err
	}
	var ch store.FindingChange
	if err := decodeJSON(r, &ch); err != nil {
		return err
	}
	f, err := s.setState(r.Context(), p, id, ch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (s *Server) apiReview(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q, err := s.db.ReviewQueue(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": q})
	return nil
}

// reviewDecision parses "confirm" or "reject".
func reviewDecision(v string) (bool, error) {
	switch v {
	case "confirm":
		return true, nil
	case "reject":
		return false, nil
	}
	return false, aceso.Errorf(aceso.EINVALID, "decision %q is not one of confirm, reject", v)
}

func (s *Server) apiReviewDecide(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "finding")
	if err != nil {
		return err
	}
	var in struct {
		Decision string `json:"decision"`
		Note     string `json:"note"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	confirm, err := reviewDecision(in.Decision)
	if err != nil {
		return err
	}
	out, err := s.db.DecideReview(r.Context(), p, id, confirm, in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) override(ctx context.Context, p access.Principal, id int64, input, value, reason string) (store.Finding, error) {
	var f store.Finding
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		f, err = tx.OverrideSSVC(ctx, p, id, input, value, reason)
		return err
	})
	return f, err
}

func (s *Server) apiSSVCOverride(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "finding")
	if err != nil {
		return err
	}
	var in struct {
		Input  string `json:"input"`
		Value  string `json:"value"`
		Reason string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	f, err := s.override(r.Context(), p, id, in.Input, in.Value, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

// bar is one bar of a server-rendered SVG chart (no script, no inline style).
type bar struct {
	Label string
	Value int
	Width int // pixels, of barMax
	Y     int
	Class string
}

const barMax = 320

func bars(counts []store.Count, classOf func(string) string) []bar {
	top := 1
	for _, c := range counts {
		top = max(top, c.Findings)
	}
	out := make([]bar, len(counts))
	for i, c := range counts {
		label := c.Key
		if label == "" {
			label = "(not recorded)"
		}
		out[i] = bar{Label: label, Value: c.Findings, Width: c.Findings * barMax / top, Y: i * 28, Class: classOf(c.Key)}
	}
	return out
}

// decisionClass is the CSS class of an SSVC decision.
func decisionClass(d string) string {
	switch ssvc.Decision(d) {
	case ssvc.Immediate:
		return "ssvc-immediate"
	case ssvc.OutOfCycle:
		return "ssvc-ooc"
	case ssvc.Scheduled:
		return "ssvc-scheduled"
	}
	return "ssvc-defer"
}

func (s *Server) findingsDashboard(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	sum, err := s.db.FindingSummary(r.Context(), p)
	if err != nil {
		return err
	}
	data := map[string]any{
		"Summary":    sum,
		"Decisions":  bars(sum.ByDecision, decisionClass),
		"ChartH":     len(sum.ByDecision) * 28,
		"CSIRT":      isCSIRT(p),
		"Department": sum.ByDepartment,
	}
	s.render(w, r, "findings", page{Title: "Findings", Nav: "findings", Data: data})
	return nil
}

func (s *Server) findingsListPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q := r.URL.Query()
	f, err := findingFilter(q)
	if err != nil {
		return err
	}
	if f.State == "" && !q.Has("state") {
		f.State = "active"
	}
	page1, err := s.db.ListFindings(r.Context(), p, f)
	if err != nil {
		return err
	}
	facets, err := s.db.FindingSummary(r.Context(), p)
	if err != nil {
		return err
	}
	next := ""
	if page1.Next != "" {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("after", page1.Next)
		nq.Set("state", string(f.State))
		next = "/findings/list?" + nq.Encode()
	}
	data := map[string]any{"Page": page1, "Filter": f, "Next": next, "States": store.FindingStates,
		"Decisions":     []ssvc.Decision{ssvc.Immediate, ssvc.OutOfCycle, ssvc.Scheduled, ssvc.Defer},
		"Manufacturers": facets.ByManufacturer, "Departments": facets.ByDepartment}
	s.render(w, r, "findings-list", page{Title: "Findings list", Nav: "findings", Data: data})
	return nil
}

// findingPageData is the finding page: the finding and the form choices.
type findingPageData struct {
	F         store.Finding
	States    []store.FindingState
	Inputs    []ssvcInputRow
	CanAct    bool
	DefUntil  string
	Mitigate  []advisory.Remediation // mitigations and workarounds, shown first when no fix can be applied
	Fixes     []advisory.Remediation
	HardPatch bool
}

type ssvcInputRow struct {
	Name, Value, From string
	Choices           []string
	Overridden        bool
}

func (s *Server) findingPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.renderFinding(w, r, p, http.StatusOK, "", r.URL.Query().Get("flash"))
}

func (s *Server) renderFinding(w http.ResponseWriter, r *http.Request, p access.Principal, status int, errMsg, flash string) error {
	id, err := pathID(r, "finding")
	if err != nil {
		return err
	}
	f, err := s.db.Finding(r.Context(), p, id)
	if err != nil {
		return err
	}
	in := f.SSVC.Inputs
	d := findingPageData{F: f, States: store.FindingStates, CanAct: p.Role.AtLeast(access.RoleAnalyst),
		DefUntil: s.now().AddDate(0, 3, 0).Format(time.DateOnly)}
	for _, row := range []struct{ name, value, from string }{
		{"exploitation", string(in.Exploitation), in.ExploitationFrom}, {"exposure", string(in.Exposure), in.ExposureFrom},
		{"automatable", string(in.Automatable), in.AutomatableFrom}, {"safety_impact", string(in.SafetyImpact), in.SafetyFrom},
		{"mission_impact", in.MissionImpact, in.MissionFrom},
	} {
		_, ov := f.Overrides[row.name]
		d.Inputs = append(d.Inputs, ssvcInputRow{Name: row.name, Value: row.value, From: row.from, Choices: store.SSVCInputs[row.name], Overridden: ov})
	}
	for _, rem := range f.Remediations {
		switch rem.Category {
		case advisory.RemediationVendorFix:
			d.Fixes = append(d.Fixes, rem)
		default:
			d.Mitigate = append(d.Mitigate, rem)
		}
	}
	d.HardPatch = len(d.Fixes) == 0 || (f.Device.Patchable != nil && !*f.Device.Patchable)
	if status != http.StatusOK {
		w.WriteHeader(status)
	}
	s.render(w, r, "finding", page{Title: f.TrackingID + " on " + f.Device.AssetTag, Nav: "findings", Data: d, Error: errMsg, Flash: flash})
	return nil
}

// formError re-renders the finding page with a 4xx message for input
// errors; other errors go to fail.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, p access.Principal, err error) error {
	switch aceso.ErrorCode(err) {
	case aceso.EINVALID, aceso.ECONFLICT:
		return s.renderFinding(w, r, p, statusOf[aceso.ErrorCode(err)], aceso.ErrorMessage(err), "")
	}
	return err
}

func (s *Server) findingStateSubmit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "finding")
	if err != nil {
		return err
	}
	state, err := formValue(r, "state")
	if err != nil {
		return err
	}
	ch := store.FindingChange{State: store.FindingState(state), Note: r.PostFormValue("note"), Approver: r.PostFormValue("approver")}
	if v := strings.TrimSpace(r.PostFormValue("accepted_until")); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return s.formError(w, r, p, aceso.Errorf(aceso.EINVALID, "accepted_until %q is not a date (YYYY-MM-DD)", v))
		}
		ch.Until = &t
	}
	if _, err := s.setState(r.Context(), p, id, ch); err != nil {
		return s.formError(w, r, p, err)
	}
	return seeOther(w, r, "/findings/"+itoa(id)+"?flash="+url.QueryEscape("State changed to "+state))
}

func (s *Server) findingSSVCSubmit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "finding")
	if err != nil {
		return err
	}
	input, err := formValue(r, "input")
	if err != nil {
		return err
	}
	f, err := s.override(r.Context(), p, id, input, r.PostFormValue("value"), r.PostFormValue("reason"))
	if err != nil {
		return s.formError(w, r, p, err)
	}
	return seeOther(w, r, "/findings/"+itoa(id)+"?flash="+url.QueryEscape("SSVC decision now "+string(f.SSVC.Decision)))
}

func (s *Server) findingReviewSubmit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "finding")
	if err != nil {
		return err
	}
	v, err := formValue(r, "decision")
	if err != nil {
		return err
	}
	confirm, err := reviewDecision(v)
	if err != nil {
		return s.formError(w, r, p, err)
	}
	out, err := s.db.DecideReview(r.Context(), p, id, confirm, r.PostFormValue("note"))
	if err != nil {
		return s.formError(w, r, p, err)
	}
	msg := fmt.Sprintf("Decision saved for %s %s: %d devices re-matched", out.Manufacturer, out.Model, out.Devices)
	if r.PostFormValue("back") == "review" {
		return seeOther(w, r, "/review?flash="+url.QueryEscape(msg))
	}
	return seeOther(w, r, "/findings/"+itoa(id)+"?flash="+url.QueryEscape(msg))
}

func (s *Server) reviewPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q, err := s.db.ReviewQueue(r.Context(), p)
	if err != nil {
		return err
	}
	s.render(w, r, "review", page{Title: "Review queue", Nav: "review", Flash: r.URL.Query().Get("flash"),
		Data: map[string]any{"Groups": q, "CanAct": p.Role.AtLeast(access.RoleAnalyst)}})
	return nil
}

func (s *Server) advisoriesPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.renderAdvisories(w, r, p, http.StatusOK, "", r.URL.Query().Get("flash"))
}

func (s *Server) renderAdvisories(w http.ResponseWriter, r *http.Request, p access.Principal, status int, errMsg, flash string) error {
	rows, err := s.advisoryRows(r.Context(), p, r.URL.Query().Get("q"))
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		w.WriteHeader(status)
	}
	s.render(w, r, "advisories", page{Title: "Advisories", Nav: "advisories", Error: errMsg, Flash: flash,
		Data: map[string]any{"Rows": rows, "CSIRT": isCSIRT(p), "CanUpload": isCSIRT(p) && p.Role.AtLeast(access.RoleAnalyst), "Q": r.URL.Query().Get("q")}})
	return nil
}

func (s *Server) advisoryUpload(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if !isCSIRT(p) {
		return aceso.Errorf(aceso.EFORBIDDEN, "only the CSIRT ingests advisories")
	}
	file, hdr, err := r.FormFile("csaf")
	if err != nil {
		var mbe *http.MaxBytesError
		if asErr(err, &mbe) {
			return aceso.Errorf(aceso.ETOOLARGE, "upload larger than %d bytes", mbe.Limit)
		}
		return s.renderAdvisories(w, r, p, http.StatusBadRequest, "Choose a CSAF JSON file to upload.", "")
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil {
		return aceso.Errorf(aceso.EINVALID, "read upload: %v", err)
	}
	res, err := s.importCSAF(r.Context(), p, hdr.Filename, data)
	if err != nil {
		if c := aceso.ErrorCode(err); c == aceso.EINVALID || c == aceso.ECONFLICT {
			return s.renderAdvisories(w, r, p, statusOf[c], aceso.ErrorMessage(err), "")
		}
		return err
	}
	msg := fmt.Sprintf("%s: %s, %d warnings; affects %d devices in %d organisations (%d possibly)", res.TrackingID, res.Outcome,
		len(res.Warnings), res.Impact.AffectedDevices, res.Impact.AffectedOrgs, res.Impact.PossibleDevices)
	return seeOther(w, r, "/advisories/"+itoa(res.ID)+"?flash="+url.QueryEscape(msg))
}

func (s *Server) advisoryPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "advisory")
	if err != nil {
		return err
	}
	v, err := s.loadAdvisoryView(r.Context(), p, id)
	if err != nil {
		return err
	}
	s.render(w, r, "advisory", page{Title: v.Advisory.TrackingID, Nav: "advisories", Flash: r.URL.Query().Get("flash"),
		Data: map[string]any{"V": v, "CSIRT": isCSIRT(p)}})
	return nil
}
