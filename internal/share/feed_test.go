package share

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aceso-health/aceso"
)

func testEvent(uuid, info string, label TLP, attrs ...MISPAttribute) MISPEvent {
	ev := MISPEvent{
		UUID: uuid, Info: info, Date: "2026-11-20", ThreatLevelID: 2, Analysis: 1,
		Timestamp: 1795000000, Published: true,
		Orgc:      &MISPOrg{Name: "Health CSIRT", UUID: "0b9a1c2e-0000-4000-8000-000000000001"},
		Tag:       []MISPTag{{Name: `rsit:malicious-code="ransomware"`}},
		Attribute: attrs,
	}
	if label.Valid() {
		ev.SetTLP(label)
	}
	return ev
}

func TestWriteMISPFeedRoundTrip(t *testing.T) {
	green := testEvent("11111111-1111-4111-8111-111111111111", "Ransomware C2 seen at two hospitals", TLPGreen,
		MISPAttribute{UUID: "a1111111-1111-4111-8111-111111111111", Type: "url", Category: "Network activity", Value: "http://fake.website.com/malware/is/here", ToIDs: true, Timestamp: 1795000001, Distribution: 3},
		MISPAttribute{UUID: "a2222222-1111-4111-8111-111111111111", Type: "text", Category: "Other", Value: "Locky", Comment: `with "quotes" & <html>`},
		MISPAttribute{UUID: "a3333333-1111-4111-8111-111111111111", Type: "ip-dst", Value: "198.51.100.7", Tag: []MISPTag{{Name: "tlp:amber"}}},
	)
	green.Object = []MISPObject{{
		UUID: "b1111111-1111-4111-8111-111111111111", Name: "file", MetaCategory: "file", Distribution: 3,
		Attribute: []MISPAttribute{{Type: "filename|md5", ObjectRelation: "malware-sample", Value: "evil.exe|0123456789abcdef0123456789abcdef"}},
	}}
	clear := testEvent("22222222-2222-4222-8222-222222222222", "Public advisory indicators", TLPClear,
		MISPAttribute{Type: "domain", Value: "example.org", ToIDs: true})
	amber := testEvent("33333333-3333-4333-8333-333333333333", "Targeted phishing of one hospital", TLPAmber,
		MISPAttribute{Type: "email-src", Value: "ceo@evil.example"})
	red := testEvent("44444444-4444-4444-8444-444444444444", "Named-only", TLPRed)
	unlabelled := testEvent("55555555-5555-4555-8555-555555555555", "no label", TLPUnknown)
	events := []MISPEvent{green, clear, amber, red, unlabelled}

	feed := MemFeed{}
	res, err := WriteMISPFeed(feed, ChannelCommunity, events)
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != 2 {
		t.Fatalf("wrote %d events, want 2 (green and clear)", res.Events)
	}
	if res.Attributes != 4 {
		t.Fatalf("wrote %d attributes, want 4 (the amber-tagged attribute is dropped)", res.Attributes)
	}
	var skipped []string
	for _, s := range res.Skipped {
		skipped = append(skipped, s.UUID)
	}
	slices.Sort(skipped)
	wantSkipped := []string{amber.UUID, red.UUID, unlabelled.UUID, "a3333333-1111-4111-8111-111111111111"}
	slices.Sort(wantSkipped)
	if !slices.Equal(skipped, wantSkipped) {
		t.Fatalf("skipped %q, want %q", skipped, wantSkipped)
	}
	files := []string{}
	for name := range feed {
		files = append(files, name)
	}
	slices.Sort(files)
	wantFiles := []string{green.UUID + ".json", clear.UUID + ".json", "hashes.csv", "manifest.json"}
	slices.Sort(wantFiles)
	if !slices.Equal(files, wantFiles) {
		t.Fatalf("files %q, want %q", files, wantFiles)
	}

	// Each event file parses back to the same attributes and tags.
	for _, orig := range []MISPEvent{green, clear} {
		back, err := ParseMISPEvent(feed[orig.UUID+".json"])
		if err != nil {
			t.Fatalf("%s: %v", orig.UUID, err)
		}
		if !strings.HasPrefix(string(feed[orig.UUID+".json"]), `{"Event":{`) {
			t.Fatalf("event file is not wrapped in Event: %.40s", feed[orig.UUID+".json"])
		}
		if back.Info != orig.Info || back.UUID != orig.UUID || back.ThreatLevelID != orig.ThreatLevelID || back.Date != orig.Date {
			t.Fatalf("event fields changed: %+v", back)
		}
		if !slices.Equal(back.Tag, orig.Tag) {
			t.Fatalf("tags %v, want %v", back.Tag, orig.Tag)
		}
		var wantAttrs []MISPAttribute
		for _, a := range orig.Attributes() {
			if l, ok := tagsTLP(a.Tag); ok && l.Stricter(TLPGreen) {
				continue
			}
			wantAttrs = append(wantAttrs, a)
		}
		got := back.Attributes()
		if len(got) != len(wantAttrs) {
			t.Fatalf("%d attributes back, want %d", len(got), len(wantAttrs))
		}
		for i := range got {
			g, w := got[i], wantAttrs[i]
			if g.Distribution != DistributionInherit {
				t.Errorf("attribute %d distribution %d, want 5 (inherit)", i, g.Distribution)
			}
			g.Distribution, w.Distribution = 0, 0
			if g.UUID != w.UUID || g.Type != w.Type || g.Value != w.Value || g.ToIDs != w.ToIDs || g.Comment != w.Comment || g.Timestamp != w.Timestamp || g.ObjectRelation != w.ObjectRelation || !slices.Equal(g.Tag, w.Tag) {
				t.Errorf("attribute %d: got %+v, want %+v", i, g, w)
			}
		}
		l, _ := orig.TLP()
		if int(back.Distribution) != MISPDistribution(l) {
			t.Errorf("%v event distribution %d, want %d", l, back.Distribution, MISPDistribution(l))
		}
	}

	// manifest.json: one entry per written event with the summary fields.
	man, err := ParseMISPManifest(feed["manifest.json"])
	if err != nil {
		t.Fatal(err)
	}
	if len(man) != 2 {
		t.Fatalf("manifest has %d entries", len(man))
	}
	e := man[green.UUID]
	if e.Info != green.Info || e.Date != "2026-11-20" || e.Analysis != 1 || e.ThreatLevelID != 2 || e.Timestamp != 1795000000 || e.Orgc.Name != "Health CSIRT" || e.Orgc.UUID != green.Orgc.UUID {
		t.Fatalf("manifest entry = %+v", e)
	}
	if !slices.Equal(e.Tag, green.Tag) {
		t.Fatalf("manifest tags %v", e.Tag)
	}
	var raw map[string]map[string]any
	if err := json.Unmarshal(feed["manifest.json"], &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Orgc", "Tag", "info", "date", "analysis", "threat_level_id", "timestamp"} {
		if _, ok := raw[green.UUID][k]; !ok {
			t.Errorf("manifest entry lacks %q", k)
		}
	}

	// hashes.csv: md5 of each value (parts of composite values), event uuid.
	// Digests computed independently (Python hashlib).
	lines := strings.Split(strings.TrimSuffix(string(feed["hashes.csv"]), "\n"), "\n")
	want := []string{
		"b253c39f769e71f2781495acde6cb99c," + green.UUID, // the url
		"979d3ab6ac0c156ebfb33e9f4d62347c," + green.UUID, // Locky
		"27ad5239e11f88e03661da7a622b7603," + green.UUID, // evil.exe
		"8516ac99dc60603295de7bdb6a153530," + green.UUID, // the md5 part
	}
	for _, w := range want {
		if !slices.Contains(lines, w) {
			t.Errorf("hashes.csv lacks %q", w)
		}
	}
	if len(lines) != 5 { // 4 above + example.org of the clear event
		t.Errorf("hashes.csv has %d lines: %q", len(lines), lines)
	}
	for _, l := range lines {
		if strings.HasSuffix(l, amber.UUID) || strings.HasSuffix(l, red.UUID) {
			t.Errorf("hashes.csv lists a held-back event: %q", l)
		}
	}
}

