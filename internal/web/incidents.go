package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/store"
)

// registerIncidentRoutes adds the incident area: the JSON API under
// /api/v1/incidents and the pages under /incidents. Reading needs a viewer,
// every change a reporter; the store checks the incident's organisation.
func (s *Server) registerIncidentRoutes() {
	get, post, patch, put := http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut
	read, write := access.ActRead, access.ActWrite
	api := func(rt Route, h handlerFunc) { rt.API = true; s.handle(rt, h) }
	const in = "/api/v1/incidents/{incident}"
	api(Route{Method: get, Path: "/api/v1/incidents", Auth: User, Act: read, Summary: "Incidents of the caller's organisation, newest first (?status, ?open=1, ?regime=nis2|gdpr|mdr, ?at_risk=1, ?before=ID, ?limit=N)", Resp: "IncidentPage"}, s.apiIncidents)
	api(Route{Method: post, Path: "/api/v1/incidents", Auth: User, Act: write, Summary: "Report an incident; its regulatory obligations are computed at once. A TLP:RED incident shared with the CSIRT (a NIS2 report shares it at once) must name in red_people the CSIRT users who may read it", Body: "IncidentInput", Resp: "Incident"}, s.apiIncidentCreate)
	api(Route{Method: get, Path: "/api/v1/incidents/csirt-people", Auth: User, Act: read, Summary: "The CSIRT's active users, whom a TLP:RED incident may name in red_people", Resp: "PersonList"}, s.apiCSIRTPeople)
	api(Route{Method: get, Path: in, Auth: User, Act: read, Summary: "One incident with obligations, timeline, tasks, observables and comments", Resp: "Incident"}, s.apiIncident)
	api(Route{Method: patch, Path: in, Auth: User, Act: write, Summary: "Change fields of the record (merge); an assessment field reassesses the clocks; red_people replaces the CSIRT users named for TLP:RED; a looser tlp is audited as a downgrade", Body: "IncidentInput", Resp: "Incident"}, s.apiIncidentUpdate)
	api(Route{Method: put, Path: in + "/assessment", Auth: User, Act: write, Summary: "Replace the regulatory assessment; submitted reports stay submitted", Body: "Assessment", Resp: "Incident"}, s.apiIncidentReassess)
	api(Route{Method: get, Path: in + "/obligations", Auth: User, Act: read, Summary: "Regulatory obligations (NIS2, GDPR, MDR) with due time and status as of now", Resp: "ObligationList"}, s.apiObligations)
	api(Route{Method: post, Path: in + "/obligations/{stage}/submit", Auth: User, Act: write, Summary: "Record the submission of a report; {stage} is regime.stage, e.g. gdpr.notification. A late GDPR notification needs late_reason", Body: "Submission", Resp: "Obligation"}, s.apiSubmit)
	api(Route{Method: get, Path: in + "/reports/{stage}", Auth: User, Act: read, Summary: "The report of a stage (regime.stage), pre-filled from the incident, or as submitted", Resp: "ReportDoc"}, s.apiReport)
	api(Route{Method: post, Path: in + "/transition", Auth: User, Act: write, Summary: "Move the incident through the workflow (closing needs an outcome)", Body: "Transition", Resp: "Incident"}, s.apiTransition)
	api(Route{Method: get, Path: in + "/tasks", Auth: User, Act: read, Summary: "Tasks of an incident", Resp: "TaskList"}, s.apiTasks)
	api(Route{Method: post, Path: in + "/tasks", Auth: User, Act: write, Summary: "Add a task", Body: "Task", Resp: "Task"}, s.apiTaskAdd)
	api(Route{Method: patch, Path: in + "/tasks/{task}", Auth: User, Act: write, Summary: "Change a task (merge)", Body: "Task", Resp: "Task"}, s.apiTaskUpdate)
	api(Route{Method: get, Path: in + "/observables", Auth: User, Act: read, Summary: "Observables (indicators) of an incident", Resp: "ObservableList"}, s.apiObservables)
	api(Route{Method: post, Path: in + "/observables", Auth: User, Act: write, Summary: "Add an observable; it is validated and normalised (refanged)", Body: "Observable", Resp: "Observable"}, s.apiObservableAdd)
	api(Route{Method: get, Path: in + "/comments", Auth: User, Act: read, Summary: "Comments on an incident", Resp: "CommentList"}, s.apiComments)
	api(Route{Method: post, Path: in + "/comments", Auth: User, Act: write, Summary: "Add a comment", Body: "Comment", Resp: "Comment"}, s.apiCommentAdd)

	const pg = "/incidents/{incident}"
	s.handle(Route{Method: get, Path: "/incidents", Auth: User, Act: read}, s.incidentsPage)
	s.handle(Route{Method: get, Path: "/incidents/new", Auth: User, Act: write}, s.incidentNewPage)
	s.handle(Route{Method: post, Path: "/incidents", Auth: User, Act: write}, s.incidentCreate)
	s.handle(Route{Method: get, Path: pg, Auth: User, Act: read}, s.incidentPage)
	s.handle(Route{Method: post, Path: pg + "/transition", Auth: User, Act: write}, s.incidentTransition)
	s.handle(Route{Method: post, Path: pg + "/assessment", Auth: User, Act: write}, s.incidentReassess)
	s.handle(Route{Method: post, Path: pg + "/edit", Auth: User, Act: write}, s.incidentEdit)
	s.handle(Route{Method: post, Path: pg + "/tasks", Auth: User, Act: write}, s.incidentTaskAdd)
	s.handle(Route{Method: post, Path: pg + "/tasks/{task}", Auth: User, Act: write}, s.incidentTaskUpdate)
	s.handle(Route{Method: post, Path: pg + "/observables", Auth: User, Act: write}, s.incidentObservableAdd)
	s.handle(Route{Method: post, Path: pg + "/comments", Auth: User, Act: write}, s.incidentCommentAdd)
	s.handle(Route{Method: get, Path: pg + "/reports/{stage}", Auth: User, Act: read}, s.incidentReportPage)
	s.handle(Route{Method: post, Path: pg + "/obligations/{stage}/submit", Auth: User, Act: write}, s.incidentSubmit)
	s.registerCSIRTIncidentRoutes()
	s.registerIncidentAttachmentRoutes()
}

