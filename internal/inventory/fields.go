package inventory

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// field is a Device field an import column can map to.
type field int8

const noField field = -1

const (
	fAssetTag field = iota
	fManufacturer
	fModel
	fVersion
	fSerial
	fUDIDI
	fDeviceType
	fDepartment
	fLocation
	fIP
	fMAC
	fHostname
	fOS
	fZone
	fClinicalFunction
	fSafety
	fSupport
	fEndOfSupport
	fEndOfLife
	fPatchable
	fOwner
	fTags
	fNotes
	numFields
)

// fieldNames are the names of the fields as in Device's JSON, so a saved
// mapping reads like the API.
var fieldNames = [numFields]string{
	fAssetTag: "asset_tag", fManufacturer: "manufacturer", fModel: "model", fVersion: "version",
	fSerial: "serial_number", fUDIDI: "udi_di", fDeviceType: "device_type", fDepartment: "department",
	fLocation: "location", fIP: "ip_addresses", fMAC: "mac_addresses", fHostname: "hostname",
	fOS: "operating_system", fZone: "network_zone", fClinicalFunction: "clinical_function",
	fSafety: "safety_impact", fSupport: "support_status", fEndOfSupport: "end_of_support",
	fEndOfLife: "end_of_life", fPatchable: "patchable", fOwner: "owner", fTags: "tags", fNotes: "notes",
}

var fieldByName = func() map[string]field {
	m := make(map[string]field, numFields)
	for f, n := range fieldNames {
		m[n] = field(f)
	}
	return m
}()

// Fields returns the field names a header can map to, in the order of the
// canonical export ("asset_tag", "manufacturer", "model", ...).
func Fields() []string {
	out := make([]string, numFields)
	copy(out, fieldNames[:])
	return out
}

// headerAliasList lists, per field, the headers real CMMS and spreadsheet
// exports use (English, German, some French). Matching is on foldHeader, so
// case, accents, spaces and punctuation do not matter ("S/N" = "SN").
var headerAliasList = map[field][]string{
	fAssetTag: {"Asset Tag", "Asset ID", "Asset Number", "Asset No", "Asset #", "Asset", "Inventory No",
		"Inventory Number", "Inventory ID", "Tag", "Tag Number", "Equipment ID", "Equipment Number", "Equipment No",
		"Control Number", "Control No", "Inventarnummer", "Inventar-Nr", "Inventarnr", "Anlagennummer", "Numéro d'inventaire"},
	fManufacturer: {"Manufacturer", "Manufacturer Name", "Vendor", "Vendor Name", "Make", "Brand", "Hersteller", "Fabricant"},
	fModel: {"Model", "Product", "Device Model", "Model Name", "Product Name", "Model Number", "Model No", "Modell",
		"Modellbezeichnung", "Typbezeichnung", "Modèle"},
	fVersion: {"Software Version", "SW Version", "Firmware", "Firmware Version", "FW Version", "Version", "FW", "SW",
		"Software Release", "Software Revision", "SW Rev", "Release", "Softwareversion", "Softwarestand", "Firmwareversion"},
	fSerial: {"Serial Number", "Serial", "SN", "Serial No", "Serial #", "Serialnumber", "Seriennummer", "Serien-Nr",
		"Numéro de série"},
	fUDIDI:            {"UDI-DI", "UDI", "UDI DI", "Device Identifier", "GTIN"},
	fDeviceType:       {"Device Type", "Category", "Type", "Device Category", "Equipment Type", "Asset Type", "Gerätetyp", "Geräteart", "Kategorie", "Typ"},
	fDepartment:       {"Department", "Dept", "Ward", "Clinical Department", "Abteilung", "Station", "Fachabteilung", "Klinik"},
	fLocation:         {"Location", "Room", "Site", "Standort", "Raum", "Localisation"},
	fIP:               {"IP Address", "IP", "IPv4", "IP Addresses", "IPs", "IPv4 Address", "IPv6", "IPv6 Address", "IP-Adresse"},
	fMAC:              {"MAC Address", "MAC", "MAC Addresses", "MACs", "Ethernet Address", "MAC-Adresse"},
	fHostname:         {"Hostname", "Host Name", "DNS Name", "Host", "FQDN", "Computer Name", "Rechnername"},
	fOS:               {"Operating System", "OS", "OS Version", "Betriebssystem"},
	fZone:             {"Network Zone", "Zone", "Network Segment", "Segment", "Netzwerkzone"},
	fClinicalFunction: {"Clinical Function", "Function", "Clinical Use", "Klinische Funktion"},
	fSafety:           {"Safety Impact", "Safety", "Patient Safety Impact"},
	fSupport:          {"Support Status", "Support", "Lifecycle Status", "Lifecycle", "Supportstatus"},
	fEndOfSupport:     {"End of Support", "End of Support Date", "EoS", "EOS Date", "Support End", "Support End Date", "End of Service", "Supportende"},
	fEndOfLife:        {"End of Life", "End of Life Date", "EoL", "EOL Date", "Lebensende", "Abkündigung"},
	fPatchable:        {"Patchable", "Patch Allowed", "Patching Allowed", "Can Patch", "Patchbar"},
	fOwner:            {"Owner", "Contact", "Owner Contact", "Responsible", "Responsible Person", "Verantwortlich", "Ansprechpartner"},
	fTags:             {"Tags", "Labels", "Label"},
	fNotes:            {"Notes", "Note", "Comments", "Comment", "Remarks", "Bemerkung", "Bemerkungen", "Kommentar", "Notizen"},
}

// headerAliases maps a folded header to its field; field names themselves
// ("serial_number") are aliases too.
var headerAliases = func() map[string]field {
	m := make(map[string]field, 256)
	for f, as := range headerAliasList {
		for _, a := range as {
			k := foldHeader(a)
			if prev, dup := m[k]; dup && prev != f {
				panic("inventory: header alias " + a + " maps to two fields")
			}
			m[k] = f
		}
	}
	for f, n := range fieldNames {
		m[foldHeader(n)] = field(f)
	}
	return m
}()

// foldHeader folds a header for alias lookup: accents removed, lower case,
// everything but letters and digits dropped ("Serial No." → "serialno").
func foldHeader(h string) string {
	ascii := true
	for i := 0; i < len(h); i++ {
		if h[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		h = norm.NFKD.String(h)
	}
	var b strings.Builder
	b.Grow(len(h))
	for _, r := range h {
		switch {
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + ('a' - 'A'))
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
