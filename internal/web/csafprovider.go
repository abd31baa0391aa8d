package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
)

// csafDir is one TLP directory of the CSAF provider: its CSAF 2.0 folder
// name, the TLP 2.0 label it carries and the sharing channel that decides
// who may read it (share.AllowedOn).
type csafDir struct {
	name    string // "white", "green", "amber"
	label   share.TLP
	channel share.Channel
}

// csafDirs are the directories Aceso serves. TLP:CLEAR (CSAF "WHITE") is
// public; GREEN is for any authenticated organisation of the community;
// AMBER for organisations that may see the advisory (store visibility).
// AMBER+STRICT has no CSAF 2.0 label and RED is for named people, so
// neither is ever published.
var csafDirs = []csafDir{
	{"white", share.TLPClear, share.ChannelPublic},
	{"green", share.TLPGreen, share.ChannelCommunity},
	{"amber", share.TLPAmber, share.ChannelOrg},
}

// csafEntry is one rendered document of a directory.
type csafEntry struct {
	trackingID, title string
	path              string // "2024/icsma-24-001-01.json"
	initial, current  time.Time
	data              []byte
	sha256, sha512    string
}

// csafCacheMax bounds each cache of rendered documents and signatures.
const csafCacheMax = 20000

// csafProvider serves Aceso as a CSAF 2.0 trusted provider. Rendered
// documents are cached by advisory row and update time, so that hashes
// and signatures are computed once per revision, not per request.
// Signatures are cached per signing key: the active key is read from the
// database on every request that needs it, so a rotation (by the API, the
// CLI or another node) takes effect at the next request.
type csafProvider struct {
	s    *Server
	mu   sync.Mutex
	docs map[string]*csafEntry // key: advisory id + updated_at
	sigs map[string][]byte     // key: signing key fingerprint + sha512 of the document
	// signMu serialises opening a key: decrypting it costs an Argon2id
	// derivation (64 MiB), which concurrent requests must not repeat.
	signMu   sync.Mutex
	signer   *share.CSAFSigner
	signerFP string // fingerprint of the key signer holds
}

// registerCSAFProviderRoutes serves /.well-known/csaf/: provider-metadata.json,
// the public key, and per TLP directory the documents with .sha256,
// .sha512 and .asc, index.txt, changes.csv and a ROLIE feed.
func (s *Server) registerCSAFProviderRoutes() {
	cp := &csafProvider{s: s, docs: map[string]*csafEntry{}, sigs: map[string][]byte{}}
	get := http.MethodGet
	s.feedRoute(Route{Method: get, Path: "/.well-known/csaf/provider-metadata.json", Auth: Public, Act: access.ActRead, API: true,
		Summary: "CSAF 2.0 provider metadata; lists the TLP directories the caller may read (with an API token also GREEN and AMBER)"}, cp.metadata)
	s.feedRoute(Route{Method: get, Path: "/.well-known/csaf/openpgp/{csaf_key}", Auth: Public, Act: access.ActRead, API: true,
		Summary: "The provider's OpenPGP public key (<FINGERPRINT>.asc)"}, cp.publicKey)
	s.feedRoute(Route{Method: get, Path: "/.well-known/csaf/service.json", Auth: Public, Act: access.ActRead, API: true,
		Summary: "ROLIE service document listing the CSAF feeds the caller may read"}, cp.service)
	s.handle(Route{Method: http.MethodPost, Path: "/api/v1/csaf/keys/rotate", Auth: User, Act: access.ActManageOrgs, API: true,
		Body: "CSAFKeyRotate", Resp: "CSAFKeyList",
		Summary: "Rotate the CSAF provider's signing key (CSIRT administrators): a new key signs from now on; the old one stays listed in provider-metadata.json for the grace period (default 30d)"}, cp.apiRotate)
	for _, d := range csafDirs {
		auth, who := Public, "no authentication"
		if d.channel != share.ChannelPublic {
			auth, who = User, "API token"
		}
		base := "/.well-known/csaf/" + d.name + "/"
		for _, f := range []struct {
			path, summary string
			h             func(w http.ResponseWriter, r *http.Request, p access.Principal, d csafDir) error
		}{
			{"index.txt", "CSAF index.txt", cp.index},
			{"changes.csv", "CSAF changes.csv", cp.changes},
			{csafFeedName(d), "CSAF ROLIE feed", cp.feed},
			{"{csaf_year}/{csaf_file}", "CSAF document (.json) or its .sha256, .sha512, .asc", cp.file},
			{"category-" + d.name + ".json", "ROLIE category document", cp.category},
			{"{$}", "HTML directory listing", cp.listing},
			{"{csaf_year}/{$}", "HTML directory listing of one year", cp.listing},
		} {
			dir, h := d, f.h
			s.feedRoute(Route{Method: get, Path: base + f.path, Auth: auth, Act: access.ActRead, API: true,
				Summary: fmt.Sprintf("%s, TLP:%s directory (%s)", f.summary, strings.ToUpper(d.name), who)},
				func(w http.ResponseWriter, r *http.Request, p access.Principal) error { return h(w, r, p, dir) })
		}
	}
}

