package casework

import (
	"encoding/json"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// sample returns the complete request of type t kept in testdata.
func sample(t *testing.T, typ RequestType) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/requests/" + string(typ) + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	return fields
}

func TestParseRequestTypeAcceptsIDsInAnyCase(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want RequestType
	}{
		{"preservation", Preservation},
		{"traffic-disclosure", TrafficDisclosure},
		{"stored-data", StoredData},
		{"subscriber-info", SubscriberInfo},
		{"emergency", Emergency},
		{"mla", MLA},
		{"takedown", Takedown},
		{" MLA ", MLA},
		{"Traffic_Disclosure", TrafficDisclosure},
		{"subscriber info", SubscriberInfo},
	} {
		got, err := ParseRequestType(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseRequestType(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestParseRequestTypeRejectsOthersNamingTheValidOnes(t *testing.T) {
	for _, in := range []string{"", "interception", "preserve", "mutual-legal-assistance"} {
		_, err := ParseRequestType(in)
		if err == nil || !strings.Contains(err.Error(), "preservation, traffic-disclosure, stored-data, subscriber-info, emergency, mla, takedown") {
			t.Errorf("ParseRequestType(%q) error = %v", in, err)
		}
	}
}

func TestRequestTypesAreTheCLIIDs(t *testing.T) {
	want := []RequestType{"preservation", "traffic-disclosure", "stored-data", "subscriber-info", "emergency", "mla", "takedown"}
	if got := RequestTypes(); !slices.Equal(got, want) {
		t.Errorf("RequestTypes() = %v, want %v", got, want)
	}
	RequestTypes()[0] = "changed"
	if RequestTypes()[0] != Preservation {
		t.Error("RequestTypes returns the package's own slice")
	}
}

func TestRequestTypesCarryLegalBasisAndDescription(t *testing.T) {
	for _, tc := range []struct {
		typ      RequestType
		basis    []string // substrings, in order
		evidence bool
	}{
		{Preservation, []string{"Budapest Convention art. 29", "UN Convention against Cybercrime art. 42"}, true},
		{TrafficDisclosure, []string{"Budapest Convention art. 30", "UN Convention against Cybercrime art. 43"}, true},
		{StoredData, []string{"Budapest Convention art. 31", "UN Convention against Cybercrime art. 44"}, true},
		{SubscriberInfo, []string{"Second Additional Protocol", "art. 7", "Second Additional Protocol", "art. 8"}, true},
		{Emergency, []string{"Second Additional Protocol", "art. 9", "Second Additional Protocol", "art. 10"}, true},
		{MLA, []string{"UNTOC art. 18(15)", "UN Convention against Cybercrime art. 40"}, true},
		{Takedown, nil, false},
	} {
		t.Run(string(tc.typ), func(t *testing.T) {
			basis := strings.Join(tc.typ.LegalBasis(), " | ")
			rest := basis
			for _, want := range tc.basis {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Fatalf("legal basis %q lacks %q (in order)", basis, want)
				}
				rest = rest[i+len(want):]
			}
			if tc.basis == nil && basis != "" {
				t.Errorf("legal basis %q, want none", basis)
			}
			d := tc.typ.Description()
			if d == "" || strings.Contains(d, "\n") || !strings.HasSuffix(d, ".") {
				t.Errorf("description %q is not one sentence on one line", d)
			}
			if tc.typ.YieldsEvidence() != tc.evidence {
				t.Errorf("YieldsEvidence() = %v", !tc.evidence)
			}
		})
	}
	if RequestType("x").Description() != "" || RequestType("x").LegalBasis() != nil || RequestType("x").YieldsEvidence() {
		t.Error("an unknown type has a description, a legal basis or evidence")
	}
}

// The mandatory sets are the contract with the CLI and with requesters'
// templates; changing one is a decision, so it is spelled out here.
func TestFieldsMandatorySetsPerType(t *testing.T) {
	for _, tc := range []struct {
		typ  RequestType
		want []string
	}{
		{Preservation, []string{"requesting_authority", "offence", "facts", "data", "custodian", "necessity", "mla_intent"}},
		{TrafficDisclosure, []string{"requesting_authority", "offence", "facts", "preservation_ref", "data"}},
		{StoredData, []string{"requesting_authority", "offence", "facts", "data", "custodian", "assistance_sought", "purpose"}},
		{SubscriberInfo, []string{"requesting_authority", "offence", "facts", "provider", "ip", "port", "time", "data"}},
		{Emergency, []string{"requesting_authority", "facts", "data", "emergency_justification"}},
		{MLA, []string{"requesting_authority", "investigating_authority", "subject", "facts", "assistance_sought", "persons", "purpose"}},
		{Takedown, []string{"requesting_authority", "target", "action", "evidence_summary"}},
	} {
		var got []string
		for _, f := range Fields(tc.typ) {
			if f.Mandatory {
				got = append(got, f.Name)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s mandatory fields = %v, want %v", tc.typ, got, tc.want)
		}
	}
}

func TestFieldsAreDocumentedSnakeCaseAndUnique(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	for _, typ := range RequestTypes() {
		seen := map[string]bool{}
		fields := Fields(typ)
		for i, f := range fields {
			if !snake.MatchString(f.Name) {
				t.Errorf("%s: field %q is not snake_case", typ, f.Name)
			}
			if seen[f.Name] {
				t.Errorf("%s: field %q twice", typ, f.Name)
			}
			seen[f.Name] = true
			if f.Kind == "" || !strings.HasSuffix(f.Description, ".") || len(f.Description) < 20 {
				t.Errorf("%s.%s: kind %q, description %q", typ, f.Name, f.Kind, f.Description)
			}
			if (f.Kind == KindChoice) != (len(f.Choices) > 0) {
				t.Errorf("%s.%s: kind %s with choices %v", typ, f.Name, f.Kind, f.Choices)
			}
			if i > 0 && f.Mandatory && !fields[i-1].Mandatory {
				t.Errorf("%s.%s: mandatory field after an optional one", typ, f.Name)
			}
		}
		for _, name := range []string{"legal_provisions", "confidentiality", "deadline", "language", "channel"} {
			if !seen[name] {
				t.Errorf("%s lacks the common field %s", typ, name)
			}
		}
	}
	if Fields("x") != nil {
		t.Error("fields for an unknown type")
	}
}

func TestFieldsReturnsACopy(t *testing.T) {
	f := Fields(Takedown)
	for i := range f {
		f[i].Mandatory = false
		if f[i].Choices != nil {
			f[i].Choices[0] = "changed"
		}
	}
	for _, g := range Fields(Takedown) {
		if g.Name == "action" && (!g.Mandatory || g.Choices[0] != "takedown") {
			t.Errorf("changing Fields' result changed the table: %+v", g)
		}
	}
}

func TestValidateAcceptsTheCompleteSamples(t *testing.T) {
	for _, typ := range RequestTypes() {
		missing, problems := Validate(typ, sample(t, typ))
		if len(missing) > 0 || len(problems) > 0 {
			t.Errorf("%s sample: missing %v, problems %v", typ, missing, problems)
		}
	}
}

func TestValidateReportsEachMandatoryFieldRemoved(t *testing.T) {
	for _, typ := range RequestTypes() {
		for _, f := range Fields(typ) {
			if !f.Mandatory {
				continue
			}
			for _, empty := range []struct {
				name  string
				apply func(map[string]any)
			}{
				{"absent", func(m map[string]any) { delete(m, f.Name) }},
				{"null", func(m map[string]any) { m[f.Name] = nil }},
				{"blank", func(m map[string]any) { m[f.Name] = "  " }},
				{"empty list", func(m map[string]any) { m[f.Name] = []any{} }},
				{"empty object", func(m map[string]any) { m[f.Name] = map[string]any{} }},
			} {
				fields := sample(t, typ)
				empty.apply(fields)
				missing, problems := Validate(typ, fields)
				if !slices.Equal(missing, []string{f.Name}) || len(problems) > 0 {
					t.Errorf("%s with %s %s: missing %v, problems %v", typ, f.Name, empty.name, missing, problems)
				}
			}
		}
	}
}

func TestValidateIgnoresMissingOptionalFields(t *testing.T) {
	for _, typ := range RequestTypes() {
		fields := sample(t, typ)
		for _, f := range Fields(typ) {
			if !f.Mandatory {
				delete(fields, f.Name)
			}
		}
		if missing, problems := Validate(typ, fields); len(missing)+len(problems) > 0 {
			t.Errorf("%s with mandatory fields only: missing %v, problems %v", typ, missing, problems)
		}
	}
}

func TestValidateListsMissingFieldsInFieldOrder(t *testing.T) {
	for _, typ := range RequestTypes() {
		var want []string
		for _, f := range Fields(typ) {
			if f.Mandatory {
				want = append(want, f.Name)
			}
		}
		for range 5 { // map iteration order must not leak into the result
			missing, problems := Validate(typ, nil)
			if !slices.Equal(missing, want) || problems != nil {
				t.Fatalf("%s empty: missing %v, problems %v; want %v", typ, missing, problems, want)
			}
		}
	}
}

func TestValidateReportsInvalidValues(t *testing.T) {
	for _, tc := range []struct {
		typ   RequestType
		field string
		value any
		want  string // the whole problem must start with field + ": " and contain want
	}{
		{Preservation, "mla_intent", false, "must be true"},
		{Preservation, "mla_intent", "yes", "must be true or false, not a text"},
		{Preservation, "offence", 263.0, "must be text, not a number"},
		{Preservation, "facts", []any{"a"}, "must be text, not a list"},
		{Preservation, "ip", "198.51.100.999", "not an IPv4 or IPv6 address"},
		{Preservation, "ip", "fe80::1%eth0", "not an IPv4 or IPv6 address"},
		{SubscriberInfo, "ip", 3325256711.0, "must be an IP address in a text, not a number"},
		{SubscriberInfo, "port", 0.0, "0 is not a port number"},
		{SubscriberInfo, "port", 65536.0, "65536 is not a port number"},
		{SubscriberInfo, "port", 443.5, "must be a whole number"},
		{SubscriberInfo, "port", "443", "must be a whole number from 1 to 65535, not a text"},
		{SubscriberInfo, "port", true, "not true/false"},
		{SubscriberInfo, "port", json.Number("70000"), "70000 is not a port number"},
		{SubscriberInfo, "time", "2024-03-12 10:00", "not an RFC 3339 time"},
		{SubscriberInfo, "time", "2024-03-12T12:00:00+02:00", "give it as 2024-03-12T10:00:00Z"},
		{SubscriberInfo, "time", 1710237600.0, "not a number"},
		{SubscriberInfo, "identifiers", []any{"a", ""}, "item 2 is empty"},
		{SubscriberInfo, "identifiers", []any{"a", 5.0}, "item 2 must be a text or an object, not a number"},
		{MLA, "persons", 3.0, "must be a list or a text, not a number"},
		{MLA, "persons", []any{map[string]any{}}, "item 1 is empty"},
		{MLA, "deadline", "next week", "not a date"},
		{MLA, "channel", "fax", `"fax" is not one of central-authority, 24-7-network, interpol, europol-siena, diplomatic, cert`},
		{MLA, "confidentiality", "yes", "must be true or false"},
		{Takedown, "action", "delete", `"delete" is not one of takedown, notification`},
		{Takedown, "action", "Takedown", "is not one of"},
		{Takedown, "action", []any{"takedown"}, "not a list"},
		{Takedown, "classification", "bad/stuff", "not an RSIT classification"},
	} {
		fields := sample(t, tc.typ)
		fields[tc.field] = tc.value
		missing, problems := Validate(tc.typ, fields)
		if len(missing) > 0 || len(problems) != 1 || !strings.HasPrefix(problems[0], tc.field+": ") || !strings.Contains(problems[0], tc.want) {
			t.Errorf("%s %s=%#v: missing %v, problems %q; want one problem with %q", tc.typ, tc.field, tc.value, missing, problems, tc.want)
		}
	}
}

func TestValidateAcceptsValuesOfEveryAcceptedShape(t *testing.T) {
	for _, tc := range []struct {
		typ   RequestType
		field string
		value any
	}{
		{SubscriberInfo, "port", 443.0},
		{SubscriberInfo, "port", json.Number("443")},
		{SubscriberInfo, "port", 443},
		{SubscriberInfo, "port", uint16(443)},
		{SubscriberInfo, "time", "2024-03-12T10:00:00.123Z"},
		{SubscriberInfo, "time", "2024-03-12T10:00:00+00:00"},
		{SubscriberInfo, "ip", "2001:db8::1"},
		{SubscriberInfo, "ip", "::ffff:198.51.100.7"},
		{MLA, "persons", "John Doe, Exampletown, national of Examplestan"},
		{MLA, "persons", []any{"John Doe", map[string]any{"identity": "Jane Doe"}}},
		{MLA, "deadline", "2024-09-01T00:00:00Z"},
		{MLA, "confidentiality", false},
		{Takedown, "action", "notification"},
		{Takedown, "classification", "c2-server"},
	} {
		fields := sample(t, tc.typ)
		fields[tc.field] = tc.value
		if missing, problems := Validate(tc.typ, fields); len(missing)+len(problems) > 0 {
			t.Errorf("%s %s=%#v: missing %v, problems %v", tc.typ, tc.field, tc.value, missing, problems)
		}
	}
}

func TestValidateReportsUnknownFieldsWithASuggestion(t *testing.T) {
	fields := sample(t, MLA)
	fields["confidentialty"] = true
	fields["zzz"] = 1.0
	fields["dedline"] = "2024-09-01"
	_, problems := Validate(MLA, fields)
	want := []string{
		"confidentialty: not a field of an mla request; did you mean confidentiality?",
		"dedline: not a field of an mla request; did you mean deadline?",
		"zzz: not a field of an mla request",
	}
	if !slices.Equal(problems, want) {
		t.Errorf("problems %q, want %q", problems, want)
	}
	// A field of another type is unknown here.
	fields = sample(t, Takedown)
	fields["mla_intent"] = true
	if _, problems := Validate(Takedown, fields); len(problems) != 1 || !strings.HasPrefix(problems[0], "mla_intent: not a field of a takedown request") {
		t.Errorf("problems %q", problems)
	}
}

func TestValidateReportsInvalidFieldsInFieldOrder(t *testing.T) {
	fields := sample(t, SubscriberInfo)
	fields["time"] = "noon"
	fields["ip"] = "x"
	fields["port"] = -1.0
	delete(fields, "offence")
	missing, problems := Validate(SubscriberInfo, fields)
	var names []string
	for _, p := range problems {
		names = append(names, p[:strings.Index(p, ":")])
	}
	if !slices.Equal(missing, []string{"offence"}) || !slices.Equal(names, []string{"ip", "port", "time"}) {
		t.Errorf("missing %v, problems %q", missing, problems)
	}
}

func TestValidateRejectsAnUnknownType(t *testing.T) {
	missing, problems := Validate("interception", map[string]any{"a": 1})
	if missing != nil || len(problems) != 1 || !strings.HasPrefix(problems[0], `type: "interception" is not a request type`) {
		t.Errorf("missing %v, problems %q", missing, problems)
	}
}

func TestValidateDoesNotModifyItsInput(t *testing.T) {
	fields := sample(t, Preservation)
	fields["unknown"] = "x"
	fields["port"] = 0.0
	before := maps.Clone(fields)
	Validate(Preservation, fields)
	if !reflect.DeepEqual(fields, before) {
		t.Errorf("Validate changed the map: %v", fields)
	}
}

func TestArticleReadsNaturally(t *testing.T) {
	for typ, want := range map[RequestType]string{
		Preservation: "a preservation", Emergency: "an emergency", MLA: "an mla", Takedown: "a takedown", "": "a ",
	} {
		if got := article(typ); got != want {
			t.Errorf("article(%q) = %q, want %q", typ, got, want)
		}
	}
}

func BenchmarkValidateMLA(b *testing.B) {
	data, err := os.ReadFile("testdata/requests/mla.json")
	if err != nil {
		b.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Validate(MLA, fields)
	}
}
