package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
)

// TAXII 2.1 media types.
const (
	taxiiMediaType = "application/taxii+json;version=2.1"
	stixMediaType  = "application/stix+json;version=2.1"
	// taxiiMaxContent is the largest POST body the API root accepts (it is
	// advertised as max_content_length; larger requests get 413).
	taxiiMaxContent = 10 << 20
	taxiiTimeLayout = "2006-01-02T15:04:05.000000Z"
)

// CollectionID returns the TAXII collection id of a sharing scope key
// ("public", "community", "org:ID"): a UUIDv5, fixed across restarts and
// nodes, that does not reveal which organisation a collection belongs to.
func CollectionID(key string) string {
	return share.UUIDv5(share.NamespaceAceso, "taxii-collection:"+key)
}

// shareCache holds exported objects and feeds per scope until the store's
// sharing stamp changes, so that a TAXII page or a feed file is served
// without rebuilding every object. The community view is the same for
// every member (TLP:GREEN reaches the whole community, and nothing
// stricter is allowed on the channel), so one entry serves them all.
type shareCache struct {
	mu    sync.Mutex
	stamp map[string]string
	objs  map[string][]store.SharedObject
	feeds map[string]share.MemFeed
}

func newShareCache() *shareCache {
	return &shareCache{stamp: map[string]string{}, objs: map[string][]store.SharedObject{}, feeds: map[string]share.MemFeed{}}
}

// objects returns the objects of scope, ordered by date added, id and
// version (the order TAXII pages in).
func (c *shareCache) objects(ctx context.Context, db *store.DB, p access.Principal, sc store.ShareScope) ([]store.SharedObject, error) {
	stamp, err := db.SharingStamp(ctx)
	if err != nil {
		return nil, err
	}
	key := "stix:" + sc.Key()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stamp[key] == stamp {
		return c.objs[key], nil
	}
	objs, err := db.SharedObjects(ctx, p, sc)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(objs, func(i, j int) bool { return objKey(objs[i]).less(objKey(objs[j])) })
	c.stamp[key], c.objs[key] = stamp, objs
	return objs, nil
}

// pageKey orders objects for paging; next tokens encode one.
type pageKey struct {
	added   int64
	id      string
	version int64
}

func objKey(o store.SharedObject) pageKey {
	return pageKey{o.DateAdded.UnixMicro(), o.ID, o.Version.UnixMicro()}
}

func (a pageKey) less(b pageKey) bool {
	if a.added != b.added {
		return a.added < b.added
	}
	if a.id != b.id {
		return a.id < b.id
	}
	return a.version < b.version
}

func (a pageKey) token() string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%d|%s|%d", a.added, a.id, a.version)))
}

func parseToken(s string) (pageKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	parts := strings.SplitN(string(b), "|", 3)
	if err != nil || len(parts) != 3 {
		return pageKey{}, aceso.Errorf(aceso.EINVALID, "next: not a token this server issued")
	}
	k := pageKey{id: parts[1]}
	k.added, err = strconv.ParseInt(parts[0], 10, 64)
	if err == nil {
		k.version, err = strconv.ParseInt(parts[2], 10, 64)
	}
	if err != nil {
		return pageKey{}, aceso.Errorf(aceso.EINVALID, "next: not a token this server issued")
	}
	return k, nil
}

// handleOwn registers a route whose handler answers its own errors. TAXII
// (and the MISP feed, read by MISP instances) are not under /api/v1, where
// Server.fail would render HTML pages and redirect to the login; their
// clients need machine-readable errors and Bearer tokens on every path.
// The route still enters the route list, so the route-matrix test and the
// OpenAPI document see it.
func (s *Server) handleOwn(rt Route, h http.HandlerFunc) {
	s.routes = append(s.routes, rt)
	pattern := rt.Method + " " + rt.Path
	s.mux.Handle(pattern, s.metrics.instrument(pattern, h))
}