func csafFeedName(d csafDir) string { return "csaf-feed-tlp-" + d.name + ".json" }

// readable reports whether the caller may read directory d: its label must
// be allowed on the directory's channel, and non-public channels need a token.
func readable(d csafDir, p access.Principal) bool {
	if !share.AllowedOn(d.label, d.channel) {
		return false
	}
	return d.channel == share.ChannelPublic || p.OrgID != 0 || p.IsSystem()
}

// signerKey returns a signer for the active key (created at first use).
// The key is read on every call, which costs one small query; it is
// opened (decrypted) only when its fingerprint changes.
func (cp *csafProvider) signerKey(ctx context.Context) (*share.CSAFSigner, store.CSAFKey, error) {
	k, err := cp.s.csafKeys().Active(ctx)
	if err != nil {
		return nil, k, err
	}
	cp.signMu.Lock()
	defer cp.signMu.Unlock()
	if cp.signer != nil && cp.signerFP == k.Fingerprint {
		return cp.signer, k, nil
	}
	sg, err := share.OpenCSAFSigner(k.Private, cp.s.opt.CSAFKeyPassphrase)
	if err != nil {
		return nil, k, fmt.Errorf("csaf key: %w", err)
	}
	cp.signer, cp.signerFP = sg, k.Fingerprint
	cp.mu.Lock()
	clear(cp.sigs) // signatures of the previous key are never served again
	cp.mu.Unlock()
	return sg, k, nil
}

// listedKeys returns the keys provider-metadata.json lists: the active one
// (created at first use) first, then retired keys still in their grace
// period, newest first.
func (cp *csafProvider) listedKeys(ctx context.Context) ([]store.CSAFKey, error) {
	if _, err := cp.s.csafKeys().Active(ctx); err != nil {
		return nil, err
	}
	keys, err := cp.s.db.CSAFKeys(ctx)
	if err != nil {
		return nil, err
	}
	now := cp.s.now()
	return slices.DeleteFunc(keys, func(k store.CSAFKey) bool { return !k.Listed(now) }), nil
}

// publicBase is what absolute URLs written for machines start with: the
// configured public URL or, when there is none (a demo), the scheme and
// Host header of the request — which a client controls and a proxy may
// rewrite, hence the start-up warning in that case.
func (s *Server) publicBase(r *http.Request) string {
	if s.opt.PublicURL != "" {
		return strings.TrimSuffix(s.opt.PublicURL, "/")
	}
	return baseURL(r, s.opt.SecureCookies)
}

// publisher is the CSAF publisher: the deployment's CSIRT, with the
// server's own URL as its namespace.
func (cp *csafProvider) publisher(ctx context.Context, base string) share.CSAFPublisher {
	pub := share.CSAFPublisher{Name: "Aceso", Namespace: base, Engine: cp.s.opt.Version}
	if o, err := cp.s.db.CSIRT(ctx); err == nil && o.Name != "" {
		pub.Name = o.Name
	}
	return pub
}

