package inventory

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
)

// Component is one software component an SBOM lists: what the matcher
// compares with advisories by name/version, purl or CPE.
type Component struct {
	Name, Version, PURL, CPE, Type string
}

// SBOMMeta describes an SBOM document and the product it is about, so an
// import can attach the components to the right device model.
type SBOMMeta struct {
	Format       string    // "CycloneDX"
	Encoding     string    // "json" or "xml"
	SpecVersion  string    // "1.5"
	SerialNumber string    // "urn:uuid:…", "" if absent
	Version      int       // document version, 1 if absent
	Timestamp    time.Time // metadata.timestamp; zero if absent or not RFC 3339
	Subject      Component // metadata.component: the device or software described
	Manufacturer string    // metadata.manufacturer (1.6), .manufacture (≤1.5) or .supplier name
}

// ReadSBOM reads a CycloneDX SBOM in JSON or XML (sniffed from the first
// non-blank character). Nested components are flattened in document order;
// components without a name are skipped, since nothing can match them.
// Other formats (SPDX) are rejected with an error that says so.
func ReadSBOM(r io.Reader) (meta SBOMMeta, comps []Component, err error) {
	br := bufio.NewReader(r)
	first, err := firstSignificantByte(br)
	if err != nil {
		return meta, nil, err
	}
	switch first {
	case '{':
		return readSBOMJSON(br)
	case '<':
		return readSBOMXML(br)
	}
	return meta, nil, aceso.Errorf(aceso.EINVALID, "sbom: not a CycloneDX JSON or XML document (starts with %q)", first)
}

// firstSignificantByte peeks past a UTF-8 BOM and white space.
func firstSignificantByte(br *bufio.Reader) (byte, error) {
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, bomUTF8) {
		_, _ = br.Discard(3)
	}
	for {
		b, err := br.Peek(1)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, aceso.Errorf(aceso.EINVALID, "sbom: the document is empty")
			}
			return 0, fmt.Errorf("sbom: read: %w", err)
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			_, _ = br.Discard(1)
			continue
		}
		return b[0], nil
	}
}

type cdxOrg struct {
	Name string `json:"name" xml:"name"`
}

type cdxJSONComponent struct {
	Type       string             `json:"type"`
	Name       string             `json:"name"`
	Version    string             `json:"version"`
	PURL       string             `json:"purl"`
	CPE        string             `json:"cpe"`
	Components []cdxJSONComponent `json:"components"`
}

type cdxJSON struct {
	BOMFormat    string          `json:"bomFormat"`
	SPDXVersion  string          `json:"spdxVersion"`
	SpecVersion  string          `json:"specVersion"`
	SerialNumber string          `json:"serialNumber"`
	Version      json.RawMessage `json:"version"` // an integer by the schema; some tools write a string
	Metadata     *struct {
		Timestamp    string            `json:"timestamp"`
		Component    *cdxJSONComponent `json:"component"`
		Manufacturer *cdxOrg           `json:"manufacturer"`
		Manufacture  *cdxOrg           `json:"manufacture"`
		Supplier     *cdxOrg           `json:"supplier"`
	} `json:"metadata"`
	Components []cdxJSONComponent `json:"components"`
}

func readSBOMJSON(r io.Reader) (SBOMMeta, []Component, error) {
	var doc cdxJSON
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return SBOMMeta{}, nil, aceso.Wrap(aceso.EINVALID, err, "sbom: invalid JSON: %v", err)
	}
	if doc.SPDXVersion != "" {
		return SBOMMeta{}, nil, aceso.Errorf(aceso.EINVALID, "sbom: SPDX documents are not supported; export the SBOM as CycloneDX")
	}
	if doc.BOMFormat != "CycloneDX" {
		return SBOMMeta{}, nil, aceso.Errorf(aceso.EINVALID, "sbom: bomFormat is %q, want \"CycloneDX\"", doc.BOMFormat)
	}
	meta := SBOMMeta{Format: "CycloneDX", Encoding: "json", SpecVersion: clean(doc.SpecVersion),
		SerialNumber: clean(doc.SerialNumber), Version: parseDocVersion(strings.Trim(string(doc.Version), `"`))}
	if m := doc.Metadata; m != nil {
		meta.Timestamp = parseTimestamp(m.Timestamp)
		if m.Component != nil {
			meta.Subject = m.Component.component()
		}
		meta.Manufacturer = firstOrg(m.Manufacturer, m.Manufacture, m.Supplier)
	}
	var comps []Component
	var walk func([]cdxJSONComponent)
	walk = func(cs []cdxJSONComponent) {
		for i := range cs {
			if c := cs[i].component(); c.Name != "" {
				comps = append(comps, c)
			}
			walk(cs[i].Components)
		}
	}
	walk(doc.Components)
	return meta, comps, nil
}

