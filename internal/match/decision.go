package match

import (
	"slices"
	"strings"
	"time"

	"github.com/aceso-health/aceso/internal/advisory"
)

// Decision is an analyst's verdict on whether a device model is an advisory
// product. It is keyed by what stays the same across advisories —
// manufacturer, device model and ProductKey — not by advisory id, so one
// review settles every device of that model now and in later advisories
// that name the same product. A confirmed pair counts as a certain product
// match (the version is still checked); a rejected pair never matches.
type Decision struct {
	Manufacturer string    `json:"manufacturer"` // device manufacturer, normalised (Device.ManufacturerNorm)
	Model        string    `json:"model"`        // device model as in the inventory
	ProductKey   string    `json:"product_key"`  // ProductKey of the advisory product
	Confirmed    bool      `json:"confirmed"`    // true: same product; false: not this product
	By           string    `json:"by,omitempty"`
	At           time.Time `json:"at,omitzero"`
	Note         string    `json:"note,omitempty"`
}

func (d Decision) key() string {
	return decisionKey(d.Manufacturer, d.Model, d.ProductKey)
}

func decisionKey(mfr, model, productKey string) string {
	return strings.Join(foldWords(mfr), " ") + "|" + strings.Join(foldWords(model), " ") + "|" + productKey
}

// ProductKey returns a stable key for an advisory product: normalised
// vendor, product family and name words, and model numbers, without the
// version, so that the same product in a later advisory (with a new version
// range) has the same key.
func ProductKey(p advisory.Product) string {
	vendor := p.VendorNorm
	if vendor == "" {
		vendor = p.Vendor
	}
	name := p.Name
	if name == "" {
		name = p.FullName
		if i := strings.IndexByte(name, ':'); i > 0 {
			name = name[:i]
		}
	}
	if p.Family != "" {
		name = p.Family + " " + name
	}
	name = dottedVersion.ReplaceAllString(fold(name), " ")
	models := make([]string, 0, len(p.Models))
	for _, m := range p.Models {
		models = append(models, strings.Join(foldWords(m), ""))
	}
	slices.Sort(models)
	models = slices.Compact(models)
	return strings.Join(foldWords(vendor), " ") + "|" + strings.Join(foldWords(name), " ") + "|" + strings.Join(models, ",")
}

// foldWords folds s and splits it into alphanumeric words.
func foldWords(s string) []string {
	return alnumParts(fold(s))
}
