// Package share holds the pure domain logic of information sharing within the
// sector: the FIRST Traffic Light Protocol 2.0 and its access rule, the MISP
// core format (events and feeds) and STIX 2.1 objects. It does no I/O beyond
// writing feed files through a small interface, so store and web can wire it.
package share

import (
	"slices"
	"strings"

	"github.com/aceso-health/aceso"
)

// TLP is a FIRST TLP 2.0 label. The zero value is "no valid label"; the
// others are ordered from the least to the most restrictive so that a plain
// comparison says which of two labels is stricter.
type TLP int

// The TLP 2.0 labels, least restrictive first.
const (
	TLPUnknown TLP = iota
	TLPClear
	TLPGreen
	TLPAmber
	TLPAmberStrict
	TLPRed
)

// Labels lists every valid label from the least to the most restrictive,
// for tables and exhaustive tests.
var Labels = []TLP{TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed}

var tlpNames = [...]string{"", "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"}

// String returns the canonical TLP 2.0 spelling ("TLP:AMBER+STRICT"), or ""
// for an invalid label.
func (t TLP) String() string {
	if !t.Valid() {
		return ""
	}
	return tlpNames[t]
}

// Valid reports whether t is one of the five TLP 2.0 labels.
func (t TLP) Valid() bool { return t >= TLPClear && t <= TLPRed }

// Stricter reports whether t restricts sharing more than u. An invalid label
// counts as stricter than every valid one, so that code choosing the
// strictest of several labels never loosens on bad data.
func (t TLP) Stricter(u TLP) bool {
	if !t.Valid() {
		return u.Valid()
	}
	return u.Valid() && t > u
}

// Strictest returns the most restrictive of labels, TLPUnknown when there are
// none. An invalid label among them makes the result TLPUnknown (fail closed).
func Strictest(labels ...TLP) TLP {
	if len(labels) == 0 {
		return TLPUnknown
	}
	out := labels[0]
	for _, l := range labels[1:] {
		if l.Stricter(out) {
			out = l
		}
	}
	return out
}

// MISPTag returns the label as a tag of the MISP "tlp" taxonomy ("tlp:amber+strict").
func (t TLP) MISPTag() string {
	if !t.Valid() {
		return ""
	}
	return strings.ToLower(t.String())
}

// ParseTLP reads a TLP label case-insensitively, with or without the "TLP:"
// prefix, tolerating spaces around it. TLP 1.0 "WHITE" is read as CLEAR,
// since TLP 2.0 renamed it without changing its meaning. Anything else is an
// EINVALID error naming the value.
func ParseTLP(s string) (TLP, error) {
	v := strings.ToUpper(strings.TrimSpace(s))
	if p, ok := strings.CutPrefix(v, "TLP:"); ok {
		v = strings.TrimSpace(p)
	}
	switch v {
	case "CLEAR", "WHITE":
		return TLPClear, nil
	case "GREEN":
		return TLPGreen, nil
	case "AMBER":
		return TLPAmber, nil
	case "AMBER+STRICT":
		return TLPAmberStrict, nil
	case "RED":
		return TLPRed, nil
	}
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return TLPUnknown, aceso.Errorf(aceso.EINVALID, "tlp %q: not one of TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT, TLP:RED", s)
}

// MarshalText writes the canonical spelling, so a TLP is a string in JSON.
func (t TLP) MarshalText() ([]byte, error) {
	if !t.Valid() {
		return nil, aceso.Errorf(aceso.EINVALID, "tlp: no valid label to write")
	}
	return []byte(t.String()), nil
}

