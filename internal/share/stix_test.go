package share

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
)

var t0 = time.Date(2026, 11, 20, 8, 30, 15, 123456789, time.FixedZone("CET", 3600))

// toMap round-trips v through JSON into the form Validate takes.
func toMap(tb testing.TB, v any) map[string]any {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

func TestMarkingIDs(t *testing.T) {
	// The ids of the OASIS TLP 2.0 extension (cti-stix-common-objects,
	// extension-definition-specifications/tlp-2.0/marking-definition.json).
	want := map[TLP]string{
		TLPClear:       "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
		TLPGreen:       "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
		TLPAmber:       "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
		TLPAmberStrict: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
		TLPRed:         "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
	}
	for l, id := range want {
		if MarkingRef(l) != id {
			t.Errorf("MarkingRef(%v) = %s, want %s", l, MarkingRef(l), id)
		}
		m := toMap(t, TLPMarking(l))
		if msgs := Validate(m); len(msgs) != 0 {
			t.Errorf("%v marking invalid: %q", l, msgs)
		}
		ext := m["extensions"].(map[string]any)[TLP2ExtensionID].(map[string]any)
		wantValue := strings.ToLower(strings.TrimPrefix(l.String(), "TLP:"))
		if m["name"] != l.String() || m["created"] != "2022-10-01T00:00:00.000Z" || ext["tlp_2_0"] != wantValue || ext["extension_type"] != "property-extension" {
			t.Errorf("%v marking = %v", l, m)
		}
		if _, has := m["modified"]; has {
			t.Errorf("marking definitions have no modified property")
		}
		if got, ok := MarkingsTLP([]string{id}); !ok || got != l {
			t.Errorf("MarkingsTLP(%s) = %v", id, got)
		}
	}
	if MarkingRef(TLPUnknown) != "" {
		t.Error("invalid label has a marking")
	}
	tests := []struct {
		name string
		refs []string
		want TLP
		ok   bool
	}{
		{"tlp 1.0 white is clear", []string{MarkingV1White}, TLPClear, true},
		{"tlp 1.0 red", []string{MarkingV1Red}, TLPRed, true},
		{"strictest of mixed", []string{MarkingGreen, "marking-definition--00000000-0000-4000-8000-000000000000", MarkingV1Amber}, TLPAmber, true},
		{"no tlp marking", []string{"marking-definition--00000000-0000-4000-8000-000000000000"}, TLPUnknown, false},
		{"none", nil, TLPUnknown, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := MarkingsTLP(tt.refs)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("MarkingsTLP = %v, %v", got, ok)
			}
		})
	}
}

