package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/store"
)

// demoIncident is one fictitious incident of the demo sector, with times
// relative to loading so that its regulatory clocks are live: one report
// submitted, one due soon, one late.
type demoIncident struct {
	org        string
	awareAgo   time.Duration
	in         incident.Incident
	assessment incident.Assessment
	status     []incident.Status // transitions after creation
	outcome    incident.Outcome  // when the last transition closes
	submit     [][2]string       // regime, stage submitted at loading
	lateReason string
	tasks      []incident.Task
	observe    []incident.Observable
	comment    string
}

var demoIncidents = []demoIncident{
	{
		org: "St. Anna Hospital (demo)", awareAgo: 20 * time.Hour,
		in: incident.Incident{
			Title:       "Ransomware on the radiology PACS (demo)",
			Description: "The night shift found images unavailable and a ransom note on the PACS archive server. Encryption spread to two modality workstations before the VLAN was isolated.",
			TimeZone:    "Europe/Berlin", Severity: incident.SeverityCritical,
			Classification:     incident.Classification{Class: "malicious-code", Type: "infected-system"},
			SuspectedMalicious: incident.Yes, CrossBorder: incident.No, PatientSafety: incident.SafetyPotential,
			ImpactOnCare: incident.ImpactOnCare{ServicesAffected: []string{"radiology", "emergency department"}, AmbulanceDiversion: true, PostponedProcedures: 37, DurationMinutes: 600},
			PersonalData: &incident.PersonalDataBreach{DataCategories: []string{"health data"}, SubjectCategories: []string{"patients"}, ApproxSubjects: 18000, ApproxRecords: 250000},
			ContactPoint: "dpo@st-anna.demo", Mitigation: "PACS VLAN isolated; restore from offline backup in progress.", TLP: incident.TLPAmber,
		},
		assessment: incident.Assessment{SevereOperationalDisruption: true, PersonalDataBreach: true, HighRisk: true},
		status:     []incident.Status{incident.StatusTriage, incident.StatusContainment},
		submit:     [][2]string{{"nis2", "early_warning"}},
		tasks: []incident.Task{
			{Title: "Restore PACS from offline backup", Assignee: "IT operations", Status: incident.TaskInProgress},
			{Title: "Prepare NIS2 notification and GDPR notification", Assignee: "CISO", Status: incident.TaskOpen},
		},
		observe: []incident.Observable{
			{Kind: incident.KindSHA256, Value: "3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea", Note: "encryptor binary"},
			{Kind: incident.KindDomain, Value: "update-check[.]example", Note: "C2 seen in proxy logs"},
			{Kind: incident.KindIP, Value: "198.51.100.23"},
		},
		comment: "Backups of the archive are intact (verified offline copy from Sunday).",
	},
	{
		org: "Klinikum Nord (demo)", awareAgo: 80 * time.Hour,
		in: incident.Incident{
			Title:       "Lost laptop with a ward's patient list (demo)",
			Description: "A ward laptop was left on a train. Its disk was not encrypted; it held an export of the cardiology ward's patient list.",
			Severity:    incident.SeverityMedium, TimeZone: "Europe/Berlin",
			Classification:     incident.Classification{Class: "information-content-security", Type: "data-loss"},
			SuspectedMalicious: incident.No, CrossBorder: incident.No, PatientSafety: incident.SafetyNone,
			PersonalData: &incident.PersonalDataBreach{DataCategories: []string{"health data", "contact details"}, SubjectCategories: []string{"patients"}, ApproxSubjects: 420, ApproxRecords: 420},
			ContactPoint: "datenschutz@klinikum-nord.demo",
		},
		assessment: incident.Assessment{PersonalDataBreach: true},
		status:     []incident.Status{incident.StatusTriage},
		tasks:      []incident.Task{{Title: "Enforce disk encryption on ward laptops", Assignee: "IT security", Status: incident.TaskOpen}},
	},
	{
		org: "Hôpital Saint-Luc (demo)", awareAgo: 6 * time.Hour,
		in: incident.Incident{
			Title:       "Infusion pumps changing rates, tampering suspected (demo)",
			Description: "Three infusion pumps in the ICU changed programmed rates without operator action. The pumps' drug library server received connections from an unknown host.",
			Severity:    incident.SeverityHigh, TimeZone: "Europe/Paris",
			Classification:     incident.Classification{Class: "intrusions", Type: "system-compromise"},
			SuspectedMalicious: incident.Unknown, CrossBorder: incident.Unknown, PatientSafety: incident.SafetyPotential,
			ImpactOnCare: incident.ImpactOnCare{ServicesAffected: []string{"intensive care"}, DurationMinutes: 240},
		},
		assessment: incident.Assessment{ConsiderableDamageToOthers: true},
		status:     []incident.Status{incident.StatusTriage},
		tasks: []incident.Task{
			{Title: "Take affected pumps out of service and quarantine them", Assignee: "biomedical engineering", Status: incident.TaskDone},
			{Title: "Contact the manufacturer's PSIRT", Assignee: "biomedical engineering", Status: incident.TaskOpen},
		},
		observe: []incident.Observable{{Kind: incident.KindIP, Value: "10.20.30.99", Note: "unknown host talking to the drug library server"}},
	},
	{
		org: "St. Anna Hospital (demo)", awareAgo: 40 * 24 * time.Hour,
		in: incident.Incident{
			Title:       "Phishing wave against nursing staff (demo)",
			Description: "Credential phishing e-mails to 60 nurses; two accounts used to send internal spam before being locked.",
			Severity:    incident.SeverityLow, TimeZone: "Europe/Berlin",
			Classification:     incident.Classification{Class: "fraud", Type: "phishing"},
			SuspectedMalicious: incident.Yes, CrossBorder: incident.No, PatientSafety: incident.SafetyNone,
			RootCause: "Credential phishing without second factor on webmail.", Mitigation: "Accounts reset; TOTP enforced for webmail.",
		},
		status:  []incident.Status{incident.StatusContainment, incident.StatusClosed},
		outcome: incident.OutcomeResolved,
		observe: []incident.Observable{{Kind: incident.KindURL, Value: "hxxps://login-st-anna[.]example/owa", Note: "phishing page"}},
	},
}

