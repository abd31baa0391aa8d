package store

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/share"
)

// MinOrgsPerCell is the anonymity threshold of the sector statistics: a
// cell counting incidents of fewer distinct organisations is suppressed,
// so that no member's incidents can be singled out.
const MinOrgsPerCell = 3

// StatCell is one count of the sector statistics. A suppressed cell has no
// count (JSON null) and shows as "<3".
type StatCell struct {
	Key        string `json:"key"`
	Count      *int   `json:"count"`
	Suppressed bool   `json:"suppressed"`
}

// Display is the cell as printed: the count, or "<3" when suppressed.
func (c StatCell) Display() string {
	if c.Suppressed || c.Count == nil {
		return "<" + strconv.Itoa(MinOrgsPerCell)
	}
	return strconv.Itoa(*c.Count)
}

// Statistics are the anonymised sector statistics over the incidents
// shared with the CSIRT (duplicates counted once, as their original),
// TLP:RED incidents left out.
type Statistics struct {
	Total        StatCell   `json:"total"`
	ByRSITClass  []StatCell `json:"by_rsit_class"`
	ByMonth      []StatCell `json:"by_month"`       // "2026-03", by awareness time (UTC)
	ByCareImpact []StatCell `json:"by_care_impact"` // see careImpact
	MinOrgs      int        `json:"min_orgs_per_cell"`
}

// StatsFilter bounds the statistics by awareness time.
type StatsFilter struct {
	From, To time.Time // zero: unbounded
}

// careImpact classes an incident's impact on patient care for the
// statistics, most severe first.
func careImpact(ic incident.ImpactOnCare) string {
	switch {
	case ic.AmbulanceDiversion:
		return "ambulance_diversion"
	case ic.PostponedProcedures > 0:
		return "postponed_procedures"
	case len(ic.ServicesAffected) > 0 || ic.DurationMinutes > 0:
		return "services_affected"
	}
	return "none"
}

// SectorStatistics counts the shared incidents by RSIT class, by month and
// by impact on care for the CSIRT, suppressing every cell (the total too)
// that counts fewer than MinOrgsPerCell distinct organisations.
//
// TLP:RED incidents (and incidents whose label does not read: fail
// closed) are left out entirely. Every CSIRT user reads the statistics,
// but a RED incident is for the CSIRT users its member named; and cell
// suppression does not hide one: the counts of two date windows that
// differ by a day tell an unnamed user that a RED incident of that class
// and impact on care was shared on that day. The sector picture loses the
// RED incidents; the CSIRT's named users know them from the incidents.
func (d *DB) SectorStatistics(ctx context.Context, p access.Principal, f StatsFilter) (Statistics, error) {
	if err := csirtOnly(p, access.ActRead); err != nil {
		return Statistics{}, err
	}
	q := "SELECT org_id, rsit_class, aware_at, impact_on_care, tlp FROM incidents WHERE shared_with_csirt = TRUE AND duplicate_of IS NULL"
	var args []any
	if !f.From.IsZero() {
		args = append(args, ts(f.From))
		q += " AND aware_at >= $" + strconv.Itoa(len(args))
	}
	if !f.To.IsZero() {
		args = append(args, ts(f.To))
		q += " AND aware_at < $" + strconv.Itoa(len(args))
	}
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return Statistics{}, d.translate(err)
	}
	defer rows.Close()
	type acc struct {
		n    int
		orgs map[int64]bool
	}
	dims := [3]map[string]*acc{{}, {}, {}}
	total := &acc{orgs: map[int64]bool{}}
	count := func(m map[string]*acc, key string, org int64) {
		a := m[key]
		if a == nil {
			a = &acc{orgs: map[int64]bool{}}
			m[key] = a
		}
		a.n++
		a.orgs[org] = true
	}
	for rows.Next() {
		var (
			org    int64
			class  string
			aware  int64
			impact string
			label  string
		)
		if err := rows.Scan(&org, &class, &aware, &impact, &label); err != nil {
			return Statistics{}, d.translate(err)
		}
		if l := incidentLabel(incident.TLP(label)); l == share.TLPRed || !l.Valid() {
			continue
		}
		var ic incident.ImpactOnCare
		_ = json.Unmarshal([]byte(impact), &ic) // a broken record counts as no impact
		if class == "" {
			class = "unclassified"
		}
		count(dims[0], class, org)
		count(dims[1], fromTS(aware).UTC().Format("2006-01"), org)
		count(dims[2], careImpact(ic), org)
		total.n++
		total.orgs[org] = true
	}
	if err := rows.Err(); err != nil {
		return Statistics{}, d.translate(err)
	}
	cell := func(key string, a *acc) StatCell {
		if len(a.orgs) < MinOrgsPerCell {
			return StatCell{Key: key, Suppressed: true}
		}
		n := a.n
		return StatCell{Key: key, Count: &n}
	}
	totalCell := cell("total", total)
	cells := func(m map[string]*acc) []StatCell {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([]StatCell, 0, len(keys))
		for _, k := range keys {
			out = append(out, cell(k, m[k]))
		}
		return complementSuppress(out, !totalCell.Suppressed)
	}
	return Statistics{Total: totalCell, ByRSITClass: cells(dims[0]), ByMonth: cells(dims[1]), ByCareImpact: cells(dims[2]), MinOrgs: MinOrgsPerCell}, nil
}

// complementSuppress hides a second cell when a dimension would otherwise
// have exactly one hidden cell beside a published total: the hidden count
// would be the total minus the others. The smallest published cell goes,
// so the least information is lost.
func complementSuppress(cells []StatCell, totalShown bool) []StatCell {
	hidden, smallest := 0, -1
	for i, c := range cells {
		if c.Suppressed {
			hidden++
			continue
		}
		if smallest < 0 || *c.Count < *cells[smallest].Count {
			smallest = i
		}
	}
	if totalShown && hidden == 1 && smallest >= 0 {
		cells[smallest] = StatCell{Key: cells[smallest].Key, Suppressed: true}
	}
	return cells
}
