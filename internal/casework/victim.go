package casework

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/mail"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// VictimReport is what a victim, or someone on a victim's behalf, tells us:
// the fields IC3 and Action Fraud collect (DOMAIN.md §7). It is decoded from
// JSON as the victim submitted it and checked with Validate; times and
// amounts stay text so that Validate can name a bad value by its place
// instead of the decoder rejecting the whole report.
type VictimReport struct {
	// Reporter is who filed the report and how to reach them.
	Reporter Contact `json:"reporter"`
	// Victim is who suffered the offence; empty when it is the reporter.
	Victim Victim `json:"victim"`
	// Description is what happened, in the reporter's words.
	Description string `json:"description"`
	// When is the period the events took place in.
	When Period `json:"when"`
	// Losses are the money or assets lost.
	Losses Losses `json:"losses"`
	// Subject is what is known of the people or systems behind the offence.
	Subject Subject `json:"subject"`
	// EmailHeaders holds the full headers of each e-mail received from the
	// subject, one header block per e-mail.
	EmailHeaders []string `json:"email_headers,omitempty"`
	// Evidence lists the SHA-256 digests (hexadecimal) of files kept in the
	// evidence vault: screenshots, statements, saved messages.
	Evidence []string `json:"evidence,omitempty"`
	// ConsentToShareAbroad is the reporter's answer to whether the report
	// may be passed to authorities in other countries. Nil means the
	// question was not answered, which Validate rejects: consent is never
	// assumed.
	ConsentToShareAbroad *bool `json:"consent_to_share_abroad"`
	// Language is the language the reporter wants to be answered in, as a
	// language tag such as en or pt-BR.
	Language string `json:"language,omitempty"`
}

// Contact is a person and the ways to reach them.
type Contact struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Victim is the person or organisation that suffered the offence.
type Victim struct {
	Name         string `json:"name,omitempty"`
	Organisation string `json:"organisation,omitempty"`
	// Country is the victim's country as an ISO 3166-1 alpha-2 code.
	Country string `json:"country,omitempty"`
}

// Period is when something happened. Start and End are RFC 3339 times or
// dates (2026-01-31) when the victim knows only the day; Normalize puts
// times in UTC.
type Period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// Losses are what the victim lost. Amounts are decimal numbers; JSON may
// give them as numbers or as text.
type Losses struct {
	Amount json.Number `json:"amount,omitempty"`
	// Currency is an ISO 4217 code such as EUR, or a crypto-asset ticker
	// such as BTC.
	Currency     string        `json:"currency,omitempty"`
	Transactions []Transaction `json:"transactions,omitempty"`
}

// Transaction is one payment the victim made or lost.
type Transaction struct {
	// Time is an RFC 3339 time, or a date as a bank statement gives it.
	Time     string      `json:"time,omitempty"`
	Amount   json.Number `json:"amount,omitempty"`
	Currency string      `json:"currency,omitempty"`
	// Method is how the money moved: bank transfer, card, crypto-asset, gift
	// card, cash.
	Method string `json:"method,omitempty"`
	// From and To are the accounts, IBANs or wallet addresses the money
	// left and reached.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Reference is the bank's or the blockchain's reference for the
	// payment.
	Reference string `json:"reference,omitempty"`
}

// Subject is what the victim knows of the people and systems behind the
// offence.
type Subject struct {
	Names   []string    `json:"names,omitempty"`
	Emails  []string    `json:"emails,omitempty"`
	Phones  []string    `json:"phones,omitempty"`
	URLs    []string    `json:"urls,omitempty"`
	Wallets []string    `json:"wallets,omitempty"`
	IPs     []SubjectIP `json:"ips,omitempty"`
}

// SubjectIP is an address the subject used, with the source port and the
// time that let a provider find the subscriber behind it.
type SubjectIP struct {
	IP string `json:"ip"`
	// Port is the source port; 0 when unknown.
	Port int `json:"port,omitempty"`
	// Time is an RFC 3339 time.
	Time string `json:"time,omitempty"`
}

