package advisory

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aceso-health/aceso/internal/inventory"
)

var (
	branchCategories = []string{"architecture", "host_name", "language", "legacy", "patch_level", "product_family",
		"product_name", "product_version", "product_version_range", "service_pack", "specification", "vendor"}
	relationshipCategories = []string{"default_component_of", "external_component_of", "installed_on",
		"installed_with", "optional_component_of"}
)

// branchCtx is what the branch path above a product says about it.
type branchCtx struct {
	vendor  string
	family  string // product_family names joined with " / "
	name    string
	version string
	isRange bool
}

// productTree flattens the tree into a.Products: branches first, then
// full_product_names, then relationships (which refer to the former).
func (p *parser) productTree(t *rawProductTree) {
	if t == nil {
		return
	}
	n := len(t.FullProductNames) + len(t.Relationships)
	for i := range t.Branches {
		n += countProducts(&t.Branches[i])
	}
	p.a.Products = make([]Product, 0, n)
	p.a.index = make(map[string]int, n)
	path := make([]int, 0, 8)
	for i := range t.Branches {
		p.branch(&t.Branches[i], branchCtx{}, append(path, i))
	}
	for i := range t.FullProductNames {
		fp := &t.FullProductNames[i]
		p.addProduct(func() string { return fmt.Sprintf("product_tree.full_product_names[%d]", i) }, fp, Product{})
	}
	for i := range t.ProductGroups {
		g := &t.ProductGroups[i]
		if g.GroupID == "" {
			p.warnf("product_tree.product_groups[%d].group_id: missing", i)
			continue
		}
		if p.a.Groups == nil {
			p.a.Groups = make(map[string][]string, len(t.ProductGroups))
		}
		if _, dup := p.a.Groups[g.GroupID]; dup {
			p.warnf("product_tree.product_groups[%d].group_id: duplicate %q", i, g.GroupID)
		}
		p.a.Groups[g.GroupID] = append(p.a.Groups[g.GroupID], g.ProductIDs...)
	}
	for i := range t.Relationships {
		p.relationship(i, &t.Relationships[i])
	}
}

// countProducts counts the products under b so that Products and the index
// are allocated once.
func countProducts(b *rawBranch) int {
	n := 0
	if b.Product != nil {
		n++
	}
	for i := range b.Branches {
		n += countProducts(&b.Branches[i])
	}
	return n
}

func branchPath(path []int) string {
	var b strings.Builder
	b.WriteString("product_tree")
	for _, i := range path {
		b.WriteString(".branches[")
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(']')
	}
	return b.String()
}

func (p *parser) branch(b *rawBranch, ctx branchCtx, path []int) {
	name := strings.TrimSpace(b.Name.S)
	// branchPath costs O(depth): build it only for a warning that is kept,
	// or a hostile deep tree makes the parse quadratic.
	if b.Name.Bad || b.Name.Coerced {
		if p.full() {
			p.dropped++
		} else {
			p.flex(branchPath(path)+".name", b.Name)
		}
	}
	if name == "" {
		if p.full() {
			p.dropped++
		} else {
			p.warnf("%s.name: missing", branchPath(path))
		}
	}
	switch b.Category {
	case "vendor":
		ctx.vendor = name
	case "product_family":
		if ctx.family == "" {
			ctx.family = name
		} else if name != "" {
			ctx.family += " / " + name
		}
	case "product_name":
		ctx.name = name
	case "product_version":
		ctx.version, ctx.isRange = name, false
	case "product_version_range":
		ctx.version, ctx.isRange = name, true
	default:
		if !slices.Contains(branchCategories, b.Category) {
			if p.full() {
				p.dropped++
			} else {
				p.enum(branchPath(path)+".category", b.Category, branchCategories)
			}
		}
	}
	if b.Product != nil {
		p.addProduct(func() string { return branchPath(path) + ".product" }, b.Product, Product{
			Vendor: ctx.vendor, Family: ctx.family, Name: ctx.name, Version: ctx.version, VersionIsRange: ctx.isRange,
		})
	}
	for i := range b.Branches {
		p.branch(&b.Branches[i], ctx, append(path, i))
	}
}

