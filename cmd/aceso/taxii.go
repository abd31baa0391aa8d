package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
)

const taxiiUsage = `Usage: aceso taxii pull API_ROOT_URL --collection ID --org ORG [--token T] [--added-after TIME]

Pulls every STIX object of a TAXII 2.1 collection (following "next" pages)
into the organisation's intel. API_ROOT_URL is the API root, e.g.
https://cert.example/taxii2/api/. The token is sent as "Authorization:
Bearer"; prefer the environment variable ACESO_TAXII_TOKEN to keep it out of
the process list. Objects without a TLP marking are stored as TLP:AMBER.
`

const taxiiAccept = "application/taxii+json;version=2.1"

func cmdTAXII(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "pull" {
		fmt.Fprint(stdout, taxiiUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return nil
		}
		return usageError{fmt.Errorf("taxii: the action is pull")}
	}
	fs := newFlagSet("taxii pull", "taxii pull API_ROOT_URL [flags]", stderr)
	var collection, token, org, after string
	fs.StringVar(&collection, "collection", "", "collection `id`")
	fs.StringVar(&token, "token", getenv("ACESO_TAXII_TOKEN"), "API `token` (env ACESO_TAXII_TOKEN)")
	fs.StringVar(&org, "org", "", "organisation `name` that receives the objects")
	fs.StringVar(&after, "added-after", "", "only objects added after this RFC 3339 `time`")
	cfg, err := parseConfig(fs, positionalLast(args[1:]), getenv)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 || collection == "" || org == "" {
		return usageError{fmt.Errorf("taxii pull needs API_ROOT_URL, --collection and --org")}
	}
	if after != "" {
		if _, err := time.Parse(time.RFC3339Nano, after); err != nil {
			return usageError{fmt.Errorf("--added-after %q: not an RFC 3339 time", after)}
		}
	}
	db, err := openDB(ctx, cfg, cfg.AutoMigrate, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := orgPrincipal(ctx, db, org)
	if err != nil {
		return err
	}
	res, refused, err := pullTAXII(ctx, db, p, fs.Arg(0), collection, token, after)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pulled %d objects into %s (%d already held, %d refused; TLP:RED objects are never stored)\n", res.Added, org, res.Duplicates, refused)
	return nil
}

// pullTAXII pages through a collection's objects and stores them as intel
// in one transaction. Objects that are not JSON objects with an id are
// refused and counted; a failed page is an error and nothing is stored.
func pullTAXII(ctx context.Context, db *store.DB, p access.Principal, root, collection, token, after string) (store.IntelResult, int, error) {
	if !strings.HasSuffix(root, "/") {
		root += "/"
	}
	base := root + "collections/" + url.PathEscape(collection) + "/objects/"
	header := http.Header{"Accept": {taxiiAccept}}
	if token != "" {
		header.Set("Authorization", "Bearer "+token)
	}
	var items []store.Intel
	refused, next := 0, ""
	for page := 0; ; page++ {
		if page > 100_000 {
			return store.IntelResult{}, 0, aceso.Errorf(aceso.EUNAVAILABLE, "taxii pull: the server keeps returning more pages")
		}
		q := url.Values{"limit": {"1000"}}
		if after != "" {
			q.Set("added_after", after)
		}
		if next != "" {
			q.Set("next", next)
		}
		data, err := fetch(ctx, base+"?"+q.Encode(), header)
		if err != nil {
			return store.IntelResult{}, 0, fmt.Errorf("taxii pull: %w", err)
		}
		var env struct {
			More    bool              `json:"more"`
			Next    string            `json:"next"`
			Objects []json.RawMessage `json:"objects"`
		}
		if err := json.Unmarshal(data, &env); err != nil {
			return store.IntelResult{}, 0, aceso.Wrap(aceso.EINVALID, err, "taxii pull: page %d is not a TAXII envelope", page+1)
		}
		for _, raw := range env.Objects {
			it, ok := pulledObject(raw, root)
			if !ok {
				refused++
				continue
			}
			items = append(items, it)
		}
		if !env.More || env.Next == "" {
			break
		}
		next = env.Next
	}
	items, red := dropRed(items)
	refused += red
	var res store.IntelResult
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		res, err = tx.AddIntel(ctx, p, items)
		return err
	})
	return res, refused, err
}

// pulledObject reads the fields intel needs from a STIX object: id, type,
// spec_version, version (modified, else created) and TLP (its markings,
// TLP:AMBER when unmarked). The standard TLP marking definitions are
// refused: they are constants, not intelligence.
func pulledObject(raw json.RawMessage, source string) (store.Intel, bool) {
	var o struct {
		ID          string   `json:"id"`
		Type        string   `json:"type"`
		SpecVersion string   `json:"spec_version"`
		Created     string   `json:"created"`
		Modified    string   `json:"modified"`
		Markings    []string `json:"object_marking_refs"`
	}
	if err := json.Unmarshal(raw, &o); err != nil || o.ID == "" || o.Type == "" || len(o.ID) > 200 {
		return store.Intel{}, false
	}
	if _, isTLP := share.MarkingsTLP([]string{o.ID}); isTLP {
		return store.Intel{}, false
	}
	label, ok := share.MarkingsTLP(o.Markings)
	if !ok {
		label = share.TLPAmber
	}
	ver := time.Unix(0, 0).UTC()
	for _, v := range []string{o.Modified, o.Created} {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			ver = t.UTC()
			break
		}
	}
	return store.Intel{Format: store.FormatSTIX, Source: redactURL(source), ObjectID: o.ID, ObjectType: o.Type, Version: ver,
		SpecVersion: o.SpecVersion, TLP: label, Body: raw}, true
}
