package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/store"
)

const incidentUsage = `Usage: aceso incident <action> [flags]

Actions:
  list    --org ORG [--status S] [--regime nis2|gdpr|mdr] [--at-risk] [--limit N]
                        list an organisation's incidents with their next regulatory deadline
  show    ID --org ORG  one incident: deadlines, tasks, observables, timeline
  export  ID --org ORG  the incident as JSON with its obligations and every report
                        (pre-filled, or as submitted)

Every action also takes --db (and --config). Deadlines are computed at the current time.
`

func cmdIncident(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, incidentUsage)
		if len(args) == 0 {
			return usageError{fmt.Errorf("missing action: list, show or export")}
		}
		return nil
	}
	action, rest := args[0], args[1:]
	if action != "list" && action != "show" && action != "export" {
		return usageError{fmt.Errorf("unknown incident action %q (list, show, export)", action)}
	}
	// The id may come before or after the flags.
	idArg := ""
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		idArg, rest = rest[0], rest[1:]
	}
	fs := newFlagSet("incident "+action, "incident "+action+" [ID] --org ORG [flags]", stderr)
	var (
		org, status, regime string
		atRisk              bool
		limit               int
	)
	fs.StringVar(&org, "org", "", "organisation `name`")
	fs.StringVar(&status, "status", "", "only incidents in this `status`")
	fs.StringVar(&regime, "regime", "", "only incidents with an open obligation of this `regime`")
	fs.BoolVar(&atRisk, "at-risk", false, "only incidents with a deadline late or due within 24 h")
	fs.IntVar(&limit, "limit", 50, "at most `N` incidents")
	cfg, err := parseConfig(fs, rest, getenv)
	if err != nil {
		return err
	}
	if idArg == "" && fs.NArg() > 0 {
		idArg = fs.Arg(0)
	}
	if strings.TrimSpace(org) == "" {
		return usageError{fmt.Errorf("incident %s needs --org", action)}
	}
	var id int64
	if action != "list" {
		if id, err = strconv.ParseInt(idArg, 10, 64); err != nil || id <= 0 {
			return usageError{fmt.Errorf("incident %s needs an incident ID, got %q", action, idArg)}
		}
	}
	db, err := openDB(ctx, cfg, cfg.AutoMigrate, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	o, err := db.OrgByName(ctx, org)
	if err != nil {
		return err
	}
	// The CLI acts as Aceso itself, scoped to the named organisation.
	p := access.System
	p.OrgID, p.OrgKind = o.ID, o.Kind
	now := db.Now()

	switch action {
	case "list":
		page, err := db.ListIncidents(ctx, p, store.IncidentFilter{Status: incident.Status(status), Regime: regime, AtRisk: atRisk, Limit: limit, Now: now})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tSEVERITY\tAWARE\tNEXT DEADLINE\tLATE\tTITLE")
		for _, r := range page.Incidents {
			next := "-"
			if n := r.NextDue(); n != nil {
				next = n.Key() + " " + clockText(n.DueAt, now)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", r.ID, r.Status, orHyphen(string(r.Severity)), r.AwareAt.UTC().Format("2006-01-02 15:04Z"), next, r.Late(), r.Title)
		}
		tw.Flush()
		if page.Next != 0 {
			fmt.Fprintf(stdout, "(more incidents: at most --limit %d shown)\n", limit)
		}
	case "show":
		r, err := db.Incident(ctx, p, id, now)
		if err != nil {
			return err
		}
		showIncident(stdout, r, now)
	case "export":
		r, err := db.Incident(ctx, p, id, now)
		if err != nil {
			return err
		}
		reports := map[string]incident.ReportDoc{}
		for _, ob := range r.Obligations {
			if ob.Status == incident.ObligationNotApplicable {
				continue
			}
			doc := incident.Report(&r.Incident, ob.Obligation)
			if len(ob.Snapshot) > 0 {
				if err := json.Unmarshal(ob.Snapshot, &doc); err != nil {
					return aceso.Wrap(aceso.EINTERNAL, err, "incident %d: stored report %s is not a report", id, ob.Key())
				}
			}
			reports[ob.Key()] = doc
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"exported_at": now.UTC(), "incident": r, "reports": reports})
	}
	return nil
}

func clockText(due *time.Time, now time.Time) string {
	if due == nil {
		return "(no fixed deadline)"
	}
	d := due.Sub(now).Round(time.Minute)
	if d < 0 {
		return "LATE by " + (-d).String()
	}
	return "due in " + d.String()
}

func orHyphen(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func showIncident(w io.Writer, r store.Incident, now time.Time) {
	fmt.Fprintf(w, "Incident %d: %s\n", r.ID, r.Title)
	fmt.Fprintf(w, "Status %s%s, severity %s, aware %s, reported by %s\n", r.Status, map[bool]string{true: " (" + string(r.Outcome) + ")", false: ""}[r.Outcome != ""],
		orHyphen(string(r.Severity)), r.AwareAt.UTC().Format(time.RFC3339), r.Reporter)
	if r.Description != "" {
		fmt.Fprintf(w, "\n%s\n", r.Description)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nOBLIGATION\tSTATUS\tDUE\tCLOCK\tARTICLE")
	for _, ob := range r.Obligations {
		if ob.Status == incident.ObligationNotApplicable {
			continue
		}
		due, clock := "-", clockText(ob.DueAt, now)
		if ob.DueAt != nil {
			due = ob.DueAt.UTC().Format("2006-01-02 15:04Z")
		}
		if ob.SubmittedAt != nil {
			clock = "submitted " + ob.SubmittedAt.UTC().Format("2006-01-02 15:04Z")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ob.Key(), ob.Status, due, clock, ob.Article)
	}
	tw.Flush()
	if len(r.Tasks) > 0 {
		fmt.Fprintln(w, "\nTasks:")
		for _, t := range r.Tasks {
			fmt.Fprintf(w, "  [%s] %s %s\n", t.Status, t.Title, orHyphen(t.Assignee))
		}
	}
	if len(r.Observables) > 0 {
		fmt.Fprintln(w, "\nObservables:")
		for _, o := range r.Observables {
			fmt.Fprintf(w, "  %s %s\n", o.Kind, o.Value)
		}
	}
	fmt.Fprintln(w, "\nTimeline:")
	for _, e := range r.Timeline {
		fmt.Fprintf(w, "  %d. %s %s: %s\n", e.Seq, e.At.UTC().Format("2006-01-02 15:04Z"), e.Actor, e.Text)
	}
}
