package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// xoristEvent is a real MISP event (PyMISP's test files), tagged tlp:white.
const xoristEvent = "../../../shared/testdata/misp/57c4445b-c548-4654-af0b-4be3950d210f.json"

func readTestdata(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s is absent: the shared test data (../shared/testdata) is not checked out next to the repository", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testBundle has a GREEN indicator, an unmarked vulnerability (stored as
// AMBER), the TLP:GREEN marking definition (skipped), an object without an
// id and one that is not an object (both rejected).
const testBundle = `{"type":"bundle","id":"bundle--6f1b7d7e-6a54-4a8f-9d5e-1b0f7a2c3d4e","objects":[
 {"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111","created":"2026-02-01T10:00:00.000Z","modified":"2026-02-02T10:00:00.000Z",
  "name":"Pump C2","pattern":"[domain-name:value = 'c2.pump.example']","pattern_type":"stix","valid_from":"2026-02-01T10:00:00Z",
  "object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]},
 {"type":"vulnerability","spec_version":"2.1","id":"vulnerability--22222222-2222-4222-8222-222222222222","created":"2026-02-01T10:00:00.000Z","modified":"2026-02-01T10:00:00.000Z",
  "name":"CVE-2026-1234","external_references":[{"source_name":"cve","external_id":"CVE-2026-1234"}]},
 {"type":"marking-definition","spec_version":"2.1","id":"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb","created":"2022-10-01T00:00:00.000Z","name":"TLP:GREEN",
  "extensions":{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":{"extension_type":"property-extension","tlp_2_0":"green"}}},
 {"type":"indicator","spec_version":"2.1","created":"2026-02-01T10:00:00.000Z","modified":"2026-02-01T10:00:00.000Z","pattern":"[ipv4-addr:value = '192.0.2.1']","pattern_type":"stix","valid_from":"2026-02-01T10:00:00Z"},
 [1, 2]
]}`

func importBatch(db *store.DB, p access.Principal, b store.IntelBatch) (store.IntelImportReport, error) {
	var rep store.IntelImportReport
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		rep, err = tx.ImportIntel(ctx, p, b)
		return err
	})
	return rep, err
}

func outcomes(rep store.IntelImportReport) map[string]string {
	out := map[string]string{}
	for _, it := range rep.Items {
		out[it.ObjectID] = it.Outcome + " " + it.TLP + " " + it.Reason
	}
	return out
}

func TestImportIntelMISPEvent(t *testing.T) {
	data := readTestdata(t, xoristEvent)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		b, err := store.ParseIntel(data, store.IntelFormatAuto, "xorist.json")
		if err != nil || b.Format != store.FormatMISP || len(b.Items) != 1 {
			t.Fatalf("parse: %+v %v", b, err)
		}
		it := b.Items[0]
		if it.ObjectID != "57c4445b-c548-4654-af0b-4be3950d210f" || it.TLP != share.TLPClear || it.ObjectType != "misp-event" ||
			!it.Version.Equal(time.Unix(1472541011, 0)) || it.Source != "xorist.json" {
			t.Fatalf("event as intel: %+v", it)
		}
		if _, err := importBatch(db, s.aViewer, b); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Errorf("viewer imported: %v", err)
		}
		rep, err := importBatch(db, s.aAdmin, b)
		if err != nil || rep.Added != 1 || rep.Unchanged != 0 || rep.Rejected != 0 || outcomes(rep)[it.ObjectID] != "added TLP:CLEAR " {
			t.Fatalf("first import: %+v %v", rep, err)
		}
		rep, err = importBatch(db, s.aAdmin, b)
		if err != nil || rep.Added != 0 || rep.Unchanged != 1 || outcomes(rep)[it.ObjectID] != "unchanged TLP:CLEAR this version is held already" {
			t.Fatalf("second import: %+v %v", rep, err)
		}
		// B imports the same event: its own copy, A's does not count.
		if rep, err := importBatch(db, s.bAdmin, b); err != nil || rep.Added != 1 {
			t.Fatalf("B's import: %+v %v", rep, err)
		}
		page, err := db.SearchIntel(ctx, s.aViewer, store.IntelFilter{})
		if err != nil || len(page.Items) != 1 || page.Items[0].Title != "Ransomware - Xorist" || page.Items[0].TLP != share.TLPClear || page.Items[0].Body != nil {
			t.Fatalf("browser: %+v %v", page, err)
		}
		full, err := db.IntelByID(ctx, s.aViewer, page.Items[0].ID)
		if err != nil || !strings.Contains(string(full.Body), "Xorist") {
			t.Fatalf("detail: %v", err)
		}
		if _, err := db.IntelByID(ctx, s.bAdmin, page.Items[0].ID); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("B reads A's intel: %v", err)
		}
		audits := auditOf(t, db, s.a.ID, "intel.import")
		if len(audits) != 1 {
			t.Errorf("audit entries of A's imports: %v", audits)
		}
	})
}