func (c *cdxJSONComponent) component() Component {
	return Component{Name: clean(c.Name), Version: clean(c.Version), PURL: clean(c.PURL), CPE: clean(c.CPE), Type: clean(c.Type)}
}

type cdxXMLComponent struct {
	Type       string            `xml:"type,attr"`
	Name       string            `xml:"name"`
	Version    string            `xml:"version"`
	PURL       string            `xml:"purl"`
	CPE        string            `xml:"cpe"`
	Components []cdxXMLComponent `xml:"components>component"`
}

type cdxXML struct {
	XMLName      xml.Name
	SerialNumber string `xml:"serialNumber,attr"`
	Version      string `xml:"version,attr"`
	Metadata     *struct {
		Timestamp    string           `xml:"timestamp"`
		Component    *cdxXMLComponent `xml:"component"`
		Manufacturer *cdxOrg          `xml:"manufacturer"`
		Manufacture  *cdxOrg          `xml:"manufacture"`
		Supplier     *cdxOrg          `xml:"supplier"`
	} `xml:"metadata"`
	Components []cdxXMLComponent `xml:"components>component"`
}

const cdxNamespace = "http://cyclonedx.org/schema/bom/"

func readSBOMXML(r io.Reader) (SBOMMeta, []Component, error) {
	var doc cdxXML
	if err := xml.NewDecoder(r).Decode(&doc); err != nil {
		return SBOMMeta{}, nil, aceso.Wrap(aceso.EINVALID, err, "sbom: invalid XML: %v", err)
	}
	if doc.XMLName.Local != "bom" || !strings.HasPrefix(doc.XMLName.Space, cdxNamespace) {
		return SBOMMeta{}, nil, aceso.Errorf(aceso.EINVALID, "sbom: root element is {%s}%s, want a CycloneDX <bom> (namespace %s<version>)",
			doc.XMLName.Space, doc.XMLName.Local, cdxNamespace)
	}
	meta := SBOMMeta{Format: "CycloneDX", Encoding: "xml", SpecVersion: strings.TrimPrefix(doc.XMLName.Space, cdxNamespace),
		SerialNumber: clean(doc.SerialNumber), Version: parseDocVersion(doc.Version)}
	if m := doc.Metadata; m != nil {
		meta.Timestamp = parseTimestamp(m.Timestamp)
		if m.Component != nil {
			meta.Subject = m.Component.component()
		}
		meta.Manufacturer = firstOrg(m.Manufacturer, m.Manufacture, m.Supplier)
	}
	var comps []Component
	var walk func([]cdxXMLComponent)
	walk = func(cs []cdxXMLComponent) {
		for i := range cs {
			if c := cs[i].component(); c.Name != "" {
				comps = append(comps, c)
			}
			walk(cs[i].Components)
		}
	}
	walk(doc.Components)
	return meta, comps, nil
}

func (c *cdxXMLComponent) component() Component {
	return Component{Name: clean(c.Name), Version: clean(c.Version), PURL: clean(c.PURL), CPE: clean(c.CPE), Type: clean(c.Type)}
}

// clean trims a value and folds the line breaks of pretty-printed XML.
func clean(s string) string {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "\r\n\t") {
		s = strings.Join(strings.Fields(s), " ")
	}
	return s
}

func firstOrg(orgs ...*cdxOrg) string {
	for _, o := range orgs {
		if o != nil {
			if n := clean(o.Name); n != "" {
				return n
			}
		}
	}
	return ""
}

func parseDocVersion(s string) int {
	if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 {
		return n
	}
	return 1
}

func parseTimestamp(s string) time.Time {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
