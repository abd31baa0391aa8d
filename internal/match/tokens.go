package match

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Token kinds. A model token (a word with digits: "8015", "MX450", "EM2400")
// identifies a product much more precisely than a word; a weak word names a
// kind of device ("pump", "monitor") that many products share.
const (
	kWord uint8 = iota + 1
	kWeak
	kModel
)

// slot is one word position of a product name with its alternative
// spellings: "EPIQ/Affiniti" is one slot {epiq, affiniti}, "Accu-Chek" is
// {accuchek, accu, chek}. A device covers a slot when it has any alternative.
type slot struct {
	alts []string
	kind uint8
	rng  *modelRange // "MX400-MX850"
}

// modelRange is a range of model numbers with a common letter prefix.
type modelRange struct {
	prefix string
	lo, hi int
}

func (r *modelRange) contains(tok string) bool {
	p, n, ok := splitCode(tok)
	if !ok || p != r.prefix {
		return false
	}
	return n >= r.lo && n <= r.hi
}

// splitCode splits "mx450" into ("mx", 450); it fails when tok is not
// letters followed by digits.
func splitCode(tok string) (string, int, bool) {
	i := 0
	for i < len(tok) && tok[i] >= 'a' && tok[i] <= 'z' {
		i++
	}
	if i == len(tok) {
		return "", 0, false
	}
	n, err := strconv.Atoi(tok[i:])
	if err != nil || len(tok)-i > 9 {
		return "", 0, false
	}
	return tok[:i], n, true
}

// stopwords carry no identity in product names: filler, version talk,
// regions and corporate words.
var stopwords = setOf("a", "an", "and", "or", "with", "without", "the", "for", "of", "in", "on", "to", "by", "from", "as", "at",
	"all", "any", "version", "versions", "ver", "v", "model", "models", "number", "numbers", "no", "nr", "series",
	"type", "software", "firmware", "sw", "fw", "hardware", "hw", "system", "systems", "device", "devices",
	"product", "products", "family", "unit", "units", "enabled", "only", "prior", "earlier", "later", "older", "newer",
	"lower", "higher", "before", "after", "including", "includes", "include", "inc", "medical", "healthcare", "based",
	"edition", "update", "build", "release", "rev", "revision", "see", "other", "us", "usa", "united", "states", "outside",
	"international", "region", "x", "using", "used", "running", "installed", "integrated", "part", "option", "options",
	"capability", "supported", "unsupported", "legacy", "solution", "solutions", "line",
	"corp", "corporation", "company", "ltd", "gmbh", "ag", "llc", "co", "se", "is", "are", "be", "not", "but")

// weakWords name kinds of devices; they add evidence but a product name
// does not need them to match ("EPIQ 7" is an "Ultrasound EPIQ").
var weakWords = setOf("pump", "pumps", "infusion", "syringe", "bed", "beds", "monitor", "monitors", "monitoring", "ultrasound",
	"ventilator", "ventilators", "receiver", "server", "servers", "workstation", "workstations", "station", "module",
	"modules", "scanner", "analyzer", "analyser", "console", "controller", "terminal", "client", "application", "app",
	"patient", "clinical", "imaging", "anesthesia", "anaesthesia", "telemetry", "wireless", "wifi", "wi", "fi", "wlan",
	"network", "pc", "computer", "viewer", "web", "portal", "mobile", "handheld", "hub", "gateway", "interface",
	"transmitter", "reader", "programmer", "machine", "platform", "care", "point", "center", "centre", "central",
	"display", "tablet", "cart", "remote", "data", "compounder", "mri", "ct", "usb", "lan", "wired", "bluetooth",
	"plus", "pro", "lite", "light", "new")

// negators start a clause that names what is excluded ("Vivid products, not
// including EchoPAC").
var negators = []string{"not including", "excluding", "except for", "except", "other than"}

func setOf(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// fold lower-cases s and removes accents ("Dräger" → "drager").
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	// Invalid UTF-8 stops the normaliser from decomposing what follows it,
	// which would leave accents on some letters: drop it first.
	s = norm.NFKD.String(strings.ToValidUTF8(s, ""))
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// dottedVersion finds version numbers inside names ("Portal 8.0.x",
// "v1.0.2"); their digits are not model numbers.
var dottedVersion = regexp.MustCompile(`(?i)\bv?\d+(\.(\d+|x))+[a-z]?\b`)

// isSep reports the characters that split a name into words.
func isSep(r rune) bool {
	return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '/' || r == '-' || r == '+')
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			return true
		}
	}
	return false
}

func hasLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'a' && s[i] <= 'z' || s[i] >= 0x80 {
			return true
		}
	}
	return false
}

func alnumParts(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !(unicode.IsLetter(r) || unicode.IsDigit(r)) })
}

// isModelTok says whether a token is a model designation: digits (two or
// more) or letters mixed with digits.
func isModelTok(t string) bool {
	if !hasDigit(t) {
		return false
	}
	if hasLetter(t) {
		return len(t) >= 2
	}
	return len(t) >= 2
}

