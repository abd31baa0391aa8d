package advisory

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
)

// KEVEntry is one vulnerability of CISA's Known Exploited Vulnerabilities
// catalogue. Being listed there is what SSVC calls "Exploitation: active".
type KEVEntry struct {
	CVE            string    `json:"cve"`
	VendorProject  string    `json:"vendor_project"`
	Product        string    `json:"product"`
	Name           string    `json:"name,omitempty"`
	DateAdded      time.Time `json:"date_added"`
	DueDate        time.Time `json:"due_date,omitzero"`
	Ransomware     bool      `json:"ransomware"` // knownRansomwareCampaignUse == "Known"
	RequiredAction string    `json:"required_action,omitempty"`
}

type rawKEV struct {
	CatalogVersion  string `json:"catalogVersion"`
	Vulnerabilities *[]struct {
		CVEID             string `json:"cveID"`
		VendorProject     string `json:"vendorProject"`
		Product           string `json:"product"`
		VulnerabilityName string `json:"vulnerabilityName"`
		DateAdded         string `json:"dateAdded"`
		DueDate           string `json:"dueDate"`
		Ransomware        string `json:"knownRansomwareCampaignUse"`
		RequiredAction    string `json:"requiredAction"`
	} `json:"vulnerabilities"`
}

// ParseKEV reads the KEV catalogue JSON into a map keyed by CVE id. Unlike
// CSAF it is one authoritative file, so a malformed entry is an error that
// names the entry and field rather than a warning.
func ParseKEV(data []byte) (map[string]KEVEntry, error) {
	var raw rawKEV
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, aceso.Wrap(aceso.EINVALID, err, "kev: not a KEV catalogue: %s", err.Error())
	}
	if raw.Vulnerabilities == nil {
		return nil, aceso.Errorf(aceso.EINVALID, `kev: no "vulnerabilities" array`)
	}
	out := make(map[string]KEVEntry, len(*raw.Vulnerabilities))
	for i, v := range *raw.Vulnerabilities {
		cve := strings.TrimSpace(v.CVEID)
		if !looksLikeCVE(cve) {
			return nil, aceso.Errorf(aceso.EINVALID, "kev: vulnerabilities[%d].cveID: %q is not a CVE id", i, v.CVEID)
		}
		added, err := time.Parse(time.DateOnly, strings.TrimSpace(v.DateAdded))
		if err != nil {
			return nil, aceso.Errorf(aceso.EINVALID, "kev: vulnerabilities[%d] (%s).dateAdded: bad date %q", i, cve, v.DateAdded)
		}
		var due time.Time
		if s := strings.TrimSpace(v.DueDate); s != "" {
			if due, err = time.Parse(time.DateOnly, s); err != nil {
				return nil, aceso.Errorf(aceso.EINVALID, "kev: vulnerabilities[%d] (%s).dueDate: bad date %q", i, cve, v.DueDate)
			}
		}
		if _, dup := out[cve]; dup {
			continue // the catalogue never repeats a CVE; if it did, the first listing is the original
		}
		out[cve] = KEVEntry{
			CVE: cve, VendorProject: strings.TrimSpace(v.VendorProject), Product: strings.TrimSpace(v.Product),
			Name: v.VulnerabilityName, DateAdded: added, DueDate: due,
			Ransomware:     strings.EqualFold(strings.TrimSpace(v.Ransomware), "Known"),
			RequiredAction: v.RequiredAction,
		}
	}
	return out, nil
}
