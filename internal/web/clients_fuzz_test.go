package web

import (
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/aceso-health/aceso"
)

// FuzzFormClientOf feeds arbitrary "client_of" form values to the parser
// of the serving-organisation forms: it never panics; empty is "none";
// anything else it accepts is a positive id written in decimal, and what it
// refuses is EINVALID.
func FuzzFormClientOf(f *testing.F) {
	for _, s := range []string{"", "12", "0", "-3", "+7", "007", "9223372036854775808", "1e3", " 5", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r := httptest.NewRequest("POST", "/admin/orgs/1/client-of", strings.NewReader(url.Values{"client_of": {v}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		id, err := formClientOf(r)
		switch {
		case err != nil:
			if aceso.ErrorCode(err) != aceso.EINVALID || id != nil {
				t.Fatalf("%q: %v, %v", v, id, err)
			}
		case v == "":
			if id != nil {
				t.Fatalf("empty value gave %d", *id)
			}
		case id == nil || *id <= 0:
			t.Fatalf("%q accepted as %v", v, id)
		default:
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n != *id {
				t.Fatalf("%q accepted as %d", v, *id)
			}
		}
	})
}