func TestTimestamp(t *testing.T) {
	b, err := json.Marshal(Stamp(t0))
	if err != nil || string(b) != `"2026-11-20T07:30:15.123Z"` {
		t.Fatalf("marshal = %s, %v", b, err)
	}
	var back Timestamp
	if err := json.Unmarshal([]byte(`"2026-11-20T08:30:15.123456+01:00"`), &back); err != nil || !back.Equal(Stamp(t0).Time) {
		t.Fatalf("unmarshal = %v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`"yesterday"`), &back); err == nil {
		t.Fatal("bad timestamp accepted")
	}
}

func TestObservablePattern(t *testing.T) {
	sha256 := strings.Repeat("ab", 32)
	tests := []struct {
		name string
		o    Observable
		want string
	}{
		{"ipv4", Observable{Kind: KindIP, Value: "203.0.113.5"}, `[ipv4-addr:value = '203.0.113.5']`},
		{"ipv4 mapped in ipv6", Observable{Kind: KindIP, Value: "::ffff:203.0.113.5"}, `[ipv4-addr:value = '203.0.113.5']`},
		{"ipv6", Observable{Kind: KindIP, Value: "2001:DB8::1"}, `[ipv6-addr:value = '2001:db8::1']`},
		{"cidr", Observable{Kind: KindIP, Value: "198.51.100.7/24"}, `[ipv4-addr:value = '198.51.100.0/24']`},
		{"domain", Observable{Kind: KindDomain, Value: "Evil.Example."}, `[domain-name:value = 'evil.example']`},
		{"url with quote and backslash", Observable{Kind: KindURL, Value: `http://x.example/a'b\c`}, `[url:value = 'http://x.example/a\'b\\c']`},
		{"email", Observable{Kind: KindEmail, Value: "o'brien@evil.example"}, `[email-addr:value = 'o\'brien@evil.example']`},
		{"filename", Observable{Kind: KindFilename, Value: "invoice.pdf.exe"}, `[file:name = 'invoice.pdf.exe']`},
		{"md5", Observable{Kind: KindMD5, Value: "0123456789ABCDEF0123456789ABCDEF"}, `[file:hashes.MD5 = '0123456789abcdef0123456789abcdef']`},
		{"sha1", Observable{Kind: KindSHA1, Value: strings.Repeat("a", 40)}, `[file:hashes.'SHA-1' = '` + strings.Repeat("a", 40) + `']`},
		{"sha256", Observable{Kind: KindSHA256, Value: sha256}, `[file:hashes.'SHA-256' = '` + sha256 + `']`},
		{"hash inferred from length", Observable{Kind: "hash", Value: strings.Repeat("AB", 32)}, `[file:hashes.'SHA-256' = '` + sha256 + `']`},
		{"sha512", Observable{Kind: KindSHA512, Value: strings.Repeat("c", 128)}, `[file:hashes.'SHA-512' = '` + strings.Repeat("c", 128) + `']`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ObservablePattern(tt.o)
			if err != nil || got != tt.want {
				t.Fatalf("pattern = %s, %v; want %s", got, err, tt.want)
			}
			// The pattern reads back as the observable it was made from.
			obs, err := PatternObservables(got)
			if err != nil || len(obs) != 1 || (obs[0].Kind != tt.o.Kind && tt.o.Kind != "hash") {
				t.Fatalf("PatternObservables(%s) = %+v, %v", got, obs, err)
			}
			again, err := ObservablePattern(obs[0])
			if err != nil || again != got {
				t.Fatalf("re-pattern %s, %v; want %s", again, err, got)
			}
		})
	}
	for _, bad := range []Observable{
		{Kind: KindIP, Value: "300.1.1.1"}, {Kind: KindMD5, Value: "abc"}, {Kind: KindSHA256, Value: strings.Repeat("g", 64)},
		{Kind: "mutex", Value: "x"}, {Kind: "hash", Value: "abc"}, {Kind: KindURL, Value: "  "}, {Kind: KindURL, Value: "\xff"},
	} {
		if p, err := ObservablePattern(bad); err == nil || aceso.ErrorCode(err) != aceso.EINVALID {
			t.Errorf("ObservablePattern(%+v) = %s, %v", bad, p, err)
		}
	}
}

