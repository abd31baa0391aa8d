package share

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aceso-health/aceso"
)

// testdataDir returns the shared MISP test data, skipping when it is absent
// (a clone of the repository alone).
func testdataDir(tb testing.TB, sub string) string {
	tb.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "testdata", sub)
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("shared test data %s not present (%v); CI has it", dir, err)
	}
	return dir
}

func TestParseMISPEventCorpus(t *testing.T) {
	dir := testdataDir(t, "misp")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) < 10 {
		t.Fatalf("found %d MISP files, %v", len(files), err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := ParseMISPEvent(data)
			if err != nil {
				t.Fatalf("ParseMISPEvent: %v", err)
			}
			if ev.UUID == "" && ev.Info == "" && len(ev.Attributes()) == 0 {
				t.Fatal("parsed an empty event")
			}
		})
	}
}

func mustParseFile(tb testing.TB, name string) *MISPEvent {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(testdataDir(tb, "misp"), name))
	if err != nil {
		tb.Fatal(err)
	}
	ev, err := ParseMISPEvent(data)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return ev
}

func TestParseMISPEventValues(t *testing.T) {
	t.Run("wrapped event with string numbers", func(t *testing.T) {
		ev := mustParseFile(t, "57c4445b-c548-4654-af0b-4be3950d210f.json")
		if ev.UUID != "57c4445b-c548-4654-af0b-4be3950d210f" || ev.Info != "Ransomware - Xorist" || ev.Date != "2016-08-29" {
			t.Fatalf("event = %q %q %q", ev.UUID, ev.Info, ev.Date)
		}
		if ev.ThreatLevelID != 3 || ev.Analysis != 2 || ev.Timestamp != 1472541011 || !bool(ev.Published) {
			t.Fatalf("numbers = %d %d %d %v", ev.ThreatLevelID, ev.Analysis, ev.Timestamp, ev.Published)
		}
		if ev.Orgc == nil || ev.Orgc.Name != "CIRCL" || ev.Orgc.UUID != "55f6ea5e-2c60-40e5-964f-47a8950d210f" {
			t.Fatalf("Orgc = %+v", ev.Orgc)
		}
		if len(ev.Attribute) != 9 {
			t.Fatalf("%d attributes, want 9", len(ev.Attribute))
		}
		a := ev.Attribute[4]
		if a.Type != "filename" || a.Value != "3Z4wnG9603it23y.exe" || !bool(a.ToIDs) || a.Timestamp != 1472480394 || a.Category != "Payload delivery" {
			t.Fatalf("attribute 4 = %+v", a)
		}
		if l, ok := ev.TLP(); !ok || l != TLPClear {
			t.Fatalf("TLP = %v, %v; want CLEAR from tlp:white", l, ok)
		}
	})
	t.Run("api response with objects", func(t *testing.T) {
		ev := mustParseFile(t, "mispevent_testfiles_malware_exist.json")
		if ev.UUID != "5a4e4fdd-1eb4-4ff3-9e87-43fa950d210f" || ev.ThreatLevelID != 1 || ev.Analysis != 0 || bool(ev.Published) {
			t.Fatalf("event = %+v", ev)
		}
		if len(ev.Object) != 1 || ev.Object[0].Name != "file" || ev.Object[0].MetaCategory != "file" || len(ev.Object[0].Attribute) != 6 {
			t.Fatalf("objects = %+v", ev.Object)
		}
		if got := ev.Object[0].Attribute[0]; got.Type != "malware-sample" || got.ObjectRelation == "" {
			t.Fatalf("first object attribute = %+v", got)
		}
		if _, ok := ev.TLP(); ok {
			t.Fatal("event without tlp tag reported a label")
		}
	})
	t.Run("bare event with galaxies and many objects", func(t *testing.T) {
		ev := mustParseFile(t, "mispevent_testfiles_existing_event.json")
		if ev.UUID != "5a3c2fcd-8328-42bb-a95e-4f4402de0b81" || len(ev.Attribute) != 9 || len(ev.Object) != 49 {
			t.Fatalf("event %s: %d attributes, %d objects", ev.UUID, len(ev.Attribute), len(ev.Object))
		}
		if len(ev.Attribute[0].Tag) != 2 || ev.Attribute[0].Tag[0].Name != `osint:source-type="blog-post"` {
			t.Fatalf("attribute tags = %+v", ev.Attribute[0].Tag)
		}
	})
	t.Run("unicode", func(t *testing.T) {
		ev := mustParseFile(t, "reportlab_testfiles_japanese_test.json")
		if ev.Info != "Japanese Lorem Ipsum 条イ音態ぞゃご法説イシ技" {
			t.Fatalf("info = %q", ev.Info)
		}
	})
}

