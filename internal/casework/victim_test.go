package casework

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func loadReport(t testing.TB) *VictimReport {
	t.Helper()
	b, err := os.ReadFile("testdata/victim/complete.json")
	if err != nil {
		t.Fatal(err)
	}
	var r VictimReport
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func TestVictimReportAcceptsACompleteReport(t *testing.T) {
	r := loadReport(t)
	if p := r.Validate(); p != nil {
		t.Errorf("problems: %q", p)
	}
	if w := r.Warnings(); w != nil {
		t.Errorf("warnings: %q", w)
	}
	if !r.MayShareAbroad() {
		t.Error("consent given, yet not shareable")
	}
}

func TestVictimReportJSONNamesAreSnakeCase(t *testing.T) {
	b, err := json.Marshal(loadReport(t))
	if err != nil {
		t.Fatal(err)
	}
	keys := regexp.MustCompile(`"([A-Za-z_]+)":`).FindAllStringSubmatch(string(b), -1)
	snake := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	for _, k := range keys {
		if !snake.MatchString(k[1]) {
			t.Errorf("JSON name %q is not snake_case", k[1])
		}
	}
	for _, want := range []string{`"consent_to_share_abroad":true`, `"email_headers":`, `"amount":18450.00`, `"organisation":`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: %s", want, b)
		}
	}
}

