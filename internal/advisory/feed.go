package advisory

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/aceso-health/aceso"
)

// Feed fetches CSAF documents from a provider (provider-metadata.json) or
// an aggregator (aggregator.json listing providers), incrementally: only
// documents changed after the last sync are downloaded, and each is checked
// against the .sha512/.sha256 file published beside it.
type Feed struct {
	// Client makes the requests; nil means a client with a 60 s timeout.
	Client *http.Client
	// MaxSize bounds one downloaded file; 0 means 64 MiB.
	MaxSize int64
	// Keyring, when set, requires every document to carry a detached
	// OpenPGP signature (<document>.asc) by one of its keys; a missing or
	// bad signature rejects the document.
	Keyring openpgp.EntityList
}

// WithOpenPGPKey returns a copy of f that requires signatures by the
// armoured public key(s) given, as configured for one provider.
func (f *Feed) WithOpenPGPKey(armored string) (*Feed, error) {
	kr, err := openpgp.ReadArmoredKeyRing(strings.NewReader(armored))
	if err != nil {
		return nil, aceso.Wrap(aceso.EINVALID, err, "OpenPGP key: %v", err)
	}
	if len(kr) == 0 {
		return nil, aceso.Errorf(aceso.EINVALID, "OpenPGP key block holds no key")
	}
	c := *f
	c.Keyring = kr
	return &c, nil
}

// FeedDocument is one document a provider lists, with when it last changed.
type FeedDocument struct {
	URL      string
	Updated  time.Time // zero when only index.txt named it
	HashURLs []string  // .sha512 and .sha256 candidates, preferred first
}

// errNotFound marks a 404, so that a missing hash file or changes.csv can
// fall back instead of failing.
var errNotFound = errors.New("not found")

var defaultFeedClient = &http.Client{Timeout: 60 * time.Second}

func (f *Feed) client() *http.Client {
	if f.Client != nil {
		return f.Client
	}
	return defaultFeedClient
}

// get fetches u, failing on a non-2xx status or a body over the size limit.
func (f *Feed) get(ctx context.Context, u string) ([]byte, error) {
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return nil, fmt.Errorf("feed %s: not an http(s) URL", u)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("feed %s: %w", u, err)
	}
	resp, err := f.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("feed: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("feed %s: %w", u, errNotFound)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("feed %s: status %s", u, resp.Status)
	}
	limit := cmp.Or(f.MaxSize, maxDocumentSize)
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("feed %s: %w", u, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("feed %s: larger than %d bytes", u, limit)
	}
	return data, nil
}

type providerMetadata struct {
	Distributions []struct {
		DirectoryURL string `json:"directory_url"`
		ROLIE        *struct {
			Feeds []struct {
				URL string `json:"url"`
			} `json:"feeds"`
		} `json:"rolie"`
	} `json:"distributions"`
	// aggregator.json
	Providers []struct {
		Metadata struct {
			URL string `json:"url"`
		} `json:"metadata"`
	} `json:"csaf_providers"`
}

type rolieFeed struct {
	Feed struct {
		Entry []struct {
			Updated string `json:"updated"`
			Link    []struct {
				Rel  string `json:"rel"`
				Href string `json:"href"`
			} `json:"link"`
			Content struct {
				Src string `json:"src"`
			} `json:"content"`
		} `json:"entry"`
	} `json:"feed"`
}

// List returns the documents that the provider or aggregator at metadataURL
// lists as changed after since (all of them for a zero since), sorted by
// change time, then URL.
func (f *Feed) List(ctx context.Context, metadataURL string, since time.Time) ([]FeedDocument, error) {
	docs := map[string]FeedDocument{}
	if err := f.listMetadata(ctx, metadataURL, since, docs, true); err != nil {
		return nil, err
	}
	out := make([]FeedDocument, 0, len(docs))
	for _, d := range docs {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b FeedDocument) int {
		return cmp.Or(a.Updated.Compare(b.Updated), strings.Compare(a.URL, b.URL))
	})
	return out, nil
}