func init() {
	tri := map[string]any{"type": "string", "enum": []string{"yes", "no", "unknown"}}
	strs := arr(str)
	obligation := obj(nil, map[string]any{"key": str, "regime": map[string]any{"type": "string", "enum": []string{"nis2", "gdpr", "mdr"}},
		"stage": str, "title": str, "article": str, "due_at": when, "status": map[string]any{"type": "string", "enum": []string{"pending", "late", "submitted", "not_applicable"}},
		"submitted_at": when, "submitted_by": str, "late_reason": str, "requires_late_reason": boolean, "basis": str, "snapshot": map[string]any{"type": "object"}})
	assessment := obj(nil, map[string]any{"severe_operational_disruption": boolean, "financial_loss": boolean, "considerable_damage_to_others": boolean,
		"intermediate_report_due": when, "personal_data_breach": boolean, "personal_data_aware_at": when, "risk_unlikely": boolean,
		"risk_unlikely_reason": str, "high_risk": boolean, "art34_exemption": map[string]any{"type": "string", "enum": []string{"", "protected", "mitigated", "disproportionate_effort"}},
		"art34_exemption_reason": str, "serious_incident": boolean, "death_or_serious_deterioration": boolean, "serious_public_health_threat": boolean,
		"assessed_at": when, "assessed_by": str})
	task := obj([]string{"title"}, map[string]any{"id": integer, "title": str, "assignee": str, "due": when,
		"status": map[string]any{"type": "string", "enum": []string{"open", "in_progress", "done"}}})
	observable := obj([]string{"kind", "value"}, map[string]any{"kind": map[string]any{"type": "string", "enum": []string{"ip", "domain", "url", "hash", "md5", "sha1", "sha256", "sha512", "email", "filename"}},
		"value": str, "note": str})
	comment := obj([]string{"text"}, map[string]any{"id": integer, "at": when, "author": str, "text": str})
	record := map[string]any{"title": str, "description": str, "detected_at": when, "aware_at": when, "time_zone": str, "reporter": str,
		"classification":      obj(nil, map[string]any{"class": str, "type": str}),
		"severity":            map[string]any{"type": "string", "enum": []string{"", "low", "medium", "high", "critical"}},
		"suspected_malicious": tri, "cross_border": tri,
		"impact_on_care": obj(nil, map[string]any{"services_affected": strs, "ambulance_diversion": boolean, "postponed_procedures": integer, "duration_minutes": integer}),
		"patient_safety": map[string]any{"type": "string", "enum": []string{"", "none", "potential", "harm"}},
		"personal_data":  obj(nil, map[string]any{"data_categories": strs, "subject_categories": strs, "approx_subjects": integer, "approx_records": integer}),
		"root_cause":     str, "mitigation": str, "contact_point": str, "device_ids": arr(integer), "tlp": str, "assessment": ref("Assessment")}
	full := map[string]any{"id": integer, "org_id": integer, "status": str, "outcome": str, "handled_at": when, "created_by": str, "created_at": when, "updated_at": when,
		"obligations": arr(ref("Obligation")), "tasks": arr(ref("Task")), "observables": arr(ref("Observable")), "comments": arr(ref("Comment")),
		"timeline": arr(obj(nil, map[string]any{"seq": integer, "at": when, "actor": str, "kind": str, "text": str}))}
	for k, v := range record {
		full[k] = v
	}
	schemas["Obligation"] = obligation
	schemas["ObligationList"] = arr(ref("Obligation"))
	schemas["Assessment"] = assessment
	schemas["Task"] = task
	schemas["TaskList"] = obj(nil, map[string]any{"tasks": arr(ref("Task"))})
	schemas["Observable"] = observable
	schemas["ObservableList"] = obj(nil, map[string]any{"observables": arr(ref("Observable"))})
	schemas["Comment"] = comment
	schemas["CommentList"] = obj(nil, map[string]any{"comments": arr(ref("Comment"))})
	input := map[string]any{"red_people": map[string]any{"type": "array", "items": integer, "description": "CSIRT users (ids) who may read the incident while it is TLP:RED and shared"}}
	for k, v := range record {
		input[k] = v
	}
	full["red_people"] = arr(ref("Person"))
	schemas["IncidentInput"] = obj([]string{"title", "aware_at"}, input)
	schemas["Incident"] = obj(nil, full)
	schemas["PersonList"] = obj(nil, map[string]any{"people": arr(ref("Person"))})
	schemas["IncidentPage"] = obj(nil, map[string]any{"incidents": arr(ref("Incident")), "next": integer})
	schemas["Submission"] = obj(nil, map[string]any{"late_reason": str, "report": map[string]any{"type": "object", "description": "the report as sent, if edited; default: the pre-filled report"}})
	schemas["Transition"] = obj([]string{"status"}, map[string]any{"status": str, "outcome": map[string]any{"type": "string", "enum": []string{"", "resolved", "false_positive", "duplicate"}}})
	schemas["ReportDoc"] = obj(nil, map[string]any{"regime": str, "stage": str, "title": str, "article": str, "incident_id": integer, "org_id": integer,
		"incident_title": str, "aware_at": when, "due_at": when,
		"items": arr(obj(nil, map[string]any{"key": str, "ref": str, "label": str, "value": str, "missing": boolean}))})

	templateFuncs["countdown"] = countdown
	templateFuncs["iso"] = func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.UTC().Format(time.RFC3339)
		case *time.Time:
			if v != nil {
				return v.UTC().Format(time.RFC3339)
			}
		}
		return ""
	}
	templateFuncs["title"] = func(s any) string {
		v := strings.ReplaceAll(fmt.Sprint(s), "_", " ")
		if v == "" {
			return v
		}
		return strings.ToUpper(v[:1]) + v[1:]
	}
	templateFuncs["join"] = strings.Join
	templateFuncs["list"] = func(v ...string) []string { return v }
	templateFuncs["upper"] = strings.ToUpper
}

