package share

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/version"
)

// The authoring model lives beside the CSAF writer on purpose: every rule a
// draft is checked against (labels CSAF 2.0 can carry, CVE/CWE/CPE/purl
// formats, absolute URLs, CVSS vectors) is the writer's own rule, so an
// accepted draft always gives a schema-valid document.

// Draft is an advisory as a CSIRT analyst writes it from scratch: plain
// fields instead of CSAF's product tree. Products are named by Ref in the
// vulnerabilities' status and in remediations. A draft may be saved
// incomplete (CheckLimits); Validate decides whether it can be published.
type Draft struct {
	Title           string                `json:"title"`
	TLP             string                `json:"tlp"` // TLP:CLEAR, TLP:GREEN, TLP:AMBER or TLP:RED
	Summary         string                `json:"summary"`
	Details         string                `json:"details,omitempty"`
	Products        []DraftProduct        `json:"products"`
	Vulnerabilities []DraftVulnerability  `json:"vulnerabilities"`
	Remediations    []DraftRemediation    `json:"remediations,omitempty"`
	References      []DraftReference      `json:"references,omitempty"`
	Acknowledgments []DraftAcknowledgment `json:"acknowledgments,omitempty"`
}

// DraftProduct is one affected product line: vendor, product name and the
// affected versions as internal/version reads them ("<= 2.3.5", "2.x",
// "vers:generic/>=1.0|<2.0", "prior to 2.4", "all" or one version).
type DraftProduct struct {
	Ref     string   `json:"ref"` // "P1"; assigned by Normalise when empty
	Vendor  string   `json:"vendor"`
	Name    string   `json:"name"`
	Version string   `json:"version"`
	Fixed   string   `json:"fixed,omitempty"` // first fixed version, optional
	CPE     string   `json:"cpe,omitempty"`
	PURL    string   `json:"purl,omitempty"`
	Models  []string `json:"models,omitempty"` // model numbers ("8015")
}

// DraftVulnerability is one vulnerability and the status of each product.
type DraftVulnerability struct {
	CVE         string            `json:"cve,omitempty"`
	Title       string            `json:"title,omitempty"`
	CWE         string            `json:"cwe,omitempty"`      // "CWE-798"
	CWEName     string            `json:"cwe_name,omitempty"` // the CWE's official name (CSAF 6.1.11)
	CVSS3       string            `json:"cvss_v3,omitempty"`  // "CVSS:3.1/AV:N/…"
	CVSS4       string            `json:"cvss_v4,omitempty"`  // "CVSS:4.0/AV:N/…"
	Description string            `json:"description"`
	Status      map[string]string `json:"status"` // product ref → one of DraftStatuses
}

// DraftRemediation is advice for some products; it is attached to every
// vulnerability in which one of them is known_affected.
type DraftRemediation struct {
	Category string   `json:"category"` // one of DraftRemediationCategories
	Details  string   `json:"details"`
	URL      string   `json:"url,omitempty"`
	Products []string `json:"products"` // product refs
}

// DraftReference is a link for readers.
type DraftReference struct {
	URL     string `json:"url"`
	Summary string `json:"summary,omitempty"`
}

// DraftAcknowledgment credits the people or organisation who helped.
type DraftAcknowledgment struct {
	Names        []string `json:"names,omitempty"`
	Organization string   `json:"organization,omitempty"`
	Summary      string   `json:"summary,omitempty"`
	URLs         []string `json:"urls,omitempty"`
}

// DraftStatuses are the product statuses an author chooses from.
var DraftStatuses = []string{advisory.StatusKnownAffected, advisory.StatusFixed, advisory.StatusKnownNotAffected}

// DraftRemediationCategories are the CSAF 2.0 remediation categories.
var DraftRemediationCategories = []string{advisory.RemediationVendorFix, advisory.RemediationMitigation,
	advisory.RemediationWorkaround, advisory.RemediationNoFixPlanned, advisory.RemediationNoneAvailable}

// DraftLabels are the labels an authored advisory may carry: CSAF 2.0 has
// no AMBER+STRICT (see CSAFLabel).
var DraftLabels = []TLP{TLPClear, TLPGreen, TLPAmber, TLPRed}

