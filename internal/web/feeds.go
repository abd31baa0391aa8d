package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
)

// registerFeedRoutes adds the CSIRT's CSAF feed sources (API and UI) and
// each organisation's notification settings (the alert webhook).
func (s *Server) registerFeedRoutes() {
	get, post, put, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
	read, analyse, admin := access.ActRead, access.ActAnalyse, access.ActAdmin
	api := func(rt Route, h handlerFunc) { rt.API = true; s.handle(rt, h) }

	api(Route{Method: get, Path: "/api/v1/feeds", Auth: User, Act: read, Summary: "CSAF feed sources with their sync status (CSIRT)", Resp: "FeedList"}, s.apiFeeds)
	api(Route{Method: post, Path: "/api/v1/feeds", Auth: User, Act: analyse, Summary: "Add a CSAF provider-metadata.json or aggregator.json to sync (CSIRT analysts)", Body: "FeedCreate", Resp: "Feed"}, s.apiFeedCreate)
	api(Route{Method: get, Path: "/api/v1/feeds/{feed}", Auth: User, Act: read, Summary: "One feed source (CSIRT)", Resp: "Feed"}, s.apiFeed)
	api(Route{Method: del, Path: "/api/v1/feeds/{feed}", Auth: User, Act: analyse, Summary: "Remove a feed source; its advisories stay (CSIRT analysts)"}, s.apiFeedDelete)
	api(Route{Method: post, Path: "/api/v1/feeds/{feed}/sync", Auth: User, Act: analyse, Summary: "Queue a sync now: the scheduler of any node runs it within a minute (202)", Resp: "Feed"}, s.apiFeedSync)
	api(Route{Method: get, Path: "/api/v1/settings/notifications", Auth: User, Act: admin, Summary: "The caller's organisation's notification settings", Resp: "OrgSettings"}, s.apiOrgSettings)
	api(Route{Method: put, Path: "/api/v1/settings/notifications", Auth: User, Act: admin, Summary: "Set the https webhook that receives advisory alerts (empty: e-mail to admins only)", Body: "OrgSettingsUpdate", Resp: "OrgSettings"}, s.apiOrgSettingsSet)

	s.handle(Route{Method: get, Path: "/feeds", Auth: User, Act: read}, s.feedsPage)
	s.handle(Route{Method: post, Path: "/feeds", Auth: User, Act: analyse}, s.feedCreateSubmit)
	s.handle(Route{Method: post, Path: "/feeds/{feed}/sync", Auth: User, Act: analyse}, s.feedSyncSubmit)
	s.handle(Route{Method: post, Path: "/feeds/{feed}/enabled", Auth: User, Act: analyse}, s.feedEnabledSubmit)
	s.handle(Route{Method: post, Path: "/feeds/{feed}/delete", Auth: User, Act: analyse}, s.feedDeleteSubmit)
	s.handle(Route{Method: get, Path: "/settings/notifications", Auth: User, Act: admin}, s.orgSettingsPage)
	s.handle(Route{Method: post, Path: "/settings/notifications", Auth: User, Act: admin}, s.orgSettingsSubmit)
}

func init() {
	templateFuncs["isCSIRTUser"] = func(si *sessionInfo) bool { return si != nil && si.Org.Kind == access.KindCSIRT }
	templateFuncs["duration"] = func(d time.Duration) string { return d.String() }
	counts := obj(nil, map[string]any{"documents": integer, "new": integer, "updated": integer, "unchanged": integer,
		"failed": integer, "new_findings": integer, "alerts": integer})
	schemas["Feed"] = obj(nil, map[string]any{"id": integer, "url": str, "name": str, "enabled": boolean, "interval_seconds": integer,
		"openpgp_key": str, "last_sync_at": when, "last_success_at": when, "cursor": when, "last_error": str,
		"last_document_errors": arr(str), "last_counts": counts, "documents_seen": integer, "next_sync_at": when,
		"running": boolean, "created_at": when, "updated_at": when})
	schemas["FeedList"] = obj(nil, map[string]any{"feeds": arr(ref("Feed"))})
	schemas["FeedCreate"] = obj([]string{"url"}, map[string]any{"url": str, "name": str, "enabled": boolean,
		"interval_seconds": integer, "openpgp_key": str})
	schemas["OrgSettings"] = obj(nil, map[string]any{"org_id": integer, "webhook_url": str, "updated_at": when})
	schemas["OrgSettingsUpdate"] = obj(nil, map[string]any{"webhook_url": str})
}

func (s *Server) apiFeeds(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	list, err := s.db.FeedSources(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"feeds": list})
	return nil
}

// feedCreate is the body of POST /api/v1/feeds.
type feedCreate struct {
	URL             string `json:"url"`
	Name            string `json:"name"`
	Enabled         *bool  `json:"enabled"` // default true
	IntervalSeconds int64  `json:"interval_seconds"`
	OpenPGPKey      string `json:"openpgp_key"`
}

func (s *Server) createFeed(r *http.Request, p access.Principal, in feedCreate) (store.FeedSource, error) {
	f := store.FeedSource{URL: in.URL, Name: in.Name, Enabled: in.Enabled == nil || *in.Enabled,
		IntervalSeconds: in.IntervalSeconds, OpenPGPKey: in.OpenPGPKey}
	if in.IntervalSeconds < 0 {
		return f, aceso.Errorf(aceso.EINVALID, "interval_seconds must be positive")
	}
	err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.CreateFeedSource(r.Context(), p, &f) })
	if err != nil {
		return f, err
	}
	return s.db.FeedSource(r.Context(), p, f.ID)
}

func (s *Server) apiFeedCreate(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var in feedCreate
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	f, err := s.createFeed(r, p, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, f)
	return nil
}

