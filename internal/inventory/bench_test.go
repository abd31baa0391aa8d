package inventory

import (
	"bytes"
	"testing"
)

// BenchmarkReadCSV100k reads a 100,000-row export with every column filled
// as the generator fills it.
func BenchmarkReadCSV100k(b *testing.B) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, GenerateSector(1, 100_000, 1)[0]); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := ReadCSV(bytes.NewReader(data), ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Records) != 100_000 {
			b.Fatalf("%d records, rejected %v", len(res.Records), res.Rejected[:min(3, len(res.Rejected))])
		}
	}
}

// BenchmarkReadCSV100kUntagged measures the generated-key path (SHA-256 per row).
func BenchmarkReadCSV100kUntagged(b *testing.B) {
	devs := GenerateSector(1, 100_000, 2)[0]
	for i := range devs {
		devs[i].AssetTag = ""
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, devs); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := ReadCSV(bytes.NewReader(data), ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Records) != 100_000 {
			b.Fatalf("%d records", len(res.Records))
		}
	}
}

// BenchmarkReadXLSXSmall reads the small test workbook (the fuzz seed); it
// shows the fixed cost of opening a workbook.
func BenchmarkReadXLSXSmall(b *testing.B) {
	wb := testWorkbook(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadXLSX(bytes.NewReader(wb), ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
