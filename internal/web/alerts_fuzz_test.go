package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
)

// FuzzAlertCreate feeds arbitrary bodies to the alert parser: it never
// panics, and whatever it accepts carries a valid label and audience,
// organisations only for a chosen audience, and named people only at
// TLP:RED, where it carries no organisations of its own.
func FuzzAlertCreate(f *testing.F) {
	f.Add(`{"title": "x y z", "tlp": "amber", "recipients": "all"}`)
	f.Add(`{"advisory_id": 3, "recipients": "affected"}`)
	f.Add(`{"title": "x", "tlp": "TLP:RED", "recipients": "chosen", "org_ids": [1, 2, -3]}`)
	f.Add(`{"tlp": " white ", "recipients": "all", "deadline": "2030-01-01T00:00:00Z", "org_ids": [5]}`)
	f.Add(`{"tlp": "AMBER+STRICT", "recipients": "everyone"}`)
	f.Add(`{"title": "x y z", "tlp": "red", "people": [4, 4, -1]}`)
	f.Add(`{"tlp": "TLP:RED", "recipients": "all", "people": [2]}`)
	f.Add(`{"tlp": "TLP:RED", "recipients": "chosen", "org_ids": [3], "people": [2]}`)
	f.Add(`{"tlp": "green", "recipients": "all", "people": [2]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var raw alertCreate
		if err := decodeJSON(httptest.NewRequest(http.MethodPost, "/api/v1/alerts", strings.NewReader(body)), &raw); err != nil {
			if aceso.ErrorCode(err) != aceso.EINVALID {
				t.Errorf("decode error %v is not EINVALID", err)
			}
			return
		}
		in, err := raw.toInput(store.AlertInput{})
		if err != nil {
			if aceso.ErrorCode(err) != aceso.EINVALID {
				t.Errorf("parse error %v is not EINVALID", err)
			}
			return
		}
		if !in.TLP.Valid() {
			t.Errorf("accepted invalid label from %q", body)
		}
		switch in.Audience {
		case store.AudienceAffected, store.AudienceAll:
			if len(in.OrgIDs) != 0 {
				t.Errorf("organisations kept for audience %s: %q", in.Audience, body)
			}
		case store.AudienceChosen:
		default:
			t.Errorf("accepted audience %q from %q", in.Audience, body)
		}
		if in.TLP == share.TLPRed {
			if in.Audience != store.AudienceChosen || len(in.OrgIDs) != 0 || len(in.People) != len(raw.People) {
				t.Errorf("RED alert addressed by organisations, or people lost: %+v from %q", in, body)
			}
		} else if len(in.People) != 0 {
			t.Errorf("people kept for %s: %q", in.TLP, body)
		}
		if s, err := share.ParseTLP(in.TLP.String()); err != nil || s != in.TLP {
			t.Errorf("label does not round-trip: %v %v", s, err)
		}
	})
}
