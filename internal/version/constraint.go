package version

import (
	"fmt"
	"net/url"
	"strings"
)

type op uint8

const (
	opEQ op = iota + 1
	opNE
	opLT
	opLE
	opGT
	opGE
)

func (o op) String() string {
	switch o {
	case opEQ:
		return "="
	case opNE:
		return "!="
	case opLT:
		return "<"
	case opLE:
		return "<="
	case opGT:
		return ">"
	case opGE:
		return ">="
	}
	return "?"
}

func (o op) lower() bool { return o == opGT || o == opGE }
func (o op) upper() bool { return o == opLT || o == opLE }

// holds reports whether c (the sign of version versus bound) satisfies o.
func (o op) holds(c int) bool {
	switch o {
	case opEQ:
		return c == 0
	case opNE:
		return c != 0
	case opLT:
		return c < 0
	case opLE:
		return c <= 0
	case opGT:
		return c > 0
	case opGE:
		return c >= 0
	}
	return false
}

type term struct {
	op op
	v  Version
}

type kind uint8

const (
	kUnknown kind = iota
	kAll
	kTerms
)

// Constraint is a parsed version constraint from an advisory product branch or name.
// It is parsed once and evaluated many times; evaluation does not allocate.
type Constraint struct {
	raw   string
	kind  kind
	terms []term
	note  string // conditions and remarks the text attached ("only if web components are used")
}

// Known returns false when the text could not be parsed at all; Contains then
// answers Unknown for every version.
func (c Constraint) Known() bool { return c.kind != kUnknown }

// All reports whether the constraint matches every version: "vers:all/*", "all versions", "*".
func (c Constraint) All() bool { return c.kind == kAll }

// Note returns the condition or remark that came with the constraint text
// ("only if web components are used", "integrated into GE MobileLink"); the
// version answer ignores it, so a reviewer must read it.
func (c Constraint) Note() string { return c.note }

// Contains reports whether version v satisfies the constraint.
func (c Constraint) Contains(v string) Answer {
	switch c.kind {
	case kAll:
		return Yes
	case kUnknown:
		return Unknown
	}
	pv, ok := Parse(v)
	if !ok {
		return Unknown
	}
	return c.eval(&pv, nil)
}

// ContainsVersion is Contains for a version parsed once by the caller, which
// saves the parse when one device is tested against many constraints.
func (c Constraint) ContainsVersion(v Version) Answer {
	switch c.kind {
	case kAll:
		return Yes
	case kUnknown:
		return Unknown
	}
	if v.n == 0 {
		return Unknown
	}
	return c.eval(&v, nil)
}

// Explain returns the answer for v plus a short human reason, e.g.
// "9.33 <= 9.33.1", "all versions", "cannot compare 'unknown' with '< 2.4'".
func (c Constraint) Explain(v string) (Answer, string) {
	switch c.kind {
	case kAll:
		return Yes, c.withNote("all versions")
	case kUnknown:
		return Unknown, fmt.Sprintf("cannot parse constraint '%s'", c.raw)
	}
	pv, ok := Parse(v)
	if !ok {
		return Unknown, fmt.Sprintf("cannot compare '%s' with '%s'", strings.TrimSpace(v), c.String())
	}
	var r reason
	a := c.eval(&pv, &r)
	return a, c.withNote(r.text(a, &pv, c))
}

func (c Constraint) withNote(s string) string {
	if c.note == "" {
		return s
	}
	return s + " (note: " + c.note + ")"
}

// String returns the canonical text: the vers: form when expressible, e.g.
// "vers:generic/<=9.33.1"; a "vls" form ("<= 11.x") for wildcards and dates,
// which vers cannot express; the input itself when it could not be parsed.
func (c Constraint) String() string {
	switch c.kind {
	case kAll:
		return "vers:all/*"
	case kUnknown:
		return c.raw
	}
	vers := true
	for i := range c.terms {
		if c.terms[i].v.wild || c.terms[i].v.date {
			vers = false
		}
	}
	var b strings.Builder
	if vers {
		b.WriteString("vers:generic/")
	}
	for i := range c.terms {
		t := &c.terms[i]
		if i > 0 {
			if vers {
				b.WriteByte('|')
			} else {
				b.WriteString(" | ")
			}
		}
		b.WriteString(t.op.String())
		if vers {
			b.WriteString(versEscape(t.v.raw))
		} else {
			b.WriteByte(' ')
			b.WriteString(t.v.raw)
		}
	}
	return b.String()
}

// versEscape percent-encodes what the vers syntax reserves or forbids.
func versEscape(s string) string {
	if !strings.ContainsAny(s, "%| ") {
		return s
	}
	r := strings.NewReplacer("%", "%25", "|", "%7C", " ", "%20")
	return r.Replace(s)
}

func versUnescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// reason collects what decided an evaluation, for Explain only.
type reason struct {
	yes     []string
	unknown string
	multi   string
}

func (r *reason) text(a Answer, v *Version, c Constraint) string {
	switch a {
	case Yes:
		return strings.Join(r.yes, "; ")
	case No:
		return fmt.Sprintf("%s is outside '%s'", v.raw, c.String())
	}
	if r.multi != "" {
		return r.multi
	}
	if r.unknown != "" {
		return r.unknown
	}
	return fmt.Sprintf("cannot compare '%s' with '%s'", v.raw, c.String())
}

func or(a, b Answer) Answer {
	if a == Yes || b == Yes {
		return Yes
	}
	if a == No && b == No {
		return No
	}
	return Unknown
}

