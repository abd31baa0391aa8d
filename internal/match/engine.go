// Package match tells which devices of an inventory an advisory hits, how
// sure that is, and how urgently each should be patched. It is pure and
// in-memory: an Engine indexes devices once (by manufacturer and by model
// tokens), then matches each advisory against only the candidate devices.
package match

import (
	"strings"
	"sync"
	"time"

	"github.com/aceso-health/aceso/internal/inventory"
)

// Options configure an Engine.
type Options struct {
	// Decisions are remembered analyst verdicts; see Decision.
	Decisions []Decision
	// KEV is the set of CVE ids known to be exploited (CISA KEV); a finding
	// with one of them gets SSVC exploitation "active".
	KEV map[string]bool
	// Aliases resolves manufacturer names; nil means inventory.DefaultAliases().
	Aliases *inventory.Aliases
	// Now stamps results; nil means time.Now.
	Now func() time.Time
}

// group is the set of devices that share manufacturer, model and device
// type: they match a product identically, so the product comparison runs
// once per group, not once per device.
type group struct {
	mfrNorm    string // canonical manufacturer, as normalised
	mfrFold    string // folded canonical, the index key
	mfrRaw     string // manufacturer as typed (first device of the group)
	altNorms   []string
	model      string
	dtype      string
	toks       map[string]bool // every token of model, type, manufacturer words
	modelToks  []string        // model codes of the model field
	modelWords []string        // distinctive words of the model field
	members    []int32
}

// Engine is the matching index over a set of devices. It is safe for
// concurrent use: Match may run in parallel with itself; Add, Update and
// Remove take a write lock.
type Engine struct {
	mu      sync.RWMutex
	opts    Options
	aliases *inventory.Aliases
	now     func() time.Time

	devs   []inventory.Device
	dGroup []int32 // group of each device, -1 when removed
	dVer   []int32 // interned version string
	dPos   []int32 // position in the group's member list
	byID   map[int64]int32
	free   []int32 // removed slots, reused by Add

	groups   []*group
	groupKey map[string]int32
	byMfr    map[string][]int32 // folded manufacturer keys → groups
	byModel  map[string][]int32 // model tokens and digit cores → groups

	verID  map[string]int32
	verStr []string

	decisions map[string]Decision

	normMu    sync.Mutex
	normCache map[string]string
}

// New indexes devices. The slice is kept, not copied: Result.Device points
// into it, so callers must not modify it afterwards (use Update instead).
func New(devices []inventory.Device, opts Options) *Engine {
	e := &Engine{
		opts:      opts,
		aliases:   opts.Aliases,
		now:       opts.Now,
		devs:      devices[:len(devices):len(devices)],
		dGroup:    make([]int32, len(devices)),
		dVer:      make([]int32, len(devices)),
		dPos:      make([]int32, len(devices)),
		byID:      make(map[int64]int32),
		groupKey:  make(map[string]int32),
		byMfr:     make(map[string][]int32),
		byModel:   make(map[string][]int32),
		verID:     map[string]int32{"": 0},
		verStr:    []string{""},
		decisions: make(map[string]Decision),
		normCache: make(map[string]string),
	}
	if e.aliases == nil {
		e.aliases = inventory.DefaultAliases()
	}
	if e.now == nil {
		e.now = time.Now
	}
	for _, d := range opts.Decisions {
		e.decisions[d.key()] = d
	}
	for i := range e.devs {
		e.place(int32(i))
	}
	return e
}

// Len returns the number of indexed (not removed) devices.
func (e *Engine) Len() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.devs) - len(e.free)
}

// Device returns the indexed device with reference ref, or nil.
func (e *Engine) Device(ref int) *inventory.Device {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if ref < 0 || ref >= len(e.devs) || e.dGroup[ref] < 0 {
		return nil
	}
	return &e.devs[ref]
}

// Ref returns the reference of the device with database id, when indexed.
func (e *Engine) Ref(id int64) (int, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	r, ok := e.byID[id]
	return int(r), ok
}

// Add indexes a new device and returns its reference. A device whose ID
// (non-zero) is already indexed replaces the old entry, so Add also serves
// for changed devices.
func (e *Engine) Add(d inventory.Device) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if d.ID != 0 {
		if r, ok := e.byID[d.ID]; ok {
			e.unplace(r)
			e.devs[r] = d
			e.place(r)
			return int(r)
		}
	}
	var r int32
	if n := len(e.free); n > 0 {
		r = e.free[n-1]
		e.free = e.free[:n-1]
		e.devs[r] = d
	} else {
		r = int32(len(e.devs))
		e.devs = append(e.devs, d)
		e.dGroup = append(e.dGroup, 0)
		e.dVer = append(e.dVer, 0)
		e.dPos = append(e.dPos, 0)
	}
	e.place(r)
	return int(r)
}

// Update replaces the device with reference ref (a changed model, version
// or zone is re-indexed).
func (e *Engine) Update(ref int, d inventory.Device) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ref < 0 || ref >= len(e.devs) || e.dGroup[ref] < 0 {
		return false
	}
	e.unplace(int32(ref))
	e.devs[ref] = d
	e.place(int32(ref))
	return true
}

// Remove drops the device with reference ref from the index.
func (e *Engine) Remove(ref int) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ref < 0 || ref >= len(e.devs) || e.dGroup[ref] < 0 {
		return false
	}
	e.unplace(int32(ref))
	e.dGroup[ref] = -1
	e.devs[ref] = inventory.Device{}
	e.free = append(e.free, int32(ref))
	return true
}

// RemoveID drops the device with database id.
func (e *Engine) RemoveID(id int64) bool {
	e.mu.RLock()
	r, ok := e.byID[id]
	e.mu.RUnlock()
	return ok && e.Remove(int(r))
}

