package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
)

// registerAdvisoryAuthorRoutes adds the CSIRT's own advisories: analysts
// write a draft, preview it as CSAF, and publish it; a published advisory
// is stored, matched and served by the CSAF provider like any other.
func (s *Server) registerAdvisoryAuthorRoutes() {
	get, post, put := http.MethodGet, http.MethodPost, http.MethodPut
	analyse := access.ActAnalyse
	api := func(rt Route, h handlerFunc) { rt.API = true; s.handle(rt, h) }

	api(Route{Method: get, Path: "/api/v1/advisory-drafts", Auth: User, Act: analyse, Summary: "The CSIRT's advisory drafts and authored advisories, last changed first (CSIRT analysts)", Resp: "AdvisoryDraftList"}, s.apiDrafts)
	api(Route{Method: post, Path: "/api/v1/advisory-drafts", Auth: User, Act: analyse, Summary: "Start an advisory draft (CSIRT analysts); it may be incomplete, problems are listed", Body: "AdvisoryDraftInput", Resp: "AdvisoryDraft"}, s.apiDraftCreate)
	api(Route{Method: get, Path: "/api/v1/advisory-drafts/{draft}", Auth: User, Act: analyse, Summary: "One advisory draft with what keeps it from being published", Resp: "AdvisoryDraft"}, s.apiDraft)
	api(Route{Method: put, Path: "/api/v1/advisory-drafts/{draft}", Auth: User, Act: analyse, Summary: "Replace a draft's text; send the updated_at you read (editing a published advisory drafts its next revision)", Body: "AdvisoryDraftUpdate", Resp: "AdvisoryDraft"}, s.apiDraftUpdate)
	api(Route{Method: get, Path: "/api/v1/advisory-drafts/{draft}/csaf", Auth: User, Act: analyse, Summary: "The CSAF 2.0 document the draft would publish now (400 listing the problems while it cannot)"}, s.apiDraftCSAF)
	api(Route{Method: post, Path: "/api/v1/advisory-drafts/{draft}/publish", Auth: User, Act: analyse, Summary: "Publish the draft as the next revision: allocates the tracking id, stores and matches the advisory", Body: "AdvisoryDraftPublish", Resp: "AdvisoryDraftPublication"}, s.apiDraftPublish)

	s.handle(Route{Method: get, Path: "/advisories/drafts", Auth: User, Act: analyse}, s.authorListPage)
	s.handle(Route{Method: get, Path: "/advisories/drafts/new", Auth: User, Act: analyse}, s.authorNewPage)
	s.handle(Route{Method: post, Path: "/advisories/drafts", Auth: User, Act: analyse}, s.authorCreateSubmit)
	s.handle(Route{Method: get, Path: "/advisories/drafts/{draft}", Auth: User, Act: analyse}, s.authorEditPage)
	s.handle(Route{Method: post, Path: "/advisories/drafts/{draft}", Auth: User, Act: analyse}, s.authorSaveSubmit)
	s.handle(Route{Method: get, Path: "/advisories/drafts/{draft}/preview", Auth: User, Act: analyse}, s.authorPreviewPage)
	s.handle(Route{Method: post, Path: "/advisories/drafts/{draft}/publish", Auth: User, Act: analyse}, s.authorPublishSubmit)
}

