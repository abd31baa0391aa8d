package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
)

const shareUsage = `Usage: aceso share <action> [flags]

Actions:
  export misp  --channel public|community --out DIR    write a MISP feed (manifest.json, hashes.csv, <uuid>.json)
  export stix  --channel public|community --out FILE   write a STIX 2.1 bundle ("-" for standard output)
  import-misp  --org ORG FILE|URL                      import a MISP event, or every event of a feed's manifest.json,
                                                       into the organisation's intel (TLP from tlp: tags, AMBER when untagged)

Exports carry only what TLP allows on the channel: TLP:CLEAR on public, up to TLP:GREEN on community.
Every action also takes --db (and --config).
`

// maxFetch bounds one downloaded document (an event, a manifest, a TAXII page).
const maxFetch = 64 << 20

func cmdShare(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, shareUsage)
		if len(args) == 0 {
			return usageError{fmt.Errorf("missing action")}
		}
		return nil
	}
	action, rest := args[0], args[1:]
	if action == "export" {
		if len(rest) == 0 || (rest[0] != "misp" && rest[0] != "stix") {
			return usageError{fmt.Errorf("share export needs a format: misp or stix")}
		}
		action, rest = "export "+rest[0], rest[1:]
	}
	if action != "export misp" && action != "export stix" && action != "import-misp" {
		return usageError{fmt.Errorf("share: unknown action %q", action)}
	}
	fs := newFlagSet("share "+action, "share "+action+" [flags]", stderr)
	var channel, out, org string
	fs.StringVar(&channel, "channel", "", "`channel`: public or community")
	fs.StringVar(&out, "out", "", "output `path`")
	fs.StringVar(&org, "org", "", "organisation `name` that receives the import")
	cfg, err := parseConfig(fs, positionalLast(rest), getenv)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg, cfg.AutoMigrate, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	switch action {
	case "import-misp":
		if fs.NArg() != 1 || org == "" {
			return usageError{fmt.Errorf("share import-misp needs --org ORG and one FILE or URL")}
		}
		p, err := orgPrincipal(ctx, db, org)
		if err != nil {
			return err
		}
		res, skipped, red, err := importMISP(ctx, db, p, fs.Arg(0))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "imported %d MISP events into %s (%d already held, %d unreadable, %d TLP:RED not stored)\n", res.Added, org, res.Duplicates, skipped, red)
		return nil
	}
	ch := share.Channel(strings.ToLower(channel))
	if ch != share.ChannelPublic && ch != share.ChannelCommunity {
		return usageError{fmt.Errorf("share %s needs --channel public or community", action)}
	}
	if out == "" {
		return usageError{fmt.Errorf("share %s needs --out", action)}
	}
	// The CLI runs as the system; the community view is the same for every
	// member, so it is exported as the community itself receives it.
	if action == "export misp" {
		events, err := db.SharedMISPEvents(ctx, access.System, ch)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(out, 0o755); err != nil {
			return fmt.Errorf("share export: %w", err)
		}
		res, err := share.WriteMISPFeed(share.DirFeed(out), ch, events)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %d events (%d attributes) to %s; %d items held back\n", res.Events, res.Attributes, out, len(res.Skipped))
		return nil
	}
	bundle, err := db.SharedBundle(ctx, access.System, store.ShareScope{Channel: ch})
	if err != nil {
		return err
	}
	if out == "-" {
		_, err = stdout.Write(append(bundle, '\n'))
		return err
	}
	if err := os.WriteFile(out, append(bundle, '\n'), 0o644); err != nil {
		return fmt.Errorf("share export: %w", err)
	}
	var b struct {
		Objects []json.RawMessage `json:"objects"`
	}
	_ = json.Unmarshal(bundle, &b)
	fmt.Fprintf(stdout, "wrote a STIX 2.1 bundle of %d objects to %s\n", len(b.Objects), out)
	return nil
}

// positionalLast moves positional arguments (aceso taxii pull URL --flags
// …, or a file between flags) behind the flags, where the flag package
// expects them. Every flag of these commands takes a value, so the word
// after a flag without "=" is its value.
func positionalLast(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			flags = append(flags, a)
			if !strings.Contains(a, "=") && a != "-h" && a != "--help" && a != "-help" && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		default:
			pos = append(pos, a)
		}
	}
	return append(flags, pos...)
}