// UnmarshalText reads any spelling ParseTLP accepts.
func (t *TLP) UnmarshalText(b []byte) error {
	v, err := ParseTLP(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// Recipient is who would receive a shared object, as far as TLP cares.
//
// OrgID is the receiving organisation (0 when unauthenticated) and UserID the
// person reading (0 on a machine channel: a feed, a TAXII collection, a
// webhook). InCommunity says the organisation belongs to this deployment's
// community (a member hospital, the CSIRT, an onboarded supplier or
// authority). Public marks a public channel or an unauthenticated reader: no
// label but CLEAR may reach it, whatever else is set. ClientOf lists the
// organisations the recipient serves as a client, where the deployment models
// it (a clinic run by a hospital group; every member is a client of the
// sector CSIRT that serves it): TLP:AMBER lets an addressed organisation share
// with its clients, TLP:AMBER+STRICT does not.
type Recipient struct {
	OrgID       int64
	UserID      int64
	InCommunity bool
	Public      bool
	ClientOf    []int64
}

// Audience is to whom the originator addressed an object: organisations,
// and for TLP:RED the named persons (user ids) who may see it.
type Audience struct {
	Orgs   []int64
	People []int64
}

// To addresses organisations only (no named persons).
func To(orgs ...int64) Audience { return Audience{Orgs: orgs} }

// MayReceive is the one TLP access rule of Aceso: whether recipient may see
// an object labelled label that organisation originatorOrg shared and
// addressed to audience. The rule, per FIRST TLP 2.0 mapped onto
// organisations and people:
//
//   - Public recipients receive TLP:CLEAR only; Public wins over every other field.
//   - The originating organisation always sees its own objects.
//   - TLP:CLEAR: anyone.
//   - TLP:GREEN: every organisation of the community, plus addressed
//     organisations and their clients (they were deliberately given it).
//   - TLP:AMBER: addressed organisations and their clients.
//   - TLP:AMBER+STRICT: addressed organisations only (not their clients).
//   - TLP:RED: the named persons only, never an organisation as such and
//     never a machine channel (UserID 0).
//   - An invalid label admits no one but the originator (fail closed).
//
// Organisation and user id 0 never match an addressee. By construction a
// stricter label never admits a recipient that a looser one refuses: a named
// person is a person of an addressed organisation, which callers guarantee by
// addressing the named persons' organisations too (see Audience).
func MayReceive(label TLP, originatorOrg int64, recipient Recipient, audience Audience) bool {
	if recipient.Public {
		return label == TLPClear
	}
	if recipient.OrgID != 0 && recipient.OrgID == originatorOrg {
		return true
	}
	addressed := func(org int64) bool { return org != 0 && slices.Contains(audience.Orgs, org) }
	client := slices.ContainsFunc(recipient.ClientOf, addressed)
	switch label {
	case TLPClear:
		return true
	case TLPGreen:
		return recipient.InCommunity || addressed(recipient.OrgID) || client
	case TLPAmber:
		return addressed(recipient.OrgID) || client
	case TLPAmberStrict:
		return addressed(recipient.OrgID)
	case TLPRed:
		return addressed(recipient.OrgID) && recipient.UserID != 0 && slices.Contains(audience.People, recipient.UserID)
	}
	return false
}

// Channel is a way Aceso publishes shared objects to machines: a feed or a
// TAXII collection. Each channel has a maximum label (see ChannelMax).
type Channel string

// The publication channels.
const (
	// ChannelPublic is readable without authentication (a public MISP feed,
	// a public TAXII collection, the CSAF provider's white folder).
	ChannelPublic Channel = "public"
	// ChannelCommunity is readable by any authenticated organisation of the
	// deployment's community.
	ChannelCommunity Channel = "community"
	// ChannelOrg is readable only with credentials of one organisation, and
	// carries only what was addressed to that organisation.
	ChannelOrg Channel = "org"
)

// ChannelMax returns the most restrictive label an exporter may emit on the
// named channel: CLEAR on public, GREEN on community, AMBER+STRICT on an
// organisation-scoped channel (whose reader is the addressed organisation
// itself). TLP:RED goes to named people, never on a machine channel, so no
// channel allows it. An unknown channel returns TLPUnknown: it allows nothing.
func ChannelMax(channel string) TLP {
	switch Channel(strings.ToLower(strings.TrimSpace(channel))) {
	case ChannelPublic:
		return TLPClear
	case ChannelCommunity:
		return TLPGreen
	case ChannelOrg:
		return TLPAmberStrict
	}
	return TLPUnknown
}

// AllowedOn reports whether an object labelled label may be emitted on
// channel: the label must be valid and no stricter than the channel maximum.
// Exporters call it for every object, so nothing above a channel leaks.
func AllowedOn(label TLP, channel Channel) bool {
	limit := ChannelMax(string(channel))
	return label.Valid() && limit.Valid() && !label.Stricter(limit)
}
