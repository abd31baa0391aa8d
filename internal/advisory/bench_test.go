package advisory

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/gocsaf/csaf/v3/csaf"
)

// corpusDocs loads the JSON members of the CISA corpus into memory, sorted
// by name, so that the benchmarks measure parsing and not I/O.
func corpusDocs(b *testing.B) [][]byte {
	b.Helper()
	members := tarMembers(b, sharedTestdata(b, "csaf/cisa-ot-corpus.tar.gz"))
	names := make([]string, 0, len(members))
	total := 0
	for n, d := range members {
		names = append(names, n)
		total += len(d)
	}
	sort.Strings(names)
	docs := make([][]byte, len(names))
	for i, n := range names {
		docs[i] = members[n]
	}
	b.SetBytes(int64(total))
	return docs
}

// BenchmarkParseCorpus parses and normalises every document of the corpus
// (2,325 documents per op).
func BenchmarkParseCorpus(b *testing.B) {
	docs := corpusDocs(b)
	b.ReportAllocs()
	cpu := processCPU()
	defer func() { reportCPU(b, cpu) }()
	for b.Loop() {
		for _, d := range docs {
			if _, err := Parse(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkValidateCSAFCorpus runs gocsaf's schema validation over the same
// in-memory documents, each decoded as `any` the way gocsaf's own tools do
// (plain encoding/json) and then validated: bytes in, result out, as
// BenchmarkParseCorpus. The schema is compiled before the timer.
func BenchmarkValidateCSAFCorpus(b *testing.B) {
	docs := corpusDocs(b)
	compileSchema(b, docs[0])
	b.ReportAllocs()
	cpu := processCPU()
	defer func() { reportCPU(b, cpu) }()
	for b.Loop() {
		for _, d := range docs {
			var doc any
			if err := json.Unmarshal(d, &doc); err != nil {
				b.Fatal(err)
			}
			if _, err := csaf.ValidateCSAF(doc); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkValidateCSAFCorpusPredecoded times ValidateCSAF alone, on
// documents decoded before the timer: the strictest comparison for Parse,
// which is timed including its JSON decode.
func BenchmarkValidateCSAFCorpusPredecoded(b *testing.B) {
	raw := corpusDocs(b)
	docs := make([]any, len(raw))
	for i, d := range raw {
		if err := json.Unmarshal(d, &docs[i]); err != nil {
			b.Fatal(err)
		}
	}
	compileSchema(b, raw[0])
	b.ReportAllocs()
	cpu := processCPU()
	defer func() { reportCPU(b, cpu) }()
	for b.Loop() {
		for _, d := range docs {
			if _, err := csaf.ValidateCSAF(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func compileSchema(b *testing.B, doc []byte) {
	b.Helper()
	if _, err := Validate(doc); err != nil { // the first call compiles the schema
		b.Fatal(err)
	}
}
