package stix

import (
	"time"
)

// SpecVersion is the STIX version Concord writes.
const SpecVersion = "2.1"

// Timestamp formats t as STIX requires: UTC, RFC 3339, milliseconds.
func Timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// Common holds the properties every STIX domain and relationship object
// Concord writes shares. Created and Modified are derived from the data
// (never from the clock), so a re-export is byte-identical.
type Common struct {
	Type              string   `json:"type"`
	SpecVersion       string   `json:"spec_version"`
	ID                string   `json:"id"`
	CreatedByRef      string   `json:"created_by_ref,omitempty"`
	Created           string   `json:"created"`
	Modified          string   `json:"modified"`
	Labels            []string `json:"labels,omitempty"`
	Confidence        *int     `json:"confidence,omitempty"`
	ObjectMarkingRefs []string `json:"object_marking_refs"`
}

// common returns the shared properties of an object of type typ named name,
// created at t and marked m.
func common(typ, name string, t time.Time, createdBy string, m string) Common {
	ts := Timestamp(t)
	return Common{Type: typ, SpecVersion: SpecVersion, ID: ID(typ, name), CreatedByRef: createdBy,
		Created: ts, Modified: ts, ObjectMarkingRefs: []string{m}}
}

// Identity is an identity object: this node's agency, the creator of
// everything it exports.
type Identity struct {
	Common
	Name               string   `json:"name"`
	IdentityClass      string   `json:"identity_class,omitempty"`
	Sectors            []string `json:"sectors,omitempty"`
	ContactInformation string   `json:"contact_information,omitempty"`
	Country            string   `json:"x_concord_country,omitempty"`
}

// Indicator is an indicator object with a STIX pattern.
type Indicator struct {
	Common
	Name           string   `json:"name,omitempty"`
	Description    string   `json:"description,omitempty"`
	IndicatorTypes []string `json:"indicator_types,omitempty"`
	Pattern        string   `json:"pattern"`
	PatternType    string   `json:"pattern_type"`
	ValidFrom      string   `json:"valid_from"`
	// Class is the RSIT class of the address, so that a Concord node
	// importing the bundle classifies exactly as this one did.
	Class string   `json:"x_concord_class,omitempty"`
	Role  string   `json:"x_concord_role,omitempty"`
	Flags []string `json:"x_concord_flags,omitempty"`
}

// Malware is a malware family.
type Malware struct {
	Common
	Name         string   `json:"name"`
	IsFamily     bool     `json:"is_family"`
	MalwareTypes []string `json:"malware_types,omitempty"`
}

// ThreatActor is a threat-actor object: one hypothesis of an assessment
// that names an actor.
type ThreatActor struct {
	Common
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Types       []string `json:"threat_actor_types,omitempty"`
}

// IntrusionSet is an intrusion-set object: a hypothesis that names a
// campaign or group by its activity rather than by who is behind it.
type IntrusionSet struct {
	Common
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Relationship links two objects ("indicates", "attributed-to").
type Relationship struct {
	Common
	RelationshipType string `json:"relationship_type"`
	Description      string `json:"description,omitempty"`
	SourceRef        string `json:"source_ref"`
	TargetRef        string `json:"target_ref"`
}

// Note is a note object: Concord writes the competing hypotheses of an
// assessment and its reasons as notes on the objects they concern.
type Note struct {
	Common
	Abstract   string   `json:"abstract,omitempty"`
	Content    string   `json:"content"`
	Authors    []string `json:"authors,omitempty"`
	ObjectRefs []string `json:"object_refs"`
}

// ObservedData records that addresses were seen over a period.
type ObservedData struct {
	Common
	FirstObserved  string   `json:"first_observed"`
	LastObserved   string   `json:"last_observed"`
	NumberObserved int64    `json:"number_observed"`
	ObjectRefs     []string `json:"object_refs"`
	Flags          []string `json:"x_concord_flags,omitempty"`
}

// Sighting says that an indicator was seen, by whom and when.
type Sighting struct {
	Common
	FirstSeen        string   `json:"first_seen,omitempty"`
	LastSeen         string   `json:"last_seen,omitempty"`
	Count            int64    `json:"count,omitempty"`
	SightingOfRef    string   `json:"sighting_of_ref"`
	ObservedDataRefs []string `json:"observed_data_refs,omitempty"`
	WhereSightedRefs []string `json:"where_sighted_refs,omitempty"`
}

// SCO holds what every cyber-observable object Concord writes shares.
type SCO struct {
	Type              string   `json:"type"`
	SpecVersion       string   `json:"spec_version"`
	ID                string   `json:"id"`
	ObjectMarkingRefs []string `json:"object_marking_refs"`
}

// Address is an ipv4-addr or ipv6-addr object.
type Address struct {
	SCO
	Value         string   `json:"value"`
	BelongsToRefs []string `json:"belongs_to_refs,omitempty"`
}

// AutonomousSystem is an autonomous-system object.
type AutonomousSystem struct {
	SCO
	Number uint32 `json:"number"`
	Name   string `json:"name,omitempty"`
}

// NetworkTraffic is a network-traffic object: a connection to or from a
// C&C server.
type NetworkTraffic struct {
	SCO
	Start     string   `json:"start,omitempty"`
	SrcRef    string   `json:"src_ref,omitempty"`
	DstRef    string   `json:"dst_ref,omitempty"`
	DstPort   *uint16  `json:"dst_port,omitempty"`
	Protocols []string `json:"protocols"`
}
