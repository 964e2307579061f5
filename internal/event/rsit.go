package event

import (
	"fmt"
	"sort"
	"strings"
)

// Class is an RSIT incident classification: a taxonomy and one of its types,
// written "taxonomy/type" (classification.taxonomy and classification.type in
// IntelMQ). The zero Class means "not an incident" and is what context
// observations carry.
type Class struct {
	Taxonomy string
	Type     string
}

// String returns the machine value "taxonomy/type", or "" for the zero Class.
func (c Class) String() string {
	if c.Taxonomy == "" {
		return ""
	}
	return c.Taxonomy + "/" + c.Type
}

// IsZero reports whether c is the zero Class.
func (c Class) IsZero() bool { return c.Taxonomy == "" && c.Type == "" }

// rsit is the Reference Security Incident Taxonomy (ENISA / TF-CSIRT) as
// taxonomy → types. Only these values are ever emitted.
var rsit = map[string][]string{
	"abusive-content":              {"spam", "harmful-speech", "violence"},
	"malicious-code":               {"infected-system", "c2-server", "malware-distribution", "malware-configuration"},
	"information-gathering":        {"scanner", "sniffing", "social-engineering"},
	"intrusion-attempts":           {"ids-alert", "brute-force", "exploit"},
	"intrusions":                   {"privileged-account-compromise", "unprivileged-account-compromise", "application-compromise", "system-compromise", "burglary"},
	"availability":                 {"dos", "ddos", "misconfiguration", "sabotage", "outage"},
	"information-content-security": {"unauthorised-information-access", "unauthorised-information-modification", "data-loss", "data-leak"},
	"fraud":                        {"unauthorised-use-of-resources", "copyright", "masquerade", "phishing"},
	"vulnerable":                   {"weak-crypto", "ddos-amplifier", "potentially-unwanted-accessible", "information-disclosure", "vulnerable-system"},
	"other":                        {"other", "undetermined"},
	"test":                         {"test"},
}

// typeClass maps every RSIT type to its class. Types are unique across
// taxonomies, so a bare type is enough to classify. The Class values hold
// the table's own strings, so a parsed Class never shares memory with the
// text it was parsed from (decoders parse from buffers they reuse).
var typeClass = func() map[string]Class {
	m := make(map[string]Class)
	for tax, types := range rsit {
		for _, t := range types {
			m[t] = Class{tax, t}
		}
	}
	return m
}()

// typeAliases maps legacy and feed-specific type names (already lower-cased,
// with spaces and underscores turned into hyphens) to RSIT types.
var typeAliases = map[string]string{
	"botnet-drone":              "infected-system",
	"infected":                  "infected-system",
	"ransomware":                "infected-system",
	"c&c":                       "c2-server",
	"c2server":                  "c2-server",
	"c2":                        "c2-server",
	"cc":                        "c2-server",
	"malware":                   "malware-distribution",
	"malware-distribution-site": "malware-distribution",
	"unknown":                   "undetermined",
	"leak":                      "data-leak",
	"vulnerable-service":        "vulnerable-system",
	"vulnerable-client":         "vulnerable-system",
	"compromised":               "system-compromise",
	"defacement":                "unauthorised-information-modification",
	"brute-force-attempt":       "brute-force",
	"ddos-amplification":        "ddos-amplifier",
	"scan":                      "scanner",
}

// taxonomyAliases maps legacy taxonomy spellings to RSIT taxonomies.
var taxonomyAliases = map[string]string{
	"abusive content":              "abusive-content",
	"malicious code":               "malicious-code",
	"information gathering":        "information-gathering",
	"intrusion attempts":           "intrusion-attempts",
	"information content security": "information-content-security",
	"information-security":         "information-content-security",
}

// relayTypes are IntelMQ "other/*" types that describe what an address is
// rather than an incident. They become relay-list entries, never events.
var relayTypes = map[string]bool{"proxy": true, "tor": true, "dga-domain": true, "blacklist": true}

// ErrRelayClass is returned by ParseClass for IntelMQ's other/proxy,
// other/tor, other/dga-domain and other/blacklist, which describe an address,
// not an incident.
type ErrRelayClass struct{ Type string }

