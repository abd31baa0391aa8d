// Package ssvc decides how urgently a hospital should patch a device with the
// CERT/CC SSVC deployer "patch application priority" decision table, and
// derives its inputs from the device's clinical function and network zone.
package ssvc

import (
	"fmt"
	"strings"

	"github.com/aceso-health/aceso/internal/inventory"
)

// Exploitation is the SSVC "Exploitation" decision point: the present state
// of exploitation of the vulnerability.
type Exploitation string

// Exploitation values.
const (
	ExploitationNone   Exploitation = "none"
	ExploitationPoC    Exploitation = "poc"
	ExploitationActive Exploitation = "active"
)

// Exposure is the SSVC "System Exposure" decision point: how reachable the
// device is for an attacker.
type Exposure string

// Exposure values.
const (
	ExposureSmall      Exposure = "small"
	ExposureControlled Exposure = "controlled"
	ExposureOpen       Exposure = "open"
)

// Automatable is the SSVC "Automatable" decision point: can an attacker
// reliably automate steps 1–4 of the kill chain.
type Automatable string

// Automatable values.
const (
	AutomatableNo  Automatable = "no"
	AutomatableYes Automatable = "yes"
)

// HumanImpact is the SSVC "Human Impact" decision point, the combination of
// safety and mission impact.
type HumanImpact string

// Human impact values.
const (
	HumanLow      HumanImpact = "low"
	HumanMedium   HumanImpact = "medium"
	HumanHigh     HumanImpact = "high"
	HumanVeryHigh HumanImpact = "very high"
)

// Mission impact values of SSVC (Mission Impact v2).
const (
	MissionDegraded           = "degraded"
	MissionMEFSupportCrippled = "MEF support crippled"
	MissionMEFFailure         = "MEF failure"
	MissionFailure            = "mission failure"
)

// Decision is the deployer's patch application priority.
type Decision string

// Decisions, from least to most urgent.
const (
	Defer      Decision = "Defer"
	Scheduled  Decision = "Scheduled"
	OutOfCycle Decision = "Out-of-Cycle"
	Immediate  Decision = "Immediate"
)

// Rank orders decisions (Defer 0 … Immediate 3, unknown -1) so callers can
// sort findings by urgency.
func (d Decision) Rank() int {
	switch d {
	case Defer:
		return 0
	case Scheduled:
		return 1
	case OutOfCycle:
		return 2
	case Immediate:
		return 3
	}
	return -1
}

// Inputs are the decision points of one decision. The *From fields say where
// each value came from (e.g. "CISA KEV", "zone hospital-lan") so that the
// priority can be explained to the analyst; they are optional.
type Inputs struct {
	Exploitation     Exploitation           `json:"exploitation"`
	Exposure         Exposure               `json:"exposure"`
	Automatable      Automatable            `json:"automatable"`
	SafetyImpact     inventory.SafetyImpact `json:"safety_impact,omitempty"`
	MissionImpact    string                 `json:"mission_impact,omitempty"`
	Human            HumanImpact            `json:"human_impact"`
	ExploitationFrom string                 `json:"exploitation_from,omitempty"`
	ExposureFrom     string                 `json:"exposure_from,omitempty"`
	AutomatableFrom  string                 `json:"automatable_from,omitempty"`
	SafetyFrom       string                 `json:"safety_from,omitempty"`
	MissionFrom      string                 `json:"mission_from,omitempty"`
}

// Result is a decision with the inputs actually used (defaults filled in)
// and a sentence that lists every input and its origin.
type Result struct {
	Decision Decision `json:"decision"`
	Inputs   Inputs   `json:"inputs"`
	Why      string   `json:"why"`
}

