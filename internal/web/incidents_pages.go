package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/store"
)

// obligationView is an obligation with what the page shows of its clock.
type obligationView struct {
	store.Obligation
	Countdown string
	// Class is the clock's state for styling and for incident.js: late,
	// soon (due within 24 h), pending, submitted or na.
	Class string
}

func viewObligation(o store.Obligation, now time.Time) obligationView {
	v := obligationView{Obligation: o, Countdown: countdown(o.DueAt, now)}
	switch {
	case o.Status == incident.ObligationSubmitted:
		v.Class, v.Countdown = "submitted", "submitted "+o.SubmittedAt.UTC().Format("2006-01-02 15:04 UTC")
	case o.Status == incident.ObligationNotApplicable:
		v.Class, v.Countdown = "na", "not applicable"
	case o.Status == incident.ObligationLate:
		v.Class = "late"
	case o.DueAt != nil && o.DueAt.Sub(now) < 24*time.Hour:
		v.Class = "soon"
	default:
		v.Class = "pending"
	}
	return v
}

type incidentRow struct {
	store.Incident
	Next *obligationView
}

type incidentListData struct {
	Rows     []incidentRow
	Status   string
	Regime   string
	AtRisk   bool
	Statuses []incident.Status
	Regimes  []string
	NextURL  string
	CanWrite bool
}

func canWrite(p access.Principal) bool { return access.Authorize(p, access.ActWrite, p.OrgID) == nil }

func (s *Server) incidentsPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q := r.URL.Query()
	f, err := incidentFilter(q, s.regimeIDs())
	if err != nil {
		return err
	}
	now := s.now()
	f.Now = now
	res, err := s.db.ListIncidents(r.Context(), p, f)
	if err != nil {
		return err
	}
	d := incidentListData{Status: string(f.Status), Regime: f.Regime, AtRisk: f.AtRisk, Statuses: statuses, Regimes: s.regimeIDs(), CanWrite: canWrite(p)}
	for _, rec := range res.Incidents {
		row := incidentRow{Incident: rec}
		if n := rec.NextDue(); n != nil {
			v := viewObligation(*n, now)
			row.Next = &v
		}
		d.Rows = append(d.Rows, row)
	}
	if res.Next != 0 {
		nq := url.Values{}
		for _, k := range []string{"status", "regime", "at_risk", "open"} {
			if v := q.Get(k); v != "" {
				nq.Set(k, v)
			}
		}
		nq.Set("before", itoa(res.Next))
		d.NextURL = "/incidents?" + nq.Encode()
	}
	s.render(w, r, "incidents", page{Title: "Incidents", Nav: "incidents", Flash: q.Get("flash"), Data: d})
	return nil
}

// wizardData refills the new-incident form after an error.
type wizardData struct {
	Form    url.Values
	Classes []incident.RSITClass
}

// V returns a submitted value of the form.
func (d wizardData) V(name string) string { return d.Form.Get(name) }

// Has reports whether a checkbox or option was chosen.
func (d wizardData) Has(name, value string) bool { return slices.Contains(d.Form[name], value) }

func (s *Server) incidentNewPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	form := url.Values{"time_zone": {"UTC"}, "suspected_malicious": {"unknown"}, "cross_border": {"unknown"}, "personal_data": {"unknown"}}
	s.render(w, r, "incident-new", page{Title: "Report an incident", Nav: "incidents", Data: wizardData{Form: form, Classes: incident.RSIT().Classes}})
	return nil
}

func (s *Server) incidentCreate(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if _, err := formValue(r, "title"); err != nil {
		return err
	}
	in, a, err := parseWizard(r.PostForm)
	var rec store.Incident
	if err == nil {
		err = s.db.InTx(r.Context(), func(tx *store.Tx) error {
			var err error
			rec, err = tx.CreateIncident(r.Context(), p, &in, a)
			return err
		})
	}
	if err != nil {
		if c := aceso.ErrorCode(err); c == aceso.EINVALID || c == aceso.ECONFLICT {
			w.WriteHeader(statusOf[c])
			s.render(w, r, "incident-new", page{Title: "Report an incident", Nav: "incidents", Error: aceso.ErrorMessage(err),
				Data: wizardData{Form: r.PostForm, Classes: incident.RSIT().Classes}})
			return nil
		}
		return err
	}
	return seeOther(w, r, "/incidents/"+itoa(rec.ID)+"?flash="+url.QueryEscape("Incident reported. The regulatory clocks below are running."))
}

