package feed

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"strings"
	"unsafe"

	"github.com/concord-cert/concord/internal/event"
)

// Shadowserver sends its constituents daily CSV reports, one file per
// report type (about 170 of them: scan_*, event4_*, sinkhole, honeypot,
// sandbox ...). The columns differ per type and drift between versions
// (added, renamed, reordered), so this decoder reads every file by column
// name: a small vocabulary of names becomes IntelMQ fields, everything else
// is kept in extra under its own name. What a row means (its RSIT class and
// who is source and who destination) depends on the report type, which is
// taken from --report or from the file name; see shadowserver_reports.go.

func init() {
	register(Format{
		Name:        "shadowserver",
		Description: "Shadowserver Foundation report CSV, any report type (scan_*, event4_*, sinkhole, honeypot, ...)",
		Sniff:       sniffShadowserver,
		New: func(opts Options) (Decoder, error) {
			return &shadowDecoder{opts: opts}, nil
		},
	})
}

const (
	shadowFeedName = "shadowserver"
	shadowProvider = "Shadowserver Foundation"
)

type shadowDecoder struct {
	opts Options
}

// report works out the report type from the options: --report wins,
// then the file name.
func (d *shadowDecoder) report() (string, shadowProfile, error) {
	if r := d.opts.Report; r != "" {
		name := shadowNormalizeName(r)
		p, _, ok := shadowLookup(name)
		if !ok {
			return "", p, fmt.Errorf("shadowserver: unknown report type %q; known types include %s (%d in all)",
				r, shadowExampleNames(), len(shadowReports))
		}
		return name, p, nil
	}
	if name, ok := shadowReportFromPath(d.opts.Path); ok {
		p, _, _ := shadowLookup(name)
		return name, p, nil
	}
	what := "the input"
	if d.opts.Path != "" {
		what = fmt.Sprintf("file name %q", filepath.Base(d.opts.Path))
	}
	return "", shadowProfile{}, fmt.Errorf("shadowserver: cannot tell the report type from %s; pass --report with the type Shadowserver names the file after, e.g. %s",
		what, shadowExampleNames())
}

func shadowExampleNames() string {
	return "scan_ntp, scan_rdp, event4_sinkhole_http, event4_honeypot_brute_force, event4_ddos_participant, phish_url"
}

// shadowNormalizeName lower-cases a report name and accepts hyphens for
// underscores, which people type by habit.
func shadowNormalizeName(s string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_")
}

// shadowReportFromPath finds the report type in a file name. Shadowserver
// names files "2024-03-12-scan_ftp-organisation-geo.csv": a date, the
// report type (which uses underscores only), then the recipient. Failing
// that, the longest known type that appears in the name as a whole word is
// taken ("shadowserver_scan_ftp_20240312.csv").
func shadowReportFromPath(path string) (string, bool) {
	if path == "" {
		return "", false
	}
	base := strings.ToLower(filepath.Base(path))
	for _, ext := range []string{".gz", ".csv", ".txt"} {
		base = strings.TrimSuffix(base, ext)
	}
	if len(base) > 11 && base[10] == '-' && shadowIsDate(base[:10]) {
		base = base[11:]
	}
	cand := base
	if i := strings.IndexByte(cand, '-'); i >= 0 {
		cand = cand[:i]
	}
	if _, exact, ok := shadowLookup(cand); ok && exact {
		return cand, true
	}
	best := ""
	for n := range shadowReports {
		if len(n) > len(best) && shadowHasWord(base, n) {
			best = n
		}
	}
	if best != "" {
		return best, true
	}
	if _, _, ok := shadowLookup(cand); ok {
		return cand, true
	}
	return "", false
}

func shadowIsDate(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i == 4 || i == 7 {
			if c != '-' {
				return false
			}
		} else if c < '0' || c > '9' {
			return false
		}
	}
	return len(s) == 10
}

