package store_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/notify"
	"github.com/aceso-health/aceso/internal/notify/notifytest"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// alWorld is fxWorld plus a third hospital C and real users: A runs a
// Hamilton ventilator that only it has, so the Hamilton advisory affects
// exactly A. Each hospital has two active admins, a disabled admin and a
// viewer; only the active admins may receive alert mail.
type alWorld struct {
	*fxWorld
	c                    access.Principal
	admins               map[int64][]string // org → active admin e-mails
	reporter, viewer     map[int64]access.Principal
	admin1, admin2       map[int64]access.Principal // the two active admins, as real users
	disabled             map[int64]access.User      // the disabled admin
	hamilton, alarisAdvs int64
}

func alSetup(t *testing.T, db *store.DB) *alWorld {
	t.Helper()
	w := &alWorld{fxWorld: fxSetup(t, db), admins: map[int64][]string{}, reporter: map[int64]access.Principal{}, viewer: map[int64]access.Principal{},
		admin1: map[int64]access.Principal{}, admin2: map[int64]access.Principal{}, disabled: map[int64]access.User{}}
	c := access.Org{Name: "Hospital C", Kind: access.KindMember}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateOrg(ctx, access.System, &c) }); err != nil {
		t.Fatal(err)
	}
	w.c = fxPrincipal(c, access.RoleAnalyst)
	for _, org := range []access.Principal{w.a, w.b, w.c, w.csirt} {
		tag := strings.ToLower(strings.ReplaceAll(org.UserName[2:], " ", "-"))
		mk := func(local string, role access.Role, disabled bool) access.User {
			u := access.User{OrgID: org.OrgID, Email: local + "@" + tag + ".example", Role: role, PasswordHash: "x"}
			err := db.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.CreateUser(ctx, access.System, &u); err != nil {
					return err
				}
				if disabled {
					return tx.SetUserDisabled(ctx, access.System, u.ID, true)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		a1, a2 := mk("admin1", access.RoleAdmin, false), mk("admin2", access.RoleAdmin, false)
		w.disabled[org.OrgID] = mk("left", access.RoleAdmin, true)
		v, r := mk("viewer", access.RoleViewer, false), mk("reporter", access.RoleReporter, false)
		w.admins[org.OrgID] = []string{a1.Email, a2.Email}
		w.admin1[org.OrgID], _ = db.PrincipalFor(ctx, a1)
		w.admin2[org.OrgID], _ = db.PrincipalFor(ctx, a2)
		w.viewer[org.OrgID], _ = db.PrincipalFor(ctx, v)
		w.reporter[org.OrgID], _ = db.PrincipalFor(ctx, r)
	}
	w.device(t, w.a, "a-vent", "Hamilton Medical", "HAMILTON-C6", "2.2.2", "")
	ham := &advisory.Advisory{ID: "TEST-HAM-01", Title: "Hamilton C6", TLP: "TLP:AMBER", Revision: "1",
		Notes:    []advisory.Note{{Category: "summary", Text: "Ventilator accepts unauthenticated commands."}},
		Products: []advisory.Product{fxProd("P1", "Hamilton Medical", "HAMILTON-C6", "<= 2.3")},
		Vulnerabilities: []advisory.Vulnerability{{CVE: "CVE-2026-3000", ProductStatus: map[string][]string{"known_affected": {"P1"}},
			Remediations: []advisory.Remediation{{Category: "mitigation", Details: "Isolate the ventilator VLAN.", ProductIDs: []string{"P1"}}}}}}
	res, _ := w.importAndMatch(t, ham)
	w.hamilton = res.ID
	res, _ = w.importAndMatch(t, alarisAdv("1"))
	w.alarisAdvs = res.ID
	return w
}

func (w *alWorld) publish(t *testing.T, p access.Principal, in store.AlertInput) (store.Alert, error) {
	t.Helper()
	var a store.Alert
	err := w.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		a, err = tx.PublishAlert(ctx, p, in)
		return err
	})
	return a, err
}

