package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
)

// Limits of an intelligence import from the UI or the API. The CLI
// (aceso share import-misp) runs as the operator and has none of them.
const (
	intelDocMax        = 16 << 20             // one uploaded or fetched document
	intelUploadBody    = intelDocMax + 1<<20  // request body: the document plus the multipart envelope
	intelFetchTotal    = 64 << 20             // every document of one feed import together
	intelFeedEvents    = 500                  // events of one feed import
	intelFetchTimeout  = 30 * time.Second     // one request, body included
	intelImportTimeout = 2 * time.Minute      // a whole feed
	intelRedirects     = 3                    // redirects followed per request
	intelDialTimeout   = 10 * time.Second     // one connection
	intelHeaderTimeout = 20 * time.Second     // waiting for response headers
	intelUserAgent     = "Aceso intel import" // so feed operators can tell who fetches
)

// allowLoopbackFetch lets imports fetch http:// and https:// URLs on
// loopback addresses. Only tests set it (their feed servers listen on
// 127.0.0.1); a server never fetches its own host or other local services.
var allowLoopbackFetch = false

// blockedPrefixes are address ranges an import never connects to, beyond
// what netip classifies as private, loopback, link-local, multicast or
// unspecified: shared address space, special-purpose and documentation
// ranges, IPv6 prefixes that embed IPv4 addresses (which could reach a
// private network through a gateway or a dual stack: NAT64, Teredo, 6to4,
// IPv4-compatible ::/96, IPv4-translated ::ffff:0:0:0/96) and the
// deprecated site-local fec0::/10, which some networks still route inside.
var blockedPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "240.0.0.0/4", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/32", "2001:db8::/32", "2002::/16",
		"::/96", "::ffff:0:0:0/96", "fec0::/10"} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// publicAddr reports whether an import may connect to a.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range blockedPrefixes {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// errRefusedAddr marks a connection the import refused to open.
type errRefusedAddr struct{ addr string }

func (e *errRefusedAddr) Error() string {
	return "address " + e.addr + " is not public: imports do not fetch from private, loopback, link-local or special-purpose addresses"
}

// intelFetcher fetches import documents from outside: https only (http
// only to loopback, for tests), public addresses only — checked on the
// address actually dialled, so neither DNS answers nor redirects lead to an
// internal service — no proxy from the environment (a proxy would dial for
// us), a few redirects, per-request timeout, per-document and total size
// limits.
type intelFetcher struct {
	client   *http.Client
	loopback bool
	read     int64 // bytes read so far, against intelFetchTotal
}

func newIntelFetcher(loopback bool) *intelFetcher {
	f := &intelFetcher{loopback: loopback}
	dialer := &net.Dialer{Timeout: intelDialTimeout, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return &errRefusedAddr{address}
		}
		if publicAddr(ap.Addr()) || (loopback && ap.Addr().Unmap().IsLoopback()) {
			return nil
		}
		return &errRefusedAddr{ap.Addr().String()}
	}}
	tr := &http.Transport{Proxy: nil, DialContext: dialer.DialContext, ForceAttemptHTTP2: true, TLSHandshakeTimeout: intelDialTimeout,
		ResponseHeaderTimeout: intelHeaderTimeout, MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second}
	f.client = &http.Client{Transport: tr, Timeout: intelFetchTimeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > intelRedirects {
			return aceso.Errorf(aceso.EUNAVAILABLE, "more than %d redirects", intelRedirects)
		}
		return f.checkURL(req.URL)
	}}
	return f
}

func (f *intelFetcher) close() { f.client.CloseIdleConnections() }

// checkURL allows https URLs, and http ones to loopback when the fetcher
// may use loopback.
func (f *intelFetcher) checkURL(u *url.URL) error {
	switch {
	case u.Host == "" || u.Hostname() == "":
		return aceso.Errorf(aceso.EINVALID, "url: %.200q has no host", store.RedactSource(u.String()))
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && f.loopback:
		if a, err := netip.ParseAddr(u.Hostname()); (err == nil && a.IsLoopback()) || u.Hostname() == "localhost" {
			return nil
		}
	}
	return aceso.Errorf(aceso.EINVALID, "url: %.200q must be an https URL", store.RedactSource(u.String()))
}

