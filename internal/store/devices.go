package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/audit"
	"github.com/aceso-health/aceso/internal/inventory"
)

const deviceCols = `id, org_id, asset_tag, manufacturer, manufacturer_norm, model, version, serial_number, udi_di,
	device_type, department, location, ip_addresses, mac_addresses, hostname, operating_system, network_zone,
	clinical_function, safety_impact, support_status, end_of_support, end_of_life, patchable, owner, tags, notes,
	extra, created_at, updated_at, last_seen_at`

// deviceWriteCols are the columns an insert sets (all but id); an import
// batch repeats their placeholders per row.
var deviceWriteCols = []string{"org_id", "asset_tag", "manufacturer", "manufacturer_norm", "model", "version",
	"serial_number", "udi_di", "device_type", "department", "location", "ip_addresses", "mac_addresses", "hostname",
	"operating_system", "network_zone", "clinical_function", "safety_impact", "support_status", "end_of_support",
	"end_of_life", "patchable", "owner", "tags", "notes", "extra", "search_text", "content_hash", "created_at",
	"updated_at", "last_seen_at"}

func scanDevice(row interface{ Scan(...any) error }) (inventory.Device, error) {
	var (
		d                  inventory.Device
		ips, macs, tg, ext string
		eos, eol, seen     sql.NullInt64
		patch              sql.NullBool
		c, u               int64
	)
	err := row.Scan(&d.ID, &d.OrgID, &d.AssetTag, &d.Manufacturer, &d.ManufacturerNorm, &d.Model, &d.Version,
		&d.SerialNumber, &d.UDIDI, &d.DeviceType, &d.Department, &d.Location, &ips, &macs, &d.Hostname,
		&d.OperatingSystem, &d.Zone, &d.ClinicalFunction, &d.SafetyImpact, &d.SupportStatus, &eos, &eol, &patch,
		&d.Owner, &tg, &d.Notes, &ext, &c, &u, &seen)
	if err != nil {
		return d, err
	}
	d.EndOfSupport, d.EndOfLife, d.LastSeenAt = fromNullTS(eos), fromNullTS(eol), fromNullTS(seen)
	d.CreatedAt, d.UpdatedAt = fromTS(c), fromTS(u)
	if patch.Valid {
		b := patch.Bool
		d.Patchable = &b
	}
	for _, j := range []struct {
		s string
		v any
	}{{ips, &d.IPAddresses}, {macs, &d.MACAddresses}, {tg, &d.Tags}, {ext, &d.Extra}} {
		if j.s != "" && j.s != "[]" && j.s != "{}" {
			if err := json.Unmarshal([]byte(j.s), j.v); err != nil {
				return d, fmt.Errorf("device %d: stored list: %w", d.ID, err)
			}
		}
	}
	return d, nil
}

// jsonText stores a list or map as JSON text; empty ones as "[]"/"{}".
func jsonText(v any, empty string) string {
	b, _ := json.Marshal(v)
	if s := string(b); s != "null" {
		return s
	}
	return empty
}

// deviceArgs are the values of deviceWriteCols for d.
func deviceArgs(d *inventory.Device) []any {
	var patch sql.NullBool
	if d.Patchable != nil {
		patch = sql.NullBool{Bool: *d.Patchable, Valid: true}
	}
	return []any{d.OrgID, d.AssetTag, d.Manufacturer, d.ManufacturerNorm, d.Model, d.Version, d.SerialNumber,
		d.UDIDI, d.DeviceType, d.Department, d.Location, jsonText(d.IPAddresses, "[]"), jsonText(d.MACAddresses, "[]"),
		d.Hostname, d.OperatingSystem, string(d.Zone), string(d.ClinicalFunction), string(d.SafetyImpact),
		string(d.SupportStatus), tsPtr(d.EndOfSupport), tsPtr(d.EndOfLife), patch, d.Owner,
		jsonText(d.Tags, "[]"), d.Notes, jsonText(d.Extra, "{}"), searchText(d), contentHash(d),
		ts(d.CreatedAt), ts(d.UpdatedAt), tsPtr(d.LastSeenAt)}
}