func (w *alWorld) mustPublish(t *testing.T, in store.AlertInput) store.Alert {
	t.Helper()
	a, err := w.publish(t, w.csirt, in)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (w *alWorld) ack(p access.Principal, id int64, st store.AckStatus, note string) (store.AlertRecipient, error) {
	var r store.AlertRecipient
	err := w.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		r, err = tx.AckAlert(ctx, p, id, st, note)
		return err
	})
	return r, err
}

func (w *alWorld) chase(p access.Principal, id int64) (store.ChaseReport, error) {
	var r store.ChaseReport
	err := w.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		r, err = tx.ChaseAlert(ctx, p, id)
		return err
	})
	return r, err
}

// outbox lists the outbox rows whose dedup key starts with prefix, as "channel recipient".
func outboxRows(t *testing.T, db *store.DB, prefix string) []string {
	t.Helper()
	rows, err := db.SQL().QueryContext(ctx, "SELECT channel, recipient FROM outbox WHERE dedup_key LIKE $1 ORDER BY recipient, channel", prefix+"%")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ch, to string
		if err := rows.Scan(&ch, &to); err != nil {
			t.Fatal(err)
		}
		out = append(out, ch+" "+to)
	}
	return out
}

func visible(t *testing.T, db *store.DB, p access.Principal, id int64) bool {
	t.Helper()
	_, err := db.Alert(ctx, p, id)
	if err != nil && aceso.ErrorCode(err) != aceso.ENOTFOUND {
		t.Fatalf("alert %d for org %d: %v", id, p.OrgID, err)
	}
	list, lerr := db.Alerts(ctx, p, store.AlertFilter{})
	if lerr != nil {
		t.Fatal(lerr)
	}
	inList := slices.ContainsFunc(list, func(a store.Alert) bool { return a.ID == id })
	if inList != (err == nil) {
		t.Fatalf("org %d: alert %d in list %v but direct read error %v", p.OrgID, id, inList, err)
	}
	return err == nil
}

func TestAlertRecipientsAndDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := alSetup(t, db)
		hook := store.OrgSettings{OrgID: w.a.OrgID, WebhookURL: "https://siem.a.example/hook"}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SetOrgSettings(ctx, access.System, &hook) }); err != nil {
			t.Fatal(err)
		}
		draft, err := db.AlertDraft(ctx, w.csirt, w.hamilton)
		if err != nil {
			t.Fatal(err)
		}
		if len(draft.Affected) != 1 || draft.Affected[0].ID != w.a.OrgID || draft.Input.TLP != share.TLPAmber ||
			!strings.Contains(draft.Input.Summary, "unauthenticated commands") || !strings.Contains(draft.Input.Actions, "Isolate the ventilator") ||
			!strings.Contains(draft.Input.Title, "TEST-HAM-01") {
			t.Fatalf("draft %+v", draft)
		}
		if _, err := db.AlertDraft(ctx, w.a, w.hamilton); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Errorf("member drafting: %v", err)
		}
		deadline := w.now.Add(72 * time.Hour)
		draft.Input.Deadline = &deadline
		al := w.mustPublish(t, draft.Input)

		// Recipients: exactly the members with live findings of the advisory.
		got, err := db.Alert(ctx, w.csirt, al.ID)
		if err != nil {
			t.Fatal(err)
		}
		var rcpt []int64
		for _, r := range got.Recipients {
			rcpt = append(rcpt, r.OrgID)
		}
		want, err := db.AffectedMembers(ctx, w.csirt, w.hamilton)
		if err != nil || len(want) != 1 || !slices.Equal(rcpt, []int64{want[0].ID}) || got.Counts.Pending != 1 {
			t.Fatalf("recipients %v, affected members %v (%v), counts %+v", rcpt, want, err, got.Counts)
		}
		for _, tt := range []struct {
			name string
			p    access.Principal
			see  bool
		}{
			{"recipient A", w.a, true}, {"A's viewer", w.viewer[w.a.OrgID], true},
			{"non-recipient B", w.b, false}, {"non-recipient C", w.c, false}, {"the CSIRT", w.csirt, true},
		} {
			if v := visible(t, db, tt.p, al.ID); v != tt.see {
				t.Errorf("%s sees the alert: %v, want %v", tt.name, v, tt.see)
			}
		}
		a, _ := db.Alert(ctx, w.a, al.ID)
		if a.Ack == nil || a.Ack.Status != store.AckPending || a.Recipients != nil || a.Counts != nil {
			t.Errorf("member view %+v", a)
		}

		// One e-mail per active admin of A, and A's webhook; nothing else.
		out := outboxRows(t, db, "alert:")
		wantOut := []string{"email " + w.admins[w.a.OrgID][0], "email " + w.admins[w.a.OrgID][1], "webhook https://siem.a.example/hook"}
		if !slices.Equal(out, wantOut) {
			t.Errorf("outbox %v, want %v", out, wantOut)
		}
		smtpd := notifytest.NewSMTPServer(t)
		worker := &notify.Worker{Outbox: db.Outbox(), Node: "mailer", Now: func() time.Time { return w.now },
			Senders: map[string]notify.Sender{notify.Email: &notify.SMTP{Addr: smtpd.Addr, From: "aceso@cert.example"}}}
		if _, err := worker.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		var to []string
		for _, m := range smtpd.Mails() {
			to = append(to, m.To)
			if !strings.Contains(m.Data, "TLP:AMBER") || !strings.Contains(m.Data, "Isolate the ventilator") || !strings.Contains(m.Data, "/alerts/"+itoa(int(al.ID))) {
				t.Errorf("mail lacks label, actions or link:\n%s", m.Data)
			}
		}
		slices.Sort(to)
		if !slices.Equal(to, w.admins[w.a.OrgID]) {
			t.Errorf("mail to %v, want %v", to, w.admins[w.a.OrgID])
		}

		// Audience "all" reaches every member, not the CSIRT.
		all := w.mustPublish(t, store.AlertInput{Title: "Sector-wide phishing wave", TLP: share.TLPGreen, Audience: store.AudienceAll})
		got, _ = db.Alert(ctx, w.csirt, all.ID)
		if got.Counts.Recipients != 3 {
			t.Errorf("all members: %+v", got.Counts)
		}
	})
}

