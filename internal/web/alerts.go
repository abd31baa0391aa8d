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
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
)

// registerAlertRoutes adds CSIRT alerts: members read and acknowledge the
// alerts addressed to them; the CSIRT publishes, follows and chases them.
func (s *Server) registerAlertRoutes() {
	get, post := http.MethodGet, http.MethodPost
	read, write, analyse := access.ActRead, access.ActWrite, access.ActAnalyse
	api := func(rt Route, h handlerFunc) { rt.API = true; s.handle(rt, h) }

	api(Route{Method: get, Path: "/api/v1/alerts", Auth: User, Act: read, Summary: "Alerts: a member's inbox (unacknowledged first) or the alerts the CSIRT published (?advisory=ID)", Resp: "AlertList"}, s.apiAlerts)
	api(Route{Method: post, Path: "/api/v1/alerts", Auth: User, Act: analyse, Summary: "Publish an alert (CSIRT analysts); with advisory_id, empty fields are prefilled from the advisory and recipients default to its affected members. A TLP:RED alert names people (user ids) instead of recipients: it reaches only them, its recipient organisations are theirs", Body: "AlertCreate", Resp: "Alert"}, s.apiAlertCreate)
	api(Route{Method: get, Path: "/api/v1/alerts/stats", Auth: User, Act: read, Summary: "Time to acknowledge per alert and overall: median, p90, share within 48 h (CSIRT)", Resp: "AlertStats"}, s.apiAlertStats)
	api(Route{Method: get, Path: "/api/v1/alerts/people", Auth: User, Act: analyse, Summary: "Whom a TLP:RED alert may name: active users of the members and the CSIRT, by organisation (CSIRT analysts)", Resp: "PeopleGroups"}, s.apiAlertPeople)
	api(Route{Method: get, Path: "/api/v1/alerts/{alert}", Auth: User, Act: read, Summary: "One alert: the member's own acknowledgement, or every recipient's for the CSIRT", Resp: "Alert"}, s.apiAlert)
	api(Route{Method: post, Path: "/api/v1/alerts/{alert}/ack", Auth: User, Act: write, Summary: "Acknowledge an alert addressed to the caller's organisation", Body: "AlertAck", Resp: "AlertRecipient"}, s.apiAlertAck)
	api(Route{Method: post, Path: "/api/v1/alerts/{alert}/chase", Auth: User, Act: analyse, Summary: "Remind every recipient that has not acknowledged (CSIRT analysts)", Resp: "AlertChase"}, s.apiAlertChase)

	s.handle(Route{Method: get, Path: "/alerts", Auth: User, Act: read}, s.alertsPage)
	s.handle(Route{Method: get, Path: "/alerts/new", Auth: User, Act: analyse}, s.alertNewPage)
	s.handle(Route{Method: post, Path: "/alerts", Auth: User, Act: analyse}, s.alertCreateSubmit)
	s.handle(Route{Method: get, Path: "/alerts/{alert}", Auth: User, Act: read}, s.alertPage)
	s.handle(Route{Method: post, Path: "/alerts/{alert}/ack", Auth: User, Act: write}, s.alertAckSubmit)
	s.handle(Route{Method: post, Path: "/alerts/{alert}/chase", Auth: User, Act: analyse}, s.alertChaseSubmit)
}