func TestVictimReportRequiresDescriptionContactAndConsent(t *testing.T) {
	no := false
	for _, tc := range []struct {
		name   string
		change func(*VictimReport)
		want   []string
	}{
		{"no description", func(r *VictimReport) { r.Description = " \n" }, []string{"description: required: say what happened"}},
		{"no way to reach the reporter", func(r *VictimReport) { r.Reporter = Contact{Name: "Maria"} },
			[]string{"reporter: give an e-mail address or a telephone number so that we can reach you"}},
		{"a phone is enough", func(r *VictimReport) { r.Reporter.Email = "" }, nil},
		{"an e-mail is enough", func(r *VictimReport) { r.Reporter.Phone = "" }, nil},
		{"consent not answered", func(r *VictimReport) { r.ConsentToShareAbroad = nil },
			[]string{"consent_to_share_abroad: required: answer true or false; a report is passed to authorities abroad only with explicit consent"}},
		{"consent refused is an answer", func(r *VictimReport) { r.ConsentToShareAbroad = &no }, nil},
		{"the victim is the reporter", func(r *VictimReport) { r.Victim = Victim{} }, nil},
		{"nothing optional", func(r *VictimReport) {
			*r = VictimReport{Reporter: Contact{Email: "a@example.org"}, Description: "x", ConsentToShareAbroad: &no}
		}, nil},
	} {
		r := loadReport(t)
		tc.change(r)
		if got := r.Validate(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: problems %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestVictimReportConsentMustBeExplicitInJSON(t *testing.T) {
	for _, tc := range []struct {
		json  string
		share bool
		ok    bool
	}{
		{`{"consent_to_share_abroad": true}`, true, true},
		{`{"consent_to_share_abroad": false}`, false, true},
		{`{"consent_to_share_abroad": null}`, false, false},
		{`{}`, false, false},
	} {
		var r VictimReport
		if err := json.Unmarshal([]byte(tc.json), &r); err != nil {
			t.Fatal(err)
		}
		answered := !slices.ContainsFunc(r.Validate(), func(p string) bool { return strings.HasPrefix(p, "consent_to_share_abroad:") })
		if r.MayShareAbroad() != tc.share || answered != tc.ok {
			t.Errorf("%s: may share %v, answered %v", tc.json, r.MayShareAbroad(), answered)
		}
	}
	var nilReport *VictimReport
	if nilReport.MayShareAbroad() || nilReport.Warnings() != nil || len(nilReport.Validate()) != 1 {
		t.Error("a nil report")
	}
}

func TestVictimReportValidateNamesEveryProblemByPath(t *testing.T) {
	r := loadReport(t)
	r.Reporter.Email = "maria at example.org"
	r.Reporter.Phone = "call me"
	r.Victim.Country = "Germany"
	r.When = Period{Start: "2026-02-10", End: "2026-02-03T00:00:00Z"}
	r.Losses.Amount = "-5"
	r.Losses.Currency = ""
	r.Losses.Transactions = append(r.Losses.Transactions, Transaction{}, Transaction{Time: "last week", Amount: "12,50", Currency: "€"})
	r.Subject.Names = append(r.Subject.Names, " ")
	r.Subject.Emails = []string{"Mallory <m@example.com>", "", "m@localhost"}
	r.Subject.Phones = []string{"+1 (555) 0100", "12"}
	r.Subject.URLs = []string{"http://", "has space.example"}
	r.Subject.Wallets = []string{"", "bc1 q"}
	r.Subject.IPs = []SubjectIP{{IP: "198.51.100.7", Port: 51544, Time: "2026-02-03T08:15:00Z"}, {IP: "198.51.100.300", Port: 70000, Time: "yesterday"}}
	r.EmailHeaders = []string{"", "this is not a header"}
	r.Evidence = []string{"abc"}
	r.Language = "German!"
	want := []string{
		`reporter.email: not an e-mail address: "maria at example.org"`,
		`reporter.phone: not a telephone number: "call me" (use digits, spaces and a leading +)`,
		`victim.country: not a two-letter country code (ISO 3166-1): "Germany"`,
		`when.end: before when.start`,
		`losses.amount: not an amount: "-5" (write e.g. 1250.00)`,
		`losses.transactions[2]: empty`,
		`losses.transactions[3].time: not an RFC 3339 time or a date: "last week" (write e.g. 2024-03-12T10:00:00Z or 2024-03-12)`,
		`losses.transactions[3].amount: not an amount: "12,50" (write e.g. 1250.00)`,
		`losses.transactions[3].currency: not a currency code such as EUR or BTC: "€"`,
		`subject.names[1]: empty`,
		`subject.emails[0]: not an e-mail address: "Mallory <m@example.com>"`,
		`subject.emails[1]: empty`,
		`subject.emails[2]: not an e-mail address: "m@localhost"`,
		`subject.phones[1]: not a telephone number: "12" has 2 digits`,
		`subject.urls[0]: not a URL: "http://"`,
		`subject.urls[1]: not a URL: "has space.example"`,
		`subject.wallets[0]: empty`,
		`subject.wallets[1]: not a wallet address: "bc1 q" contains spaces`,
		`subject.ips[1].ip: not an IP address: "198.51.100.300"`,
		`subject.ips[1].port: not a port number (1 to 65535): 70000`,
		`subject.ips[1].time: not an RFC 3339 time: "yesterday" (write e.g. 2024-03-12T10:00:00Z)`,
		`email_headers[0]: not an e-mail header block: empty`,
		`email_headers[1]: not an e-mail header block: the lines should read "Name: value", as in "Received: from ..."`,
		`evidence[0]: not a SHA-256 digest (64 hexadecimal characters): "abc"`,
		`language: not a language tag such as en or pt-BR: "German!"`,
	}
	got := r.Validate()
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestVictimReportAmountNeedsACurrency(t *testing.T) {
	r := loadReport(t)
	r.Losses.Currency = " "
	if got := r.Validate(); !slices.Equal(got, []string{"losses.currency: required with an amount"}) {
		t.Errorf("problems %q", got)
	}
}

func TestVictimReportAcceptsWhatVictimsWrite(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*VictimReport)
	}{
		{"a date only", func(r *VictimReport) { r.When = Period{Start: "2026-02-03"} }},
		{"a local time with its offset", func(r *VictimReport) { r.When.End = "2026-02-10T16:45:00-05:00" }},
		{"an amount without decimals", func(r *VictimReport) { r.Losses.Amount = "100" }},
		{"a crypto-asset", func(r *VictimReport) { r.Losses.Currency = "USDT" }},
		{"a URL without scheme", func(r *VictimReport) { r.Subject.URLs = []string{"example.com/login?id=1"} }},
		{"a phone with punctuation", func(r *VictimReport) { r.Reporter.Phone = "+1 (555) 010-0199" }},
		{"a language with region", func(r *VictimReport) { r.Language = "pt-BR" }},
		{"headers with CRLF and a body", func(r *VictimReport) {
			r.EmailHeaders = []string{"Received: from a by b; Tue, 3 Feb 2026 08:15:02 +0000\r\nSubject: hi\r\n\r\nbody text"}
		}},
		{"an IPv4-mapped IPv6 address", func(r *VictimReport) { r.Subject.IPs[0].IP = "::ffff:198.51.100.7" }},
		{"upper-case evidence digest", func(r *VictimReport) {
			r.Evidence = []string{"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"}
		}},
	} {
		r := loadReport(t)
		tc.change(r)
		if p := r.Validate(); p != nil {
			t.Errorf("%s: problems %q", tc.name, p)
		}
	}
}

func TestVictimReportWarnsAboutAddressesThatCannotBeResolved(t *testing.T) {
	r := loadReport(t)
	r.Subject.IPs = []SubjectIP{
		{IP: "198.51.100.7", Port: 51544, Time: "2026-02-03T08:15:00Z"}, // resolvable
		{IP: "198.51.100.8", Time: "2026-02-03T08:15:00Z"},              // no port
		{IP: "198.51.100.9", Port: 443},                                 // no time
		{IP: "198.51.100.10"},                                           // neither
		{IP: "2001:db8::1", Time: "2026-02-03T08:15:00Z"},               // IPv6 needs no port
		{IP: "2001:db8::2"},                                             // but a time
		{IP: "::ffff:198.51.100.11", Time: "2026-02-03T08:15:00Z"},      // IPv4 in IPv6 clothing
		{IP: "not an address"},                                          // a problem, not a warning
	}
	r.EmailHeaders = []string{"From: a@example.org\nSubject: hi\n"}
	noPort := "no port: behind carrier-grade NAT many subscribers share one IPv4 address, and the provider needs the source port to find one"
	noTime := "no time: addresses are reassigned, and the provider needs the exact time (UTC) to find the subscriber"
	want := []string{
		"subject.ips[1]: " + noPort,
		"subject.ips[2]: " + noTime,
		"subject.ips[3]: " + noPort,
		"subject.ips[3]: " + noTime,
		"subject.ips[5]: " + noTime,
		"subject.ips[6]: " + noPort,
		"email_headers[0]: no Received lines: the path of the message cannot be traced; forward the full headers",
	}
	if got := r.Warnings(); !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p := r.Validate(); !slices.Equal(p, []string{`subject.ips[7].ip: not an IP address: "not an address"`}) {
		t.Errorf("addresses without port or time must be accepted: %q", p)
	}
}

func TestVictimReportNormalize(t *testing.T) {
	r := loadReport(t)
	r.Reporter.Email = "  maria@example.org "
	r.Victim.Country = "de"
	r.Subject.IPs[0].IP = "::ffff:198.51.100.7"
	r.Subject.URLs[0] = " https://x.example/ "
	r.Evidence[0] = strings.ToUpper(r.Evidence[0])
	r.Normalize()
	for _, tc := range []struct{ got, want string }{
		{r.Reporter.Email, "maria@example.org"},
		{r.Victim.Country, "DE"},
		{r.Losses.Currency, "EUR"},
		{r.When.Start, "2026-02-03"}, // a date stays a date
		{r.When.End, "2026-02-10T15:45:00Z"},
		{r.Subject.IPs[0].IP, "::ffff:198.51.100.7"},
		{r.Subject.IPs[1].Time, "2026-02-04T08:00:00Z"},
		{r.Subject.URLs[0], "https://x.example/"},
		{r.Evidence[0], "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{r.Losses.Transactions[1].Time, "2026-02-10T09:12:00Z"},
	} {
		if tc.got != tc.want {
			t.Errorf("normalised %q, want %q", tc.got, tc.want)
		}
	}
	if p := r.Validate(); p != nil {
		t.Errorf("a normalised report has problems: %q", p)
	}
}

// fixedRandom yields the same bytes forever.
type fixedRandom []byte

func (f fixedRandom) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = f[i%len(f)]
	}
	return len(p), nil
}

var referenceShape = regexp.MustCompile(`^VR-[0-9]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{3}[0-9A-HJKMNP-TV-Z*~$=U]$`)

func TestNewReferenceFormat(t *testing.T) {
	for _, tc := range []struct {
		now    time.Time
		random []byte
		want   string
	}{
		{at("2026-05-01T10:00:00Z"), []byte{0, 0, 0, 0, 0}, "VR-2026-0000-000"},
		{at("2026-05-01T10:00:00Z"), []byte{0xff, 0xff, 0xff, 0xff, 0xff}, "VR-2026-ZZZZ-ZZZ"},
		{at("2026-12-31T23:30:00-02:00"), []byte{0, 0, 0, 0, 0}, "VR-2027-0000-000"}, // the year in UTC
		{at("0999-01-01T00:00:00Z"), []byte{0, 0, 0, 0, 0}, "VR-0999-0000-000"},
	} {
		got := NewReference(tc.now, fixedRandom(tc.random))
		if !strings.HasPrefix(got, tc.want) || !referenceShape.MatchString(got) {
			t.Errorf("NewReference = %q, want %s plus a check symbol", got, tc.want)
		}
	}
	if got := NewReference(at("2026-05-01T10:00:00Z"), nil); !referenceShape.MatchString(got) {
		t.Errorf("NewReference with crypto/rand = %q", got)
	}
}

func TestNewReferencePanicsWhenRandomFails(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	NewReference(time.Now(), bytes.NewReader([]byte{1, 2}))
}

func TestReferenceRoundTrip(t *testing.T) {
	seen := map[string]bool{}
	for i := range 2000 {
		ref := NewReference(at("2026-05-01T10:00:00Z").AddDate(i%3, 0, 0), nil)
		if !referenceShape.MatchString(ref) {
			t.Fatalf("%q has the wrong shape", ref)
		}
		got, err := ParseReference(ref)
		if err != nil || got != ref {
			t.Fatalf("ParseReference(%q) = %q, %v", ref, got, err)
		}
		seen[ref] = true
	}
	if len(seen) < 1990 {
		t.Errorf("only %d distinct references out of 2000", len(seen))
	}
}

func TestParseReferenceForgivesHowPeopleTypeIt(t *testing.T) {
	const ref = "VR-2026-7K4M-Q9X1"
	for _, in := range []string{
		ref,
		"vr-2026-7k4m-q9x1",
		"VR20267K4MQ9X1",
		"2026-7K4M-Q9X1",
		"20267k4mq9x1",
		" VR 2026 7K4M Q9X1 ",
		"VR-2O26-7K4M-Q9X1", // O read as zero
		"VR-2026-7K4M-Q9XI", // I read as one
		"VR-2026-7K4M-Q9Xl", // l read as one
		"VR-2026-7K4M-Q9X1\n",
	} {
		got, err := ParseReference(in)
		if err != nil || got != ref {
			t.Errorf("ParseReference(%q) = %q, %v; want %s", in, got, err, ref)
		}
	}
	if exampleReference != ref {
		t.Errorf("the documented example %s is not %s", exampleReference, ref)
	}
}

func TestParseReferenceRejectsMalformedReferences(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "should look like VR-2026-7K4M-Q9X1"},
		{"VR-2026-7K4M-Q9X", "should look like"},
		{"VR-2026-7K4M-Q9X1-0", "should look like"},
		{"XX-2026-7K4M-Q9X1", "should look like"},
		{"VR-20A6-7K4M-Q9X1", "character 3 of the year"},
		{"VR-2026-7K4U-Q9X1", `'U' cannot appear`},
		{"VR-2026-7K4*-Q9X1", `'*' cannot appear`},
		{"VR-2026-7K4M-Q9X!", `'!' cannot be its last character`},
		{"VR-2026-7K4M-Q9X2", "a character was misread or two were swapped"},
		{"VR-2026-7K4M-Q9Xé", "should look like"},
	} {
		if _, err := ParseReference(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseReference(%q) error = %v, want %q", tc.in, err, tc.want)
		}
	}
}

