package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
)

// registerSharingPageRoutes adds the Sharing area: the channels an
// organisation can feed its tools from and what it shares (relabel,
// unshare), the browser of imported intelligence, and the import of MISP
// events, MISP feeds and STIX bundles (sharing_import.go).
func (s *Server) registerSharingPageRoutes() {
	get, post, del := http.MethodGet, http.MethodPost, http.MethodDelete
	read, analyse := access.ActRead, access.ActAnalyse
	api := func(rt Route, h handlerFunc) { rt.API = true; s.handle(rt, h) }

	s.handle(Route{Method: get, Path: "/sharing", Auth: User, Act: read}, s.sharingPage)
	s.handle(Route{Method: post, Path: "/sharing/observables/{shared}/relabel", Auth: User, Act: analyse}, s.sharingRelabelSubmit)
	s.handle(Route{Method: post, Path: "/sharing/observables/{shared}/unshare", Auth: User, Act: analyse}, s.sharingUnshareSubmit)
	s.handle(Route{Method: get, Path: "/sharing/intel", Auth: User, Act: read}, s.sharingIntelPage)
	s.handle(Route{Method: get, Path: "/sharing/intel/{intel}", Auth: User, Act: read}, s.sharingIntelItemPage)
	s.handle(Route{Method: get, Path: "/sharing/import", Auth: User, Act: analyse}, s.sharingImportPage)
	s.handle(Route{Method: post, Path: "/sharing/import", Auth: User, Act: analyse, MaxBody: intelUploadBody}, s.sharingImportSubmit)

	api(Route{Method: post, Path: "/api/v1/shared-observables/{shared}/relabel", Auth: User, Act: analyse,
		Summary: "Change the TLP label of a shared observable (the originating organisation's analysts); a downgrade needs a reason, recorded in the audit log (share.relabel)",
		Body:    "SharedRelabel", Resp: "SharedObservable"}, s.apiSharedRelabel)
	api(Route{Method: del, Path: "/api/v1/shared-observables/{shared}", Auth: User, Act: analyse,
		Summary: "Stop sharing an observable (the originating organisation's analysts; audited as share.unshare); feeds and TAXII collections drop it"}, s.apiUnshare)
	api(Route{Method: post, Path: "/api/v1/intel/import", Auth: User, Act: analyse, MaxBody: intelUploadBody,
		Summary: "Import intelligence (analysts): multipart/form-data with field \"file\" (a MISP event or a STIX 2.1 bundle, at most 16 MiB) and optional \"format\" (auto, misp, stix), " +
			"or JSON with \"url\" (https; a MISP event, a STIX bundle, or a MISP feed's manifest.json or directory) or \"document\" (the JSON itself). Answers a report per object: added, unchanged, rejected with the reason",
		Body: "IntelImport", Resp: "IntelImportReport"}, s.apiIntelImport)
}

func init() {
	idParams["shared"] = true
	idParams["intel"] = true
	schemas["SharedRelabel"] = obj([]string{"tlp"}, map[string]any{
		"tlp":    map[string]any{"type": "string", "enum": []string{"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT"}},
		"reason": map[string]any{"type": "string", "description": "required for a downgrade (a looser label)"}})
	schemas["IntelImport"] = obj(nil, map[string]any{
		"url":      map[string]any{"type": "string", "description": "https URL of a MISP event, a STIX 2.1 bundle, or a MISP feed (manifest.json or the directory ending in /)"},
		"document": map[string]any{"type": "object", "description": "a MISP event or a STIX 2.1 bundle, instead of url"},
		"name":     map[string]any{"type": "string", "description": "the document's name in the report and as the intel's source"},
		"format":   map[string]any{"type": "string", "enum": []string{"auto", "misp", "stix"}}})
	item := obj(nil, map[string]any{"object_id": str, "object_type": str, "version": when, "tlp": str,
		"outcome": map[string]any{"type": "string", "enum": []string{"added", "unchanged", "rejected"}}, "reason": str})
	schemas["IntelImportReport"] = obj(nil, map[string]any{"source": str, "format": str, "added": integer, "unchanged": integer,
		"rejected": integer, "items": arr(item)})
	templateFuncs["sharingTLPClass"] = func(t share.TLP) string {
		return "tlp-" + strings.NewReplacer("tlp:", "", "+", "-").Replace(strings.ToLower(t.String()))
	}
}

// sharingChannel is one machine channel on the overview: what to paste
// into a tool, the strictest label it carries, and how to authenticate.
type sharingChannel struct {
	Name, URL, Auth, Use string
	Max                  share.TLP
	Collections          []sharingCollection
}

