package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/inventory"
	"github.com/aceso-health/aceso/internal/store"
)

// uploadLimit is the request-body limit of the two import routes only:
// a large hospital's CMMS export runs to tens of megabytes, while every
// other route keeps Options.MaxBodyBytes (1 MiB by default).
const uploadLimit = 64 << 20

// registerInventoryRoutes adds the device inventory: JSON API, UI pages,
// import wizard and CSV export.
func (s *Server) registerInventoryRoutes() {
	get, post, put, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
	read, write := access.ActRead, access.ActWrite
	api := func(rt Route, h handlerFunc) { rt.API = true; s.handle(rt, h) }

	api(Route{Method: get, Path: "/api/v1/devices", Auth: User, Act: read, Resp: "DevicePage",
		Summary: "Devices of the caller's organisation, one keyset page (?q, manufacturer, model, department, zone, function, support, sort, desc=1, after=CURSOR, limit≤500, count=1)"}, s.apiDevices)
	api(Route{Method: post, Path: "/api/v1/devices", Auth: User, Act: write, Summary: "Create a device", Body: "Device", Resp: "Device"}, s.apiDeviceCreate)
	api(Route{Method: get, Path: "/api/v1/devices/export", Auth: User, Act: read, Summary: "All devices as CSV (text/csv; the columns the importer reads back)"}, s.deviceExport)
	api(Route{Method: get, Path: "/api/v1/devices/{device}", Auth: User, Act: read, Summary: "One device", Resp: "Device"}, s.apiDevice)
	api(Route{Method: put, Path: "/api/v1/devices/{device}", Auth: User, Act: write, Body: "Device", Resp: "Device",
		Summary: "Replace a device's fields; updated_at must be the value read (409 if someone saved since)"}, s.apiDeviceUpdate)
	api(Route{Method: del, Path: "/api/v1/devices/{device}", Auth: User, Act: write, Summary: "Delete a device"}, s.apiDeviceDelete)
	s.handle(Route{Method: post, Path: "/api/v1/devices/import", Auth: User, Act: write, API: true, MaxBody: uploadLimit, Resp: "ImportReport",
		Summary: "Import a CSV/XLSX inventory: multipart/form-data field \"file\" (up to 64 MiB); mode=all (default, all-or-nothing) or valid (valid rows only); dry_run=1 previews; mapping=NAME uses a saved column mapping. A refused import answers 400 with the error and the report."}, s.apiDeviceImport)

	s.handle(Route{Method: get, Path: "/inventory", Auth: User, Act: read}, s.inventoryPage)
	s.handle(Route{Method: post, Path: "/inventory", Auth: User, Act: write}, s.deviceCreateForm)
	s.handle(Route{Method: get, Path: "/inventory/new", Auth: User, Act: write}, s.deviceNewPage)
	s.handle(Route{Method: get, Path: "/inventory/export", Auth: User, Act: read}, s.deviceExport)
	s.handle(Route{Method: get, Path: "/inventory/import", Auth: User, Act: write}, s.importPage)
	s.handle(Route{Method: post, Path: "/inventory/import", Auth: User, Act: write, MaxBody: uploadLimit}, s.importPreview)
	s.handle(Route{Method: post, Path: "/inventory/import/commit", Auth: User, Act: write}, s.importCommit)
	s.handle(Route{Method: get, Path: "/inventory/{device}", Auth: User, Act: read}, s.devicePage)
	s.handle(Route{Method: post, Path: "/inventory/{device}", Auth: User, Act: write}, s.deviceUpdateForm)
	s.handle(Route{Method: get, Path: "/inventory/{device}/edit", Auth: User, Act: write}, s.deviceEditPage)
	s.handle(Route{Method: post, Path: "/inventory/{device}/delete", Auth: User, Act: write}, s.deviceDeleteForm)
	s.registerMappingRoutes()
	s.registerSBOMRoutes()
}