// core returns the longest digit run of a model token when it has at least
// two digits ("em2400" → "2400", "522k" → "522"), else "".
func core(t string) string {
	best := ""
	for i := 0; i < len(t); {
		if t[i] < '0' || t[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(t) && t[j] >= '0' && t[j] <= '9' {
			j++
		}
		if j-i > len(best) {
			best = t[i:j]
		}
		i = j
	}
	if len(best) < 2 {
		return ""
	}
	return strings.TrimLeft(best, "0")
}

// letterPrefix returns the leading letters of a model token.
func letterPrefix(t string) string {
	i := 0
	for i < len(t) && (t[i] < '0' || t[i] > '9') {
		i++
	}
	return t[:i]
}

// nameSlots turns a product name into slots. Words in drop (vendor names)
// are removed; words in parentheses are weak (mostly abbreviations of what
// precedes them: "Central Station (CSCS)"); what follows a negator ("not
// including LOGIQ 100 Pro, Venue 40") comes back as excluded items.
func nameSlots(name string, drop func(string) bool) (slots []slot, negative [][]slot) {
	s := fold(name)
	for _, n := range negators {
		if i := strings.Index(s, n); i >= 0 {
			for _, it := range splitItems(s[i+len(n):]) {
				if ns, _ := nameSlots(it, drop); len(ns) > 0 {
					negative = append(negative, ns)
				}
			}
			s = s[:i]
		}
	}
	s = dottedVersion.ReplaceAllString(s, " ")
	depth := 0
	start := 0
	flush := func(seg string, inParen bool) {
		for _, w := range strings.FieldsFunc(seg, isSep) {
			if sl, ok := wordSlot(w, drop); ok {
				if inParen && sl.kind == kWord {
					sl.kind = kWeak
				}
				slots = append(slots, sl)
			}
		}
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			flush(s[start:i], depth > 0)
			depth++
			start = i + 1
		case ')':
			flush(s[start:i], depth > 0)
			if depth > 0 {
				depth--
			}
			start = i + 1
		}
	}
	flush(s[start:], depth > 0)
	return slots, negative
}

// splitItems splits a list of variants: "620 | 650 | 650c", "2131 and
// 2141", "24950, 24952".
func splitItems(s string) []string {
	for _, sep := range []string{",", ";", " and ", " or ", " & "} {
		s = strings.ReplaceAll(s, sep, "|")
	}
	return strings.Split(s, "|")
}

// wordSlot makes the slot of one whitespace-separated word of a name. A
// slot with a model code keeps only its model alternatives ("MMT-723" is
// {mmt723, 723}, not "mmt"), so a shared prefix never passes for a model.
func wordSlot(w string, drop func(string) bool) (slot, bool) {
	w = strings.Trim(w, "/-+")
	if w == "" {
		return slot{}, false
	}
	if r, ok := parseRange(w); ok {
		return slot{alts: []string{w}, kind: kModel, rng: r}, true
	}
	var words, weak, models []string
	add := func(t string) {
		switch {
		case t == "" || stopwords[t] || (drop != nil && drop(t)):
		case isModelTok(t):
			models = append(models, t)
		case hasDigit(t): // single digit: weak ("Neuron 2")
			weak = append(weak, t)
		case len(t) < 2:
		case weakWords[t]:
			weak = append(weak, t)
		default:
			words = append(words, t)
		}
	}
	// "EPIQ/Affiniti", "522K/722K", "MX800/700/600": alternatives.
	for _, alt := range strings.Split(w, "/") {
		parts := alnumParts(alt)
		if len(parts) > 1 {
			add(strings.Join(parts, "")) // "II-S" → "iis", "Wi-Fi" → "wifi"
		}
		for _, p := range parts {
			add(p)
		}
	}
	switch {
	case len(models) > 0:
		return slot{alts: models, kind: kModel}, true
	case len(words) > 0:
		// "PET/CT": a device covers the slot with "pet", not with the weak "ct".
		return slot{alts: words, kind: kWord}, true
	case len(weak) > 0:
		return slot{alts: weak, kind: kWeak}, true
	}
	return slot{}, false
}

// parseRange reads "MX400-MX850", "MX400-550", "MP20-MP90".
func parseRange(w string) (*modelRange, bool) {
	a, b, ok := strings.Cut(w, "-")
	if !ok || strings.ContainsAny(b, "-/") {
		return nil, false
	}
	pa, na, ok1 := splitCode(a)
	pb, nb, ok2 := splitCode(b)
	if !ok1 || !ok2 || pa == "" || (pb != "" && pb != pa) || nb <= na {
		return nil, false
	}
	return &modelRange{prefix: pa, lo: na, hi: nb}, true
}

// deviceTokens returns every token a device name offers for covering
// product slots: words, model codes, their digit cores and letter
// prefixes, hyphen/slash joins, and letter+number pairs written apart
// ("EM 1200" → "em1200").
func deviceTokens(s string) []string {
	s = fold(s)
	var out []string
	seen := map[string]bool{}
	add := func(t string) {
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	words := strings.FieldsFunc(s, isSep)
	var flat []string
	for _, w := range words {
		for _, alt := range strings.Split(w, "/") {
			parts := alnumParts(alt)
			if len(parts) > 1 {
				add(strings.Join(parts, ""))
			}
			for _, p := range parts {
				add(p)
				flat = append(flat, p)
				if isModelTok(p) && hasLetter(p) {
					add(core(p))
					if lp := letterPrefix(p); len(lp) >= 2 {
						add(lp)
					}
				}
			}
		}
	}
	for i := 0; i+1 < len(flat); i++ {
		a, b := flat[i], flat[i+1]
		if !hasDigit(a) && len(a) <= 4 && isAllDigits(b) {
			add(a + b)
		}
	}
	return out
}

func isAllDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