// sharingCollection is a TAXII collection the caller's organisation reads.
type sharingCollection struct {
	Name, ID, ObjectsURL, Auth string
	Max                        share.TLP
}

type sharingPageData struct {
	Channels  []sharingChannel
	Shared    []store.SharedObservableRow
	CanManage bool // analysts and up relabel and unshare
	CanTokens bool // admins create API tokens
	Labels    []share.TLP
}

// sharingChannels lists the channels with absolute URLs. They start with
// the deployment's public URL (Options.PublicURL) when it is configured,
// so what a user copies works from outside a proxy.
func (s *Server) sharingChannels(r *http.Request, p access.Principal) []sharingChannel {
	base := s.publicBase(r)
	org := store.ShareScope{Channel: share.ChannelOrg, OrgID: p.OrgID}
	token := "API token: Authorization: Bearer TOKEN"
	coll := func(name string, sc store.ShareScope, auth string) sharingCollection {
		id := CollectionID(sc.Key())
		return sharingCollection{Name: name, ID: id, ObjectsURL: base + "/taxii2/api/collections/" + id + "/objects/", Auth: auth,
			Max: share.ChannelMax(string(sc.Channel))}
	}
	return []sharingChannel{
		{Name: "MISP feed, public", URL: base + "/feeds/misp/public/", Max: share.ChannelMax(string(share.ChannelPublic)), Auth: "none",
			Use: "In MISP: Sync Actions → Feeds → Add Feed, input source “Network”, source format “MISP Feed”, this URL; MISP fetches manifest.json and the events."},
		{Name: "MISP feed, community", URL: base + "/feeds/misp/community/", Max: share.ChannelMax(string(share.ChannelCommunity)), Auth: token,
			Use: "The same in MISP, with the header “Authorization: Bearer TOKEN” in the feed's Headers field."},
		{Name: "TAXII 2.1", URL: base + "/taxii2/", Max: share.ChannelMax(string(share.ChannelOrg)), Auth: token + " (the public collection needs none)",
			Use: "OpenCTI (Data → Ingestion → TAXII feeds) or a SIEM's TAXII 2.1 client: API root " + base + "/taxii2/api/, a collection id below, the token as Bearer.",
			Collections: []sharingCollection{
				coll("Public", store.ShareScope{Channel: share.ChannelPublic}, "none"),
				coll("Community", store.ShareScope{Channel: share.ChannelCommunity}, "API token"),
				coll("Your organisation", org, "API token"),
			}},
		{Name: "CSAF 2.0 provider", URL: base + "/.well-known/csaf/provider-metadata.json", Max: share.TLPAmber, Auth: "none for TLP:CLEAR; " + token + " for GREEN and AMBER",
			Use: "CSAF tools (csaf_downloader, an aggregator, Aceso's own feed sync) read the advisories from this provider-metadata.json and its ROLIE feeds."},
	}
}

func (s *Server) renderSharing(w http.ResponseWriter, r *http.Request, p access.Principal, status int, errMsg, flash string) error {
	rows, err := s.db.ManagedSharedObservables(r.Context(), p)
	if err != nil {
		return err
	}
	d := sharingPageData{Channels: s.sharingChannels(r, p), Shared: rows, CanManage: p.Role.AtLeast(access.RoleAnalyst),
		CanTokens: p.Role.AtLeast(access.RoleAdmin), Labels: []share.TLP{share.TLPClear, share.TLPGreen, share.TLPAmber, share.TLPAmberStrict}}
	if status != http.StatusOK {
		w.WriteHeader(status)
	}
	s.render(w, r, "sharing", page{Title: "Sharing", Nav: "sharing", Error: errMsg, Flash: flash, Data: d})
	return nil
}

func (s *Server) sharingPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.renderSharing(w, r, p, http.StatusOK, "", r.URL.Query().Get("flash"))
}

func (s *Server) relabelShared(r *http.Request, p access.Principal, id int64, tlp, reason string) (store.SharedObservable, error) {
	label, err := share.ParseTLP(tlp)
	if err != nil {
		return store.SharedObservable{}, aceso.Errorf(aceso.EINVALID, "tlp: %s", aceso.ErrorMessage(err))
	}
	var out store.SharedObservable
	err = s.db.InTx(r.Context(), func(tx *store.Tx) error {
		var err error
		out, err = tx.RelabelShared(r.Context(), p, id, label, reason)
		return err
	})
	return out, err
}

