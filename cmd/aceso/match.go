package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/inventory"
	"github.com/aceso-health/aceso/internal/match"
	"github.com/aceso-health/aceso/internal/ssvc"
)

const matchSynopsis = `match --inventory FILE --advisories PATH [--format table|csv|json] [--all] [--kev FILE]

Matches CSAF advisories against a device inventory offline, without a
database, and prints one line per device and advisory: the status
(affected, possibly_affected for human review, not_affected), confidence,
why, the most relevant remediation and the SSVC deployer priority.`

// matchLine is one output record; its JSON form is the --format json line.
type matchLine struct {
	AssetTag     string      `json:"asset_tag"`
	Manufacturer string      `json:"manufacturer"`
	Model        string      `json:"model"`
	Version      string      `json:"version"`
	AdvisoryID   string      `json:"advisory_id"`
	ProductID    string      `json:"product_id"`
	ProductName  string      `json:"product_name"`
	CVEs         []string    `json:"cves"`
	Status       string      `json:"status"`
	Confidence   float64     `json:"confidence"`
	Reason       string      `json:"reason"`
	Remediation  string      `json:"remediation"`
	SSVC         string      `json:"ssvc"`
	SSVCInputs   ssvc.Inputs `json:"ssvc_inputs"`
	SSVCWhy      string      `json:"ssvc_why"`
}

// runMatch implements `aceso match`. Rejected inventory rows and advisories
// that fail to parse are warnings on stderr; an unreadable inventory or
// advisory path, or a bad flag, is the returned error.
func runMatch(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("match", matchSynopsis, stderr)
	invPath := fs.String("inventory", "", "inventory `FILE`: CSV or XLSX export of the CMMS (columns are recognised by their headers)")
	advPath := fs.String("advisories", "", "advisories `PATH`: a CSAF JSON file, a directory of them (searched recursively) or a .tar.gz archive")
	format := fs.String("format", "table", "output `format`: table (aligned text), csv (header + rows) or json (one JSON object per line)")
	all := fs.Bool("all", false, "also print not_affected findings (devices an advisory names but whose version is fixed or outside the range)")
	kevPath := fs.String("kev", "", "optional CISA Known Exploited Vulnerabilities catalogue `FILE` (JSON); listed CVEs count as actively exploited for SSVC")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{fmt.Errorf("match: %w", err)}
	}
	switch {
	case fs.NArg() > 0:
		return usageError{fmt.Errorf("match: unexpected argument %q", fs.Arg(0))}
	case *invPath == "":
		return usageError{errors.New("match: --inventory is required")}
	case *advPath == "":
		return usageError{errors.New("match: --advisories is required")}
	}
	var write func(*matchLine) error
	var flush func() error
	switch *format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		write = func(l *matchLine) error { return enc.Encode(l) }
		flush = func() error { return nil }
	case "csv":
		cw := csv.NewWriter(stdout)
		if err := cw.Write([]string{"asset_tag", "manufacturer", "model", "version", "advisory_id", "product_id", "cves",
			"status", "confidence", "ssvc", "remediation", "reason"}); err != nil {
			return fmt.Errorf("match: write: %w", err)
		}
		write = func(l *matchLine) error {
			return cw.Write([]string{l.AssetTag, l.Manufacturer, l.Model, l.Version, l.AdvisoryID, l.ProductID,
				strings.Join(l.CVEs, " "), l.Status, strconv.FormatFloat(l.Confidence, 'f', 2, 64), l.SSVC, l.Remediation, l.Reason})
		}
		flush = func() error { cw.Flush(); return cw.Error() }
	case "table":
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ASSET\tMANUFACTURER\tMODEL\tVERSION\tADVISORY\tSTATUS\tCONF\tSSVC\tCVES\tREMEDIATION\tREASON")
		write = func(l *matchLine) error {
			_, err := fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%s\t%s\t%s\t%s\n", cell(l.AssetTag, 20), cell(l.Manufacturer, 24),
				cell(l.Model, 32), cell(l.Version, 14), l.AdvisoryID, l.Status, l.Confidence, l.SSVC, cell(cveList(l.CVEs), 30),
				cell(l.Remediation, 50), cell(l.Reason, 120))
			return err
		}
		flush = tw.Flush
	default:
		return usageError{fmt.Errorf("match: --format %q: want table, csv or json", *format)}
	}

	var kev map[string]bool
	if *kevPath != "" {
		data, err := os.ReadFile(*kevPath)
		if err != nil {
			return aceso.Wrap(aceso.EINVALID, err, "match: cannot read KEV file %s: %v", *kevPath, unwrapPath(err))
		}
		entries, err := advisory.ParseKEV(data)
		if err != nil {
			return fmt.Errorf("match: %s: %w", *kevPath, err)
		}
		kev = make(map[string]bool, len(entries))
		for cve := range entries {
			kev[cve] = true
		}
	}

	if _, err := os.Stat(*advPath); err != nil {
		return aceso.Wrap(aceso.ENOTFOUND, err, "match: cannot read advisories %s: %v", *advPath, unwrapPath(err))
	}
	rr, err := inventory.ReadFile(*invPath, inventory.ReadOptions{})
	if err != nil {
		return fmt.Errorf("match: inventory %s: %w", *invPath, err)
	}
	for _, rej := range rr.Rejected {
		fmt.Fprintf(stderr, "aceso match: warning: inventory %s: %v (row skipped)\n", *invPath, rej)
	}
	devs := make([]inventory.Device, len(rr.Records))
	for i, r := range rr.Records {
		devs[i] = r.Device
	}
	eng := match.New(devs, match.Options{KEV: kev})

	var nAdv, nBad, nAffected, nReview int
	var werr error
	err = advisory.Walk(*advPath, func(a *advisory.Advisory, err error) error {
		if err != nil {
			nBad++
			fmt.Fprintf(stderr, "aceso match: warning: advisory skipped: %v\n", err)
			return nil
		}
		nAdv++
		eng.MatchFunc(a, func(r *match.Result) {
			switch r.Status {
			case match.Affected:
				nAffected++
			case match.PossiblyAffected:
				nReview++
			default:
				if !*all {
					return
				}
			}
			if werr == nil {
				werr = write(lineOf(r))
			}
		})
		return werr
	})
	if err != nil {
		if werr != nil {
			return fmt.Errorf("match: write: %w", werr)
		}
		return fmt.Errorf("match: advisories %s: %w", *advPath, err)
	}
	if err := flush(); err != nil {
		return fmt.Errorf("match: write: %w", err)
	}
	fmt.Fprintf(stderr, "aceso match: %d devices (%d rows rejected), %d advisories (%d unreadable): %d affected, %d possibly affected (review)\n",
		len(devs), len(rr.Rejected), nAdv, nBad, nAffected, nReview)
	return nil
}