// TestAlertRedToNamedPeople: a TLP:RED alert reaches the persons the CSIRT
// named, not their organisations: the named admin of A reads, answers and
// is mailed; A's other users, B and C get "not found" and empty inboxes;
// no admin list and no webhook is ever used.
func TestAlertRedToNamedPeople(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := alSetup(t, db)
		for _, org := range []int64{w.a.OrgID, w.b.OrgID} {
			s := store.OrgSettings{OrgID: org, WebhookURL: "https://hook.example/" + itoa(int(org))}
			if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SetOrgSettings(ctx, access.System, &s) }); err != nil {
				t.Fatal(err)
			}
		}
		u1, u2 := w.admin1[w.a.OrgID], w.admin2[w.a.OrgID]
		red := w.mustPublish(t, store.AlertInput{Title: "Ransomware actor inside a hospital", TLP: share.TLPRed, People: []int64{u1.UserID, u1.UserID}})
		if red.Audience != store.AudienceChosen || len(red.Recipients) != 1 || red.Recipients[0].OrgID != w.a.OrgID ||
			len(red.People) != 1 || red.People[0].ID != u1.UserID || red.People[0].Email != u1.UserName || red.Counts.Recipients != 1 {
			t.Fatalf("published RED alert: %+v", red)
		}
		token := u1
		token.TokenID = 1 // the same person through an API token: a machine channel
		for _, tt := range []struct {
			name string
			p    access.Principal
			see  bool
		}{
			{"named u1 of A", u1, true}, {"u2 of A", u2, false}, {"A's viewer", w.viewer[w.a.OrgID], false},
			{"A's reporter", w.reporter[w.a.OrgID], false}, {"u1's API token", token, false},
			{"B's admin", w.admin1[w.b.OrgID], false}, {"C's admin", w.admin1[w.c.OrgID], false},
			{"the CSIRT that wrote it", w.csirt, true}, {"a CSIRT viewer", w.viewer[w.csirt.OrgID], true},
		} {
			if v := visible(t, db, tt.p, red.ID); v != tt.see {
				t.Errorf("%s sees the RED alert: %v, want %v", tt.name, v, tt.see)
			}
		}
		for _, p := range []access.Principal{u2, w.reporter[w.a.OrgID], w.admin1[w.b.OrgID]} {
			if inbox, err := db.Alerts(ctx, p, store.AlertFilter{}); err != nil || len(inbox) != 0 {
				t.Errorf("inbox of %s: %+v %v, want empty", p.UserName, inbox, err)
			}
		}
		if inbox, err := db.Alerts(ctx, u1, store.AlertFilter{}); err != nil || len(inbox) != 1 || inbox[0].ID != red.ID || inbox[0].People != nil {
			t.Errorf("u1's inbox: %+v %v", inbox, err)
		}
		csirtView, err := db.Alert(ctx, w.csirt, red.ID)
		if err != nil || len(csirtView.People) != 1 || csirtView.People[0].ID != u1.UserID || csirtView.People[0].OrgName != "Hospital A" {
			t.Errorf("CSIRT view of the named people: %+v %v", csirtView.People, err)
		}
		// Delivery: exactly one e-mail, to u1; no admin list, no webhook.
		if out := outboxRows(t, db, "alert:"+itoa(int(red.ID))+":"); !slices.Equal(out, []string{"email " + u1.UserName}) {
			t.Errorf("RED alert messages %v, want one e-mail to %s", out, u1.UserName)
		}
		entries, err := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: w.csirt.OrgID, Limit: 5})
		if err != nil || entries[0].Action != "alert.publish" || !strings.Contains(entries[0].Summary, u1.UserName) {
			t.Errorf("publication audit does not name the person: %+v %v", entries[0], err)
		}
		// The named person answers for the organisation; the unnamed cannot.
		if _, err := w.ack(u2, red.ID, store.AckDone, ""); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("unnamed u2 acknowledged: %v", err)
		}
		if r, err := w.ack(u1, red.ID, store.AckInProgress, "isolating"); err != nil || r.Status != store.AckInProgress || r.AckedBy != u1.UserName {
			t.Errorf("named u1 acknowledges: %+v %v", r, err)
		}

		// Chasing a RED alert mails the named people of the pending
		// organisations only, and not once they are disabled.
		deadline := w.now.Add(time.Hour)
		csirtColleague := w.admin1[w.csirt.OrgID]
		two := w.mustPublish(t, store.AlertInput{Title: "Two hospitals", TLP: share.TLPRed, Deadline: &deadline,
			People: []int64{w.admin2[w.b.OrgID].UserID, w.admin1[w.c.OrgID].UserID, csirtColleague.UserID}})
		if len(two.Recipients) != 2 || two.Recipients[0].OrgID != w.b.OrgID || two.Recipients[1].OrgID != w.c.OrgID {
			t.Fatalf("recipients are the named people's member organisations, not the CSIRT: %+v", two.Recipients)
		}
		if out := outboxRows(t, db, "alert:"+itoa(int(two.ID))+":"); !slices.Equal(out, []string{
			"email " + csirtColleague.UserName, "email " + w.admin1[w.c.OrgID].UserName, "email " + w.admin2[w.b.OrgID].UserName}) { // by address
			t.Errorf("RED alert to three people: %v", out)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.SetUserDisabled(ctx, access.System, w.admin1[w.c.OrgID].UserID, true)
		}); err != nil {
			t.Fatal(err)
		}
		w.now = deadline.Add(time.Hour)
		rep, err := w.chase(w.csirt, two.ID)
		if err != nil || rep.Orgs != 2 || rep.Enqueued != 1 {
			t.Errorf("chase: %+v %v, want 2 organisations and 1 message", rep, err)
		}
		if out := outboxRows(t, db, "alert:"+itoa(int(two.ID))+":org-"+itoa(int(w.b.OrgID))+":chase-"); !slices.Equal(out, []string{"email " + w.admin2[w.b.OrgID].UserName}) {
			t.Errorf("B's reminder %v", out)
		}
		if out := outboxRows(t, db, "alert:"+itoa(int(two.ID))+":org-"+itoa(int(w.c.OrgID))+":chase-"); len(out) != 0 {
			t.Errorf("a disabled person was chased: %v", out)
		}

		// A label that no longer reads as TLP admits no member (fail closed),
		// even the named person with a recipient row.
		if _, err := db.SQL().ExecContext(ctx, "UPDATE alerts SET tlp = 'TLP:BLACK' WHERE id = $1", red.ID); err != nil {
			t.Fatal(err)
		}
		if visible(t, db, u1, red.ID) || !visible(t, db, w.csirt, red.ID) {
			t.Error("an alert with an unreadable label reached a member, or left its originator")
		}
		// Other labels still go to organisations: admins and the webhook.
		amber := w.mustPublish(t, store.AlertInput{Title: "Amber for A", TLP: share.TLPAmber, Audience: store.AudienceChosen, OrgIDs: []int64{w.a.OrgID}})
		if out := outboxRows(t, db, "alert:"+itoa(int(amber.ID))+":"); !slices.Contains(out, "webhook https://hook.example/"+itoa(int(w.a.OrgID))) || len(out) != 3 {
			t.Errorf("AMBER alert messages %v, want A's 2 admins and A's webhook", out)
		}
		if !visible(t, db, u2, amber.ID) {
			t.Error("u2 does not see an AMBER alert to A")
		}
	})
}