// entries renders the documents of directory d the caller may see, newest
// change first. File names that collide keep the oldest advisory.
func (cp *csafProvider) entries(ctx context.Context, r *http.Request, p access.Principal, d csafDir) ([]*csafEntry, error) {
	if !readable(d, p) {
		return nil, aceso.Errorf(aceso.ENOTFOUND, "CSAF directory %s not found", d.name)
	}
	if p.OrgID == 0 && !p.IsSystem() {
		p = access.Principal{} // public: the store needs no principal for CLEAR
	}
	advs, err := cp.s.db.CSAFAdvisories(ctx, p, d.label)
	if err != nil {
		return nil, err
	}
	pub := cp.publisher(ctx, cp.s.publicBase(r))
	seen := map[string]bool{}
	var out []*csafEntry
	for _, a := range advs {
		path := share.CSAFPath(a.Doc)
		if seen[path] {
			continue
		}
		seen[path] = true
		key := fmt.Sprintf("%d/%d/%s/%s", a.ID, a.UpdatedAt.UnixMicro(), pub.Name, pub.Namespace)
		cp.mu.Lock()
		e := cp.docs[key]
		cp.mu.Unlock()
		if e == nil {
			a.Doc.TLP = d.label.String()
			data, err := share.CSAFDocument(a.Doc, pub)
			if err != nil {
				cp.s.log.Warn("csaf provider: advisory not exported", "advisory", a.ID, "err", err)
				continue
			}
			ini, cur := share.CSAFDates(a.Doc)
			s256, s512 := sha256.Sum256(data), sha512.Sum512(data)
			e = &csafEntry{trackingID: a.TrackingID, title: a.Doc.Title, path: path, initial: ini, current: cur, data: data,
				sha256: hex.EncodeToString(s256[:]), sha512: hex.EncodeToString(s512[:])}
			cp.mu.Lock()
			if len(cp.docs) >= csafCacheMax {
				clear(cp.docs) // bounded: the Host header is part of the key
			}
			cp.docs[key] = e
			cp.mu.Unlock()
		}
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b *csafEntry) int {
		if c := b.current.Compare(a.current); c != 0 {
			return c
		}
		return strings.Compare(a.path, b.path)
	})
	return out, nil
}

func (cp *csafProvider) metadata(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	keys, err := cp.listedKeys(r.Context())
	if err != nil {
		return err
	}
	base := cp.s.publicBase(r)
	pub := cp.publisher(r.Context(), base)
	type feed struct {
		Summary  string `json:"summary"`
		TLPLabel string `json:"tlp_label"`
		URL      string `json:"url"`
	}
	type dist struct {
		DirectoryURL string `json:"directory_url"`
		ROLIE        struct {
			Feeds []feed `json:"feeds"`
		} `json:"rolie"`
	}
	var dists []dist
	last := time.Unix(0, 0).UTC()
	for _, d := range csafDirs {
		if !readable(d, p) {
			continue
		}
		es, err := cp.entries(r.Context(), r, p, d)
		if err != nil {
			return err
		}
		if len(es) > 0 && es[0].current.After(last) {
			last = es[0].current
		}
		label, _ := share.CSAFLabel(d.label)
		var ds dist
		ds.DirectoryURL = base + "/.well-known/csaf/" + d.name + "/"
		ds.ROLIE.Feeds = []feed{{Summary: "TLP:" + label + " advisories", TLPLabel: label, URL: ds.DirectoryURL + csafFeedName(d)}}
		dists = append(dists, ds)
	}
	pgpKeys := make([]map[string]string, 0, len(keys))
	for _, k := range keys {
		pgpKeys = append(pgpKeys, map[string]string{"fingerprint": k.Fingerprint, "url": base + "/.well-known/csaf/openpgp/" + k.Fingerprint + ".asc"})
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, map[string]any{
		"canonical_url":              base + "/.well-known/csaf/provider-metadata.json",
		"distributions":              dists,
		"last_updated":               last.Format(time.RFC3339),
		"list_on_CSAF_aggregators":   true,
		"metadata_version":           "2.0",
		"mirror_on_CSAF_aggregators": true,
		"public_openpgp_keys":        pgpKeys,
		"publisher":                  map[string]string{"category": "coordinator", "name": pub.Name, "namespace": pub.Namespace},
		"role":                       "csaf_trusted_provider",
	})
	return nil
}