// deployerTable is the SSVC deployer patch application priority table,
// CERT/CC SSVC repository data/csv/ssvc/deployer_patch_application_priority_1_0_0.csv
// (Exploitation v1.1.0 × System Exposure v1.0.1 × Automatable v2.0.0 × Human
// Impact v2.0.2; the "v2.0 deployer tree" of the SSVC documentation). The key
// order is exploitation, exposure, automatable; the four values are the
// decisions for human impact low, medium, high, very high.
var deployerTable = map[[3]string][4]Decision{
	{"none", "small", "no"}:         {Defer, Defer, Scheduled, Scheduled},
	{"none", "small", "yes"}:        {Defer, Scheduled, Scheduled, Scheduled},
	{"none", "controlled", "no"}:    {Defer, Scheduled, Scheduled, Scheduled},
	{"none", "controlled", "yes"}:   {Scheduled, Scheduled, Scheduled, Scheduled},
	{"none", "open", "no"}:          {Defer, Scheduled, Scheduled, Scheduled},
	{"none", "open", "yes"}:         {Scheduled, Scheduled, Scheduled, OutOfCycle},
	{"poc", "small", "no"}:          {Defer, Scheduled, Scheduled, Scheduled},
	{"poc", "small", "yes"}:         {Scheduled, Scheduled, Scheduled, Scheduled},
	{"poc", "controlled", "no"}:     {Defer, Scheduled, Scheduled, Scheduled},
	{"poc", "controlled", "yes"}:    {Scheduled, Scheduled, Scheduled, OutOfCycle},
	{"poc", "open", "no"}:           {Scheduled, Scheduled, Scheduled, OutOfCycle},
	{"poc", "open", "yes"}:          {Scheduled, Scheduled, OutOfCycle, OutOfCycle},
	{"active", "small", "no"}:       {Scheduled, Scheduled, OutOfCycle, OutOfCycle},
	{"active", "small", "yes"}:      {Scheduled, OutOfCycle, OutOfCycle, OutOfCycle},
	{"active", "controlled", "no"}:  {Scheduled, Scheduled, OutOfCycle, OutOfCycle},
	{"active", "controlled", "yes"}: {OutOfCycle, OutOfCycle, OutOfCycle, OutOfCycle},
	{"active", "open", "no"}:        {Scheduled, OutOfCycle, OutOfCycle, Immediate},
	{"active", "open", "yes"}:       {OutOfCycle, OutOfCycle, Immediate, Immediate},
}

// humanImpactTable is the SSVC Human Impact table, CERT/CC SSVC
// data/csv/ssvc/human_impact_1_0_0.csv: safety impact (rows) × mission impact
// (degraded, MEF support crippled, MEF failure, mission failure).
var humanImpactTable = map[inventory.SafetyImpact][4]HumanImpact{
	inventory.SafetyNegligible:   {HumanLow, HumanLow, HumanMedium, HumanVeryHigh},
	inventory.SafetyMarginal:     {HumanLow, HumanLow, HumanMedium, HumanVeryHigh},
	inventory.SafetyCritical:     {HumanMedium, HumanHigh, HumanHigh, HumanVeryHigh},
	inventory.SafetyCatastrophic: {HumanVeryHigh, HumanVeryHigh, HumanVeryHigh, HumanVeryHigh},
}

// Defaults used when an input is missing. SSVC asks for an explicit, evidence
// based assumption instead of "unknown"; these lean to the cautious side for
// a hospital, and Why always says when one was used.
const (
	defaultSafety  = inventory.SafetyCritical // an unclassified device in a hospital may touch patients
	defaultMission = MissionMEFSupportCrippled
)

// HumanImpactFor returns the SSVC human impact of a safety and mission
// impact, and false when either value is not an SSVC value.
func HumanImpactFor(safety inventory.SafetyImpact, mission string) (HumanImpact, bool) {
	row, ok := humanImpactTable[inventory.SafetyImpact(strings.ToLower(strings.TrimSpace(string(safety))))]
	if !ok {
		return "", false
	}
	i := missionIndex(mission)
	if i < 0 {
		return "", false
	}
	return row[i], true
}

func missionIndex(m string) int {
	switch strings.ToLower(strings.Join(strings.Fields(m), " ")) {
	case "degraded", "none", "non-essential degraded":
		return 0
	case "mef support crippled", "crippled":
		return 1
	case "mef failure":
		return 2
	case "mission failure":
		return 3
	}
	return -1
}

// normExploitation accepts the SSVC spellings ("PoC", "public poc").
func normExploitation(e Exploitation) (Exploitation, bool) {
	switch strings.ToLower(strings.TrimSpace(string(e))) {
	case "none":
		return ExploitationNone, true
	case "poc", "public poc", "public-poc":
		return ExploitationPoC, true
	case "active":
		return ExploitationActive, true
	}
	return ExploitationNone, false
}

func normExposure(e Exposure) (Exposure, bool) {
	switch strings.ToLower(strings.TrimSpace(string(e))) {
	case "small":
		return ExposureSmall, true
	case "controlled":
		return ExposureControlled, true
	case "open", "unavoidable":
		return ExposureOpen, true
	}
	return ExposureControlled, false
}