func TestParsePattern(t *testing.T) {
	good := []struct {
		name    string
		pattern string
		comps   int
	}{
		{"simple", `[ipv4-addr:value = '198.51.100.1']`, 1},
		{"and in observation", `[file:name = 'a.exe' AND file:hashes.'SHA-256' = 'aa']`, 2},
		{"observation or with qualifier", `([ipv4-addr:value = '198.51.100.1'] OR [domain-name:value = 'x.example']) WITHIN 300 SECONDS`, 2},
		{"followedby repeats", `[url:value = 'http://a.example/'] REPEATS 5 TIMES FOLLOWEDBY [url:value = 'http://b.example/']`, 2},
		{"start stop", `[ipv4-addr:value = '10.0.0.1'] START t'2026-01-01T00:00:00Z' STOP t'2026-02-01T00:00:00Z'`, 1},
		{"in list", `[ipv4-addr:value IN ('10.0.0.1', '10.0.0.2')]`, 1},
		{"not like", `[file:name NOT LIKE '%.pdf']`, 1},
		{"matches and list index", `[email-message:to_refs[*].value MATCHES '.+@hospital\\.example$']`, 1},
		{"numbers and booleans", `[file:size > 1024 AND file:x_signed = false]`, 2},
		{"hex and binary", `[artifact:payload_bin = b'aGVsbG8=' OR file:hashes.MD5 = h'00ff']`, 2},
		{"exists", `[EXISTS windows-registry-key:values]`, 1},
		{"nested parentheses", `[(file:name = 'a' OR file:name = 'b') AND file:size <= 10]`, 3},
		{"escaped quote", `[file:name = 'o\'brien.doc']`, 1},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			comps, err := ParsePattern(tt.pattern)
			if err != nil || len(comps) != tt.comps {
				t.Fatalf("ParsePattern = %d comparisons, %v; want %d", len(comps), err, tt.comps)
			}
		})
	}
	bad := []struct{ name, pattern string }{
		{"empty", ``},
		{"no brackets", `ipv4-addr:value = '1.2.3.4'`},
		{"unclosed", `[ipv4-addr:value = '1.2.3.4'`},
		{"unterminated string", `[ipv4-addr:value = '1.2.3.4]`},
		{"bad escape", `[file:name = 'a\nb']`},
		{"no operator", `[ipv4-addr:value '1.2.3.4']`},
		{"no value", `[ipv4-addr:value = ]`},
		{"no property", `[ipv4-addr = '1.2.3.4']`},
		{"bad timestamp", `[file:created = t'yesterday']`},
		{"bad hex", `[file:hashes.MD5 = h'zz']`},
		{"dangling and", `[file:name = 'a' AND]`},
		{"trailing junk", `[file:name = 'a'] xyz`},
		{"within without seconds", `[file:name = 'a'] WITHIN 5`},
		{"not before less-than", `[file:size NOT < 5]`},
		{"lone bang", `[file:size ! 5]`},
		{"deep nesting", strings.Repeat("(", 200) + `[file:name = 'a']` + strings.Repeat(")", 200)},
	}
	for _, tt := range bad {
		t.Run("bad "+tt.name, func(t *testing.T) {
			if _, err := ParsePattern(tt.pattern); err == nil || aceso.ErrorCode(err) != aceso.EINVALID {
				t.Fatalf("ParsePattern(%q) = %v, want EINVALID", tt.pattern, err)
			}
		})
	}
}

func TestPatternObservables(t *testing.T) {
	p := `([ipv4-addr:value IN ('10.0.0.1', '10.0.0.2') AND file:size > 5] OR [file:hashes.'SHA-1' = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) ` +
		`FOLLOWEDBY [domain-name:value != 'ok.example' AND email-addr:value = 'x@evil.example' AND process:name = 'evil'] AND [url:value NOT = 'http://no.example/']` +
		` AND [ipv4-addr:value = 'not-an-ip' OR url:value = '  ' OR ipv6-addr:value = 'fe80::1%eth0']`
	obs, err := PatternObservables(p)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range obs {
		got = append(got, o.Kind+" "+o.Value)
	}
	want := []string{"ip 10.0.0.1", "ip 10.0.0.2", "sha1 " + strings.Repeat("a", 40), "email x@evil.example"}
	if !slices.Equal(got, want) {
		t.Fatalf("observables %q, want %q", got, want)
	}
}