// countdown says how long until a deadline, or how late it is, in the
// words the incident page shows ("due in 5 h 12 min", "late by 2 h 3 min");
// incident.js rewrites it every 30 s with the same rules.
func countdown(due *time.Time, now time.Time) string {
	if due == nil {
		return "no fixed deadline"
	}
	d := due.Sub(now)
	if d < 0 {
		return "late by " + span(-d)
	}
	return "due in " + span(d)
}

func span(d time.Duration) string {
	m := int(d / time.Minute)
	days, h, min := m/(24*60), m/60%24, m%60
	switch {
	case days > 0:
		return fmt.Sprintf("%d d %d h", days, h)
	case h > 0:
		return fmt.Sprintf("%d h %d min", h, min)
	case min == 0:
		return "less than 1 min"
	}
	return fmt.Sprintf("%d min", min)
}

// --- JSON API ---

// incidentInput is the editable part of an incident in the API: the
// record's fields plus, optionally, the assessment.
type incidentInput struct {
	Title              string                       `json:"title"`
	Description        string                       `json:"description"`
	DetectedAt         *time.Time                   `json:"detected_at"`
	AwareAt            time.Time                    `json:"aware_at"`
	TimeZone           string                       `json:"time_zone"`
	Reporter           string                       `json:"reporter"`
	Classification     incident.Classification      `json:"classification"`
	Severity           incident.Severity            `json:"severity"`
	SuspectedMalicious incident.Tristate            `json:"suspected_malicious"`
	CrossBorder        incident.Tristate            `json:"cross_border"`
	ImpactOnCare       incident.ImpactOnCare        `json:"impact_on_care"`
	PatientSafety      incident.PatientSafety       `json:"patient_safety"`
	PersonalData       *incident.PersonalDataBreach `json:"personal_data"`
	RootCause          string                       `json:"root_cause"`
	Mitigation         string                       `json:"mitigation"`
	ContactPoint       string                       `json:"contact_point"`
	DeviceIDs          []int64                      `json:"device_ids"`
	TLP                incident.TLP                 `json:"tlp"`
	Assessment         *incident.Assessment         `json:"assessment"`
	// RedPeople names the CSIRT users who may read the incident at
	// TLP:RED; nil (absent) keeps the current names.
	RedPeople *[]int64 `json:"red_people"`
}

