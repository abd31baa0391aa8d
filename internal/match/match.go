package match

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/inventory"
	"github.com/aceso-health/aceso/internal/ssvc"
	"github.com/aceso-health/aceso/internal/version"
)

// Status is the verdict for one device and one advisory.
type Status string

// Statuses. PossiblyAffected goes to the review queue: the product matches
// but the version cannot be decided, or the product match itself is uncertain.
const (
	Affected         Status = "affected"
	PossiblyAffected Status = "possibly_affected"
	NotAffected      Status = "not_affected"
)

func (s Status) rank() int {
	switch s {
	case Affected:
		return 3
	case PossiblyAffected:
		return 2
	case NotAffected:
		return 1
	}
	return 0
}

// Result is the finding for one device and one advisory: the products of
// the advisory that name the device are merged, the strongest evidence wins.
type Result struct {
	Device       *inventory.Device      `json:"-"` // the engine's copy; valid until the device is updated or removed
	DeviceRef    int                    `json:"device_ref"`
	AdvisoryID   string                 `json:"advisory_id"`
	ProductID    string                 `json:"product_id"`   // product giving the verdict
	ProductIDs   []string               `json:"product_ids"`  // every product that named the device
	ProductName  string                 `json:"product_name"` // of ProductID
	ProductKey   string                 `json:"product_key"`  // of ProductID, for a Decision
	CVEs         []string               `json:"cves"`
	Status       Status                 `json:"status"`
	Confidence   float64                `json:"confidence"` // 0–1, in the status
	Reason       string                 `json:"reason"`
	Remediations []advisory.Remediation `json:"remediations,omitempty"`
	SSVC         ssvc.Result            `json:"ssvc"`
	MatchedAt    time.Time              `json:"matched_at"`
}

// Status lists of CSAF, by what they say about a listed product.
const (
	listNone uint8 = iota
	listAffected
	listInvestigation
	listFixed
)

func listKind(status string) uint8 {
	switch status {
	case advisory.StatusKnownAffected, advisory.StatusFirstAffected, advisory.StatusLastAffected:
		return listAffected
	case advisory.StatusUnderInvestigation:
		return listInvestigation
	case advisory.StatusFixed, advisory.StatusFirstFixed, advisory.StatusKnownNotAffected:
		return listFixed
	}
	return listNone
}

type vulnInfo struct {
	v     *advisory.Vulnerability
	kinds map[int]uint8 // product index → list kind
}

type hit struct {
	prod int
	ev   evidence
}

// outcome is the merged verdict for one device group and one version; all
// devices that share both get the same verdict.
type outcome struct {
	res         Result // template: no device, no SSVC
	exploit     ssvc.Exploitation
	exploitFrom string
	auto        ssvc.Automatable
	autoFrom    string
}

// Match matches one advisory against every indexed device and returns one
// Result per device that any product of the advisory names (including
// not_affected findings, which record why a named device is safe), sorted by
// device reference. Devices no product names are not returned.
func (e *Engine) Match(a *advisory.Advisory) []Result {
	var out []Result
	e.MatchFunc(a, func(r *Result) { out = append(out, *r) })
	return out
}