// The check symbol must catch every single wrong symbol and every swap of
// neighbours; both are proved here by trying all of them on a few
// references, including the check symbol's own position.
func TestReferenceCheckSymbolDetectsEverySubstitutionAndTransposition(t *testing.T) {
	refs := []string{"VR-2026-7K4M-Q9X1", formatReference([]byte("20260000000")), formatReference([]byte("1999ZZZZZZZ"))}
	for range 5 {
		refs = append(refs, NewReference(at("2030-01-01T00:00:00Z"), nil))
	}
	for _, ref := range refs {
		canon, err := ParseReference(ref)
		if err != nil {
			t.Fatal(err)
		}
		sym := []byte(strings.ReplaceAll(strings.TrimPrefix(canon, "VR-"), "-", ""))
		for i := range sym {
			alphabet := crockford
			if i == len(sym)-1 {
				alphabet = checkDigits
			}
			for _, c := range []byte(alphabet) {
				if c == sym[i] {
					continue
				}
				typo := slices.Clone(sym)
				typo[i] = c
				if _, err := ParseReference(string(typo)); err == nil {
					t.Errorf("%s: changing symbol %d to %c goes unnoticed", canon, i, c)
				}
			}
			if i+1 < len(sym) && sym[i] != sym[i+1] {
				swap := slices.Clone(sym)
				swap[i], swap[i+1] = swap[i+1], swap[i]
				if _, err := ParseReference(string(swap)); err == nil {
					t.Errorf("%s: swapping symbols %d and %d goes unnoticed", canon, i, i+1)
				}
			}
		}
	}
}

