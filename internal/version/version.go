// Package version normalises and compares versions as medical-device vendors
// write them ("V4.3.8", "4.3.8 SP2 HF1", "VF10.1", "2018 R2") and evaluates the
// version constraints of security advisories ("vers:generic/<=9.33.1",
// "<= 2.3.5", "Versions 9.33.1 and earlier"). Every answer is yes, no or
// unknown: when two versions cannot be ordered by a principled rule the answer
// is Unknown, so that the caller sends the pair to human review instead of
// silently missing or inventing a match.
package version

import "strings"

// Answer is a three-valued result: a constraint may not be decidable for a version.
type Answer int8

// The three answers. Unknown is the zero value so that a forgotten assignment
// never reads as a confident No.
const (
	Unknown Answer = iota
	No
	Yes
)

// String returns "unknown", "no" or "yes".
func (a Answer) String() string {
	switch a {
	case No:
		return "no"
	case Yes:
		return "yes"
	}
	return "unknown"
}

// maxTok bounds the tokens kept per version; a fixed array keeps Parse and
// Contains free of heap allocations on the matching hot path.
const maxTok = 16

type tokKind uint8

const (
	tkPre  tokKind = iota // pre-release word (alpha, beta, rc): sorts before the release
	tkWord                // any other letters: SP, HF, update, build, suffix letters
	tkNum                 // digits, leading zeros stripped
)

// token is one component of a version. For numbers s holds the digits without
// leading zeros ("" is zero) so that arbitrarily long build numbers compare
// exactly without overflow; for words s is the text or a canonical synonym.
type token struct {
	s    string
	kind tokKind
	rank int8 // order of pre-release words
}

// Version is a parsed vendor version ("V4.3.8", "4.3.8 SP2 HF1", "R2.2", "2021.1", "VF10.1", "VM5.0", "T4APP 1.0.11", "028U000061", "14.1.x").
// It is a value type without pointers to heap data other than substrings of
// the input, so parsing it does not allocate.
type Version struct {
	raw    string // input as given, trimmed
	family string // vendor prefix letters or product words ("VF", "T4APP"); compared case-insensitively
	toks   [maxTok]token
	n      uint8
	wild   bool // ended in .x or .*: stands for every version with this prefix
	date   bool // a calendar date (year, month[, day])
	trunc  bool // more than maxTok tokens: the tail was dropped
}

// String returns the input as given, trimmed.
func (v Version) String() string { return v.raw }

// Wildcard reports whether v ends in an x or * wildcard ("14.1.x") and so
// stands for a whole series rather than one version.
func (v Version) Wildcard() bool { return v.wild }

// notVersion lists texts that vendors put in a version field to say there is
// no version; Parse refuses them rather than ordering them.
var notVersion = []string{"n/a", "na", "unknown", "none", "-", "--", "?", "tbd", "not applicable", "unspecified", "all", "any", "latest", "current", "*"}

// Parse parses a vendor version. It returns false when s holds nothing
// comparable (empty, "N/A", "unknown", words without any digit).
func Parse(s string) (Version, bool) {
	var v Version
	s = strings.TrimSpace(s)
	v.raw = s
	if s == "" {
		return v, false
	}
	for _, w := range notVersion {
		if strings.EqualFold(s, w) {
			return v, false
		}
	}
	if parseDate(&v, s) {
		return v, true
	}
	rest := stripGeneric(s)
	rest = splitFamily(&v, rest)
	if !tokenize(&v, rest) {
		return v, false
	}
	return v, true
}

// isDigit and isLetter work on bytes; bytes of multi-byte UTF-8 characters
// count as letters so that "Dräger" stays one word.
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 }
func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasPrefixFold is strings.HasPrefix ignoring ASCII case.
func hasPrefixFold(s, p string) bool {
	return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p)
}

// cmpFold orders two strings ignoring ASCII case, without allocating.
func cmpFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := lower(a[i]), lower(b[i])
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// stripGeneric removes prefixes that only say "this is a version" (v, V, R,
// Ver., Version, Rev.) so that "V4.3" and "4.3" compare equal. Letters that
// are not such a prefix ("VF", "VM") are a vendor family and stay.
func stripGeneric(s string) string { return stripGenericLoop(s) }