// publicKey serves every key provider-metadata.json lists, so that a
// retired key can be fetched until its grace period ends.
func (cp *csafProvider) publicKey(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	keys, err := cp.listedKeys(r.Context())
	if err != nil {
		return err
	}
	i := slices.IndexFunc(keys, func(k store.CSAFKey) bool { return strings.EqualFold(r.PathValue("csaf_key"), k.Fingerprint+".asc") })
	if i < 0 {
		return aceso.Errorf(aceso.ENOTFOUND, "key %.60q not found", r.PathValue("csaf_key"))
	}
	w.Header().Set("Content-Type", "application/pgp-keys")
	_, _ = w.Write([]byte(keys[i].Public))
	return nil
}

func (cp *csafProvider) index(w http.ResponseWriter, r *http.Request, p access.Principal, d csafDir) error {
	es, err := cp.entries(r.Context(), r, p, d)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.path + "\n")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
	return nil
}

func (cp *csafProvider) changes(w http.ResponseWriter, r *http.Request, p access.Principal, d csafDir) error {
	es, err := cp.entries(r.Context(), r, p, d)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	for _, e := range es {
		_ = cw.Write([]string{e.path, e.current.Format(time.RFC3339)})
	}
	cw.Flush()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
	return nil
}

func (cp *csafProvider) feed(w http.ResponseWriter, r *http.Request, p access.Principal, d csafDir) error {
	es, err := cp.entries(r.Context(), r, p, d)
	if err != nil {
		return err
	}
	base := cp.s.publicBase(r) + "/.well-known/csaf/" + d.name + "/"
	label, _ := share.CSAFLabel(d.label)
	type link struct {
		Rel  string `json:"rel"`
		Href string `json:"href"`
	}
	entries := make([]map[string]any, 0, len(es))
	updated := time.Unix(0, 0).UTC()
	for _, e := range es {
		u := base + e.path
		if e.current.After(updated) {
			updated = e.current
		}
		entries = append(entries, map[string]any{
			"id": e.trackingID, "title": e.title,
			"link":      []link{{"self", u}, {"hash", u + ".sha256"}, {"hash", u + ".sha512"}, {"signature", u + ".asc"}},
			"published": e.initial.Format(time.RFC3339), "updated": e.current.Format(time.RFC3339),
			"content": map[string]string{"type": "application/json", "src": u},
			"format":  map[string]string{"schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", "version": "2.0"},
		})
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, map[string]any{"feed": map[string]any{
		"id":       "aceso-csaf-feed-tlp-" + d.name,
		"title":    "CSAF feed (TLP:" + label + ")",
		"link":     []link{{"self", base + csafFeedName(d)}},
		"category": []map[string]string{{"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}},
		"updated":  updated.Format(time.RFC3339),
		"entry":    entries,
	}})
	return nil
}

var rolieCSAFCategory = map[string]string{"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}

// service is the ROLIE service document (CSAF 2.0 requirement 16).
func (cp *csafProvider) service(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	base := cp.s.publicBase(r) + "/.well-known/csaf/"
	var cols []map[string]any
	for _, d := range csafDirs {
		if !readable(d, p) {
			continue
		}
		label, _ := share.CSAFLabel(d.label)
		cols = append(cols, map[string]any{"title": "CSAF feed (TLP:" + label + ")", "href": base + d.name + "/" + csafFeedName(d),
			"categories": map[string]any{"category": []map[string]string{rolieCSAFCategory}}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"service": map[string]any{
		"workspace": []map[string]any{{"title": "CSAF feeds", "collection": cols}}}})
	return nil
}

// category is a ROLIE category document (CSAF 2.0 requirement 17).
func (cp *csafProvider) category(w http.ResponseWriter, r *http.Request, p access.Principal, d csafDir) error {
	if _, err := cp.entries(r.Context(), r, p, d); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"categories": map[string]any{"category": []map[string]string{rolieCSAFCategory}}})
	return nil
}

// listing is the HTML directory listing of a TLP directory or of one of
// its year folders (CSAF 2.0 requirement 14), so that clients that crawl
// directories find every document. A year without documents is 404.
func (cp *csafProvider) listing(w http.ResponseWriter, r *http.Request, p access.Principal, d csafDir) error {
	es, err := cp.entries(r.Context(), r, p, d)
	if err != nil {
		return err
	}
	year := r.PathValue("csaf_year")
	var names []string
	if year == "" {
		names = []string{"index.txt", "changes.csv", csafFeedName(d)}
		for _, e := range es {
			if y, _, _ := strings.Cut(e.path, "/"); !slices.Contains(names, y+"/") {
				names = append(names, y+"/")
			}
		}
	} else {
		for _, e := range es {
			if y, file, _ := strings.Cut(e.path, "/"); y == year {
				names = append(names, file, file+".asc", file+".sha256", file+".sha512")
			}
		}
		if len(names) == 0 {
			return aceso.Errorf(aceso.ENOTFOUND, "CSAF folder %.20s not found", year)
		}
	}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><title>Index</title></head><body><ul>\n")
	for _, n := range names {
		fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a></li>\n", html.EscapeString(n), html.EscapeString(n))
	}
	b.WriteString("</ul></body></html>\n")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
	return nil
}

var csafYear = regexp.MustCompile(`^[0-9]{4}$`)

func (cp *csafProvider) file(w http.ResponseWriter, r *http.Request, p access.Principal, d csafDir) error {
	year, name := r.PathValue("csaf_year"), r.PathValue("csaf_file")
	notFound := aceso.Errorf(aceso.ENOTFOUND, "CSAF file %.20s/%.80s not found", year, name)
	if !csafYear.MatchString(year) {
		return notFound
	}
	doc, ext := name, ""
	for _, x := range []string{".sha256", ".sha512", ".asc"} {
		if s, ok := strings.CutSuffix(name, x); ok {
			doc, ext = s, x
		}
	}
	es, err := cp.entries(r.Context(), r, p, d)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(es, func(e *csafEntry) bool { return e.path == year+"/"+doc })
	if i < 0 {
		return notFound
	}
	e := es[i]
	w.Header().Set("Cache-Control", "no-cache")
	switch ext {
	case "":
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(e.data)
	case ".sha256":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "%s  %s\n", e.sha256, doc)
	case ".sha512":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "%s  %s\n", e.sha512, doc)
	case ".asc":
		sig, err := cp.signature(r.Context(), e)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/pgp-signature")
		_, _ = w.Write(sig)
	}
	return nil
}

// signature signs a document once per content and signing key.
func (cp *csafProvider) signature(ctx context.Context, e *csafEntry) ([]byte, error) {
	sg, k, err := cp.signerKey(ctx)
	if err != nil {
		return nil, err
	}
	key := k.Fingerprint + "/" + e.sha512
	cp.mu.Lock()
	sig := cp.sigs[key]
	cp.mu.Unlock()
	if sig != nil {
		return sig, nil
	}
	if sig, err = sg.Sign(e.data, cp.s.now()); err != nil {
		return nil, err
	}
	cp.mu.Lock()
	if len(cp.sigs) >= csafCacheMax {
		clear(cp.sigs)
	}
	cp.sigs[key] = sig
	cp.mu.Unlock()
	return sig, nil
}