// MatchFunc is Match without collecting: fn gets each result in device
// order and must not keep the pointer.
func (e *Engine) MatchFunc(a *advisory.Advisory, fn func(*Result)) {
	if a == nil {
		return
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	now := e.now()

	// Which products each vulnerability lists, and how.
	index := make(map[string]int, len(a.Products))
	for i := range a.Products {
		if _, dup := index[a.Products[i].ID]; !dup {
			index[a.Products[i].ID] = i
		}
	}
	firstStatus := make(map[int]string)
	var vulns []vulnInfo
	for vi := range a.Vulnerabilities {
		v := &a.Vulnerabilities[vi]
		info := vulnInfo{v: v, kinds: map[int]uint8{}}
		for status, ids := range v.ProductStatus {
			k := listKind(status)
			if k == listNone {
				continue
			}
			for _, id := range ids {
				if pi, ok := index[id]; ok {
					if old := info.kinds[pi]; old == listNone || k == listAffected {
						info.kinds[pi] = k
					}
					if _, seen := firstStatus[pi]; !seen || k == listAffected {
						firstStatus[pi] = status
					}
				}
			}
		}
		if len(info.kinds) > 0 {
			vulns = append(vulns, info)
		}
	}
	if len(vulns) == 0 && len(a.Products) > 0 {
		// No product_status at all: the advisory's products are what it is about.
		info := vulnInfo{v: &advisory.Vulnerability{}, kinds: map[int]uint8{}}
		for i := range a.Products {
			info.kinds[i] = listAffected
			firstStatus[i] = advisory.StatusKnownAffected
		}
		vulns = append(vulns, info)
	}
	if len(vulns) == 0 {
		return
	}

	// Products → candidate groups → evidence.
	prods := make([]*prodInfo, len(a.Products))
	hits := make(map[int32][]hit)
	for pi, status := range firstStatus {
		prods[pi] = e.prepareProduct(a, pi, status)
	}
	applyFamilies(prods)
	for _, p := range prods {
		if p == nil {
			continue
		}
		pi := p.idx
		for _, gi := range e.candidates(p) {
			if ev := e.compare(p, e.groups[gi]); ev.level != levelNone {
				hits[gi] = append(hits[gi], hit{prod: pi, ev: ev})
			}
		}
	}
	if len(hits) == 0 {
		return
	}
	gids := make([]int32, 0, len(hits))
	for gi := range hits {
		gids = append(gids, gi)
	}
	slices.Sort(gids)

	// Verdicts are the same for every device of a group with the same
	// version, and SSVC for the same verdict and device context: compute each
	// once, then emit per device in reference order.
	type item struct {
		ref int32
		oc  *outcome
		s   *ssvc.Result
	}
	type verCache struct {
		v  int32
		oc *outcome
	}
	type ssvcCache struct {
		zone   inventory.Zone
		fn     inventory.ClinicalFunction
		safety inventory.SafetyImpact
		s      *ssvc.Result
	}
	ssvcs := make(map[*outcome][]ssvcCache)
	n := 0
	for _, gi := range gids {
		n += len(e.groups[gi].members)
	}
	items := make([]item, 0, n)
	var vc []verCache
	for _, gi := range gids {
		vc = vc[:0]
		for _, r := range e.groups[gi].members {
			vi := e.dVer[r]
			var oc *outcome
			found := false
			for _, c := range vc {
				if c.v == vi {
					oc, found = c.oc, true
					break
				}
			}
			if !found {
				oc = e.decide(a, prods, vulns, hits[gi], e.verStr[vi], now)
				vc = append(vc, verCache{vi, oc})
			}
			if oc == nil {
				continue
			}
			d := &e.devs[r]
			var sp *ssvc.Result
			cs := ssvcs[oc]
			for _, c := range cs {
				if c.zone == d.Zone && c.fn == d.ClinicalFunction && c.safety == d.SafetyImpact {
					sp = c.s
					break
				}
			}
			if sp == nil {
				in := ssvc.ForDevice(d)
				in.Exploitation, in.ExploitationFrom = oc.exploit, oc.exploitFrom
				in.Automatable, in.AutomatableFrom = oc.auto, oc.autoFrom
				s := ssvc.Decide(in)
				sp = &s
				ssvcs[oc] = append(cs, ssvcCache{d.Zone, d.ClinicalFunction, d.SafetyImpact, sp})
			}
			items = append(items, item{r, oc, sp})
		}
	}
	slices.SortFunc(items, func(x, y item) int { return cmp.Compare(x.ref, y.ref) })
	var res Result
	for _, it := range items {
		res = it.oc.res
		res.Device, res.DeviceRef, res.SSVC = &e.devs[it.ref], int(it.ref), *it.s
		fn(&res)
	}
}

// candidates returns the groups a product may name: same manufacturer (or
// alias, brand, loose spelling), or the same model number under any
// manufacturer (checked in compare).
func (e *Engine) candidates(p *prodInfo) []int32 {
	seen := map[int32]bool{}
	var out []int32
	add := func(list []int32) {
		for _, g := range list {
			if !seen[g] {
				seen[g] = true
				out = append(out, g)
			}
		}
	}
	for _, f := range p.vendorFolds {
		add(e.byMfr[f])
		if lk := looseKey(f); lk != "" {
			add(e.byMfr[lk])
		}
	}
	for _, f := range p.brandFolds {
		add(e.byMfr[f])
	}
	for _, list := range [][]slot{p.slots, p.extra} {
		for _, s := range list {
			if s.kind != kModel || s.rng != nil {
				continue
			}
			for _, a := range s.alts {
				add(e.byModel[a])
				if c := core(a); c != "" {
					add(e.byModel[c])
				}
			}
		}
	}
	return out
}

// decide merges the evidence of every product that names a group into the
// verdict for one device version, vulnerability by vulnerability: a fixed
// product the version satisfies clears that vulnerability; otherwise the
// strongest affected evidence counts.
func (e *Engine) decide(a *advisory.Advisory, prods []*prodInfo, vulns []vulnInfo, hs []hit, ver string, now time.Time) *outcome {
	type judged struct {
		status Status
		conf   float64
		why    string
	}
	verdicts := make([]judged, len(hs))
	for i, h := range hs {
		p := prods[h.prod]
		ans, vwhy, vconf := p.versionAnswer(ver, &h.ev)
		j := judged{why: h.ev.why + "; " + vwhy}
		base := h.ev.conf * h.ev.mfrConf
		switch {
		case ans == version.No:
			j.status, j.conf = NotAffected, base*0.95
		case ans == version.Yes && h.ev.level == levelStrong && h.ev.mfrConf >= 0.9:
			j.status, j.conf = Affected, base*vconf
		case ans == version.Yes:
			j.status, j.conf = PossiblyAffected, base*0.8
		default:
			j.status, j.conf = PossiblyAffected, base*0.6
		}
		verdicts[i] = j
	}

	best := -1
	bestStatus := Status("")
	bestConf := 0.0
	fixedWhy := ""
	perVuln := make([]Status, len(vulns))
	contrib := make([][]int, len(vulns)) // hits that gave each vulnerability its status
	for vi, vu := range vulns {
		st, conf, who := Status(""), 0.0, -1
		fixed := -1
		for i, h := range hs {
			k := vu.kinds[h.prod]
			j := verdicts[i]
			switch k {
			case listFixed:
				// A fixed/not-affected product the device version satisfies clears it.
				if h.ev.level == levelStrong && j.status == Affected {
					fixed = i
				}
			case listAffected, listInvestigation:
				s := j.status
				if k == listInvestigation && s == Affected {
					s = PossiblyAffected // the vendor has not confirmed it yet
				}
				if s.rank() > st.rank() || s == st && j.conf > conf {
					st, conf, who = s, j.conf, i
				}
			}
		}
		if fixed >= 0 && st != NotAffected {
			st, conf, who = NotAffected, verdicts[fixed].conf, fixed
			fixedWhy = fmt.Sprintf("; not affected for %s: %q is listed as fixed/not affected",
				orDash(vu.v.CVE), prods[hs[fixed].prod].display)
		}
		perVuln[vi] = st
		if who >= 0 {
			contrib[vi] = append(contrib[vi], who)
			for i := range hs {
				if i != who && vu.kinds[hs[i].prod] != listNone && vu.kinds[hs[i].prod] != listFixed && verdicts[i].status == st {
					contrib[vi] = append(contrib[vi], i)
				}
			}
		}
		if st.rank() > bestStatus.rank() || st == bestStatus && conf > bestConf {
			bestStatus, bestConf, best = st, conf, who
		}
	}
	if best < 0 || bestStatus == "" {
		return nil
	}
	oc := &outcome{}
	r := &oc.res
	r.AdvisoryID, r.Status, r.MatchedAt = a.ID, bestStatus, now
	r.Confidence = float64(int(bestConf*100+0.5)) / 100
	bp := prods[hs[best].prod]
	r.ProductID, r.ProductName, r.ProductKey = bp.p.ID, bp.display, bp.key
	r.Reason = verdicts[best].why
	if bestStatus == NotAffected && fixedWhy != "" && verdicts[best].status != NotAffected {
		r.Reason += fixedWhy
	}

	// CVEs, products and remediations of the vulnerabilities with the final status.
	pids := map[string]bool{}
	cves := map[string]bool{}
	remSeen := map[string]bool{}
	var topScore float64
	var topVector, topCVE string
	for vi, vu := range vulns {
		if perVuln[vi] != bestStatus {
			continue
		}
		if vu.v.CVE != "" {
			cves[vu.v.CVE] = true
		}
		for _, i := range contrib[vi] {
			pid := prods[hs[i].prod].p.ID
			pids[pid] = true
			for _, rem := range a.RemediationsFor(vu.v, pid) {
				k := rem.Category + "\x00" + rem.Details + "\x00" + rem.URL
				if !remSeen[k] {
					remSeen[k] = true
					r.Remediations = append(r.Remediations, rem)
				}
			}
			for _, s := range vu.v.Scores {
				if s.Vector != "" && s.BaseScore > topScore && (len(s.ProductIDs) == 0 || slices.Contains(s.ProductIDs, pid)) {
					topScore, topVector, topCVE = s.BaseScore, s.Vector, vu.v.CVE
				}
			}
		}
		if exp, from := exploitation(vu.v, e.opts.KEV); exploitRank(exp) > exploitRank(oc.exploit) {
			oc.exploit, oc.exploitFrom = exp, from
		}
	}
	if oc.exploit == "" {
		oc.exploit, oc.exploitFrom = ssvc.ExploitationNone, "not in KEV, no public exploit reported in the advisory"
	}
	if topVector != "" {
		oc.auto = ssvc.AutomatableFromCVSS(topVector)
		oc.autoFrom = fmt.Sprintf("CVSS %s of %s (%.1f)", topVector, orDash(topCVE), topScore)
	}
	r.CVEs = sortedKeys(cves)
	r.ProductIDs = sortedKeys(pids)
	if len(r.ProductIDs) == 0 {
		r.ProductIDs = []string{r.ProductID}
	}
	return oc
}

func exploitRank(x ssvc.Exploitation) int {
	switch x {
	case ssvc.ExploitationActive:
		return 3
	case ssvc.ExploitationPoC:
		return 2
	case ssvc.ExploitationNone:
		return 1
	}
	return 0
}

// exploitation reads SSVC exploitation for one vulnerability: KEV listing
// is active; an exploit_status threat that reports exploitation in the wild
// is active, one that reports a public exploit or proof of concept is poc.
func exploitation(v *advisory.Vulnerability, kev map[string]bool) (ssvc.Exploitation, string) {
	if v.CVE != "" && kev[v.CVE] {
		return ssvc.ExploitationActive, "CISA KEV lists " + v.CVE
	}
	best, from := ssvc.Exploitation(""), ""
	for _, t := range v.Threats {
		if t.Category != "exploit_status" {
			continue
		}
		d := strings.ToLower(t.Details)
		negated := containsAny(d, "no known", "not known", "no public", "not been", "not aware", "there are no", "no exploit", "none known")
		switch {
		case !negated && containsAny(d, "actively exploited", "exploited in the wild", "active exploitation", "known to be exploited", "under active"):
			return ssvc.ExploitationActive, "advisory exploit status: " + t.Details
		case !negated && (containsAny(d, "proof of concept", "proof-of-concept", "poc") || strings.Contains(d, "public") && strings.Contains(d, "exploit")):
			best, from = ssvc.ExploitationPoC, "advisory exploit status: "+t.Details
		}
	}
	return best, from
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

func orDash(s string) string {
	if s == "" {
		return "the vulnerability"
	}
	return s
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, cmp.Compare[string])
	return out
}
