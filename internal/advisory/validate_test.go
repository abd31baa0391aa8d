package advisory

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	real := sharedTestdata(t, "csaf/icsma/icsma-20-317-01.json")
	tests := []struct {
		name      string
		path      string
		wantMsgs  []string // substrings, each in some message
		wantClean bool
	}{
		{"real CISA document is schema-valid", real, nil, true},
		{"fixture breaks the schema", "testdata/tolerant.json", []string{"/document/publisher", "/document/tracking"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			msgs, err := Validate(data)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantClean != (len(msgs) == 0) {
				t.Errorf("messages: %q", msgs)
			}
			for _, w := range tt.wantMsgs {
				if !slices.ContainsFunc(msgs, func(m string) bool { return strings.Contains(m, w) }) {
					t.Errorf("no message about %s in %q", w, msgs)
				}
			}
			a, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			before := len(a.Warnings)
			if err := a.AddSchemaWarnings(data); err != nil {
				t.Fatal(err)
			}
			if len(a.Warnings) != before+len(msgs) {
				t.Errorf("AddSchemaWarnings added %d, want %d", len(a.Warnings)-before, len(msgs))
			}
		})
	}
	if _, err := Validate([]byte("{")); err == nil {
		t.Error("Validate accepted broken JSON")
	}
}