func init() {
	idParams["draft"] = true
	templateFuncs["authorAdd1"] = func(i int) int { return i + 1 }
	templateFuncs["authorNext"] = func(v int) int { return v + 1 }
	templateFuncs["authorTLPClass"] = func(t string) string {
		return "tlp-" + strings.NewReplacer("tlp:", "", "+", "-").Replace(strings.ToLower(t))
	}
	text := func(names ...string) map[string]any {
		m := map[string]any{}
		for _, n := range names {
			m[n] = str
		}
		return m
	}
	strs := arr(str)
	product := text("ref", "vendor", "name", "version", "fixed", "cpe", "purl")
	product["models"] = strs
	vuln := text("cve", "title", "cwe", "cwe_name", "cvss_v3", "cvss_v4", "description")
	vuln["status"] = map[string]any{"type": "object", "description": "product ref → known_affected | fixed | known_not_affected",
		"additionalProperties": map[string]any{"type": "string", "enum": share.DraftStatuses}}
	rem := text("details", "url")
	rem["category"] = map[string]any{"type": "string", "enum": share.DraftRemediationCategories}
	rem["products"] = strs
	ack := text("organization", "summary")
	ack["names"], ack["urls"] = strs, strs
	draft := map[string]any{"title": str, "summary": str, "details": str,
		"tlp":      map[string]any{"type": "string", "enum": []string{"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:RED"}},
		"products": arr(obj(nil, product)), "vulnerabilities": arr(obj(nil, vuln)), "remediations": arr(obj(nil, rem)),
		"references": arr(obj(nil, text("url", "summary"))), "acknowledgments": arr(obj(nil, ack))}
	schemas["AdvisoryDraftInput"] = obj(nil, draft)
	update := map[string]any{"updated_at": when}
	for k, v := range draft {
		update[k] = v
	}
	schemas["AdvisoryDraftUpdate"] = obj([]string{"updated_at"}, update)
	revision := obj(nil, map[string]any{"number": str, "date": when, "summary": str})
	schemas["AdvisoryDraft"] = obj(nil, map[string]any{"id": integer, "org_id": integer, "tracking_id": str,
		"state": map[string]any{"type": "string", "enum": []string{store.DraftStateDraft, store.DraftStatePublished}}, "version": integer,
		"title": str, "tlp": str, "draft": obj(nil, draft), "revision_history": arr(revision), "advisory_id": integer,
		"created_by": str, "created_at": when, "updated_by": str, "updated_at": when, "published_by": str, "published_at": when,
		"problems": strs})
	schemas["AdvisoryDraftList"] = obj(nil, map[string]any{"drafts": arr(ref("AdvisoryDraft"))})
	schemas["AdvisoryDraftPublish"] = obj(nil, map[string]any{"summary": str, "updated_at": when})
	schemas["AdvisoryDraftPublication"] = obj(nil, map[string]any{"draft": ref("AdvisoryDraft"),
		"advisory": obj(nil, map[string]any{"id": integer, "tracking_id": str, "outcome": str}),
		"matched":  obj(nil, map[string]any{"advisories": integer, "new": integer, "updated": integer, "reopened": integer, "resolved": integer, "unchanged": integer})})
}

// authorDraftView is a draft with what keeps it from being published.
type authorDraftView struct {
	store.AdvisoryDraft
	Problems []string `json:"problems"`
}

func authorViewDraft(d store.AdvisoryDraft) authorDraftView {
	v := authorDraftView{AdvisoryDraft: d, Problems: d.Draft.Problems()}
	if v.Problems == nil {
		v.Problems = []string{}
	}
	return v
}

func (s *Server) apiDrafts(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	list, err := s.db.AdvisoryDrafts(r.Context(), p)
	if err != nil {
		return err
	}
	out := make([]authorDraftView, len(list))
	for i, d := range list {
		out[i] = authorViewDraft(d)
	}
	writeJSON(w, http.StatusOK, map[string]any{"drafts": out})
	return nil
}

func (s *Server) authorCreate(ctx context.Context, p access.Principal, d share.Draft) (store.AdvisoryDraft, error) {
	var out store.AdvisoryDraft
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.CreateAdvisoryDraft(ctx, p, d)
		return err
	})
	return out, err
}

func (s *Server) authorUpdate(ctx context.Context, p access.Principal, id int64, d share.Draft, at time.Time) (store.AdvisoryDraft, error) {
	var out store.AdvisoryDraft
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.UpdateAdvisoryDraft(ctx, p, id, d, at)
		return err
	})
	return out, err
}

func (s *Server) apiDraftCreate(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if !isCSIRT(p) {
		return aceso.Errorf(aceso.EFORBIDDEN, "only the CSIRT's analysts write advisories")
	}
	var in share.Draft
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.authorCreate(r.Context(), p, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, authorViewDraft(d))
	return nil
}

func (s *Server) apiDraft(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "draft")
	if err != nil {
		return err
	}
	d, err := s.db.AdvisoryDraft(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, authorViewDraft(d))
	return nil
}

