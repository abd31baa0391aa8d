package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aceso-health/aceso"
)

// Record is one imported row turned into a device.
type Record struct {
	Row    int // 1-based row number as a spreadsheet shows it (header is row 1, first data row is 2)
	Device Device
}

// RowError is one rejected row: the row number, the column (header as written
// in the file) and why, so that a user can find and fix the cell.
type RowError struct {
	Row    int
	Column string // "" when the problem is the row as a whole (too many fields)
	Value  string // the raw cell, untruncated
	Reason string // a sentence that quotes the (shortened) value where it helps
}

// Error formats the problem as `row 7, column "MAC Address": invalid MAC address "00:1G:..."`.
func (e RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("row %d: %s", e.Row, e.Reason)
	}
	return fmt.Sprintf("row %d, column %q: %s", e.Row, e.Column, e.Reason)
}

// ReadOptions tunes a read. The zero value sniffs the delimiter and encoding
// and maps headers by the built-in aliases.
type ReadOptions struct {
	Mapping   map[string]string // optional saved mapping: header (folded or as written) → field name (see Fields); "" keeps the column as extra
	Delimiter rune              // 0: sniff among , ; \t |
	Aliases   *Aliases          // manufacturer aliases; nil: DefaultAliases()
	Sheet     string            // XLSX: sheet name; "": first sheet
}

// ReadResult is what a file held.
type ReadResult struct {
	Records  []Record
	Rejected []RowError      // every problem of every rejected row (a row may have several)
	Columns  []ColumnMapping // how each header was mapped (header, field or "" for extra)
	Rows     int             // non-empty data rows read (empty rows are skipped and not counted)
	Encoding string          // "utf-8", "utf-8-bom", "utf-16le", "utf-16be", "windows-1252"; "xlsx" for spreadsheets
}

// ColumnMapping says which field a header of the file was mapped to; Field is
// "" for a column kept in Device.Extra.
type ColumnMapping struct{ Header, Field string }

// RejectedRows returns how many distinct rows were rejected (Rejected may
// hold several problems of one row).
func (r *ReadResult) RejectedRows() int {
	n, last := 0, -1
	for _, e := range r.Rejected {
		if e.Row != last {
			n++
			last = e.Row
		}
	}
	return n
}

// ReadFile reads an inventory export chosen by extension: .csv, .txt and .tsv
// as delimited text, .xlsx/.xlsm as a spreadsheet; other names are sniffed
// by content. Errors name the file.
func ReadFile(path string, opt ReadOptions) (*ReadResult, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, aceso.Wrap(aceso.ENOTFOUND, err, "%s: file not found", path)
		}
		return nil, fmt.Errorf("inventory: %w", err)
	}
	defer f.Close()
	var res *ReadResult
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv", ".txt":
		res, err = ReadCSV(f, opt)
	case ".tsv", ".tab":
		if opt.Delimiter == 0 {
			opt.Delimiter = '\t'
		}
		res, err = ReadCSV(f, opt)
	case ".xlsx", ".xlsm":
		res, err = ReadXLSX(f, opt)
	case ".xls", ".ods", ".numbers":
		return nil, aceso.Errorf(aceso.EINVALID, "%s: %s files are not supported; save the sheet as .xlsx or .csv", path, ext)
	default:
		var magic [4]byte
		n, _ := io.ReadFull(f, magic[:])
		if _, serr := f.Seek(0, io.SeekStart); serr != nil {
			return nil, fmt.Errorf("inventory: %s: %w", path, serr)
		}
		if n == 4 && string(magic[:]) == "PK\x03\x04" {
			res, err = ReadXLSX(f, opt)
		} else {
			res, err = ReadCSV(f, opt)
		}
	}
	if err != nil {
		return nil, fileError(path, err)
	}
	return res, nil
}

// fileError prefixes the safe message of err with the file name, keeping its code.
func fileError(path string, err error) error {
	var ae *aceso.Error
	if errors.As(err, &ae) {
		return &aceso.Error{Code: ae.Code, Message: path + ": " + ae.Message, Err: ae.Err}
	}
	return fmt.Errorf("inventory: %s: %w", path, err)
}

// importer turns the rows of one table (CSV or sheet) into records. It is
// shared by the CSV and XLSX readers so that both validate alike.
type importer struct {
	aliases  *Aliases
	headers  []string
	colField []field          // per column: mapped field or noField (extra)
	extraKey []string         // per column: key in Device.Extra
	fieldCol [numFields]int   // column of each field, -1 when absent
	tags     map[string]int   // asset tag → first row
	gens     map[[32]byte]int // SHA-256 of generated-key material → occurrences
	keyBuf   []byte
	norms    map[string]string // manufacturer as typed → normalised
	res      *ReadResult
	// reusable per-row scratch
	errs []RowError
}