// stripGenericLoop does the work of stripGeneric: it removes at most a few
// generic prefixes ("Version V4.3" → "4.3").
func stripGenericLoop(s string) string {
	for range 3 {
		switch {
		case hasPrefixFold(s, "version"):
			s = trimSep(s[len("version"):])
			continue
		case hasPrefixFold(s, "ver.") || hasPrefixFold(s, "rev."):
			s = trimSep(s[4:])
			continue
		case (hasPrefixFold(s, "ver") || hasPrefixFold(s, "rev")) && (len(s) == 3 || !isLetter(s[3])):
			s = trimSep(s[3:])
			continue
		case len(s) >= 2 && (s[0] == 'v' || s[0] == 'V' || s[0] == 'r' || s[0] == 'R'):
			if isDigit(s[1]) {
				return s[1:]
			}
			// "V 4.01": a lone V followed by a number.
			if s[1] == ' ' || s[1] == '.' {
				t := strings.TrimLeft(s[1:], " .")
				if t != "" && isDigit(t[0]) {
					return t
				}
			}
		}
		return s
	}
	return s
}

// trimSep drops the separators that follow a generic prefix ("Ver.: 2").
func trimSep(s string) string { return strings.TrimLeft(s, " .:#") }

// qualifier reports whether w (any case) is a known release qualifier such as
// SP or Update; such words never start a product name.
func qualifier(w string) bool {
	w = strings.TrimRight(w, ".:")
	for _, q := range qualifierWords {
		if strings.EqualFold(w, q.word) {
			return true
		}
	}
	return false
}

type qualWord struct {
	word  string
	canon string // canonical spelling; "" drops the word
	kind  tokKind
	rank  int8
}

// qualifierWords maps vendor spellings to one canonical word so that
// "Upd 4" and "Update 4" are the same version.
var qualifierWords = []qualWord{
	{"sp", "sp", tkWord, 0}, {"servicepack", "sp", tkWord, 0}, {"service", "sp", tkWord, 0}, {"pack", "", tkWord, 0},
	{"hf", "hf", tkWord, 0}, {"hotfix", "hf", tkWord, 0},
	{"update", "update", tkWord, 0}, {"upd", "update", tkWord, 0},
	{"build", "build", tkWord, 0}, {"bld", "build", tkWord, 0}, {"bn", "build", tkWord, 0}, {"nr", "", tkWord, 0},
	{"patch", "patch", tkWord, 0},
	{"release", "release", tkWord, 0},
	{"dev", "dev", tkPre, 0}, {"snapshot", "dev", tkPre, 0},
	{"alpha", "alpha", tkPre, 1}, {"beta", "beta", tkPre, 2},
	{"pre", "pre", tkPre, 3}, {"preview", "pre", tkPre, 3},
	{"rc", "rc", tkPre, 4},
}

// splitFamily records the vendor prefix family of s in v and returns the rest.
// Two forms exist: product words before the number ("T4APP 1.0.11",
// "SIMATIC WinAC RTX 2010 SP3") and letters glued to it ("VF10.1", "BT03",
// "B.06.18").
func splitFamily(v *Version, s string) string {
	if s == "" || !isLetter(s[0]) {
		return s
	}
	// Word form: leading words, none a qualifier, followed by a word that
	// starts with a digit or a generic prefix and a digit.
	i, prevQual := 0, false
	for i < len(s) {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		j := i
		for j < len(s) && s[j] != ' ' {
			j++
		}
		if j == i {
			break
		}
		w := s[i:j]
		if i > 0 && !prevQual && (isDigit(w[0]) || len(w) > 1 && (w[0] == 'v' || w[0] == 'V' || w[0] == 'r' || w[0] == 'R') && isDigit(w[1])) {
			v.family = strings.TrimSpace(s[:i])
			return stripGenericLoop(s[i:])
		}
		if qualifier(w) {
			prevQual = true
			if i == 0 {
				break
			}
		} else {
			prevQual = false
		}
		i = j
	}
	// Glued form.
	j := 0
	for j < len(s) && isLetter(s[j]) {
		j++
	}
	if j < len(s) && (isDigit(s[j]) || s[j] == '.' && j+1 < len(s) && isDigit(s[j+1])) {
		if !qualifier(s[:j]) || j < len(s) && isDigit(s[j]) {
			v.family = s[:j]
			return s[j:]
		}
	}
	return s
}

// tokenize splits s into numbers and words. It returns false when s holds no
// digit and more than one word, which is a product name, not a version.
func tokenize(v *Version, s string) bool {
	digits, words := 0, 0
	prevDigit := false // previous token ended right before this byte
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isDigit(c):
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			d := strings.TrimLeft(s[i:j], "0")
			add(v, token{s: d, kind: tkNum})
			digits++
			i = j
			prevDigit = true
			continue
		case isLetter(c):
			j := i
			for j < len(s) && isLetter(s[j]) {
				j++
			}
			w := s[i:j]
			glued := prevDigit
			i = j
			prevDigit = false
			if (w == "x" || w == "X") && !glued && strings.TrimRight(s[j:], " .*") == "" && v.n > 0 {
				v.wild = true
				return digits > 0
			}
			words++
			if (w == "b" || w == "B") && !glued && j < len(s) && isDigit(s[j]) {
				add(v, token{s: "build", kind: tkWord})
				continue
			}
			tok, keep := classify(w)
			if keep {
				add(v, tok)
			}
			continue
		case c == '*':
			if strings.TrimSpace(s[i+1:]) == "" && v.n > 0 {
				v.wild = true
				return digits > 0
			}
		}
		prevDigit = false
		i++
	}
	if v.n == 0 && v.family != "" {
		// "VF" alone or "SP" alone: the family is the whole version.
		return false
	}
	if v.n == 0 {
		return false
	}
	if digits == 0 && (words > 1 || v.family != "") {
		return false
	}
	return true
}