// SetDecision remembers an analyst verdict; it applies to every later Match.
func (e *Engine) SetDecision(d Decision) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.decisions[d.key()] = d
}

func (e *Engine) unplace(r int32) {
	g := e.groups[e.dGroup[r]]
	pos := e.dPos[r]
	last := g.members[len(g.members)-1]
	g.members[pos] = last
	e.dPos[last] = pos
	g.members = g.members[:len(g.members)-1]
	if id := e.devs[r].ID; id != 0 && e.byID[id] == r {
		delete(e.byID, id)
	}
}

func (e *Engine) place(r int32) {
	d := &e.devs[r]
	norm := d.ManufacturerNorm
	if norm == "" {
		norm = e.normalise(d.Manufacturer)
	}
	key := norm + "\x00" + d.Manufacturer + "\x00" + d.Model + "\x00" + d.DeviceType
	gi, ok := e.groupKey[key]
	if !ok {
		gi = int32(len(e.groups))
		g := e.newGroup(norm, d)
		e.groups = append(e.groups, g)
		e.groupKey[key] = gi
		e.indexGroup(gi)
	}
	g := e.groups[gi]
	e.dGroup[r] = gi
	e.dPos[r] = int32(len(g.members))
	g.members = append(g.members, r)
	v := strings.TrimSpace(d.Version)
	vi, ok := e.verID[v]
	if !ok {
		vi = int32(len(e.verStr))
		e.verStr = append(e.verStr, v)
		e.verID[v] = vi
	}
	e.dVer[r] = vi
	if d.ID != 0 {
		e.byID[d.ID] = r
	}
}

// normalise caches manufacturer normalisation, which folds Unicode and is
// called for every product word.
func (e *Engine) normalise(name string) string {
	e.normMu.Lock()
	defer e.normMu.Unlock()
	if n, ok := e.normCache[name]; ok {
		return n
	}
	n := e.aliases.Normalise(name)
	if len(e.normCache) < 1<<16 {
		e.normCache[name] = n
	}
	return n
}

// knownBrand returns the canonical manufacturer a word or two stand for when
// the alias table knows them under another name ("BD", "Alaris", "GE").
func (e *Engine) knownBrand(w string) (string, bool) {
	n := e.normalise(w)
	if n == "" || fold(n) == fold(strings.Join(strings.Fields(w), " ")) {
		return "", false
	}
	return n, true
}

func (e *Engine) newGroup(norm string, d *inventory.Device) *group {
	g := &group{mfrNorm: norm, mfrFold: fold(norm), mfrRaw: d.Manufacturer, model: d.Model, dtype: d.DeviceType,
		toks: map[string]bool{}}
	// "Capsule (Philips)": the parenthesised name is the parent brand.
	if i := strings.IndexByte(d.Manufacturer, '('); i >= 0 {
		inner := strings.Trim(d.Manufacturer[i+1:], ") ")
		if n := e.normalise(inner); n != "" && fold(n) != g.mfrFold {
			g.altNorms = append(g.altNorms, fold(n))
		}
	}
	for _, w := range alnumParts(fold(d.Model)) {
		switch {
		case isModelTok(w):
			g.modelToks = append(g.modelToks, w) // as written, not derived cores
		case len(w) >= 2 && !hasDigit(w) && !stopwords[w] && !weakWords[w]:
			if _, brand := e.knownBrand(w); !brand {
				g.modelWords = append(g.modelWords, w)
			}
		}
	}
	for _, t := range deviceTokens(d.Model) {
		g.toks[t] = true
		// A model written with its brand ("Alaris 8015") names the manufacturer too.
		if !hasDigit(t) && len(t) >= 2 {
			if n, ok := e.knownBrand(t); ok && fold(n) != g.mfrFold {
				g.altNorms = append(g.altNorms, fold(n))
			}
		}
	}
	for _, t := range deviceTokens(d.DeviceType) {
		g.toks[t] = true
	}
	for _, t := range deviceTokens(d.Manufacturer) {
		if !hasDigit(t) {
			g.toks[t] = true
		}
	}
	return g
}

func (e *Engine) indexGroup(gi int32) {
	g := e.groups[gi]
	keys := []string{g.mfrFold}
	keys = append(keys, g.altNorms...)
	if lk := looseKey(g.mfrFold); lk != "" {
		keys = append(keys, lk)
	}
	if lk := looseKey(fold(g.mfrRaw)); lk != "" {
		keys = append(keys, lk)
	}
	for _, k := range dedupe(keys) {
		e.byMfr[k] = append(e.byMfr[k], gi)
	}
	var mk []string
	for _, t := range g.modelToks {
		mk = append(mk, t)
		if c := core(t); c != "" {
			mk = append(mk, c)
		}
	}
	for _, k := range dedupe(mk) {
		e.byModel[k] = append(e.byModel[k], gi)
	}
}

// looseKey is the first distinctive word of a manufacturer name with
// doubled letters collapsed, so "Capsule Tech" meets "Capsule Technologies"
// and the typo "Phillips" meets "Philips".
func looseKey(folded string) string {
	for _, w := range strings.FieldsFunc(folded, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) {
		if len(w) < 4 || stopwords[w] {
			continue
		}
		var b strings.Builder
		b.WriteByte('~')
		for i := 0; i < len(w); i++ {
			if i > 0 && w[i] == w[i-1] {
				continue
			}
			b.WriteByte(w[i])
		}
		return b.String()
	}
	return ""
}

func dedupe(ss []string) []string {
	out := ss[:0]
	seen := make(map[string]bool, len(ss))
	for _, s := range ss {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