// loadDemoIncidents adds the demo incidents to the demo hospitals; an
// incident whose title the hospital has already is skipped, so loading
// twice adds nothing.
func loadDemoIncidents(ctx context.Context, db *store.DB, stdout io.Writer) error {
	added := 0
	for _, d := range demoIncidents {
		org, err := db.OrgByName(ctx, d.org)
		if aceso.ErrorCode(err) == aceso.ENOTFOUND {
			continue
		}
		if err != nil {
			return err
		}
		p := access.System
		p.OrgID, p.OrgKind = org.ID, org.Kind
		have, err := db.ListIncidents(ctx, p, store.IncidentFilter{Limit: 500})
		if err != nil {
			return err
		}
		exists := false
		for _, r := range have.Incidents {
			exists = exists || r.Title == d.in.Title
		}
		if exists {
			continue
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			in := d.in
			in.AwareAt = tx.Now().Add(-d.awareAgo).Truncate(time.Minute)
			in.DetectedAt = in.AwareAt.Add(-30 * time.Minute)
			in.Reporter = "demo"
			r, err := tx.CreateIncident(ctx, p, &in, d.assessment)
			if err != nil {
				return err
			}
			for _, o := range d.observe {
				if err := tx.AddObservable(ctx, p, r.ID, &o); err != nil {
					return err
				}
			}
			for _, t := range d.tasks {
				if err := tx.AddTask(ctx, p, r.ID, &t); err != nil {
					return err
				}
			}
			for _, s := range d.submit {
				if _, err := tx.SubmitObligation(ctx, p, r.ID, s[0], s[1], nil, d.lateReason); err != nil {
					return err
				}
			}
			if d.comment != "" {
				if err := tx.AddComment(ctx, p, r.ID, &incident.Comment{Text: d.comment}); err != nil {
					return err
				}
			}
			for i, st := range d.status {
				out := incident.Outcome("")
				if i == len(d.status)-1 {
					out = d.outcome
				}
				if _, err := tx.TransitionIncident(ctx, p, r.ID, st, out); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("demo incident %q: %w", d.in.Title, err)
		}
		added++
	}
	if added > 0 {
		fmt.Fprintf(stdout, "Demo incidents loaded: %d (fictitious), with live NIS2/GDPR clocks.\n", added)
	}
	return nil
}