func lineOf(r *match.Result) *matchLine {
	d := r.Device
	return &matchLine{
		AssetTag: d.AssetTag, Manufacturer: d.Manufacturer, Model: d.Model, Version: d.Version,
		AdvisoryID: r.AdvisoryID, ProductID: r.ProductID, ProductName: r.ProductName, CVEs: nonNil(r.CVEs),
		Status: string(r.Status), Confidence: r.Confidence, Reason: r.Reason,
		Remediation: remediation(r.Remediations),
		SSVC:        string(r.SSVC.Decision), SSVCInputs: r.SSVC.Inputs, SSVCWhy: r.SSVC.Why,
	}
}

// remediationOrder ranks categories by how much they help the device owner.
var remediationOrder = []string{advisory.RemediationVendorFix, advisory.RemediationMitigation, advisory.RemediationWorkaround,
	advisory.RemediationNoFixPlanned, advisory.RemediationNoneAvailable}

// remediation returns the most relevant remediation as "category: details".
func remediation(rs []advisory.Remediation) string {
	best, rank := -1, len(remediationOrder)+1
	for i, r := range rs {
		k := len(remediationOrder)
		for j, c := range remediationOrder {
			if r.Category == c {
				k = j
				break
			}
		}
		if k < rank {
			best, rank = i, k
		}
	}
	if best < 0 {
		return ""
	}
	r := rs[best]
	text := strings.Join(strings.Fields(r.Details), " ")
	if text == "" {
		text = r.URL
	}
	return r.Category + ": " + text
}

func cveList(cves []string) string {
	if len(cves) <= 2 {
		return strings.Join(cves, " ")
	}
	return fmt.Sprintf("%s +%d", strings.Join(cves[:2], " "), len(cves)-2)
}

// cell shortens s to n runes for the table.
func cell(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// unwrapPath drops the operation and path of an *os.PathError, which the
// message already names.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
