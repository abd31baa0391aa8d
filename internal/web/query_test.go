package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/aceso-health/aceso"
)

func TestQueryNumber(t *testing.T) {
	tests := []struct {
		name, raw string
		lo, hi    int64
		want      int64
		err       string
	}{
		{"absent keeps the default", "", 1, 500, 7, ""},
		{"in range", "limit=42", 1, 500, 42, ""},
		{"upper bound included", "limit=500", 1, 500, 500, ""},
		{"above", "limit=501", 1, 500, 7, `limit: "501" is not a number from 1 to 500`},
		{"below", "limit=0", 1, 500, 7, `limit: "0" is not a number from 1 to 500`},
		{"not a number", "limit=ten", 1, 500, 7, `limit: "ten" is not a number from 1 to 500`},
		{"unbounded", "limit=100000", 1, 0, 100000, ""},
		{"unbounded below", "limit=-3", 1, 0, 7, `limit: "-3" is not a number of at least 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.raw)
			got := int64(7)
			err := queryNumber(q, "limit", tt.lo, tt.hi, &got)
			if tt.err == "" {
				if err != nil || got != tt.want {
					t.Fatalf("got %d, %v; want %d", got, err, tt.want)
				}
				return
			}
			if aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(aceso.ErrorMessage(err), tt.err) || got != tt.want {
				t.Fatalf("got %d, %v; want %d and %q", got, err, tt.want, tt.err)
			}
		})
	}
}