// parseWizard reads the new-incident form; every error names its field.
func parseWizard(f url.Values) (incident.Incident, incident.Assessment, error) {
	var (
		in incident.Incident
		a  incident.Assessment
	)
	get := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	on := func(k string) bool { v := get(k); return v == "1" || v == "on" || v == "yes" || v == "true" }
	in.Title, in.Description, in.TimeZone = get("title"), get("description"), get("time_zone")
	if in.TimeZone == "UTC" {
		in.TimeZone = ""
	}
	loc, err := time.LoadLocation(in.TimeZone)
	if err != nil {
		return in, a, aceso.Errorf(aceso.EINVALID, "time_zone: %q is not an IANA time zone (e.g. Europe/Berlin)", in.TimeZone)
	}
	if in.AwareAt, err = formTime(get("aware_at"), loc); err != nil {
		return in, a, aceso.Errorf(aceso.EINVALID, "aware_at: when did you become aware of the incident? %v", err)
	}
	if v := get("detected_at"); v != "" {
		if in.DetectedAt, err = formTime(v, loc); err != nil {
			return in, a, aceso.Errorf(aceso.EINVALID, "detected_at: %v", err)
		}
	}
	if c := get("classification"); c != "" {
		class, typ, _ := strings.Cut(c, "/")
		in.Classification = incident.Classification{Class: class, Type: typ}
	}
	in.Severity = incident.Severity(get("severity"))
	in.SuspectedMalicious, in.CrossBorder = incident.Tristate(get("suspected_malicious")), incident.Tristate(get("cross_border"))
	in.PatientSafety = incident.PatientSafety(get("patient_safety"))
	in.ImpactOnCare.ServicesAffected = splitList(get("services_affected"))
	in.ImpactOnCare.AmbulanceDiversion = on("ambulance_diversion")
	num := func(k string) (int, error) {
		v := get(k)
		if v == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, aceso.Errorf(aceso.EINVALID, "%s: %q is not a whole number of 0 or more", k, v)
		}
		return n, nil
	}
	if in.ImpactOnCare.PostponedProcedures, err = num("postponed_procedures"); err != nil {
		return in, a, err
	}
	if in.ImpactOnCare.DurationMinutes, err = num("duration_minutes"); err != nil {
		return in, a, err
	}
	in.ContactPoint, in.Mitigation = get("contact_point"), get("mitigation")
	if get("personal_data") == "yes" {
		pd := &incident.PersonalDataBreach{DataCategories: f["data_categories"], SubjectCategories: f["subject_categories"]}
		if pd.ApproxSubjects, err = num("approx_subjects"); err != nil {
			return in, a, err
		}
		if pd.ApproxRecords, err = num("approx_records"); err != nil {
			return in, a, err
		}
		in.PersonalData = pd
	}
	a, err = parseAssessment(f)
	return in, a, err
}

// parseAssessment reads the regulatory questions (wizard and reassessment).
func parseAssessment(f url.Values) (incident.Assessment, error) {
	get := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	on := func(k string) bool { v := get(k); return v == "1" || v == "on" || v == "yes" || v == "true" }
	a := incident.Assessment{
		SevereOperationalDisruption: on("severe_operational_disruption"), FinancialLoss: on("financial_loss"),
		ConsiderableDamageToOthers: on("considerable_damage_to_others"),
		PersonalDataBreach:         get("personal_data") == "yes", RiskUnlikely: on("risk_unlikely"), RiskUnlikelyReason: get("risk_unlikely_reason"),
		HighRisk: on("high_risk"), Art34Exemption: get("art34_exemption"), Art34ExemptionReason: get("art34_exemption_reason"),
	}
	return a, a.Validate()
}

