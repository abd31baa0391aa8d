package inventory

import "testing"

func TestNormaliseManufacturer(t *testing.T) {
	tests := []struct{ in, want string }{
		{"BD", "Becton Dickinson"},
		{"Becton, Dickinson and Company (BD)", "Becton Dickinson"},
		{"becton dickinson", "Becton Dickinson"},
		{"GE Medical Systems", "GE Healthcare"},
		{"GE", "GE Healthcare"},
		{"Philips Medical Systems Nederland B.V.", "Philips"},
		{"Philips Healthcare", "Philips"},
		{"Siemens Healthcare GmbH", "Siemens Healthineers"},
		{"B.Braun", "B. Braun"},
		{"B. Braun Melsungen AG", "B. Braun"},
		{"Dräger", "Draeger"},
		{"DRAGER", "Draeger"},
		{"  Acme   Medical  ", "Acme Medical"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := NormaliseManufacturer(tt.in); got != tt.want {
				t.Errorf("NormaliseManufacturer(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestAliasesExtend(t *testing.T) {
	a := NewAliases(map[string][]string{"Acme Medical": {"ACME", "Acme Med"}})
	if got := a.Normalise("acme med."); got != "Acme Medical" {
		t.Fatalf("extended alias: got %q", got)
	}
	a.Add("Hillrom", "Hill-Rom")
	if got := a.Normalise("Hill-Rom"); got != "Hillrom" {
		t.Fatalf("Add: got %q", got)
	}
}