// classify maps a word to its token; keep is false for filler words.
func classify(w string) (token, bool) {
	for _, q := range qualifierWords {
		if strings.EqualFold(w, q.word) {
			if q.canon == "" {
				return token{}, false
			}
			return token{s: q.canon, kind: q.kind, rank: q.rank}, true
		}
	}
	if strings.EqualFold(w, "version") || strings.EqualFold(w, "ver") {
		return token{}, false
	}
	return token{s: w, kind: tkWord}, true
}

func add(v *Version, t token) {
	if int(v.n) == maxTok {
		v.trunc = true
		return
	}
	v.toks[v.n] = t
	v.n++
}

// months lists month names; dates in advisories are written "April 2018",
// "november 29 2017" or "April/13/2023".
var months = [...]string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}

// monthOf returns 1..12 for a month name or its three-letter (or "sept")
// abbreviation, 0 otherwise.
func monthOf(w string) int {
	w = strings.TrimSuffix(w, ".")
	if len(w) < 3 {
		return 0
	}
	for i, m := range months {
		if strings.EqualFold(w, m) || len(w) == 3 && strings.EqualFold(w, m[:3]) || strings.EqualFold(w, "sept") && i == 8 {
			return i + 1
		}
	}
	return 0
}

// parseDate recognises calendar dates: ISO-like numbers ("2018-04",
// "2021-8-13", "2019/09/21") and texts with a month name and a four-digit
// year ("April 2018", "March 13, 2019", "April/13/2023"). Dates only compare
// with dates.
func parseDate(v *Version, s string) bool {
	var nums [3]string
	var seps [2]byte
	n, month := 0, 0
	other := false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isDigit(c):
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			if n == 3 {
				return false
			}
			nums[n] = s[i:j]
			if n < 2 && j < len(s) {
				seps[n] = s[j]
			}
			n++
			i = j
		case isLetter(c):
			j := i
			for j < len(s) && isLetter(s[j]) {
				j++
			}
			if m := monthOf(s[i:j]); m > 0 && month == 0 {
				month = m
			} else {
				other = true
			}
			i = j
		default:
			i++
		}
	}
	if other {
		return false
	}
	year := func(d string) bool {
		return len(d) == 4 && (d[:2] == "19" || d[:2] == "20")
	}
	small := func(d string, max int) (int, bool) {
		if len(d) == 0 || len(d) > 2 {
			return 0, false
		}
		x := 0
		for i := 0; i < len(d); i++ {
			x = x*10 + int(d[i]-'0')
		}
		return x, x >= 1 && x <= max
	}
	var y, m, d string
	switch {
	case month > 0:
		// "April 2018", "july 1 2017", "April/13/2023", "2018 April" — a year is required.
		switch {
		case n == 1 && year(nums[0]):
			y = nums[0]
		case n == 2 && year(nums[1]):
			if _, ok := small(nums[0], 31); !ok {
				return false
			}
			y, d = nums[1], nums[0]
		case n == 2 && year(nums[0]):
			if _, ok := small(nums[1], 31); !ok {
				return false
			}
			y, d = nums[0], nums[1]
		default:
			return false
		}
		m = monthDigits[month-1]
	case n >= 2 && year(nums[0]) && (seps[0] == '-' || seps[0] == '/') && (n == 2 || seps[1] == seps[0]):
		if strings.Trim(s, "0123456789-/") != "" {
			return false
		}
		if _, ok := small(nums[1], 12); !ok {
			return false
		}
		y, m = nums[0], nums[1]
		if n == 3 {
			if _, ok := small(nums[2], 31); !ok {
				return false
			}
			d = nums[2]
		}
	default:
		return false
	}
	v.date = true
	add(v, token{s: strings.TrimLeft(y, "0"), kind: tkNum})
	add(v, token{s: strings.TrimLeft(m, "0"), kind: tkNum})
	if d != "" {
		add(v, token{s: strings.TrimLeft(d, "0"), kind: tkNum})
	}
	return true
}

var monthDigits = [...]string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"}
