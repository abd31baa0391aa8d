package store

import (
	"cmp"
	"context"
	"slices"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
)

// validateRed checks the addressing of a TLP:RED alert: named people, and
// no organisations of its own (they follow from the people).
func (in *AlertInput) validateRed() error {
	if len(in.People) == 0 {
		return aceso.Errorf(aceso.EINVALID, "people: a TLP:RED alert goes to named people only; name at least one user")
	}
	if (in.Audience != "" && in.Audience != AudienceChosen) || len(in.OrgIDs) > 0 {
		return aceso.Errorf(aceso.EINVALID, "recipients: a TLP:RED alert is addressed to its named people, and its recipient organisations are theirs; leave recipients and org_ids empty")
	}
	in.Audience = AudienceChosen
	return nil
}

// redAudience resolves the named people of a TLP:RED alert: each must be an
// active user of a member organisation or of the CSIRT, and at least one
// of a member. The recipient organisations are exactly the named members'
// organisations (the CSIRT is the originator, not a recipient).
func (tx *Tx) redAudience(ctx context.Context, ids []int64) ([]access.Org, []Person, error) {
	ids, found, err := resolvePeople(ctx, tx.tx, "people", ids)
	if err != nil {
		return nil, nil, err
	}
	var (
		people  []Person
		members []int64
	)
	for _, id := range ids {
		p, ok := found[id]
		switch {
		case !ok:
			return nil, nil, aceso.Errorf(aceso.EINVALID, "people: user %d does not exist", id)
		case p.orgKind != access.KindMember && p.orgKind != access.KindCSIRT:
			return nil, nil, aceso.Errorf(aceso.EINVALID, "people: user %d (%s) is not a user of a member organisation or the CSIRT", id, p.Email)
		case p.Disabled:
			return nil, nil, aceso.Errorf(aceso.EINVALID, "people: user %d (%s) is disabled", id, p.Email)
		}
		people = append(people, p)
		if p.orgKind == access.KindMember && !slices.Contains(members, p.OrgID) {
			members = append(members, p.OrgID)
		}
	}
	if len(members) == 0 {
		return nil, nil, aceso.Errorf(aceso.EINVALID, "people: name at least one user of a member organisation; the CSIRT's own users see its alerts anyway")
	}
	slices.SortFunc(people, func(a, b Person) int {
		if c := cmp.Compare(a.OrgName, b.OrgName); c != 0 {
			return c
		}
		return cmp.Compare(a.Email, b.Email)
	})
	orgs, err := tx.memberOrgs(ctx, " AND o.id IN ("+placeholders(1, len(members))+")", int64sAny(members)...)
	return orgs, people, err
}

// AlertPeople lists whom a TLP:RED alert may name: the active users of the
// member organisations and of the CSIRT, grouped by organisation. CSIRT
// analysts only (they compose alerts).
func (d *DB) AlertPeople(ctx context.Context, p access.Principal) ([]PeopleGroup, error) {
	if err := authorizeAlertCSIRT(p, access.ActAnalyse); err != nil {
		return nil, err
	}
	out, err := activePeople(ctx, d.db, access.KindMember, access.KindCSIRT)
	return out, d.translate(err)
}
