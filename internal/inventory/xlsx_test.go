package inventory

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/xuri/excelize/v2"
)

// xlsxCell is a value at a cell of a test workbook; a time.Time is written
// as an Excel date with a date number format, as Excel stores it.
type xlsxCell struct {
	axis  string
	value any
}

// MustXLSX builds a workbook with the given sheets (the first is the active,
// first sheet) and returns its bytes.
func MustXLSX(tb testing.TB, sheets []string, cells map[string][]xlsxCell) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		tb.Fatal(err)
	}
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s); err != nil {
				tb.Fatal(err)
			}
		} else if _, err := f.NewSheet(s); err != nil {
			tb.Fatal(err)
		}
		for _, c := range cells[s] {
			if err := f.SetCellValue(s, c.axis, c.value); err != nil {
				tb.Fatal(err)
			}
			if _, isTime := c.value.(time.Time); isTime {
				if err := f.SetCellStyle(s, c.axis, c.axis, dateStyle); err != nil {
					tb.Fatal(err)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func row(n int, vals ...any) []xlsxCell {
	out := make([]xlsxCell, 0, len(vals))
	for i, v := range vals {
		if v == nil {
			continue
		}
		axis, _ := excelize.CoordinatesToCellName(i+1, n)
		out = append(out, xlsxCell{axis, v})
	}
	return out
}

func testWorkbook(tb testing.TB) []byte {
	tb.Helper()
	var inv []xlsxCell
	inv = append(inv, row(1, "Medical equipment export — CMMS 2026-01-05")...) // title above the table
	// row 2 empty
	inv = append(inv, row(3, "Equipment ID", "Vendor", "Model Name", "Firmware", "IP", "End of Support", "EoL", "Purchase Cost")...)
	inv = append(inv, row(4, "X-1", "Siemens Healthcare GmbH", "SOMATOM go.Up", "VA30A", "10.70.1.5", time.Date(2027, 12, 31, 0, 0, 0, 0, time.UTC), "31.12.2030", 250000)...)
	inv = append(inv, row(5, "X-2", "GE", "Revolution CT", 24, "10.70.1.6; 10.70.1.7", "2028-06-30", nil, nil)...)
	// rows 6–7 empty: skipped but counted, so row 8 stays row 8
	inv = append(inv, row(8, "X-3", "Canon Medical", "Aquilion ONE", "10.8", "10.70.1.300", "03/04/2028", nil, nil)...)
	inv = append(inv, row(9, "X-1", "Canon Medical", "Aquilion ONE", "10.11", nil, nil, nil, nil)...)
	other := row(1, "Manufacturer", "Model")
	other = append(other, row(2, "Dräger", "Perseus A500")...)
	return MustXLSX(tb, []string{"Inventory", "Anaesthesia"}, map[string][]xlsxCell{"Inventory": inv, "Anaesthesia": other})
}

func TestReadXLSX(t *testing.T) {
	res, err := ReadXLSX(bytes.NewReader(testWorkbook(t)), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Encoding != "xlsx" || res.Rows != 4 {
		t.Errorf("encoding %q rows %d", res.Encoding, res.Rows)
	}
	if len(res.Records) != 2 {
		t.Fatalf("records %+v rejected %v", res.Records, res.Rejected)
	}
	x1 := res.Records[0]
	want := Device{AssetTag: "X-1", Manufacturer: "Siemens Healthcare GmbH", ManufacturerNorm: "Siemens Healthineers",
		Model: "SOMATOM go.Up", Version: "VA30A", IPAddresses: []string{"10.70.1.5"},
		EndOfSupport: date(2027, 12, 31), EndOfLife: date(2030, 12, 31), Extra: map[string]string{"Purchase Cost": "250000"}}
	if x1.Row != 4 || !reflect.DeepEqual(x1.Device, want) {
		t.Errorf("X-1 row %d:\n got %+v\nwant %+v", x1.Row, x1.Device, want)
	}
	x2 := res.Records[1].Device
	if res.Records[1].Row != 5 || x2.Version != "24" || !reflect.DeepEqual(x2.IPAddresses, []string{"10.70.1.6", "10.70.1.7"}) ||
		!x2.EndOfSupport.Equal(*date(2028, 6, 30)) || x2.ManufacturerNorm != "GE Healthcare" {
		t.Errorf("X-2 = %+v", x2)
	}
	type key struct {
		Row    int
		Column string
	}
	var got []key
	for _, e := range res.Rejected {
		got = append(got, key{e.Row, e.Column})
	}
	wantRej := []key{{8, "IP"}, {8, "End of Support"}, {9, "Equipment ID"}}
	if !reflect.DeepEqual(got, wantRej) {
		t.Errorf("rejected %v, want %v (%v)", got, wantRej, res.Rejected)
	}
	if !strings.Contains(res.Rejected[2].Reason, "first used in row 4") {
		t.Errorf("duplicate reason %q", res.Rejected[2].Reason)
	}
}

func TestReadXLSXSheets(t *testing.T) {
	wb := testWorkbook(t)
	res, err := ReadXLSX(bytes.NewReader(wb), ReadOptions{Sheet: "anaesthesia"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Records) != 1 || res.Records[0].Device.ManufacturerNorm != "Draeger" || res.Records[0].Row != 2 {
		t.Errorf("records %+v", res.Records)
	}
	_, err = ReadXLSX(bytes.NewReader(wb), ReadOptions{Sheet: "Pumps"})
	if aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(aceso.ErrorMessage(err), `"Inventory", "Anaesthesia"`) {
		t.Errorf("missing sheet: %v", err)
	}
	// ReadFile picks the reader by extension and also by content for unknown extensions.
	dir := t.TempDir()
	for _, name := range []string{"export.xlsx", "export.bin"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, wb, 0o600); err != nil {
			t.Fatal(err)
		}
		res, err := ReadFile(p, ReadOptions{})
		if err != nil || len(res.Records) != 2 {
			t.Errorf("%s: %v %+v", name, err, res)
		}
	}
}

func TestReadXLSXNoHeader(t *testing.T) {
	wb := MustXLSX(t, []string{"S"}, map[string][]xlsxCell{"S": append(row(1, "Colour", "Size"), row(2, "red", "L")...)})
	_, err := ReadXLSX(bytes.NewReader(wb), ReadOptions{})
	if msg := aceso.ErrorMessage(err); !strings.Contains(msg, "no manufacturer or model column") || !strings.Contains(msg, `"Colour", "Size"`) {
		t.Errorf("error %v", err)
	}
	empty := MustXLSX(t, []string{"S"}, nil)
	if _, err := ReadXLSX(bytes.NewReader(empty), ReadOptions{}); !strings.Contains(aceso.ErrorMessage(err), "no header row") {
		t.Errorf("empty sheet: %v", err)
	}
}

func TestExcelSerialDate(t *testing.T) {
	tests := []struct {
		name, in string
		date1904 bool
		want     string
		ok       bool
	}{
		{"1900 system", "46387", false, "2026-12-31", true},
		{"fraction (time of day)", "46387.75", false, "2026-12-31", true},
		{"1904 system", "44925", true, "2026-12-31", true},
		{"text", "2026-12-31", false, "", false},
		{"negative", "-5", false, "", false},
		{"huge", "1e9", false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := excelSerialDate(tt.in, tt.date1904)
			if ok != tt.ok || got != tt.want {
				t.Errorf("got %q %v, want %q %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
