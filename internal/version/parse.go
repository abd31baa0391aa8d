package version

import (
	"regexp"
	"strings"
)

// ParseConstraint parses a version constraint as advisories write it: vers
// ("vers:generic/>=1.0|<2.0", "vers:all/*"), CISA's "vls" ("<= 2.3.5",
// ">= 4.4 | <= 4.12", ">=1.0,<2.0"), lists ("620 | 650 | 650c"), a bare
// version, wildcards ("2.x") and common English ("Versions 9.33.1 and
// earlier", "prior to 2.4", "1.0 through 1.5"). It never fails: text it
// cannot read yields a constraint that is not Known and answers Unknown.
func ParseConstraint(s string) Constraint {
	raw := strings.TrimSpace(s)
	c := Constraint{raw: raw}
	if raw == "" {
		return c
	}
	if hasPrefixFold(raw, "vers:") {
		parseVers(&c, raw)
		return c
	}
	norm := normalize(raw)
	lc := asciiLower(norm)
	// An exception list changes the set in ways a bound cannot express.
	for _, w := range []string{"exclud", "except", "not including", "but not", "not affected", "unaffected", "possibl", "may also", "might"} {
		if strings.Contains(lc, w) {
			return c
		}
	}
	body, note := splitNotes(norm)
	for _, cand := range candidates(body) {
		p, ok := parseText(cand)
		if !ok {
			continue
		}
		c.kind, c.terms = kTerms, p.terms
		if p.all {
			c.kind, c.terms = kAll, nil
		}
		c.note = joinNote(note, p.note)
		return c
	}
	return c
}

func joinNote(a, b string) string {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// parseVers reads the vers: syntax (https://github.com/package-url/vers-spec).
// Every scheme is compared with the vendor rules of this package; CISA also
// writes "vers:all/<4.8", which is read as a generic constraint.
func parseVers(c *Constraint, raw string) {
	rest := raw[len("vers:"):]
	slash := strings.IndexByte(rest, '/')
	if slash <= 0 {
		return
	}
	scheme, cs := rest[:slash], strings.TrimSpace(rest[slash+1:])
	if cs == "*" {
		c.kind = kAll
		return
	}
	if strings.EqualFold(scheme, "all") && strings.HasPrefix(cs, "*") {
		// "vers:all/*_installed_on_CP200_devices"
		note := strings.TrimSpace(strings.ReplaceAll(cs[1:], "_", " "))
		if note != "" && !strings.ContainsAny(note, "|<>=") {
			c.kind, c.note = kAll, note
		}
		return
	}
	var terms []term
	for p := range strings.SplitSeq(cs, "|") {
		p = strings.TrimSpace(p)
		o, n := readOp(p)
		if o == 0 {
			o = opEQ
		}
		ver := strings.TrimSpace(versUnescape(p[n:]))
		if ver == "*" {
			c.kind, c.terms = kAll, nil
			return
		}
		v, ok := Parse(ver)
		if !ok {
			return
		}
		terms = append(terms, term{op: o, v: v})
	}
	c.kind, c.terms = kTerms, terms
}

// readOp reads a comparison operator at the start of s and returns it and its length.
func readOp(s string) (op, int) {
	for _, x := range []struct {
		s string
		o op
	}{{"!=", opNE}, {"<=", opLE}, {">=", opGE}, {"=<", opLE}, {"=>", opGE}, {"==", opEQ}, {"<", opLT}, {">", opGT}, {"=", opEQ}} {
		if strings.HasPrefix(s, x.s) {
			return x.o, len(x.s)
		}
	}
	return 0, 0
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lower(c)
	}
	return string(b)
}

// dateComma matches the comma of "April 1, 2018" so that the date stays one chunk.
var dateComma = regexp.MustCompile(`(?i)\b([a-z]{3,9}\.? +\d{1,2}(?:st|nd|rd|th)?), *((?:19|20)\d\d)\b`)

