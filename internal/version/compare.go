package version

// Compare orders a and b and returns -1, 0 or +1. It is a total order so that
// versions can be sorted: versions of different families (VF vs VM, dates vs
// numbers) are grouped by family, and tokens that have no principled order
// (a number against a word such as "2.4.1" against "2.4A") fall back to a fixed
// rule (word before number). Constraint evaluation does not use these
// fallbacks: it answers Unknown for such pairs.
func Compare(a, b Version) int {
	c, _ := compare(&a, &b, -1)
	if c == 0 && a.trunc && b.trunc {
		c = cmpFold(a.raw, b.raw)
	}
	if c == 0 && a.wild != b.wild {
		if a.wild {
			return 1
		}
		return -1
	}
	return c
}

// compare orders a and b; ok is false when the order has no principled basis
// (different families, a word against a number, unknown words, a dropped
// tail). limit >= 0 compares position by position only the first limit
// tokens, which is how a version is tested against a wildcard prefix; limit
// < 0 compares whole versions.
func compare(a, b *Version, limit int) (c int, ok bool) {
	if a.date != b.date {
		if a.date {
			return 1, false
		}
		return -1, false
	}
	if c := cmpFold(a.family, b.family); c != 0 {
		return c, false
	}
	if limit < 0 {
		return compareFull(a, b)
	}
	n := int(max(a.n, b.n))
	if n > limit {
		n = limit
	}
	ok = true
	for i := 0; i < n; i++ {
		var c int
		var tokOK bool
		switch {
		case i >= int(a.n):
			c, tokOK = endVs(&b.toks[i])
			c = -c
		case i >= int(b.n):
			c, tokOK = endVs(&a.toks[i])
		default:
			c, tokOK = cmpTok(&a.toks[i], &b.toks[i])
		}
		if c != 0 {
			return c, ok && tokOK
		}
		ok = ok && tokOK
	}
	if n < limit && (a.trunc || b.trunc) {
		return 0, false
	}
	return 0, ok
}

// skipZeros returns the index of the next significant token at or after i:
// a run of zero numbers followed by a word or the end adds nothing ("1.0" =
// "1", "1.0 SP1" = "1 SP1", "1.0rc1" = "1rc1").
func skipZeros(v *Version, i int) int {
	k := i
	for k < int(v.n) && v.toks[k].kind == tkNum && v.toks[k].s == "" {
		k++
	}
	if k >= int(v.n) && v.trunc {
		return i // the dropped tail may be significant
	}
	if k >= int(v.n) || v.toks[k].kind != tkNum {
		return k
	}
	return i
}

// compareFull is lexicographic over significant tokens with the alphabet
// pre-release < end < word < number, which makes Compare a total order.
func compareFull(a, b *Version) (int, bool) {
	ok := true
	i, j := 0, 0
	for {
		i, j = skipZeros(a, i), skipZeros(b, j)
		endA, endB := i >= int(a.n), j >= int(b.n)
		var c int
		var tokOK bool
		// The end of a truncated version stands for its dropped tail, above
		// every token; two dropped tails order by their text.
		switch {
		case endA && endB && a.trunc && b.trunc:
			return cmpFold(a.raw, b.raw), false
		case endA && a.trunc:
			return 1, false
		case endB && b.trunc:
			return -1, false
		case endA && endB:
			return 0, ok
		case endA:
			c, tokOK = endVs(&b.toks[j])
			c = -c
		case endB:
			c, tokOK = endVs(&a.toks[i])
		default:
			c, tokOK = cmpTok(&a.toks[i], &b.toks[j])
		}
		if c != 0 {
			return c, ok && tokOK
		}
		ok = ok && tokOK
		i++
		j++
	}
}

// endVs orders a token against the end of a shorter version: zeros do not
// count (1.0 = 1.0.0), a pre-release sorts before the release
// (1.0rc1 < 1.0) and anything else after it (2.4 < 2.4A < ... , 2.4 < 2.4 SP1).
func endVs(t *token) (int, bool) {
	switch t.kind {
	case tkNum:
		if t.s == "" {
			return 0, true
		}
		return 1, true
	case tkPre:
		return -1, true
	}
	return 1, true
}

// cmpTok orders two tokens. Numbers compare by value; pre-release words by
// rank and below everything else; words only when equal or both single
// letters (revision letters "2.4A" < "2.4B").
func cmpTok(a, b *token) (int, bool) {
	if a.kind != b.kind {
		if a.kind == tkPre || b.kind == tkPre {
			if a.kind == tkPre {
				return -1, true
			}
			return 1, true
		}
		// word against number: no principled order.
		if a.kind == tkWord {
			return -1, false
		}
		return 1, false
	}
	switch a.kind {
	case tkNum:
		switch {
		case len(a.s) != len(b.s):
			if len(a.s) < len(b.s) {
				return -1, true
			}
			return 1, true
		case a.s < b.s:
			return -1, true
		case a.s > b.s:
			return 1, true
		}
		return 0, true
	case tkPre:
		switch {
		case a.rank < b.rank:
			return -1, true
		case a.rank > b.rank:
			return 1, true
		}
		return 0, true
	}
	c := cmpFold(a.s, b.s)
	if c == 0 {
		return 0, true
	}
	return c, len(a.s) == 1 && len(b.s) == 1
}

// extends reports whether v has the tokens of p followed by at least one more
// significant token: "4.3.1" extends "4.3", "4.3.0" does not.
func extends(v, p *Version) bool {
	if v.n <= p.n {
		return false
	}
	if c, ok := compare(v, p, int(p.n)); c != 0 || !ok {
		return false
	}
	for i := p.n; i < v.n; i++ {
		if t := v.toks[i]; t.kind != tkNum || t.s != "" {
			return true
		}
	}
	return false
}