func (s *Server) sharingRelabelSubmit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "shared")
	if err != nil {
		return err
	}
	tlp, err := formValue(r, "tlp")
	if err != nil {
		return err
	}
	out, err := s.relabelShared(r, p, id, tlp, r.PostFormValue("reason"))
	if err != nil {
		if aceso.ErrorCode(err) == aceso.EINVALID {
			return s.renderSharing(w, r, p, http.StatusBadRequest, aceso.ErrorMessage(err), "")
		}
		return err
	}
	return seeOther(w, r, "/sharing?flash="+url.QueryEscape(out.Kind+" "+out.Value+" is now shared under "+out.TLP.String()+"."))
}

func (s *Server) unshare(r *http.Request, p access.Principal, id int64) error {
	return s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.Unshare(r.Context(), p, id) })
}

func (s *Server) sharingUnshareSubmit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "shared")
	if err != nil {
		return err
	}
	if err := s.unshare(r, p, id); err != nil {
		return err
	}
	return seeOther(w, r, "/sharing?flash="+url.QueryEscape("No longer shared: the feeds and TAXII collections drop it now."))
}

func (s *Server) apiSharedRelabel(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "shared")
	if err != nil {
		return err
	}
	var in struct {
		TLP    string `json:"tlp"`
		Reason string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	out, err := s.relabelShared(r, p, id, in.TLP, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiUnshare(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "shared")
	if err != nil {
		return err
	}
	if err := s.unshare(r, p, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// sharingIntelData is the intel browser: filters, a page, the next link.
type sharingIntelData struct {
	Filter    store.IntelFilter
	TLP       string
	Page      store.IntelPage
	Facets    store.IntelFacets
	Labels    []share.TLP
	NextURL   string
	CanImport bool
}

// intelFilter reads the browser's query; bad values are EINVALID naming
// the parameter.
func intelFilter(q url.Values) (store.IntelFilter, error) {
	f := store.IntelFilter{Format: q.Get("format"), ObjectType: q.Get("type"), Source: q.Get("source"), Q: q.Get("q")}
	if f.Format != "" && f.Format != store.FormatMISP && f.Format != store.FormatSTIX {
		return f, aceso.Errorf(aceso.EINVALID, "format %.40q must be misp or stix", f.Format)
	}
	if v := q.Get("tlp"); v != "" {
		l, err := share.ParseTLP(v)
		if err != nil {
			return f, aceso.Errorf(aceso.EINVALID, "tlp: %s", aceso.ErrorMessage(err))
		}
		f.TLP = l
	}
	return f, queryNumber(q, "before", 0, 0, &f.Before)
}

func (s *Server) sharingIntelPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q := r.URL.Query()
	f, err := intelFilter(q)
	if err != nil {
		return err
	}
	pg, err := s.db.SearchIntel(r.Context(), p, f)
	if err != nil {
		return err
	}
	facets, err := s.db.IntelFacets(r.Context(), p)
	if err != nil {
		return err
	}
	d := sharingIntelData{Filter: f, Page: pg, Facets: facets, Labels: share.Labels, CanImport: p.Role.AtLeast(access.RoleAnalyst)}
	if f.TLP.Valid() {
		d.TLP = f.TLP.String()
	}
	if pg.Next != 0 {
		next := url.Values{}
		for _, k := range []string{"format", "type", "tlp", "source", "q"} {
			if v := q.Get(k); v != "" {
				next.Set(k, v)
			}
		}
		next.Set("before", strconv.FormatInt(pg.Next, 10))
		d.NextURL = "/sharing/intel?" + next.Encode()
	}
	s.render(w, r, "sharing-intel", page{Title: "Imported intelligence", Nav: "sharing", Flash: q.Get("flash"), Data: d})
	return nil
}

// sharingIntelItemData is one stored object version.
type sharingIntelItemData struct {
	CanImport bool
	Intel     store.Intel
	Title     string
	Pretty    string
	Versions  []store.Intel
}

func (s *Server) sharingIntelItemPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "intel")
	if err != nil {
		return err
	}
	it, err := s.db.IntelByID(r.Context(), p, id)
	if err != nil {
		return err
	}
	vers, err := s.db.IntelVersions(r.Context(), p, it.ObjectID)
	if err != nil {
		return err
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, it.Body, "", "  "); err != nil {
		pretty.Reset()
		pretty.Write(it.Body)
	}
	d := sharingIntelItemData{CanImport: p.Role.AtLeast(access.RoleAnalyst), Intel: it, Title: store.IntelTitle(it.Body), Pretty: pretty.String(), Versions: vers}
	title := d.Title
	if title == "" {
		title = it.ObjectID
	}
	s.render(w, r, "sharing-intel-item", page{Title: title, Nav: "sharing", Data: d})
	return nil
}