// shadowHasWord reports whether w occurs in s as a whole report name:
// preceded by a separator (or the start) and not continued by letters,
// so that "event4_sinkhole_tls" does not read as "event4_sinkhole" while
// "scan_ftp_20240312" still reads as "scan_ftp".
func shadowHasWord(s, w string) bool {
	for off := 0; ; {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return false
		}
		i += off
		j := i + len(w)
		endOK := j == len(s) ||
			(!shadowAlnum(s[j]) && !(s[j] == '_' && j+1 < len(s) && s[j+1] >= 'a' && s[j+1] <= 'z'))
		if (i == 0 || !shadowAlnum(s[i-1])) && endOK {
			return true
		}
		off = i + 1
	}
}

func shadowAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

// shadowCol is what the decoder does with one column.
type shadowCol uint8

const (
	shadowExtra shadowCol = iota
	shadowTime
	shadowIP   // the report's subject: ip, src_ip, http_referer_ip
	shadowPort // port, src_port, http_referer_port
	shadowHost // hostname, src_hostname, http_referer_hostname, host
	shadowURL  // url, when absolute
	shadowDstIP
	shadowDstPort
	shadowDstHost
	shadowC2IP   // cc_ip
	shadowC2Addr // cc: an IP, or a host name in old reports
	shadowC2Port
	shadowC2Host
	shadowC2URL
	shadowTransport
	shadowApplication
	shadowMalware   // family, malware, ransomware: first non-empty wins
	shadowInfection // malware name only when the profile says so
	shadowEmail     // extra, and its domain names the subject
	shadowWebsite   // ransomware_victim: the victim's site
)

// shadowPlan is the header of one file turned into per-column actions.
type shadowPlan struct {
	names []string
	acts  []shadowCol
	// refinement inputs, -1 when absent
	smbImplant, vulnID, vulnEnum, status, tag int
	poodle                                    int
	vulnerableCols                            []int // *_vulnerable
}

// shadowCandidates lists, per field, the column names that may fill it in
// order of preference; the first one present in the header wins and the
// others stay in extra.
var shadowCandidates = []struct {
	act   shadowCol
	names []string
}{
	{shadowTime, []string{"timestamp"}},
	{shadowIP, []string{"ip", "src_ip", "http_referer_ip"}},
	{shadowPort, []string{"port", "src_port", "http_referer_port"}},
	{shadowHost, []string{"hostname", "src_hostname", "http_referer_hostname", "host"}},
	{shadowURL, []string{"url"}},
	{shadowDstIP, []string{"dst_ip"}},
	{shadowDstPort, []string{"dst_port"}},
	{shadowDstHost, []string{"dst_hostname"}},
	{shadowTransport, []string{"protocol"}},
	{shadowApplication, []string{"application"}},
	{shadowEmail, []string{"email"}},
	{shadowWebsite, []string{"website"}},
}

// shadowC2Candidates are the columns in which drone-style reports name the
// C&C a bot talked to.
var shadowC2Candidates = []struct {
	act   shadowCol
	names []string
}{
	{shadowC2IP, []string{"cc_ip"}},
	{shadowC2Addr, []string{"cc"}},
	{shadowC2Port, []string{"cc_port"}},
	{shadowC2Host, []string{"cc_dns", "cc_domain", "cc_hostname"}},
	{shadowC2URL, []string{"cc_url"}},
}