func normAutomatable(a Automatable) (Automatable, bool) {
	switch strings.ToLower(strings.TrimSpace(string(a))) {
	case "no":
		return AutomatableNo, true
	case "yes":
		return AutomatableYes, true
	}
	return AutomatableNo, false
}

func normHuman(h HumanImpact) (HumanImpact, bool) {
	switch strings.ToLower(strings.Join(strings.Fields(string(h)), " ")) {
	case "low":
		return HumanLow, true
	case "medium":
		return HumanMedium, true
	case "high":
		return HumanHigh, true
	case "very high", "very-high", "veryhigh":
		return HumanVeryHigh, true
	}
	return "", false
}

func humanIndex(h HumanImpact) int {
	switch h {
	case HumanLow:
		return 0
	case HumanMedium:
		return 1
	case HumanHigh:
		return 2
	}
	return 3
}

// Decide applies the deployer table. Missing or unrecognised inputs get the
// documented defaults (exploitation none, exposure controlled, automatable
// no, safety critical, mission "MEF support crippled"); Human is derived from
// safety × mission when empty. Why names every value and where it came from.
func Decide(in Inputs) Result {
	var why []string
	src := func(from, fallback string) string {
		if from != "" {
			return from
		}
		return fallback
	}

	ex, ok := normExploitation(in.Exploitation)
	exFrom := src(in.ExploitationFrom, "given")
	if !ok {
		exFrom = assumed(in.Exploitation, "no evidence of exploitation")
	}
	in.Exploitation = ex
	why = append(why, fmt.Sprintf("exploitation %s (%s)", ex, exFrom))

	xp, ok := normExposure(in.Exposure)
	xpFrom := src(in.ExposureFrom, "given")
	if !ok {
		xpFrom = assumed(in.Exposure, "network zone unknown")
	}
	in.Exposure = xp
	why = append(why, fmt.Sprintf("exposure %s (%s)", xp, xpFrom))

	au, ok := normAutomatable(in.Automatable)
	auFrom := src(in.AutomatableFrom, "given")
	if !ok {
		auFrom = assumed(in.Automatable, "no CVSS vector")
	}
	in.Automatable = au
	why = append(why, fmt.Sprintf("automatable %s (%s)", au, auFrom))

	if h, ok := normHuman(in.Human); ok {
		in.Human = h
		why = append(why, fmt.Sprintf("human impact %s (given)", h))
	} else {
		safety := inventory.SafetyImpact(strings.ToLower(strings.TrimSpace(string(in.SafetyImpact))))
		safetyFrom := src(in.SafetyFrom, "given")
		if _, ok := humanImpactTable[safety]; !ok {
			safetyFrom = assumed(string(in.SafetyImpact), "safety impact not set, assumed for a hospital device")
			safety = defaultSafety
		}
		mission := in.MissionImpact
		missionFrom := src(in.MissionFrom, "given")
		if i := missionIndex(mission); i < 0 {
			missionFrom = assumed(mission, "mission impact not set")
			mission = defaultMission
		} else {
			mission = [...]string{MissionDegraded, MissionMEFSupportCrippled, MissionMEFFailure, MissionFailure}[i]
		}
		in.SafetyImpact, in.MissionImpact = safety, mission
		in.SafetyFrom, in.MissionFrom = safetyFrom, missionFrom
		in.Human, _ = HumanImpactFor(safety, mission)
		why = append(why, fmt.Sprintf("human impact %s (safety %s from %s × mission %s from %s)",
			in.Human, safety, safetyFrom, mission, missionFrom))
	}
	in.ExploitationFrom, in.ExposureFrom, in.AutomatableFrom = exFrom, xpFrom, auFrom

	d := deployerTable[[3]string{string(ex), string(xp), string(au)}][humanIndex(in.Human)]
	return Result{
		Decision: d,
		Inputs:   in,
		Why:      fmt.Sprintf("SSVC deployer: %s → %s", strings.Join(why, "; "), d),
	}
}

func assumed[T ~string](v T, reason string) string {
	if strings.TrimSpace(string(v)) == "" {
		return "default: " + reason
	}
	return fmt.Sprintf("default: %q is not an SSVC value", string(v))
}

// ExposureForZone maps a network zone to SSVC System Exposure: an isolated
// device is small, a device reachable inside the hospital is controlled, one
// reachable from outside is open. An unknown zone is treated as controlled,
// the usual case for a hospital device; ExposureSource also says why.
func ExposureForZone(z inventory.Zone) Exposure {
	e, _ := exposureForZone(z)
	return e
}