// searchText is the lower-cased text the list's search box matches with
// LIKE; one column keeps the query identical on both databases.
func searchText(d *inventory.Device) string {
	parts := []string{d.AssetTag, d.Manufacturer, d.ManufacturerNorm, d.Model, d.Version, d.SerialNumber, d.UDIDI,
		d.DeviceType, d.Department, d.Location, d.Hostname, d.OperatingSystem, d.Owner}
	parts = append(parts, d.IPAddresses...)
	parts = append(parts, d.MACAddresses...)
	parts = append(parts, d.Tags...)
	return strings.ToLower(strings.Join(parts, "\x1f"))
}

// contentHash fingerprints what an import may change, so that a re-import
// compares 100,000 rows against one short column instead of every field.
func contentHash(d *inventory.Device) string {
	c := *d
	c.ID, c.OrgID, c.CreatedAt, c.UpdatedAt, c.LastSeenAt = 0, 0, time.Time{}, time.Time{}, nil
	b, _ := json.Marshal(&c)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// fieldProblem is one invalid field of a device.
type fieldProblem struct{ field, reason string }

// normaliseDevice trims and canonicalises d in place and returns what is
// wrong with it; the API reports the first problem, an import every one.
func normaliseDevice(d *inventory.Device, aliases *inventory.Aliases) []fieldProblem {
	var probs []fieldProblem
	bad := func(field, format string, args ...any) {
		probs = append(probs, fieldProblem{field, fmt.Sprintf(format, args...)})
	}
	for _, f := range []struct {
		name string
		p    *string
		max  int
	}{
		{"asset_tag", &d.AssetTag, 200}, {"manufacturer", &d.Manufacturer, 200}, {"model", &d.Model, 200},
		{"version", &d.Version, 200}, {"serial_number", &d.SerialNumber, 200}, {"udi_di", &d.UDIDI, 200},
		{"device_type", &d.DeviceType, 200}, {"department", &d.Department, 200}, {"location", &d.Location, 500},
		{"hostname", &d.Hostname, 253}, {"operating_system", &d.OperatingSystem, 200}, {"owner", &d.Owner, 200},
		{"notes", &d.Notes, 10000},
	} {
		*f.p = strings.TrimSpace(*f.p)
		if n := len(*f.p); n > f.max {
			bad(f.name, "%s is %d bytes long; at most %d are allowed", f.name, n, f.max)
		}
		if !utf8.ValidString(*f.p) {
			bad(f.name, "%s is not valid UTF-8 text", f.name)
		} else if strings.ContainsFunc(*f.p, func(r rune) bool {
			return unicode.IsControl(r) && (f.name != "notes" || !strings.ContainsRune("\n\r\t", r))
		}) {
			bad(f.name, "%s contains control characters", f.name)
		}
	}
	if d.AssetTag == "" {
		bad("asset_tag", "asset_tag is required")
	}
	if d.Manufacturer == "" {
		bad("manufacturer", "manufacturer is required")
	}
	if d.Model == "" {
		bad("model", "model is required")
	}
	if d.Manufacturer != "" {
		if aliases != nil || d.ManufacturerNorm == "" {
			if aliases == nil {
				aliases = inventory.DefaultAliases()
			}
			d.ManufacturerNorm = aliases.Normalise(d.Manufacturer)
		}
		if d.ManufacturerNorm == "" {
			bad("manufacturer", "manufacturer %q has no letters or digits", d.Manufacturer)
		}
	}
	if d.Zone != "" && !slices.Contains(inventory.Zones, d.Zone) {
		bad("network_zone", "network_zone %q is not one of %s", d.Zone, enumList(inventory.Zones))
	}
	if d.ClinicalFunction != "" && !slices.Contains(inventory.ClinicalFunctions, d.ClinicalFunction) {
		bad("clinical_function", "clinical_function %q is not one of %s", d.ClinicalFunction, enumList(inventory.ClinicalFunctions))
	}
	safety := []inventory.SafetyImpact{inventory.SafetyNegligible, inventory.SafetyMarginal, inventory.SafetyCritical, inventory.SafetyCatastrophic}
	if d.SafetyImpact != "" && !slices.Contains(safety, d.SafetyImpact) {
		bad("safety_impact", "safety_impact %q is not one of %s", d.SafetyImpact, enumList(safety))
	}
	support := []inventory.SupportStatus{inventory.SupportSupported, inventory.SupportEndOfSupport, inventory.SupportEndOfLife}
	if d.SupportStatus != "" && !slices.Contains(support, d.SupportStatus) {
		bad("support_status", "support_status %q is not one of %s", d.SupportStatus, enumList(support))
	}
	d.IPAddresses = cleanList(d.IPAddresses, func(s string) (string, bool) {
		a, err := netip.ParseAddr(s)
		if err != nil {
			bad("ip_addresses", "ip address %q is not valid", s)
			return s, false
		}
		return a.String(), true
	})
	d.MACAddresses = cleanList(d.MACAddresses, func(s string) (string, bool) {
		m, err := net.ParseMAC(s)
		if err != nil || len(m) != 6 {
			bad("mac_addresses", "MAC address %q is not valid (six bytes, e.g. 00:1a:2b:3c:4d:5e)", s)
			return s, false
		}
		return m.String(), true
	})
	d.Tags = cleanList(d.Tags, func(s string) (string, bool) {
		if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) || len(s) > 100 {
			bad("tags", "tag %q is not valid: at most 100 characters of text", s)
			return s, false
		}
		return s, true
	})
	if len(d.IPAddresses)+len(d.MACAddresses) > 64 || len(d.Tags) > 50 {
		bad("tags", "too many addresses or tags (at most 64 addresses and 50 tags)")
	}
	if len(d.Extra) == 0 {
		d.Extra = nil
	} else if len(d.Extra) > 100 {
		bad("extra", "extra holds %d columns; at most 100 are kept", len(d.Extra))
	}
	for k, v := range d.Extra {
		if !utf8.ValidString(k) || !utf8.ValidString(v) || len(k) > 200 || len(v) > 10000 {
			bad("extra", "extra column %q is not valid UTF-8 text of reasonable length", k)
			break
		}
	}
	for _, t := range []**time.Time{&d.EndOfSupport, &d.EndOfLife, &d.LastSeenAt} {
		if *t != nil {
			if (*t).IsZero() {
				*t = nil
			} else {
				v := (*t).UTC().Truncate(time.Microsecond)
				*t = &v
			}
		}
	}
	return probs
}