func inputOf(in *incident.Incident) incidentInput {
	v := incidentInput{Title: in.Title, Description: in.Description, AwareAt: in.AwareAt, TimeZone: in.TimeZone, Reporter: in.Reporter,
		Classification: in.Classification, Severity: in.Severity, SuspectedMalicious: in.SuspectedMalicious, CrossBorder: in.CrossBorder,
		ImpactOnCare: in.ImpactOnCare, PatientSafety: in.PatientSafety, PersonalData: in.PersonalData, RootCause: in.RootCause,
		Mitigation: in.Mitigation, ContactPoint: in.ContactPoint, DeviceIDs: in.DeviceIDs, TLP: in.TLP}
	if !in.DetectedAt.IsZero() {
		t := in.DetectedAt
		v.DetectedAt = &t
	}
	return v
}

func (v incidentInput) apply(in *incident.Incident) {
	in.Title, in.Description, in.AwareAt, in.TimeZone, in.Reporter = v.Title, v.Description, v.AwareAt, v.TimeZone, v.Reporter
	in.Classification, in.Severity, in.SuspectedMalicious, in.CrossBorder = v.Classification, v.Severity, v.SuspectedMalicious, v.CrossBorder
	in.ImpactOnCare, in.PatientSafety, in.PersonalData = v.ImpactOnCare, v.PatientSafety, v.PersonalData
	in.RootCause, in.Mitigation, in.ContactPoint, in.DeviceIDs, in.TLP = v.RootCause, v.Mitigation, v.ContactPoint, v.DeviceIDs, v.TLP
	in.DetectedAt = time.Time{}
	if v.DetectedAt != nil {
		in.DetectedAt = *v.DetectedAt
	}
}

