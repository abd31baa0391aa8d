package advisory

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// The raw* types mirror the CSAF 2.0 JSON as publishers really write it.
// They are decoded once with encoding/json and then normalised; fields that
// real documents get wrong in type (numbers as strings) use the flex types,
// which never fail so that one bad value cannot abort the whole decode.

type rawCSAF struct {
	Document        *rawDocument    `json:"document"`
	ProductTree     *rawProductTree `json:"product_tree"`
	Vulnerabilities []rawVuln       `json:"vulnerabilities"`
}

type rawDocument struct {
	Category     string        `json:"category"`
	CSAFVersion  flexString    `json:"csaf_version"`
	Title        string        `json:"title"`
	Publisher    *rawPublisher `json:"publisher"`
	Distribution *rawDistrib   `json:"distribution"`
	Tracking     *rawTracking  `json:"tracking"`
	Notes        []Note        `json:"notes"` // the public types share CSAF's member names
	References   []Reference   `json:"references"`
}

type rawPublisher struct {
	Name      string `json:"name"`
	Category  string `json:"category"`
	Namespace string `json:"namespace"`
}

type rawDistrib struct {
	Text string `json:"text"`
	TLP  *struct {
		Label string `json:"label"`
		URL   string `json:"url"`
	} `json:"tlp"`
}

type rawTracking struct {
	ID                 string        `json:"id"`
	Status             string        `json:"status"`
	Version            flexString    `json:"version"`
	InitialReleaseDate string        `json:"initial_release_date"`
	CurrentReleaseDate string        `json:"current_release_date"`
	RevisionHistory    []rawRevision `json:"revision_history"`
}

type rawRevision struct {
	Number flexString `json:"number"`
	Date   string     `json:"date"`
}

type rawProductTree struct {
	Branches         []rawBranch       `json:"branches"`
	FullProductNames []rawFullProduct  `json:"full_product_names"`
	Relationships    []rawRelationship `json:"relationships"`
	ProductGroups    []rawGroup        `json:"product_groups"`
}

type rawBranch struct {
	Category string          `json:"category"`
	Name     flexString      `json:"name"`
	Branches []rawBranch     `json:"branches"`
	Product  *rawFullProduct `json:"product"`
}

type rawFullProduct struct {
	Name      string     `json:"name"`
	ProductID flexString `json:"product_id"`
	Helper    *rawHelper `json:"product_identification_helper"`
}

type rawHelper struct {
	CPE           string    `json:"cpe"`
	PURL          string    `json:"purl"`
	PURLs         []string  `json:"purls"` // CSAF 2.1
	Hashes        []rawHash `json:"hashes"`
	ModelNumbers  []string  `json:"model_numbers"`
	SerialNumbers []string  `json:"serial_numbers"`
	SKUs          []string  `json:"skus"`
}

type rawHash struct {
	Filename   string `json:"filename"`
	FileHashes []struct {
		Algorithm string `json:"algorithm"`
		Value     string `json:"value"`
	} `json:"file_hashes"`
}

type rawRelationship struct {
	Category         string          `json:"category"`
	FullProductName  *rawFullProduct `json:"full_product_name"`
	ProductReference string          `json:"product_reference"`
	RelatesTo        string          `json:"relates_to_product_reference"`
}

type rawGroup struct {
	GroupID    string   `json:"group_id"`
	ProductIDs []string `json:"product_ids"`
	Summary    string   `json:"summary"`
}

type rawVuln struct {
	CVE           flexString          `json:"cve"`
	CWE           *rawCWE             `json:"cwe"`
	CWEs          []rawCWE            `json:"cwes"` // CSAF 2.1
	Title         string              `json:"title"`
	ProductStatus map[string][]string `json:"product_status"`
	Scores        []rawScore          `json:"scores"`
	Metrics       []rawMetric         `json:"metrics"` // CSAF 2.1
	Remediations  []Remediation       `json:"remediations"`
	Threats       []rawThreat         `json:"threats"`
	Notes         []Note              `json:"notes"`
	References    []Reference         `json:"references"`
}

type rawCWE struct {
	ID   flexString `json:"id"`
	Name string     `json:"name"`
}

type rawScore struct {
	CVSSv2   *rawCVSS `json:"cvss_v2"`
	CVSSv3   *rawCVSS `json:"cvss_v3"`
	CVSSv4   *rawCVSS `json:"cvss_v4"`
	Products []string `json:"products"`
}

type rawMetric struct {
	Content *struct {
		CVSSv2 *rawCVSS `json:"cvss_v2"`
		CVSSv3 *rawCVSS `json:"cvss_v3"`
		CVSSv4 *rawCVSS `json:"cvss_v4"`
	} `json:"content"`
	Products []string `json:"products"`
}

type rawCVSS struct {
	Version      flexString `json:"version"`
	VectorString string     `json:"vectorString"`
	BaseScore    flexFloat  `json:"baseScore"`
	BaseSeverity string     `json:"baseSeverity"`
}

type rawThreat struct {
	Category   string   `json:"category"`
	Details    string   `json:"details"`
	ProductIDs []string `json:"product_ids"`
	GroupIDs   []string `json:"group_ids"`
}

// flexString accepts a JSON string, and also a number or boolean (kept as
// its literal text, Coerced set), because publishers write "version": 1.
// Objects and arrays leave it empty with Bad set. It never returns an error:
// an error from an Unmarshaler would abort the whole document.
type flexString struct {
	S       string
	Coerced bool // was a number or boolean
	Bad     bool // was an object or array
}

func (f *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0 || string(b) == "null":
	case b[0] == '"':
		if bytes.IndexByte(b, '\\') < 0 {
			f.S = string(b[1 : len(b)-1])
		} else if err := json.Unmarshal(b, &f.S); err != nil {
			f.Bad = true
		}
	case b[0] == '{' || b[0] == '[':
		f.Bad = true
	default:
		f.S, f.Coerced = string(b), true
	}
	return nil
}

// flexFloat accepts a JSON number or a number written as a string (Coerced).
type flexFloat struct {
	V       float64
	Set     bool // a usable value was present
	Coerced bool // was a string holding a number
	Bad     bool // present but not a number
}

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0 || string(b) == "null":
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			f.Bad = true
			return nil
		}
		v, err := strconv.ParseFloat(string(bytes.TrimSpace([]byte(s))), 64)
		if err != nil {
			f.Bad = true
			return nil
		}
		f.V, f.Set, f.Coerced = v, true, true
	default:
		v, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			f.Bad = true
			return nil
		}
		f.V, f.Set = v, true
	}
	return nil
}