// normalize rewrites spellings that do not change meaning so the scanner
// sees one form: underscores as spaces, one space, "=<" as "<=", the
// inclusive/exclusive markers of "between V2.5 (including) and V2.7 (excluding)".
func normalize(s string) string {
	s = strings.NewReplacer("_", " ", "\t", " ", "\u00a0", " ", "=<", "<=", "=>", ">=", "≤", "<=", "≥", ">=").Replace(s)
	s = strings.Join(strings.Fields(s), " ")
	if strings.Contains(s, ",") {
		s = dateComma.ReplaceAllString(s, "$1 $2")
	}
	for _, m := range []struct{ from, to string }{{"(including)", " incl "}, {"(inclusive)", " incl "}, {"(excluding)", " excl "}, {"(exclusive)", " excl "}} {
		if i := strings.Index(asciiLower(s), m.from); i >= 0 {
			s = s[:i] + m.to + s[i+len(m.from):]
		}
	}
	return strings.Join(strings.Fields(s), " ")
}

// splitNotes removes parenthesised remarks that follow a space ("<= 1.54
// (integrated into GE MobileLink)"); parentheses glued to a version are part
// of it ("15.2(4)EA7").
func splitNotes(s string) (body, note string) {
	var b strings.Builder
	var notes []string
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c == '(' || c == '[') && (i == 0 || s[i-1] == ' ') {
			closer := byte(')')
			if c == '[' {
				closer = ']'
			}
			depth, j := 0, i
			for ; j < len(s); j++ {
				if s[j] == c {
					depth++
				} else if s[j] == closer {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			end := min(j, len(s)-1)
			notes = append(notes, strings.TrimSpace(s[i+1:min(j, len(s))]))
			i = end
			continue
		}
		b.WriteByte(c)
	}
	return strings.Join(strings.Fields(b.String()), " "), strings.Join(notes, "; ")
}

// candidates lists the texts to try in order: the whole text, the text after
// its last "version(s)" word (a product name came first), and the text from
// the first operator on ("distributed < April 1 2018").
func candidates(s string) []string {
	out := []string{s}
	lc := asciiLower(s)
	for _, w := range []string{" versions ", " version "} {
		if i := strings.LastIndex(lc, w); i >= 0 {
			out = append(out, s[i+len(w):])
			break
		}
	}
	if i := strings.IndexAny(s, "<>="); i > 0 {
		out = append(out, s[i:])
	}
	return out
}

type ikind uint8

const (
	iOp ikind = iota + 1
	iPost
	iTo
	iBetween
	iSep
	iAnd
	iChunk
	iNote
	iLabel // "Model 8015:" — what came before is a product name
	iVersionWord
)

type item struct {
	kind       ikind
	op         op
	start, end int
}

type phrase struct {
	p    string
	kind ikind
	op   op
}

// phrases are matched at word starts, longest first within each kind.
var phrases = []phrase{
	{"up to and including", iOp, opLE}, {"up to", iOp, opLE}, {"prior to", iOp, opLT}, {"before", iOp, opLT},
	{"earlier than", iOp, opLT}, {"older than", iOp, opLT}, {"lower than", iOp, opLT}, {"less than", iOp, opLT},
	{"below", iOp, opLT}, {"later than", iOp, opGT}, {"newer than", iOp, opGT}, {"greater than", iOp, opGT},
	{"higher than", iOp, opGT}, {"after", iOp, opGT}, {"above", iOp, opGT}, {"since", iOp, opGE},
	{"starting with", iOp, opGE}, {"starting from", iOp, opGE}, {"from", iOp, opGE}, {"at least", iOp, opGE},
	{"at most", iOp, opLE},
	{"and earlier", iPost, opLE}, {"and prior", iPost, opLE}, {"and before", iPost, opLE}, {"and below", iPost, opLE},
	{"and lower", iPost, opLE}, {"and older", iPost, opLE}, {"and previous", iPost, opLE}, {"or earlier", iPost, opLE},
	{"or prior", iPost, opLE}, {"or lower", iPost, opLE}, {"or older", iPost, opLE}, {"or below", iPost, opLE},
	{"or before", iPost, opLE},
	{"and later", iPost, opGE}, {"and above", iPost, opGE}, {"and newer", iPost, opGE}, {"and higher", iPost, opGE},
	{"and greater", iPost, opGE}, {"and up", iPost, opGE}, {"and after", iPost, opGE}, {"and onwards", iPost, opGE},
	{"or later", iPost, opGE}, {"or above", iPost, opGE}, {"or newer", iPost, opGE}, {"or higher", iPost, opGE},
	{"or greater", iPost, opGE}, {"onwards", iPost, opGE}, {"onward", iPost, opGE},
	{"incl", iPost, 0}, {"excl", iPost, opNE},
	{"through", iTo, 0}, {"thru", iTo, 0}, {"to", iTo, 0},
	{"between", iBetween, 0},
	{"and", iAnd, 0}, {"or", iSep, 0}, {"&", iSep, 0},
	{"all versions", iVersionWord, 0}, {"all version", iVersionWord, 0}, {"versions", iVersionWord, 0},
	{"version", iVersionWord, 0}, {"releases", iVersionWord, 0},
}

