package access

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
)

// rfcKey is the SHA-1 key of RFC 4226 Appendix D and RFC 6238 Appendix B.
const rfcKey = "12345678901234567890"

var rfcSecret = totpB32.EncodeToString([]byte(rfcKey))

func TestHOTPRFC4226(t *testing.T) {
	// RFC 4226 Appendix D.
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for counter, code := range want {
		t.Run(code, func(t *testing.T) {
			if got := hotp([]byte(rfcKey), uint64(counter), 6); got != code {
				t.Errorf("hotp(counter %d) = %s, want %s", counter, got, code)
			}
		})
	}
}

func TestTOTPRFC6238(t *testing.T) {
	// RFC 6238 Appendix B, SHA1 column (8 digits).
	tests := []struct {
		name string
		unix int64
		want string
	}{
		{name: "59", unix: 59, want: "94287082"},
		{name: "1111111109", unix: 1111111109, want: "07081804"},
		{name: "1111111111", unix: 1111111111, want: "14050471"},
		{name: "1234567890", unix: 1234567890, want: "89005924"},
		{name: "2000000000", unix: 2000000000, want: "69279037"},
		{name: "20000000000", unix: 20000000000, want: "65353130"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := time.Unix(tt.unix, 0)
			got, err := totpAt([]byte(rfcKey), at, 8)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("8-digit code = %s, want %s", got, tt.want)
			}
			// The public 6-digit code is the same truncation mod 10^6: the
			// last six digits of the RFC value.
			six, err := TOTPCode(rfcSecret, at)
			if err != nil {
				t.Fatal(err)
			}
			if six != tt.want[2:] {
				t.Errorf("TOTPCode = %s, want %s", six, tt.want[2:])
			}
		})
	}
}

func TestTOTPCodeErrors(t *testing.T) {
	tests := []struct {
		name   string
		secret string
		at     time.Time
	}{
		{name: "empty secret", secret: "", at: time.Unix(59, 0)},
		{name: "not base32", secret: "not-base32!", at: time.Unix(59, 0)},
		{name: "digit 1 is not base32", secret: "GEZDGNBV1", at: time.Unix(59, 0)},
		{name: "before 1970", secret: rfcSecret, at: time.Unix(-1, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, err := TOTPCode(tt.secret, tt.at)
			if err == nil {
				t.Fatalf("TOTPCode = %q, want error", code)
			}
			if aceso.ErrorCode(err) != aceso.EINVALID {
				t.Errorf("code %q, want EINVALID", aceso.ErrorCode(err))
			}
		})
	}
}

func TestDecodeTOTPSecretTolerant(t *testing.T) {
	want := []byte(rfcKey)
	for _, s := range []string{
		rfcSecret,
		strings.ToLower(rfcSecret),
		"GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ",
		"gezd-gnbv-gy3t-qojq-gezd-gnbv-gy3t-qojq",
		rfcSecret + "====",
	} {
		t.Run(s, func(t *testing.T) {
			key, err := decodeTOTPSecret(s)
			if err != nil {
				t.Fatal(err)
			}
			if string(key) != string(want) {
				t.Errorf("decoded %q, want %q", key, want)
			}
		})
	}
}

func TestNewTOTPSecret(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s, err := NewTOTPSecret()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(s, "=") || len(s) != 32 {
			t.Fatalf("secret %q: want 32 base32 characters without padding", s)
		}
		key, err := decodeTOTPSecret(s)
		if err != nil || len(key) != 20 {
			t.Fatalf("secret %q decodes to %d bytes, %v", s, len(key), err)
		}
		if seen[s] {
			t.Fatalf("duplicate secret %q", s)
		}
		seen[s] = true
	}
}

