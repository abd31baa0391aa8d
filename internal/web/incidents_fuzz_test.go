package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/share"
)

// FuzzParseWizard feeds arbitrary form bodies to the new-incident form
// parser. Invariants: no panic; an error is EINVALID and names a field; an
// accepted form has an awareness time, no negative numbers and a valid
// assessment; and the times it read print back to what it parsed.
func FuzzParseWizard(f *testing.F) {
	f.Add("title=Ransomware&aware_at=2026-03-02T08:30&time_zone=Europe%2FBerlin&personal_data=yes&approx_subjects=40&severe_operational_disruption=1")
	f.Add("title=x&aware_at=2026-03-29T02:30&time_zone=Europe%2FBerlin")
	f.Add("aware_at=2026-03-02T08:30:00Z&detected_at=2026-03-02T09:00&time_zone=UTC")
	f.Add("title=x&aware_at=2026-03-02T08:30&risk_unlikely=1")
	f.Add("title=x&aware_at=2026-03-02T08:30&postponed_procedures=-1&time_zone=Mars")
	f.Add("title=%ff&aware_at=2026-13-45T99:99&classification=intrusions%2Fsystem-compromise&services_affected=a,,b")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		in, a, err := parseWizard(form)
		if err != nil {
			if aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(aceso.ErrorMessage(err), ":") {
				t.Fatalf("error %v is not EINVALID naming a field", err)
			}
			return
		}
		if in.AwareAt.IsZero() || in.AwareAt.Location() != time.UTC {
			t.Fatalf("accepted without a UTC aware_at: %v", in.AwareAt)
		}
		if in.ImpactOnCare.PostponedProcedures < 0 || in.ImpactOnCare.DurationMinutes < 0 ||
			(in.PersonalData != nil && (in.PersonalData.ApproxSubjects < 0 || in.PersonalData.ApproxRecords < 0)) {
			t.Fatalf("negative number accepted: %+v", in)
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("accepted an invalid assessment: %v", err)
		}
		if (strings.TrimSpace(form.Get("personal_data")) == "yes") != (in.PersonalData != nil) || a.PersonalDataBreach != (in.PersonalData != nil) {
			t.Fatalf("personal data answer %q gave record %v, assessment %v", form.Get("personal_data"), in.PersonalData, a.PersonalDataBreach)
		}
		for _, s := range in.ImpactOnCare.ServicesAffected {
			if s == "" || strings.TrimSpace(s) != s {
				t.Fatalf("service %q not trimmed", s)
			}
		}
		// Round trip: the time printed in the form's zone reads back the same.
		loc, _ := time.LoadLocation(in.TimeZone)
		if back, err := formTime(in.AwareAt.In(loc).Format(time.RFC3339), loc); err != nil || !back.Equal(in.AwareAt) {
			t.Fatalf("aware_at %v does not round-trip: %v %v", in.AwareAt, back, err)
		}
	})
}

// FuzzIncidentFilter checks the list's query parser: no panic, only
// EINVALID errors, and an accepted filter stays within its bounds.
func FuzzIncidentFilter(f *testing.F) {
	f.Add("status=triage&regime=gdpr&at_risk=1&before=10&limit=50&org=2")
	f.Add("status=exploded&limit=0")
	f.Add("before=-1&limit=9999999999999999999")
	f.Add("regime=nis2&open=true")
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		flt, err := incidentFilter(q, []string{"nis2", "gdpr", "mdr"})
		if err != nil {
			if aceso.ErrorCode(err) != aceso.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if flt.Limit < 0 || flt.Limit > 500 || flt.Before < 0 {
			t.Fatalf("filter out of bounds: %+v", flt)
		}
		if flt.Status != "" && !strings.Contains(joinStatuses(statuses), string(flt.Status)) {
			t.Fatalf("unknown status accepted: %q", flt.Status)
		}
	})
}

// TestCountdown pins the words of the server-side countdown, which
// incident.js repeats in the browser.
func TestCountdown(t *testing.T) {
	now := time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	tests := []struct {
		name string
		due  *time.Time
		want string
	}{
		{"no deadline", nil, "no fixed deadline"},
		{"minutes", at(42*time.Minute + 30*time.Second), "due in 42 min"},
		{"hours", at(5*time.Hour + 12*time.Minute), "due in 5 h 12 min"},
		{"days", at(52 * time.Hour), "due in 2 d 4 h"},
		{"just late", at(-30 * time.Second), "late by less than 1 min"},
		{"just due", at(30 * time.Second), "due in less than 1 min"},
		{"late", at(-(2*time.Hour + 3*time.Minute)), "late by 2 h 3 min"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := countdown(tt.due, now); got != tt.want {
				t.Fatalf("countdown = %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzRedPeopleForm feeds arbitrary form bodies to the CSIRT people picker
// of the incident page and to the alert compose form: no panic; an error
// is EINVALID and names its field; without the picker's marker nothing is
// named; every accepted id is a positive user id from the form; and the
// compose form keeps people only at TLP:RED, recipients only otherwise.
func FuzzRedPeopleForm(f *testing.F) {
	f.Add("red_people_form=1&red_people=3&red_people=4")
	f.Add("red_people_form=1")
	f.Add("red_people=3")
	f.Add("red_people_form=1&red_people=-2&red_people=x")
	f.Add("title=x&tlp=TLP:RED&recipients=all&org_ids=2&people=5")
	f.Add("title=x&tlp=amber&recipients=chosen&org_ids=2&people=5")
	f.Add("title=x&tlp=red&people=%2B7&people=+8")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		ids, err := redPeopleForm(form)
		if err != nil {
			if aceso.ErrorCode(err) != aceso.EINVALID || !strings.HasPrefix(aceso.ErrorMessage(err), "red_people: ") {
				t.Fatalf("error %v is not EINVALID naming red_people", err)
			}
		} else if (ids == nil) != (form.Get("red_people_form") == "") {
			t.Fatalf("picker marker %q gave %v", form.Get("red_people_form"), ids)
		} else if ids != nil {
			if len(*ids) != len(form["red_people"]) {
				t.Fatalf("%d ids from %d values", len(*ids), len(form["red_people"]))
			}
			for _, id := range *ids {
				if id <= 0 {
					t.Fatalf("accepted user id %d", id)
				}
			}
		}
		r := httptest.NewRequest(http.MethodPost, "/alerts", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		in, err := alertForm(r)
		if err != nil {
			if aceso.ErrorCode(err) != aceso.EINVALID {
				t.Fatalf("compose form error %v is not EINVALID", err)
			}
			return
		}
		if l, err := share.ParseTLP(in.TLP); err == nil && l == share.TLPRed {
			if in.Recipients != "" || in.OrgIDs != nil {
				t.Fatalf("RED form kept recipients %q %v", in.Recipients, in.OrgIDs)
			}
		} else if in.People != nil {
			t.Fatalf("%q form kept people %v", in.TLP, in.People)
		}
		for _, id := range in.People {
			if id <= 0 {
				t.Fatalf("accepted user id %d", id)
			}
		}
	})
}