func init() {
	device := obj([]string{"asset_tag", "manufacturer", "model"}, map[string]any{
		"id": integer, "org_id": integer, "asset_tag": str, "manufacturer": str, "manufacturer_normalised": str,
		"model": str, "version": str, "serial_number": str, "udi_di": str, "device_type": str, "department": str,
		"location": str, "ip_addresses": arr(str), "mac_addresses": arr(str), "hostname": str, "operating_system": str,
		"network_zone":      map[string]any{"type": "string", "enum": enumStrings(inventory.Zones)},
		"clinical_function": map[string]any{"type": "string", "enum": enumStrings(inventory.ClinicalFunctions)},
		"safety_impact":     map[string]any{"type": "string", "enum": []string{"negligible", "marginal", "critical", "catastrophic"}},
		"support_status":    map[string]any{"type": "string", "enum": []string{"supported", "end-of-support", "end-of-life"}},
		"end_of_support":    when, "end_of_life": when, "patchable": boolean, "owner": str, "tags": arr(str), "notes": str,
		"extra":      map[string]any{"type": "object", "additionalProperties": str},
		"created_at": when, "updated_at": when, "last_seen_at": when,
	})
	schemas["Device"] = device
	schemas["DevicePage"] = obj(nil, map[string]any{"devices": arr(ref("Device")), "next": str, "total": integer, "total_capped": boolean})
	rowErr := obj(nil, map[string]any{"Row": integer, "Column": str, "Value": str, "Reason": str})
	schemas["ImportReport"] = obj(nil, map[string]any{"rows": integer, "new": integer, "changed": integer, "unchanged": integer,
		"not_in_file": integer, "rejected": arr(rowErr), "rejected_rows": integer, "written": boolean,
		"columns": arr(obj(nil, map[string]any{"Header": str, "Field": str})), "encoding": str})
	templateFuncs["invZones"] = func() []inventory.Zone { return inventory.Zones }
	templateFuncs["invFunctions"] = func() []inventory.ClinicalFunction { return inventory.ClinicalFunctions }
	templateFuncs["invCanWrite"] = func(si *sessionInfo) bool { return si != nil && si.User.Role.AtLeast(access.RoleReporter) }
	templateFuncs["invDate"] = func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Format(time.DateOnly)
	}
	templateFuncs["invList"] = func(v ...string) []string { return v }
	templateFuncs["invJoin"] = func(s []string) string { return strings.Join(s, ", ") }
	templateFuncs["invPatchable"] = func(b *bool) string {
		switch {
		case b == nil:
			return ""
		case *b:
			return "yes"
		}
		return "no"
	}
}

func enumStrings[T ~string](v []T) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = string(x)
	}
	return out
}

// deviceFilter reads the list's query parameters. Any "org" parameter is
// ignored: the organisation is always the caller's.
func deviceFilter(q url.Values) (store.DeviceFilter, error) {
	f := store.DeviceFilter{
		Query: q.Get("q"), Manufacturer: q.Get("manufacturer"), Model: q.Get("model"), Department: q.Get("department"),
		Zone: inventory.Zone(q.Get("zone")), ClinicalFunction: inventory.ClinicalFunction(q.Get("function")),
		SupportStatus: inventory.SupportStatus(q.Get("support")), Sort: q.Get("sort"), After: q.Get("after"),
		Desc: q.Get("desc") == "1" || q.Get("desc") == "true", Count: q.Get("count") == "1" || q.Get("count") == "true",
	}
	return f, queryNumber(q, "limit", 1, 0, &f.Limit) // the store caps it at 500
}

