package share

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aceso-health/aceso"
)

// Observable kinds, spelled as the incident package spells them so that the
// two exchange observables without a mapping table.
const (
	KindIP       = "ip"
	KindDomain   = "domain"
	KindURL      = "url"
	KindEmail    = "email"
	KindFilename = "filename"
	KindMD5      = "md5"
	KindSHA1     = "sha1"
	KindSHA256   = "sha256"
	KindSHA512   = "sha512"
)

// Observable is a value to watch for (an address, a hash). On import, TLP is
// the strictest marking of the indicator it came from and Indicator that
// indicator's id.
type Observable struct {
	Kind      string
	Value     string
	TLP       TLP
	Indicator string
}

var hashKey = map[string]string{KindMD5: "MD5", KindSHA1: "'SHA-1'", KindSHA256: "'SHA-256'", KindSHA512: "'SHA-512'"}
var hashLen = map[string]int{KindMD5: 32, KindSHA1: 40, KindSHA256: 64, KindSHA512: 128}

// ObservablePattern returns the STIX pattern that matches o, such as
// [ipv4-addr:value = '203.0.113.5'] or [file:hashes.'SHA-256' = '…'], with
// the value escaped as STIX string literals require (\ and ' get a
// backslash). The kind "hash" takes its algorithm from the digest length.
// The error is EINVALID and says why o has no pattern.
func ObservablePattern(o Observable) (string, error) {
	kind, v, err := normObservable(o.Kind, o.Value)
	if err != nil {
		return "", err
	}
	var path string
	switch kind {
	case KindIP:
		path = "ipv4-addr:value"
		if strings.Contains(v, ":") {
			path = "ipv6-addr:value"
		}
	case KindDomain:
		path = "domain-name:value"
	case KindURL:
		path = "url:value"
	case KindEmail:
		path = "email-addr:value"
	case KindFilename:
		path = "file:name"
	default:
		path = "file:hashes." + hashKey[kind]
	}
	return "[" + path + " = " + quoteSTIX(v) + "]", nil
}

// normObservable returns the kind and value in the one form Aceso writes
// and compares: canonical IP or CIDR, lower-case domain and digest.
func normObservable(kind, value string) (string, string, error) {
	v := strings.TrimSpace(value)
	if v == "" || !utf8.ValidString(v) {
		return "", "", aceso.Errorf(aceso.EINVALID, "observable %s: empty or not UTF-8", kind)
	}
	if kind == "hash" {
		// The incident package's generic kind: the length names the algorithm.
		for k, n := range hashLen {
			if len(v) == n {
				kind = k
			}
		}
	}
	switch kind {
	case KindIP:
		if a, err := netip.ParseAddr(v); err == nil && a.Zone() == "" {
			return kind, a.Unmap().String(), nil
		}
		if p, err := netip.ParsePrefix(v); err == nil {
			if p.Addr().Is4In6() {
				return "", "", aceso.Errorf(aceso.EINVALID, "observable ip %.60q: give an IPv4 prefix in IPv4 form", value)
			}
			return kind, p.Masked().String(), nil
		}
		return "", "", aceso.Errorf(aceso.EINVALID, "observable ip %.60q: not an IP address or CIDR prefix", value)
	case KindDomain:
		return kind, strings.ToLower(strings.TrimSuffix(v, ".")), nil
	case KindURL, KindEmail, KindFilename:
		return kind, v, nil
	case KindMD5, KindSHA1, KindSHA256, KindSHA512:
		v = strings.ToLower(v)
		if _, err := hex.DecodeString(v); err != nil || len(v) != hashLen[kind] {
			return "", "", aceso.Errorf(aceso.EINVALID, "observable %s %.60q: not a %d-digit hex digest", kind, value, hashLen[kind])
		}
		return kind, v, nil
	}
	return "", "", aceso.Errorf(aceso.EINVALID, "observable kind %q: no STIX pattern (want ip, domain, url, email, filename, hash, md5, sha1, sha256, sha512)", kind)
}

var stixEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`)

// quoteSTIX writes s as a STIX pattern string literal.
func quoteSTIX(s string) string { return "'" + stixEscaper.Replace(s) + "'" }

// Comparison is one comparison expression of a STIX pattern:
// Path Op Values, e.g. file:hashes.'SHA-256' = '…'.
type Comparison struct {
	ObjectType string   // "file"
	Props      []string // ["hashes", "SHA-256"]; an index is "[0]" or "[*]"
	Negated    bool     // NOT before the operator
	Op         string   // "=", "!=", "<", ">", "<=", ">=", "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "EXISTS"
	Values     []string // literals as read (strings unescaped); several for IN
	Strings    bool     // every value is a string literal
}

// ParsePattern checks the syntax of a STIX 2.1 pattern (observation
// expressions with AND/OR/FOLLOWEDBY, qualifiers WITHIN/REPEATS/START-STOP,
// comparison expressions with all operators and literal kinds) and returns
// its comparisons in order. It checks syntax, not whether object types and
// properties exist. Errors are EINVALID and give the offset.
func ParsePattern(pattern string) ([]Comparison, error) {
	toks, err := lexPattern(pattern)
	if err != nil {
		return nil, err
	}
	p := &patParser{toks: toks}
	if err := p.obsExpr(0); err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errf(t, "unexpected %q after the pattern", t.text)
	}
	return p.out, nil
}

// PatternObservables returns the observables a STIX pattern names with an
// equality (= or IN) on a path Aceso knows: ipv4-addr/ipv6-addr/domain-name/
// url/email-addr value, file name and hashes. A pattern combining several
// comparisons yields each of them: this loses the combination (AND) but
// keeps every value to watch for, which is what a hospital's sensors need.
// Values are normalised as ObservablePattern writes them; a value that is
// not valid for its kind (an "IP" that is not an address) is left out.
func PatternObservables(pattern string) ([]Observable, error) {
	comps, err := ParsePattern(pattern)
	if err != nil {
		return nil, err
	}
	var out []Observable
	for _, c := range comps {
		if c.Negated || !c.Strings || (c.Op != "=" && c.Op != "IN") {
			continue
		}
		kind := comparisonKind(c)
		if kind == "" {
			continue
		}
		for _, v := range c.Values {
			if k, nv, err := normObservable(kind, v); err == nil {
				out = append(out, Observable{Kind: k, Value: nv})
			}
		}
	}
	return out, nil
}

func comparisonKind(c Comparison) string {
	t := strings.ToLower(c.ObjectType)
	switch {
	case len(c.Props) == 1 && c.Props[0] == "value":
		switch t {
		case "ipv4-addr", "ipv6-addr":
			return KindIP
		case "domain-name":
			return KindDomain
		case "url":
			return KindURL
		case "email-addr":
			return KindEmail
		}
	case t == "file" && len(c.Props) == 1 && c.Props[0] == "name":
		return KindFilename
	case t == "file" && len(c.Props) == 2 && c.Props[0] == "hashes":
		switch strings.ReplaceAll(strings.ToUpper(c.Props[1]), "-", "") {
		case "MD5":
			return KindMD5
		case "SHA1":
			return KindSHA1
		case "SHA256":
			return KindSHA256
		case "SHA512":
			return KindSHA512
		}
	}
	return ""
}

type tokKind int

const (
	tEOF tokKind = iota
	tPunct
	tIdent
	tString
	tNumber
	tTyped // t'…', h'…', b'…'
)

type token struct {
	kind tokKind
	text string // punctuation, identifier, number, unescaped string, or typed literal body
	typ  byte   // 't', 'h', 'b' for tTyped
	pos  int
}

func patErr(pos int, format string, args ...any) error {
	return aceso.Errorf(aceso.EINVALID, "pattern offset %d: %s", pos, fmt.Sprintf(format, args...))
}

func lexPattern(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.IndexByte("[](),:.*", c) >= 0:
			toks = append(toks, token{kind: tPunct, text: s[i : i+1], pos: i})
			i++
		case c == '=':
			toks = append(toks, token{kind: tPunct, text: "=", pos: i})
			i++
		case c == '!' || c == '<' || c == '>':
			if i+1 < len(s) && s[i+1] == '=' {
				toks = append(toks, token{kind: tPunct, text: s[i : i+2], pos: i})
				i += 2
			} else if c == '!' {
				return nil, patErr(i, "'!' must be followed by '='")
			} else {
				toks = append(toks, token{kind: tPunct, text: s[i : i+1], pos: i})
				i++
			}
		case c == '\'':
			v, n, err := lexString(s, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tString, text: v, pos: i})
			i = n
		case (c == 't' || c == 'h' || c == 'b') && i+1 < len(s) && s[i+1] == '\'':
			v, n, err := lexString(s, i+1)
			if err != nil {
				return nil, err
			}
			if err := checkTyped(c, v); err != nil {
				return nil, patErr(i, "%v", err)
			}
			toks = append(toks, token{kind: tTyped, text: v, typ: c, pos: i})
			i = n
		case c == '-' || c == '+' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			if _, err := strconv.ParseFloat(s[i:j], 64); err != nil {
				return nil, patErr(i, "bad number %.20q", s[i:j])
			}
			toks = append(toks, token{kind: tNumber, text: s[i:j], pos: i})
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] == '-' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			toks = append(toks, token{kind: tIdent, text: s[i:j], pos: i})
			i = j
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			return nil, patErr(i, "unexpected character %q", r)
		}
	}
	return append(toks, token{kind: tEOF, pos: len(s)}), nil
}

// lexString reads a quoted literal starting at s[i] == '\”; only \\ and \'
// are escapes in STIX patterns.
func lexString(s string, i int) (string, int, error) {
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if j+1 >= len(s) || (s[j+1] != '\\' && s[j+1] != '\'') {
				return "", 0, patErr(j, `only \\ and \' are escapes in a string`)
			}
			b.WriteByte(s[j+1])
			j++
		case '\'':
			return b.String(), j + 1, nil
		default:
			b.WriteByte(s[j])
		}
	}
	return "", 0, patErr(i, "unterminated string")
}

