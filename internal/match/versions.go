package match

import (
	"fmt"
	"strings"

	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/version"
)

func (e *Engine) prepareVersion(pi *prodInfo, drop func(string) bool) {
	p := pi.p
	tail := ""
	if i := strings.IndexByte(p.FullName, ':'); i > 0 {
		tail = strings.TrimSpace(p.FullName[i+1:])
	}
	pi.vtext = strings.TrimSpace(p.Version)
	if pi.vtext == "" {
		pi.vtext = tail
	}
	if pi.vtext == "" {
		if len(pi.nameVersions) > 0 {
			pi.vtext = strings.Join(pi.nameVersions, " | ")
			if pi.c = version.ParseConstraint(pi.vtext); pi.c.Known() {
				return
			}
		}
		pi.noVersionInfo = true
		return
	}
	text := pi.vtext
	if !p.VersionIsRange && p.Version != "" && !strings.ContainsAny(text, "<>=|*") {
		// A single version in a first_/last_ list bounds the affected range.
		switch pi.status {
		case advisory.StatusFirstAffected, advisory.StatusFirstFixed:
			text = ">= " + text
		case advisory.StatusLastAffected:
			text = "<= " + text
		}
	}
	pi.c = version.ParseConstraint(text)
	if tail != "" && p.Version != "" && fold(tail) != fold(p.Version) {
		if alt := version.ParseConstraint(tail); alt.Known() && !alt.All() {
			pi.alt, pi.hasAlt = alt, true
			if floatArtifact(p.Version, tail) {
				// "2.20" became the number 2.2 in the branch: the name has it right.
				pi.c, pi.hasAlt, pi.vtext = alt, false, tail
			}
		}
	}
	if pi.c.All() && len(pi.nameVersions) > 0 {
		// "Xeleris 3.1: all versions" means all builds of 3.1, not Xeleris 4.
		if c := version.ParseConstraint(strings.Join(pi.nameVersions, " | ")); c.Known() {
			pi.c, pi.vtext = c, strings.Join(pi.nameVersions, " | ")
		}
		return
	}
	if pi.c.All() || strings.HasPrefix(fold(text), "vers:") {
		return
	}
	// Variant lists in the version field.
	pi.modelishItems = true
	for _, it := range splitItems(pi.vtext) {
		it = strings.TrimSpace(it)
		if it == "" {
			continue
		}
		if strings.ContainsAny(it, "<>=*") || dottedVersion.MatchString(it) {
			pi.modelishItems = false
			continue
		}
		ss, _ := nameSlots(it, drop)
		if len(ss) == 0 {
			pi.modelishItems = false
			continue
		}
		pi.items = append(pi.items, ss)
		if !itemModelish(ss) {
			pi.modelishItems = false
		}
	}
	if len(pi.items) == 0 {
		pi.modelishItems = false
	}
	pi.variantMode = len(pi.items) > 0 && (!pi.c.Known() || pi.modelishItems)
}

// floatArtifact reports whether branch is name with trailing zeros lost,
// as when a converter read the version "2.20" as the number 2.2.
func floatArtifact(branch, name string) bool {
	branch, name = strings.TrimSpace(branch), strings.TrimSpace(name)
	if !strings.Contains(branch, ".") || !strings.Contains(name, ".") || !strings.HasSuffix(name, "0") {
		return false
	}
	for _, c := range branch + name {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return strings.TrimRight(name, "0") == branch
}

// versionAnswer tests a device version against the product.
func (pi *prodInfo) versionAnswer(v string, ev *evidence) (version.Answer, string, float64) {
	switch {
	case ev.variant:
		return version.Yes, "all versions of the listed variant", 0.9
	case pi.noVersionInfo:
		return version.Yes, "no version given in the advisory (all versions)", 0.85
	case pi.c.All():
		why := "all versions"
		if n := pi.c.Note(); n != "" {
			why += " (" + n + ")"
		}
		return version.Yes, why, 0.95
	case !pi.c.Known():
		return version.Unknown, fmt.Sprintf("cannot read advisory version %q", pi.vtext), 0
	case v == "":
		return version.Unknown, fmt.Sprintf("device version not recorded (advisory: %s)", pi.vtext), 0
	}
	a, why := pi.c.Explain(v)
	if a == version.Unknown {
		// "T4APP 2.20": a leading word the product name also has is the
		// software's name, not part of the version.
		if f := strings.Fields(v); len(f) > 1 && pi.names(fold(f[0])) {
			if a2, why2 := pi.c.Explain(strings.Join(f[1:], " ")); a2 != version.Unknown {
				a, why = a2, why2
			}
		}
	}
	if a == version.No && pi.hasAlt && pi.alt.Contains(v) == version.Yes {
		return version.Unknown, fmt.Sprintf("advisory is inconsistent: %s, but its product name says %q", why,
			strings.TrimSpace(pi.p.FullName[strings.IndexByte(pi.p.FullName, ':')+1:])), 0
	}
	return a, "version " + why, 1
}
