package store_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/notify"
	"github.com/aceso-health/aceso/internal/notify/notifytest"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// nationalRegimes is the default table with the NIS2 early warning
// shortened to 12 hours, as a national transposition might; it goes
// through LoadRegimes like a deployment's file.
func nationalRegimes(t testing.TB) incident.Regimes {
	t.Helper()
	b, err := json.Marshal(incident.DefaultRegimes())
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), `"stage":"early_warning","title":"Early warning to the CSIRT or competent authority","article":"Art. 23(4)(a)","applies_when":{"org_kinds":["member"],"all":["significant"]},"from":["aware_at"],"offset":"24h"`,
		`"stage":"early_warning","title":"Early warning to the CSIRT or competent authority","article":"Art. 23(4)(a)","applies_when":{"org_kinds":["member"],"all":["significant"]},"from":["aware_at"],"offset":"12h"`, 1)
	if s == string(b) {
		t.Fatalf("early warning not found in %s", b)
	}
	rg, err := incident.LoadRegimes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return rg
}

func TestIncidentRegimesOverride(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		db.Now = (&clock{t: t0}).Now
		def := mustCreate(t, db, s.aAdmin, ransomware(t0), significant)
		db.IncidentConfig.Regimes = nationalRegimes(t)
		nat := mustCreate(t, db, s.aAdmin, ransomware(t0), significant)
		if ew := obligation(t, nat, "nis2", "early_warning"); !ew.DueAt.Equal(t0.Add(12 * time.Hour)) {
			t.Fatalf("national early warning due %v, want aware+12h", ew.DueAt)
		}
		// Reads recompute with the deployment's table too, also for an
		// incident created before the change; other stages keep theirs.
		got, err := db.Incident(ctx, s.aAdmin, def.ID, t0.Add(13*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if ew := obligation(t, got, "nis2", "early_warning"); !ew.DueAt.Equal(t0.Add(12*time.Hour)) || ew.Status != incident.ObligationLate {
			t.Fatalf("early warning after override: %+v", ew)
		}
		if n := obligation(t, got, "nis2", "notification"); !n.DueAt.Equal(t0.Add(72 * time.Hour)) {
			t.Fatalf("notification: %v", n.DueAt)
		}
		page, err := db.ListIncidents(ctx, s.aAdmin, store.IncidentFilter{Now: t0.Add(13 * time.Hour)})
		if err != nil || len(page.Incidents) != 2 || page.Incidents[0].Late() != 1 {
			t.Fatalf("list with override: %v %+v", err, page)
		}
		db.IncidentConfig.Regimes = incident.Regimes{}
		got, _ = db.Incident(ctx, s.aAdmin, def.ID, t0)
		if ew := obligation(t, got, "nis2", "early_warning"); !ew.DueAt.Equal(t0.Add(24 * time.Hour)) {
			t.Fatalf("back to defaults: %v", ew.DueAt)
		}
	})
}

func TestCheckReportRecipients(t *testing.T) {
	rg := incident.DefaultRegimes()
	tests := []struct {
		name string
		in   map[string]string
		bad  string // part of the error, "" when valid
	}{
		{"defaults", store.DefaultReportRecipients(), ""},
		{"all kinds", map[string]string{"nis2": "mailto:cert@bsi.example", "gdpr": "mailto:dpa@lda.example", "mdr": "none"}, ""},
		{"unknown regime", map[string]string{"dora": "csirt"}, "report_recipients.dora"},
		{"bad value", map[string]string{"gdpr": "dpa@lda.example"}, "report_recipients.gdpr"},
		{"display name", map[string]string{"gdpr": "mailto:DPA <dpa@lda.example>"}, "report_recipients.gdpr"},
		{"header injection", map[string]string{"mdr": "mailto:a@b.example\r\nBcc: x@y.example"}, "report_recipients.mdr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := store.CheckReportRecipients(tt.in, rg)
			if tt.bad == "" && err != nil || tt.bad != "" && (aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(err.Error(), tt.bad)) {
				t.Fatalf("got %v, want %q", err, tt.bad)
			}
		})
	}
}

func TestReportDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		c := &clock{t: t0}
		db.Now = c.Now
		db.IncidentConfig.Recipients = map[string]string{"gdpr": "mailto:dpa@lda.example"}
		submit := func(id int64, regime, stage string) (store.Obligation, error) {
			var ob store.Obligation
			err := db.InTx(ctx, func(tx *store.Tx) error {
				var err error
				ob, err = tx.SubmitObligation(ctx, s.aAdmin, id, regime, stage, nil, "")
				return err
			})
			return ob, err
		}
		smtpd := notifytest.NewSMTPServer(t)
		worker := &notify.Worker{Outbox: db.Outbox(), Node: "mailer", Now: c.Now,
			Senders: map[string]notify.Sender{notify.Email: &notify.SMTP{Addr: smtpd.Addr, From: "aceso@cert.example"}}}
		drain := func() {
			t.Helper()
			for i := 0; i < 3; i++ {
				if _, err := worker.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		toDPA := func() []notifytest.Mail {
			var out []notifytest.Mail
			for _, m := range smtpd.Mails() {
				if strings.Contains(m.To, "dpa@lda.example") {
					out = append(out, m)
				}
			}
			return out
		}

		// A breach only (not significant for NIS2): GDPR goes to the DPA by mail.
		breach := mustCreate(t, db, s.aAdmin, ransomware(t0), incident.Assessment{PersonalDataBreach: true})
		if breach.SharedWithCSIRT {
			t.Fatal("a GDPR-only incident is shared before anything is sent")
		}
		c.Add(2 * time.Hour)
		ob, err := submit(breach.ID, "gdpr", "notification")
		if err != nil {
			t.Fatal(err)
		}
		drain()
		mails := toDPA()
		if len(mails) != 1 {
			t.Fatalf("DPA got %d mails, want 1", len(mails))
		}
		body := mails[0].Data
		for _, want := range []string{"GDPR notification", "Ransomware on radiology PACS", "St. Anna Hospital", `"regime": "gdpr"`,
			"Submitted at: " + ob.SubmittedAt.UTC().Format(time.RFC3339), "Report as submitted (JSON)"} {
			if !strings.Contains(body, want) {
				t.Errorf("mail lacks %q:\n%s", want, body)
			}
		}
		// Submitting again is refused and sends nothing more; the worker
		// running again neither.
		if _, err := submit(breach.ID, "gdpr", "notification"); aceso.ErrorCode(err) != aceso.ECONFLICT {
			t.Fatalf("second submission: %v", err)
		}
		drain()
		if n := len(toDPA()); n != 1 {
			t.Fatalf("DPA got %d mails after a retry, want 1", n)
		}
		if got, _ := db.Incident(ctx, s.aAdmin, breach.ID, time.Time{}); got.SharedWithCSIRT {
			t.Fatal("mailed GDPR report shared the incident with the CSIRT")
		}

		// A failed submission rolls the mail back with it: a late GDPR
		// notification without a reason enqueues nothing.
		late := mustCreate(t, db, s.aAdmin, ransomware(c.Now()), incident.Assessment{PersonalDataBreach: true})
		c.Add(100 * time.Hour)
		if _, err := submit(late.ID, "gdpr", "notification"); aceso.ErrorCode(err) != aceso.EINVALID {
			t.Fatalf("late without reason: %v", err)
		}
		var queued int
		if err := db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM outbox WHERE dedup_key LIKE 'report:%'").Scan(&queued); err != nil || queued != 1 {
			t.Fatalf("outbox holds %d report mails, %v; want 1", queued, err)
		}

		// "csirt" shares the incident; "none" neither mails nor shares.
		db.IncidentConfig.Recipients = map[string]string{"gdpr": store.RecipientCSIRT}
		shared := mustCreate(t, db, s.aAdmin, ransomware(c.Now()), incident.Assessment{PersonalDataBreach: true})
		if _, err := submit(shared.ID, "gdpr", "notification"); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Incident(ctx, s.aAdmin, shared.ID, time.Time{}); !got.SharedWithCSIRT {
			t.Fatal("gdpr → csirt did not share the incident")
		}
		db.IncidentConfig.Recipients = map[string]string{"gdpr": store.RecipientNone}
		kept := mustCreate(t, db, s.aAdmin, ransomware(c.Now()), incident.Assessment{PersonalDataBreach: true})
		if _, err := submit(kept.ID, "gdpr", "notification"); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Incident(ctx, s.aAdmin, kept.ID, time.Time{}); got.SharedWithCSIRT {
			t.Fatal("gdpr → none shared the incident")
		}
		if err := db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM outbox WHERE dedup_key LIKE 'report:%'").Scan(&queued); err != nil || queued != 1 {
			t.Fatalf("outbox holds %d report mails, want still 1", queued)
		}
		if db.ReportRecipient("nis2") != store.RecipientCSIRT || db.ReportRecipient("mdr") != store.RecipientNone {
			t.Fatalf("defaults: nis2 %q, mdr %q", db.ReportRecipient("nis2"), db.ReportRecipient("mdr"))
		}
	})
}
