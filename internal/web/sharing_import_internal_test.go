package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/aceso-health/aceso"
)

// The package's tests serve feeds from httptest servers on 127.0.0.1.
func init() { allowLoopbackFetch = true }

func TestPublicAddr(t *testing.T) {
	for _, tt := range []struct {
		addr string
		want bool
	}{
		{"8.8.8.8", true}, {"2606:4700:4700::1111", true}, {"::ffff:8.8.8.8", true},
		{"127.0.0.1", false}, {"::1", false}, {"10.0.0.1", false}, {"172.16.5.4", false}, {"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"100.64.0.1", false}, {"0.0.0.0", false}, {"0.1.2.3", false}, {"224.0.0.1", false}, {"255.255.255.255", false}, {"240.0.0.1", false},
		{"192.0.2.1", false}, {"198.18.0.1", false}, {"::", false}, {"fe80::1", false}, {"fd00::1", false}, {"ff02::1", false},
		{"::ffff:10.0.0.1", false}, {"::ffff:127.0.0.1", false}, {"64:ff9b::a00:1", false}, {"2002:a00:1::", false}, {"2001:db8::1", false},
		{"::a00:1", false}, {"::7f00:1", false}, {"::808:808", false}, // IPv4-compatible ::/96 (10.0.0.1, 127.0.0.1, 8.8.8.8)
		{"::ffff:0:a00:1", false}, {"::ffff:0:a9fe:a9fe", false}, // IPv4-translated ::ffff:0:0:0/96 (10.0.0.1, 169.254.169.254)
		{"fec0::1", false}, {"feff:ffff::1", false}, // site-local fec0::/10
	} {
		if got := publicAddr(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("publicAddr(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestIntelFetcherLimits(t *testing.T) {
	ctx := context.Background()
	hops := 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			_, _ = w.Write(make([]byte, intelDocMax+1))
		case "/ok":
			_, _ = w.Write([]byte(`{}`))
		case "/to-http":
			http.Redirect(w, r, "http://example.org/x", http.StatusFound)
		case "/to-private":
			http.Redirect(w, r, "https://10.0.0.1/x", http.StatusFound)
		default: // /loop: redirect again and again
			hops++
			http.Redirect(w, r, "/loop", http.StatusFound)
		}
	}))
	defer srv.Close()
	tlsFetcher := func(loopback bool) *intelFetcher {
		f := newIntelFetcher(loopback)
		f.client.Transport.(*http.Transport).TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
		return f
	}

	// A server never fetches from loopback: the dial itself is refused.
	f := tlsFetcher(false)
	if _, err := f.get(ctx, srv.URL+"/ok"); aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(err.Error(), "address 127.0.0.1 is not public") {
		t.Errorf("loopback in production: %v", err)
	}
	f = tlsFetcher(true)
	if b, err := f.get(ctx, srv.URL+"/ok"); err != nil || string(b) != "{}" {
		t.Fatalf("loopback in tests: %q %v", b, err)
	}
	for _, tt := range []struct{ path, code, want string }{
		{"/big", aceso.ETOOLARGE, "larger than 16 MiB"},
		{"/to-http", aceso.EINVALID, `"http://example.org/x" must be an https URL`},
		{"/to-private", aceso.EINVALID, "address 10.0.0.1 is not public"},
		{"/loop", aceso.EUNAVAILABLE, "more than 3 redirects"},
	} {
		_, err := f.get(ctx, srv.URL+tt.path)
		if aceso.ErrorCode(err) != tt.code || !strings.Contains(aceso.ErrorMessage(err), tt.want) {
			t.Errorf("%s: %v, want %s %q", tt.path, err, tt.code, tt.want)
		}
	}
	if hops != 4 {
		t.Errorf("followed %d redirects, want the first request and 3 more", hops)
	}
	// The total of one import is bounded too.
	f = tlsFetcher(true)
	f.read = intelFetchTotal - 1
	if _, err := f.get(ctx, srv.URL+"/ok"); aceso.ErrorCode(err) != aceso.ETOOLARGE || !strings.Contains(err.Error(), "over 64 MiB in all") {
		t.Errorf("total limit: %v", err)
	}
}
