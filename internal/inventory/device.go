// Package inventory holds the device inventory of a hospital: devices, their
// clinical context, and the readers that turn CMMS exports into devices.
package inventory

import "time"

// Zone is where a device sits on the network; it feeds SSVC "System Exposure".
type Zone string

// Network zones, from least to most exposed.
const (
	ZoneUnknown         Zone = ""
	ZoneIsolated        Zone = "isolated"
	ZoneClinicalSegment Zone = "clinical-segment"
	ZoneHospitalLAN     Zone = "hospital-lan"
	ZoneRemoteAccess    Zone = "remote-access"
	ZoneInternetExposed Zone = "internet-exposed"
)

// Zones lists the valid network zones.
var Zones = []Zone{ZoneIsolated, ZoneClinicalSegment, ZoneHospitalLAN, ZoneRemoteAccess, ZoneInternetExposed}

// ClinicalFunction is what the device does for patients; it defaults the safety impact.
type ClinicalFunction string

// Clinical functions.
const (
	FunctionUnknown           ClinicalFunction = ""
	FunctionLifeSupport       ClinicalFunction = "life-support"
	FunctionTherapy           ClinicalFunction = "therapy"
	FunctionDiagnosticImaging ClinicalFunction = "diagnostic-imaging"
	FunctionMonitoring        ClinicalFunction = "monitoring"
	FunctionLaboratory        ClinicalFunction = "laboratory"
	FunctionClinicalIT        ClinicalFunction = "clinical-it"
	FunctionNonClinical       ClinicalFunction = "non-clinical"
)

// ClinicalFunctions lists the valid clinical functions.
var ClinicalFunctions = []ClinicalFunction{FunctionLifeSupport, FunctionTherapy, FunctionDiagnosticImaging,
	FunctionMonitoring, FunctionLaboratory, FunctionClinicalIT, FunctionNonClinical}

// SafetyImpact is the SSVC safety impact if the device is compromised.
type SafetyImpact string

// Safety impacts (SSVC terms).
const (
	SafetyUnknown      SafetyImpact = ""
	SafetyNegligible   SafetyImpact = "negligible"
	SafetyMarginal     SafetyImpact = "marginal"
	SafetyCritical     SafetyImpact = "critical"
	SafetyCatastrophic SafetyImpact = "catastrophic"
)

// SupportStatus says whether the manufacturer still supports the device.
type SupportStatus string

// Support statuses.
const (
	SupportUnknown      SupportStatus = ""
	SupportSupported    SupportStatus = "supported"
	SupportEndOfSupport SupportStatus = "end-of-support"
	SupportEndOfLife    SupportStatus = "end-of-life"
)

// DefaultSafetyImpact is the safety impact assumed for a clinical function
// when the owner has not set one: a compromised ventilator can kill, a
// compromised office PC cannot.
func DefaultSafetyImpact(f ClinicalFunction) SafetyImpact {
	switch f {
	case FunctionLifeSupport:
		return SafetyCatastrophic
	case FunctionTherapy, FunctionMonitoring:
		return SafetyCritical
	case FunctionDiagnosticImaging, FunctionLaboratory, FunctionClinicalIT:
		return SafetyMarginal
	case FunctionNonClinical:
		return SafetyNegligible
	}
	return SafetyUnknown
}

// Device is one medical device or clinical IT system of one organisation.
type Device struct {
	ID               int64             `json:"id,omitempty"`
	OrgID            int64             `json:"org_id,omitempty"`
	AssetTag         string            `json:"asset_tag"`
	Manufacturer     string            `json:"manufacturer"`            // as typed
	ManufacturerNorm string            `json:"manufacturer_normalised"` // canonical name from the alias table
	Model            string            `json:"model"`
	Version          string            `json:"version"` // software/firmware version as typed
	SerialNumber     string            `json:"serial_number,omitempty"`
	UDIDI            string            `json:"udi_di,omitempty"`
	DeviceType       string            `json:"device_type,omitempty"`
	Department       string            `json:"department,omitempty"`
	Location         string            `json:"location,omitempty"`
	IPAddresses      []string          `json:"ip_addresses,omitempty"`
	MACAddresses     []string          `json:"mac_addresses,omitempty"`
	Hostname         string            `json:"hostname,omitempty"`
	OperatingSystem  string            `json:"operating_system,omitempty"`
	Zone             Zone              `json:"network_zone,omitempty"`
	ClinicalFunction ClinicalFunction  `json:"clinical_function,omitempty"`
	SafetyImpact     SafetyImpact      `json:"safety_impact,omitempty"` // empty: DefaultSafetyImpact(ClinicalFunction)
	SupportStatus    SupportStatus     `json:"support_status,omitempty"`
	EndOfSupport     *time.Time        `json:"end_of_support,omitempty"`
	EndOfLife        *time.Time        `json:"end_of_life,omitempty"`
	Patchable        *bool             `json:"patchable,omitempty"` // may the owner patch it
	Owner            string            `json:"owner,omitempty"`
	Tags             []string          `json:"tags,omitempty"`
	Notes            string            `json:"notes,omitempty"`
	Extra            map[string]string `json:"extra,omitempty"` // unknown import columns, kept
	CreatedAt        time.Time         `json:"created_at,omitzero"`
	UpdatedAt        time.Time         `json:"updated_at,omitzero"`
	LastSeenAt       *time.Time        `json:"last_seen_at,omitempty"`
}

// EffectiveSafetyImpact returns the owner's safety impact or the default for the clinical function.
func (d *Device) EffectiveSafetyImpact() SafetyImpact {
	if d.SafetyImpact != SafetyUnknown {
		return d.SafetyImpact
	}
	return DefaultSafetyImpact(d.ClinicalFunction)
}
