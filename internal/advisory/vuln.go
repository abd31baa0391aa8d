package advisory

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	gocvss20 "github.com/pandatix/go-cvss/20"
	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"
)

// statusLists are the eight product_status lists, in the order StatusOf
// checks them: affected states first, so that a product a publisher put in
// two lists is never reported as safe.
var statusLists = []string{StatusKnownAffected, StatusFirstAffected, StatusLastAffected, StatusUnderInvestigation,
	StatusFixed, StatusFirstFixed, StatusRecommended, StatusKnownNotAffected}

var (
	remediationCategories = []string{RemediationMitigation, RemediationNoFixPlanned, RemediationNoneAvailable,
		RemediationVendorFix, RemediationWorkaround, "fix_planned", "optional_patch"} // the last two are CSAF 2.1
	threatCategories = []string{"exploit_status", "impact", "target_set"}
)

func (p *parser) vulnerabilities(in []rawVuln) {
	p.a.Vulnerabilities = make([]Vulnerability, 0, len(in))
	for i := range in {
		p.a.Vulnerabilities = append(p.a.Vulnerabilities, p.vulnerability(i, &in[i]))
	}
}

func (p *parser) vulnerability(i int, r *rawVuln) Vulnerability {
	// Field paths are only formatted for a warning: a corpus has tens of
	// thousands of remediations and almost never a problem in them.
	field := func() string { return "vulnerabilities[" + strconv.Itoa(i) + "]" }
	sub := func(name string, j int) string { return field() + "." + name + "[" + strconv.Itoa(j) + "]" }
	v := Vulnerability{Title: strings.TrimSpace(r.Title), Remediations: r.Remediations}
	if r.CVE.Bad || r.CVE.Coerced {
		p.flex(field()+".cve", r.CVE)
	}
	v.CVE = strings.TrimSpace(r.CVE.S)
	if v.CVE != "" && !looksLikeCVE(v.CVE) {
		p.warnf("%s.cve: %q is not a CVE id", field(), v.CVE)
	}
	cwe := r.CWE
	if cwe == nil && len(r.CWEs) > 0 {
		cwe = &r.CWEs[0]
	}
	if cwe != nil {
		if cwe.ID.Bad || cwe.ID.Coerced {
			p.flex(field()+".cwe.id", cwe.ID)
		}
		v.CWE = strings.TrimSpace(cwe.ID.S)
		v.CWEName = strings.TrimSpace(cwe.Name)
		if v.CWE != "" && !strings.HasPrefix(v.CWE, "CWE-") {
			v.CWE = "CWE-" + v.CWE // "798" written for "CWE-798"
			p.warnf("%s.cwe.id: %q lacks the CWE- prefix", field(), cwe.ID.S)
		}
	}
	if len(r.ProductStatus) > 0 {
		v.ProductStatus = r.ProductStatus
		known := 0
		for _, name := range statusLists {
			if ids, ok := r.ProductStatus[name]; ok {
				known++
				p.knownIDs(field, ".product_status."+name, ids)
			}
		}
		if known != len(r.ProductStatus) {
			unknown := make([]string, 0, 1)
			for name := range r.ProductStatus {
				if !slices.Contains(statusLists, name) {
					unknown = append(unknown, name)
				}
			}
			sort.Strings(unknown)
			for _, name := range unknown {
				p.warnf("%s.product_status: unknown list %q ignored", field(), name)
				delete(v.ProductStatus, name)
			}
		}
	}
	for j := range r.Scores {
		s := &r.Scores[j]
		v.Scores = p.addScores(v.Scores, func() string { return sub("scores", j) }, s.CVSSv2, s.CVSSv3, s.CVSSv4, s.Products)
	}
	for j := range r.Metrics {
		m := &r.Metrics[j]
		if m.Content != nil {
			v.Scores = p.addScores(v.Scores, func() string { return sub("metrics", j) + ".content" },
				m.Content.CVSSv2, m.Content.CVSSv3, m.Content.CVSSv4, m.Products)
		}
	}
	for j := range r.Remediations {
		rm := &r.Remediations[j]
		rf := func() string { return sub("remediations", j) }
		if !slices.Contains(remediationCategories, rm.Category) {
			p.enum(rf()+".category", rm.Category, remediationCategories)
		}
		if len(rm.ProductIDs) == 0 && len(rm.GroupIDs) == 0 {
			p.warnf("%s: neither product_ids nor group_ids", rf())
		}
		p.knownIDs(rf, ".product_ids", rm.ProductIDs)
		for _, id := range rm.GroupIDs {
			if _, ok := p.a.Groups[id]; !ok {
				p.warnf("%s.group_ids: unknown group_id %q", rf(), id)
			}
		}
	}
	for j := range r.Threats {
		t := &r.Threats[j]
		if !slices.Contains(threatCategories, t.Category) {
			p.enum(sub("threats", j)+".category", t.Category, threatCategories)
		}
		ids := t.ProductIDs
		for _, g := range t.GroupIDs {
			ids = append(ids, p.a.Groups[g]...) // Threat has no GroupIDs field: resolve here
		}
		v.Threats = append(v.Threats, Threat{Category: t.Category, Details: t.Details, ProductIDs: ids})
	}
	if len(r.Notes) > 0 {
		v.Notes = p.notes(field()+".notes", r.Notes)
	}
	if len(r.References) > 0 {
		v.References = p.references(field()+".references", r.References)
	}
	return v
}

