package casework

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
)

// RequestType is the kind of a request for assistance. Its value is the id
// the CLI, the store and the request drafts of package assess use.
type RequestType string

// The request types, in the order a case usually needs them.
const (
	// Preservation is expedited preservation of stored data (Budapest
	// art. 29, UN art. 42).
	Preservation RequestType = "preservation"
	// TrafficDisclosure is expedited disclosure of preserved traffic data
	// (Budapest art. 30, UN art. 43).
	TrafficDisclosure RequestType = "traffic-disclosure"
	// StoredData is search, seizure or disclosure of stored data (Budapest
	// art. 31, UN art. 44).
	StoredData RequestType = "stored-data"
	// SubscriberInfo is disclosure of subscriber information (Second
	// Additional Protocol arts. 7 and 8).
	SubscriberInfo RequestType = "subscriber-info"
	// Emergency is emergency disclosure or assistance (Second Additional
	// Protocol arts. 9 and 10).
	Emergency RequestType = "emergency"
	// MLA is a mutual legal assistance request (UNTOC art. 18(15), UN
	// art. 40).
	MLA RequestType = "mla"
	// Takedown is a CERT-to-CERT request to take down or notify about a
	// malicious resource; it yields intelligence, not evidence.
	Takedown RequestType = "takedown"
)

var requestTypes = []RequestType{Preservation, TrafficDisclosure, StoredData, SubscriberInfo, Emergency, MLA, Takedown}

// RequestTypes returns every request type, in a stable order.
func RequestTypes() []RequestType { return slices.Clone(requestTypes) }

// ParseRequestType accepts a request type id in any case, with underscores or
// spaces in place of hyphens.
func ParseRequestType(s string) (RequestType, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	v = strings.NewReplacer("_", "-", " ", "-").Replace(v)
	if t := RequestType(v); t.valid() {
		return t, nil
	}
	return "", fmt.Errorf("casework: %q is not a request type (use %s)", s, joinTypes(requestTypes))
}

func (t RequestType) valid() bool { return slices.Contains(requestTypes, t) }

// String returns the request type's id.
func (t RequestType) String() string { return string(t) }

// LegalBasis returns the treaty articles the request type rests on, as text
// for a request's header, e.g. "Budapest Convention art. 29". A takedown has
// none: it travels between CERTs outside any treaty.
func (t RequestType) LegalBasis() []string {
	switch t {
	case Preservation:
		return []string{"Budapest Convention art. 29", "UN Convention against Cybercrime art. 42"}
	case TrafficDisclosure:
		return []string{"Budapest Convention art. 30", "UN Convention against Cybercrime art. 43"}
	case StoredData:
		return []string{"Budapest Convention art. 31", "UN Convention against Cybercrime art. 44"}
	case SubscriberInfo:
		return []string{"Second Additional Protocol to the Budapest Convention art. 7", "Second Additional Protocol to the Budapest Convention art. 8"}
	case Emergency:
		return []string{"Second Additional Protocol to the Budapest Convention art. 9", "Second Additional Protocol to the Budapest Convention art. 10"}
	case MLA:
		return []string{"UNTOC art. 18(15)", "UN Convention against Cybercrime art. 40"}
	}
	return nil
}

// Description returns one line saying what the request type asks for.
func (t RequestType) Description() string {
	switch t {
	case Preservation:
		return "Expedited preservation of stored data, so they are not lost before a request for their disclosure."
	case TrafficDisclosure:
		return "Expedited disclosure of preserved traffic data, enough to identify the next provider on the path."
	case StoredData:
		return "Search, seizure or disclosure of stored computer data."
	case SubscriberInfo:
		return "Disclosure of the subscriber behind an address, port and time, by the provider or through a production order."
	case Emergency:
		return "Emergency disclosure or assistance where there is an imminent risk to the life or safety of a person."
	case MLA:
		return "Mutual legal assistance: a formal request, usually through the central authority, for evidence or other assistance."
	case Takedown:
		return "CERT-to-CERT request to take down, or notify about, a malicious resource; it yields intelligence, not evidence."
	}
	return ""
}

// YieldsEvidence reports whether what the request type obtains is evidence
// for criminal proceedings. A takedown's answer is intelligence: it can guide
// an investigation but not be produced in court.
func (t RequestType) YieldsEvidence() bool { return t.valid() && t != Takedown }