// addProduct completes pr from the full product name fp and appends it,
// unless its id is missing or already taken (the first definition wins).
func (p *parser) addProduct(field func() string, fp *rawFullProduct, pr Product) *Product {
	pr.ID = strings.TrimSpace(fp.ProductID.S)
	if fp.ProductID.Bad || fp.ProductID.Coerced {
		p.flex(field()+".product_id", fp.ProductID)
	}
	if pr.ID == "" {
		p.warnf("%s.product_id: missing, product %q skipped", field(), fp.Name)
		return nil
	}
	if _, dup := p.a.index[pr.ID]; dup {
		p.warnf("%s.product_id: duplicate %q, first definition kept", field(), pr.ID)
		return nil
	}
	pr.FullName = strings.TrimSpace(fp.Name)
	if pr.FullName == "" {
		p.warnf("%s.name: missing", field())
	}
	var models modelSet
	p.complete(&pr, fp.Helper, &models)
	pr.Models = models.out
	p.a.index[pr.ID] = len(p.a.Products)
	p.a.Products = append(p.a.Products, pr)
	return &p.a.Products[len(p.a.Products)-1]
}

// complete fills what the branch path left empty from the product's name
// text, normalises the vendor, copies the identification helper and
// collects model numbers into models.
func (p *parser) complete(pr *Product, h *rawHelper, models *modelSet) {
	head, tail := splitNameVersion(pr.FullName)
	if pr.Vendor == "" || pr.Name == "" {
		vendor, rest := p.vendorPrefix(head)
		if pr.Vendor == "" {
			pr.Vendor = vendor
		}
		if pr.Name == "" {
			pr.Name = rest
		}
	}
	if pr.Version == "" && tail != "" {
		pr.Version, pr.VersionIsRange = versionFromText(tail)
	}
	pr.VendorNorm = p.normVendor(pr.Vendor)
	models.skip = p.vendorSkip(pr.Vendor, pr.VendorNorm)
	if h != nil {
		pr.CPE = strings.TrimSpace(h.CPE)
		if h.PURL != "" {
			pr.PURLs = append(pr.PURLs, h.PURL)
		}
		pr.PURLs = append(pr.PURLs, h.PURLs...)
		pr.SKUs = append(pr.SKUs, h.SKUs...)
		pr.Serials = append(pr.Serials, h.SerialNumbers...)
		for _, hs := range h.Hashes {
			for _, fh := range hs.FileHashes {
				if fh.Value != "" {
					pr.Hashes = append(pr.Hashes, strings.ToLower(fh.Algorithm)+":"+fh.Value)
				}
			}
		}
		for _, m := range h.ModelNumbers {
			models.addExplicit(m)
		}
	}
	if pr.Family != "" {
		models.addFrom(pr.Family)
	}
	// The name branch usually repeats the head of the full name: scan once.
	if pr.Name != "" && pr.Name != head {
		// CISA sometimes writes the version clause into the product_name branch too
		if name, _ := splitNameVersion(pr.Name); name != head {
			models.addFrom(name)
		}
	}
	models.addFrom(head)
}

// normVendor normalises a vendor name once per document.
func (p *parser) normVendor(v string) string {
	if v == "" {
		return ""
	}
	if n, ok := p.vendors[v]; ok {
		return n
	}
	if p.vendors == nil {
		p.vendors = make(map[string]string, 2)
	}
	n := inventory.NormaliseManufacturer(v)
	p.vendors[v] = n
	return n
}

// vendorSkip returns vendorWords of a vendor once per document.
func (p *parser) vendorSkip(vendor, norm string) map[string]bool {
	if vendor == "" && norm == "" {
		return nil
	}
	key := vendor + "\x00" + norm
	if m, ok := p.skips[key]; ok {
		return m
	}
	if p.skips == nil {
		p.skips = make(map[string]map[string]bool, 2)
	}
	m := vendorWords(vendor, norm)
	p.skips[key] = m
	return m
}