func and(a, b Answer) Answer {
	if a == No || b == No {
		return No
	}
	if a == Yes && b == Yes {
		return Yes
	}
	return Unknown
}

func not(a Answer) Answer {
	switch a {
	case Yes:
		return No
	case No:
		return Yes
	}
	return Unknown
}

func boolAnswer(b bool) Answer {
	if b {
		return Yes
	}
	return No
}

// sameFamily reports whether a and b can be ordered at all.
func sameFamily(a, b *Version) bool {
	return a.date == b.date && cmpFold(a.family, b.family) == 0
}

// test evaluates "v op b" where either side may be a wildcard series.
func test(o op, b, v *Version) Answer {
	switch {
	case !b.wild && !v.wild:
		c, ok := compare(v, b, -1)
		if !ok {
			return Unknown
		}
		if (o == opEQ || o == opNE) && c != 0 && extends(v, b) {
			// "4.3.1" against "4.3": the advisory may mean the 4.3 line.
			return Unknown
		}
		return boolAnswer(o.holds(c))
	case b.wild && !v.wild:
		c, ok := compare(v, b, int(b.n))
		if !ok {
			return Unknown
		}
		return boolAnswer(o.holds(c))
	case v.wild && !b.wild:
		c, ok := compare(b, v, int(v.n))
		if !ok || c == 0 {
			// the bound lies inside the series the device names.
			return Unknown
		}
		return boolAnswer(o.holds(-c))
	}
	m := int(min(b.n, v.n))
	c, ok := compare(v, b, m)
	if !ok {
		return Unknown
	}
	if c != 0 || v.n >= b.n {
		return boolAnswer(o.holds(c))
	}
	return Unknown
}

// eval applies the terms to v. Terms are read in order as the vers
// specification and CISA's "vls" write them: a lower bound followed by an
// upper bound is one interval, other bounds stand alone, equalities are
// points, != excludes. When several lone upper (or lower) bounds are listed
// ("<= 4.2.21 | <= 5.0.27") the advisory means one bound per release series
// without saying which: a version below all of them is in, one above all of
// them is out, and one in between is Unknown. When some terms share the
// version's family, terms of other families are ignored ("<= U61 | <= L81").
func (c *Constraint) eval(v *Version, r *reason) Answer {
	famMatch := false
	for i := range c.terms {
		if sameFamily(&c.terms[i].v, v) {
			famMatch = true
			break
		}
	}
	skip := func(t *term) bool { return famMatch && !sameFamily(&t.v, v) }
	res, excl := No, No
	var up, lo group
	for i := 0; i < len(c.terms); i++ {
		t := &c.terms[i]
		switch {
		case t.op == opNE:
			if !skip(t) {
				excl = or(excl, test(opEQ, &t.v, v))
			}
		case t.op == opEQ:
			if skip(t) {
				continue
			}
			a := test(opEQ, &t.v, v)
			res = or(res, a)
			r.note(a, v, t, nil)
		case t.op.lower() && i+1 < len(c.terms) && c.terms[i+1].op.upper():
			u := &c.terms[i+1]
			i++
			if skip(t) && skip(u) {
				continue
			}
			a := and(test(t.op, &t.v, v), test(u.op, &u.v, v))
			res = or(res, a)
			r.note(a, v, t, u)
		case t.op.lower():
			if !skip(t) {
				lo.add(test(t.op, &t.v, v), v, t, r)
			}
		case t.op.upper():
			if !skip(t) {
				up.add(test(t.op, &t.v, v), v, t, r)
			}
		}
	}
	res = or(res, up.answer(v, r))
	res = or(res, lo.answer(v, r))
	return and(res, not(excl))
}

// group accumulates lone bounds of one direction.
type group struct {
	n, yes, no int
	last       *term
}

func (g *group) add(a Answer, v *Version, t *term, r *reason) {
	g.n++
	g.last = t
	switch a {
	case Yes:
		g.yes++
	case No:
		g.no++
	}
	if r != nil && a == Yes {
		r.yes = append(r.yes, fmt.Sprintf("%s %s %s", v.raw, t.op, t.v.raw))
	}
	if r != nil && a == Unknown && r.unknown == "" {
		r.unknown = fmt.Sprintf("cannot compare '%s' with '%s %s'", v.raw, t.op, t.v.raw)
	}
}

func (g *group) answer(v *Version, r *reason) Answer {
	switch {
	case g.n == 0:
		return No
	case g.yes == g.n:
		return Yes
	case g.no == g.n:
		return No
	case g.n > 1 && g.yes > 0 && g.no > 0:
		if r != nil {
			r.multi = fmt.Sprintf("'%s' lies between bounds listed for different release series; the advisory does not say which applies", v.raw)
		}
	}
	if r != nil {
		r.yes = nil
	}
	return Unknown
}

// note records the reason for a point or interval test; r may be nil.
func (r *reason) note(a Answer, v *Version, t, u *term) {
	if r == nil {
		return
	}
	desc := fmt.Sprintf("%s %s", t.op, t.v.raw)
	if u != nil {
		desc += fmt.Sprintf(" and %s %s", u.op, u.v.raw)
	}
	switch a {
	case Yes:
		if t.op == opEQ {
			r.yes = append(r.yes, fmt.Sprintf("%s = %s", v.raw, t.v.raw))
		} else {
			r.yes = append(r.yes, fmt.Sprintf("%s %s", v.raw, desc))
		}
	case Unknown:
		if r.unknown == "" {
			r.unknown = fmt.Sprintf("cannot compare '%s' with '%s'", v.raw, desc)
		}
	}
}
