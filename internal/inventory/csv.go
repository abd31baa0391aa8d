package inventory

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/aceso-health/aceso"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// ReadCSV reads a delimited text export. The encoding is detected (UTF-8
// with or without BOM, UTF-16 with BOM, otherwise Windows-1252 as older CMMS
// write it), the delimiter is sniffed from the header line unless given, an
// Excel "sep=;" first line is honoured, and quoted fields may hold
// delimiters, quotes ("") and newlines. Row numbers count records as a
// spreadsheet shows them, so a quoted newline does not shift later rows.
func ReadCSV(r io.Reader, opt ReadOptions) (*ReadResult, error) {
	data, err := readAll(r)
	if err != nil {
		return nil, fmt.Errorf("csv: read: %w", err)
	}
	text, enc, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	var delim byte
	if opt.Delimiter != 0 {
		if opt.Delimiter >= utf8.RuneSelf || strings.ContainsRune("\"\r\n", opt.Delimiter) {
			return nil, aceso.Errorf(aceso.EINVALID, "csv: delimiter %q not supported (use an ASCII character other than a quote or newline)", opt.Delimiter)
		}
		delim = byte(opt.Delimiter)
	}
	// Excel writes "sep=;" as a first line to name the delimiter; it is not a row.
	if len(text) >= 5 && strings.EqualFold(text[:4], "sep=") && (len(text) == 5 || text[5] == '\n' || text[5] == '\r') {
		if delim == 0 && text[4] < utf8.RuneSelf && !strings.ContainsRune("\"\r\n", rune(text[4])) {
			delim = text[4]
		}
		text = text[5:]
		if strings.HasPrefix(text, "\r\n") {
			text = text[2:]
		} else if text != "" {
			text = text[1:]
		}
	}
	p := &csvParser{s: text}
	row := 0
	// Leading empty lines are rows a spreadsheet shows; the header is the first non-empty one.
	for p.pos < len(p.s) && (p.s[p.pos] == '\n' || p.s[p.pos] == '\r') {
		if p.s[p.pos] == '\r' && p.pos+1 < len(p.s) && p.s[p.pos+1] == '\n' {
			p.pos++
		}
		p.pos++
		row++
	}
	if delim == 0 {
		delim = sniffDelimiter(p.s[p.pos:])
	}
	p.delim = delim
	header, ok, _ := p.next()
	row++
	if !ok || allEmpty(header) {
		return nil, aceso.Errorf(aceso.EINVALID, "csv: no header row (the file is empty)")
	}
	header = append([]string(nil), header...)
	im, err := newImporter(header, opt)
	if err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	im.res.Encoding = enc
	// One record per line is the common case; sizing Records up front saves
	// copying 100,000 devices several times over.
	lines := strings.Count(p.s[p.pos:], "\n") + 1
	im.res.Records = make([]Record, 0, lines)
	im.tags = make(map[string]int, lines)
	for {
		cells, ok, unterminated := p.next()
		if !ok {
			break
		}
		row++
		if unterminated {
			im.res.Rows++
			im.res.Rejected = append(im.res.Rejected, RowError{Row: row,
				Reason: "a quoted field is never closed, so the rest of the file was read as one cell; check the quotes in this row"})
			break
		}
		im.addRow(row, cells)
	}
	return im.res, nil
}

var bomUTF8 = []byte{0xEF, 0xBB, 0xBF}

// decodeText returns data as UTF-8 text without BOM and the name of the
// encoding found. Bytes that are not valid UTF-8 without a BOM mean a legacy
// export; Windows-1252 is the superset of Latin-1 that such exports use.
func decodeText(data []byte) (string, string, error) {
	switch {
	case bytes.HasPrefix(data, bomUTF8):
		s := string(data[3:])
		if !utf8.ValidString(s) {
			s = strings.ToValidUTF8(s, "\uFFFD")
		}
		return s, "utf-8-bom", nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		enc, name := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), "utf-16le"
		if data[0] == 0xFE {
			enc, name = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), "utf-16be"
		}
		b, err := enc.NewDecoder().Bytes(data)
		if err != nil {
			return "", "", aceso.Wrap(aceso.EINVALID, err, "csv: invalid %s text", name)
		}
		return string(b), name, nil
	case utf8.Valid(data):
		// data is the reader's private copy and never written again, so the
		// text can share its memory instead of copying a large export once more.
		return unsafe.String(unsafe.SliceData(data), len(data)), "utf-8", nil
	default:
		b, err := charmap.Windows1252.NewDecoder().Bytes(data)
		if err != nil {
			return "", "", aceso.Wrap(aceso.EINVALID, err, "csv: invalid windows-1252 text")
		}
		return string(b), "windows-1252", nil
	}
}