func checkTyped(typ byte, v string) error {
	switch typ {
	case 't':
		if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
			return fmt.Errorf("t'%.40s' is not an RFC 3339 timestamp", v)
		}
	case 'h':
		if _, err := hex.DecodeString(v); err != nil {
			return fmt.Errorf("h'%.40s' is not hex", v)
		}
	case 'b':
		for _, r := range v {
			if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '=') {
				return fmt.Errorf("b'%.40s' is not base64", v)
			}
		}
	}
	return nil
}

type patParser struct {
	toks []token
	i    int
	out  []Comparison
}

// maxPatternDepth bounds nesting so a hostile pattern cannot exhaust the stack.
const maxPatternDepth = 100

func (p *patParser) peek() token { return p.toks[p.i] }
func (p *patParser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}
func (p *patParser) isPunct(s string) bool { t := p.peek(); return t.kind == tPunct && t.text == s }
func (p *patParser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tIdent && strings.EqualFold(t.text, w)
}
func (p *patParser) errf(t token, format string, args ...any) error {
	return patErr(t.pos, format, args...)
}
func (p *patParser) expectPunct(s string) error {
	if t := p.next(); t.kind != tPunct || t.text != s {
		return p.errf(t, "expected %q, found %q", s, t.text)
	}
	return nil
}

func (p *patParser) obsExpr(depth int) error {
	if depth > maxPatternDepth {
		return p.errf(p.peek(), "nested too deep")
	}
	for {
		if err := p.obsTerm(depth); err != nil {
			return err
		}
		if !(p.isWord("AND") || p.isWord("OR") || p.isWord("FOLLOWEDBY")) {
			return nil
		}
		p.next()
	}
}

func (p *patParser) obsTerm(depth int) error {
	switch t := p.next(); {
	case t.kind == tPunct && t.text == "[":
		if err := p.compExpr(depth + 1); err != nil {
			return err
		}
		if err := p.expectPunct("]"); err != nil {
			return err
		}
	case t.kind == tPunct && t.text == "(":
		if err := p.obsExpr(depth + 1); err != nil {
			return err
		}
		if err := p.expectPunct(")"); err != nil {
			return err
		}
	default:
		return p.errf(t, "expected '[' or '(' to start an observation, found %q", t.text)
	}
	return p.qualifiers()
}

func (p *patParser) qualifiers() error {
	for {
		switch {
		case p.isWord("WITHIN"):
			p.next()
			if t := p.next(); t.kind != tNumber {
				return p.errf(t, "WITHIN needs a number of seconds")
			}
			if t := p.next(); t.kind != tIdent || !strings.EqualFold(t.text, "SECONDS") {
				return p.errf(t, "expected SECONDS")
			}
		case p.isWord("REPEATS"):
			p.next()
			if t := p.next(); t.kind != tNumber || strings.ContainsAny(t.text, ".-") {
				return p.errf(t, "REPEATS needs a positive integer")
			}
			if t := p.next(); t.kind != tIdent || !strings.EqualFold(t.text, "TIMES") {
				return p.errf(t, "expected TIMES")
			}
		case p.isWord("START"):
			p.next()
			if t := p.next(); t.kind != tTyped || t.typ != 't' {
				return p.errf(t, "START needs a t'…' timestamp")
			}
			if t := p.next(); t.kind != tIdent || !strings.EqualFold(t.text, "STOP") {
				return p.errf(t, "expected STOP")
			}
			if t := p.next(); t.kind != tTyped || t.typ != 't' {
				return p.errf(t, "STOP needs a t'…' timestamp")
			}
		default:
			return nil
		}
	}
}

