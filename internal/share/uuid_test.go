package share

import "testing"

func TestUUIDv5(t *testing.T) {
	tests := []struct {
		name, ns, in, want string
	}{
		// RFC 9562 appendix A.4 test vector.
		{"rfc 9562 vector", NamespaceDNS, "www.example.com", "2ed6657d-e927-568b-95e1-2665a8aea6a2"},
		// Python's uuid.uuid5(uuid.NAMESPACE_DNS, "python.org").
		{"python docs vector", NamespaceDNS, "python.org", "886313e1-3b8a-5372-9b90-0c9aee199e5d"},
		{"upper-case namespace", "6BA7B810-9DAD-11D1-80B4-00C04FD430C8", "python.org", "886313e1-3b8a-5372-9b90-0c9aee199e5d"},
		{"aceso namespace", NamespaceDNS, "aceso-health.org", NamespaceAceso},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := UUIDv5(tt.ns, tt.in); got != tt.want {
				t.Fatalf("UUIDv5 = %s, want %s", got, tt.want)
			}
		})
	}
	if NamespaceAceso != "27d2ff20-2f59-5db1-8875-9dee2f3f72e6" {
		t.Fatalf("Aceso namespace changed to %s: every exported STIX id would change", NamespaceAceso)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("UUIDv5 with a bad namespace did not panic")
		}
	}()
	UUIDv5("not-a-uuid", "x")
}

func TestIsUUID(t *testing.T) {
	for s, want := range map[string]bool{
		"57c4445b-c548-4654-af0b-4be3950d210f":  true,
		"57C4445B-C548-4654-AF0B-4BE3950D210F":  true,
		"57c4445b-c548-4654-af0b-4be3950d210":   false,
		"57c4445bc5484654af0b4be3950d210f":      false,
		"../../etc/passwd":                      false,
		"57c4445b-c548-4654-af0b-4be3950d210f/": false,
		"":                                      false,
	} {
		if IsUUID(s) != want {
			t.Errorf("IsUUID(%q) = %v", s, !want)
		}
	}
}

func TestIsRef(t *testing.T) {
	for s, want := range map[string]bool{
		"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f":          true,
		"x-acme-thing--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f":       true,
		"ab--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f":                 false, // type under 3 characters
		"Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f":          false,
		"indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f":           false,
		"indicator---8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f":         false, // type ends with a hyphen
		"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3":           false,
		"--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f":                   false,
		"":                                                         false,
		"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": true,
	} {
		if isRef(s) != want {
			t.Errorf("isRef(%q) = %v", s, !want)
		}
	}
}