func init() {
	tlpEnum := map[string]any{"type": "string", "enum": []string{"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"}}
	ackStatus := map[string]any{"type": "string", "enum": []string{"pending", "not_applicable", "in_progress", "done"}}
	number := map[string]any{"type": "number"}
	schemas["Person"] = obj(nil, map[string]any{"id": integer, "name": str, "email": str, "org_id": integer, "org_name": str, "disabled": boolean})
	schemas["PeopleGroups"] = obj(nil, map[string]any{"groups": arr(obj(nil, map[string]any{"org_id": integer, "org_name": str, "people": arr(ref("Person"))}))})
	schemas["AlertRecipient"] = obj(nil, map[string]any{"org_id": integer, "org_name": str, "delivered_at": when, "status": ackStatus,
		"note": str, "acked_by": str, "acked_at": when, "status_at": when, "chases": integer, "last_chased_at": when, "late": boolean})
	schemas["Alert"] = obj(nil, map[string]any{"id": integer, "org_id": integer, "advisory_id": integer, "tracking_id": str, "title": str,
		"summary": str, "actions": str, "tlp": tlpEnum, "audience": map[string]any{"type": "string", "enum": []string{"affected", "chosen", "all"}},
		"deadline": when, "created_by": str, "created_at": when, "ack": ref("AlertRecipient"),
		"counts":     obj(nil, map[string]any{"recipients": integer, "acknowledged": integer, "pending": integer, "late": integer}),
		"recipients": arr(ref("AlertRecipient")), "people": arr(ref("Person"))})
	schemas["AlertList"] = obj(nil, map[string]any{"alerts": arr(ref("Alert"))})
	schemas["AlertCreate"] = obj(nil, map[string]any{"advisory_id": integer, "title": str, "summary": str, "actions": str,
		"deadline": when, "tlp": tlpEnum, "recipients": map[string]any{"type": "string", "enum": []string{"affected", "chosen", "all"}},
		"org_ids": arr(integer), "people": arr(integer)})
	schemas["AlertAck"] = obj([]string{"status"}, map[string]any{"status": map[string]any{"type": "string", "enum": []string{"not_applicable", "in_progress", "done"}}, "note": str})
	schemas["AlertChase"] = obj(nil, map[string]any{"orgs": integer, "enqueued": integer})
	tta := map[string]any{"recipients": integer, "acknowledged": integer, "median_seconds": integer, "p90_seconds": integer, "decided": integer, "within_48h": number}
	perAlert := map[string]any{"alert_id": integer, "title": str, "created_at": when}
	for k, v := range tta {
		perAlert[k] = v
	}
	schemas["AlertStats"] = obj(nil, map[string]any{"overall": obj(nil, tta), "alerts": arr(obj(nil, perAlert))})

	templateFuncs["alertTLPClass"] = func(t share.TLP) string {
		return "tlp-" + strings.NewReplacer("tlp:", "", "+", "-").Replace(strings.ToLower(t.String()))
	}
	templateFuncs["alertSeconds"] = func(p *int64) string {
		if p == nil {
			return "—"
		}
		return (time.Duration(*p) * time.Second).String()
	}
	templateFuncs["alertShare"] = func(p *float64) string {
		if p == nil {
			return "—"
		}
		return strconv.FormatFloat(*p*100, 'f', 0, 64) + " %"
	}
}

// alertCreate is the body of POST /api/v1/alerts and the compose form.
type alertCreate struct {
	AdvisoryID int64      `json:"advisory_id"`
	Title      string     `json:"title"`
	Summary    string     `json:"summary"`
	Actions    string     `json:"actions"`
	Deadline   *time.Time `json:"deadline"`
	TLP        string     `json:"tlp"`
	Recipients string     `json:"recipients"` // affected | chosen | all
	OrgIDs     []int64    `json:"org_ids"`
	People     []int64    `json:"people"` // TLP:RED only
}

// toInput reads the request's fields, over the draft (the advisory's
// prefill) where the request left them empty. Only the label and the
// audience are parsed here; the store validates the rest.
func (in alertCreate) toInput(draft store.AlertInput) (store.AlertInput, error) {
	out := draft
	out.AdvisoryID = in.AdvisoryID
	for _, f := range []struct {
		dst *string
		v   string
	}{{&out.Title, in.Title}, {&out.Summary, in.Summary}, {&out.Actions, in.Actions}} {
		if strings.TrimSpace(f.v) != "" {
			*f.dst = f.v
		}
	}
	if in.Deadline != nil {
		out.Deadline = in.Deadline
	}
	if strings.TrimSpace(in.TLP) != "" {
		l, err := share.ParseTLP(in.TLP)
		if err != nil {
			return out, err
		}
		out.TLP = l
	}
	if !out.TLP.Valid() {
		return out, aceso.Errorf(aceso.EINVALID, "tlp is required: one of TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT, TLP:RED")
	}
	if out.TLP == share.TLPRed {
		// TLP:RED goes to named people; the store checks them and makes
		// their organisations the recipients.
		switch aud := strings.TrimSpace(in.Recipients); aud {
		case "", string(store.AudienceChosen):
		default:
			return out, aceso.Errorf(aceso.EINVALID, "recipients: a TLP:RED alert goes to the people it names (people), not to %q", aud)
		}
		if len(in.OrgIDs) > 0 {
			return out, aceso.Errorf(aceso.EINVALID, "org_ids: a TLP:RED alert is addressed to the people it names (people); their organisations are its recipients")
		}
		out.Audience, out.OrgIDs, out.People = store.AudienceChosen, nil, in.People
		return out, nil
	}
	if len(in.People) > 0 {
		return out, aceso.Errorf(aceso.EINVALID, "people: only a TLP:RED alert names people; this one is %s", out.TLP)
	}
	out.People = nil
	switch aud := store.Audience(strings.TrimSpace(in.Recipients)); aud {
	case "":
		if out.Audience == "" {
			return out, aceso.Errorf(aceso.EINVALID, "recipients is required: affected (with advisory_id), chosen (with org_ids) or all")
		}
	case store.AudienceAffected, store.AudienceChosen, store.AudienceAll:
		out.Audience = aud
	default:
		return out, aceso.Errorf(aceso.EINVALID, "recipients %q is not one of affected, chosen, all", in.Recipients)
	}
	out.OrgIDs = nil
	if out.Audience == store.AudienceChosen {
		out.OrgIDs = in.OrgIDs
	}
	return out, nil
}