// noteWords start a remark after a version ("only if web components are used").
var noteWords = []string{"only", "if", "when", "with", "on", "in", "for", "of", "installed", "running", "using",
	"including", "integrated", "affected", "where", "that", "which", "model", "models", "series", "is", "are",
	"shipped", "sold", "end-of-life", "eol", "see", "unless", "via", "as", "part", "not", "may", "could", "incl."}

func isNoteWord(w string) bool {
	for _, n := range noteWords {
		if w == n {
			return true
		}
	}
	return false
}

// wordAt returns the lowercase word (up to a space) at i.
func wordAt(lc string, i int) string {
	j := i
	for j < len(lc) && lc[j] != ' ' {
		j++
	}
	return strings.TrimRight(lc[i:j], ",;:")
}

// matchPhrase returns the phrase that starts at word position i of lc.
func matchPhrase(lc string, i int) (phrase, int, bool) {
	for _, p := range phrases {
		if strings.HasPrefix(lc[i:], p.p) {
			e := i + len(p.p)
			if e == len(lc) || lc[e] == ' ' || lc[e] == ',' || lc[e] == ':' || lc[e] == ';' || lc[e] == '.' && (e+1 == len(lc) || lc[e+1] == ' ') {
				return p, e, true
			}
		}
	}
	return phrase{}, 0, false
}

func isOpChar(c byte) bool  { return c == '<' || c == '>' || c == '=' || c == '!' }
func isSepChar(c byte) bool { return c == '|' || c == ',' || c == ';' }

// scan splits s into items: operators, separators, phrases and version chunks.
func scan(s string) []item {
	lc := asciiLower(s)
	var items []item
	i := 0
	for i < len(lc) {
		c := lc[i]
		switch {
		case c == ' ':
			i++
			continue
		case isOpChar(c):
			o, n := readOp(lc[i:])
			if o == 0 { // a lone '!'
				items = append(items, item{kind: iChunk, start: i, end: i + 1})
				i++
				continue
			}
			items = append(items, item{kind: iOp, op: o, start: i, end: i + n})
			i += n
			continue
		case isSepChar(c):
			items = append(items, item{kind: iSep, start: i, end: i + 1})
			i++
			continue
		case c == ':' && (i+1 == len(lc) || lc[i+1] == ' '):
			items = append(items, item{kind: iLabel, start: i, end: i + 1})
			i++
			continue
		case (c == '-' || c == '/') && i > 0 && lc[i-1] == ' ' && (i+1 == len(lc) || lc[i+1] == ' '):
			k := iTo
			if c == '/' {
				k = iSep
			}
			items = append(items, item{kind: k, start: i, end: i + 1})
			i++
			continue
		}
		if p, e, ok := matchPhrase(lc, i); ok {
			items = append(items, item{kind: p.kind, op: p.op, start: i, end: e})
			i = e
			continue
		}
		if len(items) > 0 && items[len(items)-1].kind == iChunk && isNoteWord(wordAt(lc, i)) {
			items = append(items, item{kind: iNote, start: i, end: len(lc)})
			break
		}
		// a version chunk: up to an operator, separator or phrase at a word start.
		j := i
		for j < len(lc) {
			if isOpChar(lc[j]) || isSepChar(lc[j]) || lc[j] == ':' && (j+1 == len(lc) || lc[j+1] == ' ') {
				break
			}
			if lc[j] == ' ' {
				k := j + 1
				if k < len(lc) {
					if _, _, ok := matchPhrase(lc, k); ok {
						break
					}
					if isNoteWord(wordAt(lc, k)) || (lc[k] == '-' || lc[k] == '/') && (k+1 == len(lc) || lc[k+1] == ' ') {
						break
					}
				}
			}
			j++
		}
		items = append(items, item{kind: iChunk, start: i, end: j})
		i = j
	}
	return items
}

