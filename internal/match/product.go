package match

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/version"
)

// prodInfo is an advisory product prepared for comparison with device groups.
type prodInfo struct {
	p           *advisory.Product
	idx         int
	status      string   // first status list naming it
	display     string   // name shown in reasons
	key         string   // ProductKey
	slots       []slot   // identity words and models of the name
	extra       []slot   // model numbers from Product.Models
	negative    [][]slot // excluded variants ("not including EchoPAC")
	nReq        int
	hasModel    bool
	strongModel bool // a model number of two or more digits, or a range

	// The version field. Advisories often put the variant there instead of
	// a version ("620 | 650 | 650c", "Accu-Chek Inform II"): items then
	// identify the product and the version counts as "all".
	vtext         string
	c             version.Constraint
	alt           version.Constraint // from the full name when it says something else
	hasAlt        bool
	noVersionInfo bool
	items         [][]slot
	modelishItems bool
	variantMode   bool

	nameVersions []string // versions written into the product name ("Xeleris 3.1")

	vendorFolds []string // the vendor(s), folded canonical names
	brandFolds  []string // brands named in the product name ("BD Alaris")
}

// vendorParts splits "Silex Technology and GE Healthcare" or "BMC Medical,
// 3B Medical" into the vendors it names.
func vendorParts(v string) []string {
	v = strings.ReplaceAll(v, " and ", ",")
	v = strings.ReplaceAll(v, "&", ",")
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (e *Engine) prepareProduct(a *advisory.Advisory, i int, status string) *prodInfo {
	p := &a.Products[i]
	pi := &prodInfo{p: p, idx: i, status: status, key: ProductKey(*p)}
	vendors := []string{p.VendorNorm, e.normalise(p.Vendor)}
	for _, part := range vendorParts(p.Vendor) {
		vendors = append(vendors, e.normalise(part))
	}
	vendorWords := map[string]bool{}
	for _, v := range append(vendors, p.Vendor) {
		if f := fold(v); f != "" {
			pi.vendorFolds = append(pi.vendorFolds, f)
			for _, w := range alnumParts(f) {
				vendorWords[w] = true
			}
		}
	}
	pi.vendorFolds = dedupe(pi.vendorFolds)
	isVendor := func(f string) bool {
		for _, v := range pi.vendorFolds {
			if v == f {
				return true
			}
		}
		return false
	}
	drop := func(t string) bool {
		if vendorWords[t] {
			return true
		}
		if hasDigit(t) || len(t) < 2 {
			return false
		}
		n, ok := e.knownBrand(t)
		if !ok {
			return false
		}
		f := fold(n)
		if !isVendor(f) {
			pi.brandFolds = append(pi.brandFolds, f)
		}
		return true // a brand word names the maker, not the product
	}

	name := p.Name
	if name == "" {
		name = p.FullName
	}
	if i := strings.IndexByte(name, ':'); i > 0 {
		name = name[:i]
	}
	if p.Family != "" && !strings.Contains(fold(name), fold(p.Family)) {
		famSlots, _ := nameSlots(p.Family, drop)
		for _, s := range famSlots {
			if s.kind == kWord {
				s.kind = kWeak // the family is context; the name must match
			}
			pi.slots = append(pi.slots, s)
		}
	}
	pi.display = strings.TrimSpace(strings.TrimSpace(p.Family + " " + name))
	if p.RelTarget != "" {
		// "component installed on host": the host is what the inventory lists.
		if t := a.Product(p.RelTarget); t != nil {
			tn := t.Name
			if tn == "" {
				tn = t.FullName
			}
			hs, neg := nameSlots(tn, drop)
			pi.slots = append(pi.slots, hs...)
			pi.negative = append(pi.negative, neg...)
			cs, _ := nameSlots(name, drop)
			for _, s := range cs {
				if s.kind == kWord {
					s.kind = kWeak
				}
				pi.slots = append(pi.slots, s)
			}
			pi.display = tn + " with " + pi.display
			name = ""
		}
	}
	if name != "" {
		pi.nameVersions = dottedVersion.FindAllString(name, -1)
		ns, neg := nameSlots(name, drop)
		pi.slots = append(pi.slots, ns...)
		pi.negative = append(pi.negative, neg...)
	}
	for _, m := range p.Models {
		if ms, _ := nameSlots(m, drop); len(ms) > 0 {
			for _, s := range ms {
				if s.kind == kModel {
					pi.extra = append(pi.extra, s)
				}
			}
		}
	}
	pi.extra = slices.DeleteFunc(pi.extra, func(s slot) bool { return excluded(s, pi.negative) })
	for _, s := range pi.slots {
		switch s.kind {
		case kWord:
			pi.nReq++
		case kModel:
			pi.hasModel = true
		}
	}
	if len(pi.extra) > 0 {
		pi.hasModel = true
	}
	for _, list := range [][]slot{pi.slots, pi.extra} {
		for _, s := range list {
			if s.kind != kModel {
				continue
			}
			if s.rng != nil {
				pi.strongModel = true
			}
			for _, a := range s.alts {
				if core(a) != "" {
					pi.strongModel = true
				}
			}
		}
	}
	pi.brandFolds = dedupe(pi.brandFolds)
	e.prepareVersion(pi, drop)
	return pi
}

// itemModelish reports whether a version-field item names a model: a
// number of three or more digits or a code built around one ("650c").
func itemModelish(ss []slot) bool {
	for _, s := range ss {
		if s.kind != kModel {
			continue
		}
		for _, a := range s.alts {
			if len(core(a)) >= 3 {
				return true
			}
		}
	}
	return false
}

// covers reports whether the group has one of the slot's alternatives; a
// model slot also accepts the same model number with a compatible letter
// prefix ("EM2400" ~ "2400", "522K" ~ "522"), reported as inexact.
func (g *group) covers(s *slot) (ok, exact bool, tok string) {
	if s.rng != nil {
		for _, t := range g.modelToks {
			if s.rng.contains(t) {
				return true, true, t
			}
		}
		return false, false, ""
	}
	for _, a := range s.alts {
		if g.toks[a] {
			return true, true, a
		}
	}
	if s.kind != kModel {
		return false, false, ""
	}
	for _, a := range s.alts {
		ca := core(a)
		if ca == "" {
			continue
		}
		pa := letterPrefix(a)
		for _, t := range g.modelToks {
			if core(t) != ca {
				continue
			}
			// A bare number meets a code only when it is long enough not to
			// be a coincidence ("2400" ~ "EM2400", not "70" ~ "MP70").
			pt := letterPrefix(t)
			if pt == pa || (pt == "" || pa == "") && len(ca) >= 3 {
				return true, false, a
			}
		}
	}
	return false, false, ""
}

// excluded reports whether a model slot belongs to an excluded item (the
// parser collects "LOGIQ 100" from "not including LOGIQ 100 Pro" too).
func excluded(s slot, negative [][]slot) bool {
	for _, it := range negative {
		for _, n := range it {
			for _, a := range n.alts {
				if slices.Contains(s.alts, a) {
					return true
				}
			}
		}
	}
	return false
}

// applyFamilies marks as weak the words that several differently named
// products of one vendor in the advisory share ("CARESCAPE Central
// Station", "CARESCAPE Telemetry Server"): a family name says which line a
// device belongs to, not which product it is.
func applyFamilies(prods []*prodInfo) {
	names := map[string]map[string]bool{} // vendor + word → displays
	for _, p := range prods {
		if p == nil {
			continue
		}
		v := ""
		if len(p.vendorFolds) > 0 {
			v = p.vendorFolds[0]
		}
		for _, s := range p.slots {
			if s.kind != kWord {
				continue
			}
			k := v + "\x00" + s.alts[0]
			if names[k] == nil {
				names[k] = map[string]bool{}
			}
			names[k][fold(p.display)] = true
		}
	}
	for _, p := range prods {
		if p == nil {
			continue
		}
		v := ""
		if len(p.vendorFolds) > 0 {
			v = p.vendorFolds[0]
		}
		p.nReq = 0
		for i := range p.slots {
			s := &p.slots[i]
			if s.kind == kWord && len(names[v+"\x00"+s.alts[0]]) >= 2 {
				s.kind = kWeak
			}
			if s.kind == kWord {
				p.nReq++
			}
		}
	}
}

// itemHit reports whether the group is the variant an item names: an item
// with model numbers when it has all of them ("3005 S3"), an item of words
// when it has all of them, weak ones included ("CoaguChek XS Pro" is not a
// "CoaguChek XS").
func (g *group) itemHit(it []slot) (hit, exact bool, tok string) {
	want := kWord
	for i := range it {
		if it[i].kind == kModel {
			want = kModel
		}
	}
	n := 0
	exact = true
	for i := range it {
		if it[i].kind != want && !(want == kWord && it[i].kind == kWeak) {
			continue
		}
		ok, ex, t := g.covers(&it[i])
		if !ok {
			return false, false, ""
		}
		exact = exact && ex
		if it[i].kind != kWeak {
			n++
			if tok == "" || it[i].kind == kModel {
				tok = t
			}
		}
	}
	return n > 0, exact, tok
}

// coversItem reports whether the group has every word and model number of
// an excluded item; model ranges and weak words are ignored, so "Venue 40
// R1-3" excludes a "Venue 40".
func (g *group) coversItem(it []slot) bool {
	n := 0
	for i := range it {
		if it[i].kind == kWeak || it[i].rng != nil {
			continue
		}
		if ok, _, _ := g.covers(&it[i]); !ok {
			return false
		}
		n++
	}
	return n > 0
}

// evidence is what one product says about one device group.
type evidence struct {
	level   uint8 // 0 none, 1 partial (review), 2 strong
	conf    float64
	mfrConf float64
	why     string
	variant bool // identity came from the version field, which then means "all versions"
}

const (
	levelNone uint8 = iota
	levelPartial
	levelStrong
)

// compare decides how well a product names a device group.
func (e *Engine) compare(pi *prodInfo, g *group) evidence {
	mconf, mwhy := pi.manufacturer(g)
	if mconf == 0 {
		return evidence{}
	}
	for _, it := range pi.negative {
		if g.coversItem(it) {
			return evidence{}
		}
	}
	if d, ok := e.decisions[decisionKey(g.mfrNorm, g.model, pi.key)]; ok {
		if !d.Confirmed {
			return evidence{}
		}
		who := ""
		if d.By != "" {
			who = " by " + d.By
		}
		return evidence{level: levelStrong, conf: 1, mfrConf: 1,
			why: fmt.Sprintf("analyst%s confirmed %s %s is %q", who, g.mfrNorm, g.model, pi.display)}
	}

	// Models.
	hit, exact := false, false
	hitTok := ""
	for _, list := range [][]slot{pi.slots, pi.extra} {
		for i := range list {
			s := &list[i]
			if s.kind != kModel {
				continue
			}
			if ok, ex, t := g.covers(s); ok && (!hit || ex && !exact) {
				hit, exact, hitTok = true, ex, t
			}
		}
	}
	devModels := len(g.modelToks) > 0
	// Words.
	covered, wcov, wtot := 0, 0, 0
	var shared []string
	for i := range pi.slots {
		s := &pi.slots[i]
		switch s.kind {
		case kWord:
			if ok, _, t := g.covers(s); ok {
				covered++
				shared = append(shared, t)
			}
		case kWeak:
			wtot++
			if ok, _, _ := g.covers(s); ok {
				wcov++
			}
		}
	}
	nameCov := 1.0
	if pi.nReq > 0 {
		nameCov = float64(covered) / float64(pi.nReq)
	} else if wtot > 0 && !pi.hasModel {
		nameCov = float64(wcov) / float64(wtot)
	}
	// Variants named in the version field.
	vHit, vExact, vTok := false, false, ""
	if pi.variantMode {
		for _, it := range pi.items {
			if ok, ex, t := g.itemHit(it); ok && (!vHit || ex && !vExact) {
				vHit, vExact, vTok = true, ex, t
			}
		}
	}
	// Model codes of the device the product does not mention.
	devExtra := false
	for _, t := range g.modelToks {
		if !pi.mentions(t) {
			devExtra = true
			break
		}
	}
	// Words of the device model the product does not have ("Gateway" in
	// "Alaris Gateway Workstation"): a bare model number names nothing else.
	devWords := 0
	for _, w := range g.modelWords {
		if !pi.names(w) {
			devWords++
		}
	}
	conflict := pi.hasModel && devModels && !hit
	if pi.variantMode && pi.modelishItems && devModels && !vHit && !hit {
		conflict = true
	}
	if conflict && !vHit {
		return evidence{}
	}
	ev := evidence{mfrConf: mconf}
	nameHas := len(pi.slots) > 0
	switch {
	case hit && (nameCov >= 0.5 || pi.nReq == 0) && (exact || covered+wcov > 0):
		ev.level, ev.conf = levelStrong, 0.95
		if !exact {
			ev.conf = 0.9
		}
		ev.why = fmt.Sprintf("model %s in %q", hitTok, pi.display)
	case hit && exact && devWords == 0:
		ev.level, ev.conf = levelStrong, 0.9
		ev.why = fmt.Sprintf("model %s in %q", hitTok, pi.display)
	case vHit && (nameCov >= 0.5 || pi.nReq == 0 || !nameHas):
		ev.level, ev.conf, ev.variant = levelStrong, 0.85, true
		ev.why = fmt.Sprintf("%s listed in %q of %q", vTok, pi.vtext, pi.display)
	case pi.nReq == 0 && !pi.hasModel && wtot > 0 && nameCov >= 0.75:
		ev.level, ev.conf = levelStrong, 0.8
		ev.why = fmt.Sprintf("product %q", pi.display)
	case pi.nReq > 0 && nameCov == 1 && pi.strongModel && !devModels:
		// "IntelliVue" against "IntelliVue MX400-MX850": which model is it?
		ev.level, ev.conf = levelPartial, 0.5
		ev.why = fmt.Sprintf("product %q (%s), but the device record names no model number", pi.display, strings.Join(shared, ", "))
	case pi.nReq > 0 && nameCov == 1:
		ev.level, ev.conf = levelStrong, 0.9
		if devExtra {
			ev.conf = 0.85
		}
		ev.why = fmt.Sprintf("product %q (%s)", pi.display, strings.Join(shared, ", "))
	case hit && (exact || covered+wcov > 0):
		ev.level, ev.conf = levelPartial, 0.5
		ev.why = fmt.Sprintf("model %s in %q, other name words differ", hitTok, pi.display)
	case vHit && vExact:
		ev.level, ev.conf, ev.variant = levelPartial, 0.5, true
		ev.why = fmt.Sprintf("%s listed in %q of %q, name differs", vTok, pi.vtext, pi.display)
	case nameCov >= 0.5 && covered > 0 && !devExtra:
		ev.level, ev.conf = levelPartial, 0.4
		ev.why = fmt.Sprintf("partly named by %q (%s)", pi.display, strings.Join(shared, ", "))
	default:
		return evidence{}
	}
	if vHit && !ev.variant {
		ev.variant = true
		ev.why += fmt.Sprintf(", %s listed in %q", vTok, pi.vtext)
	}
	ev.why = mwhy + "; " + ev.why
	return ev
}

// mentions reports whether the product names a device model token.
func (pi *prodInfo) mentions(t string) bool {
	ct := core(t)
	for _, list := range [][]slot{pi.slots, pi.extra} {
		for _, s := range list {
			if s.rng != nil && s.rng.contains(t) {
				return true
			}
			for _, a := range s.alts {
				if a == t || (ct != "" && core(a) == ct) {
					return true
				}
			}
		}
	}
	for _, it := range pi.items {
		for _, s := range it {
			for _, a := range s.alts {
				if a == t || (ct != "" && core(a) == ct) {
					return true
				}
			}
		}
	}
	return false
}

// names reports whether t is one of the product name's tokens.
func (pi *prodInfo) names(t string) bool {
	for _, s := range pi.slots {
		for _, a := range s.alts {
			if a == t {
				return true
			}
		}
	}
	return false
}
