package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
)

// MustReadFile reads a testdata file and fails the test on a file-level error.
func MustReadFile(tb testing.TB, path string, opt ReadOptions) *ReadResult {
	tb.Helper()
	res, err := ReadFile(path, opt)
	if err != nil {
		tb.Fatalf("ReadFile(%s): %v", path, err)
	}
	return res
}

func recordByTag(tb testing.TB, res *ReadResult, tag string) Record {
	tb.Helper()
	for _, r := range res.Records {
		if r.Device.AssetTag == tag {
			return r
		}
	}
	tb.Fatalf("no record with asset tag %q; records: %v", tag, tags(res))
	return Record{}
}

func tags(res *ReadResult) []string {
	var out []string
	for _, r := range res.Records {
		out = append(out, r.Device.AssetTag)
	}
	return out
}

func date(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &t
}

func TestReadCSVBOMSemicolonGerman(t *testing.T) {
	res := MustReadFile(t, "testdata/bom_semicolon.csv", ReadOptions{})
	if res.Encoding != "utf-8-bom" {
		t.Errorf("Encoding = %q, want utf-8-bom", res.Encoding)
	}
	if len(res.Rejected) != 0 {
		t.Fatalf("rejected: %v", res.Rejected)
	}
	if res.Rows != 3 || len(res.Records) != 3 {
		t.Fatalf("Rows = %d, records = %d, want 3 and 3 (the empty line is skipped)", res.Rows, len(res.Records))
	}
	// Row numbers as a spreadsheet shows them: the quoted newline stays inside row 2,
	// the empty line is row 4, so the last device is on row 5.
	if got := []int{res.Records[0].Row, res.Records[1].Row, res.Records[2].Row}; !reflect.DeepEqual(got, []int{2, 3, 5}) {
		t.Errorf("rows = %v, want [2 3 5]", got)
	}
	want := Device{
		AssetTag: "MT-1001", Manufacturer: "Dräger", ManufacturerNorm: "Draeger", Model: "Infinity Delta XL",
		Version: "VF9.1", SerialNumber: "DXL-ARXD-0418", Department: "Intensivstation", Location: "Haus B / 3. OG / Bett 11",
		IPAddresses: []string{"10.60.1.21"}, MACAddresses: []string{"00:1a:2b:3c:4d:5e"}, EndOfSupport: date(2027, 12, 31),
		Patchable: new(true), Notes: "Leihgerät; Rückgabe \"nach\" Wartung\nzweite Zeile",
	}
	if got := res.Records[0].Device; !reflect.DeepEqual(got, want) {
		t.Errorf("device 1:\n got %+v\nwant %+v", got, want)
	}
	d2 := res.Records[1].Device
	if d2.ManufacturerNorm != "B. Braun" || d2.MACAddresses[0] != "00:1a:2b:3c:4d:5f" || *d2.Patchable || !d2.EndOfSupport.Equal(*date(2026, 6, 30)) {
		t.Errorf("device 2 = %+v", d2)
	}
	d3 := res.Records[2].Device
	if !reflect.DeepEqual(d3.IPAddresses, []string{"10.66.1.30", "10.66.2.30"}) || d3.MACAddresses[0] != "00:1a:2b:3c:4d:60" {
		t.Errorf("device 3 lists: %v %v", d3.IPAddresses, d3.MACAddresses)
	}
	wantCols := []ColumnMapping{{"Inventarnummer", "asset_tag"}, {"Hersteller", "manufacturer"}, {"Modell", "model"},
		{"Softwarestand", "version"}, {"Seriennummer", "serial_number"}, {"Abteilung", "department"}, {"Standort", "location"},
		{"IP-Adresse", "ip_addresses"}, {"MAC-Adresse", "mac_addresses"}, {"Supportende", "end_of_support"},
		{"Patchbar", "patchable"}, {"Bemerkung", "notes"}}
	if !reflect.DeepEqual(res.Columns, wantCols) {
		t.Errorf("Columns = %v", res.Columns)
	}
}