func (s *Server) apiIncidents(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	f, err := incidentFilter(r.URL.Query(), s.regimeIDs())
	if err != nil {
		return err
	}
	f.Now = s.now()
	page, err := s.db.ListIncidents(r.Context(), p, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// incidentFilter reads the list filters from a query; ?org and other
// unknown parameters are ignored, the store scopes to the caller.
func incidentFilter(q url.Values, regimes []string) (store.IncidentFilter, error) {
	f := store.IncidentFilter{Status: incident.Status(q.Get("status")), Regime: q.Get("regime"),
		Open: q.Get("open") == "1" || q.Get("open") == "true", AtRisk: q.Get("at_risk") == "1" || q.Get("at_risk") == "true"}
	if f.Status != "" && !slices.Contains(statuses, f.Status) {
		return f, aceso.Errorf(aceso.EINVALID, "status: %q is not a status (%s)", f.Status, joinStatuses(statuses))
	}
	if f.Regime != "" && !slices.Contains(regimes, f.Regime) {
		return f, aceso.Errorf(aceso.EINVALID, "regime: %q is not one of %s", f.Regime, strings.Join(regimes, ", "))
	}
	if err := queryNumber(q, "before", 0, 0, &f.Before); err != nil {
		return f, err
	}
	return f, queryNumber(q, "limit", 1, 500, &f.Limit)
}

var statuses = []incident.Status{incident.StatusNew, incident.StatusTriage, incident.StatusContainment, incident.StatusEradication, incident.StatusRecovery, incident.StatusClosed}

func joinStatuses(v []incident.Status) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}

// regimeIDs lists the ids of the deployment's regimes, for filters.
func (s *Server) regimeIDs() []string {
	var ids []string
	for _, rg := range s.db.IncidentRegimes().Regimes {
		ids = append(ids, rg.ID)
	}
	return ids
}

func (s *Server) apiIncidentCreate(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var v incidentInput
	if err := decodeJSON(r, &v); err != nil {
		return err
	}
	var in incident.Incident
	v.apply(&in)
	var a incident.Assessment
	if v.Assessment != nil {
		a = *v.Assessment
	}
	var people []int64
	if v.RedPeople != nil {
		people = *v.RedPeople
	}
	var rec store.Incident
	err := s.db.InTx(r.Context(), func(tx *store.Tx) error {
		var err error
		rec, err = tx.CreateIncident(r.Context(), p, &in, a, people...)
		return err
	})
	if err != nil {
		return err
	}
	rec, err = s.db.Incident(r.Context(), p, rec.ID, s.now())
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/incidents/"+itoa(rec.ID))
	writeJSON(w, http.StatusCreated, rec)
	return nil
}

func (s *Server) loadIncident(r *http.Request, p access.Principal) (store.Incident, error) {
	id, err := pathID(r, "incident")
	if err != nil {
		return store.Incident{}, err
	}
	return s.db.Incident(r.Context(), p, id, s.now())
}

func (s *Server) apiIncident(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	rec, err := s.loadIncident(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rec)
	return nil
}

// update runs a store write on the incident of the path and answers with
// the incident as it is afterwards.
func (s *Server) update(w http.ResponseWriter, r *http.Request, p access.Principal, status int, fn func(tx *store.Tx, id int64) error) error {
	id, err := pathID(r, "incident")
	if err != nil {
		return err
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return fn(tx, id) }); err != nil {
		return err
	}
	rec, err := s.db.Incident(r.Context(), p, id, s.now())
	if err != nil {
		return err
	}
	writeJSON(w, status, rec)
	return nil
}

