package store

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzFeedSourceValidate feeds arbitrary user input (form and API fields)
// to the source validation: it never panics, what it accepts is an http(s)
// URL with a host and an interval within bounds, and accepting is stable
// (validating the normalised source again changes nothing).
func FuzzFeedSourceValidate(f *testing.F) {
	f.Add("https://www.example.org/.well-known/csaf/provider-metadata.json", "", int64(3600), "")
	f.Add(" http://127.0.0.1:8080/aggregator.json ", "Local", int64(300), "-----BEGIN PGP PUBLIC KEY BLOCK-----\nx")
	f.Add("file:///etc/passwd", "x", int64(0), "")
	f.Add("https://u:p@h/x", strings.Repeat("n", 300), int64(-5), "ssh-rsa")
	f.Add("https://[::1]:443/p.json#frag", "\x00", int64(1<<40), "")
	f.Fuzz(func(t *testing.T, u, name string, interval int64, key string) {
		src := FeedSource{URL: u, Name: name, IntervalSeconds: interval, OpenPGPKey: key}
		if err := src.validate(); err != nil {
			return
		}
		p, err := url.Parse(src.URL)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.User != nil {
			t.Fatalf("accepted %q", src.URL)
		}
		if src.Interval < minFeedInterval || src.Interval > maxFeedInterval || src.IntervalSeconds != int64(src.Interval/time.Second) {
			t.Fatalf("accepted interval %v (%d s)", src.Interval, src.IntervalSeconds)
		}
		if src.Name == "" || len(src.Name) > 200 {
			t.Fatalf("accepted name %q", src.Name)
		}
		again := src
		if err := again.validate(); err != nil || again.URL != src.URL || again.Name != src.Name || again.Interval != src.Interval ||
			again.IntervalSeconds != src.IntervalSeconds || again.OpenPGPKey != src.OpenPGPKey {
			t.Fatalf("not stable: %v\n%+v\n%+v", err, src, again)
		}
	})
}

// FuzzValidWebhook: an accepted webhook is an https URL with a host, no
// user info, no fragment and no control characters, at most 1000 bytes.
func FuzzValidWebhook(f *testing.F) {
	f.Add("https://siem.example/hook?key=1")
	f.Add("http://siem.example/hook")
	f.Add("https://user:pw@x.example/")
	f.Add("https://x.example/\r\nX-Injected: 1")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if validWebhook(s) != nil || s == "" {
			return
		}
		p, err := url.Parse(s)
		if err != nil || p.Scheme != "https" || p.Host == "" || p.User != nil || p.Fragment != "" || len(s) > 1000 ||
			strings.ContainsFunc(s, func(r rune) bool { return r < ' ' }) {
			t.Fatalf("accepted %q", s)
		}
	})
}