func TestParseIntelRefusesMalformed(t *testing.T) {
	for _, tt := range []struct {
		name, format, data, want string
	}{
		{"not JSON", "auto", `{"Event": {`, "bad.json: "},
		{"a list", "auto", `[1,2,3]`, "bad.json: misp event: not a JSON object"},
		{"no event fields", "misp", `{"hello": "world"}`, "bad.json: misp event: none of uuid, info, Attribute, Object"},
		{"event uuid", "misp", `{"Event": {"uuid": "nope", "info": "x"}}`, `bad.json: misp event "x": uuid "nope" is not a UUID`},
		{"event field type", "misp", `{"Event": {"uuid": "5a0b1c2d-0000-4000-8000-00000000abcd", "Attribute": "x"}}`, "bad.json: misp event: field Attribute"},
		{"manifest", "misp", `{"5a0b1c2d-0000-4000-8000-00000000abcd": {"info": "x", "timestamp": 1}}`, "a MISP feed manifest, not an event"},
		{"bundle syntax", "stix", `{"type": "bundle", "objects": [}`, "bad.json: stix bundle: malformed JSON at byte"},
		{"bundle type", "stix", `{"type": "report", "objects": []}`, `bad.json: stix bundle: type is "report", want "bundle"`},
		{"bundle objects", "stix", `{"type": "bundle"}`, "bad.json: stix bundle: objects: missing"},
		{"bundle objects type", "stix", `{"type": "bundle", "objects": {}}`, "bad.json: stix bundle: field objects: must be a list"},
		{"unknown format", "csv", `{}`, `format "csv"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := store.ParseIntel([]byte(tt.data), tt.format, "bad.json")
			if aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(aceso.ErrorMessage(err), tt.want) || len(b.Items) != 0 {
				t.Errorf("ParseIntel = %d items, %v; want EINVALID %q", len(b.Items), err, tt.want)
			}
		})
	}
}

func TestImportIntelSTIXBundle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		b, err := store.ParseIntel([]byte(testBundle), store.IntelFormatAuto, "https://user:pw@intel.example/bundle.json?key=secret")
		if err != nil || b.Format != store.FormatSTIX {
			t.Fatalf("parse: %+v %v", b, err)
		}
		rep, err := importBatch(db, s.aAdmin, b)
		if err != nil {
			t.Fatal(err)
		}
		got := outcomes(rep)
		want := map[string]string{
			"indicator--11111111-1111-4111-8111-111111111111":     "added TLP:GREEN ",
			"vulnerability--22222222-2222-4222-8222-222222222222": "added TLP:AMBER no TLP marking: stored as TLP:AMBER",
		}
		for id, w := range want {
			if got[id] != w {
				t.Errorf("%s: %q, want %q", id, got[id], w)
			}
		}
		if rep.Added != 2 || rep.Rejected != 2 || len(rep.Items) != 4 || rep.Source != "https://user:pw@intel.example/bundle.json?key=secret" {
			t.Fatalf("report: %+v", rep)
		}
		if r := got["objects[3]"]; !strings.HasPrefix(r, "rejected") || !strings.Contains(r, "id") {
			t.Errorf("object without id: %q", r)
		}
		if r := got["objects[4]"]; r != "rejected  not a JSON object" {
			t.Errorf("non-object: %q", r)
		}
		page, err := db.SearchIntel(ctx, s.aAdmin, store.IntelFilter{Format: store.FormatSTIX, TLP: share.TLPGreen})
		if err != nil || len(page.Items) != 1 || page.Items[0].Title != "Pump C2" || page.Items[0].Source != "https://intel.example/bundle.json" ||
			!page.Items[0].Version.Equal(time.Date(2026, 2, 2, 10, 0, 0, 0, time.UTC)) || page.Items[0].SpecVersion != "2.1" {
			t.Fatalf("GREEN STIX intel: %+v %v", page, err)
		}
	})
}

func TestSearchIntel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		mk := func(id, typ, format, source string, l share.TLP, ver time.Time, name string) store.Intel {
			body, _ := json.Marshal(map[string]any{"id": id, "type": typ, "name": name})
			return store.Intel{Format: format, Source: source, ObjectID: id, ObjectType: typ, Version: ver, TLP: l, Body: body}
		}
		var items []store.Intel
		for i := range 7 {
			items = append(items, mk(fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", i), "indicator", store.FormatSTIX, "feed-one",
				share.Labels[i%4], t0.Add(time.Duration(i)*time.Hour), fmt.Sprintf("Indicator %d", i)))
		}
		// Two versions of one object, and a MISP event with an underscore in its id.
		items = append(items, mk("malware--00000000-0000-4000-8000-000000000009", "malware", store.FormatSTIX, "feed-two", share.TLPAmber, t0, "Old"),
			mk("malware--00000000-0000-4000-8000-000000000009", "malware", store.FormatSTIX, "feed-two", share.TLPAmber, t0.Add(time.Hour), "New"),
			mk("evt_1", "misp-event", store.FormatMISP, "feed-two", share.TLPGreen, t0, "Event one"))
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.AddIntel(ctx, s.aAdmin, items); err != nil {
				return err
			}
			_, err := tx.AddIntel(ctx, s.bAdmin, []store.Intel{mk("indicator--b", "indicator", store.FormatSTIX, "feed-one", share.TLPGreen, t0, "B's")})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		count := func(f store.IntelFilter) int {
			t.Helper()
			n, before := 0, int64(0)
			for range 20 {
				f.Before = before
				page, err := db.SearchIntel(ctx, s.aViewer, f)
				if err != nil {
					t.Fatal(err)
				}
				for i, it := range page.Items {
					if it.OrgID != s.a.ID {
						t.Fatalf("another organisation's intel: %+v", it)
					}
					if i > 0 && it.ID >= page.Items[i-1].ID {
						t.Fatal("not newest first")
					}
				}
				n += len(page.Items)
				if page.Next == 0 {
					return n
				}
				before = page.Next
			}
			t.Fatal("pagination does not end")
			return 0
		}
		for _, tt := range []struct {
			name string
			f    store.IntelFilter
			want int
		}{
			{"all, pages of 3", store.IntelFilter{Limit: 3}, 10},
			{"format misp", store.IntelFilter{Format: store.FormatMISP}, 1},
			{"type", store.IntelFilter{ObjectType: "malware", Limit: 1}, 2},
			{"TLP:GREEN", store.IntelFilter{TLP: share.TLPGreen}, 3},
			{"source", store.IntelFilter{Source: "feed-two"}, 3},
			{"text in id, case-insensitive", store.IntelFilter{Q: "MALWARE--"}, 2},
			{"text in type", store.IntelFilter{Q: "misp-ev"}, 1},
			{"LIKE wildcards are literal", store.IntelFilter{Q: "_"}, 1},
			{"percent is literal", store.IntelFilter{Q: "%"}, 0},
			{"combined", store.IntelFilter{Format: store.FormatSTIX, TLP: share.TLPAmber, Q: "indicator"}, 2},
		} {
			if got := count(tt.f); got != tt.want {
				t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
			}
		}
		if _, err := db.SearchIntel(ctx, s.aViewer, store.IntelFilter{Format: "csv"}); aceso.ErrorCode(err) != aceso.EINVALID {
			t.Errorf("bad format: %v", err)
		}
		vers, err := db.IntelVersions(ctx, s.aViewer, "malware--00000000-0000-4000-8000-000000000009")
		if err != nil || len(vers) != 2 || !vers[0].Version.After(vers[1].Version) || len(vers[0].Body) != 0 {
			t.Fatalf("versions: %+v %v", vers, err)
		}
		if vers, _ := db.IntelVersions(ctx, s.bAdmin, "malware--00000000-0000-4000-8000-000000000009"); len(vers) != 0 {
			t.Error("B sees A's versions")
		}
		facets, err := db.IntelFacets(ctx, s.aViewer)
		if err != nil || strings.Join(facets.Types, ",") != "indicator,malware,misp-event" || strings.Join(facets.Sources, ",") != "feed-one,feed-two" {
			t.Errorf("facets: %+v %v", facets, err)
		}
	})
}

func TestCollectMISPFeed(t *testing.T) {
	ev := func(uuid, tag string) []byte {
		tags := ""
		if tag != "" {
			tags = `, "Tag": [{"name": "` + tag + `"}]`
		}
		return []byte(`{"Event": {"uuid": "` + uuid + `", "info": "event ` + uuid[:4] + `", "timestamp": "1700000000"` + tags + `}}`)
	}
	files := map[string][]byte{
		"aaaaaaaa-0000-4000-8000-000000000001": ev("aaaaaaaa-0000-4000-8000-000000000001", "tlp:green"),
		"bbbbbbbb-0000-4000-8000-000000000002": ev("bbbbbbbb-0000-4000-8000-000000000002", ""),
		"cccccccc-0000-4000-8000-000000000003": []byte(`["not an event"]`),
		"eeeeeeee-0000-4000-8000-000000000005": ev("eeeeeeee-0000-4000-8000-000000000005", "tlp:clear"),
	}
	man := map[string]share.ManifestEntry{"not-a-uuid": {}}
	for _, u := range []string{"aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002", "cccccccc-0000-4000-8000-000000000003",
		"DDDDDDDD-0000-4000-8000-000000000004", "eeeeeeee-0000-4000-8000-000000000005"} {
		man[u] = share.ManifestEntry{}
	}
	fetch := func(_ context.Context, uuid string) ([]byte, string, error) {
		b, ok := files[uuid]
		if !ok {
			return nil, "", aceso.Errorf(aceso.EUNAVAILABLE, "get %s.json: 404 Not Found", uuid)
		}
		return b, "https://feed.example/" + uuid + ".json", nil
	}
	b, err := store.CollectMISPFeed(ctx, man, "https://k:s@feed.example/manifest.json", 4, fetch)
	if err != nil {
		t.Fatal(err)
	}
	if b.Source != "https://feed.example/manifest.json" || len(b.Items) != 2 || b.Items[0].TLP != share.TLPGreen || b.Items[1].TLP != share.TLPAmber ||
		b.Notes[1] != "no tlp: tag: stored as TLP:AMBER" || b.Items[0].Source != "https://feed.example/aaaaaaaa-0000-4000-8000-000000000001.json" {
		t.Fatalf("items: %+v", b)
	}
	reasons := map[string]string{}
	for _, r := range b.Rejected {
		reasons[r.ObjectID] = r.Reason
	}
	want := map[string]string{
		"not-a-uuid":                           "manifest key is not a UUID",
		"cccccccc-0000-4000-8000-000000000003": "misp event: not a JSON object",
		"dddddddd-0000-4000-8000-000000000004": "get DDDDDDDD-0000-4000-8000-000000000004.json: 404 Not Found",
		"eeeeeeee-0000-4000-8000-000000000005": "over the limit of 4 events per import",
	}
	for id, w := range want {
		if !strings.HasPrefix(reasons[id], w) {
			t.Errorf("%s: %q, want %q", id, reasons[id], w)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := store.CollectMISPFeed(cancelled, man, "f", 0, fetch); aceso.ErrorCode(err) != aceso.EUNAVAILABLE || !strings.Contains(err.Error(), "nothing was stored") {
		t.Errorf("cancelled: %v", err)
	}
}

func TestIntelTitle(t *testing.T) {
	for _, tt := range []struct{ body, want string }{
		{`{"uuid":"x","info":"  Phishing\n wave "}`, "Phishing wave"},
		{`{"type":"indicator","pattern":"[x]","name":"C2"}`, "C2"},
		{`{"uuid":"x","info":"cut here`, ""},
		{`{"uuid":"x","info":"first","Attribute":[{"value":"tru`, "first"},
		{`{"name": 5}`, ""},
		{`[1]`, ""},
		{`{"Attribute":[{"name":"nested"}]}`, ""},
	} {
		if got := store.IntelTitle([]byte(tt.body)); got != tt.want {
			t.Errorf("IntelTitle(%s) = %q, want %q", tt.body, got, tt.want)
		}
	}
	long := `{"info":"` + strings.Repeat("é", 150) + `"}`
	if got := store.IntelTitle([]byte(long)); !utf8.ValidString(got) || len(got) > 204 {
		t.Errorf("long title: %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
}

// FuzzParseIntel feeds uploads to the import parsers: they must not panic,
// and whatever they accept must be storable (valid TLP, JSON body, an
// object id of 1 to 200 characters); every rejection carries a reason.
func FuzzParseIntel(f *testing.F) {
	f.Add([]byte(testBundle), "auto")
	f.Add([]byte(`{"Event": {"uuid": "5a0b1c2d-0000-4000-8000-00000000abcd", "info": "x", "Tag": [{"name": "tlp:amber+strict"}]}}`), "misp")
	f.Add([]byte(`{"response": [{"Event": {"uuid": "5a0b1c2d-0000-4000-8000-00000000abcd", "timestamp": "17"}}]}`), "auto")
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"x-custom","id":"x-custom--5a0b1c2d-0000-4000-8000-00000000abcd","spec_version":"2.1","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","object_marking_refs":[5]}]}`), "stix")
	f.Add([]byte(`{"type":"bundle","objects":[null, "", {}, {"type": "indicator"}]}`), "auto")
	f.Fuzz(func(t *testing.T, data []byte, format string) {
		b, err := store.ParseIntel(data, format, "fuzz.json")
		if err != nil {
			if aceso.ErrorCode(err) != aceso.EINVALID {
				t.Fatalf("error code %s: %v", aceso.ErrorCode(err), err)
			}
			return
		}
		for _, it := range b.Items {
			if !it.TLP.Valid() || !json.Valid(it.Body) || it.ObjectID == "" || len(it.ObjectID) > 200 || (it.Format != store.FormatSTIX && it.Format != store.FormatMISP) {
				t.Fatalf("unstorable item: %+v", it)
			}
		}
		for _, r := range b.Rejected {
			if r.Reason == "" || r.Outcome != store.ImportRejected || r.ObjectID == "" {
				t.Fatalf("rejection without a reason: %+v", r)
			}
		}
	})
}
