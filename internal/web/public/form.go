package public

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/concord-cert/concord/internal/casework"
)

// field is one input of the victim form, in plain words.
type field struct {
	// Name is the form field's name and, prefixed with "f-", its id.
	Name  string
	Label string
	Hint  string
	// Kind is text, email, tel, date, textarea, lines (a textarea read one
	// item a line) or select.
	Kind     string
	Required bool
	// Autocomplete is the HTML autocomplete token, when one applies.
	Autocomplete string
	Options      []option
	// Value and Error are filled per request.
	Value string
	Error string
}

type option struct{ Value, Label string }

// section is a fieldset of the form.
type section struct {
	Title  string
	Intro  string
	Fields []field
}

// formSections is the victim form. It asks, in the order a victim thinks
// of them, for what casework.VictimReport holds; only what happened, a
// way to reach the victim and the answer about sharing abroad are
// required.
func formSections() []section {
	return []section{
		{Title: "What happened", Fields: []field{
			{Name: "description", Label: "What happened?", Kind: "textarea", Required: true,
				Hint: "In your own words: what happened, what you were asked to do, what you did. Technical terms are not needed."},
			{Name: "noticed", Label: "How did you notice?", Kind: "textarea",
				Hint: "For example: money missing from your account, a warning from your bank, a message you did not send."},
			{Name: "start", Label: "When did it start?", Kind: "date", Hint: "If you do not know the exact day, give your best guess."},
			{Name: "end", Label: "When did it end?", Kind: "date", Hint: "Leave empty if it happened on one day or is still going on."},
		}},
		{Title: "How we can reach you", Intro: "Give at least an e-mail address or a telephone number.", Fields: []field{
			{Name: "name", Label: "Your name", Kind: "text", Autocomplete: "name"},
			{Name: "email", Label: "E-mail address", Kind: "email", Autocomplete: "email", Hint: "For example name@example.com."},
			{Name: "phone", Label: "Telephone number", Kind: "tel", Autocomplete: "tel", Hint: "With the country code, for example +48 22 123 45 67."},
		}},
		{Title: "Who was affected", Intro: "Fill this in only if you report for someone else or for an organisation.", Fields: []field{
			{Name: "victim_name", Label: "Name of the person affected", Kind: "text"},
			{Name: "organisation", Label: "Organisation affected", Kind: "text", Autocomplete: "organization"},
			{Name: "country", Label: "Country", Kind: "text", Autocomplete: "country", Hint: "Two letters, for example PL or DE."},
		}},
		{Title: "Money lost", Intro: "Leave this empty if you lost no money.", Fields: []field{
			{Name: "amount", Label: "Amount lost", Kind: "text", Hint: "A number, for example 1250.00."},
			{Name: "currency", Label: "Currency", Kind: "text", Hint: "For example EUR, PLN, USD or BTC."},
			{Name: "method", Label: "How did you pay?", Kind: "text", Hint: "For example bank transfer, card, crypto-currency, gift card."},
			{Name: "paid_to", Label: "Where did the money go?", Kind: "text", Hint: "The account number (IBAN), card or wallet address you paid to, if you know it."},
		}},
		{Title: "What you know about who did it", Intro: "Everything here is optional. Put one item on each line.", Fields: []field{
			{Name: "urls", Label: "Websites", Kind: "lines", Hint: "Addresses of websites involved, for example shop-example.com."},
			{Name: "subject_emails", Label: "Their e-mail addresses", Kind: "lines"},
			{Name: "subject_phones", Label: "Their telephone numbers", Kind: "lines"},
			{Name: "subject_names", Label: "Names they used", Kind: "lines"},
			{Name: "wallets", Label: "Crypto-currency wallets", Kind: "lines"},
			{Name: "headers", Label: "E-mail headers", Kind: "textarea",
				Hint: "If it started with an e-mail, paste its full headers here (in most mail programs: \"Show original\" or \"View source\"). It helps us trace where it came from."},
		}},
	}
}

// languages are the answers the form offers; the JSON API takes any
// language tag.
var languages = []option{{"en", "English"}, {"pl", "Polski"}, {"de", "Deutsch"}, {"fr", "Français"}, {"es", "Español"}, {"uk", "Українська"}, {"ru", "Русский"}}

// victimForm is the form as shown: its sections with the values typed, the
// remaining answers, and the messages.
type victimForm struct {
	Sections []section
	Consent  string // yes, no or empty
	// ConsentError and FilesError are the messages of the two inputs
	// outside the sections.
	ConsentError string
	FilesError   []string
	Language     string
	Languages    []option
	// Errors lists every message with the id of its input, for the summary
	// at the top.
	Errors []formError
	// Notice is a message about the form as a whole.
	Notice    string
	Token     string
	MaxFiles  int
	MaxFileMB int
	Types     string
}

type formError struct{ ID, Message string }

func newForm(v url.Values) *victimForm {
	f := &victimForm{Sections: formSections(), Consent: v.Get("consent"), Language: v.Get("language"), Languages: languages,
		MaxFiles: maxFiles, MaxFileMB: maxFileSize >> 20, Types: allowedTypesText}
	for i := range f.Sections {
		for j := range f.Sections[i].Fields {
			fd := &f.Sections[i].Fields[j]
			fd.Value = v.Get(fd.Name)
		}
	}
	if f.Language == "" {
		f.Language = "en"
	}
	return f
}