func TestReadCSVWindows1252Tab(t *testing.T) {
	raw, err := os.ReadFile("testdata/cp1252_tab.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "Dr\xe4ger") {
		t.Fatal("fixture must hold Dräger as the single byte 0xE4")
	}
	res := MustReadFile(t, "testdata/cp1252_tab.csv", ReadOptions{})
	if res.Encoding != "windows-1252" {
		t.Errorf("Encoding = %q", res.Encoding)
	}
	if len(res.Rejected) != 0 || len(res.Records) != 2 {
		t.Fatalf("records %d, rejected %v", len(res.Records), res.Rejected)
	}
	d := res.Records[0].Device
	if d.Manufacturer != "Dräger" || d.ManufacturerNorm != "Draeger" || d.Model != "Evita V500" || d.Version != "2.51" ||
		d.SerialNumber != "ASAH-0042" || d.Department != "Intensivstation Süd" || d.Location != "Raum 3°" {
		t.Errorf("device = %+v", d)
	}
	if got := d.Extra["Cost (€)"]; got != "48.500" {
		t.Errorf("Extra = %v, want the euro column kept", d.Extra)
	}
	if res.Records[1].Device.Department != "Kinderklinik Würzburg" || res.Records[1].Device.IPAddresses != nil {
		t.Errorf("device 2 = %+v", res.Records[1].Device)
	}
}

