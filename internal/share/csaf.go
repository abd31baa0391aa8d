package share

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"
	gocvss20 "github.com/pandatix/go-cvss/20"
	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/advisory"
)

// CSAFPublisher is the organisation that republishes advisories as a CSAF
// trusted provider (the sector CSIRT running Aceso). It becomes
// document.publisher with category "coordinator"; the original publisher is
// kept in a note so that readers know where the advisory came from.
type CSAFPublisher struct {
	Name      string // e.g. "Health CERT"
	Namespace string // an absolute URL identifying the publisher, e.g. "https://cert.example"
	Contact   string // optional contact_details
	Engine    string // generator engine version, e.g. the Aceso version
}

// CSAFLabel returns the CSAF 2.0 (TLP 1.0) label for a TLP 2.0 label:
// CLEAR is WHITE, GREEN, AMBER and RED keep their names. AMBER+STRICT has
// no CSAF 2.0 label, and writing it as AMBER would widen its audience, so
// ok is false for it (and for invalid labels): such documents are not
// published.
func CSAFLabel(t TLP) (label string, ok bool) {
	switch t {
	case TLPClear:
		return "WHITE", true
	case TLPGreen:
		return "GREEN", true
	case TLPAmber:
		return "AMBER", true
	case TLPRed:
		return "RED", true
	}
	return "", false
}

var csafInvalidRune = regexp.MustCompile(`[^+\-a-z0-9]+`)

// CSAFFileName is the file name CSAF 2.0 §5.1 prescribes for a document:
// the tracking id in lower case, every run of characters other than
// +, -, a-z and 0-9 replaced by "_", and ".json".
func CSAFFileName(trackingID string) string {
	return csafInvalidRune.ReplaceAllString(strings.ToLower(trackingID), "_") + ".json"
}