// cleanList trims the entries, drops empty ones and duplicates, and maps
// each through canon; an empty result is nil so that hashes compare.
func cleanList(in []string, canon func(string) (string, bool)) []string {
	var out []string
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		s, _ = canon(s)
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func enumList[T ~string](vals []T) string {
	s := make([]string, len(vals))
	for i, v := range vals {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// deviceInvalid turns the first problem into the API's error.
func deviceInvalid(probs []fieldProblem) error {
	if len(probs) == 0 {
		return nil
	}
	return aceso.Errorf(aceso.EINVALID, "%s", probs[0].reason)
}

// CreateDevice stores a new device in the principal's organisation. Its
// manufacturer is normalised with the deployment's alias table.
func (tx *Tx) CreateDevice(ctx context.Context, p access.Principal, d *inventory.Device) error {
	if err := access.Authorize(p, access.ActWrite, p.OrgID); err != nil {
		return err
	}
	aliases, err := loadAliases(ctx, tx.tx)
	if err != nil {
		return err
	}
	if err := deviceInvalid(normaliseDevice(d, aliases)); err != nil {
		return err
	}
	d.ID, d.OrgID, d.CreatedAt, d.UpdatedAt = 0, p.OrgID, tx.now, tx.now
	err = tx.queryRow(ctx, "INSERT INTO devices ("+strings.Join(deviceWriteCols, ", ")+") VALUES ("+placeholders(1, len(deviceWriteCols))+") RETURNING id",
		deviceArgs(d)...).Scan(&d.ID)
	if err != nil {
		if aceso.ErrorCode(tx.db.translate(err)) == aceso.ECONFLICT {
			return aceso.Errorf(aceso.ECONFLICT, "a device with asset tag %q exists already", d.AssetTag)
		}
		return err
	}
	return tx.Audit(ctx, p, p.OrgID, "device.create", "device", d.ID, audit.Change(nil, d))
}

// lockDevice reads one device of the principal's organisation inside the
// transaction; another organisation's device is not found.
func (tx *Tx) lockDevice(ctx context.Context, p access.Principal, id int64) (inventory.Device, error) {
	d, err := scanDevice(tx.queryRow(ctx, "SELECT "+deviceCols+" FROM devices WHERE org_id = $1 AND id = $2", p.OrgID, id))
	if err == sql.ErrNoRows {
		return d, aceso.Errorf(aceso.ENOTFOUND, "device %d not found", id)
	}
	return d, err
}

// UpdateDevice replaces the editable fields of device d.ID. d.UpdatedAt
// must be the value the editor read: if someone else saved the device
// since, the update is refused with ECONFLICT instead of overwriting
// their change silently.
func (tx *Tx) UpdateDevice(ctx context.Context, p access.Principal, d *inventory.Device) error {
	if err := access.Authorize(p, access.ActWrite, p.OrgID); err != nil {
		return err
	}
	before, err := tx.lockDevice(ctx, p, d.ID)
	if err != nil {
		return err
	}
	if d.UpdatedAt.IsZero() {
		return aceso.Errorf(aceso.EINVALID, "updated_at is required: send the value you read, so that concurrent edits are detected")
	}
	if !d.UpdatedAt.Equal(before.UpdatedAt) {
		return aceso.Errorf(aceso.ECONFLICT, "device %q was changed by someone else at %s; reload it and apply your change again",
			before.AssetTag, before.UpdatedAt.Format(time.RFC3339))
	}
	aliases, err := loadAliases(ctx, tx.tx)
	if err != nil {
		return err
	}
	if err := deviceInvalid(normaliseDevice(d, aliases)); err != nil {
		return err
	}
	d.OrgID, d.CreatedAt, d.LastSeenAt = before.OrgID, before.CreatedAt, before.LastSeenAt
	// A second save within the same microsecond must still move the version.
	d.UpdatedAt = tx.now
	if !d.UpdatedAt.After(before.UpdatedAt) {
		d.UpdatedAt = before.UpdatedAt.Add(time.Microsecond)
	}
	args := append([]any{p.OrgID, before.ID, ts(before.UpdatedAt)}, updateArgs(d)...)
	res, err := tx.exec(ctx, "UPDATE devices SET "+setList(4)+" WHERE org_id = $1 AND id = $2 AND updated_at = $3", args...)
	if err != nil {
		if aceso.ErrorCode(tx.db.translate(err)) == aceso.ECONFLICT {
			return aceso.Errorf(aceso.ECONFLICT, "a device with asset tag %q exists already", d.AssetTag)
		}
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return aceso.Errorf(aceso.ECONFLICT, "device %q was changed by someone else; reload it", before.AssetTag)
	}
	return tx.Audit(ctx, p, p.OrgID, "device.update", "device", d.ID, audit.Change(before, d))
}

// setList is "col = $n, …" for deviceWriteCols but created_at, which an
// update never changes, numbered from placeholder n; updateArgs binds it.
func setList(n int) string {
	var b strings.Builder
	for _, c := range deviceWriteCols {
		if c == "created_at" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s = $%d", c, n)
		n++
	}
	return b.String()
}

// createdAtCol is the position of created_at in deviceWriteCols.
var createdAtCol = slices.Index(deviceWriteCols, "created_at")

// updateArgs are the values of setList.
func updateArgs(d *inventory.Device) []any {
	return slices.Delete(deviceArgs(d), createdAtCol, createdAtCol+1)
}

// placeholders returns "$from, …, $(from+n-1)".
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}

// DeleteDevice removes one device of the principal's organisation.
func (tx *Tx) DeleteDevice(ctx context.Context, p access.Principal, id int64) error {
	if err := access.Authorize(p, access.ActWrite, p.OrgID); err != nil {
		return err
	}
	before, err := tx.lockDevice(ctx, p, id)
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, "DELETE FROM devices WHERE org_id = $1 AND id = $2", p.OrgID, id); err != nil {
		return err
	}
	return tx.Audit(ctx, p, p.OrgID, "device.delete", "device", id, audit.Change(before, nil))
}

// Device returns one device of the principal's organisation.
func (d *DB) Device(ctx context.Context, p access.Principal, id int64) (inventory.Device, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return inventory.Device{}, err
	}
	dev, err := scanDevice(d.db.QueryRowContext(ctx, "SELECT "+deviceCols+" FROM devices WHERE org_id = $1 AND id = $2", p.OrgID, id))
	if err == sql.ErrNoRows {
		return dev, aceso.Errorf(aceso.ENOTFOUND, "device %d not found", id)
	}
	return dev, d.translate(err)
}