// newImporter maps the header row. It fails when the manufacturer or model
// column is missing, since no row could then become a device.
func newImporter(headers []string, opt ReadOptions) (*importer, error) {
	im := &importer{
		aliases:  opt.Aliases,
		headers:  make([]string, len(headers)),
		colField: make([]field, len(headers)),
		extraKey: make([]string, len(headers)),
		tags:     make(map[string]int),
		gens:     make(map[[32]byte]int),
		norms:    make(map[string]string),
		res:      &ReadResult{},
	}
	if im.aliases == nil {
		im.aliases = DefaultAliases()
	}
	for i := range im.fieldCol {
		im.fieldCol[i] = -1
	}
	mapping := make(map[string]string, len(opt.Mapping))
	for k, v := range opt.Mapping {
		mapping[foldHeader(k)] = v
	}
	// A saved mapping wins over the aliases: assign its columns first. When
	// two columns claim one field the first wins and the other is kept as extra.
	cand := make([]field, len(headers))
	fromMapping := make([]bool, len(headers))
	for i, h := range headers {
		h = strings.TrimSpace(h)
		im.headers[i] = h
		cand[i] = noField
		key := foldHeader(h)
		if name, ok := mapping[key]; ok && key != "" {
			fromMapping[i] = true
			if name != "" {
				mf, known := fieldByName[name]
				if !known {
					return nil, aceso.Errorf(aceso.EINVALID, "mapping: column %q maps to unknown field %q (fields: %s)",
						h, name, strings.Join(Fields(), ", "))
				}
				cand[i] = mf
			}
		} else if af, ok := headerAliases[key]; ok {
			cand[i] = af
		}
	}
	for pass := 0; pass < 2; pass++ {
		for i, f := range cand {
			if f != noField && fromMapping[i] == (pass == 0) && im.fieldCol[f] < 0 {
				im.fieldCol[f] = i
			}
		}
	}
	usedExtra := make(map[string]bool)
	for i, h := range im.headers {
		f := cand[i]
		if f != noField && im.fieldCol[f] == i {
			im.colField[i] = f
			im.res.Columns = append(im.res.Columns, ColumnMapping{Header: h, Field: fieldNames[f]})
			continue
		}
		im.colField[i] = noField
		ek := h
		if ek == "" {
			ek = fmt.Sprintf("column %d", i+1)
		}
		if usedExtra[ek] {
			ek = fmt.Sprintf("%s (column %d)", ek, i+1)
		}
		usedExtra[ek] = true
		im.extraKey[i] = ek
		im.res.Columns = append(im.res.Columns, ColumnMapping{Header: h, Field: ""})
	}
	var missing []string
	if im.fieldCol[fManufacturer] < 0 {
		missing = append(missing, "manufacturer")
	}
	if im.fieldCol[fModel] < 0 {
		missing = append(missing, "model")
	}
	if len(missing) > 0 {
		return nil, aceso.Errorf(aceso.EINVALID, "no %s column found (headers found: %s); name the columns e.g. \"Manufacturer\" and \"Model\" or give a mapping",
			strings.Join(missing, " or "), quoteList(im.headers))
	}
	return im, nil
}

// column returns the index of the column mapped to f, or -1.
func (im *importer) column(f field) int { return im.fieldCol[f] }