// Limits of a draft, checked at every save: a draft is a form, not a
// bulk format.
const (
	draftMaxProducts     = 200
	draftMaxVulns        = 100
	draftMaxRemediations = 200
	draftMaxReferences   = 100
	draftMaxAcks         = 50
	draftMaxList         = 50    // models, names, urls, remediation products
	draftMaxShort        = 500   // names, versions, identifiers, URLs (bytes)
	draftMaxTitle        = 300   // characters
	draftMaxText         = 20000 // summary, details, descriptions (bytes)
)

var (
	refRe     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,31}$`)
	cweDigits = regexp.MustCompile(`^[0-9]+$`)
)

const (
	fixedSuffix   = ".fixed" // refs cannot hold a dot, so a fixed sibling's id never collides with a ref
	problemsShown = 20       // problems named in one error message
)

// Normalise trims every field, canonicalises the label, CVE and CWE
// spellings, drops empty list items and status entries, and gives every
// product without a ref the first free "P<n>" (n from its position).
func (d *Draft) Normalise() {
	t := strings.TrimSpace
	d.Title, d.Summary, d.Details = t(d.Title), t(d.Summary), t(d.Details)
	if l, err := ParseTLP(d.TLP); err == nil {
		d.TLP = l.String()
	} else {
		d.TLP = t(d.TLP)
	}
	taken := map[string]bool{}
	for i := range d.Products {
		p := &d.Products[i]
		p.Ref, p.Vendor, p.Name, p.Version, p.Fixed, p.CPE, p.PURL = t(p.Ref), t(p.Vendor), t(p.Name), t(p.Version), t(p.Fixed), t(p.CPE), t(p.PURL)
		p.Models = trimList(p.Models)
		if p.Ref != "" {
			taken[strings.ToUpper(p.Ref)] = true
		}
	}
	for i := range d.Products {
		p := &d.Products[i]
		for n := i + 1; p.Ref == ""; n++ {
			if r := "P" + strconv.Itoa(n); !taken[r] {
				p.Ref, taken[r] = r, true
			}
		}
	}
	for i := range d.Vulnerabilities {
		v := &d.Vulnerabilities[i]
		v.CVE, v.Title, v.CWE, v.CWEName = strings.ToUpper(t(v.CVE)), t(v.Title), strings.ToUpper(t(v.CWE)), t(v.CWEName)
		if cweDigits.MatchString(v.CWE) {
			v.CWE = "CWE-" + v.CWE
		}
		v.CVSS3, v.CVSS4, v.Description = t(v.CVSS3), t(v.CVSS4), t(v.Description)
		st := map[string]string{}
		for ref, s := range v.Status {
			if ref, s = t(ref), t(s); ref != "" && s != "" {
				st[ref] = s
			}
		}
		v.Status = st
	}
	for i := range d.Remediations {
		r := &d.Remediations[i]
		r.Category, r.Details, r.URL, r.Products = t(r.Category), t(r.Details), t(r.URL), trimList(r.Products)
	}
	for i := range d.References {
		r := &d.References[i]
		r.URL, r.Summary = t(r.URL), t(r.Summary)
	}
	for i := range d.Acknowledgments {
		a := &d.Acknowledgments[i]
		a.Names, a.Organization, a.Summary, a.URLs = trimList(a.Names), t(a.Organization), t(a.Summary), trimList(a.URLs)
	}
}

// ValidDraftRef reports whether ref may name a product: a letter, then
// letters, digits, '_' or '-' (at most 32).
func ValidDraftRef(ref string) bool { return refRe.MatchString(ref) }

// trimList trims items and drops empty ones and repeats.
func trimList(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// problems collects messages that name the field, "products[2].version: …".
type problems []string

func (ps *problems) add(field, format string, args ...any) {
	*ps = append(*ps, field+": "+fmt.Sprintf(format, args...))
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	shown := ps
	if len(shown) > problemsShown {
		shown = shown[:problemsShown]
	}
	msg := strings.Join(shown, "; ")
	if len(ps) > len(shown) {
		msg += fmt.Sprintf("; and %d more", len(ps)-len(shown))
	}
	return aceso.Errorf(aceso.EINVALID, "%s", msg)
}

// CheckLimits returns an EINVALID error naming the first fields over the
// limits of a draft (counts and lengths); it is what any save needs. A
// draft within them may still be incomplete: see Validate.
func (d *Draft) CheckLimits() error {
	var ps problems
	d.limits(&ps)
	return ps.err()
}

func (d *Draft) limits(ps *problems) {
	text := func(field, s string, max int) {
		if len(s) > max {
			ps.add(field, "%d bytes; at most %d are allowed", len(s), max)
		}
	}
	count := func(field string, n, max int) bool {
		if n > max {
			ps.add(field, "%d entries; at most %d are allowed", n, max)
			return false
		}
		return true
	}
	list := func(field string, l []string) {
		if count(field, len(l), draftMaxList) {
			for i, s := range l {
				text(fmt.Sprintf("%s[%d]", field, i), s, draftMaxShort)
			}
		}
	}
	if n := utf8.RuneCountInString(d.Title); n > draftMaxTitle {
		ps.add("title", "%d characters; at most %d are allowed", n, draftMaxTitle)
	}
	text("tlp", d.TLP, 40)
	text("summary", d.Summary, draftMaxText)
	text("details", d.Details, draftMaxText)
	if count("products", len(d.Products), draftMaxProducts) {
		for i, p := range d.Products {
			f := fmt.Sprintf("products[%d]", i)
			for _, x := range []struct{ name, v string }{{"ref", p.Ref}, {"vendor", p.Vendor}, {"name", p.Name}, {"version", p.Version},
				{"fixed", p.Fixed}, {"cpe", p.CPE}, {"purl", p.PURL}} {
				text(f+"."+x.name, x.v, draftMaxShort)
			}
			list(f+".models", p.Models)
		}
	}
	if count("vulnerabilities", len(d.Vulnerabilities), draftMaxVulns) {
		for i, v := range d.Vulnerabilities {
			f := fmt.Sprintf("vulnerabilities[%d]", i)
			for _, x := range []struct{ name, v string }{{"cve", v.CVE}, {"title", v.Title}, {"cwe", v.CWE}, {"cwe_name", v.CWEName},
				{"cvss_v3", v.CVSS3}, {"cvss_v4", v.CVSS4}} {
				text(f+"."+x.name, x.v, draftMaxShort)
			}
			text(f+".description", v.Description, draftMaxText)
			if count(f+".status", len(v.Status), draftMaxProducts) {
				for ref, s := range v.Status {
					if len(ref) > draftMaxShort || len(s) > draftMaxShort {
						ps.add(f+".status", "an entry is longer than %d bytes", draftMaxShort)
						break
					}
				}
			}
		}
	}
	if count("remediations", len(d.Remediations), draftMaxRemediations) {
		for i, r := range d.Remediations {
			f := fmt.Sprintf("remediations[%d]", i)
			text(f+".category", r.Category, draftMaxShort)
			text(f+".details", r.Details, draftMaxText)
			text(f+".url", r.URL, draftMaxShort)
			if count(f+".products", len(r.Products), draftMaxProducts) {
				for j, s := range r.Products {
					text(fmt.Sprintf("%s.products[%d]", f, j), s, draftMaxShort)
				}
			}
		}
	}
	if count("references", len(d.References), draftMaxReferences) {
		for i, r := range d.References {
			f := fmt.Sprintf("references[%d]", i)
			text(f+".url", r.URL, draftMaxShort)
			text(f+".summary", r.Summary, draftMaxShort)
		}
	}
	if count("acknowledgments", len(d.Acknowledgments), draftMaxAcks) {
		for i, a := range d.Acknowledgments {
			f := fmt.Sprintf("acknowledgments[%d]", i)
			list(f+".names", a.Names)
			list(f+".urls", a.URLs)
			text(f+".organization", a.Organization, draftMaxShort)
			text(f+".summary", a.Summary, draftMaxText)
		}
	}
}

// Problems lists everything that keeps the draft from being published,
// each naming its field; empty when it can be published. Call Normalise
// first: the checks read trimmed fields.
func (d *Draft) Problems() []string {
	var ps problems
	d.limits(&ps)
	if len(ps) > 0 {
		return ps // checking the content of an oversized draft is wasted work
	}
	if d.Title == "" {
		ps.add("title", "required")
	}
	if d.TLP == "" {
		ps.add("tlp", "required: one of TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:RED")
	} else if l, err := ParseTLP(d.TLP); err != nil {
		ps.add("tlp", "%q is not one of TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:RED", d.TLP)
	} else if _, ok := CSAFLabel(l); !ok {
		ps.add("tlp", "%s has no CSAF 2.0 label; choose TLP:AMBER or TLP:RED", l)
	}
	if d.Summary == "" {
		ps.add("summary", "required")
	}
	refs := d.products(&ps)
	d.vulnerabilities(&ps, refs)
	d.remediations(&ps, refs)
	for i, r := range d.References {
		if !isAbsURL(r.URL) {
			ps.add(fmt.Sprintf("references[%d].url", i), "%q is not an absolute http(s) URL", r.URL)
		}
	}
	for i, a := range d.Acknowledgments {
		f := fmt.Sprintf("acknowledgments[%d]", i)
		if len(a.Names) == 0 && a.Organization == "" && a.Summary == "" {
			ps.add(f, "give names, an organisation or a summary")
		}
		for j, u := range a.URLs {
			if !isAbsURL(u) {
				ps.add(fmt.Sprintf("%s.urls[%d]", f, j), "%q is not an absolute http(s) URL", u)
			}
		}
	}
	return ps
}

// Validate returns nil when the draft can be published, otherwise an
// EINVALID error listing the problems (see Problems).
func (d *Draft) Validate() error {
	return problems(d.Problems()).err()
}

// products checks the products and returns their refs.
func (d *Draft) products(ps *problems) map[string]bool {
	refs := map[string]bool{}
	upper := map[string]bool{}
	if len(d.Products) == 0 {
		ps.add("products", "name at least one product")
	}
	for i, p := range d.Products {
		f := fmt.Sprintf("products[%d]", i)
		switch {
		case !refRe.MatchString(p.Ref):
			ps.add(f+".ref", "%q must start with a letter and hold only letters, digits, '_' and '-' (at most 32)", p.Ref)
		case upper[strings.ToUpper(p.Ref)]:
			ps.add(f+".ref", "%q is used by another product", p.Ref)
		}
		refs[p.Ref], upper[strings.ToUpper(p.Ref)] = true, true
		if p.Vendor == "" {
			ps.add(f+".vendor", "required")
		}
		if p.Name == "" {
			ps.add(f+".name", "required")
		}
		c := version.ParseConstraint(p.Version)
		switch {
		case p.Version == "":
			ps.add(f+".version", "required: the affected versions, e.g. '<= 2.3.5', '2.x', 'vers:generic/<2.4' or 'all'")
		case !c.Known():
			ps.add(f+".version", "%q is not a version or range Aceso can read; write e.g. '<= 2.3.5', '>= 1.0 | < 2.0', '2.x' or 'all'", p.Version)
		case c.Note() != "":
			ps.add(f+".version", "%q carries a condition (%q): keep versions here and put conditions in the summary or details", p.Version, c.Note())
		}
		if p.Fixed != "" {
			fc := version.ParseConstraint(p.Fixed)
			switch {
			case !exactVersion(p.Fixed, fc):
				ps.add(f+".fixed", "%q must be one version (the first fixed one), not a range", p.Fixed)
			case c.Known() && c.Contains(p.Fixed) == version.Yes:
				ps.add(f+".fixed", "%s lies inside the affected versions %q", p.Fixed, p.Version)
			}
		}
		if p.CPE != "" && !cpeRe.MatchString(p.CPE) {
			ps.add(f+".cpe", "%q is not a CPE 2.3 name (cpe:2.3:part:vendor:product:version:…) or a CPE 2.2 URI", p.CPE)
		}
		if p.PURL != "" && (!purlRe.MatchString(p.PURL) || !isAbsURLish(p.PURL)) {
			ps.add(f+".purl", "%q is not a package URL (pkg:type/namespace/name@version)", p.PURL)
		}
	}
	return refs
}

func (d *Draft) vulnerabilities(ps *problems, refs map[string]bool) {
	if len(d.Vulnerabilities) == 0 {
		ps.add("vulnerabilities", "describe at least one vulnerability")
	}
	cves := map[string]int{}
	for i, v := range d.Vulnerabilities {
		f := fmt.Sprintf("vulnerabilities[%d]", i)
		if v.CVE != "" {
			if !cveID.MatchString(v.CVE) {
				ps.add(f+".cve", "%q is not a CVE id (CVE-YYYY-NNNN)", v.CVE)
			} else if j, dup := cves[v.CVE]; dup {
				ps.add(f+".cve", "%s is described in vulnerabilities[%d] already (CSAF 6.1.23)", v.CVE, j)
			}
			cves[v.CVE] = i
		}
		if v.CVE == "" && v.Title == "" {
			ps.add(f+".title", "required when there is no CVE id")
		}
		switch {
		case v.CWE != "" && !cweID.MatchString(v.CWE):
			ps.add(f+".cwe", "%q is not a CWE id (CWE-NNN)", v.CWE)
		case v.CWE != "" && v.CWEName == "":
			ps.add(f+".cwe_name", "required with a CWE id: the CWE's official name, e.g. 'Use of Hard-coded Credentials'")
		case v.CWE == "" && v.CWEName != "":
			ps.add(f+".cwe", "required with a CWE name")
		}
		if v.CVSS3 != "" {
			if ver, _, _, err := CVSSScore(v.CVSS3); err != nil || ver == "4.0" {
				ps.add(f+".cvss_v3", "%q is not a valid CVSS v3.1 (or 3.0) vector", v.CVSS3)
			}
		}
		if v.CVSS4 != "" {
			if ver, _, _, err := CVSSScore(v.CVSS4); err != nil || ver != "4.0" {
				ps.add(f+".cvss_v4", "%q is not a valid CVSS v4.0 vector", v.CVSS4)
			}
		}
		if v.Description == "" {
			ps.add(f+".description", "required: say what the vulnerability is and what an attacker could do")
		}
		if len(v.Status) == 0 {
			ps.add(f+".status", "give at least one product the status known_affected, fixed or known_not_affected")
		}
		for _, ref := range sortedKeys(v.Status) {
			switch s := v.Status[ref]; {
			case !refs[ref]:
				ps.add(f+".status", "unknown product %q", ref)
			case !slices.Contains(DraftStatuses, s):
				ps.add(f+".status."+ref, "%q is not one of %s", s, strings.Join(DraftStatuses, ", "))
			}
		}
	}
}

func (d *Draft) remediations(ps *problems, refs map[string]bool) {
	for i, r := range d.Remediations {
		f := fmt.Sprintf("remediations[%d]", i)
		if !slices.Contains(DraftRemediationCategories, r.Category) {
			ps.add(f+".category", "%q is not one of %s", r.Category, strings.Join(DraftRemediationCategories, ", "))
		}
		if r.Details == "" {
			ps.add(f+".details", "required: what to do")
		}
		if r.URL != "" && !isAbsURL(r.URL) {
			ps.add(f+".url", "%q is not an absolute http(s) URL", r.URL)
		}
		if len(r.Products) == 0 {
			ps.add(f+".products", "name at least one product")
			continue
		}
		hits := false
		for _, ref := range r.Products {
			if !refs[ref] {
				ps.add(f+".products", "unknown product %q", ref)
			}
			for _, v := range d.Vulnerabilities {
				hits = hits || v.Status[ref] == advisory.StatusKnownAffected
			}
		}
		if !hits {
			ps.add(f+".products", "none of them is known_affected by any vulnerability, so the remediation would apply to nothing")
		}
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// exactVersion reports whether text is one plain version (not a range,
// list or wildcard): CSAF puts it in a product_version branch.
func exactVersion(text string, c version.Constraint) bool {
	return c.Known() && !c.All() && c.String() == "vers:generic/="+strings.TrimSpace(text)
}

// CVSSScore validates a CVSS v3.0, v3.1 or v4.0 vector and computes its
// base score and qualitative severity, so that authors never type a score
// that disagrees with the vector (CSAF 6.1.9).
func CVSSScore(vector string) (ver string, score float64, severity string, err error) {
	defer func() {
		if r := recover(); r != nil { // go-cvss should not panic; a draft must not take the server down
			ver, score, severity, err = "", 0, "", fmt.Errorf("cvss: %v", r)
		}
	}()
	switch {
	case strings.HasPrefix(vector, "CVSS:3.1/"), strings.HasPrefix(vector, "CVSS:3.0/"):
		ver = vector[5:8]
		if !validCVSS(ver, vector) {
			return "", 0, "", fmt.Errorf("cvss: %q is not a valid CVSS v%s vector", vector, ver)
		}
		score, err = cvss3Base(ver, vector)
	case strings.HasPrefix(vector, "CVSS:4.0/"):
		var c *gocvss40.CVSS40
		if c, err = gocvss40.ParseVector(vector); err == nil {
			ver, score = "4.0", math.Round(c.Score()*10)/10
		}
	default:
		err = fmt.Errorf("cvss: %q does not start with CVSS:3.1/, CVSS:3.0/ or CVSS:4.0/", vector)
	}
	if err != nil {
		return "", 0, "", err
	}
	return ver, score, cvssSeverity(score), nil
}

// cvss3Base computes the base score of a CVSS v3.0 or v3.1 vector.
func cvss3Base(ver, vector string) (float64, error) {
	if ver == "3.0" {
		c, err := gocvss30.ParseVector(vector)
		if err != nil {
			return 0, err
		}
		return c.BaseScore(), nil
	}
	c, err := gocvss31.ParseVector(vector)
	if err != nil {
		return 0, err
	}
	return c.BaseScore(), nil
}

// cvssSeverity is the CVSS v3/v4 qualitative rating of a base score.
func cvssSeverity(score float64) string {
	switch {
	case score >= 9:
		return "CRITICAL"
	case score >= 7:
		return "HIGH"
	case score >= 4:
		return "MEDIUM"
	case score > 0:
		return "LOW"
	}
	return "NONE"
}

// TrackingPrefix derives the tracking id prefix of authored advisories
// from the CSIRT's name: its ASCII letters and digits, upper case, words
// joined by "-" ("Health CERT" → "HEALTH-CERT"); "ACESO" when nothing is left.
func TrackingPrefix(name string) string {
	words := strings.FieldsFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
	p := strings.ToUpper(strings.Join(words, "-"))
	if len(p) > 24 {
		p = strings.TrimRight(p[:24], "-")
	}
	if p == "" {
		return "ACESO"
	}
	return p
}

// TrackingID is "<PREFIX>-<YEAR>-<NNNN>", e.g. "ACESO-2026-0001".
func TrackingID(prefix string, year int, n int64) string {
	return fmt.Sprintf("%s-%d-%04d", prefix, year, n)
}

// Release is what publication adds to a draft: the tracking id the store
// allocated, the publisher (the CSIRT's name) and the revision history,
// oldest first, whose last entry is the revision being published.
type Release struct {
	TrackingID string
	Publisher  string
	History    []advisory.Revision
}

// Advisory turns a valid draft into the advisory Aceso stores, matches and
// serves: status final, version and dates from the history (initial = first
// entry, current = last). A product with a fixed version gets a sibling
// product "<ref>.fixed" at that version, listed as fixed wherever the
// product is known_affected, so receivers' matchers see the fix too.
func (d *Draft) Advisory(rel Release) (*advisory.Advisory, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(rel.TrackingID) != rel.TrackingID || rel.TrackingID == "" || strings.TrimSpace(rel.Publisher) == "" || len(rel.History) == 0 {
		return nil, aceso.Errorf(aceso.EINVALID, "advisory draft: a release needs a tracking id, a publisher and a revision history")
	}
	last := rel.History[len(rel.History)-1]
	tlp, _ := ParseTLP(d.TLP)
	a := &advisory.Advisory{ID: rel.TrackingID, Title: d.Title, Publisher: rel.Publisher, TLP: tlp.String(),
		InitialRelease: rel.History[0].Date.UTC(), CurrentRelease: last.Date.UTC(), Revision: last.Number, Status: "final",
		Authored: true, RevisionHistory: slices.Clone(rel.History)}
	a.Notes = append(a.Notes, advisory.Note{Category: "summary", Title: "Summary", Text: d.Summary})
	if d.Details != "" {
		a.Notes = append(a.Notes, advisory.Note{Category: "details", Title: "Details", Text: d.Details})
	}
	for _, r := range d.References {
		a.References = append(a.References, advisory.Reference{Category: "external", Summary: cmpOr(r.Summary, r.URL), URL: r.URL})
	}
	for _, ack := range d.Acknowledgments {
		a.Acknowledgments = append(a.Acknowledgments, advisory.Acknowledgment{Names: ack.Names, Organization: ack.Organization,
			Summary: ack.Summary, URLs: ack.URLs})
	}
	fixedOf := map[string]string{}
	for _, p := range d.Products {
		c := version.ParseConstraint(p.Version)
		pr := advisory.Product{ID: p.Ref, FullName: p.Vendor + " " + p.Name + ": " + p.Version, Vendor: p.Vendor, Name: p.Name,
			Version: c.String(), VersionIsRange: true, CPE: p.CPE, Models: p.Models}
		if exactVersion(p.Version, c) {
			pr.Version, pr.VersionIsRange = p.Version, false
		}
		if p.PURL != "" {
			pr.PURLs = []string{p.PURL}
		}
		a.Products = append(a.Products, pr)
		if p.Fixed != "" {
			fx := pr
			fx.ID, fx.FullName, fx.Version, fx.VersionIsRange = p.Ref+fixedSuffix, p.Vendor+" "+p.Name+": "+p.Fixed, p.Fixed, false
			a.Products = append(a.Products, fx)
			fixedOf[p.Ref] = fx.ID
		}
	}
	for _, dv := range d.Vulnerabilities {
		a.Vulnerabilities = append(a.Vulnerabilities, d.vulnerability(dv, fixedOf))
	}
	// The products are read back through Aceso's own CSAF parser, so the
	// stored advisory carries exactly the model numbers and normalised
	// vendor that a receiver of the published document derives: matching
	// the authored advisory and matching it synced from the feed agree.
	data, err := CSAFDocument(a, CSAFPublisher{Name: rel.Publisher, Namespace: "https://aceso.invalid"})
	if err != nil {
		return nil, fmt.Errorf("advisory draft %s: %w", rel.TrackingID, err)
	}
	back, err := advisory.Parse(data)
	if err != nil || len(back.Products) != len(a.Products) {
		return nil, fmt.Errorf("advisory draft %s: products do not read back (%v)", rel.TrackingID, err)
	}
	a.Products = back.Products
	return a, nil
}

// vulnerability builds one vulnerability: statuses in product order, the
// fixed siblings of known_affected products, computed scores for the
// affected products (all named ones when none is affected) and the
// remediations that name one of its affected products.
func (d *Draft) vulnerability(dv DraftVulnerability, fixedOf map[string]string) advisory.Vulnerability {
	v := advisory.Vulnerability{CVE: dv.CVE, CWE: dv.CWE, CWEName: dv.CWEName, Title: dv.Title, ProductStatus: map[string][]string{},
		Notes: []advisory.Note{{Category: "description", Title: "Description", Text: dv.Description}}}
	var named []string
	for _, p := range d.Products {
		s := dv.Status[p.Ref]
		if s == "" {
			continue
		}
		named = append(named, p.Ref)
		v.ProductStatus[s] = append(v.ProductStatus[s], p.Ref)
		if fx := fixedOf[p.Ref]; fx != "" && s == advisory.StatusKnownAffected {
			v.ProductStatus[advisory.StatusFixed] = append(v.ProductStatus[advisory.StatusFixed], fx)
		}
	}
	affected := v.ProductStatus[advisory.StatusKnownAffected]
	scored := affected
	if len(scored) == 0 {
		scored = named
	}
	for _, vec := range []string{dv.CVSS3, dv.CVSS4} {
		if ver, score, sev, err := CVSSScore(vec); vec != "" && err == nil {
			v.Scores = append(v.Scores, advisory.Score{Version: ver, Vector: vec, BaseScore: score, Severity: sev, ProductIDs: slices.Clone(scored)})
		}
	}
	for _, r := range d.Remediations {
		var ids []string
		for _, ref := range r.Products {
			if slices.Contains(affected, ref) {
				ids = append(ids, ref)
			}
		}
		if len(ids) > 0 {
			v.Remediations = append(v.Remediations, advisory.Remediation{Category: r.Category, Details: r.Details, URL: r.URL, ProductIDs: ids})
		}
	}
	return v
}