func (e *ErrRelayClass) Error() string {
	return fmt.Sprintf("classification other/%s describes an address, not an incident: import such lists with `concord lists import`", e.Type)
}

func normalizeName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer("_", "-", " ", "-").Replace(s)
	// US spelling used by older IntelMQ versions and many feeds.
	s = strings.ReplaceAll(s, "unauthorized", "unauthorised")
	return s
}

// ParseClass turns "taxonomy/type", a bare type, or a known legacy alias into
// an RSIT Class. It rejects anything outside the taxonomy with an error that
// names the value, and relay-style types with *ErrRelayClass.
func ParseClass(s string) (Class, error) {
	raw := s
	s = strings.TrimSpace(s)
	if s == "" {
		return Class{}, fmt.Errorf("event: empty classification")
	}
	var tax, typ string
	if i := strings.IndexByte(s, '/'); i >= 0 {
		tax, typ = s[:i], s[i+1:]
		t := strings.ToLower(strings.TrimSpace(tax))
		if a, ok := taxonomyAliases[t]; ok {
			tax = a
		} else {
			tax = normalizeName(tax)
		}
	} else {
		typ = s
	}
	// The alias table is consulted on the raw lower-cased form first because
	// some aliases ("c&c") contain characters normalizeName keeps.
	low := strings.ToLower(strings.TrimSpace(typ))
	typ = normalizeName(typ)
	if a, ok := typeAliases[low]; ok {
		typ = a
	} else if a, ok := typeAliases[typ]; ok {
		typ = a
	}
	if relayTypes[typ] && (tax == "" || tax == "other") {
		return Class{}, &ErrRelayClass{Type: typ}
	}
	c, ok := typeClass[typ]
	if !ok {
		return Class{}, fmt.Errorf("event: %q is not an RSIT classification type", raw)
	}
	if tax != "" && tax != c.Taxonomy {
		// A known type under the wrong taxonomy is most likely an old
		// taxonomy name; the type alone is unambiguous, but a taxonomy that
		// is not RSIT at all is an error worth reporting.
		if _, known := rsit[tax]; known {
			return Class{}, fmt.Errorf("event: %q: type %s belongs to taxonomy %s", raw, typ, c.Taxonomy)
		}
	}
	return c, nil
}

// MustClass is ParseClass for compile-time constants; it panics on error.
func MustClass(s string) Class {
	c, err := ParseClass(s)
	if err != nil {
		panic(err)
	}
	return c
}

// Valid reports whether c is exactly an RSIT taxonomy/type pair.
func (c Class) Valid() bool {
	return c.Taxonomy != "" && typeClass[c.Type] == c
}

// Classes returns every RSIT class, sorted, for documentation and validation.
func Classes() []Class {
	var out []Class
	for tax, types := range rsit {
		for _, t := range types {
			out = append(out, Class{tax, t})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// Common classes, named so decoders do not repeat string literals.
var (
	ClassInfected     = Class{"malicious-code", "infected-system"}
	ClassC2           = Class{"malicious-code", "c2-server"}
	ClassMalwareDist  = Class{"malicious-code", "malware-distribution"}
	ClassScanner      = Class{"information-gathering", "scanner"}
	ClassIDSAlert     = Class{"intrusion-attempts", "ids-alert"}
	ClassBruteForce   = Class{"intrusion-attempts", "brute-force"}
	ClassExploit      = Class{"intrusion-attempts", "exploit"}
	ClassDoS          = Class{"availability", "dos"}
	ClassDDoS         = Class{"availability", "ddos"}
	ClassPhishing     = Class{"fraud", "phishing"}
	ClassSpam         = Class{"abusive-content", "spam"}
	ClassVulnerable   = Class{"vulnerable", "vulnerable-system"}
	ClassAmplifier    = Class{"vulnerable", "ddos-amplifier"}
	ClassAccessible   = Class{"vulnerable", "potentially-unwanted-accessible"}
	ClassInfoDisc     = Class{"vulnerable", "information-disclosure"}
	ClassWeakCrypto   = Class{"vulnerable", "weak-crypto"}
	ClassCompromised  = Class{"intrusions", "system-compromise"}
	ClassUndetermined = Class{"other", "undetermined"}
)