func TestWriteMISPFeedChannels(t *testing.T) {
	var events []MISPEvent
	for i, l := range Labels {
		u := strings.Repeat(string(rune('a'+i)), 8) + "-0000-4000-8000-000000000000"
		events = append(events, testEvent(u, l.String(), l, MISPAttribute{Type: "text", Value: l.String()}))
	}
	for _, ch := range []Channel{ChannelPublic, ChannelCommunity, ChannelOrg} {
		t.Run(string(ch), func(t *testing.T) {
			feed := MemFeed{}
			res, err := WriteMISPFeed(feed, ch, events)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range events {
				l, _ := ev.TLP()
				_, written := feed[ev.UUID+".json"]
				if written != AllowedOn(l, ch) {
					t.Errorf("%v on %s: written=%v", l, ch, written)
				}
			}
			if res.Events+len(res.Skipped) != len(events) {
				t.Errorf("written %d + skipped %d != %d", res.Events, len(res.Skipped), len(events))
			}
		})
	}
	if _, err := WriteMISPFeed(MemFeed{}, "everyone", events); aceso.ErrorCode(err) != aceso.EINVALID {
		t.Fatalf("unknown channel: %v", err)
	}
}

func TestWriteMISPFeedRejectsBadUUID(t *testing.T) {
	tests := []struct {
		name string
		uuid string
	}{
		{"empty", ""},
		{"path traversal", "../../etc/passwd"},
		{"not hex", "zzzzzzzz-1111-4111-8111-111111111111"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			feed := MemFeed{}
			events := []MISPEvent{testEvent("11111111-1111-4111-8111-111111111111", "ok", TLPClear), testEvent(tt.uuid, "bad", TLPClear)}
			_, err := WriteMISPFeed(feed, ChannelPublic, events)
			if aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(err.Error(), "event 1") {
				t.Fatalf("err = %v", err)
			}
			if len(feed) != 0 {
				t.Fatalf("wrote %d files before refusing", len(feed))
			}
		})
	}
	dup := []MISPEvent{testEvent("11111111-1111-4111-8111-111111111111", "a", TLPClear), testEvent("11111111-1111-4111-8111-111111111111", "b", TLPClear)}
	if _, err := WriteMISPFeed(MemFeed{}, ChannelPublic, dup); aceso.ErrorCode(err) != aceso.EINVALID {
		t.Fatalf("duplicate uuid: %v", err)
	}
}

