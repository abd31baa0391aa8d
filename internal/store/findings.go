package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/audit"
	"github.com/aceso-health/aceso/internal/inventory"
	"github.com/aceso-health/aceso/internal/match"
	"github.com/aceso-health/aceso/internal/ssvc"
)

// FindingState is where a finding is in its lifecycle.
type FindingState string

// Finding states. A risk acceptance has an expiry: once it passes, the
// finding reads as open again (computed at read time, no sweep needed).
const (
	StateOpen          FindingState = "open"
	StateInProgress    FindingState = "in_progress"
	StateRemediated    FindingState = "remediated"
	StateMitigated     FindingState = "mitigated"
	StateRiskAccepted  FindingState = "risk_accepted"
	StateFalsePositive FindingState = "false_positive"
)

// FindingStates lists the states in lifecycle order.
var FindingStates = []FindingState{StateOpen, StateInProgress, StateRemediated, StateMitigated, StateRiskAccepted, StateFalsePositive}

// noCVE is the vulnerability key of a result whose vulnerabilities carry
// no CVE id: the advisory itself is the stable key then.
const noCVE = "no-cve"

// maxAcceptance bounds a risk acceptance, so that every accepted risk is
// looked at again at least once a year.
const maxAcceptance = 366 * 24 * time.Hour