// get fetches one document.
func (f *intelFetcher) get(ctx context.Context, raw string) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, aceso.Errorf(aceso.EINVALID, "url: not a URL")
	}
	if err := f.checkURL(u); err != nil {
		return nil, err
	}
	src := store.RedactSource(raw)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, aceso.Errorf(aceso.EINVALID, "url: %.200q: not a URL", src)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", intelUserAgent)
	res, err := f.client.Do(req)
	if err != nil {
		var refused *errRefusedAddr
		var ae *aceso.Error
		var ue *url.Error
		switch {
		case errors.As(err, &refused):
			return nil, aceso.Errorf(aceso.EINVALID, "get %s: %s", src, refused.Error())
		case errors.As(err, &ae):
			return nil, aceso.Wrap(aceso.ErrorCode(err), err, "get %s: %s", src, aceso.ErrorMessage(err))
		case errors.As(err, &ue) && ue.Timeout():
			return nil, aceso.Wrap(aceso.EUNAVAILABLE, err, "get %s: no answer within %s", src, intelFetchTimeout)
		case errors.As(err, &ue):
			// url.Error's own text repeats the URL with its query.
			return nil, aceso.Wrap(aceso.EUNAVAILABLE, err, "get %s: %v", src, ue.Err)
		}
		return nil, aceso.Wrap(aceso.EUNAVAILABLE, err, "get %s: failed", src)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, aceso.Errorf(aceso.EUNAVAILABLE, "get %s: %s", src, res.Status)
	}
	limit := min(int64(intelDocMax), intelFetchTotal-f.read)
	b, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	f.read += int64(len(b))
	if err != nil {
		return nil, aceso.Wrap(aceso.EUNAVAILABLE, err, "get %s: reading the answer failed", src)
	}
	if int64(len(b)) > limit {
		if limit < intelDocMax {
			return nil, aceso.Errorf(aceso.ETOOLARGE, "get %s: the import is over %d MiB in all", src, intelFetchTotal>>20)
		}
		return nil, aceso.Errorf(aceso.ETOOLARGE, "get %s: larger than %d MiB", src, intelDocMax>>20)
	}
	return b, nil
}

// importSource is what to import: a document (uploaded or sent as JSON)
// or a URL to fetch.
type importSource struct {
	Name   string // file name, for the report and as the intel's source
	Data   []byte
	URL    string
	Format string // auto, misp, stix
}

// intelImports bounds the imports (uploaded or fetched) running at once in
// the process: each may hold a 16 MiB document, a feed up to 64 MiB, and
// what they parse into.
var intelImports = make(chan struct{}, 2)

// takeIntelImport claims an import slot before the request body is read,
// returning the function that frees it; when every slot is taken it is
// ETOOMANY at once (an import is not queued: the client tries again).
func takeIntelImport() (release func(), err error) {
	select {
	case intelImports <- struct{}{}:
		return func() { <-intelImports }, nil
	default:
		return nil, aceso.Errorf(aceso.ETOOMANY, "%d intelligence imports are running already; try again when one has finished", cap(intelImports))
	}
}

// importIntel parses src (fetching it, and a feed's events, when it is a
// URL) and stores what it holds for p in one transaction. The caller holds
// an import slot (takeIntelImport).
func (s *Server) importIntel(ctx context.Context, p access.Principal, src importSource) (store.IntelImportReport, error) {
	if err := access.Authorize(p, access.ActAnalyse, p.OrgID); err != nil {
		return store.IntelImportReport{}, err
	}
	format := strings.ToLower(strings.TrimSpace(src.Format))
	switch format {
	case "":
		format = store.IntelFormatAuto
	case store.IntelFormatAuto, store.FormatMISP, store.FormatSTIX:
	default:
		return store.IntelImportReport{}, aceso.Errorf(aceso.EINVALID, "format %.40q must be auto, misp or stix", src.Format)
	}
	var (
		batch store.IntelBatch
		err   error
	)
	if src.URL != "" {
		batch, err = s.fetchIntel(ctx, src.URL, format)
	} else {
		if len(src.Data) == 0 {
			return store.IntelImportReport{}, aceso.Errorf(aceso.EINVALID, "%s is empty", src.Name)
		}
		if len(src.Data) > intelDocMax {
			return store.IntelImportReport{}, aceso.Errorf(aceso.ETOOLARGE, "%s is larger than %d MiB", src.Name, intelDocMax>>20)
		}
		batch, err = store.ParseIntel(src.Data, format, src.Name)
	}
	if err != nil {
		return store.IntelImportReport{}, err
	}
	var rep store.IntelImportReport
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		rep, err = tx.ImportIntel(ctx, p, batch)
		return err
	})
	return rep, err
}

