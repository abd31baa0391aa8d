package access

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"github.com/aceso-health/aceso"
)

// cheapParams keep tests fast on a shared 2-core machine; they are the
// smallest the verifier accepts.
var cheapParams = PasswordParams{Memory: 8 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

var phcRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`)

func TestHashVerifyPassword(t *testing.T) {
	tests := []struct {
		name        string
		params      PasswordParams
		password    string
		attempt     string
		wantOK      bool
		wantRehash  bool
		wantEncoded string // regexp prefix of the encoded hash
	}{
		{name: "default params round trip", params: DefaultPasswordParams, password: "correct horse battery", attempt: "correct horse battery", wantOK: true, wantRehash: false, wantEncoded: `^\$argon2id\$v=19\$m=65536,t=3,p=2\$`},
		{name: "other params need rehash", params: cheapParams, password: "correct horse battery", attempt: "correct horse battery", wantOK: true, wantRehash: true, wantEncoded: `^\$argon2id\$v=19\$m=8192,t=1,p=1\$`},
		{name: "wrong password", params: cheapParams, password: "correct horse battery", attempt: "correct horse batterY", wantOK: false},
		{name: "empty attempt", params: cheapParams, password: "correct horse battery", attempt: ""},
		{name: "prefix of password", params: cheapParams, password: "correct horse battery", attempt: "correct horse batter"},
		{name: "NFKC: composed and decomposed accent are the same", params: cheapParams, password: "caf\u00e9 au lait sans sucre", attempt: "cafe\u0301 au lait sans sucre", wantOK: true, wantRehash: true},
		{name: "NFKC: fullwidth digits equal ASCII", params: cheapParams, password: "passphrase\uff11\uff12", attempt: "passphrase12", wantOK: true, wantRehash: true},
		{name: "long password", params: cheapParams, password: strings.Repeat("ab", 512), attempt: strings.Repeat("ab", 512), wantOK: true, wantRehash: true},
		{name: "larger salt and key", params: PasswordParams{Memory: 8 * 1024, Time: 2, Threads: 2, SaltLen: 32, KeyLen: 64}, password: "x", attempt: "x", wantOK: true, wantRehash: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := HashPassword(tt.password, tt.params)
			if err != nil {
				t.Fatalf("HashPassword: %v", err)
			}
			m := phcRE.FindStringSubmatch(enc)
			if m == nil {
				t.Fatalf("encoded %q is not a PHC argon2id string", enc)
			}
			if tt.wantEncoded != "" && !regexp.MustCompile(tt.wantEncoded).MatchString(enc) {
				t.Errorf("encoded %q does not match %s", enc, tt.wantEncoded)
			}
			p, salt, key, err := decodePHC(enc)
			if err != nil {
				t.Fatalf("decodePHC(%q): %v", enc, err)
			}
			if p != tt.params || len(salt) != int(tt.params.SaltLen) || len(key) != int(tt.params.KeyLen) {
				t.Errorf("decoded params %+v salt %d key %d, want %+v", p, len(salt), len(key), tt.params)
			}
			ok, rehash, err := VerifyPassword(tt.attempt, enc)
			if err != nil {
				t.Fatalf("VerifyPassword: %v", err)
			}
			if ok != tt.wantOK || rehash != tt.wantRehash {
				t.Errorf("VerifyPassword = ok %v rehash %v, want %v %v", ok, rehash, tt.wantOK, tt.wantRehash)
			}
		})
	}
}

func TestHashPasswordSaltIsRandom(t *testing.T) {
	a, err := HashPassword("same password", cheapParams)
	if err != nil {
		t.Fatal(err)
	}
	b, err := HashPassword("same password", cheapParams)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("two hashes of the same password are equal: %q", a)
	}
	// The key is argon2id over the salt stored in the string, nothing else.
	_, salt, key, err := decodePHC(a)
	if err != nil {
		t.Fatal(err)
	}
	want := argon2.IDKey([]byte("same password"), salt, cheapParams.Time, cheapParams.Memory, cheapParams.Threads, cheapParams.KeyLen)
	if string(key) != string(want) {
		t.Errorf("stored key differs from argon2.IDKey over the stored salt")
	}
}

// TestVerifyPasswordReference checks interoperability with the Argon2
// reference implementation (phc-winner-argon2 src/test.c).
func TestVerifyPasswordReference(t *testing.T) {
	const ref = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	tests := []struct {
		name     string
		password string
		wantOK   bool
	}{
		{name: "right password", password: "password", wantOK: true},
		{name: "wrong password", password: "passwore", wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := VerifyPassword(tt.password, ref)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.wantOK {
				t.Errorf("ok = %v, want %v", ok, tt.wantOK)
			}
			if ok && !rehash {
				t.Errorf("t=2,p=1 and an 8-byte salt differ from the defaults: want needsRehash")
			}
		})
	}
}

func TestHashPasswordBadParams(t *testing.T) {
	mod := func(f func(*PasswordParams)) PasswordParams { p := cheapParams; f(&p); return p }
	tests := []struct {
		name string
		p    PasswordParams
	}{
		{name: "zero", p: PasswordParams{}},
		{name: "memory too small", p: mod(func(p *PasswordParams) { p.Memory = 1024 })},
		{name: "memory too large", p: mod(func(p *PasswordParams) { p.Memory = 4 * 1024 * 1024 })},
		{name: "time zero", p: mod(func(p *PasswordParams) { p.Time = 0 })},
		{name: "threads zero", p: mod(func(p *PasswordParams) { p.Threads = 0 })},
		{name: "short salt", p: mod(func(p *PasswordParams) { p.SaltLen = 4 })},
		{name: "short key", p: mod(func(p *PasswordParams) { p.KeyLen = 8 })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if enc, err := HashPassword("password", tt.p); err == nil {
				t.Fatalf("HashPassword(%+v) = %q, want error", tt.p, enc)
			}
		})
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	good, err := HashPassword("password", cheapParams)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	tests := []struct {
		name    string
		encoded string
	}{
		{name: "empty", encoded: ""},
		{name: "bcrypt", encoded: "$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ012"},
		{name: "argon2i", encoded: with(1, "argon2i")},
		{name: "old version", encoded: with(2, "v=16")},
		{name: "missing version", encoded: strings.Join(append(parts[:2:2], parts[3:]...), "$")},
		{name: "params out of order", encoded: with(3, "t=1,m=8192,p=1")},
		{name: "leading zero", encoded: with(3, "m=08192,t=1,p=1")},
		{name: "negative", encoded: with(3, "m=8192,t=-1,p=1")},
		{name: "extra param", encoded: with(3, "m=8192,t=1,p=1,k=2")},
		{name: "threads over 255", encoded: with(3, "m=8192,t=1,p=256")},
		{name: "memory overflow", encoded: with(3, "m=99999999999,t=1,p=1")},
		{name: "memory over cap", encoded: with(3, "m=2097152,t=1,p=1")},
		{name: "time over cap", encoded: with(3, "m=8192,t=65,p=1")},
		{name: "salt not base64", encoded: with(4, "!!!!")},
		{name: "salt padded", encoded: with(4, parts[4]+"==")},
		{name: "salt too short", encoded: with(4, "YWJj")},
		{name: "hash empty", encoded: with(5, "")},
		{name: "hash too short", encoded: with(5, "YWJjZGVmZ2g")},
		{name: "trailing field", encoded: good + "$x"},
		{name: "no leading dollar", encoded: strings.TrimPrefix(good, "$")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := VerifyPassword("password", tt.encoded)
			if !errors.Is(err, ErrMalformedHash) {
				t.Errorf("err = %v, want ErrMalformedHash", err)
			}
			if ok || rehash {
				t.Errorf("ok, rehash = %v, %v for a malformed hash", ok, rehash)
			}
		})
	}
}

func TestCheckPasswordPolicy(t *testing.T) {
	tests := []struct {
		name     string
		password string
		wantOK   bool
	}{
		{name: "passphrase", password: "violet tram under the bridge", wantOK: true},
		{name: "exactly 12 characters", password: "k7#Vq2!mZp9w", wantOK: true},
		{name: "12 non-ASCII characters", password: "ηλιοβασίλεμα", wantOK: true},
		{name: "1024 bytes", password: "Zk" + strings.Repeat("x7Q", 340) + "ab", wantOK: true},
		{name: "contains a common word", password: "my password is long", wantOK: true},
		{name: "11 characters", password: "k7#Vq2!mZp9"},
		{name: "empty", password: ""},
		{name: "1025 bytes", password: "Zk" + strings.Repeat("x7Q", 340) + "abc"},
		{name: "invalid UTF-8", password: "abcdefghijk\xff\xfe"},
		{name: "common word with digits", password: "Password2024!"},
		{name: "common word with leading and trailing digits", password: "123password123"},
		{name: "leetspeak", password: "P@ssw0rd12345"},
		{name: "common word twice", password: "qwertyqwerty"},
		{name: "context word", password: "Hospital2026!!"},
		{name: "one character repeated", password: "aaaaaaaaaaaaaaaa"},
		{name: "short unit repeated", password: "abcabcabcabc"},
		{name: "digit sequence", password: "123456789012"},
		{name: "reverse alphabet", password: "zyxwvutsrqpo"},
		{name: "keyboard row", password: "qwertyuiop[]"},
		{name: "famous passphrase", password: "correcthorsebatterystaple"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPasswordPolicy(tt.password)
			if tt.wantOK {
				if err != nil {
					t.Fatalf("CheckPasswordPolicy(%q) = %v, want nil", tt.password, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckPasswordPolicy(%q) = nil, want an error", tt.password)
			}
			if code := aceso.ErrorCode(err); code != aceso.EINVALID {
				t.Errorf("code = %q, want %q", code, aceso.EINVALID)
			}
			if msg := aceso.ErrorMessage(err); !strings.HasPrefix(msg, "password: ") {
				t.Errorf("message %q does not name the field", msg)
			}
		})
	}
}

func TestGeneratePassword(t *testing.T) {
	const n = 2000
	seen := make(map[string]bool, n)
	counts := make(map[rune]int)
	for range n {
		pw := GeneratePassword()
		if len(pw) != generatedPasswordLen {
			t.Fatalf("len(%q) = %d, want %d", pw, len(pw), generatedPasswordLen)
		}
		for _, r := range pw {
			if !strings.ContainsRune(passwordAlphabet, r) {
				t.Fatalf("%q contains %q outside the alphabet", pw, r)
			}
			counts[r]++
		}
		if err := CheckPasswordPolicy(pw); err != nil {
			t.Fatalf("generated %q fails the policy: %v", pw, err)
		}
		if seen[pw] {
			t.Fatalf("duplicate generated password %q", pw)
		}
		seen[pw] = true
	}
	if strings.ContainsAny(passwordAlphabet, "0O1lIio") {
		t.Errorf("alphabet contains ambiguous characters")
	}
	// Uniformity: every letter is drawn about n*20/54 ≈ 741 times; a modulo
	// bias or a stuck byte would push some far off.
	expect := float64(n*generatedPasswordLen) / float64(len(passwordAlphabet))
	for _, r := range passwordAlphabet {
		if c := float64(counts[r]); c < expect*0.75 || c > expect*1.25 {
			t.Errorf("%q drawn %v times, expected about %.0f", r, c, expect)
		}
	}
}

func FuzzDecodePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc")
	f.Add("$argon2id$v=19$m=8192,t=1,p=1$YWJjZGVmZ2hpamtsbW5vcA$YWJjZGVmZ2hpamtsbW5vcGFiY2RlZmdoaWprbG1ub3A")
	f.Add("$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG")
	f.Add("$argon2id$v=19$m=08192,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc")
	f.Add("")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := decodePHC(s)
		if err != nil {
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("error %v does not wrap ErrMalformedHash", err)
			}
			return
		}
		if err := p.validate(); err != nil {
			t.Fatalf("accepted out-of-bounds params %+v: %v", p, err)
		}
		if int(p.SaltLen) != len(salt) || int(p.KeyLen) != len(key) {
			t.Fatalf("params %+v disagree with salt %d key %d", p, len(salt), len(key))
		}
		if back := encodePHC(p, salt, key); back != s {
			t.Fatalf("not canonical: decoded %q re-encodes as %q", s, back)
		}
	})
}

func FuzzCheckPasswordPolicy(f *testing.F) {
	for _, s := range []string{"", "violet tram under the bridge", "Password2024!", "P@ssw0rd12345", "ηλιοβασίλεμα", "abc\xff", "123456789012"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckPasswordPolicy(s)
		if err == nil {
			if len(s) > MaxPasswordBytes || !utf8.ValidString(s) || utf8.RuneCountInString(norm.NFKC.String(s)) < MinPasswordLen {
				t.Fatalf("accepted %q of %d bytes", s, len(s))
			}
			if commonPasswords[strings.ToLower(s)] {
				t.Fatalf("accepted common password %q", s)
			}
			return
		}
		if aceso.ErrorCode(err) != aceso.EINVALID {
			t.Fatalf("error %v is not EINVALID", err)
		}
	})
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("violet tram under the bridge", DefaultPasswordParams); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPassword(b *testing.B) {
	enc, err := HashPassword("violet tram under the bridge", DefaultPasswordParams)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _, _ := VerifyPassword("violet tram under the bridge", enc); !ok {
			b.Fatal("no match")
		}
	}
}