// MayShareAbroad reports whether the reporter explicitly agreed that the
// report may be passed to authorities in other countries.
func (r *VictimReport) MayShareAbroad() bool {
	return r != nil && r.ConsentToShareAbroad != nil && *r.ConsentToShareAbroad
}

// Validate returns every problem in the report as "path: reason", with
// paths in the report's JSON names (e.g. "subject.ips[1].time"), in a
// stable order. A report is acceptable when the result is empty. It needs a
// description, an e-mail address or telephone number for the reporter, and
// an explicit answer about sharing abroad; everything else is optional but
// must be well-formed when given.
func (r *VictimReport) Validate() []string {
	if r == nil {
		return []string{"report: empty"}
	}
	var p problems
	if strings.TrimSpace(r.Description) == "" {
		p.add("description", "required: say what happened")
	}
	if strings.TrimSpace(r.Reporter.Email) == "" && strings.TrimSpace(r.Reporter.Phone) == "" {
		p.add("reporter", "give an e-mail address or a telephone number so that we can reach you")
	}
	p.email("reporter.email", r.Reporter.Email)
	p.phone("reporter.phone", r.Reporter.Phone)
	if c := strings.TrimSpace(r.Victim.Country); c != "" && !isCountryCode(c) {
		p.add("victim.country", fmt.Sprintf("not a two-letter country code (ISO 3166-1): %q", c))
	}
	start := p.when("when.start", r.When.Start)
	end := p.when("when.end", r.When.End)
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		p.add("when.end", "before when.start")
	}
	p.amount("losses", r.Losses.Amount, r.Losses.Currency)
	for i, tx := range r.Losses.Transactions {
		path := fmt.Sprintf("losses.transactions[%d]", i)
		if tx == (Transaction{}) {
			p.add(path, "empty")
			continue
		}
		p.when(path+".time", tx.Time)
		p.amount(path, tx.Amount, tx.Currency)
	}
	p.nonEmpty("subject.names", r.Subject.Names)
	for i, e := range r.Subject.Emails {
		p.item(fmt.Sprintf("subject.emails[%d]", i), e, p.email)
	}
	for i, ph := range r.Subject.Phones {
		p.item(fmt.Sprintf("subject.phones[%d]", i), ph, p.phone)
	}
	for i, u := range r.Subject.URLs {
		p.url(fmt.Sprintf("subject.urls[%d]", i), u)
	}
	for i, w := range r.Subject.Wallets {
		path := fmt.Sprintf("subject.wallets[%d]", i)
		switch w = strings.TrimSpace(w); {
		case w == "":
			p.add(path, "empty")
		case strings.IndexFunc(w, unicode.IsSpace) >= 0:
			p.add(path, fmt.Sprintf("not a wallet address: %q contains spaces", w))
		}
	}
	for i, ip := range r.Subject.IPs {
		path := fmt.Sprintf("subject.ips[%d]", i)
		if _, err := parseAddr(ip.IP); err != nil {
			p.add(path+".ip", fmt.Sprintf("not an IP address: %q", ip.IP))
		}
		if ip.Port < 0 || ip.Port > 65535 {
			p.add(path+".port", fmt.Sprintf("not a port number (1 to 65535): %d", ip.Port))
		}
		if t := strings.TrimSpace(ip.Time); t != "" {
			if _, err := time.Parse(time.RFC3339, t); err != nil {
				p.add(path+".time", fmt.Sprintf("not an RFC 3339 time: %q (write e.g. 2024-03-12T10:00:00Z)", t))
			}
		}
	}
	for i, h := range r.EmailHeaders {
		path := fmt.Sprintf("email_headers[%d]", i)
		if _, err := parseHeaders(h); err != nil {
			p.add(path, "not an e-mail header block: "+err.Error())
		}
	}
	for i, e := range r.Evidence {
		path := fmt.Sprintf("evidence[%d]", i)
		if b, err := hex.DecodeString(strings.TrimSpace(e)); err != nil || len(b) != 32 {
			p.add(path, fmt.Sprintf("not a SHA-256 digest (64 hexadecimal characters): %q", e))
		}
	}
	if r.ConsentToShareAbroad == nil {
		p.add("consent_to_share_abroad", "required: answer true or false; a report is passed to authorities abroad only with explicit consent")
	}
	if l := strings.TrimSpace(r.Language); l != "" && !isLanguageTag(l) {
		p.add("language", fmt.Sprintf("not a language tag such as en or pt-BR: %q", l))
	}
	return p
}