func (s *Server) apiIncidentUpdate(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var probe incidentInput
	if err := decodeJSONBytes(body, &probe); err != nil {
		return err
	}
	return s.update(w, r, p, http.StatusOK, func(tx *store.Tx, id int64) error {
		return updateNaming(r.Context(), tx, p, id, probe.RedPeople, func() error {
			_, err := tx.UpdateIncident(r.Context(), p, id, func(in *incident.Incident, a *incident.Assessment) error {
				v := inputOf(in)
				v.Assessment = a
				if err := decodeJSONBytes(body, &v); err != nil {
					return err
				}
				v.apply(in)
				if v.Assessment != nil {
					*a = *v.Assessment
				}
				return nil
			})
			return err
		})
	})
}

// updateNaming runs update together with a change of the named CSIRT
// people (nil: none): names are added before the update and removed after
// it, so that relabelling a shared incident RED with its first names, or
// downgrading it while dropping them, passes the store's check that a
// shared RED incident names someone at every step.
func updateNaming(ctx context.Context, tx *store.Tx, p access.Principal, id int64, people *[]int64, update func() error) error {
	if people != nil && len(*people) > 0 {
		if _, err := tx.SetRedPeople(ctx, p, id, *people); err != nil {
			return err
		}
	}
	if err := update(); err != nil {
		return err
	}
	if people != nil && len(*people) == 0 {
		_, err := tx.SetRedPeople(ctx, p, id, nil)
		return err
	}
	return nil
}

func (s *Server) apiCSIRTPeople(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	people, err := s.db.CSIRTPeople(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"people": people})
	return nil
}

