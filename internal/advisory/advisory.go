// Package advisory reads security advisories (CSAF 2.0) as real publishers
// write them and flattens them into normalised products that the matching
// engine can compare with an inventory.
package advisory

import "time"

// Advisory is one parsed and normalised CSAF document.
type Advisory struct {
	ID              string          `json:"id"` // document.tracking.id, e.g. "ICSMA-20-317-01"
	Title           string          `json:"title"`
	Publisher       string          `json:"publisher"`
	TLP             string          `json:"tlp,omitempty"` // e.g. "TLP:CLEAR" (document.distribution.tlp.label mapped to TLP 2.0)
	InitialRelease  time.Time       `json:"initial_release_date,omitzero"`
	CurrentRelease  time.Time       `json:"current_release_date,omitzero"`
	Revision        string          `json:"version,omitempty"` // document.tracking.version
	Status          string          `json:"status,omitempty"`  // draft/interim/final
	Products        []Product       `json:"products"`
	Vulnerabilities []Vulnerability `json:"vulnerabilities"`
	Notes           []Note          `json:"notes,omitempty"`
	References      []Reference     `json:"references,omitempty"`
	Warnings        []string        `json:"warnings,omitempty"` // schema problems found while parsing; never a reason to drop
	Source          string          `json:"source,omitempty"`   // file path or URL it came from
	SHA256          string          `json:"sha256,omitempty"`   // of the raw document
	// Groups maps product_tree.product_groups group_id → product ids, so that
	// remediations and threats given per group resolve to products.
	Groups map[string][]string `json:"product_groups,omitempty"`
	// Authored marks an advisory the CSIRT running Aceso wrote itself
	// (share.Draft) rather than ingested: exporters publish it as the
	// CSIRT's own document, with its full revision history, instead of as a
	// redistributed one. The parser never sets it.
	Authored        bool             `json:"authored,omitempty"`
	RevisionHistory []Revision       `json:"revision_history,omitempty"` // authored advisories: oldest first
	Acknowledgments []Acknowledgment `json:"acknowledgments,omitempty"`  // authored advisories

	index map[string]int // product_id → index in Products, built by Parse
}

// Product is one leaf of the product tree (one product_id), flattened: the
// branch path gives vendor, family, name and version constraint.
type Product struct {
	ID             string   `json:"product_id"`
	FullName       string   `json:"name"`                   // full_product_name.name
	Vendor         string   `json:"vendor"`                 // as written in the "vendor" branch
	VendorNorm     string   `json:"vendor_normalised"`      // canonical, via inventory.NormaliseManufacturer
	Family         string   `json:"family,omitempty"`       // "product_family" branch names, joined with " / "
	Name           string   `json:"product_name,omitempty"` // "product_name" branch name
	Models         []string `json:"models,omitempty"`       // model numbers found in names and model_numbers helpers ("MX400", "8015")
	Version        string   `json:"version,omitempty"`      // raw "product_version" / "product_version_range" branch name ("<= 9.33.1", "vers:all/*")
	VersionIsRange bool     `json:"version_is_range,omitempty"`
	CPE            string   `json:"cpe,omitempty"`
	PURLs          []string `json:"purls,omitempty"`
	SKUs           []string `json:"skus,omitempty"`
	Serials        []string `json:"serial_numbers,omitempty"`
	Hashes         []string `json:"hashes,omitempty"`
	// Relationship, when the product comes from a relationship ("X installed on Y"):
	// the category and the two product ids it joins.
	RelCategory string `json:"relationship,omitempty"`
	RelProduct  string `json:"rel_product_id,omitempty"`
	RelTarget   string `json:"rel_target_id,omitempty"`
}

// Product status lists of CSAF 2.0 (all eight).
const (
	StatusFirstAffected      = "first_affected"
	StatusFirstFixed         = "first_fixed"
	StatusFixed              = "fixed"
	StatusKnownAffected      = "known_affected"
	StatusKnownNotAffected   = "known_not_affected"
	StatusLastAffected       = "last_affected"
	StatusRecommended        = "recommended"
	StatusUnderInvestigation = "under_investigation"
)

// Vulnerability is one entry of the vulnerabilities array.
type Vulnerability struct {
	CVE           string              `json:"cve,omitempty"`
	CWE           string              `json:"cwe,omitempty"` // "CWE-798"
	CWEName       string              `json:"cwe_name,omitempty"`
	Title         string              `json:"title,omitempty"`
	ProductStatus map[string][]string `json:"product_status,omitempty"` // status list name → product ids
	Scores        []Score             `json:"scores,omitempty"`
	Remediations  []Remediation       `json:"remediations,omitempty"`
	Threats       []Threat            `json:"threats,omitempty"`
	Notes         []Note              `json:"notes,omitempty"`
	References    []Reference         `json:"references,omitempty"`
}

// Score is one CVSS score for a set of products.
type Score struct {
	Version    string   `json:"version"` // "3.0", "3.1", "4.0", "2.0"
	Vector     string   `json:"vector"`
	BaseScore  float64  `json:"base_score"`
	Severity   string   `json:"severity,omitempty"`
	ProductIDs []string `json:"product_ids,omitempty"`
}

// Remediation categories of CSAF 2.0.
const (
	RemediationMitigation    = "mitigation"
	RemediationNoFixPlanned  = "no_fix_planned"
	RemediationNoneAvailable = "none_available"
	RemediationVendorFix     = "vendor_fix"
	RemediationWorkaround    = "workaround"
)

// Remediation is what the publisher tells users to do, per product.
type Remediation struct {
	Category   string   `json:"category"`
	Details    string   `json:"details"`
	URL        string   `json:"url,omitempty"`
	ProductIDs []string `json:"product_ids,omitempty"`
	GroupIDs   []string `json:"group_ids,omitempty"`
}

// Threat is a CSAF threat entry (exploit_status, impact, target_set).
type Threat struct {
	Category   string   `json:"category"`
	Details    string   `json:"details"`
	ProductIDs []string `json:"product_ids,omitempty"`
}

// Note is a CSAF note.
type Note struct {
	Category string `json:"category"`
	Title    string `json:"title,omitempty"`
	Text     string `json:"text"`
}

// Reference is a CSAF reference.
type Reference struct {
	Category string `json:"category,omitempty"`
	Summary  string `json:"summary,omitempty"`
	URL      string `json:"url"`
}

// Revision is one entry of document.tracking.revision_history.
type Revision struct {
	Number  string    `json:"number"`
	Date    time.Time `json:"date"`
	Summary string    `json:"summary"`
}

// Acknowledgment credits who found, reported or helped with an advisory
// (document.acknowledgments).
type Acknowledgment struct {
	Names        []string `json:"names,omitempty"`
	Organization string   `json:"organization,omitempty"`
	Summary      string   `json:"summary,omitempty"`
	URLs         []string `json:"urls,omitempty"`
}