// FieldKind says what JSON value a request field holds, so that a form or a
// command line can offer the right input.
type FieldKind string

// The field kinds. Validate accepts exactly the JSON values listed.
const (
	// KindText is a non-empty JSON string.
	KindText FieldKind = "text"
	// KindList is a JSON array of non-empty strings or objects; a single
	// string counts as a list of one.
	KindList FieldKind = "list"
	// KindBool is JSON true or false.
	KindBool FieldKind = "bool"
	// KindIP is a string holding an IPv4 or IPv6 address without a zone.
	KindIP FieldKind = "ip"
	// KindPort is a JSON integer from 1 to 65535.
	KindPort FieldKind = "port"
	// KindTime is a string holding an RFC 3339 time in UTC, such as
	// 2024-03-12T10:00:00Z.
	KindTime FieldKind = "time"
	// KindDate is a string holding a date (2026-01-31) or an RFC 3339 time.
	KindDate FieldKind = "date"
	// KindChoice is a string equal to one of the field's Choices.
	KindChoice FieldKind = "choice"
	// KindClass is a string holding an RSIT classification, such as
	// fraud/phishing.
	KindClass FieldKind = "classification"
)

// Field describes one named entry of a request's content.
type Field struct {
	// Name is the snake_case key in the request's JSON content.
	Name string
	// Mandatory fields must be present and non-empty.
	Mandatory bool
	// Kind says what JSON value the field holds.
	Kind FieldKind
	// Choices lists the allowed values of a KindChoice field.
	Choices []string
	// Description says what the field holds, for documentation and forms.
	Description string
}

// Channels are the values of the channel field.
var channels = []string{"central-authority", "24-7-network", "interpol", "europol-siena", "diplomatic", "cert"}

// Takedown actions are the values of a takedown's action field.
var takedownActions = []string{"takedown", "notification"}

// fieldDefs holds the kind and the default description of every field name;
// a request type may give a field a more precise description.
var fieldDefs = map[string]Field{
	"requesting_authority":    {Kind: KindText, Description: "The authority (for a takedown, the team) making the request, with a contact who can answer questions."},
	"investigating_authority": {Kind: KindText, Description: "The authority conducting the investigation or proceeding the request relates to."},
	"offence":                 {Kind: KindText, Description: "The offence under investigation, as the requesting side's law names it."},
	"subject":                 {Kind: KindText, Description: "The subject and nature of the investigation, prosecution or proceeding."},
	"facts":                   {Kind: KindText, Description: "A brief summary of the relevant facts."},
	"data":                    {Kind: KindText, Description: "The data sought and how they relate to the offence."},
	"custodian":               {Kind: KindText, Description: "The custodian of the data or the location of the computer system, e.g. the provider and its service."},
	"provider":                {Kind: KindText, Description: "The service provider holding the data."},
	"necessity":               {Kind: KindText, Description: "Why preservation is necessary: what makes loss or modification of the data likely."},
	"mla_intent":              {Kind: KindBool, Description: "Must be true: the requesting side intends to follow with a request for search, seizure or disclosure of the data (Budapest art. 29(2)(f))."},
	"preservation_ref":        {Kind: KindText, Description: "The reference of the preservation request this follows, or the requested side's reference for the preserved data."},
	"assistance_sought":       {Kind: KindText, Description: "The assistance sought: what the requested side is asked to do."},
	"special_procedure":       {Kind: KindText, Description: "Any particular procedure the requesting side wishes followed, e.g. to keep the evidence admissible."},
	"persons":                 {Kind: KindList, Description: "The identity, location and nationality of each person concerned, where known."},
	"purpose":                 {Kind: KindText, Description: "The purpose for which the evidence, information or action is sought."},
	"urgency":                 {Kind: KindText, Description: "Why the data are particularly vulnerable to loss or modification, when expedited handling is asked for (Budapest art. 31(3))."},
	"dual_criminality":        {Kind: KindText, Description: "A statement that the conduct is also an offence under the requested side's law, where its law requires it."},
	"emergency_justification": {Kind: KindText, Description: "Why there is an imminent risk to the life or safety of a natural person, and how the data would help avert it."},
	"identifiers":             {Kind: KindList, Description: "Further identifiers of the subscriber: account names, e-mail addresses, telephone numbers."},
	"ip":                      {Kind: KindIP, Description: "The IP address the data concern, as the requesting side observed it."},
	"port":                    {Kind: KindPort, Description: "The source port seen with the address; without it an IPv4 address behind carrier-grade NAT cannot be resolved to one subscriber."},
	"time":                    {Kind: KindTime, Description: "When the address was seen, as an RFC 3339 time in UTC, e.g. 2024-03-12T10:00:00Z."},
	"follow_up":               {Kind: KindText, Description: "The request that will follow once the data are safe, e.g. mla or subscriber-info."},
	"target":                  {Kind: KindText, Description: "The URL, domain, IP address or account to take down or to notify about."},
	"action":                  {Kind: KindChoice, Choices: takedownActions, Description: "What is asked: takedown (remove or disable the resource) or notification (tell its owner or operator)."},
	"evidence_summary":        {Kind: KindText, Description: "What was observed, when and by whom: enough for the receiving team to verify the claim."},
	"classification":          {Kind: KindClass, Description: "The RSIT classification of the incident, e.g. fraud/phishing or malicious-code/c2-server."},
	"legal_provisions":        {Kind: KindList, Description: "The legal provisions the request relies on: the offence's article and the applicable treaty articles."},
	"confidentiality":         {Kind: KindBool, Description: "True when the requested side must keep the request and its substance confidential, except as needed to execute it (UNTOC art. 18(20))."},
	"deadline":                {Kind: KindDate, Description: "The date by which an answer is requested; deadline_reason says why."},
	"deadline_reason":         {Kind: KindText, Description: "Why the answer is needed by the deadline, e.g. a trial date or data about to be deleted."},
	"language":                {Kind: KindText, Description: "The language of the request and of the answer wanted, as a language tag such as en or fr."},
	"channel":                 {Kind: KindChoice, Choices: channels, Description: "The channel the request travels through: central-authority, 24-7-network, interpol, europol-siena, diplomatic or cert."},
	"notes":                   {Kind: KindText, Description: "Anything else the requested side should know."},
}