// looksLikeCVE checks the CVE-YYYY-NNNN shape without a regexp (hot path).
func looksLikeCVE(s string) bool {
	if len(s) < 13 || !strings.HasPrefix(s, "CVE-") || s[8] != '-' {
		return false
	}
	for i := 4; i < len(s); i++ {
		if i != 8 && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

// knownIDs warns about product ids that the product tree does not define;
// the field path is field() followed by suffix.
func (p *parser) knownIDs(field func() string, suffix string, ids []string) {
	for _, id := range ids {
		if _, ok := p.a.index[id]; !ok {
			p.warnf("%s%s: unknown product_id %q", field(), suffix, id)
		}
	}
}

func (p *parser) addScores(out []Score, field func() string, v2, v3, v4 *rawCVSS, products []string) []Score {
	if v2 == nil && v3 == nil && v4 == nil {
		p.warnf("%s: no cvss_v2, cvss_v3 or cvss_v4", field())
	}
	if len(products) == 0 {
		p.warnf("%s.products: missing", field())
	}
	p.knownIDs(field, ".products", products)
	if v3 != nil {
		out = append(out, p.score(field, "cvss_v3", v3, products))
	}
	if v4 != nil {
		out = append(out, p.score(field, "cvss_v4", v4, products))
	}
	if v2 != nil {
		out = append(out, p.score(field, "cvss_v2", v2, products))
	}
	return out
}

// score normalises one CVSS object; a missing baseScore or baseSeverity is
// computed from the vector, since the SSVC and UI need a number.
func (p *parser) score(scoreField func() string, kind string, r *rawCVSS, products []string) Score {
	field := lazyField{f: scoreField, suffix: "." + kind}
	if r.Version.Bad || r.Version.Coerced {
		p.flex(field.String()+".version", r.Version)
	}
	s := Score{Version: strings.TrimSpace(r.Version.S), Vector: strings.TrimSpace(r.VectorString),
		Severity: strings.ToUpper(strings.TrimSpace(r.BaseSeverity)), ProductIDs: products}
	vecVersion := vectorVersion(kind, s.Vector)
	switch {
	case s.Version == "":
		s.Version = vecVersion
		p.warnf("%s.version: missing", field)
	case vecVersion != "" && s.Version != vecVersion:
		p.warnf("%s.version: %q but the vector is CVSS %s", field, s.Version, vecVersion)
	}
	if s.Vector == "" {
		p.warnf("%s.vectorString: missing", field)
	}
	switch {
	case r.BaseScore.Bad:
		p.warnf("%s.baseScore: not a number", field)
	case r.BaseScore.Coerced:
		p.warnf("%s.baseScore: number written as a string", field)
	}
	if r.BaseScore.Set {
		s.BaseScore = r.BaseScore.V
		if s.BaseScore < 0 || s.BaseScore > 10 {
			p.warnf("%s.baseScore: %v out of range 0-10", field, s.BaseScore)
		}
	} else if s.Vector != "" {
		score, err := computeScore(vecVersion, s.Vector)
		if err != nil {
			p.warnf("%s.baseScore: missing, and the vector does not parse: %v", field, err)
		} else {
			s.BaseScore = score
			p.warnf("%s.baseScore: missing, computed %.1f from the vector", field, score)
		}
	} else {
		p.warnf("%s.baseScore: missing", field)
	}
	if s.Severity == "" && (r.BaseScore.Set || s.BaseScore > 0) {
		s.Severity = severity(vecVersion, s.BaseScore)
	}
	return s
}

// lazyField formats a field path only when a warning prints it (%s calls String).
type lazyField struct {
	f      func() string
	suffix string
}

func (l lazyField) String() string { return l.f() + l.suffix }

// vectorVersion returns the CVSS version a vector states ("3.1"), falling
// back to the kind of object it sits in (v2 vectors carry no prefix).
func vectorVersion(kind, vector string) string {
	switch {
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		return "3.1"
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		return "3.0"
	case strings.HasPrefix(vector, "CVSS:4.0/"):
		return "4.0"
	case kind == "cvss_v2":
		return "2.0"
	}
	return ""
}

// computeScore computes the base score of a vector with go-cvss.
func computeScore(version, vector string) (score float64, err error) {
	// go-cvss should not panic on bad input, but a panic here would take
	// down a whole import for one score.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cvss %s: %v", version, r)
		}
	}()
	switch version {
	case "2.0":
		c, err := gocvss20.ParseVector(vector)
		if err != nil {
			return 0, err
		}
		return c.BaseScore(), nil
	case "3.0":
		c, err := gocvss30.ParseVector(vector)
		if err != nil {
			return 0, err
		}
		return c.BaseScore(), nil
	case "3.1":
		c, err := gocvss31.ParseVector(vector)
		if err != nil {
			return 0, err
		}
		return c.BaseScore(), nil
	case "4.0":
		c, err := gocvss40.ParseVector(vector)
		if err != nil {
			return 0, err
		}
		return math.Round(c.Score()*10) / 10, nil
	}
	return 0, fmt.Errorf("unknown CVSS version of vector %q", vector)
}