var idRe = regexp.MustCompile(`^[a-z-]+--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestConstructorsValidate(t *testing.T) {
	org := NewIdentity("org:1", "Health CSIRT", t0)
	ind, err := NewIndicator(Observable{Kind: KindIP, Value: "203.0.113.5"}, t0, TLPAmber, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	vuln, err := NewVulnerability("cve-2024-1234", "Buffer overflow in infusion pump web UI", t0, TLPClear, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	coa := NewCourseOfAction("ICSMA-24-001-01:1", "Update firmware to 2.4", "Apply vendor update 2.4.", t0, TLPClear, org.ID)
	rel := NewRelationship("mitigates", coa.ID, vuln.ID, t0, TLPClear, org.ID)
	rep := NewReport("alert:77", "Sector alert 77", t0, []Object{ind, vuln, coa, rel}, TLPAmber, org.ID)
	objs := []Object{org, ind, vuln, coa, rel, rep}
	for _, o := range objs {
		c := o.Base()
		if !idRe.MatchString(c.ID) || !strings.HasPrefix(c.ID, c.Type+"--") {
			t.Errorf("id %s is not a deterministic <type>--uuidv5", c.ID)
		}
		m := toMap(t, o)
		if msgs := Validate(m); len(msgs) != 0 {
			t.Errorf("%s invalid: %q", c.Type, msgs)
		}
		if m["created"] != "2026-11-20T07:30:15.123Z" || m["modified"] != "2026-11-20T07:30:15.123Z" || m["spec_version"] != "2.1" {
			t.Errorf("%s timestamps/spec: %v %v %v", c.Type, m["created"], m["modified"], m["spec_version"])
		}
	}
	if ind.ObjectMarkingRefs[0] != MarkingAmber || ind.Pattern != `[ipv4-addr:value = '203.0.113.5']` || ind.PatternType != "stix" {
		t.Fatalf("indicator = %+v", ind)
	}
	if vuln.Name != "CVE-2024-1234" || vuln.ExternalReferences[0].SourceName != "cve" || vuln.ExternalReferences[0].ExternalID != "CVE-2024-1234" {
		t.Fatalf("vulnerability = %+v", vuln)
	}
	if !slices.Equal(rep.ObjectRefs, []string{ind.ID, vuln.ID, coa.ID, rel.ID}) {
		t.Fatalf("report refs = %v", rep.ObjectRefs)
	}
	// Deterministic: the same input gives the same id; another input another.
	ind2, _ := NewIndicator(Observable{Kind: KindIP, Value: "203.0.113.5"}, t0.Add(time.Hour), TLPGreen, "")
	ind3, _ := NewIndicator(Observable{Kind: KindIP, Value: "203.0.113.6"}, t0, TLPAmber, org.ID)
	if ind2.ID != ind.ID || ind3.ID == ind.ID {
		t.Fatalf("indicator ids: %s %s %s", ind.ID, ind2.ID, ind3.ID)
	}
	if NewIdentity("org:1", "renamed", t0).ID != org.ID || NewIdentity("org:2", "Health CSIRT", t0).ID == org.ID {
		t.Fatal("identity id must follow the key, not the name")
	}
	if DeterministicID("vulnerability", "CVE-2024-1234") != vuln.ID {
		t.Fatal("vulnerability id is not DeterministicID of the CVE")
	}
	if _, err := NewVulnerability("2024-1234", "", t0, TLPClear, ""); aceso.ErrorCode(err) != aceso.EINVALID {
		t.Fatalf("bad CVE: %v", err)
	}

	b := NewBundle(objs...)
	bm := toMap(t, b)
	if msgs := Validate(bm); len(msgs) != 0 {
		t.Fatalf("bundle invalid: %q", msgs)
	}
	// The bundle carries the marking definitions its objects use, once each.
	var markings []string
	for _, o := range bm["objects"].([]any) {
		m := o.(map[string]any)
		if m["type"] == "marking-definition" {
			markings = append(markings, m["id"].(string))
		}
	}
	if !slices.Equal(markings, []string{MarkingClear, MarkingAmber}) {
		t.Fatalf("bundle markings %v", markings)
	}
	if NewBundle(objs...).ID != b.ID {
		t.Fatal("bundle id is not deterministic")
	}
}

func TestValidate(t *testing.T) {
	valid := func() map[string]any {
		return map[string]any{
			"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
			"created": "2026-11-20T07:30:15.123Z", "modified": "2026-11-20T07:30:15.123Z",
			"pattern": "[ipv4-addr:value = '203.0.113.5']", "pattern_type": "stix", "valid_from": "2026-11-20T07:30:15Z",
		}
	}
	if msgs := Validate(valid()); len(msgs) != 0 {
		t.Fatalf("valid indicator: %q", msgs)
	}
	tests := []struct {
		name   string
		change func(m map[string]any)
		field  string
	}{
		{"no type", func(m map[string]any) { delete(m, "type") }, "type"},
		{"upper-case type", func(m map[string]any) { m["type"] = "Indicator" }, "type"},
		{"spec version 2.0", func(m map[string]any) { m["spec_version"] = "2.0" }, "spec_version"},
		{"no spec version", func(m map[string]any) { delete(m, "spec_version") }, "spec_version"},
		{"id of another type", func(m map[string]any) { m["id"] = "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f" }, "id"},
		{"id not a uuid", func(m map[string]any) { m["id"] = "indicator--1234" }, "id"},
		{"id wrong variant", func(m map[string]any) { m["id"] = "indicator--8e2e2d2b-17d4-4cbf-138f-98ee46b3cd3f" }, "id"},
		{"created missing", func(m map[string]any) { delete(m, "created") }, "created"},
		{"created not rfc3339", func(m map[string]any) { m["created"] = "20 Nov 2026" }, "created"},
		{"created not utc", func(m map[string]any) { m["created"] = "2026-11-20T08:30:15.123+01:00" }, "created"},
		{"created a number", func(m map[string]any) { m["created"] = 5.0 }, "created"},
		{"modified before created", func(m map[string]any) { m["modified"] = "2026-11-19T00:00:00Z" }, "modified"},
		{"no pattern", func(m map[string]any) { delete(m, "pattern") }, "pattern"},
		{"bad pattern", func(m map[string]any) { m["pattern"] = "[ipv4-addr:value = ]" }, "pattern"},
		{"no pattern type", func(m map[string]any) { delete(m, "pattern_type") }, "pattern_type"},
		{"no valid_from", func(m map[string]any) { delete(m, "valid_from") }, "valid_from"},
		{"valid_until before valid_from", func(m map[string]any) { m["valid_until"] = "2026-01-01T00:00:00Z" }, "valid_until"},
		{"marking ref not a marking", func(m map[string]any) {
			m["object_marking_refs"] = []any{"identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}
		}, "object_marking_refs[0]"},
		{"created_by_ref not an identity", func(m map[string]any) { m["created_by_ref"] = MarkingAmber }, "created_by_ref"},
		{"external reference without source", func(m map[string]any) { m["external_references"] = []any{map[string]any{"url": "https://x"}} }, "external_references[0].source_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := valid()
			tt.change(m)
			msgs := Validate(m)
			found := false
			for _, msg := range msgs {
				if strings.HasPrefix(msg, tt.field+":") {
					found = true
				}
			}
			if !found {
				t.Fatalf("messages %q do not name %s", msgs, tt.field)
			}
		})
	}
	typed := []struct {
		name  string
		obj   map[string]any
		field string
	}{
		{"identity without name", map[string]any{"type": "identity"}, "name"},
		{"report without object_refs", map[string]any{"type": "report", "name": "r", "published": "2026-11-20T00:00:00Z"}, "object_refs"},
		{"report with empty object_refs", map[string]any{"type": "report", "name": "r", "published": "2026-11-20T00:00:00Z", "object_refs": []any{}}, "object_refs"},
		{"relationship without target", map[string]any{"type": "relationship", "relationship_type": "mitigates", "source_ref": "course-of-action--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, "target_ref"},
		{"vulnerability with bad cve", map[string]any{"type": "vulnerability", "name": "x", "external_references": []any{map[string]any{"source_name": "cve", "external_id": "CVE-24-1"}}}, "external_references[0].external_id"},
		{"observed-data count zero", map[string]any{"type": "observed-data", "first_observed": "2026-11-20T00:00:00Z", "last_observed": "2026-11-20T00:00:00Z", "number_observed": 0.0, "object_refs": []any{"ipv4-addr--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}}, "number_observed"},
		{"marking without definition", map[string]any{"type": "marking-definition", "name": "x"}, "definition"},
		{"standard marking misnamed", map[string]any{"type": "marking-definition", "id": MarkingRed, "name": "TLP:GREEN", "extensions": map[string]any{}}, "name"},
	}
	for _, tt := range typed {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.obj
			if _, ok := m["id"]; !ok {
				m["id"] = m["type"].(string) + "--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
			}
			m["spec_version"], m["created"], m["modified"] = "2.1", "2026-11-20T00:00:00.000Z", "2026-11-20T00:00:00.000Z"
			msgs := Validate(m)
			found := false
			for _, msg := range msgs {
				found = found || strings.HasPrefix(msg, tt.field+":")
			}
			if !found {
				t.Fatalf("messages %q do not name %s", msgs, tt.field)
			}
		})
	}
	// A cyber-observable needs no created/modified; its id is still checked.
	if msgs := Validate(map[string]any{"type": "ipv4-addr", "id": "ipv4-addr--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "value": "1.2.3.4"}); len(msgs) != 0 {
		t.Fatalf("SCO: %q", msgs)
	}
	// Problems inside a bundle name the object.
	msgs := Validate(map[string]any{"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "objects": []any{map[string]any{"type": "identity", "id": "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "spec_version": "2.1", "created": "2026-11-20T00:00:00Z", "modified": "2026-11-20T00:00:00Z"}, "x"}})
	if len(msgs) != 2 || !strings.HasPrefix(msgs[0], "objects[0] identity--") || !strings.HasPrefix(msgs[1], "objects[1]") {
		t.Fatalf("bundle messages %q", msgs)
	}
}

const sampleBundle = `{
  "type": "bundle",
  "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
  "objects": [
    {"type": "marking-definition", "spec_version": "2.1", "id": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
     "created": "2022-10-01T00:00:00.000Z", "name": "TLP:AMBER",
     "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {"extension_type": "property-extension", "tlp_2_0": "amber"}}},
    {"type": "identity", "spec_version": "2.1", "id": "identity--311b2d2d-f010-4473-83ec-1edf84858f4c",
     "created": "2015-12-21T19:59:11Z", "modified": "2015-12-21T19:59:11Z", "name": "Cyber Security Inc.", "identity_class": "organization"},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
     "created_by_ref": "identity--311b2d2d-f010-4473-83ec-1edf84858f4c",
     "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
     "indicator_types": ["malicious-activity"], "name": "Poison Ivy Malware",
     "pattern": "[file:hashes.'SHA-256' = '4BAC27393BDD9777CE02453256C5577CD02275510B2227F473D03F533924F877'] OR [ipv4-addr:value = '198.51.100.3']",
     "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z",
     "object_marking_refs": ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"],
     "kill_chain_phases": [{"kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": "delivery"}]},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--b2a0f5a4-2e4c-4a0e-8d58-8c3d7b1e0f11",
     "created": "2016-04-06T20:03:48Z", "modified": "2016-04-06T20:03:48Z", "revoked": true,
     "pattern": "[domain-name:value = 'revoked.example']", "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z"},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--c2a0f5a4-2e4c-4a0e-8d58-8c3d7b1e0f11",
     "created": "2016-04-06T20:03:48Z", "modified": "2016-04-06T20:03:48Z",
     "pattern": "alert tcp any any -> any 80", "pattern_type": "snort", "valid_from": "2016-01-01T00:00:00Z"},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--d2a0f5a4-2e4c-4a0e-8d58-8c3d7b1e0f11",
     "created": "2016-04-06T20:03:48Z", "modified": "2016-04-06T20:03:48Z",
     "pattern": "[url:value = 'http://broken.example/", "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z"},
    {"type": "malware", "spec_version": "2.1", "id": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
     "created": "2016-04-06T20:07:09.000Z", "modified": "2016-04-06T20:07:09.000Z", "name": "Poison Ivy", "is_family": true, "x_big": 12345678901234567890},
    {"type": "vulnerability", "spec_version": "2.1", "id": "vulnerability--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061",
     "created": "2016-05-12T08:17:27.000Z", "modified": "2016-05-12T08:17:27.000Z", "name": "CVE-2016-1234",
     "external_references": [{"source_name": "cve", "external_id": "CVE-2016-1234"}]},
    {"type": "vulnerability", "id": "vulnerability--1c7b5b88-8ff7-4a4d-aa9d-feb398cd0061", "created": 12},
    "not an object"
  ]
}`

func TestParseBundle(t *testing.T) {
	b, errs := ParseBundle([]byte(sampleBundle))
	if b == nil {
		t.Fatalf("no bundle: %v", errs)
	}
	// Kept: marking, identity, 4 indicators, malware, vulnerability; dropped:
	// the vulnerability whose created is a number, and the string.
	if len(b.Objects) != 8 {
		t.Fatalf("%d objects kept, want 8", len(b.Objects))
	}
	var msgs []string
	for _, e := range errs {
		if aceso.ErrorCode(e) != aceso.EINVALID {
			t.Errorf("error code %q: %v", aceso.ErrorCode(e), e)
		}
		msgs = append(msgs, e.Error())
	}
	joined := strings.Join(msgs, "\n")
	for _, want := range []string{"objects[5] indicator--d2a0f5a4", "objects[8]: field created: 12 is not an RFC 3339 timestamp", "objects[9]: not a JSON object"} {
		if !strings.Contains(joined, want) {
			t.Errorf("errors do not name %s:\n%s", want, joined)
		}
	}
	if len(errs) != 3 {
		t.Errorf("%d errors, want 3:\n%s", len(errs), joined)
	}
	if _, ok := b.Objects[2].(*Indicator); !ok {
		t.Fatalf("objects[2] is %T", b.Objects[2])
	}
	if u, ok := b.Objects[6].(*Unknown); !ok || u.ID != "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b" {
		t.Fatalf("objects[6] is %T", b.Objects[6])
	}
	want := []Observable{
		{Kind: KindSHA256, Value: "4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877", TLP: TLPAmber, Indicator: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"},
		{Kind: KindIP, Value: "198.51.100.3", TLP: TLPAmber, Indicator: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"},
	}
	if !slices.Equal(b.Observables, want) {
		t.Fatalf("observables %+v, want %+v", b.Observables, want)
	}
	// Export and import again: the same objects and observables, and the
	// unknown object keeps its big number.
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "12345678901234567890") {
		t.Fatal("unknown object lost its number")
	}
	b2, errs2 := ParseBundle(out)
	if b2 == nil || len(b2.Objects) != len(b.Objects) || !slices.Equal(b2.Observables, b.Observables) {
		t.Fatalf("round trip: %v", errs2)
	}
	out2, _ := json.Marshal(b2)
	if string(out2) != string(out) {
		t.Fatalf("export is not stable:\n%s\n%s", out, out2)
	}

	for _, bad := range []string{`[]`, `{"type":"bundle"}`, `nope`, `{"objects": 5}`} {
		if b, errs := ParseBundle([]byte(bad)); b != nil || len(errs) != 1 || aceso.ErrorCode(errs[0]) != aceso.EINVALID {
			t.Errorf("ParseBundle(%s) = %v, %v", bad, b, errs)
		}
	}
	if b, errs := ParseBundle([]byte(`{"type":"x","id":"y","objects":[]}`)); b == nil || len(errs) != 2 {
		t.Errorf("wrong type and id: %v, %v", b, errs)
	}
}