// publishAlert prefills from the advisory when there is one, then publishes.
func (s *Server) publishAlert(ctx context.Context, p access.Principal, in alertCreate) (store.Alert, error) {
	var draft store.AlertInput
	if in.AdvisoryID != 0 {
		d, err := s.db.AlertDraft(ctx, p, in.AdvisoryID)
		if aceso.ErrorCode(err) == aceso.ENOTFOUND {
			return store.Alert{}, aceso.Errorf(aceso.EINVALID, "advisory_id %d: no such advisory", in.AdvisoryID)
		}
		if err != nil {
			return store.Alert{}, err
		}
		draft = d.Input
	} else if err := store.CanPublishAlerts(p); err != nil {
		return store.Alert{}, err
	}
	input, err := in.toInput(draft)
	if err != nil {
		return store.Alert{}, err
	}
	var a store.Alert
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		a, err = tx.PublishAlert(ctx, p, input)
		return err
	})
	return a, err
}

func (s *Server) apiAlerts(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var f store.AlertFilter
	if v := r.URL.Query().Get("advisory"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return aceso.Errorf(aceso.EINVALID, "advisory %q must be an advisory id", v)
		}
		f.AdvisoryID = id
	}
	list, err := s.db.Alerts(r.Context(), p, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": list})
	return nil
}

