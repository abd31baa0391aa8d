package audit

import (
	"testing"
	"time"
)

func chain(n int) []Entry {
	prev := Genesis
	var es []Entry
	for i := 1; i <= n; i++ {
		e := Entry{ID: int64(i), At: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC), OrgID: 2, ActorID: 7, Actor: "ciso@anna.example",
			Action: "device.update", ObjectType: "device", ObjectID: "42", Summary: `{"after":{"version":"9.33"}}`, PrevHash: prev}
		e.Hash = e.ComputeHash(prev)
		prev = e.Hash
		es = append(es, e)
	}
	return es
}

func verify(es []Entry, headID int64, headHash string) *Break {
	v := NewVerifier()
	for i := range es {
		if b := v.Next(&es[i]); b != nil {
			return b
		}
	}
	_, b := v.Done(headID, headHash)
	return b
}

func TestVerifier(t *testing.T) {
	good := chain(5)
	tests := []struct {
		name   string
		mutate func([]Entry) ([]Entry, int64, string)
		wantID int64 // 0: intact
	}{
		{"intact", func(es []Entry) ([]Entry, int64, string) { return es, 5, es[4].Hash }, 0},
		{"field altered", func(es []Entry) ([]Entry, int64, string) {
			es[2].Summary = `{"after":{"version":"9.34"}}`
			return es, 5, es[4].Hash
		}, 3},
		{"altered and rehashed", func(es []Entry) ([]Entry, int64, string) {
			es[1].Actor = "mallory"
			es[1].Hash = es[1].ComputeHash(es[1].PrevHash)
			return es, 5, es[4].Hash
		}, 3},
		{"row removed", func(es []Entry) ([]Entry, int64, string) { return append(es[:1:1], es[2:]...), 5, es[4].Hash }, 2},
		{"tail removed", func(es []Entry) ([]Entry, int64, string) { return es[:3], 5, es[4].Hash }, 4},
		{"timestamp moved", func(es []Entry) ([]Entry, int64, string) {
			es[0].At = es[0].At.Add(time.Second)
			return es, 5, es[4].Hash
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := append([]Entry(nil), good...)
			es, id, hash := tt.mutate(es)
			b := verify(es, id, hash)
			switch {
			case tt.wantID == 0 && b != nil:
				t.Fatalf("intact chain reported broken: %v", b)
			case tt.wantID != 0 && (b == nil || b.ID != tt.wantID):
				t.Fatalf("got break %v, want at entry %d", b, tt.wantID)
			}
		})
	}
}

// Length-prefixing keeps two different entries from hashing alike when
// text moves between adjacent fields.
func TestHashSeparatesFields(t *testing.T) {
	a := Entry{ID: 1, Action: "user.create", ObjectType: "user"}
	b := Entry{ID: 1, Action: "user.createuser", ObjectType: ""}
	if a.ComputeHash(Genesis) == b.ComputeHash(Genesis) {
		t.Fatal("field boundaries are not part of the hash")
	}
}