// addRow validates one data row and appends it to Records or Rejected.
// cells are trimmed here; a row whose cells are all empty is skipped without counting.
func (im *importer) addRow(row int, cells []string) {
	empty := true
	for i, c := range cells {
		c = strings.TrimSpace(c)
		cells[i] = c
		if c != "" {
			empty = false
		}
	}
	if empty {
		return
	}
	im.res.Rows++
	im.errs = im.errs[:0]
	if len(cells) > len(im.headers) {
		// Trailing empty cells (a trailing delimiter) are harmless; content beyond the header is not.
		for i := len(im.headers); i < len(cells); i++ {
			if cells[i] != "" {
				im.errs = append(im.errs, RowError{Row: row, Value: cells[i],
					Reason: fmt.Sprintf("%d fields but the header has %d columns (value %s in column %d); check the delimiter or quoting",
						len(cells), len(im.headers), shortQuote(cells[i]), i+1)})
				break
			}
		}
		cells = cells[:len(im.headers)]
	}
	d := Device{}
	for i, c := range cells {
		if c == "" {
			continue
		}
		f := im.colField[i]
		if f == noField {
			if d.Extra == nil {
				d.Extra = make(map[string]string, 4)
			}
			d.Extra[im.extraKey[i]] = c
			continue
		}
		if reason := setField(&d, f, c); reason != "" {
			im.errs = append(im.errs, RowError{Row: row, Column: im.headers[i], Value: c, Reason: reason})
		}
	}
	if d.Manufacturer == "" {
		im.errs = append(im.errs, RowError{Row: row, Column: im.headers[im.fieldCol[fManufacturer]], Reason: "manufacturer is empty"})
	}
	if d.Model == "" {
		im.errs = append(im.errs, RowError{Row: row, Column: im.headers[im.fieldCol[fModel]], Reason: "model is empty"})
	}
	if d.Manufacturer != "" {
		// A file names few manufacturers many times; normalise each spelling once.
		n, ok := im.norms[d.Manufacturer]
		if !ok {
			n = im.aliases.Normalise(d.Manufacturer)
			im.norms[d.Manufacturer] = n
		}
		d.ManufacturerNorm = n
		if n == "" {
			im.errs = append(im.errs, RowError{Row: row, Column: im.headers[im.fieldCol[fManufacturer]], Value: d.Manufacturer,
				Reason: fmt.Sprintf("manufacturer %s has no letters or digits", shortQuote(d.Manufacturer))})
		}
	}
	// Typed tags are claimed even by rejected rows, so that fixing a bad
	// cell cannot turn a duplicate into a silent overwrite on the next import.
	if d.AssetTag != "" {
		if first, dup := im.tags[d.AssetTag]; dup {
			im.errs = append(im.errs, RowError{Row: row, Column: im.headers[im.fieldCol[fAssetTag]], Value: d.AssetTag,
				Reason: fmt.Sprintf("duplicate asset tag %s, first used in row %d", shortQuote(d.AssetTag), first)})
		} else {
			im.tags[d.AssetTag] = row
		}
	}
	if len(im.errs) > 0 {
		im.res.Rejected = append(im.res.Rejected, im.errs...)
		return
	}
	if d.AssetTag == "" {
		d.AssetTag = im.generatedKey(&d)
		im.tags[d.AssetTag] = row
	}
	im.res.Records = append(im.res.Records, Record{Row: row, Device: d})
}

// generatedKey gives a device without asset tag a key that is stable across
// re-imports of the same file: "GEN-" and the first 12 hex digits of the
// SHA-256 of "manufacturer|model|serial|ips|macs|hostname", where
// manufacturer is the normalised name and model, serial and hostname are
// lower-cased with spaces collapsed, ips and macs in canonical form joined by
// ",". Identical rows get "|#n" appended for the n-th occurrence (n ≥ 2), so
// ten untagged pumps of one model stay ten devices as long as row order holds.
func (im *importer) generatedKey(d *Device) string {
	b := im.keyBuf[:0]
	b = append(b, strings.ToLower(d.ManufacturerNorm)...)
	b = append(b, '|')
	b = appendFolded(b, d.Model)
	b = append(b, '|')
	b = appendFolded(b, d.SerialNumber)
	b = append(b, '|')
	for i, ip := range d.IPAddresses {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, ip...)
	}
	b = append(b, '|')
	for i, m := range d.MACAddresses {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, m...)
	}
	b = append(b, '|')
	b = appendFolded(b, d.Hostname)
	sum := sha256.Sum256(b)
	n := im.gens[sum] + 1
	im.gens[sum] = n
	if n > 1 {
		b = fmt.Appendf(b, "|#%d", n)
		sum = sha256.Sum256(b)
	}
	im.keyBuf = b
	for {
		key := "GEN-" + hex.EncodeToString(sum[:6])
		if _, taken := im.tags[key]; !taken {
			return key
		}
		// A typed tag already uses this key; derive another, still deterministic.
		b = append(b, '+')
		sum = sha256.Sum256(b)
	}
}

// appendFolded appends s lower-cased with runs of white space as one space,
// the form the generated key is made of.
func appendFolded(b []byte, s string) []byte {
	space := false
	start := len(b)
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && len(b) > start {
			b = append(b, ' ')
		}
		space = false
		b = utf8.AppendRune(b, unicode.ToLower(r))
	}
	return b
}

func quoteList(hs []string) string {
	if len(hs) == 0 {
		return "none"
	}
	q := make([]string, 0, len(hs))
	for _, h := range hs {
		if h != "" {
			q = append(q, fmt.Sprintf("%q", h))
		}
	}
	if len(q) == 0 {
		return "none"
	}
	return strings.Join(q, ", ")
}

// shortQuote quotes s for a reason text, cut to keep messages readable.
func shortQuote(s string) string {
	const max = 60
	if len(s) > max {
		cut := max
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return fmt.Sprintf("%q", s)
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