// DeviceFilter selects and orders a page of the device list. Sort is one of
// DeviceSorts ("" is asset_tag); After is the Next cursor of the previous page.
type DeviceFilter struct {
	Query            string // substring of tag, manufacturer, model, serial, addresses, location, …
	Manufacturer     string // normalised manufacturer, exact
	Model            string
	Department       string
	Zone             inventory.Zone
	ClinicalFunction inventory.ClinicalFunction
	SupportStatus    inventory.SupportStatus
	Sort             string
	Desc             bool
	After            string
	Limit            int  // 1 to 500; 0 is 50
	Count            bool // also count the matches, up to DeviceCountCap
}

// DeviceSorts maps the sort names of the list to their columns; each has an
// index (org_id, column, id) so that every page is an index range scan.
var DeviceSorts = map[string]string{
	"asset_tag": "asset_tag", "manufacturer": "manufacturer_norm", "model": "model", "department": "department",
	"zone": "network_zone", "function": "clinical_function", "support": "support_status", "updated": "updated_at",
}

// DeviceCountCap bounds the count of a list: counting stops there so that a
// page never costs a scan of a whole sector.
const DeviceCountCap = 10000

// DevicePage is one page of the device list.
type DevicePage struct {
	Devices []inventory.Device `json:"devices"`
	Next    string             `json:"next,omitempty"`  // cursor of the next page; "" on the last
	Total   int                `json:"total,omitempty"` // matches, when counted
	// TotalCapped says Total stopped at DeviceCountCap: there are more.
	TotalCapped bool `json:"total_capped,omitempty"`
}