// commonFields are optional for every request type and come after the
// type's own fields.
var commonFields = []string{"legal_provisions", "confidentiality", "deadline", "deadline_reason", "language", "channel", "notes"}

// typeField is one entry of a request type's field list; desc, when set,
// replaces the field's default description.
type typeField struct {
	name      string
	mandatory bool
	desc      string
}

func must(name, desc string) typeField { return typeField{name: name, mandatory: true, desc: desc} }
func may(name, desc string) typeField  { return typeField{name: name, desc: desc} }

// typeFields lists each type's own fields: mandatory first, in the order the
// governing text lists them, then the optional ones.
var typeFields = map[RequestType][]typeField{
	// Budapest art. 29(2)(a)–(f).
	Preservation: {
		must("requesting_authority", ""),
		must("offence", "The offence under investigation and the reason for the request."),
		must("facts", ""),
		must("data", "The stored data to preserve and how they relate to the offence."),
		must("custodian", ""),
		must("necessity", ""),
		must("mla_intent", ""),
		may("ip", ""), may("port", ""), may("time", ""),
		may("purpose", "What the data will be used for once disclosed, e.g. identifying the subscriber behind the address."),
		may("follow_up", ""),
	},
	// Budapest art. 30: disclosure follows a preservation.
	TrafficDisclosure: {
		must("requesting_authority", ""),
		must("offence", ""),
		must("facts", ""),
		must("preservation_ref", ""),
		must("data", "The traffic data sought: connections, period, and the addresses or accounts concerned."),
		may("ip", ""), may("port", ""), may("time", ""),
		may("purpose", "What the traffic data are for, usually identifying the next provider on the path (Budapest art. 30)."),
	},
	// Budapest art. 31 is a mutual assistance request about stored data.
	StoredData: {
		must("requesting_authority", ""),
		must("offence", ""),
		must("facts", ""),
		must("data", "The stored data sought and how they relate to the offence."),
		must("custodian", ""),
		must("assistance_sought", "Search or similar access, seizure or similar securing, or disclosure of the data."),
		must("purpose", ""),
		may("preservation_ref", ""),
		may("urgency", ""),
		may("persons", ""),
		may("special_procedure", ""),
		may("dual_criminality", ""),
		may("ip", ""), may("port", ""), may("time", ""),
	},
	// Protocol art. 7(3)–(4) and art. 8(3).
	SubscriberInfo: {
		must("requesting_authority", ""),
		must("offence", ""),
		must("facts", ""),
		must("provider", "The service provider that assigned the address and holds the subscriber information."),
		must("ip", ""), must("port", ""), must("time", ""),
		must("data", "The subscriber information sought, e.g. name, postal address, payment details, account creation date."),
		may("identifiers", ""),
	},
	// Protocol arts. 9(3) and 10(3).
	Emergency: {
		must("requesting_authority", ""),
		must("facts", "The facts of the emergency."),
		must("data", "The data or assistance sought and how they relate to the emergency."),
		must("emergency_justification", ""),
		may("offence", ""),
		may("provider", ""),
		may("persons", ""),
		may("ip", ""), may("port", ""), may("time", ""),
	},
	// UNTOC art. 18(15)(a)–(f).
	MLA: {
		must("requesting_authority", ""),
		must("investigating_authority", ""),
		must("subject", ""),
		must("facts", ""),
		must("assistance_sought", "The assistance sought: the evidence or action asked for."),
		must("persons", ""),
		must("purpose", ""),
		may("offence", ""),
		may("special_procedure", ""),
		may("preservation_ref", ""),
		may("dual_criminality", ""),
	},
	Takedown: {
		must("requesting_authority", ""),
		must("target", ""),
		must("action", ""),
		must("evidence_summary", ""),
		may("classification", ""),
		may("provider", "The hosting provider, registrar or operator responsible for the target, when known."),
	},
}