func (f *Feed) listMetadata(ctx context.Context, metadataURL string, since time.Time, docs map[string]FeedDocument, followProviders bool) error {
	data, err := f.get(ctx, metadataURL)
	if err != nil {
		return err
	}
	var md providerMetadata
	if err := json.Unmarshal(data, &md); err != nil {
		return fmt.Errorf("feed %s: provider metadata: %w", metadataURL, err)
	}
	if followProviders {
		for i, p := range md.Providers {
			u, err := resolve(metadataURL, p.Metadata.URL)
			if err != nil {
				return fmt.Errorf("feed %s: csaf_providers[%d].metadata.url: %w", metadataURL, i, err)
			}
			if err := f.listMetadata(ctx, u, since, docs, false); err != nil {
				return err
			}
		}
	}
	if len(md.Distributions) == 0 && len(md.Providers) == 0 {
		return fmt.Errorf("feed %s: no distributions and no csaf_providers", metadataURL)
	}
	for i, d := range md.Distributions {
		if d.ROLIE != nil && len(d.ROLIE.Feeds) > 0 {
			for j, fd := range d.ROLIE.Feeds {
				u, err := resolve(metadataURL, fd.URL)
				if err != nil {
					return fmt.Errorf("feed %s: distributions[%d].rolie.feeds[%d].url: %w", metadataURL, i, j, err)
				}
				if err := f.listROLIE(ctx, u, since, docs); err != nil {
					return err
				}
			}
			continue
		}
		if d.DirectoryURL == "" {
			return fmt.Errorf("feed %s: distributions[%d]: neither rolie feeds nor directory_url", metadataURL, i)
		}
		dir, err := resolve(metadataURL, d.DirectoryURL)
		if err != nil {
			return fmt.Errorf("feed %s: distributions[%d].directory_url: %w", metadataURL, i, err)
		}
		if err := f.listDirectory(ctx, dir, since, docs); err != nil {
			return err
		}
	}
	return nil
}

func (f *Feed) listROLIE(ctx context.Context, feedURL string, since time.Time, docs map[string]FeedDocument) error {
	data, err := f.get(ctx, feedURL)
	if err != nil {
		return err
	}
	var feed rolieFeed
	if err := json.Unmarshal(data, &feed); err != nil {
		return fmt.Errorf("feed %s: ROLIE: %w", feedURL, err)
	}
	for i, e := range feed.Feed.Entry {
		updated, err := time.Parse(time.RFC3339Nano, e.Updated)
		if err != nil {
			return fmt.Errorf("feed %s: entry[%d].updated: bad date %q", feedURL, i, e.Updated)
		}
		if !updated.After(since) {
			continue
		}
		var doc FeedDocument
		var hashes []string
		for _, l := range e.Link {
			switch l.Rel {
			case "self":
				doc.URL = l.Href
			case "hash":
				hashes = append(hashes, l.Href)
			}
		}
		doc.URL = cmp.Or(doc.URL, e.Content.Src)
		if doc.URL == "" {
			return fmt.Errorf("feed %s: entry[%d]: no self link", feedURL, i)
		}
		if doc.URL, err = resolve(feedURL, doc.URL); err != nil {
			return fmt.Errorf("feed %s: entry[%d]: %w", feedURL, i, err)
		}
		for _, h := range hashes {
			if u, err := resolve(feedURL, h); err == nil {
				doc.HashURLs = append(doc.HashURLs, u)
			}
		}
		doc.HashURLs = preferredHashes(doc.URL, doc.HashURLs)
		doc.Updated = updated
		addDoc(docs, doc)
	}
	return nil
}

// listDirectory reads changes.csv of a directory distribution, or, on a
// first sync of a directory without it, index.txt.
func (f *Feed) listDirectory(ctx context.Context, dir string, since time.Time, docs map[string]FeedDocument) error {
	if !strings.HasSuffix(dir, "/") {
		dir += "/"
	}
	data, err := f.get(ctx, dir+"changes.csv")
	if errors.Is(err, errNotFound) && since.IsZero() {
		return f.listIndex(ctx, dir, docs)
	}
	if err != nil {
		return err
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = 2
	for line := 1; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("feed %schanges.csv: %w", dir, err)
		}
		updated, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(rec[1]))
		if err != nil {
			return fmt.Errorf("feed %schanges.csv line %d: bad time %q", dir, line, rec[1])
		}
		if !updated.After(since) {
			continue
		}
		u, err := resolve(dir, relativeToDir(dir, strings.TrimSpace(rec[0])))
		if err != nil {
			return fmt.Errorf("feed %schanges.csv line %d: %w", dir, line, err)
		}
		addDoc(docs, FeedDocument{URL: u, Updated: updated, HashURLs: preferredHashes(u, nil)})
	}
}

func (f *Feed) listIndex(ctx context.Context, dir string, docs map[string]FeedDocument) error {
	data, err := f.get(ctx, dir+"index.txt")
	if err != nil {
		return err
	}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		u, err := resolve(dir, relativeToDir(dir, line))
		if err != nil {
			return fmt.Errorf("feed %sindex.txt line %d: %w", dir, i+1, err)
		}
		addDoc(docs, FeedDocument{URL: u, HashURLs: preferredHashes(u, nil)})
	}
	return nil
}

// relativeToDir strips from p the part of the directory's own path that
// some providers repeat: CISA's changes.csv says
// "csaf_files/OT/white/2024/x.json" for the directory ".../csaf_files/OT/white/",
// where the standard wants "2024/x.json".
func relativeToDir(dir, p string) string {
	du, err := url.Parse(dir)
	if err != nil || strings.Contains(p, "://") {
		return p
	}
	segs := strings.Split(strings.Trim(du.Path, "/"), "/")
	for i := range segs {
		prefix := strings.Join(segs[i:], "/") + "/"
		if strings.HasPrefix(p, prefix) {
			return strings.TrimPrefix(p, prefix)
		}
	}
	return p
}