func TestDirFeed(t *testing.T) {
	dir := t.TempDir()
	ev := testEvent("11111111-1111-4111-8111-111111111111", "on disk", TLPClear, MISPAttribute{Type: "domain", Value: "example.org"})
	if _, err := WriteMISPFeed(DirFeed(dir), ChannelPublic, []MISPEvent{ev}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{ev.UUID + ".json", "hashes.csv", "manifest.json"}
	if !slices.Equal(names, want) {
		t.Fatalf("files %q, want %q (no temporary files left)", names, want)
	}
	data, err := os.ReadFile(filepath.Join(dir, ev.UUID+".json"))
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseMISPEvent(data)
	if err != nil || back.Attribute[0].Value != "example.org" {
		t.Fatalf("read back %+v, %v", back, err)
	}
	for _, bad := range []string{"../x", ".hidden", "a/b", ""} {
		if err := DirFeed(dir).WriteFile(bad, nil); err == nil {
			t.Errorf("WriteFile(%q) accepted", bad)
		}
	}
}

func TestAttributeHashes(t *testing.T) {
	tests := []struct {
		name string
		a    MISPAttribute
		want []string
	}{
		{"plain", MISPAttribute{Type: "text", Value: "Locky"}, []string{"979d3ab6ac0c156ebfb33e9f4d62347c"}},
		{"empty value", MISPAttribute{Type: "text", Value: ""}, []string{"d41d8cd98f00b204e9800998ecf8427e"}},
		{"composite", MISPAttribute{Type: "filename|md5", Value: "evil.exe|0123456789abcdef0123456789abcdef"}, []string{"27ad5239e11f88e03661da7a622b7603", "8516ac99dc60603295de7bdb6a153530"}},
		{"malware-sample", MISPAttribute{Type: "malware-sample", Value: "evil.exe|0123456789abcdef0123456789abcdef"}, []string{"27ad5239e11f88e03661da7a622b7603", "8516ac99dc60603295de7bdb6a153530"}},
		{"pipe in a plain value stays whole", MISPAttribute{Type: "text", Value: "a|b"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AttributeHashes(tt.a)
			if tt.want == nil {
				if len(got) != 1 {
					t.Fatalf("got %d digests, want 1", len(got))
				}
				return
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
