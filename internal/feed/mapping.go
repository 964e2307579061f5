package feed

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/concord-cert/concord/internal/event"
)

// Mapping tells the generic CSV and JSON-lines decoders how to read a feed
// that has no decoder of its own. It is loaded from a small JSON file:
//
//	{
//	  "feed": "acme-blocklist",
//	  "provider": "ACME CERT",
//	  "classification": "malicious-code/c2-server",
//	  "tlp": "TLP:GREEN",
//	  "columns": {"ip": "source.ip", "port": "source.port",
//	              "first_seen": "time.source", "family": "malware.name"}
//	}
//
// Keys of "columns" are CSV header names (or 1-based column numbers when the
// file has no header) or, for JSON lines, member names with dots for nested
// objects ("alert.signature"). Values are IntelMQ field names, or
// "extra.NAME" to keep a column without a field of its own.
type Mapping struct {
	Feed           string            `json:"feed"`
	Provider       string            `json:"provider,omitempty"`
	Classification string            `json:"classification,omitempty"`
	TLP            string            `json:"tlp,omitempty"`
	Columns        map[string]string `json:"columns"`
	// Delimiter is the CSV field separator, "," when empty; "\t" for TSV.
	Delimiter string `json:"delimiter,omitempty"`
	// NoHeader says the CSV's first row is data, and Columns are numbered.
	NoHeader bool `json:"no_header,omitempty"`
	// Comment is the prefix of lines to skip, "#" when empty.
	Comment string `json:"comment,omitempty"`
	// TimeFormat is a Go time layout for time columns; empty means Concord
	// recognizes RFC 3339, "YYYY-MM-DD hh:mm:ss", dates and epoch seconds.
	TimeFormat string `json:"time_format,omitempty"`
}

// mappableFields are the IntelMQ fields a Mapping may target.
var mappableFields = map[string]bool{
	"source.ip": true, "source.port": true, "source.fqdn": true, "source.url": true,
	"destination.ip": true, "destination.port": true, "destination.fqdn": true, "destination.url": true,
	"classification.taxonomy": true, "classification.type": true, "classification.identifier": true,
	"malware.name": true, "time.source": true, "protocol.transport": true, "protocol.application": true,
	"event_description.text": true, "feed.name": true, "feed.provider": true, "tlp": true,
}

// LoadMapping reads and validates a mapping file.
func LoadMapping(path string) (*Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("feed: read mapping: %w", err)
	}
	var m Mapping
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("feed: mapping %s: %w", path, err)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("feed: mapping %s: %w", path, err)
	}
	return &m, nil
}

// Validate checks that the mapping names known fields and can classify or
// at least locate every record.
func (m *Mapping) Validate() error {
	if len(m.Columns) == 0 {
		return fmt.Errorf("\"columns\" is empty: map at least one column to source.ip, source.fqdn or source.url")
	}
	var bad []string
	hasAddr := false
	for col, field := range m.Columns {
		if strings.HasPrefix(field, "extra.") && len(field) > len("extra.") {
			continue
		}
		if !mappableFields[field] {
			bad = append(bad, fmt.Sprintf("%s→%s", col, field))
		}
		switch field {
		case "source.ip", "source.fqdn", "source.url", "destination.ip", "destination.fqdn", "destination.url":
			hasAddr = true
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("unknown target fields %s (use IntelMQ names such as source.ip or extra.NAME)", strings.Join(bad, ", "))
	}
	if !hasAddr {
		return fmt.Errorf("no column maps to an address field (source.ip, source.fqdn, source.url, destination.*)")
	}
	if m.Classification != "" {
		if _, err := event.ParseClass(m.Classification); err != nil {
			return err
		}
	}
	if m.TLP != "" {
		if _, err := event.ParseTLP(m.TLP); err != nil {
			return err
		}
	}
	if len([]rune(m.Delimiter)) > 1 && m.Delimiter != `\t` {
		return fmt.Errorf("delimiter %q must be one character", m.Delimiter)
	}
	return nil
}