func newShadowPlan(header []string, p shadowProfile) *shadowPlan {
	pl := &shadowPlan{
		names:      make([]string, len(header)),
		acts:       make([]shadowCol, len(header)),
		smbImplant: -1, vulnID: -1, vulnEnum: -1, status: -1, tag: -1, poodle: -1,
	}
	index := make(map[string]int, len(header))
	for i, h := range header {
		n := strings.ToLower(strings.TrimSpace(h))
		if i == 0 {
			n = strings.TrimPrefix(n, "\ufeff")
		}
		n = strings.Trim(n, `"`)
		// Unnamed and repeated columns still need a key of their own in
		// extra, one no other column has.
		if n == "" {
			n = fmt.Sprintf("column_%d", i+1)
		}
		for base, k := n, 2; ; k++ {
			if _, dup := index[n]; !dup {
				break
			}
			n = fmt.Sprintf("%s_%d", base, k)
		}
		index[n] = i
		pl.names[i] = n
	}
	assign := func(act shadowCol, names []string) bool {
		for _, n := range names {
			if i, ok := index[n]; ok && pl.acts[i] == shadowExtra {
				pl.acts[i] = act
				return true
			}
		}
		return false
	}
	for _, c := range shadowCandidates {
		assign(c.act, c.names)
	}
	if p.peerFirst {
		// sandbox_dns: the name the sample looked up.
		assign(shadowHost, []string{"request"})
	}
	_, hasDst := index["dst_ip"]
	if _, ok := index["dst_hostname"]; ok {
		hasDst = true
	}
	if p.c2 && !hasDst && !p.peerFirst {
		for _, c := range shadowC2Candidates {
			assign(c.act, c.names)
		}
	}
	for _, n := range []string{"family", "malware", "ransomware"} {
		if i, ok := index[n]; ok {
			pl.acts[i] = shadowMalware
		}
	}
	if i, ok := index["infection"]; ok && p.infection {
		pl.acts[i] = shadowInfection
	}
	get := func(n string) int {
		if i, ok := index[n]; ok {
			return i
		}
		return -1
	}
	pl.smbImplant, pl.vulnID, pl.vulnEnum = get("smb_implant"), get("vulnerability_id"), get("vulnerability_enum")
	pl.status, pl.tag, pl.poodle = get("status"), get("tag"), get("ssl_poodle")
	for i, n := range pl.names {
		if strings.HasSuffix(n, "_vulnerable") {
			pl.vulnerableCols = append(pl.vulnerableCols, i)
		}
	}
	return pl
}

// has reports whether the header has column n.
func (pl *shadowPlan) has(n string) bool {
	for _, m := range pl.names {
		if m == n {
			return true
		}
	}
	return false
}

// Decode reads one Shadowserver report.
func (d *shadowDecoder) Decode(ctx context.Context, r io.Reader, sink Sink) error {
	report, prof, err := d.report()
	if err != nil {
		return err
	}
	if in, ok := r.(*Input); ok {
		// Already buffered: spare newLineReader a second 1 MiB buffer.
		r = in.Reader
	}
	cr := newCSVReader(r, ',', "#")
	header, err := cr.next()
	if err == io.EOF {
		return nil // an empty report has no records
	}
	if err != nil {
		return fmt.Errorf("shadowserver: %s: cannot read the header line: %w", report, err)
	}
	plan := newShadowPlan(header, prof)
	if !plan.has("timestamp") {
		return fmt.Errorf("shadowserver: %s: line %d is not a Shadowserver header (no \"timestamp\" column; it starts %q)",
			report, cr.line, truncate(string(cr.raw), 80))
	}
	st := shadowState{
		plan:    plan,
		prof:    prof,
		feed:    event.Feed{Name: d.opts.feedName(shadowFeedName), Provider: shadowProvider, Code: report},
		report:  report,
		tlp:     d.opts.Marking(),
		fieldsN: len(header),
	}
	var e event.Event
	return cr.eachRecord(ctx, sink, "shadowserver", func(fields []string) (string, error) {
		if shadowIsHeader(fields) {
			// Concatenated daily files repeat the header, perhaps a
			// newer one: read what follows by the new names.
			st.plan = newShadowPlan(fields, prof)
			st.fieldsN = len(fields)
			return "", nil
		}
		e.Reset()
		if reason := st.decode(&e, fields, cr.raw, cr.line); reason != "" {
			return reason, nil
		}
		return "", sink.Event(&e)
	})
}

// shadowIsHeader reports whether a row is a header: its first column is
// named "timestamp", which no data row's timestamp can be.
func shadowIsHeader(f []string) bool {
	if len(f) == 0 {
		return false
	}
	h := strings.Trim(strings.TrimSpace(strings.TrimPrefix(f[0], "\ufeff")), `"`)
	return strings.EqualFold(h, "timestamp")
}

type shadowState struct {
	plan    *shadowPlan
	prof    shadowProfile
	feed    event.Feed
	report  string
	tlp     event.TLP
	fieldsN int
}