// formTime reads a datetime-local value ("2026-03-02T08:30") in loc, or an
// RFC 3339 time. A time when loc's offset was not whole minutes (local mean
// time, e.g. Berlin before 1893) is refused: no report format can write
// that offset, so the time would not read back the same in loc.
func formTime(v string, loc *time.Location) (time.Time, error) {
	if v == "" {
		return time.Time{}, aceso.Errorf(aceso.EINVALID, "required")
	}
	t, ok := time.Time{}, false
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if x, err := time.ParseInLocation(layout, v, loc); err == nil {
			t, ok = x, true
			break
		}
	}
	if !ok {
		x, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return time.Time{}, aceso.Errorf(aceso.EINVALID, "%q is not a date and time (YYYY-MM-DDTHH:MM)", v)
		}
		t = x
	}
	if _, off := t.In(loc).Zone(); off%60 != 0 {
		return time.Time{}, aceso.Errorf(aceso.EINVALID, "%q: %s had no whole-minute UTC offset then; give a later time", v, loc)
	}
	return t.UTC(), nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

type incidentPageData struct {
	In            store.Incident
	Open          []obligationView // applicable: pending, late, submitted
	NotApplicable []obligationView
	Next          []incident.Status
	CanWrite      bool
	Kinds         []string
	Form          wizardData // the assessment, for the reassessment form
	Attachments   []store.Attachment
	// Shared maps "kind|value" of an observable to the TLP label it is
	// shared under on the sector feeds (absent: not shared).
	Shared map[string]string
	// CSIRTPeople are whom the incident may name for TLP:RED, Labels the
	// labels it may carry (for the edit form).
	CSIRTPeople []store.Person
	Labels      []incident.TLP
}

// Named reports whether the incident names CSIRT user id for TLP:RED.
func (d incidentPageData) Named(id int64) bool {
	return slices.ContainsFunc(d.In.RedPeople, func(p store.Person) bool { return p.ID == id })
}

// Red reports whether the incident is labelled TLP:RED.
func (d incidentPageData) Red() bool { return d.In.TLP == incident.TLPRed }

// redPeopleForm reads a form's CSIRT people picker: nil when the form has
// none (marked by red_people_form), else the ids ticked (maybe none).
func redPeopleForm(f url.Values) (*[]int64, error) {
	if f.Get("red_people_form") == "" {
		return nil, nil
	}
	ids, err := formUserIDs(f, "red_people")
	if err != nil {
		return nil, err
	}
	if ids == nil {
		ids = []int64{}
	}
	return &ids, nil
}

func (s *Server) incidentPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.renderIncident(w, r, p, "", http.StatusOK)
}

func (s *Server) renderIncident(w http.ResponseWriter, r *http.Request, p access.Principal, errMsg string, status int) error {
	rec, err := s.loadIncident(r, p)
	if err != nil {
		return err
	}
	now := s.now()
	d := incidentPageData{In: rec, CanWrite: canWrite(p),
		Kinds:  []string{incident.KindIP, incident.KindDomain, incident.KindURL, incident.KindHash, incident.KindEmail, incident.KindFilename},
		Labels: []incident.TLP{incident.TLPClear, incident.TLPGreen, incident.TLPAmber, incident.TLPAmberStrict, incident.TLPRed}}
	if d.CanWrite {
		if d.CSIRTPeople, err = s.db.CSIRTPeople(r.Context(), p); err != nil {
			return err
		}
	}
	for _, o := range rec.Obligations {
		v := viewObligation(o, now)
		if o.Status == incident.ObligationNotApplicable {
			d.NotApplicable = append(d.NotApplicable, v)
		} else {
			d.Open = append(d.Open, v)
		}
	}
	for _, st := range statuses {
		if incident.CanTransition(rec.Status, st) {
			d.Next = append(d.Next, st)
		}
	}
	d.Form = wizardData{Form: assessmentForm(rec)}
	if d.Attachments, err = s.db.Attachments(r.Context(), p, rec.ID); err != nil {
		return err
	}
	if d.Shared, err = s.sharedOf(r, p, rec.ID); err != nil {
		return err
	}
	w.WriteHeader(status)
	s.render(w, r, "incident", page{Title: rec.Title, Nav: "incidents", Error: errMsg, Flash: r.URL.Query().Get("flash"), Data: d})
	return nil
}

