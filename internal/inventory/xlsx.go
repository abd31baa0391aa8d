package inventory

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/aceso-health/aceso"
	"github.com/xuri/excelize/v2"
)

// xlsxUnzipLimit caps the unpacked size of a workbook, so that an uploaded
// zip bomb cannot exhaust memory or disk (excelize's default is 16 GB).
const xlsxUnzipLimit = 512 << 20

// xlsxHeaderSearch is how many non-empty rows are tried as the header:
// CMMS exports often put a title and an export date above the table.
const xlsxHeaderSearch = 10

// ReadXLSX reads an Excel workbook: the sheet named by opt.Sheet or the
// first one. Leading empty rows and title rows above the header are skipped
// (the header is the first of the first ten non-empty rows that has a
// manufacturer and a model column). Cells are read as Excel displays them,
// except date columns, where a number is taken as an Excel serial date.
// Row numbers are the sheet's own.
func ReadXLSX(r io.Reader, opt ReadOptions) (res *ReadResult, err error) {
	// excelize parses untrusted uploads; a panic in it must not take the server down.
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, aceso.Wrap(aceso.EINVALID, fmt.Errorf("excelize panic: %v", p), "xlsx: not a readable .xlsx workbook")
		}
	}()
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: xlsxUnzipLimit})
	if err != nil {
		return nil, aceso.Wrap(aceso.EINVALID, err, "xlsx: not a readable .xlsx workbook")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, aceso.Errorf(aceso.EINVALID, "xlsx: the workbook has no sheets")
	}
	sheet := sheets[0]
	if opt.Sheet != "" {
		sheet = ""
		for _, s := range sheets {
			if strings.EqualFold(strings.TrimSpace(s), strings.TrimSpace(opt.Sheet)) {
				sheet = s
				break
			}
		}
		if sheet == "" {
			return nil, aceso.Errorf(aceso.EINVALID, "xlsx: no sheet %q (sheets: %s)", opt.Sheet, quoteList(sheets))
		}
	}
	rows, err := f.GetRows(sheet)
	if err != nil {
		return nil, aceso.Wrap(aceso.EINVALID, err, "xlsx: cannot read sheet %q", sheet)
	}
	var im *importer
	var firstErr error
	hdr, tried := -1, 0
	for i := 0; i < len(rows) && tried < xlsxHeaderSearch; i++ {
		if allEmpty(rows[i]) {
			continue
		}
		tried++
		cand, err := newImporter(rows[i], opt)
		if err == nil {
			im, hdr = cand, i
			break
		}
		if firstErr == nil {
			firstErr = err
		}
		var ae *aceso.Error
		if errors.As(err, &ae) && strings.HasPrefix(ae.Message, "mapping:") {
			break // a bad saved mapping fails alike for every row
		}
	}
	if im == nil {
		if firstErr == nil {
			return nil, aceso.Errorf(aceso.EINVALID, "xlsx: sheet %q has no header row (it is empty)", sheet)
		}
		return nil, fmt.Errorf("xlsx: sheet %q: %w", sheet, firstErr)
	}
	im.res.Encoding = "xlsx"
	var dateCols []int
	for _, fd := range []field{fEndOfSupport, fEndOfLife} {
		if c := im.column(fd); c >= 0 {
			dateCols = append(dateCols, c)
		}
	}
	var raw [][]string
	date1904 := false
	if len(dateCols) > 0 {
		// Displayed dates depend on the cell format ("12-31-25"); the raw serial does not.
		if raw, err = f.GetRows(sheet, excelize.Options{RawCellValue: true}); err != nil {
			return nil, aceso.Wrap(aceso.EINVALID, err, "xlsx: cannot read sheet %q", sheet)
		}
		if props, perr := f.GetWorkbookProps(); perr == nil && props.Date1904 != nil {
			date1904 = *props.Date1904
		}
	}
	for i := hdr + 1; i < len(rows); i++ {
		cells := rows[i]
		for _, c := range dateCols {
			if c < len(cells) && i < len(raw) && c < len(raw[i]) {
				if iso, ok := excelSerialDate(raw[i][c], date1904); ok {
					cells[c] = iso
				}
			}
		}
		im.addRow(i+1, cells)
	}
	return im.res, nil
}

// excelSerialDate turns an Excel serial day number ("45657", "45657.5")
// into YYYY-MM-DD; ok is false for anything that is not a plausible serial.
func excelSerialDate(v string, date1904 bool) (string, bool) {
	v = strings.TrimSpace(v)
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(n) || n < 1 || n > 2958465 { // 2958465 = 9999-12-31
		return "", false
	}
	t, err := excelize.ExcelDateToTime(n, date1904)
	if err != nil {
		return "", false
	}
	return t.Format("2006-01-02"), true
}