func TestAlertPublishRejects(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := alSetup(t, db)
		past := w.now.Add(-time.Hour)
		// An advisory nobody runs: its "affected" audience is empty.
		res, _ := w.importAndMatch(t, monitorAdv("TEST-NOBODY-9", "TLP:CLEAR"))
		if _, err := db.SQL().ExecContext(ctx, "DELETE FROM findings WHERE advisory_id = $1", res.ID); err != nil {
			t.Fatal(err)
		}
		ok := store.AlertInput{Title: "Valid title", TLP: share.TLPAmber, Audience: store.AudienceAll}
		with := func(f func(*store.AlertInput)) store.AlertInput { in := ok; f(&in); return in }
		red := func(people ...int64) store.AlertInput {
			return store.AlertInput{Title: "Valid title", TLP: share.TLPRed, People: people}
		}
		sup := access.Org{Name: "Pump maker", Kind: access.KindSupplier}
		supplier := access.User{Email: "psirt@pumps.example", Role: access.RoleAdmin, PasswordHash: "x"}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateOrg(ctx, access.System, &sup); err != nil {
				return err
			}
			supplier.OrgID = sup.ID
			return tx.CreateUser(ctx, access.System, &supplier)
		}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			p    access.Principal
			in   store.AlertInput
			code string
			want string
		}{
			{"member publishes", w.a, ok, aceso.EFORBIDDEN, "only the CSIRT"},
			{"CSIRT viewer publishes", w.viewer[w.csirt.OrgID], ok, aceso.EFORBIDDEN, ""},
			{"short title", w.csirt, with(func(in *store.AlertInput) { in.Title = " x " }), aceso.EINVALID, "title"},
			{"no label", w.csirt, with(func(in *store.AlertInput) { in.TLP = share.TLPUnknown }), aceso.EINVALID, "tlp"},
			{"past deadline", w.csirt, with(func(in *store.AlertInput) { in.Deadline = &past }), aceso.EINVALID, "deadline"},
			{"unknown audience", w.csirt, with(func(in *store.AlertInput) { in.Audience = "everyone" }), aceso.EINVALID, "recipients"},
			{"affected without advisory", w.csirt, with(func(in *store.AlertInput) { in.Audience = store.AudienceAffected }), aceso.EINVALID, "advisory_id"},
			{"chosen without orgs", w.csirt, with(func(in *store.AlertInput) { in.Audience = store.AudienceChosen }), aceso.EINVALID, "org_ids"},
			{"chosen the CSIRT", w.csirt, with(func(in *store.AlertInput) {
				in.Audience, in.OrgIDs = store.AudienceChosen, []int64{w.a.OrgID, w.csirt.OrgID}
			}), aceso.EINVALID, "is not a member"},
			{"unknown advisory", w.csirt, with(func(in *store.AlertInput) { in.AdvisoryID = 99999 }), aceso.EINVALID, "no such advisory"},
			{"looser than the AMBER advisory", w.csirt, with(func(in *store.AlertInput) { in.AdvisoryID, in.TLP = w.hamilton, share.TLPClear }), aceso.EINVALID, "looser"},
			{"advisory affects nobody", w.csirt, with(func(in *store.AlertInput) { in.AdvisoryID, in.Audience = res.ID, store.AudienceAffected }), aceso.EINVALID, "affects no member"},
			{"RED without people", w.csirt, red(), aceso.EINVALID, "people: a TLP:RED alert goes to named people"},
			{"RED naming a disabled user", w.csirt, red(w.disabled[w.a.OrgID].ID), aceso.EINVALID,
				"people: user " + itoa(int(w.disabled[w.a.OrgID].ID)) + " (" + w.disabled[w.a.OrgID].Email + ") is disabled"},
			{"RED naming a supplier's user", w.csirt, red(w.admin1[w.a.OrgID].UserID, supplier.ID), aceso.EINVALID,
				"people: user " + itoa(int(supplier.ID)) + " (" + supplier.Email + ") is not a user of a member organisation or the CSIRT"},
			{"RED naming nobody known", w.csirt, red(99999), aceso.EINVALID, "people: user 99999 does not exist"},
			{"RED naming only the CSIRT", w.csirt, red(w.admin1[w.csirt.OrgID].UserID), aceso.EINVALID, "people: name at least one user of a member organisation"},
			{"RED to all members", w.csirt, with(func(in *store.AlertInput) { in.TLP, in.People = share.TLPRed, []int64{w.admin1[w.a.OrgID].UserID} }),
				aceso.EINVALID, "recipients: a TLP:RED alert is addressed to its named people"},
			{"RED with organisations", w.csirt, with(func(in *store.AlertInput) {
				in.TLP, in.People, in.Audience, in.OrgIDs = share.TLPRed, []int64{w.admin1[w.a.OrgID].UserID}, store.AudienceChosen, []int64{w.b.OrgID}
			}), aceso.EINVALID, "recipients: a TLP:RED alert"},
			{"AMBER naming people", w.csirt, with(func(in *store.AlertInput) { in.People = []int64{w.admin1[w.a.OrgID].UserID} }),
				aceso.EINVALID, "people: only a TLP:RED alert names people"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := w.publish(t, tt.p, tt.in)
				if aceso.ErrorCode(err) != tt.code || !strings.Contains(aceso.ErrorMessage(err), tt.want) {
					t.Errorf("got %v (%s), want %s containing %q", err, aceso.ErrorCode(err), tt.code, tt.want)
				}
			})
		}
		if list, _ := db.Alerts(ctx, w.csirt, store.AlertFilter{}); len(list) != 0 {
			t.Errorf("rejected alerts were stored: %+v", list)
		}
		if out := outboxRows(t, db, "alert:"); len(out) != 0 {
			t.Errorf("rejected alerts enqueued %v", out)
		}
	})
}