// assessmentForm pre-fills the reassessment form from the record.
func assessmentForm(rec store.Incident) url.Values {
	a := rec.Assessment
	f := url.Values{}
	set := func(k string, b bool) {
		if b {
			f.Set(k, "1")
		}
	}
	set("severe_operational_disruption", a.SevereOperationalDisruption)
	set("financial_loss", a.FinancialLoss)
	set("considerable_damage_to_others", a.ConsiderableDamageToOthers)
	set("risk_unlikely", a.RiskUnlikely)
	set("high_risk", a.HighRisk)
	if a.PersonalDataBreach || rec.PersonalData != nil {
		f.Set("personal_data", "yes")
	}
	f.Set("risk_unlikely_reason", a.RiskUnlikelyReason)
	f.Set("art34_exemption", a.Art34Exemption)
	f.Set("art34_exemption_reason", a.Art34ExemptionReason)
	return f
}

// pageWrite runs a store write from an incident page form: success goes
// back to the incident with a flash, bad input re-renders it with the error.
func (s *Server) pageWrite(w http.ResponseWriter, r *http.Request, p access.Principal, flash string, fn func(tx *store.Tx, id int64) error) error {
	return s.incidentFormWrite(w, r, p, "/incidents/", s.renderIncident, flash, fn)
}

// incidentFormWrite is the shape of every incident form post, on the
// member's page (base "/incidents/") and the CSIRT's ("/csirt/incidents/"):
// check the CSRF token, run fn in a transaction, redirect back to base+id
// with a flash, or re-render with the message when the input was refused.
func (s *Server) incidentFormWrite(w http.ResponseWriter, r *http.Request, p access.Principal, base string,
	rerender func(http.ResponseWriter, *http.Request, access.Principal, string, int) error,
	flash string, fn func(tx *store.Tx, id int64) error) error {
	id, err := pathID(r, "incident")
	if err != nil {
		return err
	}
	if _, err := formValue(r, "csrf_token"); err != nil {
		return err
	}
	err = s.db.InTx(r.Context(), func(tx *store.Tx) error { return fn(tx, id) })
	if c := aceso.ErrorCode(err); err != nil && (c == aceso.EINVALID || c == aceso.ECONFLICT) {
		return rerender(w, r, p, aceso.ErrorMessage(err), statusOf[c])
	}
	if err != nil {
		return err
	}
	return seeOther(w, r, base+itoa(id)+"?flash="+url.QueryEscape(flash))
}

func (s *Server) incidentTransition(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.pageWrite(w, r, p, "Status changed.", func(tx *store.Tx, id int64) error {
		_, err := tx.TransitionIncident(r.Context(), p, id, incident.Status(r.PostFormValue("status")), incident.Outcome(r.PostFormValue("outcome")))
		return err
	})
}

func (s *Server) incidentReassess(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.pageWrite(w, r, p, "Reassessed; the clocks are recomputed.", func(tx *store.Tx, id int64) error {
		a, err := parseAssessment(r.PostForm)
		if err != nil {
			return err
		}
		_, err = tx.Reassess(r.Context(), p, id, a)
		return err
	})
}

// incidentEdit saves the facts a report needs that the wizard does not
// ask: description, severity, the Art. 23(4)(a) answers, root cause,
// mitigation and the GDPR contact point; and the TLP label with the CSIRT
// users a TLP:RED incident names.
func (s *Server) incidentEdit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.pageWrite(w, r, p, "Record updated.", func(tx *store.Tx, id int64) error {
		f := r.PostForm
		people, err := redPeopleForm(f)
		if err != nil {
			return err
		}
		return updateNaming(r.Context(), tx, p, id, people, func() error {
			return editRecord(r.Context(), tx, p, id, f)
		})
	})
}

// editRecord applies the edit form's fields present in f.
func editRecord(ctx context.Context, tx *store.Tx, p access.Principal, id int64, f url.Values) error {
	_, err := tx.UpdateIncident(ctx, p, id, func(in *incident.Incident, _ *incident.Assessment) error {
		get := func(k string, cur string) string {
			if _, ok := f[k]; !ok {
				return cur
			}
			return strings.TrimSpace(f.Get(k))
		}
		in.Title = get("title", in.Title)
		in.Description = get("description", in.Description)
		in.Severity = incident.Severity(get("severity", string(in.Severity)))
		in.SuspectedMalicious = incident.Tristate(get("suspected_malicious", string(in.SuspectedMalicious)))
		in.CrossBorder = incident.Tristate(get("cross_border", string(in.CrossBorder)))
		in.PatientSafety = incident.PatientSafety(get("patient_safety", string(in.PatientSafety)))
		in.RootCause = get("root_cause", in.RootCause)
		in.Mitigation = get("mitigation", in.Mitigation)
		in.ContactPoint = get("contact_point", in.ContactPoint)
		in.TLP = incident.TLP(get("tlp", string(in.TLP)))
		return nil
	})
	return err
}

