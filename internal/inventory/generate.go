package inventory

import (
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// product is a real medical device or clinical IT system as it appears in
// CISA ICSMA advisories and hospital inventories, for generated demo and
// benchmark data.
type product struct {
	mfr, model string
	versions   []string
	devType    string
	function   ClinicalFunction
	os         string
	serial     string   // serial number prefix
	depts      []string // where it is typically found
	noNetwork  bool     // stand-alone device, usually without IP
}

// products lists real manufacturer/model/version names; most come from the
// product trees of the ICSMA advisories in shared/testdata, the rest are
// widely installed devices of the same kinds.
var products = []product{
	{"Dräger", "Infinity Delta XL", []string{"VF8.4", "VF9.1"}, "Patient monitor", FunctionMonitoring, "", "DXL-", []string{"ICU", "Step-Down Unit"}, false},
	{"Draeger", "Infinity M540", []string{"VG6.1", "VG7.0"}, "Patient monitor", FunctionMonitoring, "", "M540-", []string{"ICU", "Emergency Department"}, false},
	{"Drägerwerk AG & Co. KGaA", "Evita V500", []string{"2.51", "2.61"}, "Ventilator", FunctionLifeSupport, "", "ASAH-", []string{"ICU", "NICU"}, false},
	{"Dräger", "Perseus A500", []string{"2.03", "2.10"}, "Anaesthesia workstation", FunctionLifeSupport, "", "ASFF-", []string{"Operating Room"}, false},
	{"Philips", "IntelliVue MX450", []string{"M.00.03", "N.00.03"}, "Patient monitor", FunctionMonitoring, "", "DE", []string{"ICU", "Operating Room", "Emergency Department"}, false},
	{"Philips Healthcare", "IntelliVue MX40 Patient Worn Monitor", []string{"B.06.18", "B.06.12"}, "Telemetry monitor", FunctionMonitoring, "", "US", []string{"Cardiology", "Med-Surg"}, false},
	{"Philips", "Patient Information Center iX (PICiX)", []string{"B.02", "C.02", "C.03"}, "Central station", FunctionMonitoring, "Windows Server 2016", "PIC-", []string{"ICU", "Cardiology"}, false},
	{"Philips Medical Systems", "EPIQ 7", []string{"VM5.0", "VM6.0", "VM7.0"}, "Ultrasound", FunctionDiagnosticImaging, "Windows 10 IoT Enterprise", "US", []string{"Radiology", "Cardiology", "Obstetrics"}, false},
	{"Philips", "Affiniti 70", []string{"VM4.0", "VM5.0"}, "Ultrasound", FunctionDiagnosticImaging, "Windows 10 IoT Enterprise", "US", []string{"Radiology", "Obstetrics"}, false},
	{"Philips", "Brilliance iCT", []string{"4.1.6", "4.1.7"}, "CT scanner", FunctionDiagnosticImaging, "Windows 7", "ICT-", []string{"Radiology"}, false},
	{"Philips", "IntelliSpace PACS", []string{"4.4.551", "4.4.553"}, "PACS", FunctionClinicalIT, "Windows Server 2012 R2", "ISP-", []string{"Radiology"}, false},
	{"GE Healthcare", "CARESCAPE B650", []string{"2.0.4", "3.2"}, "Patient monitor", FunctionMonitoring, "", "SGM", []string{"ICU", "Operating Room"}, false},
	{"GE Healthcare", "CARESCAPE Central Station", []string{"1.1", "2.1"}, "Central station", FunctionMonitoring, "Windows 10", "CSCS-", []string{"ICU", "Cardiology"}, false},
	{"General Electric (GE)", "ApexPro Telemetry Server", []string{"4.2", "4.3"}, "Telemetry server", FunctionMonitoring, "Windows Server 2008 R2", "APX-", []string{"Cardiology"}, false},
	{"GE Healthcare", "Aisys CS2", []string{"11SP06", "11SP08"}, "Anaesthesia workstation", FunctionLifeSupport, "", "APCR", []string{"Operating Room"}, false},
	{"GE Healthcare", "Aespire 7900", []string{"4.X"}, "Anaesthesia workstation", FunctionLifeSupport, "", "AMXK", []string{"Operating Room"}, true},
	{"GE Healthcare", "Revolution CT", []string{"23MW27.5", "24MW18.3"}, "CT scanner", FunctionDiagnosticImaging, "Linux", "REV-", []string{"Radiology", "Emergency Department"}, false},
	{"GE Medical Systems", "Optima MR360", []string{"SV20.1", "SV23.0"}, "MR scanner", FunctionDiagnosticImaging, "Linux", "MR-", []string{"Radiology"}, false},
	{"GE Healthcare", "LOGIQ E10", []string{"R2", "R3"}, "Ultrasound", FunctionDiagnosticImaging, "Windows 10 IoT Enterprise", "LE10-", []string{"Radiology"}, false},
	{"GE Healthcare", "Centricity PACS-IW", []string{"3.7.3.9", "3.7.3.10"}, "PACS", FunctionClinicalIT, "Windows Server 2012 R2", "CPI-", []string{"Radiology"}, false},
	{"BD", "Alaris 8015 PC Unit", []string{"9.19", "9.33", "12.1"}, "Infusion pump", FunctionTherapy, "", "8015-", []string{"ICU", "Med-Surg", "Oncology", "Emergency Department"}, false},
	{"Becton, Dickinson and Company (BD)", "Alaris Systems Manager", []string{"4.33", "12.1.2"}, "Infusion management server", FunctionClinicalIT, "Windows Server 2016", "ASM-", []string{"Pharmacy"}, false},
	{"BD", "Pyxis MedStation ES", []string{"1.6.1", "1.7.0"}, "Medication cabinet", FunctionClinicalIT, "Windows 10", "PMS-", []string{"Pharmacy", "ICU", "Med-Surg"}, false},
	{"B. Braun", "SpaceStation with SpaceCom", []string{"U61", "L81", "U62"}, "Infusion docking station", FunctionTherapy, "", "SC-", []string{"ICU", "Med-Surg"}, false},
	{"B. Braun Melsungen AG", "Perfusor Space", []string{"695K", "698C"}, "Syringe pump", FunctionTherapy, "", "PS-", []string{"ICU", "NICU", "Operating Room"}, true},
	{"B.Braun", "Battery Pack SP with Wi-Fi", []string{"028U000061", "028U000093"}, "Infusion pump accessory", FunctionTherapy, "", "", []string{"Oncology", "Med-Surg"}, false},
	{"Baxter", "Sigma Spectrum", []string{"8.00.01", "8.01.01"}, "Infusion pump", FunctionTherapy, "", "SPM-", []string{"ICU", "Med-Surg"}, false},
	{"Baxter", "ExactaMix EM2400", []string{"1.13", "1.14"}, "Compounder", FunctionTherapy, "Windows 10", "EM24-", []string{"Pharmacy"}, false},
	{"Baxter Healthcare", "PrisMax", []string{"2.0", "3.2"}, "Dialysis system", FunctionLifeSupport, "", "PMX-", []string{"ICU"}, false},
	{"Medtronic", "MiniMed 670G", []string{"1.1"}, "Insulin pump", FunctionTherapy, "", "NG", []string{"Endocrinology", "Pediatrics"}, true},
	{"Medtronic", "Valleylab FT10 Energy Platform", []string{"4.0.0", "4.1.0"}, "Electrosurgical generator", FunctionTherapy, "", "FT10-", []string{"Operating Room"}, false},
	{"Medtronic", "CareLink 2090 Programmer", []string{"2.3"}, "Cardiac device programmer", FunctionTherapy, "", "2090-", []string{"Cardiology"}, true},
	{"Smiths Medical", "Medfusion 4000 Wireless Syringe Infusion Pump", []string{"1.5", "1.6", "1.7"}, "Syringe pump", FunctionTherapy, "", "MF4-", []string{"NICU", "ICU"}, false},
	{"Hamilton Medical", "HAMILTON-C6", []string{"2.2.2", "2.3.1"}, "Ventilator", FunctionLifeSupport, "", "C6-", []string{"ICU"}, false},
	{"Mindray", "BeneVision N17", []string{"02.13", "04.01"}, "Patient monitor", FunctionMonitoring, "", "MN-", []string{"ICU", "Operating Room"}, false},
	{"Spacelabs Healthcare", "Xhibit Telemetry Receiver (XTR) 96280", []string{"1.0.2", "1.2.1"}, "Telemetry receiver", FunctionMonitoring, "", "XTR-", []string{"Cardiology", "Med-Surg"}, false},
	{"Capsule Technologies", "SmartLinx Neuron 2", []string{"6.9.1", "9.0.3"}, "Device integration hub", FunctionClinicalIT, "Android", "NRN2-", []string{"ICU", "Operating Room"}, false},
	{"Stryker", "InTouch ICU Bed 2141", []string{"2.0"}, "Hospital bed", FunctionNonClinical, "", "2141-", []string{"ICU"}, false},
	{"Siemens Healthineers", "SOMATOM go.Up", []string{"VA30A", "VA40A"}, "CT scanner", FunctionDiagnosticImaging, "Windows 10", "SGU-", []string{"Radiology"}, false},
	{"Siemens Healthcare GmbH", "MAGNETOM Vida", []string{"XA20", "XA50"}, "MR scanner", FunctionDiagnosticImaging, "Windows 10", "MV-", []string{"Radiology"}, false},
	{"Siemens Healthineers", "Atellica Solution", []string{"1.24", "1.27"}, "Lab analyser", FunctionLaboratory, "Windows 10", "ATL-", []string{"Laboratory"}, false},
	{"Roche Diagnostics", "cobas 8000", []string{"05-02", "06-01"}, "Lab analyser", FunctionLaboratory, "Windows 7", "C8K-", []string{"Laboratory"}, false},
	{"Roche", "Accu-Chek Inform II", []string{"04.00.00", "04.03.00"}, "Glucose meter", FunctionLaboratory, "", "UU", []string{"Med-Surg", "Endocrinology", "Emergency Department"}, false},
	{"Sysmex", "XN-1000", []string{"00-21", "00-24"}, "Haematology analyser", FunctionLaboratory, "Windows 10", "XN-", []string{"Laboratory"}, false},
	{"Fujifilm", "FCR Capsula X", []string{"CR-IR 357"}, "X-ray reader", FunctionDiagnosticImaging, "Windows XP Embedded", "FCR-", []string{"Radiology", "Emergency Department"}, false},
	{"Canon Medical Systems", "Aquilion ONE", []string{"10.8", "10.11"}, "CT scanner", FunctionDiagnosticImaging, "Windows 10", "AQ1-", []string{"Radiology"}, false},
	{"Change Healthcare", "Horizon Cardiology", []string{"12.3", "14.1.2"}, "Cardiology information system", FunctionClinicalIT, "Windows Server 2016", "HCV-", []string{"Cardiology"}, false},
	{"Agfa HealthCare", "Enterprise Imaging", []string{"8.1.2", "8.2.0"}, "PACS", FunctionClinicalIT, "Windows Server 2019", "AEI-", []string{"Radiology"}, false},
	{"Natus Medical", "Xltek NeuroWorks", []string{"8", "9"}, "EEG system", FunctionDiagnosticImaging, "Windows 10", "NW-", []string{"Neurology"}, false},
	{"Zoll Medical", "R Series", []string{"13.02", "13.10"}, "Defibrillator", FunctionLifeSupport, "", "AF", []string{"Emergency Department", "Cardiology"}, true},
}

// departmentSites gives each department its building and room pattern.
var departmentSites = map[string]string{
	"ICU": "Tower B / 3rd Fl / Bed %d", "Step-Down Unit": "Tower A / 7th Fl / Bed %d",
	"NICU": "Tower C / 4th Fl / Cot %d", "Emergency Department": "ED / Bay %d",
	"Operating Room": "Surgical Suite / OR %d", "Radiology": "Imaging / Room %d",
	"Cardiology": "Heart Centre / Room %d", "Obstetrics": "Women's Health / Room %d",
	"Med-Surg": "Tower A / 5th Fl / Room %d", "Oncology": "Cancer Centre / Bay %d",
	"Pharmacy": "Central Pharmacy / Station %d", "Laboratory": "Core Lab / Bench %d",
	"Endocrinology": "Diabetes Centre / Cabinet %d", "Pediatrics": "Tower C / 2nd Fl / Room %d",
	"Neurology": "Neuro Centre / Lab %d",
}

// GenerateSector returns hospitals × devicesPerHospital realistic devices,
// one slice per hospital, the same for the same seed. Asset tags are
// "H<nn>-<nnnnnn>", IPs are 10.<hospital>.x.y and unique per hospital, MACs
// are locally administered (02:…) so they never collide with a real vendor.
func GenerateSector(hospitals, devicesPerHospital int, seed int64) [][]Device {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x61636573))
	out := make([][]Device, hospitals)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	owners := []string{"Biomedical Engineering", "Clinical IT", "Radiology IT", "Medical Technology Dept."}
	tagPool := []string{"critical-care", "wifi", "vendor-vpn", "legacy-os", "pilot", "shared"}
	for h := range out {
		devs := make([]Device, devicesPerHospital)
		for i := range devs {
			p := &products[rng.IntN(len(products))]
			dept := p.depts[rng.IntN(len(p.depts))]
			d := Device{
				AssetTag:         fmt.Sprintf("H%02d-%06d", h+1, i+1),
				Manufacturer:     p.mfr,
				ManufacturerNorm: NormaliseManufacturer(p.mfr),
				Model:            p.model,
				Version:          p.versions[rng.IntN(len(p.versions))],
				SerialNumber:     fmt.Sprintf("%s%08d", p.serial, rng.IntN(100_000_000)),
				DeviceType:       p.devType,
				Department:       dept,
				Location:         fmt.Sprintf(departmentSites[dept], 1+rng.IntN(30)),
				OperatingSystem:  p.os,
				ClinicalFunction: p.function,
				Owner:            owners[rng.IntN(len(owners))],
			}
			if rng.IntN(3) == 0 {
				d.UDIDI = fmt.Sprintf("0%013d", rng.Int64N(10_000_000_000_000))
			}
			if !p.noNetwork || rng.IntN(5) == 0 {
				// Unique per hospital: the device index spreads over the third and fourth octets.
				d.IPAddresses = []string{fmt.Sprintf("10.%d.%d.%d", h%256, (i/250)%256, i%250+2)}
				d.MACAddresses = []string{fmt.Sprintf("02:%02x:%02x:%02x:%02x:%02x", h%256, rng.IntN(256), rng.IntN(256), (i>>8)&0xff, i&0xff)}
				if p.os != "" {
					d.Hostname = fmt.Sprintf("h%02d-%s-%05d", h+1, strings.ToLower(strings.TrimSuffix(p.serial, "-")), i+1)
				}
				switch r := rng.IntN(20); {
				case r < 13:
					d.Zone = ZoneClinicalSegment
				case r < 17:
					d.Zone = ZoneHospitalLAN
				case r < 19:
					d.Zone = ZoneRemoteAccess
				default:
					d.Zone = ZoneInternetExposed
				}
				if p.function == FunctionClinicalIT {
					d.Zone = ZoneHospitalLAN
				}
			} else {
				d.Zone = ZoneIsolated
			}
			switch r := rng.IntN(10); {
			case r < 6:
				d.SupportStatus = SupportSupported
				eos := base.AddDate(1+rng.IntN(6), rng.IntN(12), 0)
				d.EndOfSupport = &eos
			case r < 8:
				d.SupportStatus = SupportEndOfSupport
				eos := base.AddDate(-rng.IntN(4), -rng.IntN(12), 0)
				d.EndOfSupport = &eos
			case r < 9:
				d.SupportStatus = SupportEndOfLife
				eol := base.AddDate(-1-rng.IntN(5), 0, 0)
				d.EndOfLife = &eol
			}
			if rng.IntN(4) > 0 {
				b := rng.IntN(3) > 0
				d.Patchable = &b
			}
			if rng.IntN(8) == 0 {
				d.SafetyImpact = DefaultSafetyImpact(p.function)
			}
			if rng.IntN(4) == 0 {
				d.Tags = []string{tagPool[rng.IntN(len(tagPool))]}
				if t := tagPool[rng.IntN(len(tagPool))]; t != d.Tags[0] && rng.IntN(2) == 0 {
					d.Tags = append(d.Tags, t)
				}
			}
			if rng.IntN(15) == 0 {
				d.Notes = "Vendor remote service via VPN; \"do not reboot\" during cases,\nsee ticket " + fmt.Sprint(10000+rng.IntN(90000))
			}
			devs[i] = d
		}
		out[h] = devs
	}
	return out
}