// sniffDelimiter picks the most frequent of , ; TAB | outside quotes in the
// first record; ties go to the earlier in that list, none found to ",".
func sniffDelimiter(s string) byte {
	cands := [...]byte{',', ';', '\t', '|'}
	var counts [len(cands)]int
	inQuote := false
scan:
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			inQuote = !inQuote // "" inside quotes toggles twice: no effect
		case inQuote:
		case c == '\n' || c == '\r':
			break scan
		default:
			for k, d := range cands {
				if c == d {
					counts[k]++
				}
			}
		}
	}
	best := 0
	for k := range cands {
		if counts[k] > counts[best] {
			best = k
		}
	}
	return cands[best]
}

func allEmpty(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// csvParser splits RFC 4180 text, leniently: a quote inside an unquoted
// field is literal, text after a closing quote is kept, CR, LF and CRLF all
// end a record. Unquoted fields are substrings of the input (no copy).
type csvParser struct {
	s     string
	pos   int
	delim byte
	buf   []string
	sb    strings.Builder
}

// next returns the fields of the next record (valid until the next call),
// ok false at the end, and unterminated when a quote was never closed.
func (p *csvParser) next() (fields []string, ok, unterminated bool) {
	s := p.s
	i := p.pos
	if i >= len(s) {
		return nil, false, false
	}
	p.buf = p.buf[:0]
	for {
		j := i
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') && s[j] != p.delim {
			j++
		}
		var val string
		if j < len(s) && s[j] == '"' {
			j++
			start, simple := j, true
			for {
				k := strings.IndexByte(s[j:], '"')
				if k < 0 {
					if simple {
						val = s[start:]
					} else {
						p.sb.WriteString(s[start:])
						val = p.sb.String()
					}
					p.buf = append(p.buf, val)
					p.pos = len(s)
					return p.buf, true, true
				}
				k += j
				if k+1 < len(s) && s[k+1] == '"' {
					if simple {
						p.sb.Reset()
						simple = false
					}
					p.sb.WriteString(s[start : k+1])
					start, j = k+2, k+2
					continue
				}
				if simple {
					val = s[start:k]
				} else {
					p.sb.WriteString(s[start:k])
					val = p.sb.String()
				}
				j = k + 1
				break
			}
			e := j
			for e < len(s) && s[e] != p.delim && s[e] != '\n' && s[e] != '\r' {
				e++
			}
			if e > j {
				val += s[j:e] // "abc"def reads as abcdef, as spreadsheets do
			}
			i = e
		} else {
			e := i
			for e < len(s) && s[e] != p.delim && s[e] != '\n' && s[e] != '\r' {
				e++
			}
			val = s[i:e]
			i = e
		}
		p.buf = append(p.buf, val)
		if i >= len(s) {
			p.pos = i
			return p.buf, true, false
		}
		if s[i] == p.delim {
			i++
			if i >= len(s) {
				p.buf = append(p.buf, "")
				p.pos = i
				return p.buf, true, false
			}
			continue
		}
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		p.pos = i + 1
		return p.buf, true, false
	}
}

// readAll reads r whole, sized up front when r knows its length (files,
// in-memory readers), since exports run to tens of megabytes.
func readAll(r io.Reader) ([]byte, error) {
	size := 0
	switch v := r.(type) {
	case interface{ Len() int }:
		size = v.Len()
	case interface{ Stat() (os.FileInfo, error) }:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() < 1<<31 {
			size = int(fi.Size())
		}
	}
	if size == 0 {
		return io.ReadAll(r)
	}
	var buf bytes.Buffer
	buf.Grow(size + bytes.MinRead) // ReadFrom grows unless MinRead bytes are free
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}
