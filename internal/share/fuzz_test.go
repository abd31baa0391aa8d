package share

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func FuzzParseMISPEvent(f *testing.F) {
	if files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "testdata", "misp", "*.json")); len(files) > 0 {
		for _, name := range files {
			if data, err := os.ReadFile(name); err == nil && len(data) < 4000 {
				f.Add(data)
			}
		}
	}
	for _, s := range []string{
		`{"Event":{"uuid":"a","info":"x","analysis":"2","Attribute":[{"type":"ip-dst","value":"1.2.3.4","to_ids":"1"}],"Tag":[{"name":"tlp:green"}]}}`,
		`{"response":[{"Event":{"uuid":"c","Object":[{"name":"file","Attribute":[{"type":"filename|md5","value":"a|b"}]}]}}]}`,
		`{"uuid":"d","threat_level_id":null,"timestamp":1.0e3,"published":0}`,
		`{"info":"\u00ff\xff","Tag":[{"name":"TLP:AMBER+STRICT"},{"name":"tlp:red"}]}`,
		`{}`, `[]`, `null`, `{"Event":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := ParseMISPEvent(data)
		if err != nil {
			if ev != nil {
				t.Fatal("event and error")
			}
			return
		}
		// Parse → export → parse is a fixed point.
		out1, err := json.Marshal(map[string]any{"Event": ev})
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		ev2, err := ParseMISPEvent(out1)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out1, err)
		}
		out2, _ := json.Marshal(map[string]any{"Event": ev2})
		if !bytes.Equal(out1, out2) {
			t.Fatalf("not stable:\n%s\n%s", out1, out2)
		}
		l1, ok1 := ev.TLP()
		if l2, ok2 := ev2.TLP(); l1 != l2 || ok1 != ok2 {
			t.Fatalf("TLP changed %v → %v", l1, l2)
		}
		// Through a feed: a GREEN copy on the community channel comes back
		// with the same attributes and tags; a RED copy is never written.
		cp := *ev
		cp.UUID = "11111111-2222-4333-8444-555555555555"
		cp.SetTLP(TLPGreen)
		feed := MemFeed{}
		res, err := WriteMISPFeed(feed, ChannelCommunity, []MISPEvent{cp})
		if err != nil || res.Events != 1 {
			t.Fatalf("feed: %+v, %v", res, err)
		}
		back, err := ParseMISPEvent(feed[cp.UUID+".json"])
		if err != nil {
			t.Fatalf("feed event: %v", err)
		}
		if !slices.Equal(back.Tag, cp.Tag) || len(back.Attributes()) != res.Attributes {
			t.Fatalf("feed changed tags or attributes: %v vs %v", back.Tag, cp.Tag)
		}
		for i, a := range back.Attributes() {
			if a.Value != cp.Attributes()[i].Value && res.Attributes == len(cp.Attributes()) {
				t.Fatalf("attribute %d value changed", i)
			}
		}
		cp.SetTLP(TLPRed)
		feed = MemFeed{}
		if res, err := WriteMISPFeed(feed, ChannelOrg, []MISPEvent{cp}); err != nil || res.Events != 0 || len(feed[cp.UUID+".json"]) != 0 {
			t.Fatalf("RED event written: %+v, %v", res, err)
		}
	})
}

func FuzzParseBundle(f *testing.F) {
	f.Add([]byte(sampleBundle))
	ind, _ := NewIndicator(Observable{Kind: KindURL, Value: `http://x.example/'\`}, t0, TLPGreen, "")
	if b, err := json.Marshal(NewBundle(ind)); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[]}`,
		`{"type":"bundle","objects":[{"type":"indicator","TYPE":"x","pattern":"[a:b = 'c']"}]}`,
		`{"objects":[{"type":"indicator","pattern":"([ipv4-addr:value IN ('1.2.3.4','5.6.7.8')]) WITHIN 5 SECONDS","created":"2026-01-01T00:00:00.123456789Z"}]}`,
		`{"objects":[{"type":"x-custom","n":1e400}]}`, `{"objects":[null, 1, "s", []]}`, `{"objects":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, errs := ParseBundle(data)
		if b == nil {
			if len(errs) == 0 {
				t.Fatal("no bundle and no error")
			}
			return
		}
		// Every imported observable exports again and reads back unchanged.
		for _, o := range b.Observables {
			p, err := ObservablePattern(o)
			if err != nil {
				t.Fatalf("observable %+v has no pattern: %v", o, err)
			}
			back, err := PatternObservables(p)
			if err != nil || len(back) != 1 || back[0].Kind != o.Kind || back[0].Value != o.Value {
				t.Fatalf("%+v → %s → %+v, %v", o, p, back, err)
			}
		}
		out1, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		b2, _ := ParseBundle(out1)
		if b2 == nil {
			t.Fatalf("export does not parse: %s", out1)
		}
		out2, err := json.Marshal(b2)
		if err != nil || !bytes.Equal(out1, out2) {
			t.Fatalf("export not stable:\n%s\n%s", out1, out2)
		}
		if len(b2.Objects) != len(b.Objects) || !slices.Equal(b2.Observables, b.Observables) {
			t.Fatalf("objects %d→%d, observables %v→%v", len(b.Objects), len(b2.Objects), b.Observables, b2.Observables)
		}
	})
}

func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{
		`[ipv4-addr:value = '198.51.100.1']`,
		`([file:hashes.'SHA-256' = 'aa' AND file:name NOT LIKE 'x%'] OR [url:value IN ('a','b')]) WITHIN 5 SECONDS`,
		`[a:b[*].c = t'2026-01-01T00:00:00Z'] START t'2026-01-01T00:00:00Z' STOP t'2026-01-02T00:00:00Z'`,
		`[file:name = 'o\'b\\c']`, `[`, `'`, `[a:b = h'0g']`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		comps, err := ParsePattern(s)
		if err != nil {
			return
		}
		// Every string value read from a pattern is re-quoted and re-read intact.
		for _, c := range comps {
			if !c.Strings {
				continue
			}
			for _, v := range c.Values {
				p := "[x:y = " + quoteSTIX(v) + "]"
				back, err := ParsePattern(p)
				if err != nil || len(back) != 1 || back[0].Values[0] != v {
					t.Fatalf("%q → %q → %v, %v", v, p, back, err)
				}
			}
		}
	})
}