func (s *Server) apiDraftUpdate(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "draft")
	if err != nil {
		return err
	}
	// The draft's owner is checked before the body is read, so another
	// tenant learns nothing from validation messages.
	if _, err := s.db.AdvisoryDraft(r.Context(), p, id); err != nil {
		return err
	}
	var in struct {
		share.Draft
		UpdatedAt time.Time `json:"updated_at"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.authorUpdate(r.Context(), p, id, in.Draft, in.UpdatedAt)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, authorViewDraft(d))
	return nil
}

// authorCSAF renders the preview's advisory as the provider would serve it.
func (s *Server) authorCSAF(r *http.Request, pv store.DraftPreview) ([]byte, error) {
	if pv.Advisory == nil {
		return nil, aceso.Errorf(aceso.EINVALID, "the draft cannot be published yet: %s", strings.Join(pv.Problems, "; "))
	}
	return share.CSAFDocument(pv.Advisory, share.CSAFPublisher{Name: pv.Publisher, Namespace: s.publicBase(r), Engine: s.opt.Version})
}

func (s *Server) apiDraftCSAF(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "draft")
	if err != nil {
		return err
	}
	pv, err := s.db.AdvisoryDraftPreview(r.Context(), p, id, r.URL.Query().Get("summary"))
	if err != nil {
		return err
	}
	data, err := s.authorCSAF(r, pv)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(data)
	return nil
}

// authorPublication is what publishing did, with the matching counts.
type authorPublication struct {
	store.DraftPublication
	Matched store.ApplyCounts `json:"matched"`
}

func (s *Server) authorPublish(ctx context.Context, p access.Principal, id int64, in store.DraftPublish) (authorPublication, error) {
	pub, rep, err := s.db.PublishAdvisoryDraftAndMatch(ctx, p, id, in)
	return authorPublication{DraftPublication: pub, Matched: rep.Total}, err
}

func (s *Server) apiDraftPublish(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "draft")
	if err != nil {
		return err
	}
	if _, err := s.db.AdvisoryDraft(r.Context(), p, id); err != nil {
		return err
	}
	var in store.DraftPublish
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	out, err := s.authorPublish(r.Context(), p, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// The compose form. Without JavaScript a form cannot grow, so it shows the
// draft's blocks plus a few empty ones, and "Add another …" posts the form
// back to render one more (nothing is saved by that).

// authorBlocks are the repeatable blocks: form prefix, the count field and
// the empty blocks a fresh form shows.
var authorBlocks = []struct {
	kind, prefix string
	empty        int
}{{"product", "p", 2}, {"vuln", "v", 1}, {"rem", "r", 2}, {"ref", "f", 2}, {"ack", "a", 1}}

// authorMaxBlocks caps every posted block count (the draft limits are lower
// or equal; the store reports what is over them).
const authorMaxBlocks = 201

// authorPost is one submission of the compose form.
type authorPost struct {
	Draft     share.Draft
	UpdatedAt time.Time
	Action    string         // save | preview | add_product | add_vuln | add_rem | add_ref | add_ack
	Empty     map[string]int // empty blocks to show per kind
}

func authorList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ';' })
}

func authorCount(f url.Values, name string) int {
	n, err := strconv.Atoi(strings.TrimSpace(f.Get(name)))
	if err != nil || n < 0 {
		return 0
	}
	return min(n, authorMaxBlocks)
}

// parseAuthorForm reads the compose form. Blocks left empty are dropped;
// new products get their refs here, so that the statuses and remediations
// can name them once the form is shown again. Statuses and remediation
// products that name a product no longer in the form are dropped.
func parseAuthorForm(f url.Values) (authorPost, error) {
	in := authorPost{Action: strings.TrimSpace(f.Get("action")), Empty: map[string]int{}}
	for _, b := range authorBlocks {
		in.Empty[b.kind] = 1
	}
	if v := strings.TrimSpace(f.Get("updated_at")); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return in, aceso.Errorf(aceso.EINVALID, "updated_at %q is not a time; reload the draft", v)
		}
		in.UpdatedAt = t
	}
	d := &in.Draft
	d.Title, d.TLP, d.Summary, d.Details = f.Get("title"), f.Get("tlp"), f.Get("summary"), f.Get("details")
	seen := map[string]bool{}
	for i := range authorCount(f, "n_product") {
		g := func(k string) string { return strings.TrimSpace(f.Get(fmt.Sprintf("p%d_%s", i, k))) }
		p := share.DraftProduct{Ref: g("ref"), Vendor: g("vendor"), Name: g("name"), Version: g("version"), Fixed: g("fixed"),
			CPE: g("cpe"), PURL: g("purl"), Models: authorList(g("models"))}
		if p.Vendor+p.Name+p.Version+p.Fixed+p.CPE+p.PURL == "" && len(p.Models) == 0 {
			continue
		}
		if !share.ValidDraftRef(p.Ref) || seen[strings.ToUpper(p.Ref)] {
			p.Ref = "" // a fresh block, or a tampered ref: Normalise assigns one
		}
		seen[strings.ToUpper(p.Ref)] = true
		d.Products = append(d.Products, p)
	}
	d.Normalise()
	var refs []string
	for _, p := range d.Products {
		refs = append(refs, p.Ref)
	}
	for i := range authorCount(f, "n_vuln") {
		g := func(k string) string { return strings.TrimSpace(f.Get(fmt.Sprintf("v%d_%s", i, k))) }
		v := share.DraftVulnerability{CVE: g("cve"), Title: g("title"), CWE: g("cwe"), CWEName: g("cwe_name"), CVSS3: g("cvss_v3"),
			CVSS4: g("cvss_v4"), Description: g("description"), Status: map[string]string{}}
		for _, ref := range refs {
			if s := g("status_" + ref); s != "" {
				v.Status[ref] = s
			}
		}
		if v.CVE+v.Title+v.CWE+v.CWEName+v.CVSS3+v.CVSS4+v.Description == "" && len(v.Status) == 0 {
			continue
		}
		d.Vulnerabilities = append(d.Vulnerabilities, v)
	}
	for i := range authorCount(f, "n_rem") {
		k := fmt.Sprintf("r%d_", i)
		r := share.DraftRemediation{Category: strings.TrimSpace(f.Get(k + "category")), Details: strings.TrimSpace(f.Get(k + "details")),
			URL: strings.TrimSpace(f.Get(k + "url"))}
		for _, ref := range f[k+"products"] {
			if slices.Contains(refs, ref) {
				r.Products = append(r.Products, ref)
			}
		}
		if r.Category+r.Details+r.URL == "" {
			continue
		}
		d.Remediations = append(d.Remediations, r)
	}
	for i := range authorCount(f, "n_ref") {
		r := share.DraftReference{URL: strings.TrimSpace(f.Get(fmt.Sprintf("f%d_url", i))), Summary: strings.TrimSpace(f.Get(fmt.Sprintf("f%d_summary", i)))}
		if r.URL+r.Summary != "" {
			d.References = append(d.References, r)
		}
	}
	for i := range authorCount(f, "n_ack") {
		k := fmt.Sprintf("a%d_", i)
		a := share.DraftAcknowledgment{Names: authorList(f.Get(k + "names")), Organization: strings.TrimSpace(f.Get(k + "organization")),
			Summary: strings.TrimSpace(f.Get(k + "summary")), URLs: authorList(f.Get(k + "urls"))}
		if len(a.Names)+len(a.URLs) > 0 || a.Organization+a.Summary != "" {
			d.Acknowledgments = append(d.Acknowledgments, a)
		}
	}
	d.Normalise()
	if kind, ok := strings.CutPrefix(in.Action, "add_"); ok {
		if _, known := in.Empty[kind]; known {
			in.Empty[kind] = max(1, authorCount(f, "empty_"+kind)) + 1
		}
	}
	return in, nil
}

// Form view: one row per block with the names of its fields.

type authorChoice struct {
	Value, Label string
	Selected     bool
}

type authorProduct struct {
	I      int
	P      share.DraftProduct
	Models string
}

type authorVuln struct {
	I      int
	V      share.DraftVulnerability
	Status []authorStatus
}

type authorStatus struct {
	Ref, Label, Value string
}

type authorRem struct {
	I        int
	R        share.DraftRemediation
	Products []authorChoice
}

type authorRef struct {
	I int
	R share.DraftReference
}

type authorAck struct {
	I           int
	A           share.DraftAcknowledgment
	Names, URLs string
}

// authorFormData is the compose form (new draft: Draft.ID is 0).
type authorFormData struct {
	Draft      store.AdvisoryDraft
	UpdatedAt  string
	Form       share.Draft
	Labels     []string
	Statuses   []string
	Categories []string
	Products   []authorProduct
	Vulns      []authorVuln
	Rems       []authorRem
	Refs       []authorRef
	Acks       []authorAck
	Counts     map[string]int // blocks rendered per kind (n_<kind>)
	Empty      map[string]int // empty blocks among them (empty_<kind>)
	Problems   []string
}

// Action is where the form posts.
func (d authorFormData) Action() string {
	if d.Draft.ID == 0 {
		return "/advisories/drafts"
	}
	return "/advisories/drafts/" + itoa(d.Draft.ID)
}

func authorProductLabel(p share.DraftProduct) string {
	l := strings.TrimSpace(p.Vendor + " " + p.Name + " " + p.Version)
	if l == "" {
		return p.Ref
	}
	return p.Ref + " — " + l
}

func newAuthorForm(dr store.AdvisoryDraft, form share.Draft, empty map[string]int) authorFormData {
	d := authorFormData{Draft: dr, Form: form, Statuses: share.DraftStatuses, Categories: share.DraftRemediationCategories,
		Counts: map[string]int{}, Empty: empty}
	for _, l := range share.DraftLabels {
		d.Labels = append(d.Labels, l.String())
	}
	if dr.ID != 0 {
		d.UpdatedAt = dr.UpdatedAt.Format(time.RFC3339Nano)
	}
	for i, p := range form.Products {
		d.Products = append(d.Products, authorProduct{I: i, P: p, Models: strings.Join(p.Models, ", ")})
	}
	for i, v := range form.Vulnerabilities {
		d.Vulns = append(d.Vulns, authorVuln{I: i, V: v})
	}
	for i, r := range form.Remediations {
		d.Rems = append(d.Rems, authorRem{I: i, R: r})
	}
	for i, r := range form.References {
		d.Refs = append(d.Refs, authorRef{I: i, R: r})
	}
	for i, a := range form.Acknowledgments {
		d.Acks = append(d.Acks, authorAck{I: i, A: a, Names: strings.Join(a.Names, ", "), URLs: strings.Join(a.URLs, ", ")})
	}
	for range empty["product"] {
		d.Products = append(d.Products, authorProduct{I: len(d.Products)})
	}
	for range empty["vuln"] {
		d.Vulns = append(d.Vulns, authorVuln{I: len(d.Vulns)})
	}
	for range empty["rem"] {
		d.Rems = append(d.Rems, authorRem{I: len(d.Rems)})
	}
	for range empty["ref"] {
		d.Refs = append(d.Refs, authorRef{I: len(d.Refs)})
	}
	for range empty["ack"] {
		d.Acks = append(d.Acks, authorAck{I: len(d.Acks)})
	}
	// Statuses and remediation products name the products already in the
	// draft; a product typed into an empty block can be named after the
	// next save or "add another".
	for i := range d.Vulns {
		for _, p := range form.Products {
			d.Vulns[i].Status = append(d.Vulns[i].Status, authorStatus{Ref: p.Ref, Label: authorProductLabel(p), Value: d.Vulns[i].V.Status[p.Ref]})
		}
	}
	for i := range d.Rems {
		for _, p := range form.Products {
			d.Rems[i].Products = append(d.Rems[i].Products, authorChoice{Value: p.Ref, Label: authorProductLabel(p), Selected: slices.Contains(d.Rems[i].R.Products, p.Ref)})
		}
	}
	d.Counts["product"], d.Counts["vuln"], d.Counts["rem"], d.Counts["ref"], d.Counts["ack"] = len(d.Products), len(d.Vulns), len(d.Rems), len(d.Refs), len(d.Acks)
	return d
}

func (s *Server) renderAuthorForm(w http.ResponseWriter, r *http.Request, status int, errMsg, flash string, d authorFormData) error {
	title := "New advisory"
	if d.Draft.ID != 0 {
		title = "Edit advisory draft"
		if d.Draft.TrackingID != "" {
			title = "Edit " + d.Draft.TrackingID
		}
	}
	if status != http.StatusOK {
		w.WriteHeader(status)
	}
	s.render(w, r, "author-form", page{Title: title, Nav: "advisories", Error: errMsg, Flash: flash, Data: d})
	return nil
}

// authorDrafts is the list page.
type authorDrafts struct {
	Drafts []authorDraftView
}

func (s *Server) authorListPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	list, err := s.db.AdvisoryDrafts(r.Context(), p)
	if err != nil {
		return err
	}
	d := authorDrafts{}
	for _, x := range list {
		d.Drafts = append(d.Drafts, authorViewDraft(x))
	}
	s.render(w, r, "author-drafts", page{Title: "Advisories written by the CSIRT", Nav: "advisories", Flash: r.URL.Query().Get("flash"), Data: d})
	return nil
}

func (s *Server) authorNewPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if !isCSIRT(p) {
		return aceso.Errorf(aceso.EFORBIDDEN, "only the CSIRT's analysts write advisories")
	}
	empty := map[string]int{}
	for _, b := range authorBlocks {
		empty[b.kind] = b.empty
	}
	return s.renderAuthorForm(w, r, http.StatusOK, "", "", newAuthorForm(store.AdvisoryDraft{}, share.Draft{TLP: share.TLPAmber.String()}, empty))
}

// authorSaved redirects after a save: to the preview when asked for.
func authorSaved(w http.ResponseWriter, r *http.Request, d store.AdvisoryDraft, action string) error {
	if action == "preview" {
		return seeOther(w, r, "/advisories/drafts/"+itoa(d.ID)+"/preview")
	}
	return seeOther(w, r, "/advisories/drafts/"+itoa(d.ID)+"?flash="+url.QueryEscape("Draft saved."))
}

func (s *Server) authorCreateSubmit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if !isCSIRT(p) {
		return aceso.Errorf(aceso.EFORBIDDEN, "only the CSIRT's analysts write advisories")
	}
	if _, err := formValue(r, "title"); err != nil {
		return err
	}
	in, err := parseAuthorForm(r.PostForm)
	if err != nil {
		return err
	}
	if strings.HasPrefix(in.Action, "add_") {
		return s.renderAuthorForm(w, r, http.StatusOK, "", "", newAuthorForm(store.AdvisoryDraft{}, in.Draft, in.Empty))
	}
	d, err := s.authorCreate(r.Context(), p, in.Draft)
	if aceso.ErrorCode(err) == aceso.EINVALID {
		return s.renderAuthorForm(w, r, http.StatusBadRequest, aceso.ErrorMessage(err), "", newAuthorForm(store.AdvisoryDraft{}, in.Draft, in.Empty))
	}
	if err != nil {
		return err
	}
	return authorSaved(w, r, d, in.Action)
}

func (s *Server) authorEditPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "draft")
	if err != nil {
		return err
	}
	dr, err := s.db.AdvisoryDraft(r.Context(), p, id)
	if err != nil {
		return err
	}
	empty := map[string]int{}
	for _, b := range authorBlocks {
		empty[b.kind] = 1
	}
	d := newAuthorForm(dr, dr.Draft, empty)
	d.Problems = dr.Draft.Problems()
	return s.renderAuthorForm(w, r, http.StatusOK, "", r.URL.Query().Get("flash"), d)
}

func (s *Server) authorSaveSubmit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "draft")
	if err != nil {
		return err
	}
	dr, err := s.db.AdvisoryDraft(r.Context(), p, id)
	if err != nil {
		return err
	}
	if _, err := formValue(r, "title"); err != nil {
		return err
	}
	in, err := parseAuthorForm(r.PostForm)
	if err != nil {
		return err
	}
	if strings.HasPrefix(in.Action, "add_") {
		d := newAuthorForm(dr, in.Draft, in.Empty)
		d.UpdatedAt = r.PostFormValue("updated_at") // keep the version the editor started from
		return s.renderAuthorForm(w, r, http.StatusOK, "", "", d)
	}
	saved, err := s.authorUpdate(r.Context(), p, id, in.Draft, in.UpdatedAt)
	if c := aceso.ErrorCode(err); c == aceso.EINVALID || c == aceso.ECONFLICT {
		d := newAuthorForm(dr, in.Draft, in.Empty)
		d.UpdatedAt = r.PostFormValue("updated_at")
		return s.renderAuthorForm(w, r, statusOf[c], aceso.ErrorMessage(err), "", d)
	}
	if err != nil {
		return err
	}
	return authorSaved(w, r, saved, in.Action)
}

// authorPreviewData is the preview: the readable advisory, its CSAF JSON
// and the publish form.
type authorPreviewData struct {
	P         store.DraftPreview
	View      *authorAdvisory
	CSAF      string
	UpdatedAt string
	Summary   string
}

// authorAdvisory is the readable rendering of an advisory to publish.
type authorAdvisory struct {
	A        *advisory.Advisory
	Summary  string
	Details  string
	Products []advisory.Product
	Vulns    []authorVulnView
}

type authorVulnView struct {
	V            advisory.Vulnerability
	Description  string
	Statuses     []authorStatus // product name and status
	Remediations []authorStatus // category, details, products
}

func authorViewAdvisory(a *advisory.Advisory) *authorAdvisory {
	v := &authorAdvisory{A: a, Products: a.Products}
	for _, n := range a.Notes {
		switch n.Category {
		case "summary":
			v.Summary = n.Text
		case "details":
			v.Details = n.Text
		}
	}
	name := func(id string) string {
		if p := a.Product(id); p != nil {
			return p.FullName
		}
		return id
	}
	for _, x := range a.Vulnerabilities {
		vv := authorVulnView{V: x}
		for _, n := range x.Notes {
			if n.Category == "description" {
				vv.Description = n.Text
			}
		}
		for _, st := range share.DraftStatuses {
			for _, id := range x.ProductStatus[st] {
				vv.Statuses = append(vv.Statuses, authorStatus{Ref: id, Label: name(id), Value: st})
			}
		}
		for _, rm := range x.Remediations {
			var names []string
			for _, id := range rm.ProductIDs {
				names = append(names, name(id))
			}
			vv.Remediations = append(vv.Remediations, authorStatus{Ref: rm.Category, Label: rm.Details, Value: strings.Join(names, "; ")})
		}
		v.Vulns = append(v.Vulns, vv)
	}
	return v
}

func (s *Server) renderAuthorPreview(w http.ResponseWriter, r *http.Request, p access.Principal, status int, errMsg, summary string) error {
	id, err := pathID(r, "draft")
	if err != nil {
		return err
	}
	pv, err := s.db.AdvisoryDraftPreview(r.Context(), p, id, summary)
	if err != nil {
		return err
	}
	d := authorPreviewData{P: pv, UpdatedAt: pv.Draft.UpdatedAt.Format(time.RFC3339Nano), Summary: summary}
	if pv.Advisory != nil {
		d.View = authorViewAdvisory(pv.Advisory)
		data, err := s.authorCSAF(r, pv)
		if err != nil {
			return err
		}
		d.CSAF = string(data)
	}
	if status != http.StatusOK {
		w.WriteHeader(status)
	}
	title := "Preview: " + pv.TrackingID
	s.render(w, r, "author-preview", page{Title: title, Nav: "advisories", Error: errMsg, Flash: r.URL.Query().Get("flash"), Data: d})
	return nil
}

func (s *Server) authorPreviewPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.renderAuthorPreview(w, r, p, http.StatusOK, "", "")
}

func (s *Server) authorPublishSubmit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "draft")
	if err != nil {
		return err
	}
	if _, err := s.db.AdvisoryDraft(r.Context(), p, id); err != nil {
		return err
	}
	summary, err := formValue(r, "summary")
	if err != nil {
		return err
	}
	in := store.DraftPublish{Summary: summary}
	if v := strings.TrimSpace(r.PostFormValue("updated_at")); v != "" {
		if in.UpdatedAt, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return aceso.Errorf(aceso.EINVALID, "updated_at %q is not a time; reload the preview", v)
		}
	}
	out, err := s.authorPublish(r.Context(), p, id, in)
	if c := aceso.ErrorCode(err); c == aceso.EINVALID || c == aceso.ECONFLICT {
		return s.renderAuthorPreview(w, r, p, statusOf[c], aceso.ErrorMessage(err), summary)
	}
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Published %s revision %d: %d new findings, %d closed as remediated.", out.Draft.TrackingID, out.Draft.Version, out.Matched.New, out.Matched.Resolved)
	return seeOther(w, r, "/advisories/"+itoa(out.Import.ID)+"?flash="+url.QueryEscape(msg))
}
