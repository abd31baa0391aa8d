package inventory

import (
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// builtinAliases maps a canonical manufacturer name to the names it is
// written as in CMMS exports and advisories. Keys of the lookup are made by
// manufacturerKey, so case, punctuation, accents and legal suffixes do not matter.
var builtinAliases = map[string][]string{
	"Abbott":                {"Abbott Laboratories", "Abbott Diagnostics", "St. Jude Medical", "St Jude Medical", "SJM"},
	"Baxter":                {"Baxter International", "Baxter Healthcare", "Hillrom", "Hill-Rom", "Welch Allyn"},
	"Becton Dickinson":      {"BD", "Becton, Dickinson and Company", "Becton Dickinson and Company", "Becton, Dickinson and Company (BD)", "CareFusion", "Cardinal Health CareFusion", "Alaris"},
	"BIOTRONIK":             {"Biotronik SE", "Biotronik SE & Co. KG"},
	"Boston Scientific":     {"BSC", "Boston Scientific Corporation"},
	"B. Braun":              {"B.Braun", "B. Braun Melsungen", "B.Braun Melsungen", "B. Braun Melsungen AG", "Braun", "B Braun Medical"},
	"Capsule Technologies":  {"Capsule Tech", "Capsule Technologie", "Qualcomm Life Capsule"},
	"Change Healthcare":     {"McKesson", "McKesson Corporation", "Change Healthcare McKesson"},
	"Draeger":               {"Dräger", "Drager", "Drägerwerk", "Draegerwerk", "Dräger Medical", "Draeger Medical", "Drägerwerk AG & Co. KGaA"},
	"Fresenius":             {"Fresenius Kabi", "Fresenius Medical Care", "Fresenius Kabi AG"},
	"GE Healthcare":         {"GE", "General Electric", "GE Medical Systems", "GE Medical", "GE HealthCare", "Datex-Ohmeda", "Datex Ohmeda", "GE Healthcare Datex-Ohmeda"},
	"Hamilton Medical":      {"Hamilton"},
	"ICU Medical":           {"Smiths Medical", "Hospira", "Smiths Group"},
	"Medtronic":             {"Medtronic plc", "Medtronic Inc", "Covidien", "Puritan Bennett"},
	"Mindray":               {"Shenzhen Mindray", "Mindray Medical", "Mindray DS"},
	"Nihon Kohden":          {"Nihon Kohden Corporation"},
	"Philips":               {"Philips Healthcare", "Philips Medical Systems", "Koninklijke Philips", "Koninklijke Philips N.V.", "Philips Electronics", "Respironics", "Philips Respironics"},
	"Roche":                 {"Roche Diagnostics", "Hoffmann-La Roche", "F. Hoffmann-La Roche"},
	"Siemens Healthineers":  {"Siemens Healthcare", "Siemens Medical Solutions", "Siemens Medical", "Siemens"},
	"Spacelabs Healthcare":  {"Spacelabs", "Spacelabs Medical", "OSI Systems"},
	"Stryker":               {"Stryker Corporation", "Stryker Medical"},
	"Canon Medical Systems": {"Canon Medical", "Toshiba Medical", "Toshiba Medical Systems"},
	"Fujifilm":              {"Fujifilm Healthcare", "FUJIFILM Medical Systems", "Hitachi Medical"},
	"Carestream":            {"Carestream Health"},
	"Agfa HealthCare":       {"Agfa", "Agfa-Gevaert"},
	"Olympus":               {"Olympus Medical Systems"},
	"Natus Medical":         {"Natus"},
	"Hillrom":               nil, // listed under Baxter; kept here so the name is known even if a deployment splits it off
	"Microsoft":             {"Microsoft Corporation"},
	"Oracle":                {"Oracle Corporation"},
	"Sensis":                nil,
	"Zoll Medical":          {"Zoll"},
	"Masimo":                {"Masimo Corporation"},
	"Welch Allyn":           nil,
	"Vyaire Medical":        {"Vyaire", "CareFusion Respiratory"},
	"Getinge":               {"Maquet", "Maquet Getinge", "Getinge AB"},
	"Löwenstein Medical":    {"Loewenstein Medical", "Lowenstein Medical"},
	"Elekta":                nil,
	"Varian":                {"Varian Medical Systems"},
	"Beckman Coulter":       nil,
	"Sysmex":                {"Sysmex Corporation"},
	"Silex Technology":      {"Silex"},
	"Innokas Yhtymä":        {"Innokas"},
	"Orthanc":               nil,
	"Hospira":               nil,
	"Smiths Medical":        nil,
}

// Aliases resolves manufacturer names to canonical names. The zero value
// is not usable; use NewAliases or DefaultAliases.
type Aliases struct {
	mu    sync.RWMutex
	canon map[string]string // manufacturerKey(alias or canonical) → canonical
}

// NewAliases returns the built-in table extended by extra (canonical → aliases),
// as an admin configures it. A name that appears as its own canonical wins
// over being an alias of another, so a deployment can split a vendor off.
func NewAliases(extra map[string][]string) *Aliases {
	a := &Aliases{canon: make(map[string]string, 256)}
	a.add(builtinAliases)
	a.add(extra)
	return a
}

func (a *Aliases) add(m map[string][]string) {
	for canonical, aliases := range m {
		for _, al := range aliases {
			if k := manufacturerKey(al); k != "" {
				if _, isCanon := m[al]; !isCanon {
					a.canon[k] = canonical
				}
			}
		}
	}
	for canonical := range m {
		if len(m[canonical]) > 0 || a.canon[manufacturerKey(canonical)] == "" {
			a.canon[manufacturerKey(canonical)] = canonical
		}
	}
}

// Add registers alias as another name of canonical.
func (a *Aliases) Add(canonical string, aliases ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.add(map[string][]string{canonical: aliases})
}

// Normalise returns the canonical name of a manufacturer as typed. Unknown
// names come back cleaned (trimmed, single-spaced, legal suffixes removed)
// so that two spellings of an unknown vendor still compare equal.
func (a *Aliases) Normalise(name string) string {
	k := manufacturerKey(name)
	if k == "" {
		return ""
	}
	a.mu.RLock()
	c, ok := a.canon[k]
	a.mu.RUnlock()
	if ok {
		return c
	}
	// "Philips Medical Systems Nederland B.V." → try the leading words.
	words := strings.Fields(k)
	for n := len(words) - 1; n >= 1; n-- {
		a.mu.RLock()
		c, ok := a.canon[strings.Join(words[:n], " ")]
		a.mu.RUnlock()
		if ok {
			return c
		}
	}
	return cleanName(name)
}

var defaultAliases = NewAliases(nil)

// DefaultAliases returns the built-in alias table shared by the inventory
// importer and the advisory parser.
func DefaultAliases() *Aliases { return defaultAliases }

// NormaliseManufacturer normalises name with the built-in table.
func NormaliseManufacturer(name string) string { return defaultAliases.Normalise(name) }

// legalSuffixes are dropped from the end of a manufacturer key.
var legalSuffixes = map[string]bool{
	"inc": true, "incorporated": true, "corp": true, "corporation": true, "co": true, "company": true,
	"ltd": true, "limited": true, "llc": true, "plc": true, "gmbh": true, "ag": true, "se": true,
	"sa": true, "sas": true, "spa": true, "bv": true, "nv": true, "kg": true, "kgaa": true, "ab": true,
	"oy": true, "as": true, "asa": true, "srl": true, "pty": true, "and": true, "the": true,
}

// manufacturerKey folds a name for lookup: accents removed, lower case,
// punctuation to spaces, a parenthesised abbreviation and legal suffixes dropped.
func manufacturerKey(name string) string {
	s := norm.NFKD.String(name)
	var b strings.Builder
	b.Grow(len(s))
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
			b.WriteByte(' ')
		case r == ')':
			if depth > 0 {
				depth--
			}
			b.WriteByte(' ')
		case depth > 0:
			// text in parentheses ("(BD)") is an abbreviation of what precedes it
		case unicode.Is(unicode.Mn, r):
			// combining accent
		case r == '&':
			b.WriteString(" and ")
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		case r == '\'':
			// "O'Neil" folds to "oneil"
		default:
			b.WriteByte(' ')
		}
	}
	words := joinInitials(strings.Fields(b.String()))
	for len(words) > 1 && legalSuffixes[words[len(words)-1]] {
		words = words[:len(words)-1]
	}
	if len(words) > 1 && words[0] == "the" {
		words = words[1:]
	}
	return strings.Join(words, " ")
}

func cleanName(name string) string {
	return strings.Join(strings.Fields(name), " ")
}

// joinInitials joins runs of two or more one-letter words, so that
// "B.V." and "BV" fold alike while "B. Braun" keeps its initial.
func joinInitials(words []string) []string {
	out := words[:0]
	for i := 0; i < len(words); {
		j := i
		for j < len(words) && len(words[j]) == 1 {
			j++
		}
		if j-i >= 2 {
			out = append(out, strings.Join(words[i:j], ""))
			i = j
			continue
		}
		out = append(out, words[i])
		i++
	}
	return out
}