// SSVCOverride is an analyst's value for one SSVC input, with the reason.
type SSVCOverride struct {
	Value  string    `json:"value"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// SSVCInputs are the inputs an analyst may override, with their values.
var SSVCInputs = map[string][]string{
	"exploitation":   {string(ssvc.ExploitationNone), string(ssvc.ExploitationPoC), string(ssvc.ExploitationActive)},
	"exposure":       {string(ssvc.ExposureSmall), string(ssvc.ExposureControlled), string(ssvc.ExposureOpen)},
	"automatable":    {string(ssvc.AutomatableNo), string(ssvc.AutomatableYes)},
	"safety_impact":  {string(inventory.SafetyNegligible), string(inventory.SafetyMarginal), string(inventory.SafetyCritical), string(inventory.SafetyCatastrophic)},
	"mission_impact": {ssvc.MissionDegraded, ssvc.MissionMEFSupportCrippled, ssvc.MissionMEFFailure, ssvc.MissionFailure},
}

// FindingDevice is what a finding shows of its device.
type FindingDevice struct {
	AssetTag         string                     `json:"asset_tag"`
	Manufacturer     string                     `json:"manufacturer"`
	Model            string                     `json:"model"`
	Version          string                     `json:"version"`
	Department       string                     `json:"department"`
	Location         string                     `json:"location"`
	Zone             inventory.Zone             `json:"network_zone"`
	ClinicalFunction inventory.ClinicalFunction `json:"clinical_function"`
	Patchable        *bool                      `json:"patchable,omitempty"`
}

// Finding is one vulnerability of one advisory on one device of an
// organisation, with its match evidence, priority and lifecycle.
type Finding struct {
	ID            int64                   `json:"id"`
	OrgID         int64                   `json:"org_id"`
	DeviceID      int64                   `json:"device_id"`
	AdvisoryID    int64                   `json:"advisory_id"`
	TrackingID    string                  `json:"tracking_id"`
	AdvisoryTitle string                  `json:"advisory_title"`
	VulnKey       string                  `json:"vuln_key"` // CVE id, or "no-cve"
	Status        match.Status            `json:"status"`
	Confidence    float64                 `json:"confidence"`
	Reason        string                  `json:"reason"`
	ProductID     string                  `json:"product_id"`
	ProductKey    string                  `json:"product_key"`
	ProductName   string                  `json:"product_name"`
	Manufacturer  string                  `json:"manufacturer_norm"`
	Model         string                  `json:"model"`
	Remediations  []advisory.Remediation  `json:"remediations"`
	VendorFix     bool                    `json:"vendor_fix"` // a vendor_fix remediation exists
	SSVC          ssvc.Result             `json:"ssvc"`
	SSVCBase      ssvc.Inputs             `json:"ssvc_matched_inputs"`
	Overrides     map[string]SSVCOverride `json:"ssvc_overrides"`
	// State is the effective state: an expired risk acceptance reads "open"
	// with AcceptanceExpired set.
	State             FindingState  `json:"state"`
	AcceptanceExpired bool          `json:"acceptance_expired,omitempty"`
	StateNote         string        `json:"state_note,omitempty"`
	Approver          string        `json:"approver,omitempty"`
	AcceptedUntil     *time.Time    `json:"accepted_until,omitempty"`
	StateBy           string        `json:"state_by,omitempty"`
	StateAt           *time.Time    `json:"state_at,omitempty"`
	AutoClosed        bool          `json:"auto_closed,omitempty"` // remediated by a re-match, not by a person
	FirstSeen         time.Time     `json:"first_seen"`
	LastMatched       time.Time     `json:"last_matched"` // last time the match evidence changed
	UpdatedAt         time.Time     `json:"updated_at"`
	Device            FindingDevice `json:"device"`
}

// ApplyCounts is what applying match results did.
type ApplyCounts struct {
	Advisories int `json:"advisories"`
	New        int `json:"new"`
	Updated    int `json:"updated"`
	Reopened   int `json:"reopened"`
	Resolved   int `json:"resolved"` // closed as remediated: the device no longer matches
	Unchanged  int `json:"unchanged"`
}

func (c *ApplyCounts) add(o ApplyCounts) {
	c.Advisories += o.Advisories
	c.New += o.New
	c.Updated += o.Updated
	c.Reopened += o.Reopened
	c.Resolved += o.Resolved
	c.Unchanged += o.Unchanged
}

func (c ApplyCounts) changed() bool { return c.New+c.Updated+c.Reopened+c.Resolved > 0 }

// matchEvidence is the part of a result a finding stores; its hash tells
// whether a re-match changed anything.
type matchEvidence struct {
	Status       match.Status           `json:"status"`
	Confidence   float64                `json:"confidence"`
	Reason       string                 `json:"reason"`
	ProductID    string                 `json:"product_id"`
	ProductKey   string                 `json:"product_key"`
	ProductName  string                 `json:"product_name"`
	Manufacturer string                 `json:"mfr"`
	Model        string                 `json:"model"`
	Remediations []advisory.Remediation `json:"remediations"`
	SSVC         ssvc.Inputs            `json:"ssvc"`
}

func (m *matchEvidence) hash() string {
	b, _ := json.Marshal(m)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// decideSSVC recomputes the decision from the matched inputs and the
// analyst's overrides; each override names itself as the origin.
func decideSSVC(base ssvc.Inputs, ov map[string]SSVCOverride) ssvc.Result {
	in := base
	in.Human = "" // always derived again from safety × mission, so the explanation names both
	for k, o := range ov {
		from := "analyst override by " + o.By + ": " + o.Reason
		switch k {
		case "exploitation":
			in.Exploitation, in.ExploitationFrom = ssvc.Exploitation(o.Value), from
		case "exposure":
			in.Exposure, in.ExposureFrom = ssvc.Exposure(o.Value), from
		case "automatable":
			in.Automatable, in.AutomatableFrom = ssvc.Automatable(o.Value), from
		case "safety_impact":
			in.SafetyImpact, in.SafetyFrom = inventory.SafetyImpact(o.Value), from
		case "mission_impact":
			in.MissionImpact, in.MissionFrom = o.Value, from
		}
	}
	return ssvc.Decide(in)
}

type existingFinding struct {
	id, device int64
	vuln       string
	state      FindingState
	auto       bool
	hash       string
	overrides  string
}

// ApplyResults writes the results of matching one advisory against the
// devices of one organisation: affected and possibly affected results
// become (or update) findings, one per CVE; open findings of devices in
// scope that the advisory no longer hits (version changed, device now not
// affected) are closed as remediated automatically, and such auto-closed
// findings reopen when the device matches again. scope is the set of device
// ids that were matched (nil: every device of the organisation). Findings
// whose evidence did not change are not written.
func (tx *Tx) ApplyResults(ctx context.Context, orgID, advisoryID int64, scope []int64, results []match.Result) (ApplyCounts, error) {
	c := ApplyCounts{Advisories: 1}
	var inScope map[int64]bool
	if scope != nil {
		inScope = make(map[int64]bool, len(scope))
		for _, id := range scope {
			inScope[id] = true
		}
	}
	rows, err := tx.tx.QueryContext(ctx, `SELECT id, device_id, vuln_key, state, auto_closed, match_hash, ssvc_overrides
		FROM findings WHERE org_id = $1 AND advisory_id = $2`, orgID, advisoryID)
	if err != nil {
		return c, err
	}
	have := map[string]*existingFinding{}
	for rows.Next() {
		var e existingFinding
		var st string
		if err := rows.Scan(&e.id, &e.device, &e.vuln, &st, &e.auto, &e.hash, &e.overrides); err != nil {
			rows.Close()
			return c, err
		}
		e.state = FindingState(st)
		if inScope == nil || inScope[e.device] {
			have[strconv.FormatInt(e.device, 10)+"\x00"+e.vuln] = &e
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return c, err
	}
	now := ts(tx.now)
	seen := map[string]bool{}
	for i := range results {
		r := &results[i]
		if r.Status != match.Affected && r.Status != match.PossiblyAffected {
			continue
		}
		if r.Device == nil || r.Device.OrgID != orgID || r.Device.ID == 0 {
			return c, aceso.Errorf(aceso.EINTERNAL, "apply results: result for a device outside organisation %d", orgID)
		}
		ev := matchEvidence{Status: r.Status, Confidence: r.Confidence, Reason: trunc(r.Reason, 4000), ProductID: r.ProductID,
			ProductKey: r.ProductKey, ProductName: trunc(r.ProductName, 500), Manufacturer: r.Device.ManufacturerNorm,
			Model: r.Device.Model, Remediations: r.Remediations, SSVC: r.SSVC.Inputs}
		h := ev.hash()
		vendorFix := slices.ContainsFunc(r.Remediations, func(x advisory.Remediation) bool { return x.Category == advisory.RemediationVendorFix })
		keys := r.CVEs
		if len(keys) == 0 {
			keys = []string{noCVE}
		}
		for _, vk := range keys {
			k := strconv.FormatInt(r.Device.ID, 10) + "\x00" + vk
			if seen[k] {
				continue
			}
			seen[k] = true
			e := have[k]
			if e == nil {
				res := r.SSVC
				_, err := tx.exec(ctx, `INSERT INTO findings (org_id, device_id, advisory_id, vuln_key, status, confidence, reason,
					product_id, product_key, product_name, manufacturer_norm, model, remediations, vendor_fix, ssvc_base, ssvc_overrides,
					ssvc, ssvc_decision, ssvc_rank, match_hash, state, first_seen, last_matched, updated_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, '{}', $16, $17, $18, $19, 'open', $20, $20, $20)`,
					orgID, r.Device.ID, advisoryID, vk, string(ev.Status), ev.Confidence, ev.Reason, ev.ProductID, ev.ProductKey,
					ev.ProductName, ev.Manufacturer, ev.Model, jsonText(ev.Remediations, "[]"), vendorFix, jsonText(ev.SSVC, "{}"),
					jsonText(res, "{}"), string(res.Decision), res.Decision.Rank(), h, now)
				if err != nil {
					return c, fmt.Errorf("finding for device %d, %s: %w", r.Device.ID, vk, err)
				}
				c.New++
				continue
			}
			reopen := e.auto && e.state == StateRemediated
			if e.hash == h && !reopen {
				c.Unchanged++
				continue
			}
			var ov map[string]SSVCOverride
			_ = json.Unmarshal([]byte(e.overrides), &ov)
			res := r.SSVC
			if len(ov) > 0 {
				res = decideSSVC(r.SSVC.Inputs, ov)
			}
			q := `UPDATE findings SET status = $3, confidence = $4, reason = $5, product_id = $6, product_key = $7, product_name = $8,
				manufacturer_norm = $9, model = $10, remediations = $11, vendor_fix = $12, ssvc_base = $13, ssvc = $14,
				ssvc_decision = $15, ssvc_rank = $16, match_hash = $17, last_matched = $18, updated_at = $18`
			if reopen {
				q += `, state = 'open', auto_closed = FALSE, state_note = 'reopened automatically: the device matches the advisory again', state_by = 'system', state_at = $18`
				c.Reopened++
			} else {
				c.Updated++
			}
			_, err := tx.exec(ctx, q+" WHERE org_id = $1 AND id = $2", orgID, e.id, string(ev.Status), ev.Confidence, ev.Reason,
				ev.ProductID, ev.ProductKey, ev.ProductName, ev.Manufacturer, ev.Model, jsonText(ev.Remediations, "[]"), vendorFix,
				jsonText(ev.SSVC, "{}"), jsonText(res, "{}"), string(res.Decision), res.Decision.Rank(), h, now)
			if err != nil {
				return c, fmt.Errorf("finding %d: %w", e.id, err)
			}
		}
	}
	for k, e := range have {
		if seen[k] {
			continue
		}
		switch e.state {
		case StateOpen, StateInProgress, StateMitigated, StateRiskAccepted:
		default:
			continue // remediated already, or a false positive: the analyst's verdict stands
		}
		_, err := tx.exec(ctx, `UPDATE findings SET state = 'remediated', auto_closed = TRUE, accepted_until = NULL,
			state_note = 'closed automatically: the device no longer matches the advisory (version changed or not affected)',
			state_by = 'system', state_at = $3, updated_at = $3 WHERE org_id = $1 AND id = $2`, orgID, e.id, now)
		if err != nil {
			return c, fmt.Errorf("finding %d: %w", e.id, err)
		}
		c.Resolved++
	}
	return c, nil
}

// loadOrgDevices reads devices of one organisation (all, or those with the
// given ids), in id order.
func loadOrgDevices(ctx context.Context, q querier, orgID int64, cond string, args ...any) ([]inventory.Device, error) {
	query := "SELECT " + deviceCols + " FROM devices WHERE org_id = $1"
	if cond != "" {
		query += " AND " + cond
	}
	rows, err := q.QueryContext(ctx, query+" ORDER BY id", append([]any{orgID}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []inventory.Device
	for rows.Next() {
		dev, err := scanDevice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, dev)
	}
	return out, rows.Err()
}

// loadDecisions reads an organisation's remembered review verdicts.
func loadDecisions(ctx context.Context, q querier, orgID int64) ([]match.Decision, error) {
	rows, err := q.QueryContext(ctx, `SELECT manufacturer, model, product_key, confirmed, note, decided_by, decided_at
		FROM review_decisions WHERE org_id = $1 ORDER BY id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []match.Decision
	for rows.Next() {
		var (
			d  match.Decision
			at int64
		)
		if err := rows.Scan(&d.Manufacturer, &d.Model, &d.ProductKey, &d.Confirmed, &d.Note, &d.By, &at); err != nil {
			return nil, err
		}
		d.At = fromTS(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// matchOrg matches advisories against one organisation's devices with its
// own review decisions (a verdict of one hospital never changes another's
// findings) and applies the results in tx.
func (tx *Tx) matchOrg(ctx context.Context, orgID int64, devices []inventory.Device, advs []storedAdvisory, scope []int64) (ApplyCounts, error) {
	var total ApplyCounts
	decisions, err := loadDecisions(ctx, tx.tx, orgID)
	if err != nil {
		return total, err
	}
	kev, err := loadKEV(ctx, tx.tx)
	if err != nil {
		return total, err
	}
	aliases, err := loadAliases(ctx, tx.tx)
	if err != nil {
		return total, err
	}
	now := tx.now
	eng := match.New(devices, match.Options{Decisions: decisions, KEV: kev, Aliases: aliases, Now: func() time.Time { return now }})
	for _, a := range advs {
		c, err := tx.ApplyResults(ctx, orgID, a.id, scope, eng.Match(a.doc))
		if err != nil {
			return total, fmt.Errorf("advisory %s: %w", a.doc.ID, err)
		}
		total.add(c)
	}
	return total, nil
}

// RematchReport is what a matching run did, per organisation and in total.
type RematchReport struct {
	Advisories int                   `json:"advisories"`
	Orgs       int                   `json:"orgs"`    // organisations with devices that were matched
	Devices    int                   `json:"devices"` // devices matched
	Total      ApplyCounts           `json:"total"`
	ByOrg      map[int64]ApplyCounts `json:"by_org,omitempty"`
}

// RematchAdvisories matches the advisories with the given row ids (nil:
// all) against every organisation's devices. It is a system job: devices
// are read one organisation at a time (never the whole sector in memory),
// each organisation's results are applied in its own transaction with one
// audit entry holding the counts (written only when something changed).
func (d *DB) RematchAdvisories(ctx context.Context, ids []int64) (RematchReport, error) {
	rep := RematchReport{ByOrg: map[int64]ApplyCounts{}}
	advs, err := loadAdvisories(ctx, d.db, ids)
	if err != nil {
		return rep, d.translate(err)
	}
	rep.Advisories = len(advs)
	if len(advs) == 0 {
		return rep, nil
	}
	var orgIDs []int64
	rows, err := d.db.QueryContext(ctx, "SELECT DISTINCT org_id FROM devices ORDER BY org_id")
	if err != nil {
		return rep, d.translate(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return rep, d.translate(err)
		}
		orgIDs = append(orgIDs, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, d.translate(err)
	}
	for _, orgID := range orgIDs {
		var c ApplyCounts
		err := d.InTx(ctx, func(tx *Tx) error {
			devs, err := loadOrgDevices(ctx, tx.tx, orgID, "")
			if err != nil {
				return err
			}
			rep.Devices += len(devs)
			if c, err = tx.matchOrg(ctx, orgID, devs, advs, nil); err != nil {
				return err
			}
			if !c.changed() {
				return nil
			}
			return tx.Audit(ctx, access.System, orgID, "findings.match", "advisories", fmt.Sprintf("%d advisories", len(advs)), audit.Change(nil, c))
		})
		if err != nil {
			return rep, fmt.Errorf("match organisation %d: %w", orgID, err)
		}
		rep.Orgs++
		rep.ByOrg[orgID] = c
		rep.Total.add(c)
	}
	return rep, nil
}

// RematchDevices matches every stored advisory against the given devices
// of one organisation (after an inventory change), in one transaction,
// audited with the counts. Findings of other devices are not touched.
func (d *DB) RematchDevices(ctx context.Context, orgID int64, ids []int64) (ApplyCounts, error) {
	var c ApplyCounts
	if len(ids) == 0 {
		return c, nil
	}
	err := d.InTx(ctx, func(tx *Tx) error {
		var err error
		c, err = tx.rematchDevices(ctx, orgID, ids)
		if err != nil || !c.changed() {
			return err
		}
		return tx.Audit(ctx, access.System, orgID, "findings.match", "devices", fmt.Sprintf("%d devices", len(ids)), audit.Change(nil, c))
	})
	return c, err
}

func (tx *Tx) rematchDevices(ctx context.Context, orgID int64, ids []int64) (ApplyCounts, error) {
	devs, err := loadOrgDevices(ctx, tx.tx, orgID, "id IN ("+placeholders(2, len(ids))+")", int64sAny(ids)...)
	if err != nil {
		return ApplyCounts{}, err
	}
	advs, err := loadAdvisories(ctx, tx.tx, nil)
	if err != nil {
		return ApplyCounts{}, err
	}
	// Devices that no longer exist keep no findings (ON DELETE CASCADE);
	// the scope is what was actually loaded.
	scope := make([]int64, len(devs))
	for i := range devs {
		scope[i] = devs[i].ID
	}
	return tx.matchOrg(ctx, orgID, devs, advs, scope)
}

func int64sAny(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

const findingCols = `f.id, f.org_id, f.device_id, f.advisory_id, a.tracking_id, a.title, f.vuln_key, f.status, f.confidence, f.reason,
	f.product_id, f.product_key, f.product_name, f.manufacturer_norm, f.model, f.remediations, f.vendor_fix, f.ssvc_base,
	f.ssvc_overrides, f.ssvc, f.state, f.state_note, f.approver, f.accepted_until, f.state_by, f.state_at, f.auto_closed,
	f.first_seen, f.last_matched, f.updated_at, d.asset_tag, d.manufacturer, d.model, d.version, d.department, d.location,
	d.network_zone, d.clinical_function, d.patchable`

const findingFrom = ` FROM findings f JOIN devices d ON d.id = f.device_id AND d.org_id = f.org_id JOIN advisories a ON a.id = f.advisory_id `

// findingVisible is the condition every query that shows findings to their
// organisation adds (it needs the advisories join, alias a): the finding's
// organisation may receive its advisory's TLP label (advisoryReceivable).
// A member's findings from a TLP:AMBER+STRICT or RED advisory are withheld
// from it: the devices, CVEs and counts would tell it what the advisory
// says. They are still matched and stored, because the CSIRT needs the
// sector's impact (AdvisoryImpact) to write an alert at a label it may use,
// and because when the advisory is re-labelled (a newer revision at
// TLP:AMBER or CLEAR) they appear at once, with their first-seen dates,
// without matching again.
var findingVisible = advisoryReceivable("a.tlp", "f.org_id")

// effState is the SQL of the effective state: an expired risk acceptance
// is open again. %s is the placeholder of "now".
const effState = `(CASE WHEN f.state = 'risk_accepted' AND f.accepted_until IS NOT NULL AND f.accepted_until <= %s THEN 'open' ELSE f.state END)`

func scanFinding(row interface{ Scan(...any) error }, now time.Time) (Finding, error) {
	var (
		f                              Finding
		st, rem, base, ov, res, status string
		until, stAt                    sql.NullInt64
		first, last, upd               int64
		patch                          sql.NullBool
		zone, fn                       string
	)
	err := row.Scan(&f.ID, &f.OrgID, &f.DeviceID, &f.AdvisoryID, &f.TrackingID, &f.AdvisoryTitle, &f.VulnKey, &status, &f.Confidence,
		&f.Reason, &f.ProductID, &f.ProductKey, &f.ProductName, &f.Manufacturer, &f.Model, &rem, &f.VendorFix, &base, &ov, &res,
		&st, &f.StateNote, &f.Approver, &until, &f.StateBy, &stAt, &f.AutoClosed, &first, &last, &upd,
		&f.Device.AssetTag, &f.Device.Manufacturer, &f.Device.Model, &f.Device.Version, &f.Device.Department, &f.Device.Location,
		&zone, &fn, &patch)
	if err != nil {
		return f, err
	}
	f.Status, f.State = match.Status(status), FindingState(st)
	f.Device.Zone, f.Device.ClinicalFunction = inventory.Zone(zone), inventory.ClinicalFunction(fn)
	if patch.Valid {
		b := patch.Bool
		f.Device.Patchable = &b
	}
	f.AcceptedUntil, f.StateAt = fromNullTS(until), fromNullTS(stAt)
	f.FirstSeen, f.LastMatched, f.UpdatedAt = fromTS(first), fromTS(last), fromTS(upd)
	if f.State == StateRiskAccepted && f.AcceptedUntil != nil && !f.AcceptedUntil.After(now) {
		f.State, f.AcceptanceExpired = StateOpen, true
	}
	for _, j := range []struct {
		s string
		v any
	}{{rem, &f.Remediations}, {base, &f.SSVCBase}, {ov, &f.Overrides}, {res, &f.SSVC}} {
		if err := json.Unmarshal([]byte(j.s), j.v); err != nil {
			return f, fmt.Errorf("finding %d: stored JSON: %w", f.ID, err)
		}
	}
	if f.Remediations == nil {
		f.Remediations = []advisory.Remediation{}
	}
	if f.Overrides == nil {
		f.Overrides = map[string]SSVCOverride{}
	}
	return f, nil
}

// Finding returns one finding of the principal's organisation; one withheld
// from it (see findingVisible) is ENOTFOUND, as is another organisation's.
func (d *DB) Finding(ctx context.Context, p access.Principal, id int64) (Finding, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return Finding{}, err
	}
	return loadFinding(ctx, d.db, p.OrgID, id, d.Now())
}

func loadFinding(ctx context.Context, q querier, orgID, id int64, now time.Time) (Finding, error) {
	f, err := scanFinding(q.QueryRowContext(ctx, "SELECT "+findingCols+findingFrom+"WHERE f.org_id = $1 AND f.id = $2 AND "+findingVisible, orgID, id), now)
	if err == sql.ErrNoRows {
		return f, aceso.Errorf(aceso.ENOTFOUND, "finding %d not found", id)
	}
	return f, err
}

// FindingFilter selects a page of the findings list. Empty fields do not filter.
type FindingFilter struct {
	Decision     ssvc.Decision
	State        FindingState // effective state; "active" is open + in_progress
	Status       match.Status
	Manufacturer string // device's normalised manufacturer
	Department   string
	AdvisoryID   int64
	DeviceID     int64
	After        string // Next of the previous page
	Limit        int    // 1 to 500; 0 is 100
}

// FindingPage is one page of findings, most urgent first.
type FindingPage struct {
	Findings []Finding `json:"findings"`
	Next     string    `json:"next,omitempty"`
}

// ListFindings returns a page of the principal's organisation's findings
// (not those withheld from it, see findingVisible), ordered by SSVC urgency
// then id, with keyset pagination.
func (d *DB) ListFindings(ctx context.Context, p access.Principal, f FindingFilter) (FindingPage, error) {
	page := FindingPage{Findings: []Finding{}}
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return page, err
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > 500 {
		return page, aceso.Errorf(aceso.EINVALID, "limit %d is over 500", f.Limit)
	}
	now := d.Now()
	args := []any{p.OrgID}
	where := []string{"f.org_id = $1", findingVisible}
	// eff binds "now" only when a state filter needs it: PostgreSQL refuses unused arguments.
	eff := func() string {
		args = append(args, ts(now))
		return fmt.Sprintf(effState, "$"+strconv.Itoa(len(args)))
	}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.Decision != "" {
		if f.Decision.Rank() < 0 {
			return page, aceso.Errorf(aceso.EINVALID, "ssvc %q is not one of Immediate, Out-of-Cycle, Scheduled, Defer", f.Decision)
		}
		add("f.ssvc_decision = ?", string(f.Decision))
	}
	switch {
	case f.State == "":
	case f.State == "active":
		where = append(where, eff()+" IN ('open', 'in_progress')")
	case slices.Contains(FindingStates, f.State):
		e := eff()
		add(e+" = ?", string(f.State))
	default:
		return page, aceso.Errorf(aceso.EINVALID, "state %q is not one of active, open, in_progress, remediated, mitigated, risk_accepted, false_positive", f.State)
	}
	if f.Status != "" {
		if f.Status != match.Affected && f.Status != match.PossiblyAffected {
			return page, aceso.Errorf(aceso.EINVALID, "status %q is not one of affected, possibly_affected", f.Status)
		}
		add("f.status = ?", string(f.Status))
	}
	if v := strings.TrimSpace(f.Manufacturer); v != "" {
		add("d.manufacturer_norm = ?", v)
	}
	if v := strings.TrimSpace(f.Department); v != "" {
		add("d.department = ?", v)
	}
	if f.AdvisoryID > 0 {
		add("f.advisory_id = ?", f.AdvisoryID)
	}
	if f.DeviceID > 0 {
		add("f.device_id = ?", f.DeviceID)
	}
	if f.After != "" {
		rank, id, ok := strings.Cut(f.After, ".")
		r, err1 := strconv.Atoi(rank)
		i, err2 := strconv.ParseInt(id, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return page, aceso.Errorf(aceso.EINVALID, "cursor %q is not valid; start from the first page", f.After)
		}
		args = append(args, r, i)
		where = append(where, fmt.Sprintf("(f.ssvc_rank < $%d OR (f.ssvc_rank = $%d AND f.id > $%d))", len(args)-1, len(args)-1, len(args)))
	}
	q := "SELECT " + findingCols + findingFrom + "WHERE " + strings.Join(where, " AND ") +
		" ORDER BY f.ssvc_rank DESC, f.id ASC LIMIT " + strconv.Itoa(f.Limit+1)
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return page, d.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		fd, err := scanFinding(rows, now)
		if err != nil {
			return page, d.translate(err)
		}
		page.Findings = append(page.Findings, fd)
	}
	if err := rows.Err(); err != nil {
		return page, d.translate(err)
	}
	if len(page.Findings) > f.Limit {
		page.Findings = page.Findings[:f.Limit]
		last := page.Findings[f.Limit-1]
		page.Next = fmt.Sprintf("%d.%d", last.SSVC.Decision.Rank(), last.ID)
	}
	return page, nil
}

// FindingChange is a lifecycle step asked for by an analyst.
type FindingChange struct {
	State    FindingState `json:"state"`
	Note     string       `json:"note"`
	Approver string       `json:"approver"`
	Until    *time.Time   `json:"accepted_until"`
}

// SetFindingState moves a finding through its lifecycle (analysts and up).
// Mitigated and false positive need a note saying what was done or why;
// a risk acceptance needs an approver, a reason and an expiry within a year,
// after which the finding reads as open again.
func (tx *Tx) SetFindingState(ctx context.Context, p access.Principal, id int64, ch FindingChange) (Finding, error) {
	if err := access.Authorize(p, access.ActAnalyse, p.OrgID); err != nil {
		return Finding{}, err
	}
	before, err := loadFinding(ctx, tx.tx, p.OrgID, id, tx.now)
	if err != nil {
		return before, err
	}
	ch.Note, ch.Approver = strings.TrimSpace(ch.Note), strings.TrimSpace(ch.Approver)
	if len(ch.Note) > 4000 || len(ch.Approver) > 200 {
		return before, aceso.Errorf(aceso.EINVALID, "note (at most 4000 bytes) or approver (at most 200) is too long")
	}
	var until sql.NullInt64
	switch ch.State {
	case StateOpen, StateInProgress, StateRemediated:
	case StateMitigated, StateFalsePositive:
		if ch.Note == "" {
			return before, aceso.Errorf(aceso.EINVALID, "note is required for state %s: say what was done or why", ch.State)
		}
	case StateRiskAccepted:
		switch {
		case ch.Approver == "":
			return before, aceso.Errorf(aceso.EINVALID, "approver is required to accept a risk")
		case ch.Note == "":
			return before, aceso.Errorf(aceso.EINVALID, "note is required to accept a risk: give the reason")
		case ch.Until == nil || ch.Until.IsZero():
			return before, aceso.Errorf(aceso.EINVALID, "accepted_until is required to accept a risk")
		case !ch.Until.After(tx.now):
			return before, aceso.Errorf(aceso.EINVALID, "accepted_until %s is not in the future", ch.Until.Format(time.DateOnly))
		case ch.Until.Sub(tx.now) > maxAcceptance:
			return before, aceso.Errorf(aceso.EINVALID, "accepted_until %s is more than a year ahead", ch.Until.Format(time.DateOnly))
		}
		until = tsPtr(ch.Until)
	default:
		return before, aceso.Errorf(aceso.EINVALID, "state %q is not one of open, in_progress, remediated, mitigated, risk_accepted, false_positive", ch.State)
	}
	if ch.State != StateRiskAccepted {
		ch.Approver = ""
	}
	_, err = tx.exec(ctx, `UPDATE findings SET state = $3, state_note = $4, approver = $5, accepted_until = $6, state_by = $7,
		state_at = $8, auto_closed = FALSE, updated_at = $8 WHERE org_id = $1 AND id = $2`,
		p.OrgID, id, string(ch.State), ch.Note, ch.Approver, until, actorName(p), ts(tx.now))
	if err != nil {
		return before, err
	}
	after, err := loadFinding(ctx, tx.tx, p.OrgID, id, tx.now)
	if err != nil {
		return after, err
	}
	type view struct {
		State    FindingState `json:"state"`
		Note     string       `json:"note,omitempty"`
		Approver string       `json:"approver,omitempty"`
		Until    *time.Time   `json:"accepted_until,omitempty"`
	}
	return after, tx.Audit(ctx, p, p.OrgID, "finding.state", "finding", id,
		audit.Change(view{before.State, before.StateNote, before.Approver, before.AcceptedUntil}, view{after.State, after.StateNote, after.Approver, after.AcceptedUntil}))
}

// OverrideSSVC sets (or, with an empty value, removes) the analyst's value
// of one SSVC input of a finding, with a reason, and recomputes the
// decision; the override survives re-matching.
func (tx *Tx) OverrideSSVC(ctx context.Context, p access.Principal, id int64, input, value, reason string) (Finding, error) {
	if err := access.Authorize(p, access.ActAnalyse, p.OrgID); err != nil {
		return Finding{}, err
	}
	before, err := loadFinding(ctx, tx.tx, p.OrgID, id, tx.now)
	if err != nil {
		return before, err
	}
	input, value, reason = strings.TrimSpace(input), strings.TrimSpace(value), strings.TrimSpace(reason)
	allowed, ok := SSVCInputs[input]
	if !ok {
		return before, aceso.Errorf(aceso.EINVALID, "input %q is not one of exploitation, exposure, automatable, safety_impact, mission_impact", input)
	}
	ov := before.Overrides
	if value == "" {
		delete(ov, input)
	} else {
		if !slices.Contains(allowed, value) {
			return before, aceso.Errorf(aceso.EINVALID, "value %q of %s is not one of %s", value, input, strings.Join(allowed, ", "))
		}
		if reason == "" || len(reason) > 2000 {
			return before, aceso.Errorf(aceso.EINVALID, "reason is required (at most 2000 bytes): say why the value differs")
		}
		ov[input] = SSVCOverride{Value: value, Reason: reason, By: actorName(p), At: tx.now}
	}
	res := decideSSVC(before.SSVCBase, ov)
	_, err = tx.exec(ctx, `UPDATE findings SET ssvc_overrides = $3, ssvc = $4, ssvc_decision = $5, ssvc_rank = $6, updated_at = $7
		WHERE org_id = $1 AND id = $2`, p.OrgID, id, jsonText(ov, "{}"), jsonText(res, "{}"), string(res.Decision), res.Decision.Rank(), ts(tx.now))
	if err != nil {
		return before, err
	}
	after, err := loadFinding(ctx, tx.tx, p.OrgID, id, tx.now)
	if err != nil {
		return after, err
	}
	return after, tx.Audit(ctx, p, p.OrgID, "finding.ssvc", "finding", id, audit.Change(
		map[string]any{"decision": before.SSVC.Decision, "input": input},
		map[string]any{"decision": after.SSVC.Decision, "input": input, "value": value, "reason": reason}))
}

// ReviewOutcome is what a review decision changed.
type ReviewOutcome struct {
	Manufacturer  string      `json:"manufacturer"`
	Model         string      `json:"model"`
	ProductKey    string      `json:"product_key"`
	Confirmed     bool        `json:"confirmed"`
	Devices       int         `json:"devices"`        // devices of that model re-matched
	FalsePositive int         `json:"false_positive"` // findings marked false positive (reject)
	Counts        ApplyCounts `json:"counts"`
}

// DecideReview records an analyst's verdict on a possibly affected finding:
// is the device model that advisory product? The verdict is remembered per
// organisation for (manufacturer, model, product key) and applied at once to
// every device of that model: confirmed findings are re-matched (affected
// when the version says so), rejected ones become false positives; later
// advisories naming the same product reuse it.
func (d *DB) DecideReview(ctx context.Context, p access.Principal, findingID int64, confirm bool, note string) (ReviewOutcome, error) {
	var out ReviewOutcome
	if err := access.Authorize(p, access.ActAnalyse, p.OrgID); err != nil {
		return out, err
	}
	note = strings.TrimSpace(note)
	if len(note) > 2000 {
		return out, aceso.Errorf(aceso.EINVALID, "note is %d bytes long; at most 2000 are allowed", len(note))
	}
	err := d.InTx(ctx, func(tx *Tx) error {
		f, err := loadFinding(ctx, tx.tx, p.OrgID, findingID, tx.now)
		if err != nil {
			return err
		}
		out = ReviewOutcome{Manufacturer: f.Manufacturer, Model: f.Model, ProductKey: f.ProductKey, Confirmed: confirm}
		res, err := tx.exec(ctx, `UPDATE review_decisions SET confirmed = $5, note = $6, decided_by = $7, decided_at = $8
			WHERE org_id = $1 AND manufacturer = $2 AND model = $3 AND product_key = $4`,
			p.OrgID, f.Manufacturer, f.Model, f.ProductKey, confirm, note, actorName(p), ts(tx.now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := tx.exec(ctx, `INSERT INTO review_decisions (org_id, manufacturer, model, product_key, confirmed, note, decided_by, decided_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, p.OrgID, f.Manufacturer, f.Model, f.ProductKey, confirm, note, actorName(p), ts(tx.now)); err != nil {
				return err
			}
		}
		if confirm {
			// A reversed rejection: its false positives are live findings again.
			_, err = tx.exec(ctx, `UPDATE findings SET state = 'open', state_note = 'reopened: review confirmed the product', state_by = $5, state_at = $6, updated_at = $6
				WHERE org_id = $1 AND manufacturer_norm = $2 AND model = $3 AND product_key = $4 AND state = 'false_positive'`,
				p.OrgID, f.Manufacturer, f.Model, f.ProductKey, actorName(p), ts(tx.now))
		} else {
			// The verdict is about the organisation's device model, so it
			// covers withheld findings too (see findingVisible), but the
			// count reported back is of the findings the organisation sees.
			err = tx.queryRow(ctx, `SELECT COUNT(*) FROM findings f JOIN advisories a ON a.id = f.advisory_id
				WHERE f.org_id = $1 AND f.manufacturer_norm = $2 AND f.model = $3 AND f.product_key = $4 AND f.state <> 'false_positive' AND `+findingVisible,
				p.OrgID, f.Manufacturer, f.Model, f.ProductKey).Scan(&out.FalsePositive)
			if err == nil {
				_, err = tx.exec(ctx, `UPDATE findings SET state = 'false_positive', state_note = $5, state_by = $6, state_at = $7, auto_closed = FALSE,
				accepted_until = NULL, updated_at = $7
				WHERE org_id = $1 AND manufacturer_norm = $2 AND model = $3 AND product_key = $4 AND state <> 'false_positive'`,
					p.OrgID, f.Manufacturer, f.Model, f.ProductKey, "review: not this product. "+note, actorName(p), ts(tx.now))
			}
		}
		if err != nil {
			return err
		}
		var ids []int64
		rows, err := tx.tx.QueryContext(ctx, "SELECT id FROM devices WHERE org_id = $1 AND manufacturer_norm = $2 AND model = $3", p.OrgID, f.Manufacturer, f.Model)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		out.Devices = len(ids)
		if len(ids) > 0 {
			if out.Counts, err = tx.rematchDevices(ctx, p.OrgID, ids); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, p, p.OrgID, "review.decide", "finding", findingID, audit.Change(nil, out))
	})
	return out, err
}

// ReviewGroup is one entry of the review queue: possibly affected findings
// of one device model and one advisory product, decided together.
type ReviewGroup struct {
	Manufacturer  string  `json:"manufacturer_norm"`
	Model         string  `json:"model"`
	ProductKey    string  `json:"product_key"`
	ProductName   string  `json:"product_name"`
	Devices       int     `json:"devices"`
	Findings      int     `json:"findings"`
	Advisories    int     `json:"advisories"`
	TrackingID    string  `json:"tracking_id"` // one of the advisories (the first by id)
	FindingID     int64   `json:"finding_id"`  // a finding of the group, to decide on
	MaxConfidence float64 `json:"max_confidence"`
}

// ReviewQueue returns the principal's organisation's live possibly
// affected findings grouped by (manufacturer, model, product key), without
// withheld ones (see findingVisible).
func (d *DB) ReviewQueue(ctx context.Context, p access.Principal) ([]ReviewGroup, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, `SELECT f.manufacturer_norm, f.model, f.product_key, MIN(f.product_name), COUNT(DISTINCT f.device_id),
		COUNT(*), COUNT(DISTINCT f.advisory_id), MIN(a.tracking_id), MIN(f.id), MAX(f.confidence)
		FROM findings f JOIN advisories a ON a.id = f.advisory_id
		WHERE f.org_id = $1 AND `+findingVisible+` AND f.status = 'possibly_affected' AND `+fmt.Sprintf(effState, "$2")+` IN ('open', 'in_progress')
		GROUP BY f.manufacturer_norm, f.model, f.product_key
		ORDER BY COUNT(DISTINCT f.device_id) DESC, f.manufacturer_norm, f.model, f.product_key LIMIT 1000`, p.OrgID, ts(d.Now()))
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	out := []ReviewGroup{}
	for rows.Next() {
		var g ReviewGroup
		if err := rows.Scan(&g.Manufacturer, &g.Model, &g.ProductKey, &g.ProductName, &g.Devices, &g.Findings, &g.Advisories,
			&g.TrackingID, &g.FindingID, &g.MaxConfidence); err != nil {
			return nil, d.translate(err)
		}
		out = append(out, g)
	}
	return out, d.translate(rows.Err())
}

// Count is one bar of a dashboard chart.
type Count struct {
	Key      string `json:"key"`
	Findings int    `json:"findings"`
	Devices  int    `json:"devices"`
}

// NoFixDevice is a device with live findings none of which has a vendor fix:
// for it, mitigation is all there is.
type NoFixDevice struct {
	DeviceID int64  `json:"device_id"`
	AssetTag string `json:"asset_tag"`
	Model    string `json:"model"`
	Findings int    `json:"findings"`
}

// FindingSummary is the findings dashboard of one organisation: live
// (open or in progress) findings counted by SSVC decision, department and
// manufacturer; states; the review backlog; devices without a vendor fix.
type FindingSummary struct {
	Active         int           `json:"active"`
	ActiveDevices  int           `json:"active_devices"`
	ByDecision     []Count       `json:"by_decision"` // Immediate first, every decision present
	ByDepartment   []Count       `json:"by_department"`
	ByManufacturer []Count       `json:"by_manufacturer"`
	ByState        []Count       `json:"by_state"`
	Review         int           `json:"review"` // live possibly affected findings
	NoFix          []NoFixDevice `json:"no_fix"`
}

// FindingSummary computes the dashboard of the principal's organisation.
func (d *DB) FindingSummary(ctx context.Context, p access.Principal) (FindingSummary, error) {
	var s FindingSummary
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return s, err
	}
	args := []any{p.OrgID, ts(d.Now())}
	live := fmt.Sprintf(effState, "$2") + " IN ('open', 'in_progress')"
	base := findingFrom + "WHERE f.org_id = $1 AND " + findingVisible + " AND " + live
	counts := func(col string, limit int) ([]Count, error) {
		rows, err := d.db.QueryContext(ctx, "SELECT "+col+", COUNT(*), COUNT(DISTINCT f.device_id)"+base+
			" GROUP BY "+col+" ORDER BY COUNT(*) DESC, "+col+" LIMIT "+strconv.Itoa(limit), args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := []Count{}
		for rows.Next() {
			var c Count
			if err := rows.Scan(&c.Key, &c.Findings, &c.Devices); err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, rows.Err()
	}
	var err error
	if err = d.db.QueryRowContext(ctx, "SELECT COUNT(*), COUNT(DISTINCT f.device_id)"+base, args...).Scan(&s.Active, &s.ActiveDevices); err != nil {
		return s, d.translate(err)
	}
	dec, err := counts("f.ssvc_decision", 10)
	if err != nil {
		return s, d.translate(err)
	}
	for _, k := range []ssvc.Decision{ssvc.Immediate, ssvc.OutOfCycle, ssvc.Scheduled, ssvc.Defer} {
		c := Count{Key: string(k)}
		for _, x := range dec {
			if x.Key == string(k) {
				c = x
			}
		}
		s.ByDecision = append(s.ByDecision, c)
	}
	if s.ByDepartment, err = counts("d.department", 50); err != nil {
		return s, d.translate(err)
	}
	if s.ByManufacturer, err = counts("d.manufacturer_norm", 50); err != nil {
		return s, d.translate(err)
	}
	eff := fmt.Sprintf(effState, "$2")
	rows, err := d.db.QueryContext(ctx, "SELECT "+eff+", COUNT(*), COUNT(DISTINCT f.device_id) FROM findings f JOIN advisories a ON a.id = f.advisory_id WHERE f.org_id = $1 AND "+
		findingVisible+" GROUP BY "+eff, args...)
	if err != nil {
		return s, d.translate(err)
	}
	byState := map[string]Count{}
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Key, &c.Findings, &c.Devices); err != nil {
			rows.Close()
			return s, d.translate(err)
		}
		byState[c.Key] = c
	}
	rows.Close()
	for _, st := range FindingStates {
		c := byState[string(st)]
		c.Key = string(st)
		s.ByState = append(s.ByState, c)
	}
	if err := d.db.QueryRowContext(ctx, "SELECT COUNT(*)"+base+" AND f.status = 'possibly_affected'", args...).Scan(&s.Review); err != nil {
		return s, d.translate(err)
	}
	rows, err = d.db.QueryContext(ctx, "SELECT d.id, d.asset_tag, d.model, COUNT(*)"+base+` AND f.status = 'affected'
		GROUP BY d.id, d.asset_tag, d.model HAVING MAX(CASE WHEN f.vendor_fix THEN 1 ELSE 0 END) = 0
		ORDER BY COUNT(*) DESC, d.asset_tag LIMIT 100`, args...)
	if err != nil {
		return s, d.translate(err)
	}
	defer rows.Close()
	s.NoFix = []NoFixDevice{}
	for rows.Next() {
		var n NoFixDevice
		if err := rows.Scan(&n.DeviceID, &n.AssetTag, &n.Model, &n.Findings); err != nil {
			return s, d.translate(err)
		}
		s.NoFix = append(s.NoFix, n)
	}
	return s, d.translate(rows.Err())
}

// AdvisoryImpact is the CSIRT's view of an advisory across the sector:
// how many member organisations and devices it hits, never which devices.
type AdvisoryImpact struct {
	Orgs            int `json:"orgs"`
	Devices         int `json:"devices"`
	AffectedOrgs    int `json:"affected_orgs"`
	AffectedDevices int `json:"affected_devices"`
	PossibleDevices int `json:"possibly_affected_devices"`
	LiveFindings    int `json:"live_findings"`
}

// AdvisoryImpact counts an advisory's findings across all organisations;
// only the CSIRT (or the system) may ask. It counts findings withheld from
// their organisations too (see findingVisible): the CSIRT needs to know how
// many members an AMBER+STRICT or RED advisory hits in order to alert them
// at a label it may use.
func (d *DB) AdvisoryImpact(ctx context.Context, p access.Principal, advisoryID int64) (AdvisoryImpact, error) {
	var im AdvisoryImpact
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return im, err
	}
	if !p.IsSystem() && p.OrgKind != access.KindCSIRT {
		return im, aceso.Errorf(aceso.EFORBIDDEN, "only the CSIRT sees an advisory's impact across the sector")
	}
	eff := fmt.Sprintf(effState, "$2")
	err := d.db.QueryRowContext(ctx, `SELECT COUNT(DISTINCT f.org_id), COUNT(DISTINCT f.device_id),
		COUNT(DISTINCT CASE WHEN f.status = 'affected' THEN f.org_id END),
		COUNT(DISTINCT CASE WHEN f.status = 'affected' THEN f.device_id END),
		COUNT(DISTINCT CASE WHEN f.status = 'possibly_affected' THEN f.device_id END),
		COUNT(CASE WHEN `+eff+` IN ('open', 'in_progress') THEN 1 END)
		FROM findings f WHERE f.advisory_id = $1 AND f.state <> 'false_positive'`, advisoryID, ts(d.Now())).
		Scan(&im.Orgs, &im.Devices, &im.AffectedOrgs, &im.AffectedDevices, &im.PossibleDevices, &im.LiveFindings)
	return im, d.translate(err)
}

// AdvisoryCounts returns, for every advisory, how many findings the
// principal sees: its own organisation's (a member; withheld findings, see
// findingVisible, are not counted), or the sector's device count (the
// CSIRT). Keyed by advisory row id.
func (d *DB) AdvisoryCounts(ctx context.Context, p access.Principal) (map[int64]Count, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return nil, err
	}
	q := "SELECT f.advisory_id, COUNT(*), COUNT(DISTINCT f.device_id) FROM findings f JOIN advisories a ON a.id = f.advisory_id WHERE f.org_id = $1 AND " +
		findingVisible + " AND f.state <> 'false_positive' GROUP BY f.advisory_id"
	args := []any{p.OrgID}
	if p.IsSystem() || p.OrgKind == access.KindCSIRT {
		q = "SELECT f.advisory_id, COUNT(DISTINCT f.org_id), COUNT(DISTINCT f.device_id) FROM findings f WHERE f.state <> 'false_positive' GROUP BY f.advisory_id"
		args = nil
	}
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	out := map[int64]Count{}
	for rows.Next() {
		var (
			id int64
			c  Count
		)
		if err := rows.Scan(&id, &c.Findings, &c.Devices); err != nil {
			return nil, d.translate(err)
		}
		out[id] = c
	}
	return out, d.translate(rows.Err())
}
