package assess

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
)

// Class is a kind of evidence with the highest attribution level it can
// support and how easily it is faked (DOMAIN.md §5).
type Class struct {
	ID       string
	Name     string
	MaxLevel Level
	Spoof    Spoofability
}

// Classes lists the evidence classes in the order of DOMAIN.md §5.
var Classes = []Class{
	{"network-source", "network source (attacking, C&C or scanner address)", LevelMachine, SpoofHigh},
	{"subscriber-record", "address, port and UTC time resolved by the ISP's subscriber record", LevelMachine, SpoofMedium},
	{"infrastructure-registration", "infrastructure registration (WHOIS, registrar account, payment, certificate, SSH key, passive DNS)", LevelOperator, SpoofMedium},
	{"infrastructure-reuse", "infrastructure reuse (same certificate, C2 panel, hosting pattern)", LevelOperator, SpoofMedium},
	{"malware-code-similarity", "malware code similarity (shared functions, crypto routines, unique strings)", LevelOperator, SpoofMediumHigh},
	{"build-artefacts", "build artefacts (compile time, Rich header, PDB path, language resources)", LevelOperator, SpoofHigh},
	{"ttps", "tactics, techniques and procedures (ATT&CK techniques, tempo, working hours)", LevelOperator, SpoofMedium},
	{"language-artefacts", "language artefacts (strings, typos, keyboard layout)", LevelOperator, SpoofHigh},
	{"victimology", "victimology, cui bono", LevelResponsible, SpoofAnalytic},
	{"provider-records", "seized infrastructure or provider records obtained by legal request", LevelOperator, SpoofLow},
	{"all-source", "all-source intelligence (human, signals, financial trails)", LevelResponsible, SpoofLow},
	{"self-claim", "self-claim or persona (claims, ransom notes)", LevelPersona, SpoofHigh},
}

var classAliases = map[string]string{
	"network": "network-source", "ip": "network-source", "ip-address": "network-source",
	"subscriber": "subscriber-record", "isp-subscriber-record": "subscriber-record",
	"registration": "infrastructure-registration", "whois": "infrastructure-registration",
	"reuse":           "infrastructure-reuse",
	"code-similarity": "malware-code-similarity", "malware": "malware-code-similarity",
	"build-artifacts": "build-artefacts", "build-artefact": "build-artefacts", "build-artifact": "build-artefacts",
	"ttp": "ttps", "language-artifacts": "language-artefacts", "language": "language-artefacts",
	"cui-bono": "victimology", "provider-logs": "provider-records", "legal-request": "provider-records",
	"seized-infrastructure": "provider-records", "allsource": "all-source", "self-claim-persona": "self-claim", "persona": "self-claim",
}

// ClassByID returns the class with the given id or alias.
func ClassByID(id string) (Class, bool) {
	id = strings.ToLower(strings.TrimSpace(id))
	id = strings.NewReplacer("_", "-", " ", "-").Replace(id)
	if a, ok := classAliases[id]; ok {
		id = a
	}
	for _, c := range Classes {
		if c.ID == id {
			return c, true
		}
	}
	return Class{}, false
}

// Evidence is one graded item of the ACH matrix: something an analyst
// entered, or something Concord derived from an observation.
type Evidence struct {
	ID          string
	Class       Class
	Summary     string
	Reliability Reliability
	Credibility Credibility
	Relevance   Relevance
	// Spoof is the class's spoofability unless the analyst recorded a
	// reason to judge this item differently (SpoofReason).
	Spoof       Spoofability
	SpoofReason string
	// Level is the highest attribution level this item supports: its
	// class's, or lower when the analyst says so.
	Level Level
	// Source names who provided the item; items from one source are not
	// independent of each other. Empty means the item is its own source.
	Source string
	// Events are the keys (hex) of stored events the item rests on.
	Events []string
	TLP    event.TLP
	// Observation is the id of the observation an automatic item was
	// derived from, "" for analyst items.
	Observation string
	// Auto holds the automatic ratings of a derived item, by hypothesis id.
	Auto map[string]Rating
	// Why says, per hypothesis id, why the automatic rating is what it is.
	Why map[string]string
}

// IPOnly reports whether the item says nothing beyond what an address
// observation says: a network-source item, from a sensor or from a list.
func (e *Evidence) IPOnly() bool { return e.Class.ID == "network-source" }

// Weight is the item's weight in the likelihood model: the ACH weights of
// its credibility and relevance, times the factors of its source's
// reliability and its spoofability.
func (e *Evidence) Weight() float64 {
	return e.Credibility.ACHWeight() * e.Relevance.Weight() * e.Reliability.Factor() * e.Spoof.Factor()
}

// ACHWeight is the item's weight in the ACH score: credibility × relevance.
func (e *Evidence) ACHWeight() float64 { return e.Credibility.ACHWeight() * e.Relevance.Weight() }

// Grade returns the Admiralty code, e.g. "B2".
func (e *Evidence) Grade() string { return Admiralty(e.Reliability, e.Credibility) }

