package event

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind separates incidents from the context around them.
type Kind uint8

const (
	// Incident is a classified record: something a CERT would act on or
	// count (an IDS alert, a C&C listing, a sinkholed bot).
	Incident Kind = 1
	// Observation is an unclassified context record, such as a flow, DNS
	// answer or TLS handshake. Observations are stored and counted but never
	// appear in incident statistics.
	Observation Kind = 2
)

// String returns "incident" or "observation".
func (k Kind) String() string {
	switch k {
	case Incident:
		return "incident"
	case Observation:
		return "observation"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Role is the part an address plays in an incident. Statistics count
// distinct addresses per role, so a C&C connection yields two facts: the
// client as an infected host and the server as a C&C server.
type Role uint8

const (
	// RoleNone means the address is only context (a scan target, a sinkhole).
	RoleNone Role = iota
	// RoleC2 is a command-and-control server.
	RoleC2
	// RoleInfected is a host controlled by malware (a bot, a "zombie").
	RoleInfected
	// RoleAttacker is the source of an attack: scanner, brute-forcer,
	// exploit sender, DoS participant.
	RoleAttacker
	// RoleVulnerable is a host exposing a vulnerable or abusable service.
	RoleVulnerable
	// RoleMalicious hosts malicious content: phishing, malware downloads.
	RoleMalicious
	// RoleTarget is the victim side of an attack.
	RoleTarget
)

var roleNames = [...]string{"", "c2-server", "infected-host", "attack-source", "vulnerable-host", "malicious-host", "target"}

// String returns the role's machine name, e.g. "c2-server".
func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// ParseRole is the inverse of Role.String.
func ParseRole(s string) (Role, error) {
	for i, n := range roleNames {
		if i > 0 && n == s {
			return Role(i), nil
		}
	}
	return 0, fmt.Errorf("event: unknown role %q", s)
}

// DefaultRoles returns the roles the source and destination play in an
// incident of class c when a decoder has no better knowledge. By IntelMQ
// convention the source is the address the record is about.
func DefaultRoles(c Class) (src, dst Role) {
	switch c.Taxonomy {
	case "malicious-code":
		switch c.Type {
		case "c2-server":
			return RoleC2, RoleNone
		case "infected-system":
			return RoleInfected, RoleNone
		default:
			return RoleMalicious, RoleNone
		}
	case "information-gathering", "intrusion-attempts", "intrusions", "availability":
		if c.Type == "misconfiguration" || c.Type == "outage" {
			return RoleVulnerable, RoleNone
		}
		return RoleAttacker, RoleTarget
	case "vulnerable":
		return RoleVulnerable, RoleNone
	case "fraud", "abusive-content":
		return RoleMalicious, RoleNone
	}
	return RoleNone, RoleNone
}

// Flags are facts about an address at the time of the event that explain why
// it may not be the attacker: relays, hosting, sinkholes.
type Flags uint16

const (
	// FlagTor marks a Tor exit relay.
	FlagTor Flags = 1 << iota
	// FlagProxy marks an open or residential proxy.
	FlagProxy
	// FlagVPN marks a commercial VPN endpoint.
	FlagVPN
	// FlagHosting marks a hosting, VPS or cloud address.
	FlagHosting
	// FlagSinkhole marks a sinkhole operated by researchers or authorities.
	FlagSinkhole
)

var flagNames = [...]string{"tor-exit", "proxy", "vpn", "hosting", "sinkhole"}

// Names returns the set flags' names in a fixed order, e.g. ["tor-exit"].
func (f Flags) Names() []string {
	out := []string{}
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// String joins Names with commas.
func (f Flags) String() string { return strings.Join(f.Names(), ",") }

// ParseFlag returns the flag named s ("tor-exit", "proxy", ...).
func ParseFlag(s string) (Flags, error) {
	for i, n := range flagNames {
		if n == s {
			return 1 << i, nil
		}
	}
	return 0, fmt.Errorf("event: unknown flag %q", s)
}

// Endpoint is one side of an event: source.* or destination.* in IntelMQ.
type Endpoint struct {
	IP   netip.Addr // source.ip; the zero Addr when absent
	Port uint16     // source.port; 0 when absent
	FQDN string     // source.fqdn
	URL  string     // source.url

	// Filled by enrichment, never by decoders (a feed's own geolocation is
	// kept in Extra when it differs, but Concord's figures use its own
	// database so that every figure names the database it came from).
	ASN    uint32 // source.asn
	ASName string // source.as_name
	CC     string // source.geolocation.cc, ISO 3166-1 alpha-2
	Flags  Flags  // relay and hosting flags at the time of the event
	Role   Role   // the part this address plays
}

// Feed identifies where a record came from.
type Feed struct {
	Name     string // feed.name, e.g. "suricata", "feodo-tracker"
	Provider string // feed.provider, e.g. "abuse.ch"
	Code     string // feed.code: the report type, e.g. "event4_sinkhole"
}

// Event is one normalized record. Decoders fill the descriptive fields;
// enrichment fills the Endpoint enrichment fields and IPDB; the store fills
// nothing but keeps everything.
type Event struct {
	Kind       Kind
	Class      Class  // classification.taxonomy / classification.type
	Identifier string // classification.identifier: signature id, note, report type

	TimeSource      time.Time // time.source, UTC; zero when the feed gives none
	TimeObservation time.Time // time.observation, UTC: when Concord read it

	Feed        Feed
	Source      Endpoint
	Destination Endpoint

	Malware     string // malware.name, lower case
	Transport   string // protocol.transport: tcp, udp, icmp
	Application string // protocol.application: http, dns, tls
	Text        string // event_description.text: signature, notice message

	TLP   TLP
	Extra []byte // extra: a JSON object built with ExtraWriter, or nil
	Raw   []byte // raw: the original record, byte for byte

	// Line is the 1-based line of the input where the record starts.
	Line int64
	// IPDB names the IP database that enriched the record, "name@version".
	IPDB string
}

// Time returns the time the event happened: time.source when the feed gave
// one, time.observation otherwise.
func (e *Event) Time() time.Time {
	if !e.TimeSource.IsZero() {
		return e.TimeSource
	}
	return e.TimeObservation
}

// SetClass sets the classification and, where the decoder has not set them,
// the default roles of source and destination for that class. An endpoint
// with no address, host name or URL gets no role.
func (e *Event) SetClass(c Class) {
	src, dst := DefaultRoles(c)
	if e.Source.Role != RoleNone {
		src = e.Source.Role
	}
	if e.Destination.Role != RoleNone {
		dst = e.Destination.Role
	}
	e.SetClassRoles(c, src, dst)
}

// SetClassRoles sets the classification and exactly the given roles, for
// decoders that know an endpoint plays none (a sinkhole, a honeypot).
func (e *Event) SetClassRoles(c Class, src, dst Role) {
	e.Kind = Incident
	e.Class = c
	e.Source.Role, e.Destination.Role = RoleNone, RoleNone
	if e.Source.present() {
		e.Source.Role = src
	}
	if e.Destination.present() {
		e.Destination.Role = dst
	}
}

// present reports whether the endpoint names anything.
func (ep *Endpoint) present() bool {
	return ep.IP.IsValid() || ep.FQDN != "" || ep.URL != ""
}

// Validate checks the invariants every stored event must hold. Decoders call
// it before emitting, so a record that fails is rejected with this reason.
func (e *Event) Validate() error {
	switch e.Kind {
	case Incident:
		if !e.Class.Valid() {
			return fmt.Errorf("classification %q is not RSIT", e.Class.String())
		}
		if !e.Source.IP.IsValid() && e.Source.FQDN == "" && e.Source.URL == "" &&
			!e.Destination.IP.IsValid() && e.Destination.FQDN == "" && e.Destination.URL == "" {
			return fmt.Errorf("incident names no address, host name or URL")
		}
	case Observation:
		if !e.Class.IsZero() {
			return fmt.Errorf("observation carries classification %s", e.Class)
		}
	default:
		return fmt.Errorf("event kind %d is neither incident nor observation", e.Kind)
	}
	if e.Feed.Name == "" {
		return fmt.Errorf("feed.name is empty")
	}
	for _, t := range []time.Time{e.TimeSource, e.TimeObservation} {
		if !t.IsZero() && t.Location() != time.UTC {
			return fmt.Errorf("time %s is not UTC", t)
		}
	}
	if e.TLP > TLPRed {
		return fmt.Errorf("invalid TLP %d", e.TLP)
	}
	// The fields stored as text columns must be text on every backend:
	// PostgreSQL refuses NUL bytes and invalid UTF-8 that SQLite would keep,
	// and one such record must not fail a whole batch on one backend only.
	for _, f := range []struct{ name, v string }{{"feed.name", e.Feed.Name}, {"malware.name", e.Malware}} {
		if !utf8.ValidString(f.v) || strings.IndexByte(f.v, 0) >= 0 {
			return fmt.Errorf("%s %q is not text (a NUL byte or invalid UTF-8)", f.name, f.v)
		}
	}
	return nil
}

// Reset clears e for reuse by a decoder, keeping the capacity of its byte
// slices.
func (e *Event) Reset() {
	extra, raw := e.Extra[:0], e.Raw[:0]
	*e = Event{}
	e.Extra, e.Raw = extra, raw
}
