package share

import (
	"encoding/json"
	"fmt"
	"testing"
)

func benchEvents(n int) []MISPEvent {
	events := make([]MISPEvent, n)
	for i := range events {
		ev := MISPEvent{
			UUID: fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i), Info: fmt.Sprintf("Phishing wave %d against hospital staff", i),
			Date: "2026-11-20", ThreatLevelID: 2, Analysis: 2, Timestamp: FlexInt(1795000000 + i), Published: true,
			Orgc: &MISPOrg{Name: "Health CSIRT", UUID: "0b9a1c2e-0000-4000-8000-000000000001"},
			Tag:  []MISPTag{{Name: `rsit:fraud="phishing"`}},
		}
		ev.Attribute = []MISPAttribute{
			{UUID: fmt.Sprintf("%08x-0001-4000-8000-000000000000", i), Type: "domain", Category: "Network activity", Value: fmt.Sprintf("login-%d.evil.example", i), ToIDs: true},
			{UUID: fmt.Sprintf("%08x-0002-4000-8000-000000000000", i), Type: "ip-dst", Category: "Network activity", Value: fmt.Sprintf("198.51.%d.%d", i/256%256, i%256), ToIDs: true},
			{UUID: fmt.Sprintf("%08x-0003-4000-8000-000000000000", i), Type: "url", Category: "Network activity", Value: fmt.Sprintf("https://login-%d.evil.example/owa/", i), ToIDs: true},
			{UUID: fmt.Sprintf("%08x-0004-4000-8000-000000000000", i), Type: "email-src", Category: "Payload delivery", Value: fmt.Sprintf("it-support%d@evil.example", i)},
			{UUID: fmt.Sprintf("%08x-0005-4000-8000-000000000000", i), Type: "filename|sha256", Category: "Payload delivery", Value: fmt.Sprintf("invoice%d.pdf.exe|%064x", i, i)},
		}
		ev.SetTLP(Labels[i%3]) // CLEAR, GREEN, AMBER: a community feed writes two thirds
		events[i] = ev
	}
	return events
}

// BenchmarkWriteMISPFeed10k writes a community feed from 10,000 events of
// five attributes each (6,667 pass the channel) into memory.
func BenchmarkWriteMISPFeed10k(b *testing.B) {
	events := benchEvents(10000)
	b.ReportAllocs()
	var bytes int
	for b.Loop() {
		feed := MemFeed{}
		res, err := WriteMISPFeed(feed, ChannelCommunity, events)
		if err != nil || res.Events != 6667 {
			b.Fatalf("%+v, %v", res.Events, err)
		}
		bytes = 0
		for _, f := range feed {
			bytes += len(f)
		}
	}
	b.ReportMetric(float64(bytes), "feed-bytes")
	b.ReportMetric(float64(b.N*len(events))/b.Elapsed().Seconds(), "events/s")
}

func benchIndicators(n int) []Object {
	objs := make([]Object, 0, n)
	for i := range n {
		ind, err := NewIndicator(Observable{Kind: KindIP, Value: fmt.Sprintf("10.%d.%d.%d", i/65536%256, i/256%256, i%256)}, t0, Labels[i%3], "")
		if err != nil {
			panic(err)
		}
		objs = append(objs, ind)
	}
	return objs
}

// BenchmarkBundle1000 builds and marshals a bundle of 1,000 indicators.
func BenchmarkBundle1000(b *testing.B) {
	objs := benchIndicators(1000)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		out, err := json.Marshal(NewBundle(objs...))
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(float64(size), "bundle-bytes")
}

// BenchmarkParseBundle1000 imports that bundle: decoding, validation and
// pattern parsing of 1,000 indicators.
func BenchmarkParseBundle1000(b *testing.B) {
	data, err := json.Marshal(NewBundle(benchIndicators(1000)...))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		bundle, errs := ParseBundle(data)
		if len(errs) != 0 || len(bundle.Observables) != 1000 {
			b.Fatalf("%d observables, %v", len(bundle.Observables), errs)
		}
	}
}
