package share

import (
	"testing"

	"github.com/aceso-health/aceso/internal/advisory"
)

// publishPub is the publisher store.checkAuthoredCSAF writes the document
// with before it validates it.
var publishPub = CSAFPublisher{Name: "Health CERT", Namespace: "https://aceso.invalid"}

// draftToCSAF is the conversion store.PublishAdvisoryDraft does with a
// draft it has loaded: normalise, validate, build the advisory (which
// validates again), write the CSAF document. It stores the advisory, not
// the bytes, and does not parse them back.
func draftToCSAF(d Draft, rel Release) (*advisory.Advisory, []byte, error) {
	d.Normalise()
	if err := d.Validate(); err != nil {
		return nil, nil, err
	}
	a, err := d.Advisory(rel)
	if err != nil {
		return nil, nil, err
	}
	a.Source = "aceso:advisory-draft/1"
	out, err := CSAFDocument(a, publishPub)
	return a, out, err
}

// BenchmarkDraftCSAF converts the tests' rich draft (three products with
// version ranges, two CVEs with CVSS 3.1 and 4.0, five remediations,
// references, an acknowledgment) at its second revision into a CSAF
// document, as publishing does. One op includes building the draft value.
func BenchmarkDraftCSAF(b *testing.B) {
	rel := draftRelease(2)
	_, out, err := draftToCSAF(richDraft(), rel)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := draftToCSAF(richDraft(), rel); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(out)), "doc-bytes")
}

// BenchmarkDraftCSAFValidate is the schema check publishing runs on that
// document (advisory.Validate: decode, then csaf.ValidateCSAF).
func BenchmarkDraftCSAFValidate(b *testing.B) {
	_, out, err := draftToCSAF(richDraft(), draftRelease(2))
	if err != nil {
		b.Fatal(err)
	}
	if msgs, err := advisory.Validate(out); err != nil || len(msgs) > 0 {
		b.Fatalf("invalid document: %v %v", msgs, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if msgs, err := advisory.Validate(out); err != nil || len(msgs) > 0 {
			b.Fatal(msgs, err)
		}
	}
}
