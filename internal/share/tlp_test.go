package share

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aceso-health/aceso"
)

func TestParseTLP(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want TLP
	}{
		{"canonical clear", "TLP:CLEAR", TLPClear},
		{"tlp 1.0 white", "TLP:WHITE", TLPClear},
		{"bare white lower", "white", TLPClear},
		{"green lower with prefix", "tlp:green", TLPGreen},
		{"amber mixed case", "Tlp:Amber", TLPAmber},
		{"amber strict", "TLP:AMBER+STRICT", TLPAmberStrict},
		{"amber strict bare lower", "amber+strict", TLPAmberStrict},
		{"red with spaces", "  TLP: RED ", TLPRed},
		{"bare red", "RED", TLPRed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTLP(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("ParseTLP(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "TLP:", "amber strict", "TLP:AMBER+", "TLP:YELLOW", "tlp:ex:chr", "TLP:TLP:RED", "PAP:RED"} {
		t.Run("bad "+bad, func(t *testing.T) {
			got, err := ParseTLP(bad)
			if err == nil || got != TLPUnknown {
				t.Fatalf("ParseTLP(%q) = %v, %v; want error", bad, got, err)
			}
			if aceso.ErrorCode(err) != aceso.EINVALID {
				t.Fatalf("error code %q, want invalid", aceso.ErrorCode(err))
			}
		})
	}
}

func TestTLPStringAndJSON(t *testing.T) {
	want := []string{"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"}
	for i, l := range Labels {
		if l.String() != want[i] {
			t.Errorf("Labels[%d].String() = %q, want %q", i, l.String(), want[i])
		}
		back, err := ParseTLP(l.String())
		if err != nil || back != l {
			t.Errorf("ParseTLP(%q) = %v, %v", l.String(), back, err)
		}
		if l.MISPTag() != strings.ToLower(want[i]) {
			t.Errorf("MISPTag = %q", l.MISPTag())
		}
	}
	b, err := json.Marshal(struct{ L TLP }{TLPAmberStrict})
	if err != nil || string(b) != `{"L":"TLP:AMBER+STRICT"}` {
		t.Fatalf("marshal = %s, %v", b, err)
	}
	var v struct{ L TLP }
	if err := json.Unmarshal([]byte(`{"L":"white"}`), &v); err != nil || v.L != TLPClear {
		t.Fatalf("unmarshal white = %v, %v", v.L, err)
	}
	if err := json.Unmarshal([]byte(`{"L":"pink"}`), &v); err == nil {
		t.Fatal("unmarshal pink: no error")
	}
	if _, err := json.Marshal(struct{ L TLP }{TLPUnknown}); err == nil {
		t.Fatal("marshal of an invalid label: no error")
	}
}

func TestStricter(t *testing.T) {
	for i, a := range Labels {
		for j, b := range Labels {
			if got := a.Stricter(b); got != (i > j) {
				t.Errorf("%v.Stricter(%v) = %v", a, b, got)
			}
		}
		if !TLPUnknown.Stricter(a) || a.Stricter(TLPUnknown) {
			t.Errorf("an invalid label must count as stricter than %v", a)
		}
	}
	tests := []struct {
		name   string
		labels []TLP
		want   TLP
	}{
		{"none", nil, TLPUnknown},
		{"one", []TLP{TLPGreen}, TLPGreen},
		{"amber beats green", []TLP{TLPGreen, TLPAmber, TLPClear}, TLPAmber},
		{"strict beats amber", []TLP{TLPAmber, TLPAmberStrict}, TLPAmberStrict},
		{"red wins", []TLP{TLPRed, TLPAmberStrict}, TLPRed},
		{"invalid fails closed", []TLP{TLPClear, TLPUnknown}, TLPUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Strictest(tt.labels...); got != tt.want {
				t.Fatalf("Strictest = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestMayReceive spells out the whole rule: every label for every kind of
// recipient. Originator is org 1; the object is addressed to orgs 2 and 6,
// and for TLP:RED to persons 20 (of org 2) and 60 (of org 6).
func TestMayReceive(t *testing.T) {
	const originator = 1
	to := Audience{Orgs: []int64{2, 6}, People: []int64{20, 60}}
	// want holds one character per label in the order CLEAR, GREEN,
	// AMBER, AMBER+STRICT, RED, invalid: 1 = may receive.
	tests := []struct {
		name string
		r    Recipient
		want string
	}{
		{"originator", Recipient{OrgID: 1, InCommunity: true}, "111111"},
		{"originator person", Recipient{OrgID: 1, UserID: 10, InCommunity: true}, "111111"},
		{"originator outside community", Recipient{OrgID: 1}, "111111"},
		{"addressed member, machine channel", Recipient{OrgID: 2, InCommunity: true}, "111100"},
		{"addressed member, unnamed person", Recipient{OrgID: 2, UserID: 21, InCommunity: true}, "111100"},
		{"addressed member, named person", Recipient{OrgID: 2, UserID: 20, InCommunity: true}, "111110"},
		{"named person of other addressed org", Recipient{OrgID: 2, UserID: 60, InCommunity: true}, "111110"},
		{"named person id in unaddressed org", Recipient{OrgID: 4, UserID: 20, InCommunity: true}, "110000"},
		{"addressed org outside community", Recipient{OrgID: 6}, "111100"},
		{"named person outside community", Recipient{OrgID: 6, UserID: 60}, "111110"},
		{"client of addressed org", Recipient{OrgID: 3, ClientOf: []int64{2}}, "111000"},
		{"client of addressed org in community", Recipient{OrgID: 3, ClientOf: []int64{2}, InCommunity: true}, "111000"},
		{"client of two orgs, one addressed", Recipient{OrgID: 3, ClientOf: []int64{4, 6}, InCommunity: true}, "111000"},
		{"named person in client org", Recipient{OrgID: 3, UserID: 20, ClientOf: []int64{2}, InCommunity: true}, "111000"},
		{"client of unaddressed org", Recipient{OrgID: 3, ClientOf: []int64{4}, InCommunity: true}, "110000"},
		{"other community member", Recipient{OrgID: 4, InCommunity: true}, "110000"},
		{"outsider", Recipient{OrgID: 7}, "100000"},
		{"authenticated nobody (org 0)", Recipient{}, "100000"},
		{"org 0 in community", Recipient{InCommunity: true}, "110000"},
		{"org 0 client of org 0", Recipient{ClientOf: []int64{0}}, "100000"},
		{"public channel", Recipient{Public: true}, "100000"},
		{"public channel of an addressed org", Recipient{OrgID: 2, UserID: 20, InCommunity: true, Public: true}, "100000"},
		{"public channel of the originator", Recipient{OrgID: 1, InCommunity: true, Public: true}, "100000"},
		{"public client of addressed org", Recipient{OrgID: 3, ClientOf: []int64{2}, Public: true}, "100000"},
	}
	labels := append(append([]TLP{}, Labels...), TLPUnknown)
	for _, tt := range tests {
		for i, l := range labels {
			name := l.String()
			if name == "" {
				name = "invalid"
			}
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				want := tt.want[i] == '1'
				if got := MayReceive(l, originator, tt.r, to); got != want {
					t.Fatalf("MayReceive(%v, %+v) = %v, want %v", name, tt.r, got, want)
				}
			})
		}
	}
	// With nobody addressed, AMBER and stricter reach only the originator.
	if MayReceive(TLPAmber, 1, Recipient{OrgID: 2, InCommunity: true}, Audience{}) {
		t.Error("AMBER with no addressed organisation reached a member")
	}
	// Addressing an organisation without naming anyone admits nobody at RED.
	if MayReceive(TLPRed, 1, Recipient{OrgID: 2, UserID: 20, InCommunity: true}, To(2)) {
		t.Error("RED addressed to an organisation without named persons reached a person")
	}
	// An addressed id 0 never matches an unauthenticated recipient.
	if MayReceive(TLPRed, 1, Recipient{}, Audience{Orgs: []int64{0}, People: []int64{0}}) {
		t.Error("RED addressed to org 0 / person 0 reached an unauthenticated recipient")
	}
}

// TestMayReceiveMonotone checks over many recipients that a stricter label
// never admits anyone a looser label refuses.
func TestMayReceiveMonotone(t *testing.T) {
	to := Audience{Orgs: []int64{2, 3}, People: []int64{1, 2}}
	n := 0
	for org := int64(0); org <= 5; org++ {
		for user := int64(0); user <= 3; user++ {
			for client := int64(0); client <= 5; client++ {
				for _, comm := range []bool{false, true} {
					for _, pub := range []bool{false, true} {
						r := Recipient{OrgID: org, UserID: user, ClientOf: []int64{client}, InCommunity: comm, Public: pub}
						for i := 1; i < len(Labels); i++ {
							n++
							if MayReceive(Labels[i], 1, r, to) && !MayReceive(Labels[i-1], 1, r, to) {
								t.Errorf("%v admits %+v but %v does not", Labels[i], r, Labels[i-1])
							}
						}
					}
				}
			}
		}
	}
	if n < 2000 {
		t.Fatalf("only %d cases checked", n)
	}
}

func TestChannels(t *testing.T) {
	tests := []struct {
		channel string
		max     TLP
		want    string // CLEAR GREEN AMBER AMBER+STRICT RED invalid
	}{
		{"public", TLPClear, "100000"},
		{"community", TLPGreen, "110000"},
		{"org", TLPAmberStrict, "111100"},
		{" Community ", TLPGreen, "110000"},
		{"", TLPUnknown, "000000"},
		{"taxii", TLPUnknown, "000000"},
	}
	labels := append(append([]TLP{}, Labels...), TLPUnknown)
	for _, tt := range tests {
		t.Run(tt.channel, func(t *testing.T) {
			if got := ChannelMax(tt.channel); got != tt.max {
				t.Fatalf("ChannelMax(%q) = %v, want %v", tt.channel, got, tt.max)
			}
			for i, l := range labels {
				if got := AllowedOn(l, Channel(tt.channel)); got != (tt.want[i] == '1') {
					t.Errorf("AllowedOn(%v, %q) = %v", l, tt.channel, got)
				}
			}
		})
	}
	// What a channel carries must reach every reader of that channel.
	readers := map[Channel]Recipient{
		ChannelPublic:    {Public: true},
		ChannelCommunity: {OrgID: 9, InCommunity: true},
		ChannelOrg:       {OrgID: 2, InCommunity: true},
	}
	for ch, r := range readers {
		for _, l := range Labels {
			if AllowedOn(l, ch) && !MayReceive(l, 1, r, To(2)) {
				t.Errorf("channel %s carries %v but its reader %+v may not receive it", ch, l, r)
			}
		}
	}
}

func FuzzParseTLP(f *testing.F) {
	for _, s := range []string{"TLP:CLEAR", "white", "tlp:amber+strict", " TLP: RED ", "TLP:", "", "tlp:ex:chr", "AMBER+STRICT+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseTLP(s)
		if err != nil {
			if l != TLPUnknown {
				t.Fatalf("error with label %v", l)
			}
			return
		}
		if !l.Valid() {
			t.Fatalf("no error but invalid label for %q", s)
		}
		// The canonical spelling and the MISP tag read back as the same label.
		for _, form := range []string{l.String(), l.MISPTag()} {
			if back, err := ParseTLP(form); err != nil || back != l {
				t.Fatalf("%q → %v → %q → %v, %v", s, l, form, back, err)
			}
		}
	})
}
