package advisory

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/gocsaf/csaf/v3/csaf"
)

// Validate checks data against the CSAF 2.0 JSON schema (gocsaf's
// ValidateCSAF) and returns one message per violation. It is optional and
// much slower than Parse, so callers use it to enrich Warnings on import,
// never to decide whether a document is kept. The error is non-nil only when
// data is not JSON or the schema cannot be compiled.
func Validate(data []byte) ([]string, error) {
	var doc any // decoded as gocsaf's own tools do: plain encoding/json, float64 numbers
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	msgs, err := csaf.ValidateCSAF(doc)
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	return msgs, nil
}

// AddSchemaWarnings validates data (the raw bytes a was parsed from) against
// the CSAF schema and appends each violation to a.Warnings prefixed with
// "schema: ". It is a separate step because validation costs more than the
// parse itself; an importer calls it when it can afford that.
func (a *Advisory) AddSchemaWarnings(data []byte) error {
	msgs, err := Validate(bytes.TrimPrefix(data, utf8BOM))
	if err != nil {
		return err
	}
	for _, m := range msgs {
		a.Warnings = append(a.Warnings, "schema: "+m)
	}
	return nil
}