// decode fills e from one row, or returns why the row is rejected.
func (st *shadowState) decode(e *event.Event, f []string, raw []byte, line int64) string {
	pl := st.plan
	if len(f) != st.fieldsN {
		return fmt.Sprintf("row has %d fields, the header has %d (truncated row, or a comma outside quotes?)", len(f), st.fieldsN)
	}
	subj, peer := &e.Source, &e.Destination
	if st.prof.peerFirst {
		subj, peer = peer, subj
	}
	var (
		malware, infection = -1, -1
		c2                 bool
		dstFromReport      bool
	)
	for i, act := range pl.acts {
		switch act {
		case shadowMalware:
			if malware < 0 && !shadowBlank(f[i]) {
				malware = i
			}
		case shadowInfection:
			if !shadowBlank(f[i]) {
				infection = i
			}
		}
	}
	if malware < 0 {
		malware = infection
	}
	for i, v := range f {
		if shadowBlank(v) {
			continue
		}
		name := pl.names[i]
		var err error
		switch pl.acts[i] {
		case shadowTime:
			if e.TimeSource, err = parseTime(shadowBytes(v)); err != nil {
				return name + ": " + err.Error()
			}
		case shadowIP:
			if subj.IP, err = shadowParseIP(v); err != nil {
				return name + ": " + err.Error()
			}
		case shadowPort:
			if subj.Port, err = parsePort(shadowBytes(v)); err != nil {
				return name + ": " + err.Error()
			}
		case shadowHost:
			// Some reports put the URL's host there even when it is an
			// address; an address is not a host name.
			if shadowIsAddr(v) {
				e.PutString(name, v)
				continue
			}
			subj.FQDN = strings.TrimSpace(v)
		case shadowURL:
			if !shadowAbsURL(v) {
				e.PutString(name, v) // a bare path ("/header.php"), not a URL
				continue
			}
			subj.URL = strings.TrimSpace(v)
		case shadowDstIP:
			if peer.IP, err = shadowParseIP(v); err != nil {
				return name + ": " + err.Error()
			}
			dstFromReport = true
		case shadowDstPort:
			if peer.Port, err = parsePort(shadowBytes(v)); err != nil {
				return name + ": " + err.Error()
			}
		case shadowDstHost:
			peer.FQDN = strings.TrimSpace(v)
			dstFromReport = true
		case shadowC2IP:
			if e.Destination.IP, err = shadowParseIP(v); err != nil {
				return name + ": " + err.Error()
			}
			c2 = true
		case shadowC2Addr:
			if a, perr := shadowParseIP(v); perr == nil {
				e.Destination.IP = a
			} else if shadowLooksHost(v) {
				e.Destination.FQDN = strings.TrimSpace(v)
			} else {
				return name + ": " + perr.Error()
			}
			c2 = true
		case shadowC2Port:
			if e.Destination.Port, err = parsePort(shadowBytes(v)); err != nil {
				return name + ": " + err.Error()
			}
		case shadowC2Host:
			e.Destination.FQDN = strings.TrimSpace(v)
			c2 = true
		case shadowC2URL:
			if !shadowAbsURL(v) {
				e.PutString(name, v)
				continue
			}
			e.Destination.URL = strings.TrimSpace(v)
			c2 = true
		case shadowTransport:
			switch t := strings.ToLower(strings.TrimSpace(v)); t {
			case "tcp", "udp", "icmp", "sctp":
				e.Transport = t
			default:
				e.PutString(name, v)
			}
		case shadowApplication:
			e.Application = strings.ToLower(strings.TrimSpace(v))
		case shadowMalware, shadowInfection:
			if i == malware {
				e.Malware = strings.ToLower(strings.TrimSpace(v))
			} else {
				e.PutString(name, v)
			}
		case shadowEmail:
			e.PutString(name, v)
			if _, dom, ok := strings.Cut(strings.TrimSpace(v), "@"); ok && subj.FQDN == "" && shadowLooksHost(dom) {
				subj.FQDN = strings.ToLower(dom)
			}
		case shadowWebsite:
			if shadowAbsURL(v) {
				subj.URL = strings.TrimSpace(v)
			} else if shadowLooksHost(v) && subj.FQDN == "" {
				subj.FQDN = strings.ToLower(strings.TrimSpace(v))
			} else {
				e.PutString(name, v)
			}
		default:
			e.PutString(name, v)
		}
	}
	if shadowEmpty(&e.Source) && shadowEmpty(&e.Destination) {
		return "row names no IP address, host name or URL"
	}

	class, src, dst := st.refine(f)
	if class.IsZero() {
		e.Kind = event.Observation
	} else {
		e.SetClass(class)
		// SetClass fills default roles into RoleNone; the profile's roles
		// are deliberate, RoleNone included (sinkholes, honeypots).
		e.Source.Role, e.Destination.Role = src, dst
	}
	if dstFromReport && st.prof.sinkhole {
		// The feed itself says the destination is its sinkhole: the one
		// enrichment fact a decoder records (DOMAIN.md §5).
		e.Destination.Flags |= event.FlagSinkhole
		e.Destination.Role = event.RoleNone
	} else if c2 && e.Kind == event.Incident {
		e.Destination.Role = event.RoleC2
	}
	if shadowEmpty(&e.Source) {
		e.Source.Role = event.RoleNone
	}
	if shadowEmpty(&e.Destination) {
		e.Destination.Role = event.RoleNone
	}

	e.Identifier = st.report
	e.Feed = st.feed
	e.TLP = st.tlp
	e.Line = line
	e.Raw = append(e.Raw[:0], raw...)
	if err := e.Validate(); err != nil {
		return err.Error()
	}
	return ""
}