func (p *patParser) compExpr(depth int) error {
	if depth > maxPatternDepth {
		return p.errf(p.peek(), "nested too deep")
	}
	for {
		if err := p.compTerm(depth); err != nil {
			return err
		}
		if !(p.isWord("AND") || p.isWord("OR")) {
			return nil
		}
		p.next()
	}
}

func (p *patParser) compTerm(depth int) error {
	if p.isPunct("(") {
		p.next()
		if err := p.compExpr(depth + 1); err != nil {
			return err
		}
		return p.expectPunct(")")
	}
	var c Comparison
	if p.isWord("EXISTS") {
		p.next()
		c.Op = "EXISTS"
		if err := p.path(&c); err != nil {
			return err
		}
		p.out = append(p.out, c)
		return nil
	}
	if err := p.path(&c); err != nil {
		return err
	}
	if p.isWord("NOT") {
		p.next()
		c.Negated = true
	}
	t := p.next()
	switch {
	case t.kind == tPunct && (t.text == "=" || t.text == "!=" || t.text == "<" || t.text == ">" || t.text == "<=" || t.text == ">="):
		c.Op = t.text
	case t.kind == tIdent:
		switch op := strings.ToUpper(t.text); op {
		case "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "IN":
			c.Op = op
		default:
			return p.errf(t, "unknown operator %q", t.text)
		}
	default:
		return p.errf(t, "expected a comparison operator, found %q", t.text)
	}
	if c.Negated && !(c.Op == "=" || c.Op == "IN" || c.Op == "LIKE" || c.Op == "MATCHES" || c.Op == "ISSUBSET" || c.Op == "ISSUPERSET") {
		return p.errf(t, "NOT cannot precede %s", c.Op)
	}
	c.Strings = true
	if c.Op == "IN" {
		if err := p.expectPunct("("); err != nil {
			return err
		}
		for {
			if err := p.literal(&c); err != nil {
				return err
			}
			if !p.isPunct(",") {
				break
			}
			p.next()
		}
		if err := p.expectPunct(")"); err != nil {
			return err
		}
	} else if err := p.literal(&c); err != nil {
		return err
	}
	p.out = append(p.out, c)
	return nil
}

func (p *patParser) literal(c *Comparison) error {
	t := p.next()
	switch {
	case t.kind == tString:
	case t.kind == tNumber, t.kind == tTyped:
		c.Strings = false
	case t.kind == tIdent && (strings.EqualFold(t.text, "true") || strings.EqualFold(t.text, "false")):
		c.Strings = false
	default:
		return p.errf(t, "expected a literal, found %q", t.text)
	}
	c.Values = append(c.Values, t.text)
	return nil
}

func (p *patParser) path(c *Comparison) error {
	t := p.next()
	if t.kind != tIdent {
		return p.errf(t, "expected an object type, found %q", t.text)
	}
	c.ObjectType = t.text
	if err := p.expectPunct(":"); err != nil {
		return err
	}
	if err := p.prop(c); err != nil {
		return err
	}
	for {
		switch {
		case p.isPunct("."):
			p.next()
			if err := p.prop(c); err != nil {
				return err
			}
		case p.isPunct("["):
			p.next()
			t := p.next()
			if !(t.kind == tPunct && t.text == "*") && !(t.kind == tNumber && !strings.ContainsAny(t.text, ".+-")) {
				return p.errf(t, "list index must be a non-negative integer or *")
			}
			if err := p.expectPunct("]"); err != nil {
				return err
			}
			c.Props = append(c.Props, "["+t.text+"]")
		default:
			return nil
		}
	}
}

func (p *patParser) prop(c *Comparison) error {
	t := p.next()
	if t.kind != tIdent && t.kind != tString {
		return p.errf(t, "expected a property name, found %q", t.text)
	}
	c.Props = append(c.Props, t.text)
	return nil
}