// fetchIntel fetches a URL and parses it: a STIX bundle, a MISP event, or
// a MISP feed (its manifest.json, or the feed's directory URL ending in
// "/") whose events are fetched next to the manifest.
func (s *Server) fetchIntel(ctx context.Context, raw, format string) (store.IntelBatch, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return store.IntelBatch{}, aceso.Errorf(aceso.EINVALID, "url: %.200q is not an absolute URL", store.RedactSource(raw))
	}
	if strings.HasSuffix(u.Path, "/") || u.Path == "" {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/manifest.json"
	}
	ctx, cancel := context.WithTimeout(ctx, intelImportTimeout)
	defer cancel()
	f := newIntelFetcher(allowLoopbackFetch)
	defer f.close()
	data, err := f.get(ctx, u.String())
	if err != nil {
		return store.IntelBatch{}, err
	}
	src := store.RedactSource(u.String())
	if format == store.IntelFormatAuto {
		format = store.DetectIntelFormat(data)
	}
	if format == store.FormatSTIX {
		return store.ParseSTIXIntel(data, src)
	}
	if _, err := share.ParseMISPEvent(data); err == nil || !store.IsMISPManifest(data) {
		return store.ParseMISPIntel(data, src)
	}
	man, err := share.ParseMISPManifest(data)
	if err != nil {
		return store.IntelBatch{}, aceso.Wrap(aceso.EINVALID, err, "%s: %s", src, aceso.ErrorMessage(err))
	}
	return store.CollectMISPFeed(ctx, man, src, intelFeedEvents, func(ctx context.Context, uuid string) ([]byte, string, error) {
		ev := u.ResolveReference(&url.URL{Path: uuid + ".json"})
		b, err := f.get(ctx, ev.String())
		return b, ev.String(), err
	})
}

// sharingImportData is the import page, with the report of the last import.
type sharingImportData struct {
	Report *store.IntelImportReport
	URL    string
	Format string
}

func (s *Server) renderSharingImport(w http.ResponseWriter, r *http.Request, status int, errMsg string, d sharingImportData) {
	if status != http.StatusOK {
		w.WriteHeader(status)
	}
	s.render(w, r, "sharing-import", page{Title: "Import intelligence", Nav: "sharing", Error: errMsg, Data: d})
}

func (s *Server) sharingImportPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	s.renderSharingImport(w, r, http.StatusOK, "", sharingImportData{Format: store.IntelFormatAuto})
	return nil
}

// readImportForm reads the import form or multipart API request: a URL,
// or the file in field "file".
func readImportForm(r *http.Request) (importSource, error) {
	var src importSource
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	if mt == "multipart/form-data" {
		if r.MultipartForm == nil {
			err = r.ParseMultipartForm(1 << 20)
		}
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return src, aceso.Errorf(aceso.ETOOLARGE, "upload larger than %d MiB", intelDocMax>>20)
		}
		return src, aceso.Wrap(aceso.EINVALID, err, "malformed form: %v", err)
	}
	src.Format, src.URL = r.FormValue("format"), strings.TrimSpace(r.FormValue("url"))
	if src.URL != "" {
		return src, nil
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return src, aceso.Errorf(aceso.EINVALID, "file: choose a MISP event or STIX bundle file, or give a URL")
	}
	defer file.Close()
	src.Name = trimName(path.Base(strings.ReplaceAll(hdr.Filename, `\`, "/")))
	if src.Name == "." || src.Name == "/" {
		src.Name = "upload"
	}
	src.Data, err = io.ReadAll(io.LimitReader(file, intelDocMax+1))
	if err != nil {
		return src, fmt.Errorf("read upload: %w", err)
	}
	return src, nil
}

func (s *Server) sharingImportSubmit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var (
		src importSource
		rep store.IntelImportReport
	)
	release, err := takeIntelImport()
	if err == nil {
		defer release()
		src, err = readImportForm(r)
	}
	if err == nil {
		rep, err = s.importIntel(r.Context(), p, src)
	}
	d := sharingImportData{URL: src.URL, Format: src.Format}
	if err != nil {
		switch c := aceso.ErrorCode(err); c {
		case aceso.EINVALID, aceso.ETOOLARGE, aceso.EUNAVAILABLE, aceso.ETOOMANY:
			s.renderSharingImport(w, r, statusOf[c], aceso.ErrorMessage(err), d)
			return nil
		}
		return err
	}
	d.Report = &rep
	s.renderSharingImport(w, r, http.StatusOK, "", d)
	return nil
}

func (s *Server) apiIntelImport(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	release, err := takeIntelImport()
	if err != nil {
		return err
	}
	defer release()
	var src importSource
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		if src, err = readImportForm(r); err != nil {
			return err
		}
	} else {
		var in struct {
			URL      string          `json:"url"`
			Document json.RawMessage `json:"document"`
			Name     string          `json:"name"`
			Format   string          `json:"format"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		switch {
		case in.URL != "" && len(in.Document) > 0:
			return aceso.Errorf(aceso.EINVALID, "give url or document, not both")
		case in.URL == "" && len(in.Document) == 0:
			return aceso.Errorf(aceso.EINVALID, "url or document is required")
		}
		name := strings.TrimSpace(in.Name)
		if name == "" {
			name = "document"
		}
		src = importSource{Name: trimName(name), Data: in.Document, URL: strings.TrimSpace(in.URL), Format: in.Format}
	}
	rep, err := s.importIntel(r.Context(), p, src)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rep)
	return nil
}

// trimName keeps a client-chosen name short and on one line.
func trimName(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "")
	}
	return s
}