// tokenPrincipal authenticates an API token sent as "Authorization: Bearer
// TOKEN" or, for TAXII clients that only speak HTTP Basic, as the password
// of Basic credentials (the user name is ignored). ok is false when the
// request carries no credentials.
func (s *Server) tokenPrincipal(r *http.Request) (p access.Principal, ok bool, err error) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		return p, false, nil
	}
	tok, bearer := strings.CutPrefix(h, "Bearer ")
	if !bearer {
		_, pw, basic := r.BasicAuth()
		if !basic || pw == "" {
			return p, true, aceso.Errorf(aceso.EUNAUTHORIZED, "send an API token as 'Authorization: Bearer TOKEN'")
		}
		tok = pw
	}
	p, err = s.db.TokenPrincipal(r.Context(), access.HashToken(strings.TrimSpace(tok)), s.now())
	return p, true, err
}

// taxiiHandler serves a TAXII request; authed says whether p comes from a
// token (public collections are readable without one).
type taxiiHandler func(w http.ResponseWriter, r *http.Request, p access.Principal, authed bool) error

// taxii wraps h with TAXII's rules: body limit, token authentication (a
// bad token is always 401; a missing one only where the route is not
// public), the route's role, and errors as TAXII error objects.
func (s *Server) taxii(rt Route, h taxiiHandler) {
	rt.API = true
	if rt.Act == "" {
		rt.Act = access.ActRead // public routes: a token, when sent, must still be good for reading
	}
	if rt.MaxBody == 0 {
		rt.MaxBody = taxiiMaxContent
	}
	s.handleOwn(rt, func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, rt.MaxBody)
		p, authed, err := s.tokenPrincipal(r)
		if err == nil && !authed && rt.Auth != Public {
			err = aceso.Errorf(aceso.EUNAUTHORIZED, "authentication required: send an API token as 'Authorization: Bearer TOKEN'")
		}
		if err == nil && authed {
			err = access.Authorize(p, rt.Act, p.OrgID)
		}
		if err == nil {
			err = h(w, r, p, authed)
		}
		if err != nil {
			s.taxiiFail(w, r, err)
		}
	})
}

// taxiiError is the TAXII 2.1 error resource (§3.6.1). Aceso adds its own
// {"code","message"} as the custom property "error", so Aceso's clients
// read one error shape everywhere; TAXII clients ignore it.
type taxiiError struct {
	Title       string            `json:"title"`
	Description string            `json:"description,omitempty"`
	HTTPStatus  string            `json:"http_status"`
	Error       map[string]string `json:"error"`
}