// ExposureSource returns the exposure of a zone and a short note saying
// where it came from, for Inputs.ExposureFrom.
func ExposureSource(z inventory.Zone) (Exposure, string) {
	return exposureForZone(z)
}

func exposureForZone(z inventory.Zone) (Exposure, string) {
	switch z {
	case inventory.ZoneIsolated:
		return ExposureSmall, "zone isolated"
	case inventory.ZoneClinicalSegment, inventory.ZoneHospitalLAN:
		return ExposureControlled, "zone " + string(z)
	case inventory.ZoneRemoteAccess, inventory.ZoneInternetExposed:
		return ExposureOpen, "zone " + string(z)
	}
	if z == inventory.ZoneUnknown {
		return ExposureControlled, "default: network zone unknown, assumed controlled"
	}
	return ExposureControlled, fmt.Sprintf("default: unknown zone %q, assumed controlled", string(z))
}

// AutomatableFromCVSS derives SSVC Automatable from a CVSS vector: a network
// attack needing no privileges, no user interaction and no special conditions
// (AV:N, AC:L, PR:N, UI:N; in 4.0 also AT:N) can be scripted end to end. A
// CVSS 4.0 supplemental AU:Y says so directly. Anything else, including an
// unparsable vector, is "no".
func AutomatableFromCVSS(vector string) Automatable {
	m := map[string]string{}
	for _, part := range strings.Split(strings.TrimSpace(vector), "/") {
		k, v, ok := strings.Cut(part, ":")
		if !ok {
			continue
		}
		m[strings.ToUpper(strings.TrimSpace(k))] = strings.ToUpper(strings.TrimSpace(v))
	}
	ver := m["CVSS"]
	switch {
	case m["AU"] == "Y" && strings.HasPrefix(ver, "4"):
		return AutomatableYes
	case m["AU"] == "N" && strings.HasPrefix(ver, "4"):
		return AutomatableNo
	}
	if m["AV"] != "N" || m["AC"] != "L" {
		return AutomatableNo
	}
	switch {
	case strings.HasPrefix(ver, "3"):
		if m["PR"] == "N" && m["UI"] == "N" {
			return AutomatableYes
		}
	case strings.HasPrefix(ver, "4"):
		if m["AT"] == "N" && m["PR"] == "N" && (m["UI"] == "N") {
			return AutomatableYes
		}
	case ver == "" && m["AU"] == "N": // CVSS 2.0 has no prefix; Au is authentication
		return AutomatableYes
	}
	return AutomatableNo
}

// MissionImpactFor maps a clinical function to SSVC Mission Impact, taking
// the hospital's mission as patient care and the device's department as the
// unit whose mission essential function (MEF) it serves: a compromised
// ventilator, infusion pump or patient monitor makes that MEF fail; imaging,
// laboratory and clinical IT systems cripple the support of care (care goes
// on, slower, by other means); a non-clinical device only degrades it. An
// unknown function gets "MEF support crippled", the middle ground.
func MissionImpactFor(f inventory.ClinicalFunction) string {
	switch f {
	case inventory.FunctionLifeSupport, inventory.FunctionTherapy, inventory.FunctionMonitoring:
		return MissionMEFFailure
	case inventory.FunctionDiagnosticImaging, inventory.FunctionLaboratory, inventory.FunctionClinicalIT:
		return MissionMEFSupportCrippled
	case inventory.FunctionNonClinical:
		return MissionDegraded
	}
	return MissionMEFSupportCrippled
}

// ForDevice fills the device-derived inputs (exposure from the zone, safety
// from EffectiveSafetyImpact, mission from the clinical function) with their
// origins, leaving exploitation and automatable to the caller.
func ForDevice(d *inventory.Device) Inputs {
	var in Inputs
	in.Exposure, in.ExposureFrom = exposureForZone(d.Zone)
	in.SafetyImpact = d.EffectiveSafetyImpact()
	switch {
	case d.SafetyImpact != inventory.SafetyUnknown:
		in.SafetyFrom = "device safety impact"
	case d.ClinicalFunction != inventory.FunctionUnknown:
		in.SafetyFrom = "default for clinical function " + string(d.ClinicalFunction)
	}
	in.MissionImpact = MissionImpactFor(d.ClinicalFunction)
	if d.ClinicalFunction != inventory.FunctionUnknown {
		in.MissionFrom = "clinical function " + string(d.ClinicalFunction)
	} else {
		in.MissionFrom = "default: clinical function unknown"
	}
	return in
}