func TestReadCSVRowErrors(t *testing.T) {
	res := MustReadFile(t, "testdata/row_errors.csv", ReadOptions{})
	type key struct {
		Row    int
		Column string
	}
	var got []key
	for _, e := range res.Rejected {
		got = append(got, key{e.Row, e.Column})
	}
	want := []key{
		{3, "IP Address"}, {3, "MAC Address"},
		{4, "End of Support"}, {4, "Patchable"},
		{5, "Asset Tag"},
		{6, "Manufacturer"},
		{7, "Model"},
		{8, ""}, {8, "Network Zone"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rejected (row, column) =\n %v\nwant\n %v\nall: %v", got, want, res.Rejected)
	}
	reasons := map[key]string{}
	for _, e := range res.Rejected {
		reasons[key{e.Row, e.Column}] = e.Error()
	}
	for k, sub := range map[key]string{
		{3, "IP Address"}:     `row 3, column "IP Address": invalid IP address "10.62.1.300"`,
		{3, "MAC Address"}:    `invalid MAC address "00:1G:2b:3c:4d:02"`,
		{4, "End of Support"}: "ambiguous day/month order",
		{5, "Asset Tag"}:      `duplicate asset tag "E-1", first used in row 2`,
		{6, "Manufacturer"}:   "manufacturer is empty",
		{8, ""}:               `row 8: 13 fields but the header has 12 columns (value "surplus"`,
		{8, "Network Zone"}:   `unknown network zone "DMZ"`,
	} {
		if !strings.Contains(reasons[k], sub) {
			t.Errorf("%v: error %q does not contain %q", k, reasons[k], sub)
		}
	}
	if res.Rows != 11 || res.RejectedRows() != 6 || len(res.Records) != 5 {
		t.Errorf("Rows %d, rejected rows %d, records %d; want 11, 6, 5", res.Rows, res.RejectedRows(), len(res.Records))
	}
	e1 := recordByTag(t, res, "E-1")
	if e1.Row != 2 || e1.Device.Zone != ZoneClinicalSegment || e1.Device.ClinicalFunction != FunctionMonitoring ||
		!reflect.DeepEqual(e1.Device.Extra, map[string]string{"Purchase Order": "PO-4711", "Cost Centre": "4410"}) {
		t.Errorf("E-1 = %+v", e1)
	}
	// Short rows read the missing cells as empty.
	if e10 := recordByTag(t, res, "E-10"); e10.Device.IPAddresses[0] != "10.61.2.42" || e10.Device.Version != "" {
		t.Errorf("E-10 = %+v", e10.Device)
	}
	// Trailing empty fields are not "too many fields"; synonyms and d/m/Y with day > 12 work.
	e11 := recordByTag(t, res, "E-11")
	if e11.Device.ClinicalFunction != FunctionLifeSupport || !e11.Device.EndOfSupport.Equal(*date(2025, 12, 31)) || e11.Device.ManufacturerNorm != "Zoll Medical" {
		t.Errorf("E-11 = %+v", e11.Device)
	}
	// Untagged identical rows get two distinct generated keys.
	var gens []Record
	for _, r := range res.Records {
		if strings.HasPrefix(r.Device.AssetTag, "GEN-") {
			gens = append(gens, r)
		}
	}
	if len(gens) != 2 || gens[0].Row != 9 || gens[1].Row != 10 || gens[0].Device.AssetTag == gens[1].Device.AssetTag {
		t.Fatalf("generated keys: %+v", gens)
	}
	for _, g := range gens {
		if len(g.Device.AssetTag) != len("GEN-")+12 {
			t.Errorf("generated key %q is not GEN- + 12 hex", g.Device.AssetTag)
		}
	}
}

func TestDuplicateTagOfRejectedRow(t *testing.T) {
	in := "Tag,Make,Model,IP\nA-1,GE,B650,10.0.0.999\nA-1,GE,B650,10.0.0.9\n"
	res, err := ReadCSV(strings.NewReader(in), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Records) != 0 || len(res.Rejected) != 2 || res.Rejected[1].Row != 3 ||
		res.Rejected[1].Reason != `duplicate asset tag "A-1", first used in row 2` {
		t.Errorf("records %v rejected %v", res.Records, res.Rejected)
	}
}

func TestGeneratedKeyStable(t *testing.T) {
	in := "Manufacturer,Model,Serial,IP\nGE,Aisys CS2,APCR02215,10.0.0.1\nMedtronic,MiniMed 670G,,\n"
	a, err := ReadCSV(strings.NewReader(in), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Same devices, other spellings: the key is made of normalised values, so it does not change.
	b, err := ReadCSV(strings.NewReader("Vendor;Product;SN;IPv4\n\"GE Medical Systems\";aisys   cs2;apcr02215;10.0.0.1\nMedtronic plc;MiniMed 670G;;\n"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tags(a), tags(b)) {
		t.Errorf("keys differ: %v vs %v", tags(a), tags(b))
	}
	if tags(a)[0] == tags(a)[1] {
		t.Errorf("different devices share key %v", tags(a))
	}
	// Documented formula: first 12 hex digits of SHA-256 over the normalised parts.
	if want := "GEN-" + sha256Hex12("ge healthcare|aisys cs2|apcr02215|10.0.0.1||"); tags(a)[0] != want {
		t.Errorf("key = %s, want %s", tags(a)[0], want)
	}
}

func TestReadEvalInventory(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "testdata", "eval", "inventory.csv")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared test data not found at %s (clone without ../shared): %v", path, err)
	}
	res := MustReadFile(t, path, ReadOptions{})
	if len(res.Rejected) != 0 {
		t.Fatalf("rejected: %v", res.Rejected)
	}
	if len(res.Records) != 42 || res.Rows != 42 {
		t.Fatalf("records %d, rows %d, want 42", len(res.Records), res.Rows)
	}
	for i, r := range res.Records {
		if r.Row != i+2 {
			t.Errorf("record %d has row %d", i, r.Row)
		}
		if r.Device.ManufacturerNorm == "" || r.Device.Model == "" {
			t.Errorf("row %d: %+v", r.Row, r.Device)
		}
	}
	d1 := res.Records[0].Device
	if d1.AssetTag != "D-0001" || d1.ManufacturerNorm != "Draeger" || d1.Version != "VG6.1" || d1.Location != "Tower B / 3rd Fl / Bed 12" {
		t.Errorf("D-0001 = %+v", d1)
	}
	if got := recordByTag(t, res, "D-0009").Device.ManufacturerNorm; got != "Becton Dickinson" {
		t.Errorf("BD normalised to %q", got)
	}
	if got := recordByTag(t, res, "D-0005").Device.IPAddresses; got != nil {
		t.Errorf("empty IP read as %v", got)
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, path string
		opt        ReadOptions
		code       string
		contains   []string
	}{
		{"missing file", filepath.Join(dir, "nope.csv"), ReadOptions{}, aceso.ENOTFOUND, []string{"nope.csv"}},
		{"empty", write("empty.csv", "\n\n"), ReadOptions{}, aceso.EINVALID, []string{"empty.csv", "no header"}},
		{"no model column", write("nomodel.csv", "Asset Tag,Manufacturer,Colour\nA,GE,red\n"), ReadOptions{}, aceso.EINVALID,
			[]string{"nomodel.csv", "no model column", `"Asset Tag", "Manufacturer", "Colour"`}},
		{"no manufacturer or model", write("none.csv", "a;b\n1;2\n"), ReadOptions{}, aceso.EINVALID, []string{"no manufacturer or model column"}},
		{"legacy xls", write("old.xls", "whatever"), ReadOptions{}, aceso.EINVALID, []string{"old.xls", ".xls files are not supported"}},
		{"not a workbook", write("fake.xlsx", "Manufacturer,Model\nGE,x\n"), ReadOptions{}, aceso.EINVALID, []string{"fake.xlsx", "not a readable .xlsx"}},
		{"bad mapping", write("map.csv", "Hersteller,Kiste\nGE,x\n"), ReadOptions{Mapping: map[string]string{"Kiste": "modell"}}, aceso.EINVALID,
			[]string{`unknown field "modell"`}},
		{"bad delimiter", write("d.csv", "Manufacturer,Model\n"), ReadOptions{Delimiter: '"'}, aceso.EINVALID, []string{"delimiter"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ReadFile(tt.path, tt.opt)
			if err == nil {
				t.Fatalf("no error, result %+v", res)
			}
			if got := aceso.ErrorCode(err); got != tt.code {
				t.Errorf("code %q, want %q (%v)", got, tt.code, err)
			}
			msg := aceso.ErrorMessage(err)
			for _, s := range tt.contains {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q lacks %q", msg, s)
				}
			}
		})
	}
}