// Warnings returns what is acceptable in the report but limits what can be
// done with it, as "path: reason". An IPv4 address without a source port
// cannot be resolved to one subscriber behind carrier-grade NAT, an address
// without a time cannot be resolved at all once it is reassigned, and e-mail
// headers without Received lines cannot be traced.
func (r *VictimReport) Warnings() []string {
	if r == nil {
		return nil
	}
	var w problems
	for i, ip := range r.Subject.IPs {
		a, err := parseAddr(ip.IP)
		if err != nil {
			continue
		}
		path := fmt.Sprintf("subject.ips[%d]", i)
		if ip.Port == 0 && a.Unmap().Is4() {
			w.add(path, "no port: behind carrier-grade NAT many subscribers share one IPv4 address, and the provider needs the source port to find one")
		}
		if strings.TrimSpace(ip.Time) == "" {
			w.add(path, "no time: addresses are reassigned, and the provider needs the exact time (UTC) to find the subscriber")
		}
	}
	for i, h := range r.EmailHeaders {
		hdr, err := parseHeaders(h)
		if err == nil && len(hdr["Received"]) == 0 {
			w.add(fmt.Sprintf("email_headers[%d]", i), "no Received lines: the path of the message cannot be traced; forward the full headers")
		}
	}
	return w
}

// Normalize tidies a report before it is stored: it trims spaces, writes
// country and currency codes in capitals, times in UTC and addresses in
// their canonical form. Values that do not parse are left for Validate to
// report.
func (r *VictimReport) Normalize() {
	if r == nil {
		return
	}
	trim := func(ss ...*string) {
		for _, s := range ss {
			*s = strings.TrimSpace(*s)
		}
	}
	trim(&r.Reporter.Name, &r.Reporter.Email, &r.Reporter.Phone, &r.Victim.Name, &r.Victim.Organisation,
		&r.Description, &r.Losses.Currency, &r.Language)
	r.Victim.Country = strings.ToUpper(strings.TrimSpace(r.Victim.Country))
	r.Losses.Currency = strings.ToUpper(r.Losses.Currency)
	r.Losses.Amount = json.Number(strings.TrimSpace(string(r.Losses.Amount)))
	r.When.Start, r.When.End = utc(r.When.Start), utc(r.When.End)
	for i := range r.Losses.Transactions {
		tx := &r.Losses.Transactions[i]
		trim(&tx.Method, &tx.From, &tx.To, &tx.Reference)
		tx.Time = utc(tx.Time)
		tx.Amount = json.Number(strings.TrimSpace(string(tx.Amount)))
		tx.Currency = strings.ToUpper(strings.TrimSpace(tx.Currency))
	}
	for _, list := range [][]string{r.Subject.Names, r.Subject.Emails, r.Subject.Phones, r.Subject.URLs, r.Subject.Wallets, r.Evidence} {
		for i := range list {
			list[i] = strings.TrimSpace(list[i])
		}
	}
	for i := range r.Evidence {
		r.Evidence[i] = strings.ToLower(r.Evidence[i])
	}
	for i := range r.Subject.IPs {
		ip := &r.Subject.IPs[i]
		if a, err := parseAddr(ip.IP); err == nil {
			ip.IP = a.String()
		}
		ip.Time = utc(ip.Time)
	}
}