var (
	intVersion = regexp.MustCompile(`^(0|[1-9][0-9]*)$`)
	semVersion = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)
	twoPart    = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)$`)
	cveID      = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)
	cweID      = regexp.MustCompile(`^CWE-[1-9]\d{0,5}$`)
	purlRe     = regexp.MustCompile(`^pkg:[A-Za-z\.\-\+][A-Za-z0-9\.\-\+]*/.+`)
	cpeRe      = regexp.MustCompile(`^(cpe:2\.3:[aho\*\-](:(((\?*|\*?)([a-zA-Z0-9\-\._]|(\\[\\\*\?!"#\$%&'\(\)\+,/:;<=>@\[\]\^` + "`" + `\{\|\}~]))+(\?*|\*?))|[\*\-])){5}(:(([a-zA-Z]{2,3}(-([a-zA-Z]{2}|[0-9]{3}))?)|[\*\-]))(:(((\?*|\*?)([a-zA-Z0-9\-\._]|(\\[\\\*\?!"#\$%&'\(\)\+,/:;<=>@\[\]\^` + "`" + `\{\|\}~]))+(\?*|\*?))|[\*\-])){4})|([c][pP][eE]:/[AHOaho]?(:[A-Za-z0-9\._\-~%]*){0,6})$`)
)

// csafVersion turns a stored tracking.version into one CSAF accepts
// (integer or semantic versioning): "1.2" becomes "1.2.0", anything else
// unusable becomes "1".
func csafVersion(v string) string {
	v = strings.TrimSpace(v)
	switch {
	case intVersion.MatchString(v), semVersion.MatchString(v):
		return v
	case twoPart.MatchString(v):
		return v + ".0"
	}
	return "1"
}

// The CSAF 2.0 output structures: only what Aceso writes, in schema order.
type (
	csafDoc struct {
		Document        csafDocument `json:"document"`
		ProductTree     *csafTree    `json:"product_tree,omitempty"`
		Vulnerabilities []csafVuln   `json:"vulnerabilities,omitempty"`
	}
	csafDocument struct {
		Acknowledgments []csafAck       `json:"acknowledgments,omitempty"`
		Category        string          `json:"category"`
		CSAFVersion     string          `json:"csaf_version"`
		Distribution    csafDistrib     `json:"distribution"`
		Notes           []csafNote      `json:"notes,omitempty"`
		Publisher       csafPublisher   `json:"publisher"`
		References      []csafReference `json:"references,omitempty"`
		Title           string          `json:"title"`
		Tracking        csafTracking    `json:"tracking"`
	}
	csafAck struct {
		Names        []string `json:"names,omitempty"`
		Organization string   `json:"organization,omitempty"`
		Summary      string   `json:"summary,omitempty"`
		URLs         []string `json:"urls,omitempty"`
	}
	csafDistrib struct {
		Text string `json:"text,omitempty"`
		TLP  struct {
			Label string `json:"label"`
			URL   string `json:"url"`
		} `json:"tlp"`
	}
	csafPublisher struct {
		Category       string `json:"category"`
		ContactDetails string `json:"contact_details,omitempty"`
		Name           string `json:"name"`
		Namespace      string `json:"namespace"`
	}
	csafTracking struct {
		CurrentReleaseDate string         `json:"current_release_date"`
		Generator          csafGenerator  `json:"generator"`
		ID                 string         `json:"id"`
		InitialReleaseDate string         `json:"initial_release_date"`
		RevisionHistory    []csafRevision `json:"revision_history"`
		Status             string         `json:"status"`
		Version            string         `json:"version"`
	}
	csafGenerator struct {
		Date   string `json:"date"`
		Engine struct {
			Name    string `json:"name"`
			Version string `json:"version,omitempty"`
		} `json:"engine"`
	}
	csafRevision struct {
		Date    string `json:"date"`
		Number  string `json:"number"`
		Summary string `json:"summary"`
	}
	csafNote struct {
		Category string `json:"category"`
		Text     string `json:"text"`
		Title    string `json:"title,omitempty"`
	}
	csafReference struct {
		Category string `json:"category,omitempty"`
		Summary  string `json:"summary"`
		URL      string `json:"url"`
	}
	csafTree struct {
		Branches         []*csafBranch      `json:"branches,omitempty"`
		FullProductNames []csafProduct      `json:"full_product_names,omitempty"`
		Relationships    []csafRelationship `json:"relationships,omitempty"`
	}
	csafBranch struct {
		Branches []*csafBranch `json:"branches,omitempty"`
		Category string        `json:"category"`
		Name     string        `json:"name"`
		Product  *csafProduct  `json:"product,omitempty"`
	}
	csafProduct struct {
		Name      string      `json:"name"`
		ProductID string      `json:"product_id"`
		Helper    *csafHelper `json:"product_identification_helper,omitempty"`
	}
	csafHelper struct {
		CPE           string   `json:"cpe,omitempty"`
		ModelNumbers  []string `json:"model_numbers,omitempty"`
		PURL          string   `json:"purl,omitempty"`
		SerialNumbers []string `json:"serial_numbers,omitempty"`
		SKUs          []string `json:"skus,omitempty"`
	}
	csafRelationship struct {
		Category          string      `json:"category"`
		FullProductName   csafProduct `json:"full_product_name"`
		ProductReference  string      `json:"product_reference"`
		RelatesToProducts string      `json:"relates_to_product_reference"`
	}
	csafVuln struct {
		CVE           string              `json:"cve,omitempty"`
		CWE           *csafCWE            `json:"cwe,omitempty"`
		Notes         []csafNote          `json:"notes,omitempty"`
		ProductStatus map[string][]string `json:"product_status,omitempty"`
		References    []csafReference     `json:"references,omitempty"`
		Remediations  []csafRemediation   `json:"remediations,omitempty"`
		Scores        []csafScore         `json:"scores,omitempty"`
		Threats       []csafThreat        `json:"threats,omitempty"`
		Title         string              `json:"title,omitempty"`
	}
	csafCWE struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	csafRemediation struct {
		Category   string   `json:"category"`
		Details    string   `json:"details"`
		ProductIDs []string `json:"product_ids"`
		URL        string   `json:"url,omitempty"`
	}
	csafThreat struct {
		Category   string   `json:"category"`
		Details    string   `json:"details"`
		ProductIDs []string `json:"product_ids,omitempty"`
	}
	csafScore struct {
		CVSSv2   *csafCVSS `json:"cvss_v2,omitempty"`
		CVSSv3   *csafCVSS `json:"cvss_v3,omitempty"`
		Products []string  `json:"products"`
	}
	csafCVSS struct {
		Version      string  `json:"version"`
		VectorString string  `json:"vectorString"`
		BaseScore    float64 `json:"baseScore"`
		BaseSeverity string  `json:"baseSeverity,omitempty"`
	}
)

var (
	noteCategories        = []string{"description", "details", "faq", "general", "legal_disclaimer", "other", "summary"}
	remediationCategories = []string{"mitigation", "no_fix_planned", "none_available", "vendor_fix", "workaround"}
	threatCategories      = []string{"exploit_status", "impact", "target_set"}
	statusNames           = []string{"first_affected", "first_fixed", "fixed", "known_affected", "known_not_affected", "last_affected", "recommended", "under_investigation"}
	rangeWords            = []string{"<", ">", "after", "all", "before", "earlier", "later", "prior", "versions"}
)

// CSAFDates returns the initial and current release dates written into a's
// CSAF document: a missing one is taken from the other (both missing: the
// Unix epoch), and an initial date after the current one is clamped to it.
func CSAFDates(a *advisory.Advisory) (initial, current time.Time) {
	current, initial = a.CurrentRelease.UTC(), a.InitialRelease.UTC()
	switch {
	case a.CurrentRelease.IsZero() && a.InitialRelease.IsZero():
		current = time.Unix(0, 0).UTC()
		initial = current
	case a.CurrentRelease.IsZero():
		current = initial
	case a.InitialRelease.IsZero() || initial.After(current):
		initial = current
	}
	return initial, current
}

// CSAFPath is where a document lives inside its TLP directory (CSAF 2.0
// requirement 11): "<year of initial_release_date>/<CSAFFileName>".
func CSAFPath(a *advisory.Advisory) string {
	ini, _ := CSAFDates(a)
	return fmt.Sprintf("%d/%s", ini.Year(), CSAFFileName(a.ID))
}

func csafTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// isAbsURL reports whether s is an absolute http(s) URL (format "uri").
func isAbsURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && !strings.ContainsAny(s, " \t\n")
}

// CSAFDocument writes a normalised advisory as a CSAF 2.0 document of the
// csaf_security_advisory profile, labelled with its TLP and published by
// pub, for Aceso's trusted-provider directory. The original tracking id,
// versions and dates are kept; Aceso's own role is stated in
// document.publisher and a "general" note naming the original publisher.
// The output is deterministic (same input, same bytes), so that the hashes
// and signatures served beside it stay stable. An advisory without a
// tracking id or with a label CSAF cannot carry (see CSAFLabel) is EINVALID.
func CSAFDocument(a *advisory.Advisory, pub CSAFPublisher) ([]byte, error) {
	if a == nil || strings.TrimSpace(a.ID) == "" {
		return nil, aceso.Errorf(aceso.EINVALID, "csaf: advisory has no tracking id")
	}
	tlp, err := ParseTLP(a.TLP)
	if err != nil {
		return nil, fmt.Errorf("csaf: advisory %s: %w", a.ID, err)
	}
	label, ok := CSAFLabel(tlp)
	if !ok {
		return nil, aceso.Errorf(aceso.EINVALID, "csaf: advisory %s: %s has no CSAF 2.0 label", a.ID, tlp)
	}
	if strings.TrimSpace(pub.Name) == "" || !isAbsURL(pub.Namespace) {
		return nil, aceso.Errorf(aceso.EINVALID, "csaf: publisher needs a name and an absolute namespace URL, got %q %q", pub.Name, pub.Namespace)
	}
	ini, cur := CSAFDates(a)
	version := csafVersion(a.Revision)
	status := a.Status
	if !slices.Contains([]string{"draft", "final", "interim"}, status) {
		status = "final"
	}
	if version == "0" || strings.HasPrefix(version, "0.") || strings.Contains(version, "-") {
		status = "draft" // CSAF 6.1.17: pre-release versions are drafts
	}
	var d csafDoc
	doc := &d.Document
	doc.Category = "csaf_security_advisory"
	doc.CSAFVersion = "2.0"
	doc.Distribution.TLP.Label = label
	doc.Distribution.TLP.URL = "https://www.first.org/tlp/"
	doc.Distribution.Text = "Shared under " + tlp.String() + " (FIRST TLP 2.0); CSAF 2.0 labels it TLP:" + label + "."
	doc.Publisher = csafPublisher{Category: "coordinator", ContactDetails: pub.Contact, Name: pub.Name, Namespace: pub.Namespace}
	doc.Title = strings.TrimSpace(a.Title)
	if doc.Title == "" {
		doc.Title = a.ID
	}
	doc.Tracking = csafTracking{
		CurrentReleaseDate: csafTime(cur), ID: a.ID, InitialReleaseDate: csafTime(ini), Status: status, Version: version,
		RevisionHistory: []csafRevision{{Date: csafTime(cur), Number: version, Summary: "Revision as received and redistributed by " + pub.Name + "."}},
	}
	doc.Tracking.Generator.Date = csafTime(cur)
	doc.Tracking.Generator.Engine.Name = "Aceso"
	doc.Tracking.Generator.Engine.Version = pub.Engine
	doc.Notes = notes(a.Notes)
	role := "Redistributor"
	if a.Authored {
		// The CSIRT's own advisory: its history and credits are its own, and
		// no note may call it a redistribution.
		role = "Publisher"
		if h := revisionHistory(a.RevisionHistory, version, cur); h != nil {
			doc.Tracking.RevisionHistory = h
		}
		doc.Acknowledgments = acknowledgments(a.Acknowledgments)
	} else {
		orig := strings.TrimSpace(a.Publisher)
		if orig == "" {
			orig = "an unnamed publisher"
		}
		doc.Notes = append(doc.Notes, csafNote{Category: "general", Title: "Distribution",
			Text: fmt.Sprintf("Originally published by %s as %s. Redistributed unchanged in substance by %s, which is not its author.", orig, a.ID, pub.Name)})
	}
	doc.References = references(a.References)
	if isAbsURL(a.Source) {
		doc.References = append(doc.References, csafReference{Category: "external", Summary: "Original document", URL: a.Source})
	}
	if !slices.ContainsFunc(doc.References, func(r csafReference) bool { return r.Category == "external" }) {
		doc.References = append(doc.References, csafReference{Category: "external", Summary: role, URL: pub.Namespace})
	}

	known := map[string]bool{}
	d.ProductTree = productTree(a, known)
	groups := map[string][]string{}
	for g, ids := range a.Groups {
		groups[g] = knownIDs(ids, known)
	}
	for _, v := range a.Vulnerabilities {
		if cv := vulnerability(&v, known, groups); !cv.empty() {
			d.Vulnerabilities = append(d.Vulnerabilities, cv)
		}
	}
	// The csaf_security_advisory profile needs both (CSAF 2.0 §4.5), and an
	// advisory without them tells a receiving matcher nothing.
	if d.ProductTree == nil || len(d.Vulnerabilities) == 0 {
		return nil, aceso.Errorf(aceso.EINVALID, "csaf: advisory %s has no products or no vulnerabilities to publish", a.ID)
	}
	return json.MarshalIndent(d, "", "  ")
}

// revisionHistory writes an authored advisory's history, oldest first. It
// is used only when it agrees with the tracking data (CSAF 6.1.16: the last
// number is the document version; 6.1.14: sorted by date, none after the
// current release); otherwise nil, and the caller keeps one entry.
func revisionHistory(in []advisory.Revision, version string, cur time.Time) []csafRevision {
	if len(in) == 0 || csafVersion(in[len(in)-1].Number) != version {
		return nil
	}
	out := make([]csafRevision, 0, len(in))
	seen := map[string]bool{}
	for i, r := range in {
		n := csafVersion(r.Number)
		if seen[n] || r.Date.After(cur) || (i > 0 && r.Date.Before(in[i-1].Date)) {
			return nil
		}
		seen[n] = true
		s := strings.TrimSpace(r.Summary)
		if s == "" {
			s = "Revision " + n + "."
		}
		out = append(out, csafRevision{Date: csafTime(r.Date), Number: n, Summary: s})
	}
	return out
}

// acknowledgments keeps the entries that say something (each needs at
// least one property; names and urls no empty items).
func acknowledgments(in []advisory.Acknowledgment) []csafAck {
	var out []csafAck
	for _, a := range in {
		c := csafAck{Names: nonEmpty(a.Names), Organization: strings.TrimSpace(a.Organization), Summary: strings.TrimSpace(a.Summary)}
		for _, u := range a.URLs {
			if isAbsURL(u) && !slices.Contains(c.URLs, u) {
				c.URLs = append(c.URLs, u)
			}
		}
		if c.Names != nil || c.Organization != "" || c.Summary != "" || c.URLs != nil {
			out = append(out, c)
		}
	}
	return out
}

func notes(in []advisory.Note) []csafNote {
	var out []csafNote
	for _, n := range in {
		if strings.TrimSpace(n.Text) == "" {
			continue
		}
		c := n.Category
		if !slices.Contains(noteCategories, c) {
			c = "other"
		}
		out = append(out, csafNote{Category: c, Text: n.Text, Title: n.Title})
	}
	return out
}

func references(in []advisory.Reference) []csafReference {
	var out []csafReference
	for _, r := range in {
		if !isAbsURL(r.URL) {
			continue
		}
		c := r.Category
		if c != "self" {
			c = "external"
		}
		s := strings.TrimSpace(r.Summary)
		if s == "" {
			s = r.URL
		}
		out = append(out, csafReference{Category: c, Summary: s, URL: r.URL})
	}
	return out
}

// isRange reports whether a version string is really a range; CSAF 6.1.31
// forbids range words in a product_version branch.
func isRange(p *advisory.Product) bool {
	if p.VersionIsRange || strings.HasPrefix(p.Version, "vers:") {
		return true
	}
	v := strings.ToLower(p.Version)
	return slices.ContainsFunc(rangeWords, func(w string) bool { return strings.Contains(v, w) })
}

func child(bs *[]*csafBranch, category, name string) *csafBranch {
	for _, b := range *bs {
		if b.Category == category && b.Name == name && b.Product == nil {
			return b
		}
	}
	b := &csafBranch{Category: category, Name: name}
	*bs = append(*bs, b)
	return b
}

func helper(p *advisory.Product) *csafHelper {
	h := &csafHelper{ModelNumbers: nonEmpty(p.Models), SerialNumbers: nonEmpty(p.Serials), SKUs: nonEmpty(p.SKUs)}
	if cpeRe.MatchString(p.CPE) {
		h.CPE = p.CPE
	}
	for _, u := range p.PURLs {
		if purlRe.MatchString(u) && isAbsURLish(u) {
			h.PURL = u
			break
		}
	}
	if h.CPE == "" && h.PURL == "" && h.ModelNumbers == nil && h.SerialNumbers == nil && h.SKUs == nil {
		return nil
	}
	return h
}

// isAbsURLish accepts a purl as a "uri" (scheme "pkg", no spaces).
func isAbsURLish(s string) bool {
	_, err := url.Parse(s)
	return err == nil && !strings.ContainsAny(s, " \t\n")
}

func nonEmpty(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// productTree rebuilds vendor → product_family → product_name →
// product_version(_range) branches from the flattened products, and the
// relationships whose both ends exist. known collects the product ids
// written, so that vulnerabilities never name a missing product (6.1.1).
func productTree(a *advisory.Advisory, known map[string]bool) *csafTree {
	t := &csafTree{}
	var rels []*advisory.Product
	for i := range a.Products {
		p := &a.Products[i]
		if strings.TrimSpace(p.ID) == "" || known[p.ID] {
			continue
		}
		if p.RelCategory != "" && p.RelProduct != "" && p.RelTarget != "" {
			rels = append(rels, p)
			continue
		}
		known[p.ID] = true
		name := strings.TrimSpace(p.FullName)
		if name == "" {
			name = strings.TrimSpace(strings.Join([]string{p.Vendor, p.Name, p.Version}, " "))
		}
		if name == "" {
			name = p.ID
		}
		prod := &csafProduct{Name: name, ProductID: p.ID, Helper: helper(p)}
		vendor, pname, version := strings.TrimSpace(p.Vendor), strings.TrimSpace(p.Name), strings.TrimSpace(p.Version)
		if vendor == "" {
			t.FullProductNames = append(t.FullProductNames, *prod)
			continue
		}
		level := &t.Branches
		v := child(level, "vendor", vendor)
		level = &v.Branches
		for _, fam := range strings.Split(p.Family, " / ") {
			if fam = strings.TrimSpace(fam); fam != "" {
				level = &child(level, "product_family", fam).Branches
			}
		}
		if pname == "" {
			pname = name
		}
		if version == "" {
			*level = append(*level, &csafBranch{Category: "product_name", Name: pname, Product: prod})
			continue
		}
		level = &child(level, "product_name", pname).Branches
		cat := "product_version"
		if isRange(p) {
			cat = "product_version_range"
		}
		*level = append(*level, &csafBranch{Category: cat, Name: version, Product: prod})
	}
	relCats := []string{"default_component_of", "external_component_of", "installed_on", "installed_with", "optional_component_of"}
	for _, p := range rels {
		if !known[p.RelProduct] || !known[p.RelTarget] || !slices.Contains(relCats, p.RelCategory) {
			continue
		}
		known[p.ID] = true
		name := cmpOr(strings.TrimSpace(p.FullName), p.ID)
		t.Relationships = append(t.Relationships, csafRelationship{Category: p.RelCategory,
			FullProductName: csafProduct{Name: name, ProductID: p.ID}, ProductReference: p.RelProduct, RelatesToProducts: p.RelTarget})
	}
	if len(t.Branches) == 0 && len(t.FullProductNames) == 0 && len(t.Relationships) == 0 {
		return nil
	}
	return t
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// knownIDs keeps the ids that the product tree defines, once each.
func knownIDs(ids []string, known map[string]bool) []string {
	var out []string
	for _, id := range ids {
		if known[id] && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// withGroups resolves group ids into product ids: groups are written
// expanded, since a group of fewer than two known products is invalid.
func withGroups(ids, groupIDs []string, known map[string]bool, groups map[string][]string) []string {
	all := slices.Clone(ids)
	for _, g := range groupIDs {
		all = append(all, groups[g]...)
	}
	return knownIDs(all, known)
}

func (v *csafVuln) empty() bool {
	return v.CVE == "" && v.CWE == nil && len(v.Notes) == 0 && len(v.ProductStatus) == 0 && len(v.References) == 0 &&
		len(v.Remediations) == 0 && len(v.Scores) == 0 && len(v.Threats) == 0 && v.Title == ""
}

func vulnerability(v *advisory.Vulnerability, known map[string]bool, groups map[string][]string) csafVuln {
	out := csafVuln{Title: strings.TrimSpace(v.Title), Notes: notes(v.Notes), References: references(v.References)}
	if cveID.MatchString(v.CVE) {
		out.CVE = v.CVE
	} else if v.CVE != "" {
		out.Notes = append(out.Notes, csafNote{Category: "other", Title: "Identifier", Text: v.CVE})
	}
	if cweID.MatchString(v.CWE) {
		out.CWE = &csafCWE{ID: v.CWE, Name: cmpOr(strings.TrimSpace(v.CWEName), v.CWE)}
	}
	for _, name := range statusNames {
		if ids := knownIDs(v.ProductStatus[name], known); len(ids) > 0 {
			if out.ProductStatus == nil {
				out.ProductStatus = map[string][]string{}
			}
			out.ProductStatus[name] = ids
		}
	}
	for _, r := range v.Remediations {
		ids := withGroups(r.ProductIDs, r.GroupIDs, known, groups)
		if len(ids) == 0 || strings.TrimSpace(r.Details) == "" || !slices.Contains(remediationCategories, r.Category) {
			continue
		}
		rem := csafRemediation{Category: r.Category, Details: r.Details, ProductIDs: ids}
		if isAbsURL(r.URL) {
			rem.URL = r.URL
		}
		out.Remediations = append(out.Remediations, rem)
	}
	for _, s := range v.Scores {
		ids := knownIDs(s.ProductIDs, known)
		if len(ids) == 0 || s.Vector == "" {
			continue
		}
		c := &csafCVSS{Version: s.Version, VectorString: s.Vector, BaseScore: s.BaseScore, BaseSeverity: s.Severity}
		if (s.Version == "2.0" || s.Version == "3.0" || s.Version == "3.1") && !validCVSS(s.Version, s.Vector) {
			// A vector the publisher got wrong would make the whole document
			// schema-invalid: keep it readable as a note instead.
			out.Notes = append(out.Notes, csafNote{Category: "other", Title: "CVSS " + s.Version + " as published (not a valid vector)",
				Text: fmt.Sprintf("%s (base score %.1f)", s.Vector, s.BaseScore)})
			continue
		}
		switch s.Version {
		case "3.0", "3.1":
			if !strings.HasPrefix(s.Vector, "CVSS:"+s.Version+"/") {
				continue
			}
			out.Scores = append(out.Scores, csafScore{CVSSv3: c, Products: ids})
		case "2.0":
			c.BaseSeverity = ""
			out.Scores = append(out.Scores, csafScore{CVSSv2: c, Products: ids})
		default:
			// CVSS 4.0 has no place in CSAF 2.0: keep it readable as a note.
			out.Notes = append(out.Notes, csafNote{Category: "other", Title: "CVSS " + s.Version,
				Text: fmt.Sprintf("%s (base score %.1f)", s.Vector, s.BaseScore)})
		}
	}
	for _, th := range v.Threats {
		if strings.TrimSpace(th.Details) == "" || !slices.Contains(threatCategories, th.Category) {
			continue
		}
		out.Threats = append(out.Threats, csafThreat{Category: th.Category, Details: th.Details, ProductIDs: knownIDs(th.ProductIDs, known)})
	}
	return out
}

// CSAFSigningKey is an armored OpenPGP key pair for signing CSAF documents
// (CSAF 2.0 requirement 19: a detached .asc signature beside every file).
type CSAFSigningKey struct {
	Fingerprint string // upper-case hex of the primary key's v4 fingerprint
	Public      string // armored public key, to be served
	Private     string // armored private key; never served or logged
}

// NewCSAFSigningKey generates an Ed25519 (EdDSA, v4) key for the user id
// "name <email>"; v4 EdDSA is what current OpenPGP tools, gocsaf's
// checker and downloader included, verify.
func NewCSAFSigningKey(name, email string, now time.Time) (CSAFSigningKey, error) {
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return now }}
	e, err := openpgp.NewEntity(name, "CSAF provider", email, cfg)
	if err != nil {
		return CSAFSigningKey{}, fmt.Errorf("openpgp key: %w", err)
	}
	var pub, priv bytes.Buffer
	if err := writeArmored(&pub, openpgp.PublicKeyType, func(w io.Writer) error { return e.Serialize(w) }); err != nil {
		return CSAFSigningKey{}, err
	}
	if err := writeArmored(&priv, openpgp.PrivateKeyType, func(w io.Writer) error { return e.SerializePrivate(w, cfg) }); err != nil {
		return CSAFSigningKey{}, err
	}
	return CSAFSigningKey{Fingerprint: strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint)), Public: pub.String(), Private: priv.String()}, nil
}

func writeArmored(buf *bytes.Buffer, blockType string, fn func(io.Writer) error) error {
	w, err := armor.Encode(buf, blockType, nil)
	if err != nil {
		return fmt.Errorf("openpgp armor: %w", err)
	}
	if err := fn(w); err != nil {
		return fmt.Errorf("openpgp key: %w", err)
	}
	return w.Close()
}

// csafKeyProtection is how a stored private key is encrypted: Argon2id
// S2K (RFC 9580; 3 passes, 4 lanes, 64 MiB, the RFC 9106 second
// recommendation) with AES-256 in OCB mode, since go-crypto allows
// Argon2 only together with AEAD key protection. Only Aceso reads the
// stored key back, so the newer packet format costs no interoperability.
func csafKeyProtection() *packet.Config {
	return &packet.Config{
		DefaultCipher: packet.CipherAES256,
		AEADConfig:    &packet.AEADConfig{DefaultMode: packet.AEADModeOCB},
		S2KConfig: &s2k.Config{S2KMode: s2k.Argon2S2K,
			Argon2Config: &s2k.Argon2Config{NumberOfPasses: 3, DegreeOfParallelism: 4, Memory: 64 << 10}},
	}
}

// readCSAFPrivateKey reads exactly one armored private key.
func readCSAFPrivateKey(armoredPrivate string) (*openpgp.Entity, error) {
	el, err := openpgp.ReadArmoredKeyRing(strings.NewReader(armoredPrivate))
	if err != nil {
		return nil, fmt.Errorf("openpgp key: %w", err)
	}
	if len(el) != 1 || el[0].PrivateKey == nil {
		return nil, aceso.Errorf(aceso.EINVALID, "openpgp key: want one private key, got %d keys", len(el))
	}
	return el[0], nil
}

// CSAFKeyEncrypted reports whether an armored private key is protected by
// a passphrase.
func CSAFKeyEncrypted(armoredPrivate string) (bool, error) {
	e, err := readCSAFPrivateKey(armoredPrivate)
	if err != nil {
		return false, err
	}
	return e.PrivateKey.Encrypted, nil
}

// EncryptCSAFKey returns the armored private key encrypted with
// passphrase (see csafKeyProtection); the public part and the
// fingerprint stay the same. An already encrypted key is refused rather
// than wrapped twice.
func EncryptCSAFKey(armoredPrivate string, passphrase []byte) (string, error) {
	if len(passphrase) == 0 {
		return "", aceso.Errorf(aceso.EINVALID, "openpgp key: empty passphrase")
	}
	e, err := readCSAFPrivateKey(armoredPrivate)
	if err != nil {
		return "", err
	}
	if e.PrivateKey.Encrypted {
		return "", aceso.Errorf(aceso.EINVALID, "openpgp key: already encrypted")
	}
	if err := e.EncryptPrivateKeys(passphrase, csafKeyProtection()); err != nil {
		return "", fmt.Errorf("openpgp key: encrypt: %w", err)
	}
	var buf bytes.Buffer
	// The self-signatures are kept as they are: re-signing would need the
	// key that was just encrypted.
	if err := writeArmored(&buf, openpgp.PrivateKeyType, func(w io.Writer) error { return e.SerializePrivateWithoutSigning(w, nil) }); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// CSAFSigner signs documents with a private key read once.
type CSAFSigner struct{ e *openpgp.Entity }

// NewCSAFSigner reads an unencrypted armored private key (see
// NewCSAFSigningKey).
func NewCSAFSigner(armoredPrivate string) (*CSAFSigner, error) {
	return OpenCSAFSigner(armoredPrivate, nil)
}

// OpenCSAFSigner reads an armored private key and, when it is encrypted,
// decrypts it in memory with passphrase (an Argon2id derivation: about
// 64 MiB and a fraction of a second, so callers keep the signer). A
// missing or wrong passphrase is EINVALID and says so; a passphrase given
// for an unencrypted key is not needed and not an error.
func OpenCSAFSigner(armoredPrivate string, passphrase []byte) (*CSAFSigner, error) {
	e, err := readCSAFPrivateKey(armoredPrivate)
	if err != nil {
		return nil, err
	}
	if e.PrivateKey.Encrypted {
		if len(passphrase) == 0 {
			return nil, aceso.Errorf(aceso.EINVALID, "openpgp key %X is encrypted: a passphrase is needed", e.PrimaryKey.Fingerprint)
		}
		if err := e.DecryptPrivateKeys(passphrase); err != nil {
			return nil, aceso.Wrap(aceso.EINVALID, err, "openpgp key %X: the passphrase does not open it (wrong passphrase?)", e.PrimaryKey.Fingerprint)
		}
	}
	if e.PrivateKey.Encrypted {
		return nil, aceso.Errorf(aceso.EINVALID, "openpgp key %X: still encrypted after decryption", e.PrimaryKey.Fingerprint)
	}
	return &CSAFSigner{e: e}, nil
}

// Sign returns an armored detached signature of data.
func (s *CSAFSigner) Sign(data []byte, now time.Time) ([]byte, error) {
	var buf bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&buf, s.e, bytes.NewReader(data), &packet.Config{Time: func() time.Time { return now }}); err != nil {
		return nil, fmt.Errorf("openpgp sign: %w", err)
	}
	return buf.Bytes(), nil
}

// validCVSS reports whether vector is a well-formed CVSS vector of version.
func validCVSS(version, vector string) bool {
	var err error
	switch version {
	case "2.0":
		_, err = gocvss20.ParseVector(vector)
	case "3.0":
		_, err = gocvss30.ParseVector(vector)
	case "3.1":
		_, err = gocvss31.ParseVector(vector)
	default:
		return false
	}
	return err == nil
}
