package incident

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ReportDoc is a regulatory report pre-filled from the incident: one labelled
// item per content point the article requires, in the article's order. The
// reporter edits the values, and the edited document becomes the Snapshot
// given to Submit.
type ReportDoc struct {
	Regime        string       `json:"regime"`
	Stage         string       `json:"stage"`
	Title         string       `json:"title"`
	Article       string       `json:"article"`
	IncidentID    int64        `json:"incident_id"`
	OrgID         int64        `json:"org_id"`
	IncidentTitle string       `json:"incident_title"`
	AwareAt       time.Time    `json:"aware_at"`
	DueAt         *time.Time   `json:"due_at,omitempty"`
	Items         []ReportItem `json:"items"`
}

// ReportItem is one content point of a report. Missing marks a point the
// incident record cannot answer yet, so the form asks the reporter for it.
type ReportItem struct {
	Key     string `json:"key"`
	Ref     string `json:"ref"` // the article point, e.g. "Art. 23(4)(d)(ii)"
	Label   string `json:"label"`
	Value   string `json:"value"`
	Missing bool   `json:"missing,omitempty"`
}

// Item returns the item with the given key, for callers that fill one in.
func (d *ReportDoc) Item(key string) (*ReportItem, bool) {
	for i := range d.Items {
		if d.Items[i].Key == key {
			return &d.Items[i], true
		}
	}
	return nil, false
}

// Report pre-fills the report an obligation requires: NIS2 Art. 23(4)(a)–(e),
// GDPR Art. 33(3)(a)–(d) and 34(2), MDR Art. 87. A stage this package does
// not know gets the incident's description and impact.
func Report(in *Incident, ob Obligation) ReportDoc {
	d := ReportDoc{
		Regime: ob.Regime, Stage: ob.Stage, Title: ob.Title, Article: ob.Article,
		IncidentID: in.ID, OrgID: in.OrgID, IncidentTitle: in.Title, AwareAt: in.AwareAt, DueAt: ob.DueAt,
	}
	add := func(key, ref, label, value string, required bool) {
		v := strings.TrimSpace(value)
		d.Items = append(d.Items, ReportItem{Key: key, Ref: ref, Label: label, Value: v, Missing: required && v == ""})
	}
	switch ob.Regime + "/" + ob.Stage {
	case "nis2/early_warning":
		add("suspected_malicious", "Art. 23(4)(a)", "Is the significant incident suspected of being caused by unlawful or malicious acts?", tri(in.SuspectedMalicious), true)
		add("cross_border", "Art. 23(4)(a)", "Could the incident have a cross-border impact?", tri(in.CrossBorder), true)
	case "nis2/notification":
		ewUpdate := ""
		if in.SuspectedMalicious != "" || in.CrossBorder != "" {
			ewUpdate = "Suspected malicious: " + orDash(tri(in.SuspectedMalicious)) + ". Cross-border impact: " + orDash(tri(in.CrossBorder)) + "."
		}
		add("early_warning_update", "Art. 23(4)(b)", "Update of the information in the early warning", ewUpdate, true)
		add("initial_assessment", "Art. 23(4)(b)", "Initial assessment of the significant incident", assessment(in), true)
		add("severity", "Art. 23(4)(b)", "Severity", string(in.Severity), true)
		add("impact", "Art. 23(4)(b)", "Impact", impact(in), true)
		add("indicators_of_compromise", "Art. 23(4)(b)", "Indicators of compromise, where available", observables(in), false)
	case "nis2/intermediate_report":
		add("status_update", "Art. 23(4)(c)", "Relevant status updates", statusUpdate(in), true)
	case "nis2/final_report":
		add("description", "Art. 23(4)(d)(i)", "Detailed description of the incident, including its severity and impact",
			join(in.Description, severityLine(in), impact(in)), true)
		// Severity and impact alone are not the detailed description.
		d.Items[len(d.Items)-1].Missing = strings.TrimSpace(in.Description) == ""
		add("root_cause", "Art. 23(4)(d)(ii)", "Type of threat or root cause that is likely to have triggered the incident",
			join(classification(in), in.RootCause), true)
		add("mitigation", "Art. 23(4)(d)(iii)", "Applied and ongoing mitigation measures", in.Mitigation, true)
		add("cross_border_impact", "Art. 23(4)(d)(iv)", "Cross-border impact, where applicable", tri(in.CrossBorder), false)
	case "nis2/progress_report":
		add("progress", "Art. 23(4)(e)", "Progress report: the incident is still ongoing", statusUpdate(in), true)
		add("mitigation", "Art. 23(4)(e)", "Mitigation measures so far", in.Mitigation, true)
	case "gdpr/notification":
		pd := in.PersonalData
		if pd == nil {
			pd = &PersonalDataBreach{}
		}
		add("nature", "Art. 33(3)(a)", "Nature of the personal data breach", join(classification(in), in.Description), true)
		add("subject_categories", "Art. 33(3)(a)", "Categories of data subjects concerned", strings.Join(pd.SubjectCategories, ", "), true)
		add("approx_subjects", "Art. 33(3)(a)", "Approximate number of data subjects concerned", count(pd.ApproxSubjects), true)
		add("data_categories", "Art. 33(3)(a)", "Categories of personal data records concerned", strings.Join(pd.DataCategories, ", "), true)
		add("approx_records", "Art. 33(3)(a)", "Approximate number of personal data records concerned", count(pd.ApproxRecords), true)
		add("contact_point", "Art. 33(3)(b)", "Name and contact details of the data protection officer or other contact point", in.ContactPoint, true)
		add("likely_consequences", "Art. 33(3)(c)", "Likely consequences of the personal data breach", consequences(in), true)
		add("measures", "Art. 33(3)(d)", "Measures taken or proposed to address the breach, including to mitigate its possible adverse effects", in.Mitigation, true)
		if ob.Status == ObligationLate || ob.LateReason != "" {
			add("reasons_for_delay", "Art. 33(1)", "Reasons for the delay (notified after 72 hours)", ob.LateReason, true)
		}
	case "gdpr/data_subject_communication":
		add("nature", "Art. 34(2)", "Nature of the personal data breach, in clear and plain language", in.Description, true)
		add("contact_point", "Art. 34(2), 33(3)(b)", "Name and contact details of the data protection officer or other contact point", in.ContactPoint, true)
		add("likely_consequences", "Art. 34(2), 33(3)(c)", "Likely consequences of the personal data breach", consequences(in), true)
		add("measures", "Art. 34(2), 33(3)(d)", "Measures taken or proposed to address the breach and mitigate its adverse effects", in.Mitigation, true)
	case "mdr/public_health_threat_report", "mdr/death_or_deterioration_report", "mdr/serious_incident_report":
		add("devices", "Art. 87(1)", "Devices concerned (inventory ids)", ids(in.DeviceIDs), true)
		add("description", "Art. 87(1)", "Description of the serious incident", in.Description, true)
		add("patient_outcome", "Art. 87(1)", "Outcome for patients (death, serious deterioration of health, none)", string(in.PatientSafety), true)
		add("actions", "Art. 87(1)", "Field safety corrective action taken or planned", in.Mitigation, false)
	default:
		add("description", ob.Article, "Description of the incident", in.Description, true)
		add("impact", ob.Article, "Impact", impact(in), true)
	}
	return d
}

