package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/share"
)

// Person is a user named on a TLP:RED object: FIRST TLP 2.0 gives RED to
// named recipients, never to an organisation as such. Alerts name members'
// users, incidents name the CSIRT's users (see tlp_people).
type Person struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	OrgID   int64  `json:"org_id"`
	OrgName string `json:"org_name"`
	// Disabled persons stay named, as the record of who was told, but are
	// neither mailed nor counted as the person a RED share needs.
	Disabled bool `json:"disabled,omitempty"`
	orgKind  access.OrgKind
}

// Label is how pickers and pages show the person.
func (p Person) Label() string {
	if p.Name != "" && p.Name != p.Email {
		return p.Name + " <" + p.Email + ">"
	}
	return p.Email
}

// PeopleGroup is the active users of one organisation, for a people picker.
type PeopleGroup struct {
	OrgID   int64    `json:"org_id"`
	OrgName string   `json:"org_name"`
	People  []Person `json:"people"`
}

// Object types of tlp_people.
const (
	tlpAlert    = "alert"
	tlpIncident = "incident"
)

// maxNamedPeople bounds one object's named persons (and the query's
// parameters): TLP:RED is for a few people, not a mailing list.
const maxNamedPeople = 500

const personCols = "u.id, u.name, u.email, u.org_id, o.name, u.disabled, o.kind"

func scanPerson(row interface{ Scan(...any) error }, extra ...any) (Person, error) {
	var p Person
	err := row.Scan(append([]any{&p.ID, &p.Name, &p.Email, &p.OrgID, &p.OrgName, &p.Disabled, &p.orgKind}, extra...)...)
	return p, err
}

// namedPeople is the one loader of tlp_people: the persons named on each of
// the given objects of one type, ordered by organisation and e-mail. Every
// reader of TLP:RED (the rule, delivery, pages) goes through it.
func namedPeople(ctx context.Context, q querier, objectType string, ids []int64) (map[int64][]Person, error) {
	out := make(map[int64][]Person, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, "SELECT "+personCols+`, t.object_id FROM tlp_people t
		JOIN users u ON u.id = t.user_id JOIN orgs o ON o.id = u.org_id
		WHERE t.object_type = $1 AND t.object_id IN (`+placeholders(2, len(ids))+`) ORDER BY o.name, lower(u.email), u.id`,
		append([]any{objectType}, int64sAny(ids)...)...)
	if err != nil {
		return nil, fmt.Errorf("named people: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var obj int64
		p, err := scanPerson(rows, &obj)
		if err != nil {
			return nil, err
		}
		out[obj] = append(out[obj], p)
	}
	return out, rows.Err()
}

// audienceOf is to whom an object labelled with named people is addressed:
// the organisations given plus, as share.MayReceive requires, the named
// persons' own organisations.
func audienceOf(orgs []int64, people []Person) share.Audience {
	a := share.Audience{Orgs: slices.Clone(orgs)}
	for _, p := range people {
		a.People = append(a.People, p.ID)
		if !slices.Contains(a.Orgs, p.OrgID) {
			a.Orgs = append(a.Orgs, p.OrgID)
		}
	}
	return a
}

// tlpReader is the share.Recipient a principal reads as. An API token is a
// machine channel (a SIEM, a script others read): it reads as its
// organisation without a person, so TLP:RED never reaches it, even when
// the token's creator is named.
func tlpReader(p access.Principal) share.Recipient {
	r := share.Recipient{OrgID: p.OrgID, UserID: p.UserID, InCommunity: true}
	if p.TokenID != 0 {
		r.UserID = 0
	}
	return r
}

// resolvePeople reads the users ids name (deduplicated, at most
// maxNamedPeople) for validation; field names the input in errors. Missing
// ids are absent from the result: callers word that error themselves, so
// that a member cannot probe other organisations' user ids.
func resolvePeople(ctx context.Context, q querier, field string, ids []int64) ([]int64, map[int64]Person, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > maxNamedPeople {
		return nil, nil, aceso.Errorf(aceso.EINVALID, "%s: at most %d people", field, maxNamedPeople)
	}
	out := make(map[int64]Person, len(ids))
	if len(ids) == 0 {
		return ids, out, nil
	}
	rows, err := q.QueryContext(ctx, "SELECT "+personCols+" FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id IN ("+placeholders(1, len(ids))+")", int64sAny(ids)...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, nil, err
		}
		out[p.ID] = p
	}
	return ids, out, rows.Err()
}

// setNamedPeople replaces the named persons of one object.
func (tx *Tx) setNamedPeople(ctx context.Context, objectType string, id int64, people []Person) error {
	if _, err := tx.exec(ctx, "DELETE FROM tlp_people WHERE object_type = $1 AND object_id = $2", objectType, id); err != nil {
		return fmt.Errorf("named people: %w", err)
	}
	for _, p := range people {
		if _, err := tx.exec(ctx, "INSERT INTO tlp_people (object_type, object_id, user_id) VALUES ($1, $2, $3)", objectType, id, p.ID); err != nil {
			return fmt.Errorf("named person %d: %w", p.ID, err)
		}
	}
	return nil
}

// activePeople lists the active users of the organisations of the given
// kinds, grouped by organisation (by name), for people pickers.
func activePeople(ctx context.Context, q querier, kinds ...access.OrgKind) ([]PeopleGroup, error) {
	args := make([]any, len(kinds))
	for i, k := range kinds {
		args[i] = string(k)
	}
	rows, err := q.QueryContext(ctx, "SELECT "+personCols+" FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.disabled = FALSE AND o.kind IN ("+
		placeholders(1, len(kinds))+") ORDER BY o.name, o.id, lower(u.email), u.id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []PeopleGroup{}
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].OrgID != p.OrgID {
			out = append(out, PeopleGroup{OrgID: p.OrgID, OrgName: p.OrgName})
		}
		out[len(out)-1].People = append(out[len(out)-1].People, p)
	}
	return out, rows.Err()
}

// peopleNames lists persons for an audit entry (e-mail addresses: the
// audit log must say who was told).
func peopleNames(people []Person) []string {
	out := make([]string, len(people))
	for i, p := range people {
		out[i] = p.Email
	}
	return out
}
