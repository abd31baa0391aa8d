// Package audit is the tamper-evident record of every change: each entry
// carries the hash of the one before, so altering or removing a row breaks
// the chain at that point and verification names it.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Entry is one audited change.
type Entry struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	OrgID      int64     `json:"org_id"`   // organisation whose data changed (0: deployment-wide)
	ActorID    int64     `json:"actor_id"` // user id, 0 for the system
	Actor      string    `json:"actor"`    // e-mail or "system", kept even if the user is deleted
	Action     string    `json:"action"`   // "user.create", "device.update", ...
	ObjectType string    `json:"object_type"`
	ObjectID   string    `json:"object_id"`
	Summary    string    `json:"summary"` // JSON {"before":…,"after":…} of the fields that changed; never secrets
	PrevHash   string    `json:"prev_hash"`
	Hash       string    `json:"hash"`
}

// Genesis is the previous hash of the first entry.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// ComputeHash returns the hash of e chained to prev: SHA-256 over the
// length-prefixed fields, so no two different entries serialise alike.
func (e *Entry) ComputeHash(prev string) string {
	h := sha256.New()
	field := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	field(prev)
	field(strconv.FormatInt(e.ID, 10))
	field(strconv.FormatInt(e.At.UTC().UnixMicro(), 10))
	field(strconv.FormatInt(e.OrgID, 10))
	field(strconv.FormatInt(e.ActorID, 10))
	field(e.Actor)
	field(e.Action)
	field(e.ObjectType)
	field(e.ObjectID)
	field(e.Summary)
	return hex.EncodeToString(h.Sum(nil))
}

// Change builds a Summary from the state before and after a change. Either
// may be nil (create, delete). Callers pass values without secrets.
func Change(before, after any) string {
	m := map[string]any{}
	if before != nil {
		m["before"] = before
	}
	if after != nil {
		m["after"] = after
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Sprintf(`{"error":%q}`, err.Error())
	}
	return string(b)
}

// Break describes the first place where the chain does not hold.
type Break struct {
	ID     int64  `json:"id"`
	Reason string `json:"reason"`
}

func (b *Break) Error() string {
	return fmt.Sprintf("audit chain broken at entry %d: %s", b.ID, b.Reason)
}

// Verifier checks entries one by one in id order. Feed it with Next and
// finish with Done, which compares the end of the chain with the recorded head
// so that removing the newest rows is caught too.
type Verifier struct {
	prevHash string
	prevID   int64
	n        int64
	brk      *Break
}

// NewVerifier starts a verification at the genesis.
func NewVerifier() *Verifier { return &Verifier{prevHash: Genesis} }

// Next checks one entry; it returns the first break found (and keeps
// returning it).
func (v *Verifier) Next(e *Entry) *Break {
	if v.brk != nil {
		return v.brk
	}
	v.n++
	switch {
	case e.ID != v.prevID+1:
		v.brk = &Break{ID: v.prevID + 1, Reason: fmt.Sprintf("entry missing (next entry found is %d)", e.ID)}
	case e.PrevHash != v.prevHash:
		v.brk = &Break{ID: e.ID, Reason: "previous-hash link does not match the entry before"}
	case e.ComputeHash(e.PrevHash) != e.Hash:
		v.brk = &Break{ID: e.ID, Reason: "content does not match its hash (entry altered)"}
	}
	v.prevHash, v.prevID = e.Hash, e.ID
	return v.brk
}

// Done checks the end of the chain against the head recorded at append
// time. It returns the number of entries checked and the first break.
func (v *Verifier) Done(headID int64, headHash string) (int64, *Break) {
	if v.brk != nil {
		return v.n, v.brk
	}
	if headID != v.prevID || headHash != v.prevHash {
		v.brk = &Break{ID: v.prevID + 1, Reason: fmt.Sprintf("chain ends at entry %d but %d entries were written (rows removed from the end)", v.prevID, headID)}
	}
	return v.n, v.brk
}