// readBody reads a JSON body whole, for merge updates that decode it onto
// the current state inside the transaction.
func readBody(r *http.Request) ([]byte, error) {
	var raw json.RawMessage
	if err := decodeJSON(r, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// decodeJSONBytes decodes with the same strictness as decodeJSON.
func decodeJSONBytes(b []byte, v any) error {
	r, _ := http.NewRequest(http.MethodPost, "/", strings.NewReader(string(b)))
	return decodeJSON(r, v)
}

func (s *Server) apiIncidentReassess(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var a incident.Assessment
	if err := decodeJSON(r, &a); err != nil {
		return err
	}
	return s.update(w, r, p, http.StatusOK, func(tx *store.Tx, id int64) error {
		_, err := tx.Reassess(r.Context(), p, id, a)
		return err
	})
}

func (s *Server) apiObligations(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	rec, err := s.loadIncident(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(rec.Obligations))
	return nil
}

// stageOf resolves the {stage} path value: "regime.stage", or a bare stage
// name when only one regime has it. Anything else is not found.
func stageOf(r *http.Request, rec *store.Incident) (store.Obligation, error) {
	v := r.PathValue("stage")
	if regime, stage, ok := strings.Cut(v, "."); ok {
		if o, ok := rec.Obligation(regime, stage); ok {
			return o, nil
		}
	} else {
		var found []store.Obligation
		for _, o := range rec.Obligations {
			if o.Stage == v {
				found = append(found, o)
			}
		}
		switch len(found) {
		case 1:
			return found[0], nil
		case 0:
		default:
			keys := make([]string, len(found))
			for i, o := range found {
				keys[i] = o.Key()
			}
			return store.Obligation{}, aceso.Errorf(aceso.ENOTFOUND, "stage %q is ambiguous: use %s", v, strings.Join(keys, " or "))
		}
	}
	return store.Obligation{}, aceso.Errorf(aceso.ENOTFOUND, "incident %d has no report stage %q (use regime.stage, e.g. gdpr.notification)", rec.ID, v)
}

func (s *Server) apiSubmit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var in struct {
		LateReason string          `json:"late_reason"`
		Report     json.RawMessage `json:"report"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ob, err := s.submit(r, p, in.Report, in.LateReason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ob)
	return nil
}

func (s *Server) submit(r *http.Request, p access.Principal, report []byte, lateReason string) (store.Obligation, error) {
	rec, err := s.loadIncident(r, p)
	if err != nil {
		return store.Obligation{}, err
	}
	target, err := stageOf(r, &rec)
	if err != nil {
		return store.Obligation{}, err
	}
	if string(report) == "null" {
		report = nil
	}
	var ob store.Obligation
	err = s.db.InTx(r.Context(), func(tx *store.Tx) error {
		var err error
		ob, err = tx.SubmitObligation(r.Context(), p, rec.ID, target.Regime, target.Stage, report, lateReason)
		return err
	})
	return ob, err
}

// reportOf is the report of an obligation: what was sent once submitted,
// the pre-filled draft before.
func reportOf(rec *store.Incident, ob store.Obligation) (incident.ReportDoc, error) {
	if ob.SubmittedAt != nil && len(ob.Snapshot) > 0 {
		var doc incident.ReportDoc
		if err := json.Unmarshal(ob.Snapshot, &doc); err == nil && doc.Stage != "" {
			return doc, nil
		}
	}
	return incident.Report(&rec.Incident, ob.Obligation), nil
}

func (s *Server) apiReport(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	rec, err := s.loadIncident(r, p)
	if err != nil {
		return err
	}
	ob, err := stageOf(r, &rec)
	if err != nil {
		return err
	}
	doc, err := reportOf(&rec, ob)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}

func (s *Server) apiTransition(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var in struct {
		Status  incident.Status  `json:"status"`
		Outcome incident.Outcome `json:"outcome"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	return s.update(w, r, p, http.StatusOK, func(tx *store.Tx, id int64) error {
		_, err := tx.TransitionIncident(r.Context(), p, id, in.Status, in.Outcome)
		return err
	})
}

func (s *Server) apiTasks(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	rec, err := s.loadIncident(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tasks": nonNil(rec.Tasks)})
	return nil
}

func (s *Server) apiTaskAdd(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var t incident.Task
	if err := decodeJSON(r, &t); err != nil {
		return err
	}
	t.ID = 0
	id, err := pathID(r, "incident")
	if err != nil {
		return err
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.AddTask(r.Context(), p, id, &t) }); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) apiTaskUpdate(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	t, err := s.editTask(r, p, func(t *incident.Task) error { return decodeJSONBytes(body, t) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// editTask loads the task of the path, lets edit change it and stores it.
func (s *Server) editTask(r *http.Request, p access.Principal, edit func(t *incident.Task) error) (incident.Task, error) {
	rec, err := s.loadIncident(r, p)
	if err != nil {
		return incident.Task{}, err
	}
	taskID, err := pathID(r, "task")
	if err != nil {
		return incident.Task{}, err
	}
	i := slices.IndexFunc(rec.Tasks, func(t incident.Task) bool { return t.ID == taskID })
	if i < 0 {
		return incident.Task{}, aceso.Errorf(aceso.ENOTFOUND, "task %d of incident %d not found", taskID, rec.ID)
	}
	t := rec.Tasks[i]
	if err := edit(&t); err != nil {
		return t, err
	}
	t.ID = taskID
	err = s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.UpdateTask(r.Context(), p, rec.ID, &t) })
	return t, err
}

func (s *Server) apiObservables(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	rec, err := s.loadIncident(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"observables": nonNil(rec.Observables)})
	return nil
}

func (s *Server) apiObservableAdd(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var o incident.Observable
	if err := decodeJSON(r, &o); err != nil {
		return err
	}
	id, err := pathID(r, "incident")
	if err != nil {
		return err
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.AddObservable(r.Context(), p, id, &o) }); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, o)
	return nil
}

func (s *Server) apiComments(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	rec, err := s.loadIncident(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"comments": nonNil(rec.Comments)})
	return nil
}

func (s *Server) apiCommentAdd(w http.ResponseWriter, r *http.Request, p access.Principal) error {
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
	c := incident.Comment{Text: in.Text}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.AddComment(r.Context(), p, id, &c) }); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}