type cursor struct {
	Sort string `json:"s"`
	Desc bool   `json:"d,omitempty"`
	Val  string `json:"v"`
	ID   int64  `json:"i"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ListDevices returns a page of the principal's organisation's devices.
// Pagination is by keyset (the last row's sort value and id), so page
// 2,000 costs what page 1 does, and rows added meanwhile never shift it.
func (d *DB) ListDevices(ctx context.Context, p access.Principal, f DeviceFilter) (DevicePage, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return DevicePage{}, err
	}
	if f.Sort == "" {
		f.Sort = "asset_tag"
	}
	col, ok := DeviceSorts[f.Sort]
	if !ok {
		return DevicePage{}, aceso.Errorf(aceso.EINVALID, "sort %q is not one of asset_tag, manufacturer, model, department, zone, function, support, updated", f.Sort)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 500 {
		return DevicePage{}, aceso.Errorf(aceso.EINVALID, "limit %d is over 500", f.Limit)
	}
	for _, v := range []string{f.Query, f.Manufacturer, f.Model, f.Department, string(f.Zone), string(f.ClinicalFunction), string(f.SupportStatus)} {
		if !plainText(v) {
			return DevicePage{}, aceso.Errorf(aceso.EINVALID, "filter %q is not valid UTF-8 text", v)
		}
	}
	where, args := []string{"org_id = $1"}, []any{p.OrgID}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if q := strings.ToLower(strings.TrimSpace(f.Query)); q != "" {
		add(`search_text LIKE ? ESCAPE '\'`, "%"+strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q)+"%")
	}
	for _, eq := range []struct{ col, v string }{
		{"manufacturer_norm", f.Manufacturer}, {"model", f.Model}, {"department", f.Department},
		{"network_zone", string(f.Zone)}, {"clinical_function", string(f.ClinicalFunction)}, {"support_status", string(f.SupportStatus)},
	} {
		if v := strings.TrimSpace(eq.v); v != "" {
			add(eq.col+" = ?", v)
		}
	}
	var page DevicePage
	if f.Count {
		n := 0
		q := "SELECT COUNT(*) FROM (SELECT 1 FROM devices WHERE " + strings.Join(where, " AND ") + " LIMIT " + strconv.Itoa(DeviceCountCap+1) + ") m"
		if err := d.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			return page, d.translate(err)
		}
		page.Total, page.TotalCapped = min(n, DeviceCountCap), n > DeviceCountCap
	}
	op, dir := ">", "ASC"
	if f.Desc {
		op, dir = "<", "DESC"
	}
	if f.After != "" {
		c, err := decodeCursor(f.After)
		if err != nil || c.Sort != f.Sort || c.Desc != f.Desc || !plainText(c.Val) {
			return page, aceso.Errorf(aceso.EINVALID, "cursor %q is not valid for this sort order; start from the first page", f.After)
		}
		var v any = c.Val
		if col == "updated_at" {
			n, err := strconv.ParseInt(c.Val, 10, 64)
			if err != nil {
				return page, aceso.Errorf(aceso.EINVALID, "cursor %q is not valid", f.After)
			}
			v = n
		}
		if col == "asset_tag" { // unique within the organisation: no tie-breaker needed
			add("asset_tag "+op+" ?", v)
		} else {
			args = append(args, v, c.ID)
			where = append(where, fmt.Sprintf("(%s, id) %s ($%d, $%d)", col, op, len(args)-1, len(args)))
		}
	}
	order := col + " " + dir
	if col != "asset_tag" {
		order += ", id " + dir
	}
	q := "SELECT " + deviceCols + " FROM devices WHERE " + strings.Join(where, " AND ") + " ORDER BY " + order + " LIMIT " + strconv.Itoa(f.Limit+1)
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return page, d.translate(err)
	}
	defer rows.Close()
	page.Devices = make([]inventory.Device, 0, f.Limit)
	for rows.Next() {
		dev, err := scanDevice(rows)
		if err != nil {
			return page, d.translate(err)
		}
		page.Devices = append(page.Devices, dev)
	}
	if err := rows.Err(); err != nil {
		return page, d.translate(err)
	}
	if len(page.Devices) > f.Limit {
		page.Devices = page.Devices[:f.Limit]
		last := &page.Devices[f.Limit-1]
		c := cursor{Sort: f.Sort, Desc: f.Desc, ID: last.ID}
		switch col {
		case "updated_at":
			c.Val = strconv.FormatInt(ts(last.UpdatedAt), 10)
		default:
			c.Val = sortValue(last, col)
		}
		page.Next = c.encode()
	}
	return page, nil
}