func (s *Server) apiFeed(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "feed")
	if err != nil {
		return err
	}
	f, err := s.db.FeedSource(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (s *Server) apiFeedDelete(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "feed")
	if err != nil {
		return err
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.DeleteFeedSource(r.Context(), p, id) }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// requestSync queues a sync: a first sync of a large provider takes
// minutes, longer than a request should wait, and the scheduler's lease
// keeps two nodes from running it twice.
func (s *Server) requestSync(r *http.Request, p access.Principal) (store.FeedSource, error) {
	id, err := pathID(r, "feed")
	if err != nil {
		return store.FeedSource{}, err
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.RequestFeedSync(r.Context(), p, id) }); err != nil {
		return store.FeedSource{}, err
	}
	return s.db.FeedSource(r.Context(), p, id)
}

func (s *Server) apiFeedSync(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	f, err := s.requestSync(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, f)
	return nil
}

func (s *Server) apiOrgSettings(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	st, err := s.db.OrgSettings(r.Context(), p, p.OrgID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) apiOrgSettingsSet(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var in struct {
		WebhookURL string `json:"webhook_url"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	st := store.OrgSettings{OrgID: p.OrgID, WebhookURL: in.WebhookURL}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.SetOrgSettings(r.Context(), p, &st) }); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// feedsPageData is what the feeds page shows.
type feedsPageData struct {
	Feeds   []store.FeedSource
	CanEdit bool
	Form    feedCreate
}

func (s *Server) renderFeeds(w http.ResponseWriter, r *http.Request, p access.Principal, status int, errMsg, flash string, form feedCreate) error {
	list, err := s.db.FeedSources(r.Context(), p)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		w.WriteHeader(status)
	}
	s.render(w, r, "feeds", page{Title: "CSAF feeds", Nav: "feeds", Error: errMsg, Flash: flash,
		Data: feedsPageData{Feeds: list, CanEdit: p.Role.AtLeast(access.RoleAnalyst), Form: form}})
	return nil
}

func (s *Server) feedsPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.renderFeeds(w, r, p, http.StatusOK, "", r.URL.Query().Get("flash"), feedCreate{})
}

func (s *Server) feedCreateSubmit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	u, err := formValue(r, "url")
	if err != nil {
		return err
	}
	in := feedCreate{URL: u, Name: r.PostFormValue("name"), OpenPGPKey: r.PostFormValue("openpgp_key")}
	if m := r.PostFormValue("interval_minutes"); m != "" {
		n, err := strconv.ParseInt(m, 10, 64)
		if err != nil || n <= 0 {
			return s.renderFeeds(w, r, p, http.StatusBadRequest, "Interval must be a whole number of minutes.", "", in)
		}
		in.IntervalSeconds = n * 60
	}
	f, err := s.createFeed(r, p, in)
	if err != nil {
		if c := aceso.ErrorCode(err); c == aceso.EINVALID || c == aceso.ECONFLICT {
			return s.renderFeeds(w, r, p, statusOf[c], aceso.ErrorMessage(err), "", in)
		}
		return err
	}
	return seeOther(w, r, "/feeds?flash="+url.QueryEscape("Added "+f.Name+"; its first sync runs within a minute."))
}

func (s *Server) feedSyncSubmit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	f, err := s.requestSync(r, p)
	if err != nil {
		return err
	}
	return seeOther(w, r, "/feeds?flash="+url.QueryEscape("Sync of "+f.Name+" queued; it runs within a minute."))
}

func (s *Server) feedEnabledSubmit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "feed")
	if err != nil {
		return err
	}
	on, err := formValue(r, "enabled")
	if err != nil {
		return err
	}
	f, err := s.db.FeedSource(r.Context(), p, id)
	if err != nil {
		return err
	}
	f.Enabled = on == "true"
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.UpdateFeedSource(r.Context(), p, &f) }); err != nil {
		return err
	}
	state := map[bool]string{true: "enabled", false: "disabled"}[f.Enabled]
	return seeOther(w, r, "/feeds?flash="+url.QueryEscape(f.Name+" "+state+"."))
}

func (s *Server) feedDeleteSubmit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "feed")
	if err != nil {
		return err
	}
	f, err := s.db.FeedSource(r.Context(), p, id)
	if err != nil {
		return err
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.DeleteFeedSource(r.Context(), p, id) }); err != nil {
		return err
	}
	return seeOther(w, r, "/feeds?flash="+url.QueryEscape("Removed "+f.Name+"; its advisories stay."))
}

func (s *Server) renderOrgSettings(w http.ResponseWriter, r *http.Request, p access.Principal, status int, errMsg, flash string, st store.OrgSettings) {
	if status != http.StatusOK {
		w.WriteHeader(status)
	}
	s.render(w, r, "notification-settings", page{Title: "Notifications", Nav: "settings", Error: errMsg, Flash: flash, Data: st})
}

func (s *Server) orgSettingsPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	st, err := s.db.OrgSettings(r.Context(), p, p.OrgID)
	if err != nil {
		return err
	}
	s.renderOrgSettings(w, r, p, http.StatusOK, "", r.URL.Query().Get("flash"), st)
	return nil
}

func (s *Server) orgSettingsSubmit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	hook, err := formValue(r, "webhook_url")
	if err != nil {
		return err
	}
	st := store.OrgSettings{OrgID: p.OrgID, WebhookURL: hook}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.SetOrgSettings(r.Context(), p, &st) }); err != nil {
		if aceso.ErrorCode(err) == aceso.EINVALID {
			s.renderOrgSettings(w, r, p, http.StatusBadRequest, aceso.ErrorMessage(err), "", st)
			return nil
		}
		return err
	}
	return seeOther(w, r, "/settings/notifications?flash="+url.QueryEscape("Notification settings saved."))
}