func TestAlertAckAndChase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := alSetup(t, db)
		deadline := w.now.Add(24 * time.Hour)
		al := w.mustPublish(t, store.AlertInput{AdvisoryID: w.alarisAdvs, Title: "Alaris pumps: update now", TLP: share.TLPClear,
			Audience: store.AudienceAffected, Deadline: &deadline})
		older := w.mustPublish(t, store.AlertInput{Title: "Older, acknowledged", TLP: share.TLPGreen, Audience: store.AudienceAll})
		if _, err := w.ack(w.reporter[w.a.OrgID], older.ID, store.AckDone, ""); err != nil {
			t.Fatal(err)
		}
		newest := w.mustPublish(t, store.AlertInput{Title: "Newest, acknowledged", TLP: share.TLPGreen, Audience: store.AudienceAll})
		if _, err := w.ack(w.reporter[w.a.OrgID], newest.ID, store.AckNotApplicable, ""); err != nil {
			t.Fatal(err)
		}
		// The inbox puts the unacknowledged alert first, then newest first.
		inbox, err := db.Alerts(ctx, w.a, store.AlertFilter{})
		if err != nil || len(inbox) != 3 || inbox[0].ID != al.ID || inbox[1].ID != newest.ID || inbox[2].ID != older.ID {
			t.Fatalf("inbox order %v: %+v", err, inbox)
		}

		ackAt := w.now.Add(3 * time.Hour)
		w.now = ackAt
		steps := []struct {
			name   string
			p      access.Principal
			status store.AckStatus
			note   string
			code   string
		}{
			{"viewer may not acknowledge", w.viewer[w.a.OrgID], store.AckDone, "", aceso.EFORBIDDEN},
			{"non-recipient C", w.reporter[w.c.OrgID], store.AckDone, "", aceso.ENOTFOUND},
			{"the CSIRT is no recipient", w.csirt, store.AckDone, "", aceso.ENOTFOUND},
			{"pending is no answer", w.reporter[w.a.OrgID], store.AckPending, "", aceso.EINVALID},
			{"unknown status", w.reporter[w.a.OrgID], "maybe", "", aceso.EINVALID},
			{"A starts work", w.reporter[w.a.OrgID], store.AckInProgress, "Patching ward 3 tonight", ""},
		}
		for _, s := range steps {
			if _, err := w.ack(s.p, al.ID, s.status, s.note); aceso.ErrorCode(err) != s.code {
				t.Errorf("%s: %v, want %q", s.name, err, s.code)
			}
		}
		w.now = ackAt.Add(5 * time.Hour)
		r, err := w.ack(w.a, al.ID, store.AckDone, "All pumps on 12.1")
		if err != nil || r.Status != store.AckDone || r.Note != "All pumps on 12.1" || r.AckedAt == nil || !r.AckedAt.Equal(ackAt) ||
			r.AckedBy != w.reporter[w.a.OrgID].UserName || !r.StatusAt.Equal(w.now) {
			t.Fatalf("second answer keeps the first acknowledgement time and actor: %+v %v", r, err)
		}
		csirtView, _ := db.Alert(ctx, w.csirt, al.ID)
		status := map[int64]store.AckStatus{}
		for _, r := range csirtView.Recipients {
			status[r.OrgID] = r.Status
		}
		if len(status) != 2 || status[w.a.OrgID] != store.AckDone || status[w.b.OrgID] != store.AckPending || csirtView.Counts.Acknowledged != 1 {
			t.Fatalf("CSIRT view of the answers: %v %+v", status, csirtView.Counts)
		}
		entries, err := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: w.a.OrgID, Limit: 50})
		if err != nil || entries[0].Action != "alert.ack" || !strings.Contains(entries[0].Summary, "All pumps") {
			t.Errorf("acknowledgement not audited in A's log: %+v %v", entries[0], err)
		}

		// Chasing reminds B (the one late recipient), once per chase.
		w.now = deadline.Add(time.Hour)
		if _, err := w.chase(w.a, al.ID); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Errorf("member chases: %v", err)
		}
		if _, err := w.chase(w.csirt, 99999); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("chase of an unknown alert: %v", err)
		}
		prefix := "alert:" + itoa(int(al.ID)) + ":org-" + itoa(int(w.b.OrgID)) + ":chase-"
		for n := 1; n <= 2; n++ {
			rep, err := w.chase(w.csirt, al.ID)
			if err != nil || rep.Orgs != 1 || rep.Enqueued != len(w.admins[w.b.OrgID]) {
				t.Fatalf("chase %d: %+v %v", n, rep, err)
			}
			if got := outboxRows(t, db, prefix); len(got) != n*len(w.admins[w.b.OrgID]) {
				t.Errorf("after chase %d: %d reminders %v", n, len(got), got)
			}
			if got := outboxRows(t, db, "alert:"+itoa(int(al.ID))+":org-"+itoa(int(w.a.OrgID))+":chase-"); len(got) != 0 {
				t.Errorf("acknowledged A was chased: %v", got)
			}
		}
		csirtView, _ = db.Alert(ctx, w.csirt, al.ID)
		for _, r := range csirtView.Recipients {
			if r.OrgID == w.b.OrgID && (r.Chases != 2 || !r.Late || r.LastChasedAt == nil || !r.LastChasedAt.Equal(w.now)) {
				t.Errorf("B's chase record %+v", r)
			}
		}
		smtpd := notifytest.NewSMTPServer(t)
		worker := &notify.Worker{Outbox: db.Outbox(), Node: "mailer", Now: func() time.Time { return w.now },
			Senders: map[string]notify.Sender{notify.Email: &notify.SMTP{Addr: smtpd.Addr, From: "aceso@cert.example"}}}
		for {
			n, err := worker.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		reminders := 0
		for _, m := range smtpd.Mails() {
			if strings.Contains(m.Data, "REMINDER") {
				reminders++
				if !slices.Contains(w.admins[w.b.OrgID], m.To) {
					t.Errorf("reminder to %s, not an active admin of B", m.To)
				}
			}
		}
		if reminders != 2*len(w.admins[w.b.OrgID]) {
			t.Errorf("%d reminders delivered, want %d", reminders, 2*len(w.admins[w.b.OrgID]))
		}
	})
}