// Fields returns the fields of a request of type t: its own fields,
// mandatory first, then the optional fields common to every type. It returns
// nil for an unknown type. The caller may modify the result.
func Fields(t RequestType) []Field {
	own, ok := typeFields[t]
	if !ok {
		return nil
	}
	out := make([]Field, 0, len(own)+len(commonFields))
	for _, tf := range own {
		f := fieldDefs[tf.name]
		f.Name, f.Mandatory = tf.name, tf.mandatory
		if tf.desc != "" {
			f.Description = tf.desc
		}
		f.Choices = slices.Clone(f.Choices)
		out = append(out, f)
	}
	for _, name := range commonFields {
		f := fieldDefs[name]
		f.Name = name
		f.Choices = slices.Clone(f.Choices)
		out = append(out, f)
	}
	return out
}

// Validate checks a request's content, as decoded from JSON, against the
// fields of type t. Missing lists the mandatory fields that are absent, null
// or empty, in the order Fields returns them. Problems lists, as
// "field: reason", the fields that are present but invalid (wrong JSON type,
// mla_intent not true, an address, port or time that does not parse, a value
// outside the field's choices), then any name that is not a field of t. A
// request is complete when both are empty. An unknown type yields a single
// problem naming the valid types.
func Validate(t RequestType, fields map[string]any) (missing []string, problems []string) {
	defs := Fields(t)
	if defs == nil {
		return nil, []string{fmt.Sprintf("type: %q is not a request type (use %s)", string(t), joinTypes(requestTypes))}
	}
	known := make(map[string]bool, len(defs))
	for _, f := range defs {
		known[f.Name] = true
		v, present := fields[f.Name]
		if !present || isEmpty(v) {
			if f.Mandatory {
				missing = append(missing, f.Name)
			}
			continue
		}
		if p := checkValue(f, v); p != "" {
			problems = append(problems, f.Name+": "+p)
		}
	}
	var unknown []string
	for name := range fields {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		p := fmt.Sprintf("%s: not a field of %s request", name, article(t))
		if s := closest(name, defs); s != "" {
			p += "; did you mean " + s + "?"
		}
		problems = append(problems, p)
	}
	return missing, problems
}