func TestReadCSVOptions(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		opt   ReadOptions
		check func(t *testing.T, res *ReadResult)
	}{
		{
			name: "saved mapping overrides aliases and keeps unmapped extra",
			in:   "Gerät,Firma,Typ,Version\nInfusomat,B. Braun,Space,686E\n",
			opt:  ReadOptions{Mapping: map[string]string{"gerat": "model", "Firma": "manufacturer", "TYP": ""}},
			check: func(t *testing.T, res *ReadResult) {
				d := res.Records[0].Device
				if d.Model != "Infusomat" || d.ManufacturerNorm != "B. Braun" || d.DeviceType != "" || d.Extra["Typ"] != "Space" || d.Version != "686E" {
					t.Errorf("device %+v", d)
				}
				if res.Columns[2] != (ColumnMapping{"Typ", ""}) {
					t.Errorf("columns %v", res.Columns)
				}
			},
		},
		{
			name: "saved mapping wins over an alias column that comes first",
			in:   "Model,Manufacturer,Modellbezeichnung (lang)\nshort,GE,CARESCAPE B650\n",
			opt:  ReadOptions{Mapping: map[string]string{"modellbezeichnunglang": "model"}},
			check: func(t *testing.T, res *ReadResult) {
				d := res.Records[0].Device
				if d.Model != "CARESCAPE B650" || d.Extra["Model"] != "short" {
					t.Errorf("device %+v", d)
				}
				if res.Columns[0] != (ColumnMapping{"Model", ""}) || res.Columns[2].Field != "model" {
					t.Errorf("columns %v", res.Columns)
				}
			},
		},
		{
			name: "explicit pipe delimiter and custom manufacturer aliases",
			in:   "Manufacturer|Model\nACME Med|Pump 1\n",
			opt:  ReadOptions{Delimiter: '|', Aliases: NewAliases(map[string][]string{"Acme Medical": {"ACME Med"}})},
			check: func(t *testing.T, res *ReadResult) {
				if got := res.Records[0].Device.ManufacturerNorm; got != "Acme Medical" {
					t.Errorf("norm %q", got)
				}
			},
		},
		{
			name: "excel sep line (not a row), leading blank lines and second column for a field kept as extra",
			in:   "sep=;\n\n\nMake;Model;IP;IP Address\nGE;B650;10.1.1.1;10.9.9.9\n",
			check: func(t *testing.T, res *ReadResult) {
				r := res.Records[0]
				if r.Row != 4 || r.Device.IPAddresses[0] != "10.1.1.1" || r.Device.Extra["IP Address"] != "10.9.9.9" {
					t.Errorf("record %+v", r)
				}
			},
		},
		{
			name: "sniff respects quotes: commas inside a quoted header do not win",
			in:   "Manufacturer;Model;\"Notes, remarks, comments\"\nGE;B650;\"a, b, c, d\"\n",
			check: func(t *testing.T, res *ReadResult) {
				if len(res.Columns) != 3 || res.Records[0].Device.Extra["Notes, remarks, comments"] != "a, b, c, d" {
					t.Errorf("columns %v records %+v", res.Columns, res.Records)
				}
			},
		},
		{
			name: "unterminated quote rejects the row and stops",
			in:   "Manufacturer,Model\nGE,B650\nGE,\"B850\nGE,B450\n",
			check: func(t *testing.T, res *ReadResult) {
				if len(res.Records) != 1 || len(res.Rejected) != 1 || res.Rejected[0].Row != 3 || !strings.Contains(res.Rejected[0].Reason, "never closed") {
					t.Errorf("records %v rejected %v", res.Records, res.Rejected)
				}
			},
		},
		{
			name: "lenient quotes: literal quote mid-field, text after a closing quote",
			in:   "Manufacturer,Model,Notes\nGE,15\" monitor,\"abc\"def\n",
			check: func(t *testing.T, res *ReadResult) {
				d := res.Records[0].Device
				if d.Model != "15\" monitor" || d.Notes != "abcdef" {
					t.Errorf("device %+v", d)
				}
			},
		},
		{
			name: "utf-16 with BOM (Excel 'Unicode text')",
			in:   utf16le("Manufacturer\tModel\r\nDräger\tKappa\r\n"),
			check: func(t *testing.T, res *ReadResult) {
				if res.Encoding != "utf-16le" || res.Records[0].Device.Manufacturer != "Dräger" {
					t.Errorf("encoding %q records %+v", res.Encoding, res.Records)
				}
			},
		},
		{
			name: "whitespace trimmed everywhere, CR-only line ends",
			in:   "  Manufacturer ,  Model  \r  Philips  ,  EPIQ 7 \r",
			check: func(t *testing.T, res *ReadResult) {
				d := res.Records[0].Device
				if d.Manufacturer != "Philips" || d.Model != "EPIQ 7" || res.Columns[0].Header != "Manufacturer" {
					t.Errorf("device %+v cols %v", d, res.Columns)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ReadCSV(strings.NewReader(tt.in), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Records) == 0 {
				t.Fatalf("no records; rejected %v", res.Rejected)
			}
			tt.check(t, res)
		})
	}
}