type parsed struct {
	terms []term
	all   bool
	note  string
}

// allPrefix matches "all versions", "all BIOS versions", "All firmware versions" ...
var allPrefix = regexp.MustCompile(`^(?:all|any)(?: [a-z0-9-]+)?(?: [a-z0-9-]+)? (?:versions?|releases|revisions|models)\b`)

// parseText reads one candidate text.
func parseText(s string) (parsed, bool) {
	var p parsed
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "."))
	lc := asciiLower(s)
	switch lc {
	case "", "-", "n/a", "unknown":
		return p, false
	case "*", "all", "any", "all versions", "all version", "any version", "all releases", "all models", "every version":
		p.all = true
		return p, true
	}
	if m := allPrefix.FindStringIndex(lc); m != nil {
		rest := strings.TrimSpace(s[m[1]:])
		if rest == "" {
			p.all = true
			return p, true
		}
		if w := wordAt(asciiLower(rest), 0); isNoteWord(w) && !strings.ContainsAny(rest, "<>=") {
			p.all, p.note = true, rest
			return p, true
		}
		s, lc = rest, asciiLower(rest)
	}
	if strings.HasPrefix(lc, "* ") && isNoteWord(wordAt(lc, 2)) {
		p.all, p.note = true, strings.TrimSpace(s[2:])
		return p, true
	}
	items := scan(s)
	var terms []term
	var pending op
	toNext := false    // the next version closes a "through" range
	between := 0       // 1: after "between", 2: after its first version
	rangePrev := -1    // index of an equality term directly followed by < or <=
	lastChunk := false // the previous item produced a term
	var notes []string
	for k := 0; k < len(items); k++ {
		it := items[k]
		text := strings.TrimSpace(s[it.start:it.end])
		switch it.kind {
		case iOp:
			if pending != 0 {
				return p, false
			}
			pending = it.op
			if lastChunk && (it.op == opLT || it.op == opLE) && len(terms) > 0 && terms[len(terms)-1].op == opEQ {
				rangePrev = len(terms) - 1 // "1.91 <= 2.8.0.367"
			}
			lastChunk = false
		case iChunk:
			v, tail, ok := parseChunk(text)
			if !ok {
				// a product label before an operator: "BIOS < R1.21.0"
				if k == 0 && k+1 < len(items) && items[k+1].kind == iOp && isLetter(text[0]) {
					notes = append(notes, text)
					continue
				}
				return p, false
			}
			if tail != "" {
				notes = append(notes, tail)
			}
			o := pending
			switch {
			case o != 0:
			case toNext:
				o = opLE
			case between == 1:
				o = opGE
			case between == 2:
				o = opLE
			default:
				o = opEQ
			}
			if between == 1 {
				between = 2
			} else if between == 2 {
				between = 0
			}
			toNext = false
			pending = 0
			terms = append(terms, term{op: o, v: v})
			if rangePrev >= 0 {
				prev := &terms[rangePrev]
				if sameFamily(&prev.v, &v) {
					prev.op = opGE
				} else {
					notes = append(notes, prev.v.raw)
					terms = append(terms[:rangePrev], terms[rangePrev+1:]...)
				}
				rangePrev = -1
			}
			lastChunk = true
			continue
		case iPost:
			if len(terms) == 0 || !lastChunk || pending != 0 {
				return p, false
			}
			t := &terms[len(terms)-1]
			switch it.op {
			case 0: // "(including)": bounds are inclusive already
			case opNE: // "(excluding)"
				switch t.op {
				case opLE:
					t.op = opLT
				case opGE:
					t.op = opGT
				default:
					return p, false
				}
			default:
				if t.op != opEQ {
					return p, false
				}
				t.op = it.op
			}
			continue // keeps lastChunk for "2.0 and later (including)"
		case iTo:
			if len(terms) == 0 || !lastChunk || pending != 0 {
				return p, false
			}
			t := &terms[len(terms)-1]
			if t.op != opEQ && t.op != opGE {
				return p, false
			}
			t.op = opGE
			toNext = true
			lastChunk = false
			continue
		case iBetween:
			between = 1
		case iAnd, iSep:
			if pending != 0 {
				return p, false
			}
		case iNote:
			notes = append(notes, text)
			k = len(items)
		case iLabel:
			terms, pending, between, toNext, rangePrev = nil, 0, 0, false, -1
			notes = nil
		case iVersionWord:
			// "Model 8015 versions 9.33.1": a bare label before the word.
			if lastChunk && len(terms) == 1 && terms[0].op == opEQ && pending == 0 {
				notes = append(notes, terms[0].v.raw)
				terms = nil
			}
		}
		lastChunk = false
	}
	if pending != 0 || toNext || between != 0 || len(terms) == 0 {
		return p, false
	}
	p.terms, p.note = terms, strings.Join(notes, "; ")
	return p, true
}

