package match

import (
	"fmt"
	"strings"
)

// manufacturer relates the group's manufacturer to the product's vendor.
func (pi *prodInfo) manufacturer(g *group) (float64, string) {
	in := func(f string, list []string) bool {
		for _, x := range list {
			if x == f {
				return true
			}
		}
		return false
	}
	raw := strings.Join(strings.Fields(g.mfrRaw), " ")
	switch {
	case g.mfrFold != "" && in(g.mfrFold, pi.vendorFolds):
		if fold(raw) != g.mfrFold {
			return 1, fmt.Sprintf("manufacturer alias %s → %s", raw, g.mfrNorm)
		}
		return 1, "manufacturer " + g.mfrNorm
	case g.mfrFold != "" && in(g.mfrFold, pi.brandFolds):
		return 0.95, fmt.Sprintf("manufacturer %s named in product %q", g.mfrNorm, pi.display)
	}
	for _, a := range g.altNorms {
		if in(a, pi.vendorFolds) {
			return 0.95, fmt.Sprintf("manufacturer %s linked to vendor %s", raw, pi.p.Vendor)
		}
	}
	if g.mfrFold == "" {
		return 0.5, "manufacturer not recorded"
	}
	if core := corporateCore(raw); core != "" {
		for _, v := range pi.vendorFolds {
			if corporateCore(v) == core {
				return 0.9, fmt.Sprintf("manufacturer %s ≈ vendor %s", raw, pi.p.Vendor)
			}
		}
	}
	lk := looseKey(g.mfrFold)
	lr := looseKey(fold(raw))
	for _, v := range pi.vendorFolds {
		if k := looseKey(v); k != "" && (k == lk || k == lr) {
			return 0.75, fmt.Sprintf("manufacturer %s ≈ vendor %s", raw, pi.p.Vendor)
		}
	}
	return 0, ""
}

// corporateWords say what kind of company a name is, not which.
var corporateWords = setOf("medical", "healthcare", "health", "systems", "system", "technologies", "technology", "tech",
	"international", "group", "holding", "holdings", "diagnostics", "solutions", "devices", "electronics", "labs",
	"laboratories", "inc", "corp", "corporation", "company", "co", "ltd", "limited", "llc", "gmbh", "ag", "se", "sa",
	"bv", "nv", "plc", "and", "the")

// corporateCore is a manufacturer name without parenthesised parts and
// corporate words: "Acme Medical Systems, Inc." and "ACME" both give "acme".
func corporateCore(name string) string {
	s := fold(name)
	if i := strings.IndexByte(s, '('); i >= 0 {
		s = s[:i]
	}
	var out []string
	for _, w := range alnumParts(s) {
		if !corporateWords[w] {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}