// severity is the qualitative rating of a base score (CVSS v3/v4 scale; v2
// has no "critical" and no "none").
func severity(version string, score float64) string {
	if version == "2.0" {
		switch {
		case score >= 7:
			return "HIGH"
		case score >= 4:
			return "MEDIUM"
		}
		return "LOW"
	}
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

// Product returns the product with the given product_id, or nil. Parse
// builds an index; an Advisory built by hand is searched linearly.
func (a *Advisory) Product(id string) *Product {
	if i, ok := a.index[id]; ok && i < len(a.Products) && a.Products[i].ID == id {
		return &a.Products[i]
	}
	for i := range a.Products {
		if a.Products[i].ID == id {
			return &a.Products[i]
		}
	}
	return nil
}

// RemediationsFor returns the remediations of v that apply to productID,
// directly or through one of the product groups the remediation names.
func (a *Advisory) RemediationsFor(v *Vulnerability, productID string) []Remediation {
	var out []Remediation
	for _, r := range v.Remediations {
		if slices.Contains(r.ProductIDs, productID) || a.inGroups(r.GroupIDs, productID) {
			out = append(out, r)
		}
	}
	return out
}

func (a *Advisory) inGroups(groups []string, productID string) bool {
	for _, g := range groups {
		if slices.Contains(a.Groups[g], productID) {
			return true
		}
	}
	return false
}

// StatusOf returns the product_status list of v that holds productID
// ("known_affected", "fixed", …) or "" when none does. A product listed
// twice is reported with the affected status, the safe side for triage.
func (a *Advisory) StatusOf(v *Vulnerability, productID string) string {
	for _, name := range statusLists {
		if slices.Contains(v.ProductStatus[name], productID) {
			return name
		}
	}
	return ""
}

// CVEs returns the CVE ids of the advisory in document order, without
// duplicates or empty entries.
func (a *Advisory) CVEs() []string {
	out := make([]string, 0, len(a.Vulnerabilities))
	for _, v := range a.Vulnerabilities {
		if v.CVE != "" && !slices.Contains(out, v.CVE) {
			out = append(out, v.CVE)
		}
	}
	return out
}