// bodyWord reports whether w (lowercase) can continue a version after its
// first number: numbers, release qualifiers and short letter codes (FP2, MR, GA).
func bodyWord(w string) bool {
	if w == "" || isNoteWord(w) {
		return false
	}
	if strings.ContainsAny(w, "0123456789") || qualifier(w) {
		return true
	}
	return len(w) <= 3
}

// startsVersion reports whether word w begins the version proper.
func startsVersion(w string) bool {
	if w == "" {
		return false
	}
	if isDigit(w[0]) {
		return true
	}
	lw := asciiLower(w)
	for _, g := range []string{"v", "r", "ver.", "ver", "version", "rev.", "rev"} {
		if strings.HasPrefix(lw, g) && len(lw) > len(g) && isDigit(lw[len(g)]) {
			return true
		}
	}
	return false
}

// parseChunk reads one version chunk of a constraint; trailing words that
// start a remark are returned as tail.
func parseChunk(s string) (Version, string, bool) {
	s = strings.Trim(strings.TrimSpace(s), `"'`)
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return Version{}, "", false
	}
	words := strings.Fields(s)
	for _, w := range words {
		if monthOf(strings.Trim(w, ",./")) > 0 || strings.ContainsAny(w, "/") && monthOf(strings.Split(w, "/")[0]) > 0 {
			v, ok := Parse(s)
			return v, "", ok && v.date
		}
	}
	b := -1
	for i, w := range words {
		lw := asciiLower(w)
		if startsVersion(w) {
			b = i
			break
		}
		if (lw == "v" || lw == "ver" || lw == "version" || lw == "rev") && i+1 < len(words) && isDigit(words[i+1][0]) {
			b = i
			break
		}
	}
	if b < 0 {
		// one word such as "BT06", "VM5.0", "SE2020MP13" or a revision letter "K".
		if len(words) != 1 {
			return Version{}, "", false
		}
		w := words[0]
		if !strings.ContainsAny(w, "0123456789") && len(w) > 3 {
			return Version{}, "", false
		}
		b = 0
	}
	for _, w := range words[:b] {
		if isNoteWord(asciiLower(w)) {
			return Version{}, "", false
		}
	}
	end := b + 1
	for end < len(words) && bodyWord(asciiLower(words[end])) {
		end++
	}
	tail := ""
	if end < len(words) {
		if !isNoteWord(asciiLower(words[end])) {
			return Version{}, "", false
		}
		tail = strings.Join(words[end:], " ")
	}
	v, ok := Parse(strings.Join(words[:end], " "))
	if !ok {
		return v, "", false
	}
	return v, tail, true
}