// problems collects "path: reason" strings.
type problems []string

func (p *problems) add(path, reason string) { *p = append(*p, path+": "+reason) }

// item checks a list item with check, which skips blank values, and
// reports a blank item as empty.
func (p *problems) item(path, s string, check func(path, s string)) {
	if strings.TrimSpace(s) == "" {
		p.add(path, "empty")
		return
	}
	check(path, s)
}

// nonEmpty reports the blank items of a list.
func (p *problems) nonEmpty(path string, list []string) {
	for i, s := range list {
		if strings.TrimSpace(s) == "" {
			p.add(fmt.Sprintf("%s[%d]", path, i), "empty")
		}
	}
}

func (p *problems) email(path, s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(a.Address[strings.LastIndexByte(a.Address, '@')+1:], ".") {
		p.add(path, fmt.Sprintf("not an e-mail address: %q", s))
	}
}

func (p *problems) phone(path, s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	digits := 0
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '+' && i == 0, c == ' ', c == '-', c == '.', c == '(', c == ')':
		default:
			p.add(path, fmt.Sprintf("not a telephone number: %q (use digits, spaces and a leading +)", s))
			return
		}
	}
	if digits < 3 || digits > 15 {
		p.add(path, fmt.Sprintf("not a telephone number: %q has %d digits", s, digits))
	}
}

func (p *problems) url(path, s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		p.add(path, "empty")
		return
	}
	u, err := url.Parse(s)
	if err == nil && u.Scheme == "" {
		// Victims paste "example.com/login" as often as full URLs.
		u, err = url.Parse("http://" + s)
	}
	if err != nil || u.Host == "" && u.Opaque == "" || strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		p.add(path, fmt.Sprintf("not a URL: %q", s))
	}
}

// when checks an RFC 3339 time or a date and returns it, or the zero time.
func (p *problems) when(path, s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t
	}
	p.add(path, fmt.Sprintf("not an RFC 3339 time or a date: %q (write e.g. 2024-03-12T10:00:00Z or 2024-03-12)", s))
	return time.Time{}
}

// amount checks path.amount and path.currency together.
func (p *problems) amount(path string, amount json.Number, currency string) {
	a, c := strings.TrimSpace(string(amount)), strings.TrimSpace(currency)
	if a != "" {
		if f, err := strconv.ParseFloat(a, 64); err != nil || f < 0 || strings.ContainsAny(a, "eEnNiI") {
			p.add(path+".amount", fmt.Sprintf("not an amount: %q (write e.g. 1250.00)", a))
		} else if c == "" {
			p.add(path+".currency", "required with an amount")
		}
	}
	if c != "" && !isCurrency(c) {
		p.add(path+".currency", fmt.Sprintf("not a currency code such as EUR or BTC: %q", c))
	}
}

func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err == nil && a.Zone() != "" {
		err = fmt.Errorf("zone not allowed")
	}
	return a, err
}

// parseHeaders reads an e-mail header block; a body, if pasted, is ignored.
func parseHeaders(h string) (mail.Header, error) {
	if strings.TrimSpace(h) == "" {
		return nil, fmt.Errorf("empty")
	}
	h = strings.TrimLeft(strings.ReplaceAll(h, "\r\n", "\n"), "\n")
	m, err := mail.ReadMessage(strings.NewReader(h + "\n\n"))
	if err != nil {
		// The standard library's wording changes between releases; ours
		// tells the victim what to paste.
		return nil, fmt.Errorf("the lines should read \"Name: value\", as in \"Received: from ...\"")
	}
	if len(m.Header) == 0 {
		return nil, fmt.Errorf("no header lines")
	}
	return m.Header, nil
}