// refine returns the class and roles of one row. Most rows take their
// report's profile; a few columns carry a stronger, row-specific verdict:
//
//   - smb_implant=Y (DoublePulsar answered), a "webshell" tag (scan_exchange)
//     or a status saying "compromised" (special reports): the host is
//     compromised, whatever the report.
//   - a honeypot request naming a vulnerability (vulnerability_id or
//     vulnerability_enum) is an exploit attempt, not a mere scan.
//   - ssl_poodle=Y or freak_vulnerable=Y turn a census or accessible-service
//     row into weak crypto; any other *_vulnerable=Y column (bluekeep_vulnerable)
//     into a vulnerable system.
func (st *shadowState) refine(f []string) (event.Class, event.Role, event.Role) {
	p, pl := st.prof, st.plan
	yes := func(i int) bool { return i >= 0 && shadowYes(f[i]) }
	filled := func(i int) bool { return i >= 0 && !shadowBlank(f[i]) }

	if yes(pl.smbImplant) ||
		(pl.tag >= 0 && shadowHasTag(f[pl.tag], "webshell")) ||
		(pl.status >= 0 && shadowSaysCompromised(f[pl.status])) {
		return event.ClassCompromised, event.RoleInfected, event.RoleNone
	}
	if p.class == event.ClassScanner && (filled(pl.vulnID) || filled(pl.vulnEnum)) {
		return event.ClassExploit, p.src, p.dst
	}
	if p.observation() || p.class == event.ClassAccessible {
		weak := yes(pl.poodle)
		vuln := false
		for _, i := range pl.vulnerableCols {
			if yes(i) {
				if pl.names[i] == "freak_vulnerable" {
					weak = true
				} else {
					vuln = true
				}
			}
		}
		switch {
		case vuln:
			return event.ClassVulnerable, event.RoleVulnerable, event.RoleNone
		case weak:
			return event.ClassWeakCrypto, event.RoleVulnerable, event.RoleNone
		}
	}
	return p.class, p.src, p.dst
}

// shadowParseIP is parseIP with a clearer word for networks, which
// blocklist rows sometimes carry ("198.51.100.0/24").
func shadowParseIP(v string) (netip.Addr, error) {
	a, err := parseIP(shadowBytes(v))
	if err == nil {
		return a, nil
	}
	if p, perr := netip.ParsePrefix(strings.TrimSpace(v)); perr == nil {
		return netip.Addr{}, fmt.Errorf("%s is a network, not an address; events name single addresses", p)
	}
	return a, err
}

func shadowBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '\t' {
			return false
		}
	}
	return true
}

// shadowSaysCompromised reads a status such as "likely compromised",
// refusing negations ("not compromised").
func shadowSaysCompromised(s string) bool {
	s = strings.ToLower(s)
	return strings.Contains(s, "compromised") && !strings.Contains(s, "not ") && !strings.Contains(s, "uncompromised")
}

func shadowYes(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "y", "yes", "true", "1":
		return true
	}
	return false
}

// shadowHasTag reports whether a tag list ("exchange;webshell", "ssl,vpn")
// holds tag t, in any case.
func shadowHasTag(list, t string) bool {
	for list != "" {
		i := strings.IndexAny(list, ";, ")
		x := list
		if i >= 0 {
			x, list = list[:i], list[i+1:]
		} else {
			list = ""
		}
		if strings.EqualFold(x, t) {
			return true
		}
	}
	return false
}

// shadowBytes returns the bytes of s without copying them, for the parse
// helpers, which take []byte, only read it and copy what they keep.
func shadowBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// shadowIsAddr reports whether s is an IP address literal. Host names
// are weeded out first: failed parses allocate an error.
func shadowIsAddr(s string) bool {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == '.' || c == ':' || c == '%') {
			return false
		}
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

func shadowAbsURL(s string) bool {
	s = strings.TrimSpace(s)
	i := strings.Index(s, "://")
	if i <= 0 || len(s) == i+3 {
		return false
	}
	for j := 0; j < i; j++ {
		c := s[j] | 0x20
		if !(c >= 'a' && c <= 'z' || j > 0 && (s[j] >= '0' && s[j] <= '9' || s[j] == '+' || s[j] == '-' || s[j] == '.')) {
			return false
		}
	}
	return true
}

// shadowLooksHost accepts a DNS name: letters, digits, hyphens,
// underscores and dots, with at least one dot.
func shadowLooksHost(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) == 0 || len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

func shadowEmpty(ep *event.Endpoint) bool {
	return !ep.IP.IsValid() && ep.FQDN == "" && ep.URL == ""
}

// sniffShadowserver recognizes a Shadowserver header (first column
// "timestamp", an address column and one of Shadowserver's enrichment
// columns) and report file names.
func sniffShadowserver(name string, head []byte) int {
	header := shadowSniffHeader(head)
	_, named := shadowReportFromPathStrict(name)
	switch {
	case header && named:
		return 95
	case header:
		return 85
	case named && len(head) > 0 && bytes.IndexByte(head, ',') >= 0:
		return 70
	}
	return 0
}

// shadowReportFromPathStrict accepts only file names whose report part is
// a known report type, not the looser word search.
func shadowReportFromPathStrict(path string) (string, bool) {
	n, ok := shadowReportFromPath(path)
	if !ok {
		return "", false
	}
	base := strings.ToLower(filepath.Base(path))
	if len(base) > 11 && base[10] == '-' && shadowIsDate(base[:10]) {
		base = base[11:]
	}
	if !strings.HasPrefix(base, n) {
		return "", false
	}
	_, exact, _ := shadowLookup(n)
	return n, exact
}

func shadowSniffHeader(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		cols := map[string]bool{}
		for i, c := range bytes.Split(line, []byte{','}) {
			c = bytes.ToLower(bytes.Trim(bytes.TrimSpace(c), `"`))
			if i == 0 && string(c) != "timestamp" {
				return false
			}
			cols[string(c)] = true
		}
		addr := cols["ip"] || cols["src_ip"] || cols["dst_ip"] || cols["http_referer_ip"] || cols["url"]
		typical := false
		for _, c := range []string{"asn", "geo", "naics", "sector", "src_asn", "src_geo", "src_naics", "dst_asn", "http_referer_asn"} {
			typical = typical || cols[c]
		}
		return addr && typical
	}
	return false
}