func (s *Server) taxiiFail(w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = aceso.Errorf(aceso.ETOOLARGE, "request body larger than %d bytes", mbe.Limit)
	}
	code := aceso.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	msg := aceso.ErrorMessage(err)
	var te *taxiiStatusErr
	if errors.As(err, &te) {
		status, code, msg = te.status, aceso.EINVALID, te.msg
	}
	if status >= 500 {
		s.log.Error("taxii request failed", "request_id", requestID(r.Context()), "method", r.Method, "path", r.URL.Path, "err", err)
		if code == aceso.EINTERNAL {
			msg = "internal error; the request id is " + requestID(r.Context())
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="aceso-taxii"`)
	}
	writeTAXII(w, status, taxiiError{Title: http.StatusText(status), Description: msg, HTTPStatus: strconv.Itoa(status),
		Error: map[string]string{"code": code, "message": msg}})
}

// taxiiStatusErr carries an HTTP status that has no aceso code (406, 415).
type taxiiStatusErr struct {
	status int
	msg    string
}

func (e *taxiiStatusErr) Error() string { return e.msg }

func writeTAXII(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", taxiiMediaType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// acceptsTAXII reports whether the Accept header admits TAXII 2.1 JSON. A
// missing header admits anything (RFC 9110 §12.5.1).
func acceptsTAXII(r *http.Request) bool {
	h := r.Header.Values("Accept")
	if len(h) == 0 {
		return true
	}
	for _, part := range strings.Split(strings.Join(h, ","), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q := params["q"]; q == "0" || q == "0.0" || q == "0.00" || q == "0.000" {
			continue
		}
		switch mt {
		case "*/*", "application/*":
			return true
		case "application/taxii+json":
			if v, ok := params["version"]; !ok || v == "2.1" {
				return true
			}
		}
	}
	return false
}

func needTAXII(r *http.Request) error {
	if !acceptsTAXII(r) {
		return &taxiiStatusErr{http.StatusNotAcceptable, "Accept must admit " + taxiiMediaType}
	}
	return nil
}

// registerSharingRoutes adds the TAXII 2.1 server (/taxii2/) and the MISP
// feeds (/feeds/misp/). /taxii2 answers errors with TAXII's error object,
// not Aceso's {"error":{…}} alone (see taxiiError).
func (s *Server) registerSharingRoutes() {
	c := newShareCache()
	get, post := http.MethodGet, http.MethodPost
	read, analyse := access.ActRead, access.ActAnalyse
	s.taxii(Route{Method: get, Path: "/taxii2/{$}", Auth: Public, Summary: "TAXII 2.1 discovery (TAXII error object on failure)"}, s.taxiiDiscovery)
	s.taxii(Route{Method: get, Path: "/taxii2/api/{$}", Auth: Public, Summary: "TAXII 2.1 API root"}, s.taxiiAPIRoot)
	s.taxii(Route{Method: get, Path: "/taxii2/api/collections/{$}", Auth: Public, Summary: "TAXII collections the caller may read: public; with a token also community and the caller's organisation"}, s.taxiiCollections)
	s.taxii(Route{Method: get, Path: "/taxii2/api/status/{status}/{$}", Auth: User, Act: read, Summary: "TAXII status of an earlier POST of the caller's organisation"}, s.taxiiStatus)
	s.taxii(Route{Method: post, Path: "/taxii2/api/collections/{collection}/objects/{$}", Auth: User, Act: analyse,
		Summary: "Add STIX objects to a collection (analysts; TLP marking required and within the collection's maximum); returns a TAXII status (202)"}, func(w http.ResponseWriter, r *http.Request, p access.Principal, authed bool) error {
		return s.taxiiAdd(w, r, p, c)
	})
	reads := []struct {
		suffix, summary string
		h               func(w http.ResponseWriter, r *http.Request, p access.Principal, sc store.ShareScope, c *shareCache) error
	}{
		{"", "TAXII collection", s.taxiiCollection},
		{"objects/", "STIX objects of a collection: added_after, match[id|type|version|spec_version], limit/next; X-TAXII-Date-Added-First/Last", s.taxiiObjects},
		{"objects/{object}/", "All requested versions of one object", s.taxiiObject},
		{"objects/{object}/versions/", "Versions of one object", s.taxiiVersions},
		{"manifest/", "Manifest of a collection's objects", s.taxiiManifest},
	}
	for _, rd := range reads {
		h := rd.h
		wrap := func(w http.ResponseWriter, r *http.Request, p access.Principal, authed bool) error {
			sc, err := collectionScope(r.PathValue("collection"), p, authed)
			if err != nil {
				return err
			}
			if err := needTAXII(r); err != nil {
				return err
			}
			return h(w, r, p, sc, c)
		}
		// The public collection is readable without a token; its literal
		// path is more specific than the {collection} pattern.
		s.taxii(Route{Method: get, Path: "/taxii2/api/collections/" + CollectionID("public") + "/" + rd.suffix + "{$}", Auth: Public,
			Summary: rd.summary + " (public collection, no token)"}, func(w http.ResponseWriter, r *http.Request, p access.Principal, authed bool) error {
			r.SetPathValue("collection", CollectionID("public"))
			return wrap(w, r, p, authed)
		})
		s.taxii(Route{Method: get, Path: "/taxii2/api/collections/{collection}/" + rd.suffix + "{$}", Auth: User, Act: read, Summary: rd.summary}, wrap)
	}
	s.registerMISPRoutes(c)
}

// collectionScope resolves a collection id for the caller: public for
// anyone, community and the caller's own organisation collection for
// authenticated users. Any other id, another organisation's included, is
// not found.
func collectionScope(id string, p access.Principal, authed bool) (store.ShareScope, error) {
	id = strings.ToLower(id)
	switch {
	case id == CollectionID("public"):
		return store.ShareScope{Channel: share.ChannelPublic}, nil
	case authed && id == CollectionID("community"):
		return store.ShareScope{Channel: share.ChannelCommunity}, nil
	case authed && p.OrgID != 0 && id == CollectionID(store.ShareScope{Channel: share.ChannelOrg, OrgID: p.OrgID}.Key()):
		return store.ShareScope{Channel: share.ChannelOrg, OrgID: p.OrgID}, nil
	}
	return store.ShareScope{}, aceso.Errorf(aceso.ENOTFOUND, "collection %.60q not found", id)
}

func baseURL(r *http.Request, secure bool) string {
	scheme := "http"
	if r.TLS != nil || secure {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) taxiiDiscovery(w http.ResponseWriter, r *http.Request, _ access.Principal, _ bool) error {
	if err := needTAXII(r); err != nil {
		return err
	}
	root := s.publicBase(r) + "/taxii2/api/"
	writeTAXII(w, http.StatusOK, map[string]any{
		"title":       "Aceso TAXII 2.1 server",
		"description": "Sector sharing: advisories, shared indicators and contributed intelligence, filtered by TLP 2.0 per collection.",
		"default":     root, "api_roots": []string{root},
	})
	return nil
}

func (s *Server) taxiiAPIRoot(w http.ResponseWriter, r *http.Request, _ access.Principal, _ bool) error {
	if err := needTAXII(r); err != nil {
		return err
	}
	writeTAXII(w, http.StatusOK, map[string]any{
		"title": "Aceso sector sharing", "versions": []string{taxiiMediaType}, "max_content_length": taxiiMaxContent,
	})
	return nil
}

// collectionInfo is the TAXII collection resource of scope for p.
func collectionInfo(sc store.ShareScope, p access.Principal, authed bool) map[string]any {
	titles := map[share.Channel][2]string{
		share.ChannelPublic:    {"Public (TLP:CLEAR)", "Objects anyone may receive."},
		share.ChannelCommunity: {"Community (TLP:GREEN and below)", "Objects for every organisation of the sector community."},
		share.ChannelOrg:       {"Your organisation (up to TLP:AMBER+STRICT)", "Objects addressed to your organisation, and its own contributions."},
	}
	canWrite := authed && p.Role.AtLeast(access.RoleAnalyst) && (sc.Channel != share.ChannelPublic || p.OrgKind == access.KindCSIRT)
	t := titles[sc.Channel]
	return map[string]any{"id": CollectionID(sc.Key()), "title": t[0], "description": t[1], "alias": string(sc.Channel),
		"can_read": true, "can_write": canWrite, "media_types": []string{stixMediaType}}
}

func (s *Server) taxiiCollections(w http.ResponseWriter, r *http.Request, p access.Principal, authed bool) error {
	if err := needTAXII(r); err != nil {
		return err
	}
	list := []any{collectionInfo(store.ShareScope{Channel: share.ChannelPublic}, p, authed)}
	if authed {
		list = append(list, collectionInfo(store.ShareScope{Channel: share.ChannelCommunity}, p, authed),
			collectionInfo(store.ShareScope{Channel: share.ChannelOrg, OrgID: p.OrgID}, p, authed))
	}
	writeTAXII(w, http.StatusOK, map[string]any{"collections": list})
	return nil
}

func (s *Server) taxiiCollection(w http.ResponseWriter, r *http.Request, p access.Principal, sc store.ShareScope, _ *shareCache) error {
	writeTAXII(w, http.StatusOK, collectionInfo(sc, p, p.OrgID != 0))
	return nil
}

// objectQuery is a parsed TAXII filter: added_after, match[...], limit, next.
type objectQuery struct {
	addedAfter   time.Time
	ids, types   map[string]bool
	specVersions map[string]bool
	versions     []string // last, first, all, or timestamps
	limit        int
	next         *pageKey
}

func splitSet(v string) map[string]bool {
	if v == "" {
		return nil
	}
	out := map[string]bool{}
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out[s] = true
		}
	}
	return out
}

func parseObjectQuery(r *http.Request) (objectQuery, error) {
	q := r.URL.Query()
	oq := objectQuery{ids: splitSet(q.Get("match[id]")), types: splitSet(q.Get("match[type]")),
		specVersions: splitSet(q.Get("match[spec_version]")), limit: 100, versions: []string{"last"}}
	if v := q.Get("added_after"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return oq, aceso.Errorf(aceso.EINVALID, "added_after %.40q: not an RFC 3339 timestamp", v)
		}
		oq.addedAfter = t
	}
	if v := q.Get("match[version]"); v != "" {
		oq.versions = nil
		for s := range splitSet(v) {
			if s != "last" && s != "first" && s != "all" {
				if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
					return oq, aceso.Errorf(aceso.EINVALID, "match[version] %.40q: not last, first, all or a timestamp", s)
				}
			}
			oq.versions = append(oq.versions, s)
		}
	}
	if err := queryNumber(q, "limit", 1, 0, &oq.limit); err != nil {
		return oq, err
	}
	oq.limit = min(oq.limit, 1000) // a server may lower the limit (TAXII 2.1 §3.4)
	if v := q.Get("next"); v != "" {
		k, err := parseToken(v)
		if err != nil {
			return oq, err
		}
		oq.next = &k
	}
	return oq, nil
}

// filter applies the match and added_after filters, in page order.
func (oq objectQuery) filter(objs []store.SharedObject) []store.SharedObject {
	// Per id: which versions match[version] selects.
	type span struct{ first, last time.Time }
	spans := map[string]span{}
	for _, o := range objs {
		sp, ok := spans[o.ID]
		if !ok || o.Version.Before(sp.first) {
			sp.first = o.Version
		}
		if !ok || o.Version.After(sp.last) {
			sp.last = o.Version
		}
		spans[o.ID] = sp
	}
	out := make([]store.SharedObject, 0, len(objs))
	for _, o := range objs {
		if (oq.ids != nil && !oq.ids[o.ID]) || (oq.types != nil && !oq.types[o.Type]) ||
			(oq.specVersions != nil && !oq.specVersions[o.SpecVersion]) || !o.DateAdded.After(oq.addedAfter) {
			continue
		}
		keep := false
		for _, v := range oq.versions {
			switch v {
			case "all":
				keep = true
			case "last":
				keep = keep || o.Version.Equal(spans[o.ID].last)
			case "first":
				keep = keep || o.Version.Equal(spans[o.ID].first)
			default:
				t, _ := time.Parse(time.RFC3339Nano, v)
				keep = keep || o.Version.Truncate(time.Millisecond).Equal(t.Truncate(time.Millisecond))
			}
		}
		if keep {
			out = append(out, o)
		}
	}
	return out
}

// page cuts one page after the next token, setting the TAXII date headers.
func (oq objectQuery) page(w http.ResponseWriter, objs []store.SharedObject) (page []store.SharedObject, more bool, next string) {
	start := 0
	if oq.next != nil {
		start = sort.Search(len(objs), func(i int) bool { return oq.next.less(objKey(objs[i])) })
	}
	end := min(start+oq.limit, len(objs))
	page = objs[start:end]
	if len(page) > 0 {
		w.Header().Set("X-TAXII-Date-Added-First", page[0].DateAdded.UTC().Format(taxiiTimeLayout))
		w.Header().Set("X-TAXII-Date-Added-Last", page[len(page)-1].DateAdded.UTC().Format(taxiiTimeLayout))
	}
	if end < len(objs) {
		return page, true, objKey(page[len(page)-1]).token()
	}
	return page, false, ""
}

type envelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next,omitempty"`
	Objects []json.RawMessage `json:"objects,omitempty"`
}

func (s *Server) queryObjects(w http.ResponseWriter, r *http.Request, p access.Principal, sc store.ShareScope, c *shareCache, id string) ([]store.SharedObject, bool, string, error) {
	oq, err := parseObjectQuery(r)
	if err != nil {
		return nil, false, "", err
	}
	if id != "" {
		oq.ids = map[string]bool{id: true}
	}
	objs, err := c.objects(r.Context(), s.db, p, sc)
	if err != nil {
		return nil, false, "", err
	}
	objs = oq.filter(objs)
	if id != "" && len(objs) == 0 {
		return nil, false, "", aceso.Errorf(aceso.ENOTFOUND, "object %.80q not found in this collection", id)
	}
	page, more, next := oq.page(w, objs)
	return page, more, next, nil
}

func (s *Server) taxiiObjects(w http.ResponseWriter, r *http.Request, p access.Principal, sc store.ShareScope, c *shareCache) error {
	return s.writeEnvelope(w, r, p, sc, c, "")
}

func (s *Server) taxiiObject(w http.ResponseWriter, r *http.Request, p access.Principal, sc store.ShareScope, c *shareCache) error {
	return s.writeEnvelope(w, r, p, sc, c, r.PathValue("object"))
}

func (s *Server) writeEnvelope(w http.ResponseWriter, r *http.Request, p access.Principal, sc store.ShareScope, c *shareCache, id string) error {
	page, more, next, err := s.queryObjects(w, r, p, sc, c, id)
	if err != nil {
		return err
	}
	env := envelope{More: more, Next: next, Objects: make([]json.RawMessage, len(page))}
	for i, o := range page {
		env.Objects[i] = o.JSON
	}
	writeTAXII(w, http.StatusOK, env)
	return nil
}

func (s *Server) taxiiVersions(w http.ResponseWriter, r *http.Request, p access.Principal, sc store.ShareScope, c *shareCache) error {
	q := r.URL.Query()
	q.Set("match[version]", "all")
	r.URL.RawQuery = q.Encode()
	page, more, next, err := s.queryObjects(w, r, p, sc, c, r.PathValue("object"))
	if err != nil {
		return err
	}
	vs := make([]string, len(page))
	for i, o := range page {
		vs[i] = o.Version.UTC().Format(taxiiTimeLayout)
	}
	writeTAXII(w, http.StatusOK, map[string]any{"more": more, "next": next, "versions": vs})
	return nil
}

func (s *Server) taxiiManifest(w http.ResponseWriter, r *http.Request, p access.Principal, sc store.ShareScope, c *shareCache) error {
	page, more, next, err := s.queryObjects(w, r, p, sc, c, "")
	if err != nil {
		return err
	}
	type record struct {
		ID        string `json:"id"`
		DateAdded string `json:"date_added"`
		Version   string `json:"version"`
		MediaType string `json:"media_type"`
	}
	recs := make([]record, len(page))
	for i, o := range page {
		recs[i] = record{o.ID, o.DateAdded.UTC().Format(taxiiTimeLayout), o.Version.UTC().Format(taxiiTimeLayout), stixMediaType}
	}
	writeTAXII(w, http.StatusOK, map[string]any{"more": more, "next": next, "objects": recs})
	return nil
}

func (s *Server) taxiiStatus(w http.ResponseWriter, r *http.Request, p access.Principal, _ bool) error {
	if err := needTAXII(r); err != nil {
		return err
	}
	body, err := s.db.TAXIIStatus(r.Context(), p, r.PathValue("status"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", taxiiMediaType)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
	return nil
}

// statusDetail is one entry of a TAXII status resource's lists.
type statusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

// taxiiStatusResource is the TAXII 2.1 status resource (§4.3.1). Aceso
// processes a POST before answering, so it is always complete.
type taxiiStatusResource struct {
	ID               string         `json:"id"`
	Status           string         `json:"status"`
	RequestTimestamp string         `json:"request_timestamp"`
	TotalCount       int            `json:"total_count"`
	SuccessCount     int            `json:"success_count"`
	Successes        []statusDetail `json:"successes,omitempty"`
	FailureCount     int            `json:"failure_count"`
	Failures         []statusDetail `json:"failures,omitempty"`
	PendingCount     int            `json:"pending_count"`
}

func randomUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := fmt.Sprintf("%x", u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// PostedObject checks one STIX object of a TAXII POST for collection
// channel: it must be a JSON object that passes share.Validate and carry a
// TLP marking allowed on the channel. It returns the object as intel, or a
// message saying why it was refused. The standard TLP marking definitions
// themselves are accepted and not stored (skip is true).
func PostedObject(raw json.RawMessage, channel share.Channel) (it store.Intel, skip bool, problem string) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return it, false, "not a JSON object"
	}
	id, _ := m["id"].(string)
	typ, _ := m["type"].(string)
	it.ObjectID, it.ObjectType = id, typ
	if msgs := share.Validate(m); len(msgs) > 0 {
		if len(msgs) > 3 {
			msgs = append(msgs[:3], fmt.Sprintf("and %d more", len(msgs)-3))
		}
		return it, false, strings.Join(msgs, "; ")
	}
	if typ == "marking-definition" {
		if _, ok := share.MarkingsTLP([]string{id}); ok {
			return it, true, ""
		}
	}
	var refs []string
	if list, ok := m["object_marking_refs"].([]any); ok {
		for _, v := range list {
			if s, ok := v.(string); ok {
				refs = append(refs, s)
			}
		}
	}
	label, ok := share.MarkingsTLP(refs)
	if !ok {
		return it, false, "no TLP marking: add a TLP 2.0 marking in object_marking_refs"
	}
	if !share.AllowedOn(label, channel) {
		return it, false, label.String() + " is above this collection's maximum " + share.ChannelMax(string(channel)).String()
	}
	for _, f := range []string{"modified", "created"} {
		if v, ok := m[f].(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
				it.Version = t.UTC()
				break
			}
		}
	}
	it.SpecVersion, _ = m["spec_version"].(string)
	it.Format, it.TLP, it.Body = store.FormatSTIX, label, raw
	return it, false, ""
}

func (s *Server) taxiiAdd(w http.ResponseWriter, r *http.Request, p access.Principal, c *shareCache) error {
	sc, err := collectionScope(r.PathValue("collection"), p, true)
	if err != nil {
		return err
	}
	if err := needTAXII(r); err != nil {
		return err
	}
	if sc.Channel == share.ChannelPublic && p.OrgKind != access.KindCSIRT {
		return aceso.Errorf(aceso.EFORBIDDEN, "only the CSIRT publishes to the public collection")
	}
	if mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/taxii+json" ||
		(params["version"] != "" && params["version"] != "2.1") {
		return &taxiiStatusErr{http.StatusUnsupportedMediaType, "Content-Type must be " + taxiiMediaType}
	}
	var env struct {
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.NewDecoder(r.Body).Decode(&env); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return aceso.Errorf(aceso.EINVALID, "body: not a TAXII envelope {\"objects\": [...]}")
	}
	now := s.now().UTC()
	st := taxiiStatusResource{ID: randomUUID(), Status: "complete", RequestTimestamp: now.Format(taxiiTimeLayout), TotalCount: len(env.Objects)}
	var items []store.Intel
	for i, raw := range env.Objects {
		it, skip, problem := PostedObject(raw, sc.Channel)
		ver := ""
		if !it.Version.IsZero() {
			ver = it.Version.Format(taxiiTimeLayout)
		}
		if problem != "" {
			id := it.ObjectID
			if id == "" {
				id = "objects[" + strconv.Itoa(i) + "]"
			}
			st.Failures = append(st.Failures, statusDetail{ID: id, Version: ver, Message: problem})
			continue
		}
		st.Successes = append(st.Successes, statusDetail{ID: it.ObjectID, Version: ver})
		if !skip {
			it.Source, it.Collection = "taxii post", sc.Key()
			items = append(items, it)
		}
	}
	st.SuccessCount, st.FailureCount = len(st.Successes), len(st.Failures)
	body, err := json.Marshal(st)
	if err != nil {
		return err
	}
	err = s.db.InTx(r.Context(), func(tx *store.Tx) error {
		if len(items) > 0 {
			if _, err := tx.AddIntel(r.Context(), p, items); err != nil {
				return err
			}
		}
		return tx.SaveTAXIIStatus(r.Context(), p, st.ID, body)
	})
	if err != nil {
		return err
	}
	writeTAXII(w, http.StatusAccepted, st)
	return nil
}