// utc rewrites an RFC 3339 time in UTC; anything else is returned trimmed.
func utc(s string) string {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC().Format(time.RFC3339Nano)
	}
	return s
}

func isCountryCode(s string) bool {
	return len(s) == 2 && isASCIILetter(s[0]) && isASCIILetter(s[1])
}

// isCurrency accepts ISO 4217 codes and the tickers of crypto-assets
// (BTC, USDT): two to ten capital letters or digits, starting with a letter.
func isCurrency(s string) bool {
	if len(s) < 2 || len(s) > 10 || !isASCIILetter(s[0]) {
		return false
	}
	for i := range len(s) {
		if !isASCIILetter(s[i]) && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

// isLanguageTag accepts the shape of a BCP 47 tag: a 2–3 letter language,
// then subtags of 1–8 letters or digits.
func isLanguageTag(s string) bool {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' })
	if len(parts) == 0 || len(parts[0]) < 2 || len(parts[0]) > 3 || strings.Count(s, "-")+strings.Count(s, "_") != len(parts)-1 {
		return false
	}
	for i, part := range parts {
		if len(part) > 8 {
			return false
		}
		for j := range len(part) {
			c := part[j]
			if !isASCIILetter(c) && (i == 0 || c < '0' || c > '9') {
				return false
			}
		}
	}
	return true
}

func isASCIILetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

// VictimStatus is where a victim's report stands, in the terms shown to the
// victim. It is deliberately coarser than a request's Status: a victim is
// told what happens to the report, not the steps of a foreign procedure.
type VictimStatus string

// The statuses a victim sees.
const (
	// VictimReceived is a report stored and given a reference.
	VictimReceived VictimStatus = "received"
	// VictimUnderReview is a report an analyst is reading.
	VictimUnderReview VictimStatus = "under-review"
	// VictimCaseOpened is a report that is part of a case.
	VictimCaseOpened VictimStatus = "case-opened"
	// VictimReferredAbroad is a report passed to authorities abroad, which
	// needs the reporter's consent.
	VictimReferredAbroad VictimStatus = "referred-abroad"
	// VictimClosed is a report nobody works on any more.
	VictimClosed VictimStatus = "closed"
)

var victimStatuses = []VictimStatus{VictimReceived, VictimUnderReview, VictimCaseOpened, VictimReferredAbroad, VictimClosed}

// VictimStatuses returns every victim-visible status, in order.
func VictimStatuses() []VictimStatus { return slices.Clone(victimStatuses) }

// ParseVictimStatus accepts a victim status id in any case, with
// underscores or spaces in place of hyphens.
func ParseVictimStatus(s string) (VictimStatus, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	v = strings.NewReplacer("_", "-", " ", "-").Replace(v)
	if slices.Contains(victimStatuses, VictimStatus(v)) {
		return VictimStatus(v), nil
	}
	return "", fmt.Errorf("casework: %q is not a victim report status (use received, under-review, case-opened, referred-abroad or closed)", s)
}

// String returns the status id.
func (s VictimStatus) String() string { return string(s) }

// Description explains the status to the victim in plain language.
func (s VictimStatus) Description() string {
	switch s {
	case VictimReceived:
		return "We have received your report. Keep your reference number and quote it whenever you contact us."
	case VictimUnderReview:
		return "Someone is reading your report and working out what can be done. We will contact you if we need more information."
	case VictimCaseOpened:
		return "Your report is now part of an investigation. You do not need to do anything; we will contact you if we need you."
	case VictimReferredAbroad:
		return "With your consent, we have passed your report to the authorities of another country, because the people or computers involved are there. This can take several months."
	case VictimClosed:
		return "We have finished working on your report. This does not always mean the offender was found, but every report helps us see how these crimes are committed."
	}
	return ""
}

// Reference numbers look like VR-2026-7K4M-Q9X1: the year, seven random
// symbols and a check symbol, in Crockford's base 32, which has no I, L, O
// or U, so a reference read out over the telephone is not misheard. The
// check symbol is the value of the year and the random symbols, read as one
// base-32 number, modulo 37, written with Crockford's check alphabet: it
// catches every single wrong symbol and every swap of two neighbours.
const (
	crockford   = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	checkDigits = crockford + "*~$=U"
	refPrefix   = "VR"
	refRandom   = 7
)

// NewReference returns a fresh victim report reference for a report
// received at now, such as VR-2026-7K4M-Q9X1, with 35 random bits read from
// random (crypto/rand when nil). References are unique only in
// probability: the store must refuse a duplicate and draw again. It panics
// if random fails, as crypto/rand itself does.
func NewReference(now time.Time, random io.Reader) string {
	if random == nil {
		random = rand.Reader
	}
	var b [5]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		panic("casework: reading random bits for a reference: " + err.Error())
	}
	bits := uint64(b[0])<<32 | uint64(b[1])<<24 | uint64(b[2])<<16 | uint64(b[3])<<8 | uint64(b[4])
	bits >>= 5 // 35 bits, 5 per symbol
	sym := make([]byte, 0, 4+refRandom)
	sym = fmt.Appendf(sym, "%04d", now.UTC().Year()%10000)
	for i := refRandom - 1; i >= 0; i-- {
		sym = append(sym, crockford[bits>>(5*uint(i))&31])
	}
	return formatReference(sym)
}

// ParseReference checks a reference as a victim or an operator typed it and
// returns its canonical form. It ignores case, spaces and dashes, accepts a
// missing VR prefix, reads O as 0 and I or L as 1, and rejects a reference
// whose check symbol does not match.
func ParseReference(s string) (string, error) {
	v := strings.Map(func(r rune) rune {
		switch {
		case r == '-' || unicode.IsSpace(r):
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, s)
	v = strings.TrimPrefix(v, refPrefix)
	if len(v) != 4+refRandom+1 {
		return "", fmt.Errorf("casework: %q is not a victim report reference: it should look like %s", s, exampleReference)
	}
	sym := []byte(v)
	for i, c := range sym {
		switch c {
		case 'O':
			sym[i] = '0'
		case 'I', 'L':
			sym[i] = '1'
		}
	}
	for i, c := range sym[:4] {
		if c < '0' || c > '9' {
			return "", fmt.Errorf("casework: %q is not a victim report reference: character %d of the year, %q, is not a digit", s, i+1, c)
		}
	}
	for _, c := range sym[4 : 4+refRandom] {
		if strings.IndexByte(crockford, c) < 0 {
			return "", fmt.Errorf("casework: %q is not a victim report reference: %q cannot appear in one", s, c)
		}
	}
	if c := sym[len(sym)-1]; strings.IndexByte(checkDigits, c) < 0 {
		return "", fmt.Errorf("casework: %q is not a victim report reference: %q cannot be its last character", s, c)
	}
	if checkSymbol(sym[:len(sym)-1]) != sym[len(sym)-1] {
		return "", fmt.Errorf("casework: %q is not a valid victim report reference: a character was misread or two were swapped; check it with the victim", s)
	}
	return formatReference(sym[:len(sym)-1]), nil
}

// exampleReference is a valid reference, for messages and documentation.
var exampleReference = formatReference([]byte("20267K4MQ9X"))

// formatReference writes VR-YYYY-XXXX-XXXC from the year and the random
// symbols, appending the check symbol.
func formatReference(sym []byte) string {
	return refPrefix + "-" + string(sym[:4]) + "-" + string(sym[4:8]) + "-" + string(sym[8:]) + string(checkSymbol(sym))
}

// checkSymbol returns Crockford's mod-37 check symbol of sym, read as one
// base-32 number.
func checkSymbol(sym []byte) byte {
	var m int
	for _, c := range sym {
		m = (m*32 + strings.IndexByte(crockford, c)) % 37
	}
	return checkDigits[m]
}