func (s *Server) apiAlertCreate(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var in alertCreate
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a, err := s.publishAlert(r.Context(), p, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) apiAlertPeople(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	groups, err := s.db.AlertPeople(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": groups})
	return nil
}

func (s *Server) apiAlertStats(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	st, err := s.db.AlertStats(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) apiAlert(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "alert")
	if err != nil {
		return err
	}
	a, err := s.db.Alert(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) ackAlert(ctx context.Context, p access.Principal, id int64, status, note string) (store.AlertRecipient, error) {
	var rec store.AlertRecipient
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		rec, err = tx.AckAlert(ctx, p, id, store.AckStatus(strings.TrimSpace(status)), note)
		return err
	})
	return rec, err
}

func (s *Server) apiAlertAck(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "alert")
	if err != nil {
		return err
	}
	var in struct {
		Status string `json:"status"`
		Note   string `json:"note"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	rec, err := s.ackAlert(r.Context(), p, id, in.Status, in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rec)
	return nil
}

func (s *Server) chaseAlert(ctx context.Context, p access.Principal, id int64) (store.ChaseReport, error) {
	var rep store.ChaseReport
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		rep, err = tx.ChaseAlert(ctx, p, id)
		return err
	})
	return rep, err
}

func (s *Server) apiAlertChase(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "alert")
	if err != nil {
		return err
	}
	rep, err := s.chaseAlert(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// alertsPageData is the inbox (member) or the published list (CSIRT).
type alertsPageData struct {
	Alerts  []store.Alert
	CSIRT   bool
	CanNew  bool
	Overall *store.TTAStats
}

func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	list, err := s.db.Alerts(r.Context(), p, store.AlertFilter{})
	if err != nil {
		return err
	}
	d := alertsPageData{Alerts: list, CSIRT: p.OrgKind == access.KindCSIRT}
	if d.CSIRT {
		st, err := s.db.AlertStats(r.Context(), p)
		if err != nil {
			return err
		}
		d.Overall = &st.Overall
		d.CanNew = p.Role.AtLeast(access.RoleAnalyst)
	}
	s.render(w, r, "alerts", page{Title: "Alerts", Nav: "alerts", Flash: r.URL.Query().Get("flash"), Data: d})
	return nil
}

// alertNewData is the compose form.
type alertNewData struct {
	Advisories []store.Advisory
	Members    []access.Org
	Affected   []access.Org
	People     []store.PeopleGroup // whom a TLP:RED alert may name
	Form       store.AlertInput
	Deadline   string // datetime-local value
	Labels     []share.TLP
}

func (d alertNewData) Chosen(id int64) bool { return slices.Contains(d.Form.OrgIDs, id) }

// Named reports whether the form names user id (TLP:RED).
func (d alertNewData) Named(id int64) bool { return slices.Contains(d.Form.People, id) }

func (s *Server) renderAlertNew(w http.ResponseWriter, r *http.Request, p access.Principal, status int, errMsg string, form store.AlertInput) error {
	members, err := s.db.AlertMemberOrgs(r.Context(), p)
	if err != nil {
		return err
	}
	advs, err := s.db.Advisories(r.Context(), p, store.AdvisoryFilter{Limit: 200})
	if err != nil {
		return err
	}
	people, err := s.db.AlertPeople(r.Context(), p)
	if err != nil {
		return err
	}
	d := alertNewData{Advisories: advs, Members: members, People: people, Form: form, Labels: share.Labels}
	if form.AdvisoryID != 0 {
		d.Affected, err = s.db.AffectedMembers(r.Context(), p, form.AdvisoryID)
		if err != nil {
			return err
		}
	}
	if form.Deadline != nil {
		d.Deadline = form.Deadline.UTC().Format("2006-01-02T15:04")
	}
	if status != http.StatusOK {
		w.WriteHeader(status)
	}
	s.render(w, r, "alert-new", page{Title: "New alert", Nav: "alerts", Error: errMsg, Data: d})
	return nil
}

func (s *Server) alertNewPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	form := store.AlertInput{TLP: share.TLPAmber, Audience: store.AudienceAll}
	if v := r.URL.Query().Get("advisory"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return aceso.Errorf(aceso.EINVALID, "advisory %q must be an advisory id", v)
		}
		dr, err := s.db.AlertDraft(r.Context(), p, id)
		if aceso.ErrorCode(err) == aceso.EINVALID {
			// An advisory that stays with the CSIRT offers no text: the
			// form stays empty and says why.
			return s.renderAlertNew(w, r, p, http.StatusBadRequest, aceso.ErrorMessage(err), form)
		}
		if err != nil {
			return err
		}
		form = dr.Input
	}
	return s.renderAlertNew(w, r, p, http.StatusOK, "", form)
}

// alertForm reads the compose form. A bad deadline, organisation or user
// id is reported as invalid input, like the API's. Without JavaScript the
// form shows both the recipients (for every label but TLP:RED) and the
// people picker (for TLP:RED); the chosen label decides which one counts.
func alertForm(r *http.Request) (alertCreate, error) {
	var in alertCreate
	if _, err := formValue(r, "title"); err != nil {
		return in, err
	}
	f := r.PostForm
	in.Title, in.Summary, in.Actions = f.Get("title"), f.Get("summary"), f.Get("actions")
	in.TLP, in.Recipients = f.Get("tlp"), f.Get("recipients")
	if v := strings.TrimSpace(f.Get("advisory_id")); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 0 {
			return in, aceso.Errorf(aceso.EINVALID, "advisory %q must be an advisory id", v)
		}
		in.AdvisoryID = id
	}
	if v := strings.TrimSpace(f.Get("deadline")); v != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", v, time.UTC)
		if err != nil {
			return in, aceso.Errorf(aceso.EINVALID, "deadline %q must be a date and time (YYYY-MM-DDTHH:MM, UTC)", v)
		}
		in.Deadline = &t
	}
	for _, v := range f["org_ids"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return in, aceso.Errorf(aceso.EINVALID, "organisation %q must be an organisation id", v)
		}
		in.OrgIDs = append(in.OrgIDs, id)
	}
	people, err := formUserIDs(f, "people")
	if err != nil {
		return in, err
	}
	if l, err := share.ParseTLP(in.TLP); err == nil && l == share.TLPRed {
		in.Recipients, in.OrgIDs, in.People = "", nil, people
	}
	return in, nil
}

// formUserIDs reads the user ids a people picker submitted under name;
// each error names the field.
func formUserIDs(f url.Values, name string) ([]int64, error) {
	var out []int64
	for _, v := range f[name] {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || id <= 0 {
			return nil, aceso.Errorf(aceso.EINVALID, "%s: %q is not a user id", name, v)
		}
		out = append(out, id)
	}
	return out, nil
}

func (s *Server) alertCreateSubmit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	in, err := alertForm(r)
	if err == nil {
		var a store.Alert
		if a, err = s.publishAlert(r.Context(), p, in); err == nil {
			msg := "Alert published to " + strconv.Itoa(a.Counts.Recipients) + " organisations."
			if len(a.People) > 0 {
				msg = "TLP:RED alert published to " + strconv.Itoa(len(a.People)) + " named people in " + strconv.Itoa(a.Counts.Recipients) + " organisations."
			}
			return seeOther(w, r, "/alerts/"+itoa(a.ID)+"?flash="+url.QueryEscape(msg))
		}
	}
	if aceso.ErrorCode(err) != aceso.EINVALID {
		return err
	}
	form := store.AlertInput{AdvisoryID: in.AdvisoryID, Title: in.Title, Summary: in.Summary, Actions: in.Actions, Deadline: in.Deadline,
		Audience: store.Audience(in.Recipients), OrgIDs: in.OrgIDs, People: in.People}
	form.TLP, _ = share.ParseTLP(in.TLP)
	if form.AdvisoryID != 0 {
		// A refused advisory is not offered again: the form keeps what was
		// typed, without the advisory.
		if _, derr := s.db.AlertDraft(r.Context(), p, form.AdvisoryID); aceso.ErrorCode(derr) == aceso.EINVALID {
			form.AdvisoryID = 0
			if form.Audience == store.AudienceAffected {
				form.Audience = ""
			}
		}
	}
	return s.renderAlertNew(w, r, p, http.StatusBadRequest, aceso.ErrorMessage(err), form)
}

// alertPageData is one alert: the member's answer form or the CSIRT's follow-up.
type alertPageData struct {
	Alert    store.Alert
	CSIRT    bool
	CanAck   bool
	CanChase bool
	Stats    *store.TTAStats
	Statuses []store.AckStatus
	Files    alertFilesView // the "alert_files" section (alert_attachments.go)
}

func (s *Server) renderAlert(w http.ResponseWriter, r *http.Request, p access.Principal, status int, errMsg, flash string) error {
	id, err := pathID(r, "alert")
	if err != nil {
		return err
	}
	a, err := s.db.Alert(r.Context(), p, id)
	if err != nil {
		return err
	}
	d := alertPageData{Alert: a, CSIRT: a.Ack == nil, Statuses: store.AckStatuses}
	if d.Files, err = s.alertFiles(r.Context(), p, a); err != nil {
		return err
	}
	if d.CSIRT {
		st, err := s.db.AlertStats(r.Context(), p)
		if err != nil {
			return err
		}
		for _, x := range st.Alerts {
			if x.AlertID == a.ID {
				d.Stats = &x.TTAStats
			}
		}
		d.CanChase = p.Role.AtLeast(access.RoleAnalyst) && a.Counts != nil && a.Counts.Pending > 0
	} else {
		d.CanAck = canWrite(p)
	}
	if status != http.StatusOK {
		w.WriteHeader(status)
	}
	s.render(w, r, "alert", page{Title: a.Title, Nav: "alerts", Error: errMsg, Flash: flash, Data: d})
	return nil
}

func (s *Server) alertPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.renderAlert(w, r, p, http.StatusOK, "", r.URL.Query().Get("flash"))
}

func (s *Server) alertAckSubmit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "alert")
	if err != nil {
		return err
	}
	status, err := formValue(r, "status")
	if err != nil {
		return err
	}
	if _, err := s.ackAlert(r.Context(), p, id, status, r.PostFormValue("note")); err != nil {
		if aceso.ErrorCode(err) == aceso.EINVALID {
			return s.renderAlert(w, r, p, http.StatusBadRequest, aceso.ErrorMessage(err), "")
		}
		return err
	}
	return seeOther(w, r, "/alerts/"+itoa(id)+"?flash="+url.QueryEscape("Acknowledgement saved; the CSIRT sees it now."))
}

func (s *Server) alertChaseSubmit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "alert")
	if err != nil {
		return err
	}
	rep, err := s.chaseAlert(r.Context(), p, id)
	if err != nil {
		return err
	}
	msg := "Nobody to chase: every recipient has answered."
	if rep.Orgs > 0 {
		msg = "Reminder queued to " + strconv.Itoa(rep.Orgs) + " organisations (" + strconv.Itoa(rep.Enqueued) + " messages)."
	}
	return seeOther(w, r, "/alerts/"+itoa(id)+"?flash="+url.QueryEscape(msg))
}