// vendorWords are the upper-cased words of the vendor's names, which must not
// be taken for model codes ("BIOTRONIK", "BD" in "BD Alaris").
func vendorWords(names ...string) map[string]bool {
	var m map[string]bool
	for _, n := range names {
		for _, w := range strings.FieldsFunc(n, func(r rune) bool { return r < 0x80 && isModelSeparator(byte(r)) }) {
			if m == nil {
				m = make(map[string]bool, 4)
			}
			m[strings.ToUpper(strings.Trim(w, ".,"))] = true
		}
	}
	return m
}

// corporateWords may follow a known vendor name and still belong to it
// ("GE Healthcare", "Philips Medical Systems").
var corporateWords = toSet("HEALTHCARE", "MEDICAL", "SYSTEMS", "SYSTEM", "INC", "INC.", "CORP", "CORP.", "CORPORATION",
	"LTD", "LTD.", "GMBH", "AG", "CO", "CO.", "COMPANY", "TECHNOLOGIES", "TECHNOLOGY", "DIAGNOSTICS", "INTERNATIONAL",
	"HEALTH", "LLC", "SE", "AB", "NV", "N.V.", "BV", "B.V.", "PLC", "SOLUTIONS", "LABORATORIES", "LIFE", "SCIENCES")

// vendorPrefix finds a known manufacturer at the start of a product name
// ("BD Alaris PC Unit" → "BD", "Alaris PC Unit") so that documents with only
// full_product_names still give a vendor. Unknown leading words are left in
// the name: guessing a vendor wrongly would hide the product from matching.
func (p *parser) vendorPrefix(head string) (vendor, rest string) {
	words := strings.Fields(head)
	for n := 1; n <= 3 && n < len(words); n++ {
		prefix := strings.Join(words[:n], " ")
		canon, known := knownVendor(prefix)
		if !known {
			continue
		}
		// A brand that is also an alias ("Alaris" → Becton Dickinson) stays
		// in the product name; acronyms and the canonical name are removed.
		canonWords := vendorWords(canon)
		first := words[0]
		if !canonWords[strings.ToUpper(first)] && (len(first) > 4 || strings.ToUpper(first) != first) {
			return prefix, head
		}
		for n < len(words)-1 {
			w := strings.ToUpper(strings.Trim(words[n], ",()"))
			if !canonWords[w] && !corporateWords[w] {
				break
			}
			n++
		}
		return strings.Join(words[:n], " "), strings.Join(words[n:], " ")
	}
	return "", head
}

// knownVendor reports whether name is in the manufacturer alias table. The
// table returns unknown names cleaned but with their case kept, so a
// lower-cased name that comes back different was found.
func knownVendor(name string) (string, bool) {
	low := strings.ToLower(name)
	canon := inventory.NormaliseManufacturer(low)
	return canon, canon != "" && canon != strings.Join(strings.Fields(low), " ")
}

// splitNameVersion splits "BD Alaris PC Unit Model 8015: Versions 9.33.1 and
// earlier" into the product part and the version part ("" when none).
func splitNameVersion(s string) (head, tail string) {
	if i := strings.IndexByte(s, ':'); i > 0 && !strings.HasPrefix(s[i:], "://") {
		return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
	}
	low := strings.ToLower(s)
	best := -1
	for _, kw := range []string{" all versions", " versions ", " version ", " prior to ", " before ", " earlier than ",
		" up to ", " <", " >", " ≤"} {
		if i := strings.Index(low, kw); i > 0 && (best < 0 || i < best) {
			best = i
		}
	}
	if best > 0 {
		return strings.TrimSpace(s[:best]), strings.TrimSpace(s[best:])
	}
	for _, kw := range []string{" and earlier", " and prior", " or earlier", " and older", " and below", " or lower",
		" and later", " and newer", " or later", " and above", " or higher"} {
		if i := strings.Index(low, kw); i > 0 {
			// the version is the last word before the phrase
			if j := strings.LastIndexByte(s[:i], ' '); j > 0 {
				return strings.TrimSpace(s[:j]), strings.TrimSpace(s[j:])
			}
		}
	}
	return s, ""
}