// sourceKey is what makes two items independent: different sources, or,
// when neither names one, different items.
func (e *Evidence) sourceKey() string {
	if e.Source != "" {
		return "source:" + strings.ToLower(e.Source)
	}
	return "item:" + e.ID
}

// Observation is an address an attack was seen from (or a C&C server it
// used), with port and UTC time: what an investigator actually knows.
type Observation struct {
	ID   string
	IP   netip.Addr
	Port uint16
	Time time.Time // zero when unknown
	Role string
	// Country is the analyst's placement of the address, when the IP
	// database has none or it is known to be wrong; "" uses the database.
	Country string
	Note    string
	// Grade of the observation itself; the defaults are B and 2 (the
	// victim's or the sensor's logs, probably true).
	Reliability Reliability
	Credibility Credibility
	TLP         event.TLP
}

// ObservationRoles are the roles an observation may name.
var ObservationRoles = []string{"attack-source", "c2-server", "scanner", "malware-distribution", "phishing", "exfiltration", "other"}

func validRole(r string) bool {
	for _, x := range ObservationRoles {
		if x == r {
			return true
		}
	}
	return false
}

// needsPort reports whether the address is a client's, which carrier-grade
// NAT may share among many subscribers so that only the source port tells
// them apart. Servers (C&C, distribution, phishing, exfiltration) listen on
// their own address.
func (o *Observation) needsPort() bool {
	switch o.Role {
	case "c2-server", "malware-distribution", "phishing", "exfiltration":
		return false
	}
	return true
}

// Endpoint writes the address with its port, e.g. "203.0.113.5:443".
func (o *Observation) Endpoint() string {
	if o.Port == 0 {
		return o.IP.String()
	}
	return netip.AddrPortFrom(o.IP, o.Port).String()
}

// When writes the time, or says it is unknown.
func (o *Observation) When() string {
	if o.Time.IsZero() {
		return "an unknown time"
	}
	return o.Time.UTC().Format(time.RFC3339)
}

// Kind is what a hypothesis claims about a country, for the hypotheses
// Concord generates and rates automatically.
type Kind uint8

// The hypothesis kinds. KindOther is an analyst's hypothesis that Concord
// does not rate automatically.
const (
	KindOther Kind = iota
	KindActor
	KindCompromised
	KindRelay
	KindFalseFlag
)

var kindNames = [...]string{"", "actor", "compromised-infrastructure", "relay", "false-flag"}

// ParseKind reads a kind name ("" is KindOther).
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "other":
		return KindOther, nil
	case "actor":
		return KindActor, nil
	case "compromised-infrastructure", "compromised", "compromised-infra":
		return KindCompromised, nil
	case "relay", "anonymising-relay", "anonymizing-relay":
		return KindRelay, nil
	case "false-flag", "falseflag":
		return KindFalseFlag, nil
	}
	return 0, fmt.Errorf("kind %q: use actor, compromised-infrastructure, relay or false-flag", s)
}

// String returns the kind's name ("" for KindOther).
func (k Kind) String() string { return kindNames[k] }

// Hypothesis is one candidate explanation.
type Hypothesis struct {
	ID        string
	Statement string
	// Level is the attribution level the hypothesis claims.
	Level Level
	// Kind and Country let Concord rate observations against it; the
	// generated hypotheses always have both.
	Kind      Kind
	Country   string
	Generated bool
}

// generatedID returns the stable id of the generated hypothesis of kind k
// for country cc.
func generatedID(k Kind, cc string) string {
	switch k {
	case KindActor:
		return "actor-in-" + cc
	case KindCompromised:
		return "compromised-infra-in-" + cc
	case KindRelay:
		return "relay-in-" + cc
	case KindFalseFlag:
		return "false-flag-" + cc
	}
	return ""
}

// generate returns the mandatory hypotheses for an attack seen from country
// cc (named name), in a fixed order.
func generate(cc, name string) []Hypothesis {
	where := name + " (" + cc + ")"
	if name == "" {
		where = cc
	}
	return []Hypothesis{
		{ID: generatedID(KindActor, cc), Kind: KindActor, Country: cc, Level: LevelOperator, Generated: true,
			Statement: "The actor operates from " + where + "; the address there is their own."},
		{ID: generatedID(KindCompromised, cc), Kind: KindCompromised, Country: cc, Level: LevelMachine, Generated: true,
			Statement: "A third party used compromised infrastructure in " + where + ": an infected or hijacked machine controlled from elsewhere."},
		{ID: generatedID(KindRelay, cc), Kind: KindRelay, Country: cc, Level: LevelMachine, Generated: true,
			Statement: "The traffic passed through an anonymising relay or rented server in " + where + " (Tor, VPN, proxy, VPS); the actor may be anywhere."},
		{ID: generatedID(KindFalseFlag, cc), Kind: KindFalseFlag, Country: cc, Level: LevelOperator, Generated: true,
			Statement: "A false flag: the evidence pointing to " + where + " was planted to implicate it."},
	}
}