func (s *Server) incidentTaskAdd(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.pageWrite(w, r, p, "Task added.", func(tx *store.Tx, id int64) error {
		t := incident.Task{Title: r.PostFormValue("title"), Assignee: r.PostFormValue("assignee")}
		if v := strings.TrimSpace(r.PostFormValue("due")); v != "" {
			due, err := formTime(v, time.UTC)
			if err != nil {
				return aceso.Errorf(aceso.EINVALID, "task due: %s", aceso.ErrorMessage(err))
			}
			t.Due = &due
		}
		return tx.AddTask(r.Context(), p, id, &t)
	})
}

func (s *Server) incidentTaskUpdate(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if _, err := formValue(r, "status"); err != nil {
		return err
	}
	_, err := s.editTask(r, p, func(t *incident.Task) error {
		t.Status = incident.TaskStatus(r.PostFormValue("status"))
		return nil
	})
	if c := aceso.ErrorCode(err); err != nil && (c == aceso.EINVALID || c == aceso.ECONFLICT) {
		return s.renderIncident(w, r, p, aceso.ErrorMessage(err), statusOf[c])
	}
	if err != nil {
		return err
	}
	id, _ := pathID(r, "incident")
	return seeOther(w, r, "/incidents/"+itoa(id)+"?flash="+url.QueryEscape("Task updated."))
}

func (s *Server) incidentObservableAdd(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.pageWrite(w, r, p, "Observable added.", func(tx *store.Tx, id int64) error {
		o := incident.Observable{Kind: r.PostFormValue("kind"), Value: r.PostFormValue("value"), Note: r.PostFormValue("note")}
		return tx.AddObservable(r.Context(), p, id, &o)
	})
}

func (s *Server) incidentCommentAdd(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.pageWrite(w, r, p, "Comment added.", func(tx *store.Tx, id int64) error {
		return tx.AddComment(r.Context(), p, id, &incident.Comment{Text: r.PostFormValue("text")})
	})
}

type reportPageData struct {
	In       store.Incident
	Ob       obligationView
	Doc      incident.ReportDoc
	CanWrite bool
	// NeedsReason is set when submitting now would be late and the stage
	// requires the reasons for the delay.
	NeedsReason bool
	// Recipient is where Aceso delivers the report on submission: "csirt",
	// an e-mail address, or "" when the organisation sends it itself.
	Recipient string
}

func (s *Server) incidentReportPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.renderReport(w, r, p, "", http.StatusOK)
}

func (s *Server) renderReport(w http.ResponseWriter, r *http.Request, p access.Principal, errMsg string, status int) error {
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
	now := s.now()
	d := reportPageData{In: rec, Ob: viewObligation(ob, now), Doc: doc, CanWrite: canWrite(p),
		NeedsReason: ob.RequiresLateReason && ob.DueAt != nil && now.After(*ob.DueAt)}
	switch to := s.db.ReportRecipient(ob.Regime); {
	case to == store.RecipientCSIRT:
		d.Recipient = "csirt"
	case strings.HasPrefix(to, "mailto:"):
		d.Recipient = strings.TrimPrefix(to, "mailto:")
	}
	w.WriteHeader(status)
	s.render(w, r, "incident-report", page{Title: doc.Title, Nav: "incidents", Error: errMsg, Flash: r.URL.Query().Get("flash"), Data: d})
	return nil
}

func (s *Server) incidentSubmit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	reason, err := formValue(r, "late_reason")
	if err != nil {
		return err
	}
	ob, err := s.submit(r, p, nil, reason)
	if c := aceso.ErrorCode(err); err != nil && (c == aceso.EINVALID || c == aceso.ECONFLICT) {
		return s.renderReport(w, r, p, aceso.ErrorMessage(err), statusOf[c])
	}
	if err != nil {
		return err
	}
	id, _ := pathID(r, "incident")
	return seeOther(w, r, "/incidents/"+itoa(id)+"?flash="+url.QueryEscape("Recorded: "+ob.Title+" submitted."))
}