// versionFromText turns the version part of a product name into the range
// syntax that branches use ("<= 9.33.1", "< 4.2", "vers:all/*"), or returns
// it as written, marked as a range unless it is one plain version.
func versionFromText(t string) (string, bool) {
	low := strings.ToLower(t)
	for _, w := range []string{"versions", "version", "ver.", "ver", "firmware", "software", ":"} {
		if strings.HasPrefix(low, w) {
			t, low = strings.TrimSpace(t[len(w):]), strings.TrimSpace(low[len(w):])
		}
	}
	if t == "" {
		return "", false
	}
	if low == "all" || strings.HasPrefix(low, "all versions") || low == "all versions" {
		return "vers:all/*", true
	}
	v := firstVersionToken(t)
	switch {
	case v == "":
		return t, true
	case hasAny(low, "prior to", "before", "earlier than", "lower than", "below", "older than", "<") && !strings.Contains(low, "<="):
		return "< " + v, true
	case hasAny(low, "and earlier", "and prior", "or earlier", "and older", "and below", "or lower", "up to", "through", "<=", "≤"):
		return "<= " + v, true
	case hasAny(low, "and later", "or later", "and newer", "and above", "or higher", ">="):
		return ">= " + v, true
	case v == strings.TrimSpace(t):
		return v, false
	}
	return t, true
}

func hasAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// firstVersionToken returns the first word of t that holds a digit.
func firstVersionToken(t string) string {
	for _, f := range strings.FieldsFunc(t, func(r rune) bool {
		return r == ' ' || r == ',' || r == ';' || r == '<' || r == '=' || r == '>' || r == '≤' || r == '(' || r == ')'
	}) {
		if strings.ContainsAny(f, "0123456789") {
			return strings.TrimRight(f, ".")
		}
	}
	return ""
}

// relationship adds the product a relationship defines, taking vendor,
// family, name and version from its product_reference.
func (p *parser) relationship(i int, r *rawRelationship) {
	field := func() string { return fmt.Sprintf("product_tree.relationships[%d]", i) }
	if !slices.Contains(relationshipCategories, r.Category) {
		p.enum(field()+".category", r.Category, relationshipCategories)
	}
	if r.FullProductName == nil {
		p.warnf("%s.full_product_name: missing", field())
		return
	}
	var ref, target *Product
	if idx, ok := p.a.index[r.ProductReference]; ok {
		ref = &p.a.Products[idx]
	} else {
		p.warnf("%s.product_reference: unknown product_id %q", field(), r.ProductReference)
	}
	if idx, ok := p.a.index[r.RelatesTo]; ok {
		target = &p.a.Products[idx]
	} else {
		p.warnf("%s.relates_to_product_reference: unknown product_id %q", field(), r.RelatesTo)
	}
	pr := Product{RelCategory: r.Category, RelProduct: r.ProductReference, RelTarget: r.RelatesTo}
	var refModels, targetModels []string
	if ref != nil {
		pr.Vendor, pr.Family, pr.Name, pr.Version, pr.VersionIsRange = ref.Vendor, ref.Family, ref.Name, ref.Version, ref.VersionIsRange
		refModels = ref.Models
	}
	if target != nil {
		targetModels = target.Models
	}
	added := p.addProduct(func() string { return field() + ".full_product_name" }, r.FullProductName, pr)
	if added == nil {
		return
	}
	// The component's and the host's models both identify the pair.
	var ms modelSet
	for _, list := range [][]string{added.Models, refModels, targetModels} {
		for _, m := range list {
			ms.add(m)
		}
	}
	added.Models = ms.out
}