func (s *Server) apiDevices(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	f, err := deviceFilter(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := s.db.ListDevices(r.Context(), p, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) apiDevice(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "device")
	if err != nil {
		return err
	}
	d, err := s.db.Device(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) apiDeviceCreate(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var d inventory.Device
	if err := decodeJSON(r, &d); err != nil {
		return err
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.CreateDevice(r.Context(), p, &d) }); err != nil {
		return err
	}
	s.rematch(r, p.OrgID, d.ID)
	w.Header().Set("Location", "/api/v1/devices/"+itoa(d.ID))
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) apiDeviceUpdate(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "device")
	if err != nil {
		return err
	}
	// Another organisation's device is not found before the body is judged.
	if _, err := s.db.Device(r.Context(), p, id); err != nil {
		return err
	}
	var d inventory.Device
	if err := decodeJSON(r, &d); err != nil {
		return err
	}
	d.ID = id
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.UpdateDevice(r.Context(), p, &d) }); err != nil {
		return err
	}
	s.rematch(r, p.OrgID, d.ID)
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) apiDeviceDelete(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "device")
	if err != nil {
		return err
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.DeleteDevice(r.Context(), p, id) }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deviceExport streams the organisation's devices as CSV in the layout
// the importer maps back, so an export can be edited and re-imported.
func (s *Server) deviceExport(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	devs, err := s.db.AllDevices(r.Context(), p)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := inventory.WriteCSV(&buf, devs); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="inventory-%s.csv"`, s.now().Format("2006-01-02")))
	w.Header().Set("Cache-Control", "no-store")
	_, err = buf.WriteTo(w)
	return err
}

// importFile is an upload read into memory, with the import options of its form.
type importFile struct {
	name      string
	data      []byte
	validOnly bool
	mapping   string            // name of a saved mapping
	columns   map[string]string // header → field chosen in the preview; wins over mapping
}

// readUpload takes the "file" part of a multipart request; bodies above
// uploadLimit are refused with 413.
func readUpload(r *http.Request) (importFile, error) {
	var f importFile
	if r.MultipartForm == nil {
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe):
				return f, aceso.Errorf(aceso.ETOOLARGE, "upload larger than %d MiB", uploadLimit>>20)
			case errors.Is(err, http.ErrNotMultipart):
				return f, aceso.Errorf(aceso.EINVALID, "send the inventory as multipart/form-data with the file in field \"file\"")
			}
			return f, aceso.Errorf(aceso.EINVALID, "malformed upload: %v", err)
		}
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		if errors.Is(err, http.ErrMissingFile) {
			return f, aceso.Errorf(aceso.EINVALID, "choose a file to import (field \"file\")")
		}
		return f, aceso.Errorf(aceso.EINVALID, "reading the upload: %v", err)
	}
	defer file.Close()
	f.name = path.Base(strings.ReplaceAll(hdr.Filename, `\`, "/"))
	if f.data, err = io.ReadAll(file); err != nil {
		return f, fmt.Errorf("read upload: %w", err)
	}
	if len(f.data) == 0 {
		return f, aceso.Errorf(aceso.EINVALID, "%s is empty", f.name)
	}
	var mode string
	f.validOnly, mode, f.mapping = false, r.FormValue("mode"), strings.TrimSpace(r.FormValue("mapping"))
	switch mode {
	case "", "all":
	case "valid":
		f.validOnly = true
	default:
		return f, aceso.Errorf(aceso.EINVALID, "mode %q must be all (all-or-nothing) or valid (valid rows only)", mode)
	}
	return f, nil
}

// parseInventory reads an uploaded export: an XLSX by its signature,
// anything else as delimited text (tab-separated for .tsv).
func (s *Server) parseInventory(r *http.Request, p access.Principal, f importFile) (*inventory.ReadResult, error) {
	aliases, err := s.db.ManufacturerAliases(r.Context())
	if err != nil {
		return nil, err
	}
	opt := inventory.ReadOptions{Aliases: aliases}
	if f.columns != nil {
		opt.Mapping = f.columns
	} else if f.mapping != "" {
		if opt.Mapping, err = s.db.ImportMapping(r.Context(), p, f.mapping); err != nil {
			return nil, err
		}
	}
	var res *inventory.ReadResult
	switch {
	case bytes.HasPrefix(f.data, []byte("PK\x03\x04")):
		res, err = inventory.ReadXLSX(bytes.NewReader(f.data), opt)
	default:
		if strings.HasSuffix(strings.ToLower(f.name), ".tsv") {
			opt.Delimiter = '\t'
		}
		res, err = inventory.ReadCSV(bytes.NewReader(f.data), opt)
	}
	if err != nil {
		var ae *aceso.Error
		if errors.As(err, &ae) {
			return nil, &aceso.Error{Code: ae.Code, Message: f.name + ": " + ae.Message, Err: ae.Err}
		}
		return nil, aceso.Wrap(aceso.EINVALID, err, "%s: cannot be read as CSV or XLSX", f.name)
	}
	return res, nil
}

// importReport is the API's answer: the store's report plus how the file was read.
type importReport struct {
	store.ImportReport
	Columns  []inventory.ColumnMapping `json:"columns"`
	Encoding string                    `json:"encoding"`
}

// runImport imports (or previews) a parsed file in one transaction.
func (s *Server) runImport(r *http.Request, p access.Principal, f importFile, res *inventory.ReadResult, dry bool, after func(tx *store.Tx) error) (store.ImportReport, error) {
	var rep store.ImportReport
	err := s.db.InTx(r.Context(), func(tx *store.Tx) error {
		var err error
		rep, err = tx.ImportDevices(r.Context(), p, res.Records, store.ImportOptions{FileName: f.name, Rejected: res.Rejected, ValidOnly: f.validOnly, DryRun: dry, Columns: res.Columns})
		if err == nil && after != nil {
			err = after(tx)
		}
		return err
	})
	rep.Rejected = nonNil(rep.Rejected)
	if err == nil && rep.Written && rep.New+rep.Changed > 0 {
		s.rematchOrg(r, p)
	}
	return rep, err
}

// rematch matches the given devices against every stored advisory after
// they changed, so findings follow the inventory (a device moved to a fixed
// version gets its findings closed as remediated). A failure does not undo
// the inventory change: it is logged, and the next change or advisory
// import matches again.
func (s *Server) rematch(r *http.Request, orgID int64, ids ...int64) {
	if _, err := s.db.RematchDevices(r.Context(), orgID, ids); err != nil {
		s.log.Error("re-match after inventory change", "org_id", orgID, "devices", len(ids), "err", err, "request_id", requestID(r.Context()))
	}
}

// rematchOrg re-matches all devices of the caller's organisation (after an import).
func (s *Server) rematchOrg(r *http.Request, p access.Principal) {
	devs, err := s.db.AllDevices(r.Context(), p)
	if err != nil {
		s.log.Error("re-match after import", "org_id", p.OrgID, "err", err)
		return
	}
	ids := make([]int64, len(devs))
	for i := range devs {
		ids[i] = devs[i].ID
	}
	s.rematch(r, p.OrgID, ids...)
}

func (s *Server) apiDeviceImport(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	f, err := readUpload(r)
	if err != nil {
		return err
	}
	res, err := s.parseInventory(r, p, f)
	if err != nil {
		return err
	}
	dry := r.FormValue("dry_run") == "1" || r.FormValue("dry_run") == "true"
	rep, err := s.runImport(r, p, f, res, dry, nil)
	out := importReport{ImportReport: rep, Columns: nonNil(res.Columns), Encoding: res.Encoding}
	if err != nil {
		if aceso.ErrorCode(err) != aceso.EINVALID {
			return err
		}
		// A refused import still tells which rows to fix.
		writeJSON(w, http.StatusBadRequest, map[string]any{
			"error":  map[string]string{"code": aceso.EINVALID, "message": aceso.ErrorMessage(err)},
			"report": out,
		})
		return nil
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// listView is the data of the inventory list page; its methods build the
// links of sortable headers and the next page, keeping the filters.
type listView struct {
	F      store.DeviceFilter
	Page   store.DevicePage
	Facets store.DeviceFacets
	query  url.Values
}

// SortURL links a column header: sort by col, or reverse when it is the current sort.
func (v listView) SortURL(col string) string {
	q := v.base()
	q.Set("sort", col)
	cur := v.F.Sort
	if cur == "" {
		cur = "asset_tag"
	}
	if cur == col && !v.F.Desc {
		q.Set("desc", "1")
	}
	return "/inventory?" + q.Encode()
}

// SortState is the aria-sort value of a column header.
func (v listView) SortState(col string) string {
	cur := v.F.Sort
	if cur == "" {
		cur = "asset_tag"
	}
	switch {
	case cur != col:
		return "none"
	case v.F.Desc:
		return "descending"
	}
	return "ascending"
}

// NextURL links the next keyset page.
func (v listView) NextURL() string {
	q := v.base()
	if v.F.Sort != "" {
		q.Set("sort", v.F.Sort)
	}
	if v.F.Desc {
		q.Set("desc", "1")
	}
	q.Set("after", v.Page.Next)
	return "/inventory?" + q.Encode()
}

// FirstURL links the first page of the same list.
func (v listView) FirstURL() string {
	q := v.base()
	if v.F.Sort != "" {
		q.Set("sort", v.F.Sort)
	}
	if v.F.Desc {
		q.Set("desc", "1")
	}
	return "/inventory?" + q.Encode()
}

// base keeps the filters of the current list, dropping sort and cursor.
func (v listView) base() url.Values {
	q := url.Values{}
	for _, k := range []string{"q", "manufacturer", "model", "department", "zone", "function", "support"} {
		if s := strings.TrimSpace(v.query.Get(k)); s != "" {
			q.Set(k, s)
		}
	}
	return q
}

func (s *Server) inventoryPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q := r.URL.Query()
	f, err := deviceFilter(q)
	if err != nil {
		return err
	}
	f.Count = true
	v := listView{F: f, query: q}
	if v.Page, err = s.db.ListDevices(r.Context(), p, f); err != nil {
		return err
	}
	if v.Facets, err = s.db.Facets(r.Context(), p); err != nil {
		return err
	}
	s.render(w, r, "inventory", page{Title: "Inventory", Nav: "inventory", Flash: q.Get("flash"), Data: v})
	return nil
}

func (s *Server) devicePage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "device")
	if err != nil {
		return err
	}
	d, err := s.db.Device(r.Context(), p, id)
	if err != nil {
		return err
	}
	v := deviceView{D: &d}
	sb, comps, err := s.db.DeviceSBOM(r.Context(), p, d)
	switch {
	case err == nil:
		v.SBOM, v.Components = &sb, comps
	case aceso.ErrorCode(err) != aceso.ENOTFOUND:
		return err
	}
	s.render(w, r, "inventory-device", page{Title: d.AssetTag, Nav: "inventory", Flash: r.URL.Query().Get("flash"), Data: v})
	return nil
}

// deviceView is the data of a device's page: the device and the SBOM it
// inherits from its model, if any.
type deviceView struct {
	D          *inventory.Device
	SBOM       *store.SBOM
	Components []inventory.Component
}

// deviceForm is the data of the create/edit form.
type deviceForm struct {
	D      inventory.Device
	Action string
	New    bool
}

func (s *Server) renderDeviceForm(w http.ResponseWriter, r *http.Request, d inventory.Device, errMsg string, status int) {
	f := deviceForm{D: d, Action: "/inventory", New: d.ID == 0}
	title := "New device"
	if !f.New {
		f.Action, title = "/inventory/"+itoa(d.ID), "Edit "+d.AssetTag
	}
	w.WriteHeader(status)
	s.render(w, r, "inventory-form", page{Title: title, Nav: "inventory", Error: errMsg, Data: f})
}

func (s *Server) deviceNewPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	s.renderDeviceForm(w, r, inventory.Device{}, "", http.StatusOK)
	return nil
}

func (s *Server) deviceEditPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "device")
	if err != nil {
		return err
	}
	d, err := s.db.Device(r.Context(), p, id)
	if err != nil {
		return err
	}
	s.renderDeviceForm(w, r, d, "", http.StatusOK)
	return nil
}

// splitForm splits a list typed into one form field.
func splitForm(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// applyForm overlays the form's fields on d (Extra and timestamps stay).
func applyForm(r *http.Request, d *inventory.Device) error {
	if _, err := formValue(r, "asset_tag"); err != nil {
		return err
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	d.AssetTag, d.Manufacturer, d.Model, d.Version = v("asset_tag"), v("manufacturer"), v("model"), v("version")
	d.SerialNumber, d.UDIDI, d.DeviceType, d.Department = v("serial_number"), v("udi_di"), v("device_type"), v("department")
	d.Location, d.Hostname, d.OperatingSystem, d.Owner = v("location"), v("hostname"), v("operating_system"), v("owner")
	d.Notes = v("notes")
	d.IPAddresses, d.MACAddresses = splitForm(v("ip_addresses")), splitForm(v("mac_addresses"))
	d.Tags = strings.FieldsFunc(v("tags"), func(r rune) bool { return r == ',' || r == ';' })
	d.Zone, d.ClinicalFunction = inventory.Zone(v("network_zone")), inventory.ClinicalFunction(v("clinical_function"))
	d.SafetyImpact, d.SupportStatus = inventory.SafetyImpact(v("safety_impact")), inventory.SupportStatus(v("support_status"))
	for _, df := range []struct {
		name string
		dst  **time.Time
	}{{"end_of_support", &d.EndOfSupport}, {"end_of_life", &d.EndOfLife}} {
		*df.dst = nil
		if s := v(df.name); s != "" {
			t, err := time.Parse(time.DateOnly, s)
			if err != nil {
				return aceso.Errorf(aceso.EINVALID, "%s %q is not a date (YYYY-MM-DD)", df.name, s)
			}
			*df.dst = &t
		}
	}
	switch v("patchable") {
	case "yes":
		b := true
		d.Patchable = &b
	case "no":
		b := false
		d.Patchable = &b
	default:
		d.Patchable = nil
	}
	if us := v("updated_us"); us != "" {
		n, err := strconv.ParseInt(us, 10, 64)
		if err != nil {
			return aceso.Errorf(aceso.EINVALID, "the form's version field is damaged; reload the page")
		}
		d.UpdatedAt = time.UnixMicro(n).UTC()
	} else if d.ID != 0 {
		d.UpdatedAt = time.Time{}
	}
	return nil
}

// deviceFormError renders the form again with the message for bad input and
// conflicts; other errors go to the error page.
func (s *Server) deviceFormError(w http.ResponseWriter, r *http.Request, d inventory.Device, err error) error {
	switch c := aceso.ErrorCode(err); c {
	case aceso.EINVALID, aceso.ECONFLICT:
		s.renderDeviceForm(w, r, d, aceso.ErrorMessage(err), statusOf[c])
		return nil
	}
	return err
}

func (s *Server) deviceCreateForm(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var d inventory.Device
	if err := applyForm(r, &d); err != nil {
		return s.deviceFormError(w, r, d, err)
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.CreateDevice(r.Context(), p, &d) }); err != nil {
		d.ID = 0
		return s.deviceFormError(w, r, d, err)
	}
	s.rematch(r, p.OrgID, d.ID)
	return seeOther(w, r, "/inventory/"+itoa(d.ID)+"?flash="+url.QueryEscape("Device created"))
}

func (s *Server) deviceUpdateForm(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "device")
	if err != nil {
		return err
	}
	d, err := s.db.Device(r.Context(), p, id)
	if err != nil {
		return err
	}
	if err := applyForm(r, &d); err != nil {
		return s.deviceFormError(w, r, d, err)
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.UpdateDevice(r.Context(), p, &d) }); err != nil {
		if aceso.ErrorCode(err) == aceso.ECONFLICT {
			// Show the current version, so that the user redoes the edit on it.
			if cur, err2 := s.db.Device(r.Context(), p, id); err2 == nil {
				d.UpdatedAt = cur.UpdatedAt
			}
		}
		return s.deviceFormError(w, r, d, err)
	}
	s.rematch(r, p.OrgID, id)
	return seeOther(w, r, "/inventory/"+itoa(id)+"?flash="+url.QueryEscape("Device saved"))
}

func (s *Server) deviceDeleteForm(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "device")
	if err != nil {
		return err
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.DeleteDevice(r.Context(), p, id) }); err != nil {
		return err
	}
	return seeOther(w, r, "/inventory?flash="+url.QueryEscape("Device deleted"))
}

// importView is the data of the upload form: the saved mappings to offer.
type importView struct {
	Mappings []store.SavedMapping
}

func (s *Server) importPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.renderImportForm(w, r, p, "", http.StatusOK)
}

// renderImportForm shows the upload form, with msg as its error.
func (s *Server) renderImportForm(w http.ResponseWriter, r *http.Request, p access.Principal, msg string, status int) error {
	ms, err := s.db.ImportMappings(r.Context(), p)
	if err != nil {
		return err
	}
	w.WriteHeader(status)
	s.render(w, r, "inventory-import", page{Title: "Import inventory", Nav: "inventory", Error: msg, Data: importView{Mappings: ms}})
	return nil
}

// previewView is the data of the import preview page.
type previewView struct {
	Upload    string
	FileName  string
	ValidOnly bool
	Mapping   string
	Report    store.ImportReport
	Res       *inventory.ReadResult
	First     []inventory.Record
	// Remapped says the columns were chosen on the preview: the commit
	// form carries them (Res.Columns) instead of the saved mapping's name.
	Remapped bool
}

// Fields are the device fields a column can be mapped to, for the selects.
func (previewView) Fields() []string { return inventory.Fields() }

// importPreview reads the upload, holds it server-side and shows what
// committing it would do; nothing is imported yet.
func (s *Server) importPreview(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	f, err := readUpload(r)
	if err != nil {
		return s.importFormError(w, r, p, err)
	}
	res, err := s.parseInventory(r, p, f)
	if err != nil {
		return s.importFormError(w, r, p, err)
	}
	rep, err := s.runImport(r, p, f, res, true, nil)
	if err != nil && aceso.ErrorCode(err) != aceso.EINVALID {
		return err
	}
	var id string
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error {
		var err error
		id, err = tx.SaveImportUpload(r.Context(), p, f.name, f.data)
		return err
	}); err != nil {
		return err
	}
	v := newPreview(id, f, rep, res)
	msg := ""
	if err != nil {
		msg = aceso.ErrorMessage(err) + "."
	}
	s.render(w, r, "inventory-preview", page{Title: "Import preview: " + f.name, Nav: "inventory", Error: msg, Data: v})
	return nil
}

// newPreview builds the preview page's data.
func newPreview(id string, f importFile, rep store.ImportReport, res *inventory.ReadResult) previewView {
	return previewView{Upload: id, FileName: f.name, ValidOnly: f.validOnly, Mapping: f.mapping, Report: rep, Res: res,
		First: res.Records[:min(20, len(res.Records))], Remapped: f.columns != nil}
}

func (s *Server) importFormError(w http.ResponseWriter, r *http.Request, p access.Principal, err error) error {
	switch c := aceso.ErrorCode(err); c {
	case aceso.EINVALID, aceso.ETOOLARGE, aceso.ENOTFOUND:
		return s.renderImportForm(w, r, p, aceso.ErrorMessage(err), statusOf[c])
	}
	return err
}

// importCommit imports the upload held since the preview, then deletes it
// in the same transaction.
func (s *Server) importCommit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := formValue(r, "upload")
	if err != nil {
		return err
	}
	if id == "" {
		return s.importFormError(w, r, p, aceso.Errorf(aceso.EINVALID, "nothing to import: upload a file first"))
	}
	name, data, err := s.db.ImportUpload(r.Context(), p, id)
	if err != nil {
		return s.importFormError(w, r, p, err)
	}
	f := importFile{name: name, data: data, validOnly: r.PostFormValue("mode") == "valid", mapping: r.PostFormValue("mapping")}
	if f.columns, err = formColumns(r); err != nil {
		return s.importFormError(w, r, p, err)
	}
	res, err := s.parseInventory(r, p, f)
	if err != nil {
		return s.importFormError(w, r, p, err)
	}
	rep, err := s.runImport(r, p, f, res, false, func(tx *store.Tx) error { return tx.DeleteImportUpload(r.Context(), p, id) })
	if err != nil {
		if aceso.ErrorCode(err) != aceso.EINVALID {
			return err
		}
		w.WriteHeader(http.StatusBadRequest)
		v := newPreview(id, f, rep, res)
		s.render(w, r, "inventory-preview", page{Title: "Import preview: " + name, Nav: "inventory", Error: aceso.ErrorMessage(err) + ".", Data: v})
		return nil
	}
	flash := fmt.Sprintf("Imported %s: %d new, %d changed, %d unchanged, %d rows rejected", name, rep.New, rep.Changed, rep.Unchanged, rep.RejectedRows)
	return seeOther(w, r, "/inventory?flash="+url.QueryEscape(flash))
}