// plainText reports whether s can be a query parameter on both databases:
// PostgreSQL refuses NUL bytes and invalid UTF-8 with an error of its own.
func plainText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, err
	}
	err = json.Unmarshal(b, &c)
	return c, err
}

func sortValue(d *inventory.Device, col string) string {
	switch col {
	case "asset_tag":
		return d.AssetTag
	case "manufacturer_norm":
		return d.ManufacturerNorm
	case "model":
		return d.Model
	case "department":
		return d.Department
	case "network_zone":
		return string(d.Zone)
	case "clinical_function":
		return string(d.ClinicalFunction)
	case "support_status":
		return string(d.SupportStatus)
	}
	return ""
}

// DeviceFacets are the distinct values the list's filters offer.
type DeviceFacets struct {
	Manufacturers []string `json:"manufacturers"`
	Departments   []string `json:"departments"`
}

// Facets returns the organisation's distinct normalised manufacturers and
// departments (at most 500 each), read from their indexes.
func (d *DB) Facets(ctx context.Context, p access.Principal) (DeviceFacets, error) {
	var out DeviceFacets
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return out, err
	}
	for _, f := range []struct {
		col string
		dst *[]string
	}{{"manufacturer_norm", &out.Manufacturers}, {"department", &out.Departments}} {
		rows, err := d.db.QueryContext(ctx, "SELECT DISTINCT "+f.col+" FROM devices WHERE org_id = $1 AND "+f.col+" <> '' ORDER BY "+f.col+" LIMIT 500", p.OrgID)
		if err != nil {
			return out, d.translate(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return out, d.translate(err)
			}
			*f.dst = append(*f.dst, s)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return out, d.translate(err)
		}
	}
	return out, nil
}

// AllDevices returns every device of the organisation in asset-tag order,
// for the CSV export. It reads in keyset pages of 500 so that each query stays short.
func (d *DB) AllDevices(ctx context.Context, p access.Principal) ([]inventory.Device, error) {
	var out []inventory.Device
	f := DeviceFilter{Limit: 500}
	for {
		page, err := d.ListDevices(ctx, p, f)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Devices...)
		if page.Next == "" {
			return out, nil
		}
		f.After = page.Next
	}
}