func utf16le(s string) string {
	b := []byte{0xFF, 0xFE}
	for _, r := range s {
		if r > 0xFFFF {
			panic("test helper handles the BMP only")
		}
		b = append(b, byte(r), byte(r>>8))
	}
	return string(b)
}

func TestHeaderAliases(t *testing.T) {
	tests := []struct{ header, field string }{
		{"Asset Tag", "asset_tag"}, {"ASSET-ID", "asset_tag"}, {"Asset Number", "asset_tag"}, {"Inventory No.", "asset_tag"},
		{"inventory_number", "asset_tag"}, {"Tag", "asset_tag"},
		{"Manufacturer", "manufacturer"}, {"Vendor", "manufacturer"}, {"Make", "manufacturer"}, {"HERSTELLER", "manufacturer"},
		{"Model", "model"}, {"Product", "model"}, {"Device Model", "model"}, {"Model Name", "model"}, {"Product Name", "model"},
		{"Software Version", "version"}, {"SW Version", "version"}, {"Firmware", "version"}, {"Firmware Version", "version"},
		{"Version", "version"}, {"FW", "version"},
		{"Serial Number", "serial_number"}, {"Serial", "serial_number"}, {"SN", "serial_number"}, {"S/N", "serial_number"}, {"Serial No", "serial_number"},
		{"Department", "department"}, {"Dept.", "department"}, {"Ward", "department"},
		{"Location", "location"}, {"Room", "location"}, {"Site", "location"},
		{"IP Address", "ip_addresses"}, {"IP", "ip_addresses"}, {"IPv4", "ip_addresses"},
		{"MAC Address", "mac_addresses"}, {"MAC", "mac_addresses"},
		{"Hostname", "hostname"}, {"Host Name", "hostname"}, {"DNS Name", "hostname"},
		{"Device Type", "device_type"}, {"Category", "device_type"}, {"Type", "device_type"},
		{"UDI-DI", "udi_di"}, {"Operating System", "operating_system"}, {"OS", "operating_system"},
		{"Network Zone", "network_zone"}, {"Zone", "network_zone"}, {"Clinical Function", "clinical_function"},
		{"Safety Impact", "safety_impact"}, {"Support Status", "support_status"}, {"End of Support", "end_of_support"},
		{"End-of-Life", "end_of_life"}, {"Patchable", "patchable"}, {"Owner", "owner"}, {"Contact", "owner"},
		{"Tags", "tags"}, {"Notes", "notes"}, {"Gerätetyp", "device_type"}, {"GERATETYP", "device_type"},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			f, ok := headerAliases[foldHeader(tt.header)]
			if !ok || fieldNames[f] != tt.field {
				t.Errorf("%q folded %q → %v (ok %v), want %s", tt.header, foldHeader(tt.header), f, ok, tt.field)
			}
		})
	}
	// Every field name is a valid mapping target and maps to itself.
	for _, name := range Fields() {
		if f, ok := headerAliases[foldHeader(name)]; !ok || fieldNames[f] != name {
			t.Errorf("field %q does not map to itself", name)
		}
	}
}

func TestRowErrorError(t *testing.T) {
	e := RowError{Row: 7, Column: "MAC Address", Value: "00:1G", Reason: `invalid MAC address "00:1G"`}
	if got, want := e.Error(), `row 7, column "MAC Address": invalid MAC address "00:1G"`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	var err error = RowError{Row: 3, Reason: "too many fields"}
	var re RowError
	if !errors.As(err, &re) || err.Error() != "row 3: too many fields" {
		t.Errorf("got %v", err)
	}
}