func TestParseMISPEventShapes(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		uuid     string
		analysis FlexInt
		toIDs    FlexBool
	}{
		{"wrapped numbers", `{"Event":{"uuid":"a","analysis":2,"Attribute":[{"type":"ip-dst","value":"203.0.113.5","to_ids":true}]}}`, "a", 2, true},
		{"bare strings", `{"uuid":"b","analysis":"1","Attribute":[{"type":"ip-dst","value":"x","to_ids":"1"}]}`, "b", 1, true},
		{"response list", `{"response":[{"Event":{"uuid":"c","analysis":"0","Attribute":[{"type":"t","value":"v","to_ids":0}]}}]}`, "c", 0, false},
		{"nulls and empty strings", `{"uuid":"d","analysis":null,"threat_level_id":"","Attribute":[{"type":"t","value":"v","to_ids":null}]}`, "d", 0, false},
		{"float written by other tools", `{"uuid":"e","analysis":2.0,"Attribute":[{"type":"t","value":"v","to_ids":false}]}`, "e", 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := ParseMISPEvent([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if ev.UUID != tt.uuid || ev.Analysis != tt.analysis || len(ev.Attribute) != 1 || ev.Attribute[0].ToIDs != tt.toIDs {
				t.Fatalf("got %+v", ev)
			}
		})
	}
	bad := []struct{ name, in, msg string }{
		{"not json", `{`, "not a JSON object"},
		{"array", `[1,2]`, "not a JSON object"},
		{"empty object", `{}`, "not an event"},
		{"not an event", `{"name":"x","type":"y"}`, "not an event"},
		{"empty response", `{"response":[]}`, "response"},
		{"response not a list", `{"response":{"uuid":"x"}}`, "response"},
		{"Event not an object", `{"Event":"x"}`, "Event"},
		{"number not a number", `{"uuid":"a","analysis":"two"}`, `field analysis: "two" is not an integer`},
		{"fraction", `{"uuid":"a","analysis":1.5}`, "field analysis"},
		{"bad boolean", `{"uuid":"a","published":"yes"}`, `field published: "yes" is not a boolean`},
		{"nested bad boolean", `{"uuid":"a","Attribute":[{"to_ids":"yes"}]}`, "field Attribute.to_ids"},
		{"attribute list wrong type", `{"uuid":"a","Attribute":{"type":"x"}}`, "field Attribute: object is not a list"},
	}
	for _, tt := range bad {
		t.Run("bad "+tt.name, func(t *testing.T) {
			ev, err := ParseMISPEvent([]byte(tt.in))
			if err == nil {
				t.Fatalf("no error, got %+v", ev)
			}
			if aceso.ErrorCode(err) != aceso.EINVALID {
				t.Fatalf("code %q for %v", aceso.ErrorCode(err), err)
			}
			if msg := aceso.ErrorMessage(err); !strings.Contains(msg, tt.msg) {
				t.Fatalf("message %q does not say %q", msg, tt.msg)
			}
		})
	}
}

func TestSetTLP(t *testing.T) {
	ev := MISPEvent{Tag: []MISPTag{{Name: "tlp:white"}, {Name: `ecsirt:malicious-code="ransomware"`}, {Name: "TLP:AMBER"}, {Name: "tlp:ex:chr"}}}
	if l, _ := ev.TLP(); l != TLPAmber {
		t.Fatalf("strictest of white and amber = %v", l)
	}
	ev.SetTLP(TLPGreen)
	var names []string
	for _, tg := range ev.Tag {
		names = append(names, tg.Name)
	}
	want := []string{`ecsirt:malicious-code="ransomware"`, "tlp:ex:chr", "tlp:green"}
	if len(names) != len(want) {
		t.Fatalf("tags = %q, want %q", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("tags = %q, want %q", names, want)
		}
	}
	if l, ok := ev.TLP(); !ok || l != TLPGreen {
		t.Fatalf("after SetTLP: %v", l)
	}
}

func TestMISPDistribution(t *testing.T) {
	want := map[TLP]int{TLPClear: 3, TLPGreen: 2, TLPAmber: 1, TLPAmberStrict: 0, TLPRed: 0, TLPUnknown: 0}
	for l, d := range want {
		if got := MISPDistribution(l); got != d {
			t.Errorf("MISPDistribution(%v) = %d, want %d", l, got, d)
		}
	}
}