// isEmpty reports whether a decoded JSON value carries nothing. False and
// zero are values, not absences: mla_intent false is a problem, not a
// missing field.
func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(v) == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// checkValue returns why v is not a valid value of f, or "".
func checkValue(f Field, v any) string {
	s, isString := v.(string)
	s = strings.TrimSpace(s)
	switch f.Kind {
	case KindText:
		if !isString {
			return "must be text, not " + jsonKind(v)
		}
	case KindList:
		if isString {
			return ""
		}
		items, ok := v.([]any)
		if !ok {
			return "must be a list or a text, not " + jsonKind(v)
		}
		for i, it := range items {
			switch it.(type) {
			case string, map[string]any:
				if isEmpty(it) {
					return fmt.Sprintf("item %d is empty", i+1)
				}
			default:
				return fmt.Sprintf("item %d must be a text or an object, not %s", i+1, jsonKind(it))
			}
		}
	case KindBool:
		b, ok := v.(bool)
		if !ok {
			return "must be true or false, not " + jsonKind(v)
		}
		if f.Name == "mla_intent" && !b {
			return "must be true: data are preserved only on the promise of a request for their search, seizure or disclosure (Budapest art. 29(2)(f))"
		}
	case KindIP:
		if !isString {
			return "must be an IP address in a text, not " + jsonKind(v)
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return fmt.Sprintf("%q is not an IPv4 or IPv6 address", s)
		}
	case KindPort:
		n, ok := integer(v)
		if !ok {
			return "must be a whole number from 1 to 65535, not " + jsonKind(v)
		}
		if n < 1 || n > 65535 {
			return fmt.Sprintf("%d is not a port number (1 to 65535)", n)
		}
	case KindTime:
		if !isString {
			return "must be an RFC 3339 time in a text, not " + jsonKind(v)
		}
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return fmt.Sprintf("%q is not an RFC 3339 time (e.g. 2024-03-12T10:00:00Z)", s)
		}
		if _, off := tm.Zone(); off != 0 {
			return fmt.Sprintf("%q is not in UTC; give it as %s", s, tm.UTC().Format(time.RFC3339))
		}
	case KindDate:
		if !isString {
			return "must be a date in a text, not " + jsonKind(v)
		}
		if _, err := time.Parse(time.DateOnly, s); err == nil {
			return ""
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return fmt.Sprintf("%q is not a date (2026-01-31) or an RFC 3339 time", s)
		}
	case KindChoice:
		if !isString {
			return "must be one of " + strings.Join(f.Choices, ", ") + ", not " + jsonKind(v)
		}
		if !slices.Contains(f.Choices, s) {
			return fmt.Sprintf("%q is not one of %s", s, strings.Join(f.Choices, ", "))
		}
	case KindClass:
		if !isString {
			return "must be an RSIT classification in a text, not " + jsonKind(v)
		}
		if _, err := event.ParseClass(s); err != nil {
			return fmt.Sprintf("%q is not an RSIT classification (e.g. fraud/phishing)", s)
		}
	}
	return ""
}

// integer returns v as an integer when it is a whole number: a float64 from
// encoding/json, a json.Number, or a Go integer set by code.
func integer(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return 0, false
		}
		return int64(n), true
	case json.Number:
		i, err := strconv.ParseInt(n.String(), 10, 64)
		return i, err == nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if rv.Uint() > math.MaxInt64 {
			return math.MaxInt64, true
		}
		return int64(rv.Uint()), true
	}
	return 0, false
}

// jsonKind names the JSON type of a decoded value for error messages.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a text"
	case bool:
		return "true/false"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case float64, json.Number:
		return "a number"
	}
	if _, ok := integer(v); ok {
		return "a number"
	}
	return fmt.Sprintf("a %T", v)
}

// closest returns the field name within two edits of name, if exactly one
// is nearest, so a typo in an optional field is not silently ignored.
func closest(name string, defs []Field) string {
	best, bestD, tie := "", 3, false
	for _, f := range defs {
		d := editDistance(name, f.Name)
		switch {
		case d < bestD:
			best, bestD, tie = f.Name, d, false
		case d == bestD:
			tie = true
		}
	}
	if tie {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes; field
// names are ASCII.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return max(len(a), len(b)) // names that long are never close
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// article returns "a preservation request", "an mla request" and so on.
func article(t RequestType) string {
	s := string(t)
	if t == MLA || s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

func joinTypes(ts []RequestType) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}