func TestValidateTOTP(t *testing.T) {
	now := time.Unix(1111111111, 0) // step 37037037, code 050471
	step := now.Unix() / 30
	code := func(s int64) string {
		c, err := TOTPCode(rfcSecret, time.Unix(s*30, 0))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name     string
		secret   string
		code     string
		lastUsed int64
		at       time.Time
		wantStep int64
		wantOK   bool
	}{
		{name: "current step", code: code(step), wantStep: step, wantOK: true},
		{name: "RFC value for this time", code: "050471", wantStep: step, wantOK: true},
		{name: "one step behind (slow clock)", code: code(step - 1), wantStep: step - 1, wantOK: true},
		{name: "one step ahead (fast clock)", code: code(step + 1), wantStep: step + 1, wantOK: true},
		{name: "two steps behind", code: code(step - 2)},
		{name: "two steps ahead", code: code(step + 2)},
		{name: "replay of the current step", code: code(step), lastUsed: step},
		{name: "replay of an earlier step", code: code(step - 1), lastUsed: step},
		{name: "previous step used, current accepted", code: code(step), lastUsed: step - 1, wantStep: step, wantOK: true},
		{name: "previous step used, its code rejected", code: code(step - 1), lastUsed: step - 1},
		{name: "next step already used", code: code(step), lastUsed: step + 1},
		{name: "spaces as apps show them", code: code(step)[:3] + " " + code(step)[3:], wantStep: step, wantOK: true},
		{name: "wrong code", code: "000000"},
		{name: "five digits", code: code(step)[:5]},
		{name: "seven digits", code: code(step) + "0"},
		{name: "letters", code: "abcdef"},
		{name: "full-width digits", code: "\uff10\uff15\uff10\uff14\uff17\uff11"},
		{name: "empty", code: ""},
		{name: "bad secret", secret: "!!!!", code: code(step)},
		{name: "before 1970", code: code(0), at: time.Unix(-30, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := rfcSecret
			if tt.secret != "" {
				secret = tt.secret
			}
			at := now
			if !tt.at.IsZero() {
				at = tt.at
			}
			got, ok := ValidateTOTP(secret, tt.code, at, tt.lastUsed)
			if ok != tt.wantOK || got != tt.wantStep {
				t.Errorf("ValidateTOTP(%q) = step %d ok %v, want %d %v", tt.code, got, ok, tt.wantStep, tt.wantOK)
			}
		})
	}
}

// TestValidateTOTPLogin plays a user's sequence of logins against the stored
// last step: a code works once, the next period's code works again.
func TestValidateTOTPLogin(t *testing.T) {
	secret, err := NewTOTPSecret()
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	at := time.Date(2026, 11, 23, 9, 0, 5, 0, time.UTC)
	c1, _ := TOTPCode(secret, at)
	step, ok := ValidateTOTP(secret, c1, at, last)
	if !ok {
		t.Fatal("first code rejected")
	}
	last = step
	if _, ok := ValidateTOTP(secret, c1, at.Add(10*time.Second), last); ok {
		t.Fatal("same code accepted twice in the same period")
	}
	if _, ok := ValidateTOTP(secret, c1, at.Add(30*time.Second), last); ok {
		t.Fatal("same code accepted again in the next period (within skew)")
	}
	c2, _ := TOTPCode(secret, at.Add(30*time.Second))
	if c2 == c1 {
		t.Skip("consecutive codes collide (1 in 10^6)")
	}
	step2, ok := ValidateTOTP(secret, c2, at.Add(30*time.Second), last)
	if !ok || step2 != last+1 {
		t.Fatalf("next period's code: step %d ok %v, want %d true", step2, ok, last+1)
	}
}