// orgPrincipal is the system acting for one organisation (imports are
// attributed to it and audited as "system").
func orgPrincipal(ctx context.Context, db *store.DB, name string) (access.Principal, error) {
	o, err := db.OrgByName(ctx, name)
	if err != nil {
		return access.Principal{}, err
	}
	p := access.System
	p.OrgID, p.OrgKind = o.ID, o.Kind
	return p, nil
}

// fetch reads a local file or an http(s) URL, at most maxFetch bytes.
func fetch(ctx context.Context, src string, header http.Header) ([]byte, error) {
	if !strings.HasPrefix(src, "http://") && !strings.HasPrefix(src, "https://") {
		f, err := os.Open(src)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return readLimited(f, src)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, aceso.Wrap(aceso.EINVALID, err, "url %.200q", src)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	client := &http.Client{Timeout: 2 * time.Minute}
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", redactURL(src), err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 300))
		return nil, aceso.Errorf(aceso.EUNAVAILABLE, "get %s: %s: %s", redactURL(src), res.Status, strings.TrimSpace(string(b)))
	}
	return readLimited(res.Body, src)
}

func readLimited(r io.Reader, src string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxFetch+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", redactURL(src), err)
	}
	if len(b) > maxFetch {
		return nil, aceso.Errorf(aceso.ETOOLARGE, "%s: larger than %d bytes", redactURL(src), maxFetch)
	}
	return b, nil
}

// redactURL drops user info and query (they may hold credentials).
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return s
	}
	u.User, u.RawQuery = nil, ""
	return u.String()
}

// importMISP imports src: one MISP event, or a feed's manifest.json whose
// events are read next to it. Unreadable events are counted and skipped
// (a feed is imported tolerantly, see store.CollectMISPFeed); an unreadable
// src is an error.
//
// TLP:RED events are not stored (RED is for named people, intel belongs to an
// organisation); they are counted in red.
func importMISP(ctx context.Context, db *store.DB, p access.Principal, src string) (_ store.IntelResult, skipped, red int, _ error) {
	data, err := fetch(ctx, src, nil)
	if err != nil {
		return store.IntelResult{}, 0, 0, err
	}
	var items []store.Intel
	if ev, err := share.ParseMISPEvent(data); err == nil {
		it, _, err := store.MISPIntel(ev, src)
		if err != nil {
			return store.IntelResult{}, 0, 0, fmt.Errorf("%s: %w", src, err)
		}
		items = append(items, it)
	} else {
		man, merr := share.ParseMISPManifest(data)
		if merr != nil || len(man) == 0 {
			return store.IntelResult{}, 0, 0, aceso.Errorf(aceso.EINVALID, "%s: neither a MISP event nor a feed manifest (%s)", redactURL(src), aceso.ErrorMessage(err))
		}
		b, err := store.CollectMISPFeed(ctx, man, src, 0, func(ctx context.Context, uuid string) ([]byte, string, error) {
			evSrc := sibling(src, uuid+".json")
			b, err := fetch(ctx, evSrc, nil)
			return b, evSrc, err
		})
		if err != nil {
			return store.IntelResult{}, 0, 0, err
		}
		items, skipped = b.Items, len(b.Rejected)
	}
	items, red = dropRed(items)
	var res store.IntelResult
	err = db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		res, err = tx.AddIntel(ctx, p, items)
		return err
	})
	return res, skipped, red, err
}

// sibling names the file name next to src (a path or a URL).
func sibling(src, name string) string {
	if u, err := url.Parse(src); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		u.Path = path.Join(path.Dir(u.Path), name)
		return u.String()
	}
	return filepath.Join(filepath.Dir(src), name)
}

// dropRed removes TLP:RED objects before they are stored: the store refuses
// them (RED is addressed to named people, intel to an organisation), and a
// feed with one RED event should still bring in the rest.
func dropRed(items []store.Intel) (kept []store.Intel, red int) {
	kept = items[:0]
	for _, it := range items {
		if it.TLP == share.TLPRed {
			red++
			continue
		}
		kept = append(kept, it)
	}
	return kept, red
}
