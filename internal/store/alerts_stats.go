package store

import (
	"context"
	"database/sql"
	"math"
	"slices"
	"time"

	"github.com/aceso-health/aceso/internal/access"
)

// TTAStats is time-to-acknowledge of a set of recipient rows. Median and
// p90 are nearest-rank percentiles over the acknowledged rows (nil when
// none); Within48h is the share of decided rows — acknowledged, or pending
// for 48 hours already — that were acknowledged within 48 hours of delivery.
type TTAStats struct {
	Recipients    int      `json:"recipients"`
	Acknowledged  int      `json:"acknowledged"`
	MedianSeconds *int64   `json:"median_seconds,omitempty"`
	P90Seconds    *int64   `json:"p90_seconds,omitempty"`
	Decided       int      `json:"decided"`
	Within48h     *float64 `json:"within_48h,omitempty"`
}

// AlertTTA is one alert's time-to-acknowledge.
type AlertTTA struct {
	AlertID   int64     `json:"alert_id"`
	Title     string    `json:"title"`
	CreatedAt time.Time `json:"created_at"`
	TTAStats
}

// AlertStats is the CSIRT's time-to-acknowledge overview.
type AlertStats struct {
	Overall TTAStats   `json:"overall"`
	Alerts  []AlertTTA `json:"alerts"`
}

// ackWindow is the acknowledgement target the statistics measure against.
const ackWindow = 48 * time.Hour

// ttaSample is one recipient row for the statistics.
type ttaSample struct {
	delivered time.Time
	acked     *time.Time
}

// computeTTA summarises samples as of now.
func computeTTA(samples []ttaSample, now time.Time) TTAStats {
	s := TTAStats{Recipients: len(samples)}
	var d []time.Duration
	within := 0
	for _, x := range samples {
		if x.acked != nil {
			tta := max(x.acked.Sub(x.delivered), 0)
			d = append(d, tta)
			s.Decided++
			if tta <= ackWindow {
				within++
			}
		} else if now.Sub(x.delivered) >= ackWindow {
			s.Decided++
		}
	}
	s.Acknowledged = len(d)
	if len(d) > 0 {
		slices.Sort(d)
		med, p90 := int64(nearestRank(d, 0.5).Seconds()), int64(nearestRank(d, 0.9).Seconds())
		s.MedianSeconds, s.P90Seconds = &med, &p90
	}
	if s.Decided > 0 {
		f := float64(within) / float64(s.Decided)
		s.Within48h = &f
	}
	return s
}

// nearestRank returns the q-quantile of sorted d by the nearest-rank method.
func nearestRank(d []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(d)))) - 1
	return d[min(max(i, 0), len(d)-1)]
}

// AlertStats computes time-to-acknowledge per alert and over all alerts
// the CSIRT published, as of the store's clock. CSIRT only.
func (d *DB) AlertStats(ctx context.Context, p access.Principal) (AlertStats, error) {
	st := AlertStats{Alerts: []AlertTTA{}}
	if err := authorizeAlertCSIRT(p, access.ActRead); err != nil {
		return st, err
	}
	where, args := "a.org_id = $1", []any{p.OrgID}
	if p.IsSystem() {
		where, args = "1 = 1", nil
	}
	rows, err := d.db.QueryContext(ctx, `SELECT a.id, a.title, a.created_at, r.delivered_at, r.acked_at
		FROM alerts a JOIN alert_recipients r ON r.alert_id = a.id WHERE `+where+` ORDER BY a.created_at DESC, a.id DESC`, args...)
	if err != nil {
		return st, d.translate(err)
	}
	defer rows.Close()
	now := d.Now()
	var all, cur []ttaSample
	flush := func() {
		if len(st.Alerts) > 0 {
			st.Alerts[len(st.Alerts)-1].TTAStats = computeTTA(cur, now)
		}
		cur = nil
	}
	for rows.Next() {
		var (
			id      int64
			title   string
			at, del int64
			acked   sql.NullInt64
		)
		if err := rows.Scan(&id, &title, &at, &del, &acked); err != nil {
			return st, d.translate(err)
		}
		if len(st.Alerts) == 0 || st.Alerts[len(st.Alerts)-1].AlertID != id {
			flush()
			st.Alerts = append(st.Alerts, AlertTTA{AlertID: id, Title: title, CreatedAt: fromTS(at)})
		}
		x := ttaSample{delivered: fromTS(del), acked: fromNullTS(acked)}
		cur = append(cur, x)
		all = append(all, x)
	}
	if err := rows.Err(); err != nil {
		return st, d.translate(err)
	}
	flush()
	st.Overall = computeTTA(all, now)
	return st, nil
}