func TestTOTPURI(t *testing.T) {
	tests := []struct {
		name      string
		issuer    string
		account   string
		wantLabel string
	}{
		{name: "plain", issuer: "Aceso", account: "alice@hospital.example", wantLabel: "Aceso:alice@hospital.example"},
		{name: "space in issuer", issuer: "Aceso CSIRT", account: "bob@csirt.example", wantLabel: "Aceso CSIRT:bob@csirt.example"},
		{name: "colon and ampersand", issuer: "A:B&C", account: "x?y#z", wantLabel: "A:B&C:x?y#z"},
		{name: "no issuer", issuer: "", account: "carol", wantLabel: "carol"},
		{name: "unicode", issuer: "Hôpital Saint-Éloi", account: "zoë", wantLabel: "Hôpital Saint-Éloi:zoë"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := TOTPURI(tt.issuer, tt.account, rfcSecret)
			if strings.Contains(raw, "+") || strings.Contains(raw, " ") {
				t.Errorf("%q: spaces must be %%20, not + or literal", raw)
			}
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatalf("url.Parse(%q): %v", raw, err)
			}
			if u.Scheme != "otpauth" || u.Host != "totp" {
				t.Errorf("scheme/host = %s/%s", u.Scheme, u.Host)
			}
			if label := strings.TrimPrefix(u.Path, "/"); label != tt.wantLabel {
				t.Errorf("label = %q, want %q", label, tt.wantLabel)
			}
			// The escaped label has exactly one literal ':' (issuer:account).
			escLabel := strings.TrimPrefix(u.EscapedPath(), "/")
			if wantColons := map[bool]int{true: 1, false: 0}[tt.issuer != ""]; strings.Count(escLabel, ":") != wantColons {
				t.Errorf("escaped label %q: want %d literal colon", escLabel, wantColons)
			}
			q := u.Query()
			want := map[string]string{"secret": rfcSecret, "issuer": tt.issuer, "algorithm": "SHA1", "digits": "6", "period": "30"}
			for k, v := range want {
				if got := q.Get(k); got != v {
					t.Errorf("query %s = %q, want %q", k, got, v)
				}
			}
			if _, has := q["issuer"]; has != (tt.issuer != "") {
				t.Errorf("issuer parameter present = %v", has)
			}
		})
	}
}

func FuzzValidateTOTP(f *testing.F) {
	f.Add(rfcSecret, "050471", int64(1111111111), int64(0))
	f.Add(rfcSecret, "050 471", int64(1111111111), int64(37037037))
	f.Add("gezd gnbv", "123456", int64(59), int64(-5))
	f.Add("", "", int64(-100), int64(0))
	f.Fuzz(func(t *testing.T, secret, code string, unix, lastUsed int64) {
		at := time.Unix(unix, 0)
		step, ok := ValidateTOTP(secret, code, at, lastUsed)
		if !ok {
			if step != 0 {
				t.Fatalf("rejected with step %d", step)
			}
			return
		}
		now := unix / 30
		if step < now-1 || step > now+1 || step <= lastUsed || step < 0 {
			t.Fatalf("accepted step %d at step %d with lastUsed %d", step, now, lastUsed)
		}
		want, err := TOTPCode(secret, time.Unix(step*30, 0))
		if err != nil || want != strings.ReplaceAll(code, " ", "") {
			t.Fatalf("accepted %q but the code at step %d is %q (%v)", code, step, want, err)
		}
	})
}

func FuzzTOTPURI(f *testing.F) {
	f.Add("Aceso", "alice@example.org", rfcSecret)
	f.Add("A:B&C", "x?y#z %", "GEZD")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, issuer, account, secret string) {
		u, err := url.Parse(TOTPURI(issuer, account, secret))
		if err != nil {
			t.Fatalf("unparsable URI: %v", err)
		}
		wantLabel := account
		if issuer != "" {
			wantLabel = issuer + ":" + account
		}
		if label := strings.TrimPrefix(u.Path, "/"); label != wantLabel {
			t.Fatalf("label %q, want %q", label, wantLabel)
		}
		q := u.Query()
		if q.Get("secret") != secret || q.Get("issuer") != issuer || q.Get("digits") != "6" {
			t.Fatalf("query %v does not round-trip", q)
		}
	})
}

func BenchmarkValidateTOTP(b *testing.B) {
	at := time.Unix(1111111111, 0)
	for b.Loop() {
		ValidateTOTP(rfcSecret, "000000", at, 0)
	}
}
