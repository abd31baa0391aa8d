package share

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aceso-health/aceso"
)

// FeedWriter receives the files of a feed by name. MemFeed and DirFeed
// implement it; a store or object storage can too.
type FeedWriter interface {
	WriteFile(name string, data []byte) error
}

// MemFeed collects feed files in memory, for tests and for serving a feed
// straight from a cache.
type MemFeed map[string][]byte

// WriteFile stores a copy of data under name.
func (m MemFeed) WriteFile(name string, data []byte) error {
	m[name] = bytes.Clone(data)
	return nil
}

// DirFeed writes feed files into a directory. Each file is written to a
// temporary name and renamed, so a web server serving the directory never
// hands out a half-written file while the feed is regenerated.
type DirFeed string

// WriteFile writes data to the file name inside the directory. name must be
// a plain file name.
func (d DirFeed) WriteFile(name string, data []byte) error {
	if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return aceso.Errorf(aceso.EINVALID, "feed file %q: not a plain file name", name)
	}
	tmp, err := os.CreateTemp(string(d), "."+name+".*")
	if err != nil {
		return fmt.Errorf("feed file %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("feed file %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("feed file %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(string(d), name)); err != nil {
		return fmt.Errorf("feed file %s: %w", name, err)
	}
	return nil
}

// FeedResult says what WriteMISPFeed wrote and what it held back.
type FeedResult struct {
	Events     int           // event files written
	Attributes int           // attributes written (lines of hashes.csv may be more: composite values)
	Skipped    []SkippedItem // events and attributes not written, with the reason
}

// SkippedItem is an event or attribute an exporter held back.
type SkippedItem struct {
	UUID   string
	Reason string
}

// ManifestEntry is the summary of one event in a feed's manifest.json, which
// a MISP instance reads to decide which event files to fetch.
type ManifestEntry struct {
	Orgc          MISPOrg   `json:"Orgc"`
	Tag           []MISPTag `json:"Tag"`
	Info          string    `json:"info"`
	Date          string    `json:"date"`
	Analysis      FlexInt   `json:"analysis"`
	ThreatLevelID FlexInt   `json:"threat_level_id"`
	Timestamp     FlexInt   `json:"timestamp"`
}

// WriteMISPFeed writes events as a MISP feed for channel into dst: one
// `<uuid>.json` per event (`{"Event": {...}}`), `manifest.json` (event uuid
// → ManifestEntry) and `hashes.csv` (`md5(value),event uuid` per attribute
// value; composite values like filename|md5 give one line per part, as
// MISP computes them).
//
// TLP decides what is written, never the caller's good intentions: an event
// is written only when its label (its strictest tlp: tag) is allowed on the
// channel; an event without a tlp: tag is held back; an attribute tagged
// stricter than the channel allows is dropped. The event's distribution is
// set from its label (see MISPDistribution) and its attributes and objects
// inherit it. Events must carry a UUID (it becomes a file name); an event
// without one is an EINVALID error naming its position, and nothing is
// written. Held-back items are listed in the result.
func WriteMISPFeed(dst FeedWriter, channel Channel, events []MISPEvent) (FeedResult, error) {
	var res FeedResult
	if !ChannelMax(string(channel)).Valid() {
		return res, aceso.Errorf(aceso.EINVALID, "misp feed: unknown channel %q", channel)
	}
	seen := make(map[string]int, len(events))
	for i := range events {
		u := events[i].UUID
		if !IsUUID(u) {
			return res, aceso.Errorf(aceso.EINVALID, "misp feed: event %d (%.60q): uuid %.40q is not a UUID", i, events[i].Info, u)
		}
		if j, dup := seen[strings.ToLower(u)]; dup {
			return res, aceso.Errorf(aceso.EINVALID, "misp feed: events %d and %d share uuid %s", j, i, u)
		}
		seen[strings.ToLower(u)] = i
	}

	manifest := make(map[string]ManifestEntry, len(events))
	var hashes bytes.Buffer
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i := range events {
		ev := &events[i]
		label, ok := ev.TLP()
		if !ok {
			res.Skipped = append(res.Skipped, SkippedItem{ev.UUID, "no tlp: tag"})
			continue
		}
		if !AllowedOn(label, channel) {
			res.Skipped = append(res.Skipped, SkippedItem{ev.UUID, label.String() + " is above channel " + string(channel)})
			continue
		}
		out := feedEvent(ev, label, channel, &res)
		buf.Reset()
		if err := enc.Encode(struct {
			Event *MISPEvent `json:"Event"`
		}{out}); err != nil {
			return res, fmt.Errorf("misp feed: event %s: %w", ev.UUID, err)
		}
		if err := dst.WriteFile(out.UUID+".json", buf.Bytes()); err != nil {
			return res, fmt.Errorf("misp feed: %w", err)
		}
		res.Events++
		manifest[out.UUID] = manifestEntry(out)
		for _, a := range out.Attributes() {
			for _, h := range AttributeHashes(a) {
				hashes.WriteString(h)
				hashes.WriteByte(',')
				hashes.WriteString(out.UUID)
				hashes.WriteByte('\n')
			}
		}
	}
	m, err := json.Marshal(manifest) // map keys sorted: stable output
	if err != nil {
		return res, fmt.Errorf("misp feed: manifest: %w", err)
	}
	if err := dst.WriteFile("manifest.json", m); err != nil {
		return res, fmt.Errorf("misp feed: %w", err)
	}
	if err := dst.WriteFile("hashes.csv", hashes.Bytes()); err != nil {
		return res, fmt.Errorf("misp feed: %w", err)
	}
	return res, nil
}

// feedEvent copies ev for the feed: lower-case uuid, distribution from
// label, attributes filtered by their own TLP tags and set to inherit.
func feedEvent(ev *MISPEvent, label TLP, channel Channel, res *FeedResult) *MISPEvent {
	out := *ev
	out.UUID = strings.ToLower(ev.UUID)
	out.Distribution = FlexInt(MISPDistribution(label))
	out.Attribute = filterAttrs(ev.Attribute, channel, res)
	if ev.Object != nil {
		out.Object = make([]MISPObject, 0, len(ev.Object))
		for _, o := range ev.Object {
			o.Distribution = DistributionInherit
			o.Attribute = filterAttrs(o.Attribute, channel, res)
			out.Object = append(out.Object, o)
		}
	}
	return &out
}

func filterAttrs(in []MISPAttribute, channel Channel, res *FeedResult) []MISPAttribute {
	if in == nil {
		return nil
	}
	out := make([]MISPAttribute, 0, len(in))
	for _, a := range in {
		if l, ok := tagsTLP(a.Tag); ok && !AllowedOn(l, channel) {
			res.Skipped = append(res.Skipped, SkippedItem{a.UUID, "attribute " + l.String() + " is above channel " + string(channel)})
			continue
		}
		a.Distribution = DistributionInherit
		out = append(out, a)
		res.Attributes++
	}
	return out
}

func manifestEntry(ev *MISPEvent) ManifestEntry {
	var org MISPOrg
	if ev.Orgc != nil {
		org = *ev.Orgc
	}
	tags := ev.Tag
	if tags == nil {
		tags = []MISPTag{}
	}
	return ManifestEntry{
		Orgc: org, Tag: tags, Info: ev.Info, Date: ev.Date,
		Analysis: ev.Analysis, ThreatLevelID: ev.ThreatLevelID, Timestamp: ev.Timestamp,
	}
}

// AttributeHashes returns the hex MD5 digests MISP lists for an attribute in
// a feed's hashes.csv: one of the value, or one per part for composite types
// (type contains "|", e.g. filename|md5) and malware-sample.
func AttributeHashes(a MISPAttribute) []string {
	parts := []string{a.Value}
	if strings.Contains(a.Type, "|") || a.Type == "malware-sample" {
		parts = strings.Split(a.Value, "|")
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		sum := md5.Sum([]byte(p))
		out[i] = hex.EncodeToString(sum[:])
	}
	return out
}

// ParseMISPManifest reads a feed's manifest.json (event uuid → entry).
func ParseMISPManifest(data []byte) (map[string]ManifestEntry, error) {
	var m map[string]ManifestEntry
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, aceso.Wrap(aceso.EINVALID, err, "misp manifest: %s", jsonErrField(err))
	}
	return m, nil
}