func TestVictimStatuses(t *testing.T) {
	want := []VictimStatus{"received", "under-review", "case-opened", "referred-abroad", "closed"}
	if got := VictimStatuses(); !slices.Equal(got, want) {
		t.Errorf("VictimStatuses() = %v", got)
	}
	for _, s := range VictimStatuses() {
		d := s.Description()
		if len(d) < 40 || !strings.HasSuffix(d, ".") || strings.ContainsAny(d, "/_") {
			t.Errorf("%s: description %q is not plain language", s, d)
		}
		if got, err := ParseVictimStatus(strings.ToUpper(s.String())); err != nil || got != s {
			t.Errorf("ParseVictimStatus(%q) = %q, %v", s, got, err)
		}
	}
	if !strings.Contains(VictimReferredAbroad.Description(), "consent") {
		t.Error("the referral description should remind the victim it needed consent")
	}
	if _, err := ParseVictimStatus("solved"); err == nil {
		t.Error("ParseVictimStatus accepted solved")
	}
	if VictimStatus("x").Description() != "" {
		t.Error("description for an unknown status")
	}
}

func FuzzParseReference(f *testing.F) {
	for _, s := range []string{"VR-2026-7K4M-Q9X1", "vr20267k4mq9x1", "2O26-7K4M-Q9XI", "VR-2026-0000-000U", "VR-2026-ZZZZ-ZZZ*", "", "VR", "VR-2026-7K4M-Q9X2", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseReference(s)
		if err != nil {
			return
		}
		if !referenceShape.MatchString(got) {
			t.Fatalf("ParseReference(%q) = %q, not canonical", s, got)
		}
		again, err := ParseReference(got)
		if err != nil || again != got {
			t.Fatalf("ParseReference(%q) = %q, %v; not stable", got, again, err)
		}
	})
}

func FuzzVictimReportJSON(f *testing.F) {
	b, err := os.ReadFile("testdata/victim/complete.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"subject":{"ips":[{"ip":"198.51.100.7"},{"ip":"::1%eth0","port":-1,"time":"x"}]}}`))
	f.Add([]byte(`{"email_headers":["Received: x\n\n","\n\n", ":"],"losses":{"amount":"1e400","transactions":[{}]}}`))
	f.Add([]byte(`{"when":{"start":"2026-02-31","end":"0000-01-01T00:00:00Z"},"language":"-","subject":{"urls":["::"]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r VictimReport
		if err := json.Unmarshal(data, &r); err != nil {
			return
		}
		problems := r.Validate()
		r.Warnings()
		r.MayShareAbroad()
		for _, p := range problems {
			if !strings.Contains(p, ": ") {
				t.Fatalf("problem %q has no path", p)
			}
		}
		r.Normalize()
		r.Validate()
		r.Warnings()
	})
}