func tri(t Tristate) string {
	if t == "" {
		return ""
	}
	return string(t)
}

func severityLine(in *Incident) string {
	if in.Severity == "" {
		return ""
	}
	return "Severity: " + string(in.Severity) + "."
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func join(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, "\n")
}

func count(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func ids(v []int64) string {
	s := make([]string, len(v))
	for i, id := range v {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}

func classification(in *Incident) string {
	c, t, ok := RSIT().Lookup(in.Classification.Class, in.Classification.Type)
	if !ok {
		return ""
	}
	return fmt.Sprintf("RSIT %s / %s (%s/%s)", c.Name, t.Name, c.Class, t.Type)
}

func assessment(in *Incident) string {
	return join(classification(in), in.Description)
}

// impact summarises the effect on care; an empty impact record yields "".
func impact(in *Incident) string {
	ic := in.ImpactOnCare
	var p []string
	if len(ic.ServicesAffected) > 0 {
		p = append(p, "Services affected: "+strings.Join(ic.ServicesAffected, ", ")+".")
	}
	if ic.AmbulanceDiversion {
		p = append(p, "Ambulances diverted.")
	}
	if ic.PostponedProcedures > 0 {
		p = append(p, strconv.Itoa(ic.PostponedProcedures)+" procedures postponed.")
	}
	if ic.DurationMinutes > 0 {
		p = append(p, "Duration: "+(time.Duration(ic.DurationMinutes)*time.Minute).String()+".")
	}
	if in.PatientSafety != "" {
		p = append(p, "Patient safety: "+string(in.PatientSafety)+".")
	}
	return strings.Join(p, " ")
}

func consequences(in *Incident) string {
	if in.PatientSafety == "" || in.PatientSafety == SafetyNone {
		return ""
	}
	return "Patient safety: " + string(in.PatientSafety) + "."
}

func observables(in *Incident) string {
	s := make([]string, len(in.Observables))
	for i, o := range in.Observables {
		s[i] = o.Kind + ": " + o.Value
	}
	return strings.Join(s, "\n")
}

func statusUpdate(in *Incident) string {
	lines := []string{"Status: " + string(in.Status) + "."}
	// The last few timeline entries are what changed recently.
	from := max(0, len(in.Timeline)-5)
	for _, e := range in.Timeline[from:] {
		lines = append(lines, e.At.UTC().Format(time.RFC3339)+" "+e.Text)
	}
	return strings.Join(lines, "\n")
}
