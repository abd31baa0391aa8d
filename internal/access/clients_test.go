package access

import (
	"strings"
	"testing"

	"github.com/aceso-health/aceso"
)

func TestValidateClientOf(t *testing.T) {
	id := func(n int64) *int64 { return &n }
	csirt := Org{ID: 1, Name: "CERT", Kind: KindCSIRT}
	group := Org{ID: 2, Name: "Hospital group", Kind: KindMember}
	clinic := Org{ID: 3, Name: "Clinic", Kind: KindMember, ClientOf: id(2)}
	other := Org{ID: 4, Name: "Other", Kind: KindMember}
	authority := Org{ID: 5, Name: "Ministry", Kind: KindAuthority}
	tests := []struct {
		name       string
		o          Org
		parent     *Org
		hasClients bool
		want       string // substring of the error; "" for none
	}{
		{"none", clinic, nil, false, ""},
		{"none, even for the CSIRT", csirt, nil, true, ""},
		{"member of a group", other, &group, false, ""},
		{"authority served by the CSIRT", authority, &csirt, false, ""},
		{"same parent again", clinic, &group, false, ""},
		{"self", group, &group, false, "its own client"},
		{"CSIRT as client", csirt, &group, false, "CSIRT serves the sector"},
		{"cycle", group, &clinic, true, "cycle"},
		{"parent is a client", other, &clinic, false, "one level"},
		{"serves clients itself", group, &other, true, "serves clients itself"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateClientOf(tt.o, tt.parent, tt.hasClients)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(aceso.ErrorMessage(err), tt.want) {
				t.Fatalf("got %v, want invalid containing %q", err, tt.want)
			}
		})
	}
}

func TestImplicitClientOfCSIRT(t *testing.T) {
	want := map[OrgKind]bool{KindCSIRT: false, KindMember: true, KindSupplier: true, KindAuthority: false}
	for _, k := range OrgKinds {
		if got := k.ImplicitClientOfCSIRT(); got != want[k] {
			t.Errorf("%s: %v, want %v", k, got, want[k])
		}
	}
}