func resolve(base, ref string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	r, err := url.Parse(strings.TrimSpace(ref))
	if err != nil {
		return "", err
	}
	u := b.ResolveReference(r)
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("%q is not an http(s) URL", ref)
	}
	return u.String(), nil
}

// preferredHashes returns the hash URLs to try, SHA-512 first; when the
// feed names none, the standard file names beside the document.
func preferredHashes(docURL string, listed []string) []string {
	if len(listed) == 0 {
		listed = []string{docURL + ".sha512", docURL + ".sha256"}
	}
	slices.SortStableFunc(listed, func(a, b string) int {
		return cmp.Compare(hashRank(a), hashRank(b))
	})
	return listed
}

func hashRank(u string) int {
	switch {
	case strings.HasSuffix(u, ".sha512"):
		return 0
	case strings.HasSuffix(u, ".sha256"):
		return 1
	}
	return 2
}

// addDoc keeps the latest listing of a URL that several feeds name.
func addDoc(docs map[string]FeedDocument, d FeedDocument) {
	if old, ok := docs[d.URL]; ok && !d.Updated.After(old.Updated) {
		return
	}
	docs[d.URL] = d
}

// Fetch downloads one listed document, checks it against the first hash
// file that exists, and parses it. A document without any hash file is
// kept with a warning; a hash mismatch is an error.
func (f *Feed) Fetch(ctx context.Context, d FeedDocument) (*Advisory, error) {
	data, err := f.get(ctx, d.URL)
	if err != nil {
		return nil, err
	}
	checked := false
	for _, hu := range d.HashURLs {
		sum, err := f.get(ctx, hu)
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := verifyHash(hu, sum, data); err != nil {
			return nil, fmt.Errorf("feed %s: %w", d.URL, err)
		}
		checked = true
		break
	}
	if len(f.Keyring) > 0 {
		sig, err := f.get(ctx, d.URL+".asc")
		if errors.Is(err, errNotFound) {
			return nil, fmt.Errorf("feed %s: no OpenPGP signature (.asc) published, but a key is configured for this provider", d.URL)
		}
		if err != nil {
			return nil, err
		}
		if _, err := openpgp.CheckArmoredDetachedSignature(f.Keyring, bytes.NewReader(data), bytes.NewReader(sig), nil); err != nil {
			return nil, fmt.Errorf("feed %s: OpenPGP signature does not verify: %v", d.URL, err)
		}
	}
	a, err := parseNamed(d.URL, data)
	if err != nil {
		return nil, err
	}
	if !checked {
		a.Warnings = append(a.Warnings, "feed: no .sha512 or .sha256 file published for "+d.URL)
	}
	return a, nil
}

// verifyHash compares data with the first field of a sha256sum/sha512sum
// style hash file.
func verifyHash(hashURL string, file, data []byte) error {
	fields := strings.Fields(string(file))
	if len(fields) == 0 {
		return fmt.Errorf("hash file %s is empty", hashURL)
	}
	want, err := hex.DecodeString(fields[0])
	if err != nil {
		return fmt.Errorf("hash file %s: %w", hashURL, err)
	}
	var h hash.Hash
	switch len(want) {
	case sha512.Size:
		h = sha512.New()
	case sha256.Size:
		h = sha256.New()
	default:
		return fmt.Errorf("hash file %s: %d-byte digest is neither SHA-256 nor SHA-512", hashURL, len(want))
	}
	h.Write(data)
	if !bytes.Equal(h.Sum(nil), want) {
		return fmt.Errorf("checksum mismatch with %s", hashURL)
	}
	return nil
}

// Sync lists the documents changed after since and calls fn for each in
// order of change, as (nil, err) for one that cannot be fetched, verified or
// parsed. It returns the time to pass as since next time: the newest change
// seen, but never past a document that failed, so that it is retried (the
// documents after it are then fetched again, which callers must tolerate).
// An error from fn stops the sync and is returned as is.
func (f *Feed) Sync(ctx context.Context, metadataURL string, since time.Time, fn func(a *Advisory, err error) error) (time.Time, error) {
	docs, err := f.List(ctx, metadataURL, since)
	if err != nil {
		return since, err
	}
	next, failed := since, false
	for _, d := range docs {
		if err := ctx.Err(); err != nil {
			return next, err
		}
		a, err := f.Fetch(ctx, d)
		if err != nil && !failed {
			failed = true
			if d.Updated.After(since) {
				next = d.Updated.Add(-time.Nanosecond)
			}
		}
		if !failed && d.Updated.After(next) {
			next = d.Updated
		}
		if err := fn(a, err); err != nil {
			return next, err
		}
	}
	return next, nil
}