// value returns the value typed into the field name.
func (f *victimForm) value(name string) string {
	for _, s := range f.Sections {
		for _, fd := range s.Fields {
			if fd.Name == name {
				return strings.TrimSpace(fd.Value)
			}
		}
	}
	return ""
}

// setError attaches msg to the input name (first message wins).
func (f *victimForm) setError(name, msg string) {
	switch name {
	case "consent":
		if f.ConsentError == "" {
			f.ConsentError = msg
			f.Errors = append(f.Errors, formError{"f-consent-yes", msg})
		}
		return
	case "files":
		f.FilesError = append(f.FilesError, msg)
		f.Errors = append(f.Errors, formError{"f-files", msg})
		return
	}
	for i := range f.Sections {
		for j := range f.Sections[i].Fields {
			fd := &f.Sections[i].Fields[j]
			if fd.Name == name && fd.Error == "" {
				fd.Error = msg
				f.Errors = append(f.Errors, formError{"f-" + name, fd.Label + ": " + msg})
			}
		}
	}
}

// report turns the form into the intake model.
func (f *victimForm) report() *casework.VictimReport {
	r := &casework.VictimReport{
		Reporter:    casework.Contact{Name: f.value("name"), Email: f.value("email"), Phone: f.value("phone")},
		Victim:      casework.Victim{Name: f.value("victim_name"), Organisation: f.value("organisation"), Country: f.value("country")},
		Description: f.value("description"),
		When:        casework.Period{Start: f.value("start"), End: f.value("end")},
		Losses:      casework.Losses{Amount: amount(f.value("amount")), Currency: strings.ToUpper(f.value("currency"))},
		Subject: casework.Subject{Names: lines(f.value("subject_names")), Emails: lines(f.value("subject_emails")),
			Phones: lines(f.value("subject_phones")), URLs: lines(f.value("urls")), Wallets: lines(f.value("wallets"))},
		Language: f.Language,
	}
	if n := f.value("noticed"); n != "" {
		r.Description += "\n\nHow I noticed: " + n
	}
	if m, to := f.value("method"), f.value("paid_to"); m != "" || to != "" {
		r.Losses.Transactions = []casework.Transaction{{Method: m, To: to}}
	}
	if h := f.value("headers"); h != "" {
		r.EmailHeaders = []string{h}
	}
	switch f.Consent {
	case "yes", "no":
		consent := f.Consent == "yes"
		r.ConsentToShareAbroad = &consent
	}
	return r
}

// amount reads an amount as people write it: with spaces or separators
// between thousands, and a decimal comma or point — whichever comes last.
func amount(s string) json.Number {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u00a0' || r == '\'' {
			return -1
		}
		return r
	}, s)
	if strings.LastIndexByte(s, ',') > strings.LastIndexByte(s, '.') {
		s = strings.ReplaceAll(strings.ReplaceAll(s, ".", ""), ",", ".")
	} else {
		s = strings.ReplaceAll(s, ",", "")
	}
	return json.Number(s)
}

// lines splits a textarea into its non-blank lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// plain are the messages of the problems Validate finds, by path: the
// input to show the message beside, and the message in plain words.
var plain = map[string]struct{ input, msg string }{
	"description":             {"description", "Tell us what happened."},
	"reporter":                {"email", "Give an e-mail address or a telephone number so that we can reach you."},
	"reporter.email":          {"email", "This does not look like an e-mail address (for example name@example.com)."},
	"reporter.phone":          {"phone", "This does not look like a telephone number: use digits, spaces and a leading + (for example +48 22 123 45 67)."},
	"victim.country":          {"country", "Use the two-letter country code, for example PL or DE."},
	"when.start":              {"start", "Enter a date as year-month-day, for example 2026-03-12."},
	"when.end":                {"end", "Enter a date as year-month-day, for example 2026-03-12."},
	"losses.amount":           {"amount", "Enter the amount as a number, for example 1250.00."},
	"losses.currency":         {"currency", "Use a currency code such as EUR, PLN or BTC."},
	"consent_to_share_abroad": {"consent", "Please answer yes or no."},
}

// listInputs are the inputs that hold one item a line, by path.
var listInputs = map[string]string{
	"subject.urls": "urls", "subject.emails": "subject_emails", "subject.phones": "subject_phones",
	"subject.names": "subject_names", "subject.wallets": "wallets",
}

// explain puts each problem of the report beside the input it comes from,
// in plain words.
func (f *victimForm) explain(problems []string) {
	for _, p := range problems {
		// A problem reads `subject.emails[1]: not an e-mail address: "x"`:
		// its path, the item's index in a list, and the reason.
		path, reason, _ := strings.Cut(p, ": ")
		index := 0
		if base, rest, ok := strings.Cut(path, "["); ok {
			path = base
			n, _, _ := strings.Cut(rest, "]")
			index, _ = strconv.Atoi(n)
		}
		switch {
		case path == "when.end" && strings.HasPrefix(reason, "before"):
			f.setError("end", "The end is before the start.")
		case path == "losses.currency" && strings.HasPrefix(reason, "required"):
			f.setError("currency", "Say which currency, for example EUR.")
		case plain[path].input != "":
			f.setError(plain[path].input, plain[path].msg)
		case listInputs[path] != "":
			f.setError(listInputs[path], fmt.Sprintf("line %d: %s", index+1, reason))
		case path == "losses.transactions":
			f.setError("paid_to", reason)
		case path == "email_headers":
			f.setError("headers", "These do not look like e-mail headers: "+reason)
		case path == "language":
			f.Language = "en"
		default:
			f.Notice = "Something in the form could not be used: " + p
		}
	}
}