func TestAlertStats(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := alSetup(t, db)
		t0 := w.now
		first := w.mustPublish(t, store.AlertInput{Title: "First", TLP: share.TLPGreen, Audience: store.AudienceAll})
		second := w.mustPublish(t, store.AlertInput{Title: "Second", TLP: share.TLPGreen, Audience: store.AudienceChosen, OrgIDs: []int64{w.b.OrgID}})
		acks := []struct {
			p     access.Principal
			alert int64
			after time.Duration
		}{{w.a, first.ID, 2 * time.Hour}, {w.b, first.ID, 50 * time.Hour}, {w.b, second.ID, 30 * time.Minute}}
		for i, a := range acks {
			w.now = t0.Add(a.after)
			if _, err := w.ack(a.p, a.alert, store.AckDone, ""); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				// At 10h only A answered; B and C are still inside their
				// 48h window, so they do not count against the target yet.
				w.now = t0.Add(10 * time.Hour)
				st, err := db.AlertStats(ctx, w.csirt)
				if err != nil || len(st.Alerts) != 2 || st.Alerts[1].AlertID != first.ID {
					t.Fatalf("stats at 10h: %+v %v", st, err)
				}
				if f := st.Alerts[1]; f.Recipients != 3 || f.Decided != 1 || f.Acknowledged != 1 || f.Within48h == nil || *f.Within48h != 1 {
					t.Errorf("first at 10h: %+v", f.TTAStats)
				}
			}
		}
		if _, err := db.AlertStats(ctx, w.a); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Errorf("member asks statistics: %v", err)
		}
		tests := []struct {
			name        string
			now         time.Duration // since publication
			alert       int64         // 0: overall
			recipients  int
			median, p90 time.Duration
			decided     int
			within      float64
		}{
			// first: A 2h, B 50h, C never. At 72h C is decided (late): 1 of 3 within 48h.
			{"first at 72h", 72 * time.Hour, first.ID, 3, 2 * time.Hour, 50 * time.Hour, 3, 1.0 / 3},
			{"overall at 72h", 72 * time.Hour, 0, 4, 2 * time.Hour, 50 * time.Hour, 4, 2.0 / 4},
			{"second", 72 * time.Hour, second.ID, 1, 30 * time.Minute, 30 * time.Minute, 1, 1},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				w.now = t0.Add(tt.now)
				st, err := db.AlertStats(ctx, w.csirt)
				if err != nil {
					t.Fatal(err)
				}
				s := st.Overall
				for _, a := range st.Alerts {
					if a.AlertID == tt.alert {
						s = a.TTAStats
					}
				}
				if s.Recipients != tt.recipients || s.MedianSeconds == nil || *s.MedianSeconds != int64(tt.median.Seconds()) ||
					*s.P90Seconds != int64(tt.p90.Seconds()) || s.Decided != tt.decided || s.Within48h == nil || *s.Within48h != tt.within {
					t.Errorf("stats %+v (median %v p90 %v within %v)", s, deref(s.MedianSeconds), deref(s.P90Seconds), derefF(s.Within48h))
				}
			})
		}
	})
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return time.Duration(*p) * time.Second
}

func derefF(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
