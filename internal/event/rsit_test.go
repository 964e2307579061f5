package event

import (
	"errors"
	"testing"
	"unsafe"
)

func TestParseClassCanonical(t *testing.T) {
	// Every RSIT value parses to itself, by full name and by bare type.
	all := Classes()
	if len(all) != 39 {
		t.Fatalf("RSIT has 39 taxonomy/type pairs, table has %d", len(all))
	}
	for _, c := range all {
		for _, in := range []string{c.String(), c.Type} {
			got, err := ParseClass(in)
			if err != nil || got != c {
				t.Errorf("ParseClass(%q) = %v, %v; want %v", in, got, err, c)
			}
		}
		if !c.Valid() {
			t.Errorf("%v not Valid", c)
		}
	}
}

func TestParseClassAliases(t *testing.T) {
	for in, want := range map[string]string{
		"botnet drone":                    "malicious-code/infected-system",
		"Botnet Drone":                    "malicious-code/infected-system",
		"c&c":                             "malicious-code/c2-server",
		"c2server":                        "malicious-code/c2-server",
		"malicious code/c2server":         "malicious-code/c2-server",
		"ransomware":                      "malicious-code/infected-system",
		"unknown":                         "other/undetermined",
		"leak":                            "information-content-security/data-leak",
		"unauthorized-information-access": "information-content-security/unauthorised-information-access",
		"information-content-security/unauthorized-information-modification": "information-content-security/unauthorised-information-modification",
		"fraud/unauthorized-use-of-resources":                                "fraud/unauthorised-use-of-resources",
		"vulnerable-service":                                                 "vulnerable/vulnerable-system",
		"Information Gathering/Scanner":                                      "information-gathering/scanner",
		"intrusion_attempts/brute_force":                                     "intrusion-attempts/brute-force",
		"  ddos  ":                                                           "availability/ddos",
	} {
		got, err := ParseClass(in)
		if err != nil || got.String() != want {
			t.Errorf("ParseClass(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
}

func TestParseClassRejects(t *testing.T) {
	for _, in := range []string{"", "botnet", "malicious-code/scanner", "nonsense/c2-server-x", "availability/spam"} {
		if got, err := ParseClass(in); err == nil {
			t.Errorf("ParseClass(%q) = %v, want error", in, got)
		}
	}
	for _, in := range []string{"other/tor", "proxy", "other/dga-domain", "blacklist"} {
		_, err := ParseClass(in)
		var relay *ErrRelayClass
		if !errors.As(err, &relay) {
			t.Errorf("ParseClass(%q) error = %v, want *ErrRelayClass", in, err)
		}
	}
}

func TestDefaultRoles(t *testing.T) {
	for _, c := range []struct {
		class    Class
		src, dst Role
	}{
		{ClassC2, RoleC2, RoleNone},
		{ClassInfected, RoleInfected, RoleNone},
		{ClassScanner, RoleAttacker, RoleTarget},
		{ClassDDoS, RoleAttacker, RoleTarget},
		{ClassAmplifier, RoleVulnerable, RoleNone},
		{ClassPhishing, RoleMalicious, RoleNone},
		{ClassUndetermined, RoleNone, RoleNone},
	} {
		src, dst := DefaultRoles(c.class)
		if src != c.src || dst != c.dst {
			t.Errorf("DefaultRoles(%v) = %v, %v; want %v, %v", c.class, src, dst, c.src, c.dst)
		}
	}
}

// Decoders parse classifications from buffers they reuse; the result must
// not share their memory (a fuzz test caught "scanner" turning into
// "0canner" once the buffer was refilled).
func TestParseClassReturnsTableStrings(t *testing.T) {
	for _, in := range []string{"scanner", "information-gathering/scanner", "SCANNER", " scan "} {
		in = string([]byte(in)) // a fresh allocation, as a decoder's would be
		c, err := ParseClass(in)
		if err != nil || c != ClassScanner {
			t.Fatalf("ParseClass(%q) = %v, %v", in, c, err)
		}
		if unsafe.StringData(c.Type) != unsafe.StringData(typeClass["scanner"].Type) {
			t.Errorf("ParseClass(%q) returned the input's memory, not the table's", in)
		}
	}
}
