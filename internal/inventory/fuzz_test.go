package inventory

import (
	"bytes"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aceso-health/aceso"
	"github.com/xuri/excelize/v2"
)

func FuzzReadCSV(f *testing.F) {
	for _, name := range []string{"testdata/bom_semicolon.csv", "testdata/cp1252_tab.csv", "testdata/row_errors.csv"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, GenerateSector(1, 5, 1)[0]); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("Manufacturer,Model\n\"GE\",\"B\"\"650\"\n,\n\"unterminated"))
	f.Add([]byte("sep=|\nmake|model|mac|ip\nGE|x|001a2b3c4d5e|::1\n"))
	f.Add([]byte("\xff\xfeM\x00,\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ReadCSV(bytes.NewReader(data), ReadOptions{})
		if err != nil {
			return
		}
		checkResult(t, res)
		// Reading is a pure function of the input.
		again, err := ReadCSV(bytes.NewReader(data), ReadOptions{})
		if err != nil || len(again.Records) != len(res.Records) || len(again.Rejected) != len(res.Rejected) {
			t.Fatalf("second read differs: %v", err)
		}
		for i := range res.Records {
			if again.Records[i].Device.AssetTag != res.Records[i].Device.AssetTag {
				t.Fatalf("asset tag of record %d not stable: %q vs %q", i, res.Records[i].Device.AssetTag, again.Records[i].Device.AssetTag)
			}
		}
	})
}

// checkResult asserts the invariants every read result keeps.
func checkResult(t *testing.T, res *ReadResult) {
	t.Helper()
	if len(res.Records)+res.RejectedRows() > res.Rows {
		t.Fatalf("%d records + %d rejected rows > %d rows read", len(res.Records), res.RejectedRows(), res.Rows)
	}
	tags := map[string]bool{}
	last := 0
	for _, r := range res.Records {
		d := r.Device
		if d.AssetTag == "" || d.Manufacturer == "" || d.Model == "" || d.ManufacturerNorm == "" {
			t.Fatalf("row %d: incomplete device %+v", r.Row, d)
		}
		if r.Row <= last {
			t.Fatalf("row numbers not increasing: %d after %d", r.Row, last)
		}
		last = r.Row
		if tags[d.AssetTag] {
			t.Fatalf("row %d: duplicate asset tag %q in records", r.Row, d.AssetTag)
		}
		tags[d.AssetTag] = true
		for _, m := range d.MACAddresses {
			if got, ok := normaliseMAC(m); !ok || got != m {
				t.Fatalf("row %d: MAC %q not canonical", r.Row, m)
			}
		}
		for _, ip := range d.IPAddresses {
			if got, reason := parseIPList(ip); reason != "" || len(got) != 1 || got[0] != ip {
				t.Fatalf("row %d: IP %q not canonical", r.Row, ip)
			}
		}
		for _, tm := range []*time.Time{d.EndOfSupport, d.EndOfLife} {
			if tm != nil && (tm.Location() != time.UTC || tm.Hour() != 0) {
				t.Fatalf("row %d: date %v not midnight UTC", r.Row, tm)
			}
		}
	}
	lastRej := 0
	for _, e := range res.Rejected {
		if e.Row < lastRej || e.Row < 1 || e.Reason == "" {
			t.Fatalf("bad rejection %+v after row %d", e, lastRej)
		}
		lastRej = e.Row
	}
}

// FuzzReadXLSX feeds raw bytes as a workbook (mutated zips mostly fail the
// CRC, so this mainly proves no panic) and also builds a real workbook from
// fuzzed tab-separated text, so that the sheet-level code (header search,
// serial dates, ragged rows) sees varied content.
func FuzzReadXLSX(f *testing.F) {
	f.Add(testWorkbook(f), "")
	f.Add(MustXLSX(f, []string{"S"}, map[string][]xlsxCell{"S": append(row(1, "Manufacturer", "Model", "End of Life"), row(2, "GE", "B650", 45000)...)}), "")
	f.Add([]byte("PK\x03\x04garbage"), "Export\n\nTag\tMake\tModel\tEoS\tIP\nA\tGE\tB650\t46387\t10.0.0.1\nA\tGE\tB650\t31/12/2026\n")
	f.Add([]byte{}, "Manufacturer\tModel\tEnd of Life\tMAC\nDräger\tKappa\t-1\t001a2b3c4d5e\n\t\t\t\nX\tY\t1e308\tzz\n")
	f.Fuzz(func(t *testing.T, data []byte, tsv string) {
		if res, err := ReadXLSX(bytes.NewReader(data), ReadOptions{}); err == nil {
			checkResult(t, res)
		}
		if tsv == "" || len(tsv) > 2000 || !utf8.ValidString(tsv) {
			return
		}
		var cells []xlsxCell
		for r, line := range strings.Split(tsv, "\n") {
			var vals []any
			for _, c := range strings.Split(line, "\t") {
				if n, err := strconv.ParseFloat(c, 64); err == nil && !math.IsInf(n, 0) && !math.IsNaN(n) {
					vals = append(vals, n)
				} else {
					vals = append(vals, c)
				}
			}
			if len(vals) > 50 || r >= 200 {
				return
			}
			cells = append(cells, row(r+1, vals...)...)
		}
		wb, ok := tryXLSX(cells)
		if !ok {
			return // excelize refused the content (e.g. a control character); not our code
		}
		res, err := ReadXLSX(bytes.NewReader(wb), ReadOptions{})
		if err != nil {
			if aceso.ErrorCode(err) != aceso.EINVALID {
				t.Fatalf("generated workbook: %v", err)
			}
			return
		}
		checkResult(t, res)
	})
}

// tryXLSX is MustXLSX for fuzzed content: it reports failure instead of failing.
func tryXLSX(cells []xlsxCell) ([]byte, bool) {
	f := excelize.NewFile()
	defer f.Close()
	for _, c := range cells {
		if err := f.SetCellValue("Sheet1", c.axis, c.value); err != nil {
			return nil, false
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, false
	}
	return buf.Bytes(), true
}