// csvColumns are the headers WriteCSV writes, one per field, in Fields order;
// each maps back to its field through the header aliases.
var csvColumns = [numFields]string{
	fAssetTag: "Asset Tag", fManufacturer: "Manufacturer", fModel: "Model", fVersion: "Software Version",
	fSerial: "Serial Number", fUDIDI: "UDI-DI", fDeviceType: "Device Type", fDepartment: "Department",
	fLocation: "Location", fIP: "IP Address", fMAC: "MAC Address", fHostname: "Hostname",
	fOS: "Operating System", fZone: "Network Zone", fClinicalFunction: "Clinical Function",
	fSafety: "Safety Impact", fSupport: "Support Status", fEndOfSupport: "End of Support",
	fEndOfLife: "End of Life", fPatchable: "Patchable", fOwner: "Owner", fTags: "Tags", fNotes: "Notes",
}

// WriteCSV writes devs as a UTF-8, comma-separated export with the columns
// ReadCSV maps back; Extra keys become further columns (sorted), so a
// write-read round trip keeps every field. Lists are joined with "; ".
func WriteCSV(w io.Writer, devs []Device) error {
	var extra []string
	seen := map[string]bool{}
	for i := range devs {
		for k := range devs[i].Extra {
			if !seen[k] {
				seen[k] = true
				extra = append(extra, k)
			}
		}
	}
	slices.Sort(extra)
	cw := csv.NewWriter(w)
	rec := make([]string, 0, int(numFields)+len(extra))
	rec = append(rec, csvColumns[:]...)
	rec = append(rec, extra...)
	if err := cw.Write(rec); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	date := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Format("2006-01-02")
	}
	for i := range devs {
		d := &devs[i]
		patch := ""
		if d.Patchable != nil {
			patch = "no"
			if *d.Patchable {
				patch = "yes"
			}
		}
		rec = rec[:0]
		rec = append(rec, d.AssetTag, d.Manufacturer, d.Model, d.Version, d.SerialNumber, d.UDIDI, d.DeviceType,
			d.Department, d.Location, strings.Join(d.IPAddresses, "; "), strings.Join(d.MACAddresses, "; "),
			d.Hostname, d.OperatingSystem, string(d.Zone), string(d.ClinicalFunction), string(d.SafetyImpact),
			string(d.SupportStatus), date(d.EndOfSupport), date(d.EndOfLife), patch, d.Owner,
			strings.Join(d.Tags, "; "), d.Notes)
		for _, k := range extra {
			rec = append(rec, d.Extra[k])
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv: device %q: %w", d.AssetTag, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}
