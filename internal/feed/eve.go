package feed

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/concord-cert/concord/internal/event"
)

// Suricata EVE JSON: one object per line, written by Suricata's eve-log
// output. Alerts become incidents classified by signature and category;
// every other event type (flow, dns, http, tls, fileinfo, anomaly, and the
// dozens of protocol loggers) becomes a context observation.
//
// Quirks handled: timestamps with "+0000" zones (not RFC 3339), null in
// place of absent fields, lines truncated by a full disk or rotation, DNS
// records in both the Suricata 7 shape (dns.rrname) and the Suricata 8
// "version 3" shape (dns.queries[]), and alerts logged on the response
// packet, whose src_ip is the server.

func init() {
	register(Format{
		Name:        "eve",
		Description: "Suricata EVE JSON (alert, anomaly, flow, dns, http, tls, fileinfo, ...)",
		Sniff:       sniffEVE,
		New:         func(opts Options) (Decoder, error) { return &eveDecoder{opts: opts}, nil },
	})
}

func sniffEVE(_ string, head []byte) int {
	line := firstLine(head)
	if len(line) == 0 || line[0] != '{' {
		return 0
	}
	if bytes.Contains(line, []byte(`"event_type"`)) && bytes.Contains(line, []byte(`"timestamp"`)) {
		return 90
	}
	return 0
}

// firstLine returns the first non-blank line of head, trimmed.
func firstLine(head []byte) []byte {
	for len(head) > 0 {
		var line []byte
		line, head, _ = bytes.Cut(head, []byte{'\n'})
		if line = bytes.TrimSpace(line); len(line) > 0 {
			return line
		}
	}
	return nil
}

type eveDecoder struct {
	opts   Options
	intern interner
	// rules caches classifyAlert: a sensor repeats a few thousand
	// signatures millions of times.
	rules map[[2]string]alertRule
}

// eveRecord holds the raw values of one EVE line that the decoder reads;
// slices point into the line.
type eveRecord struct {
	timestamp, eventType             []byte
	srcIP, srcPort, destIP, destPort []byte
	proto, appProto, direction       []byte
	flowID, inIface                  []byte
	alert, flow, dns, http, tls      []byte
	fileinfo, anomaly                []byte
}

func (d *eveDecoder) Decode(ctx context.Context, r io.Reader, sink Sink) error {
	lr := newLineReader(r)
	var e event.Event
	feedName := d.opts.feedName("suricata")
	for n := int64(0); ; n++ {
		if err := checkCtx(ctx, n); err != nil {
			return err
		}
		line, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if isBlank(line) {
			continue
		}
		if lr.tooLong {
			sink.Reject(lr.num, tooLongReason)
			continue
		}
		e.Reset()
		if err := d.decodeLine(line, &e); err != nil {
			sink.Reject(lr.num, err.Error())
			continue
		}
		e.Feed.Name = feedName
		e.TLP = d.opts.Marking()
		e.Line = lr.num
		e.Raw = append(e.Raw, line...)
		if err := e.Validate(); err != nil {
			sink.Reject(lr.num, err.Error())
			continue
		}
		if err := sink.Event(&e); err != nil {
			return err
		}
	}
}

func (d *eveDecoder) decodeLine(line []byte, e *event.Event) error {
	var rec eveRecord
	var it objIter
	if !it.reset(line) {
		return fmt.Errorf("not an EVE record: %v", it.err)
	}
	for it.next() {
		if jsonIsNull(it.val) {
			continue
		}
		switch string(it.key) {
		case "timestamp":
			rec.timestamp = it.val
		case "event_type":
			rec.eventType = it.val
		case "src_ip":
			rec.srcIP = it.val
		case "src_port":
			rec.srcPort = it.val
		case "dest_ip":
			rec.destIP = it.val
		case "dest_port":
			rec.destPort = it.val
		case "proto":
			rec.proto = it.val
		case "app_proto":
			rec.appProto = it.val
		case "direction":
			rec.direction = it.val
		case "flow_id":
			rec.flowID = it.val
		case "in_iface":
			rec.inIface = it.val
		case "alert":
			rec.alert = it.val
		case "flow":
			rec.flow = it.val
		case "dns":
			rec.dns = it.val
		case "http":
			rec.http = it.val
		case "tls":
			rec.tls = it.val
		case "fileinfo":
			rec.fileinfo = it.val
		case "anomaly":
			rec.anomaly = it.val
		}
	}
	if it.err != nil {
		return fmt.Errorf("invalid JSON: %v", it.err)
	}
	if rec.timestamp == nil {
		return fmt.Errorf("missing timestamp")
	}
	ts, ok := jsonStrBytes(rec.timestamp)
	if !ok {
		return fmt.Errorf("timestamp is not a string")
	}
	t, err := parseTime(ts)
	if err != nil {
		return err
	}
	e.TimeSource = t
	evType, ok := jsonStrBytes(rec.eventType)
	if !ok || len(evType) == 0 {
		return fmt.Errorf("missing or non-string event_type")
	}
	etype := d.intern.get(evType)

	src, err := eveEndpoint(rec.srcIP, rec.srcPort, "src")
	if err != nil {
		return err
	}
	dst, err := eveEndpoint(rec.destIP, rec.destPort, "dest")
	if err != nil {
		return err
	}
	e.Source, e.Destination = src, dst
	if p, ok := jsonStrBytes(rec.proto); ok {
		e.Transport = d.intern.get(bytes.ToLower(p))
	}
	if p, ok := jsonStrBytes(rec.appProto); ok && string(p) != "failed" {
		e.Application = d.intern.get(p)
	}

	e.PutString("event_type", etype)
	if rec.flowID != nil {
		if id, ok := jsonInt(rec.flowID); ok {
			e.PutInt("flow_id", id)
		}
	}
	if s, ok := jsonStrBytes(rec.inIface); ok {
		e.PutString("in_iface", d.intern.get(s))
	}

	switch etype {
	case "alert":
		if rec.alert == nil {
			return fmt.Errorf("alert record without an alert object")
		}
		return d.alert(&rec, e)
	}
	e.Kind = event.Observation
	// Transaction records are logged in either direction; the end on a
	// well-known port is the server.
	srv := &e.Destination
	if e.Source.Port != 0 && e.Source.Port < 1024 && e.Destination.Port >= 1024 {
		srv = &e.Source
	}
	switch etype {
	case "dns":
		d.dns(rec.dns, e)
	case "http":
		d.http(rec.http, e, srv)
	case "tls":
		d.tls(rec.tls, e, srv)
	case "fileinfo":
		d.http(rec.http, e, srv)
		d.fileinfo(rec.fileinfo, e)
	case "anomaly":
		d.anomaly(rec.anomaly, e)
	case "flow":
		d.flowStats(rec.flow, e)
	}
	return nil
}

// eveEndpoint reads an address and port; absent or null values leave the
// endpoint empty, invalid ones are an error naming the field.
func eveEndpoint(ipv, portv []byte, side string) (event.Endpoint, error) {
	var ep event.Endpoint
	if ipv != nil {
		s, ok := jsonStrBytes(ipv)
		if !ok {
			return ep, fmt.Errorf("%s_ip is not a string", side)
		}
		a, err := parseIP(s)
		if err != nil {
			return ep, fmt.Errorf("%s_ip: %v", side, err)
		}
		ep.IP = a
	}
	if portv != nil {
		n, ok := jsonInt(portv)
		if !ok || n < 0 || n > 65535 {
			return ep, fmt.Errorf("%s_port: invalid port %s", side, truncate(string(portv), 32))
		}
		ep.Port = uint16(n)
	}
	return ep, nil
}

// alertFields are the members of an EVE alert object the decoder reads.
type alertFields struct {
	signature, category      string
	sid, gid, rev, severity  int64
	action                   []byte
	malwareFamily            string
	sourceIP, sourcePort     []byte
	targetIP, targetPort     []byte
	flowSrc, flowDst         []byte
	flowSrcPort, flowDstPort []byte
}

func (d *eveDecoder) alert(rec *eveRecord, e *event.Event) error {
	var a alertFields
	var it objIter
	if !it.reset(rec.alert) {
		return fmt.Errorf("alert: %v", it.err)
	}
	for it.next() {
		switch string(it.key) {
		case "signature":
			if s, ok := jsonStrBytes(it.val); ok {
				a.signature = d.intern.get(s)
			}
		case "category":
			if s, ok := jsonStrBytes(it.val); ok {
				a.category = d.intern.get(s)
			}
		case "signature_id":
			a.sid, _ = jsonInt(it.val)
		case "gid":
			a.gid, _ = jsonInt(it.val)
		case "rev":
			a.rev, _ = jsonInt(it.val)
		case "severity":
			a.severity, _ = jsonInt(it.val)
		case "action":
			a.action, _ = jsonStrBytes(it.val)
		case "metadata":
			a.malwareFamily = d.malwareFamily(it.val)
		case "source":
			a.sourceIP, a.sourcePort = ipPortMembers(it.val)
		case "target":
			a.targetIP, a.targetPort = ipPortMembers(it.val)
		}
	}
	if it.err != nil {
		return fmt.Errorf("alert: %v", it.err)
	}
	if a.signature == "" {
		return fmt.Errorf("alert without a signature")
	}
	if rec.flow != nil {
		var fi objIter
		if fi.reset(rec.flow) {
			for fi.next() {
				switch string(fi.key) {
				case "src_ip":
					a.flowSrc = fi.val
				case "dest_ip":
					a.flowDst = fi.val
				case "src_port":
					a.flowSrcPort = fi.val
				case "dest_port":
					a.flowDstPort = fi.val
				}
			}
		}
	}

	client, server, err := a.clientServer(rec, e)
	if err != nil {
		return err
	}
	rule, ok := d.rules[[2]string{a.signature, a.category}]
	if !ok {
		rule = classifyAlert(a.signature, a.category)
		if d.rules == nil {
			d.rules = make(map[[2]string]alertRule)
		}
		if len(d.rules) < maxInterned {
			d.rules[[2]string{a.signature, a.category}] = rule
		}
	}
	subject, other := client, server
	switch {
	case rule.subjectIsServer:
		subject, other = server, client
	case rule.useAlertTarget && a.targetIP != nil:
		// Rules with a target keyword name the victim: for malware rules the
		// infected host, for attacks the attacked host.
		t, err := eveEndpoint(a.targetIP, a.targetPort, "alert.target")
		if err != nil {
			return err
		}
		if rule.class == event.ClassInfected {
			subject, other = t, otherEnd(t, client, server)
		} else if a.sourceIP != nil {
			s, err := eveEndpoint(a.sourceIP, a.sourcePort, "alert.source")
			if err != nil {
				return err
			}
			subject, other = s, t
		}
	case rule.class == event.ClassIDSAlert && a.sourceIP != nil && a.targetIP != nil:
		s, err := eveEndpoint(a.sourceIP, a.sourcePort, "alert.source")
		if err != nil {
			return err
		}
		t, err := eveEndpoint(a.targetIP, a.targetPort, "alert.target")
		if err != nil {
			return err
		}
		subject, other = s, t
	case rule.class == event.ClassIDSAlert:
		// Without better knowledge an IDS alert is reported as Suricata
		// logged it: the packet's source is the source.
		subject, other = e.Source, e.Destination
	}
	e.Source, e.Destination = subject, other
	if rule.c2 {
		e.Source.Role, e.Destination.Role = event.RoleInfected, event.RoleC2
	}
	e.SetClass(rule.class)
	e.Identifier = strconv.FormatInt(a.sid, 10)
	e.Text = a.signature
	e.Malware = a.malwareFamily
	e.PutInt("signature_id", a.sid)
	if a.gid != 0 {
		e.PutInt("gid", a.gid)
	}
	if a.rev != 0 {
		e.PutInt("rev", a.rev)
	}
	if a.category != "" {
		e.PutString("category", a.category)
	}
	if a.severity != 0 {
		e.PutInt("severity", a.severity)
	}
	if len(a.action) > 0 {
		e.PutString("action", d.intern.get(a.action))
	}
	if p, ok := jsonStrBytes(rec.direction); ok {
		e.PutString("direction", d.intern.get(p))
	}
	// The server's name and URL as the alert's transaction showed them.
	srv := &e.Destination
	if server.IP.IsValid() && e.Source.IP == server.IP {
		srv = &e.Source
	}
	d.http(rec.http, e, srv)
	d.tls(rec.tls, e, srv)
	return nil
}

// otherEnd returns whichever of a and b is not t.
func otherEnd(t, a, b event.Endpoint) event.Endpoint {
	if t.IP == a.IP {
		return b
	}
	return a
}

// clientServer works out which end of the flow opened it. Suricata 7+
// alerts carry the flow's own direction in flow.src_ip/dest_ip; older ones
// say "direction":"to_client" when the alert fired on a response packet.
func (a *alertFields) clientServer(rec *eveRecord, e *event.Event) (client, server event.Endpoint, err error) {
	if a.flowSrc != nil && a.flowDst != nil {
		c, err := eveEndpoint(a.flowSrc, a.flowSrcPort, "flow.src")
		if err != nil {
			return c, c, err
		}
		s, err := eveEndpoint(a.flowDst, a.flowDstPort, "flow.dest")
		if err != nil {
			return c, s, err
		}
		return c, s, nil
	}
	if dir, ok := jsonStrBytes(rec.direction); ok && string(dir) == "to_client" {
		return e.Destination, e.Source, nil
	}
	return e.Source, e.Destination, nil
}

// ipPortMembers reads {"ip": ..., "port": ...}.
func ipPortMembers(v []byte) (ip, port []byte) {
	var it objIter
	if !it.reset(v) {
		return nil, nil
	}
	for it.next() {
		switch string(it.key) {
		case "ip":
			ip = it.val
		case "port":
			port = it.val
		}
	}
	return ip, port
}

// malwareFamily returns ET's metadata malware_family (first value, lower
// case), when the rule declares one.
func (d *eveDecoder) malwareFamily(meta []byte) string {
	var it objIter
	if !it.reset(meta) {
		return ""
	}
	for it.next() {
		if string(it.key) != "malware_family" {
			continue
		}
		var arr arrIter
		if arr.reset(it.val) && arr.next() {
			if s, ok := jsonStrBytes(arr.val); ok {
				return d.intern.get(bytes.ToLower(s))
			}
		}
	}
	return ""
}

// alertRule says how an alert is classified and which end is its subject.
type alertRule struct {
	class event.Class
	// c2 marks command-and-control traffic: the client is infected and the
	// server is its C&C.
	c2 bool
	// subjectIsServer: the record is about the server (phishing, malware
	// hosting); otherwise it is about the client.
	subjectIsServer bool
	// useAlertTarget: a rule's target keyword, when present, names the
	// victim.
	useAlertTarget bool
}

// classifyAlert maps a signature and its classtype description to RSIT.
// Emerging Threats and Snort community signatures start with a prefix that
// names their category ("ET CNC", "ET SCAN"); classtypes come from
// Suricata's classification.config ("A Network Trojan was detected").
// Anything not recognized stays intrusion-attempts/ids-alert: the IDS saw
// something, and the analyst decides what.
func classifyAlert(sig, cat string) alertRule {
	s := strings.ToUpper(sig)
	c := strings.ToLower(cat)
	prefixed := func(names ...string) bool {
		for _, n := range names {
			for _, vendor := range []string{"ET ", "ETPRO ", "GPL ", "ET-", "SURICATA "} {
				if strings.HasPrefix(s, vendor+n) {
					return true
				}
			}
		}
		return false
	}
	switch {
	case prefixed("CNC") || c == "malware command and control activity detected" || c == "command-and-control" ||
		(prefixed("MALWARE", "TROJAN", "MOBILE_MALWARE") && mentionsC2(s)):
		return alertRule{class: event.ClassInfected, c2: true, useAlertTarget: true}
	case prefixed("MALWARE", "TROJAN", "MOBILE_MALWARE", "WORM", "ATTACK_RESPONSE") && c == "a network trojan was detected",
		prefixed("MALWARE", "TROJAN", "MOBILE_MALWARE", "WORM"),
		c == "a network trojan was detected" || c == "trojan-activity":
		return alertRule{class: event.ClassInfected, useAlertTarget: true}
	case prefixed("PHISHING") || c == "possible social engineering attempted" || c == "social-engineering":
		return alertRule{class: event.ClassPhishing, subjectIsServer: true}
	case strings.Contains(s, "BRUTE FORCE") || strings.Contains(s, "BRUTEFORCE") || strings.Contains(s, "BRUTE-FORCE") ||
		strings.Contains(s, "PASSWORD GUESS"):
		return alertRule{class: event.ClassBruteForce, useAlertTarget: true}
	case prefixed("SCAN") || c == "detection of a network scan" || c == "network-scan" || c == "attempted information leak" || c == "attempted-recon":
		return alertRule{class: event.ClassScanner, useAlertTarget: true}
	case prefixed("DOS") || c == "detection of a denial of service attack" || c == "attempted denial of service" ||
		c == "denial of service" || c == "attempted-dos" || c == "denial-of-service":
		return alertRule{class: event.ClassDoS, useAlertTarget: true}
	case c == "successful administrator privilege gain" || c == "successful-admin":
		return alertRule{class: event.Class{Taxonomy: "intrusions", Type: "privileged-account-compromise"}, useAlertTarget: true}
	case c == "successful user privilege gain" || c == "successful-user":
		return alertRule{class: event.Class{Taxonomy: "intrusions", Type: "unprivileged-account-compromise"}, useAlertTarget: true}
	case prefixed("EXPLOIT", "WEB_SERVER", "WEB_SPECIFIC_APPS", "SHELLCODE", "SQL", "EXPLOIT_KIT") ||
		c == "attempted administrator privilege gain" || c == "attempted-admin" ||
		c == "attempted user privilege gain" || c == "attempted-user" ||
		c == "web application attack" || c == "web-application-attack" ||
		c == "executable code was detected" || c == "shellcode-detect":
		return alertRule{class: event.ClassExploit, useAlertTarget: true}
	}
	return alertRule{class: event.ClassIDSAlert}
}

// mentionsC2 reports whether a (upper-cased) malware signature describes
// command-and-control traffic: check-ins, beacons, C2 commands.
func mentionsC2(s string) bool {
	for _, w := range []string{"CNC", " C2", "C&C", "COMMAND AND CONTROL", "CHECKIN", "CHECK-IN", "CHECK IN", "BEACON"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// dns keeps the question and answer code of a DNS record, in both the
// Suricata 7 shape (rrname at the top of the dns object) and the Suricata
// 8 one (queries array).
func (d *eveDecoder) dns(v []byte, e *event.Event) {
	var it objIter
	if v == nil || !it.reset(v) {
		return
	}
	var typ, rrname, rrtype, rcode []byte
	var version int64
	for it.next() {
		switch string(it.key) {
		case "type":
			typ, _ = jsonStrBytes(it.val)
		case "version":
			version, _ = jsonInt(it.val)
		case "rrname":
			rrname, _ = jsonStrBytes(it.val)
		case "rrtype":
			rrtype, _ = jsonStrBytes(it.val)
		case "rcode":
			rcode, _ = jsonStrBytes(it.val)
		case "queries":
			var arr arrIter
			if rrname == nil && arr.reset(it.val) && arr.next() {
				var q objIter
				if q.reset(arr.val) {
					for q.next() {
						switch string(q.key) {
						case "rrname":
							rrname, _ = jsonStrBytes(q.val)
						case "rrtype":
							rrtype, _ = jsonStrBytes(q.val)
						}
					}
				}
			}
		}
	}
	if len(typ) > 0 {
		// Suricata 8 renamed query/answer to request/response; keep one
		// vocabulary so searches work across sensor versions.
		switch string(typ) {
		case "request":
			typ = []byte("query")
		case "response":
			typ = []byte("answer")
		}
		e.PutString("dns_type", d.intern.get(typ))
	}
	if version != 0 {
		e.PutInt("dns_version", version)
	}
	if len(rrname) > 0 {
		e.PutString("dns_rrname", string(rrname))
	}
	if len(rrtype) > 0 {
		e.PutString("dns_rrtype", d.intern.get(rrtype))
	}
	if len(rcode) > 0 {
		e.PutString("dns_rcode", d.intern.get(rcode))
	}
}

// http sets the server's host name and URL from an HTTP transaction.
func (d *eveDecoder) http(v []byte, e *event.Event, server *event.Endpoint) {
	var it objIter
	if v == nil || !it.reset(v) {
		return
	}
	var host, url, method, ua []byte
	var status, port int64
	for it.next() {
		switch string(it.key) {
		case "hostname":
			host, _ = jsonStrBytes(it.val)
		case "url":
			url, _ = jsonStrBytes(it.val)
		case "http_method":
			method, _ = jsonStrBytes(it.val)
		case "http_user_agent":
			ua, _ = jsonStrBytes(it.val)
		case "status":
			status, _ = jsonInt(it.val)
		case "http_port":
			port, _ = jsonInt(it.val)
		}
	}
	if len(host) > 0 {
		h := string(host)
		if _, err := netip.ParseAddr(h); err != nil {
			server.FQDN = h
		}
		u := "http://" + h
		if port != 0 && port != 80 {
			u += ":" + strconv.FormatInt(port, 10)
		}
		server.URL = u + string(url)
	}
	if len(method) > 0 {
		e.PutString("http_method", d.intern.get(method))
	}
	if status != 0 {
		e.PutInt("http_status", status)
	}
	if len(ua) > 0 {
		e.PutString("http_user_agent", string(ua))
	}
}

// tls keeps the server name and certificate identity of a TLS handshake.
func (d *eveDecoder) tls(v []byte, e *event.Event, server *event.Endpoint) {
	var it objIter
	if v == nil || !it.reset(v) {
		return
	}
	for it.next() {
		switch string(it.key) {
		case "sni":
			if s, ok := jsonStr(it.val); ok && s != "" {
				server.FQDN = s
			}
		case "subject":
			if s, ok := jsonStr(it.val); ok {
				e.PutString("tls_subject", s)
			}
		case "issuerdn":
			if s, ok := jsonStr(it.val); ok {
				e.PutString("tls_issuer", s)
			}
		case "fingerprint":
			if s, ok := jsonStr(it.val); ok {
				e.PutString("tls_fingerprint", s)
			}
		case "version":
			if s, ok := jsonStrBytes(it.val); ok {
				e.PutString("tls_version", d.intern.get(s))
			}
		case "ja3":
			var j objIter
			if j.reset(it.val) {
				for j.next() {
					if string(j.key) == "hash" {
						if s, ok := jsonStr(j.val); ok {
							e.PutString("tls_ja3", s)
						}
					}
				}
			}
		}
	}
}

// fileinfo keeps a transferred file's name, hashes and size.
func (d *eveDecoder) fileinfo(v []byte, e *event.Event) {
	var it objIter
	if v == nil || !it.reset(v) {
		return
	}
	for it.next() {
		switch string(it.key) {
		case "filename":
			if s, ok := jsonStr(it.val); ok {
				e.PutString("file_name", s)
			}
		case "md5", "sha1", "sha256":
			if s, ok := jsonStr(it.val); ok && s != "" {
				e.PutString("file_"+string(it.key), s)
			}
		case "size":
			if n, ok := jsonInt(it.val); ok {
				e.PutInt("file_size", n)
			}
		case "magic":
			if s, ok := jsonStr(it.val); ok {
				e.PutString("file_magic", s)
			}
		}
	}
}

// anomaly keeps what Suricata found malformed.
func (d *eveDecoder) anomaly(v []byte, e *event.Event) {
	var it objIter
	if v == nil || !it.reset(v) {
		return
	}
	for it.next() {
		switch string(it.key) {
		case "type", "event", "layer":
			if s, ok := jsonStrBytes(it.val); ok {
				e.PutString("anomaly_"+string(it.key), d.intern.get(s))
			}
		}
	}
}

// flowStats keeps a flow's volume and end state.
func (d *eveDecoder) flowStats(v []byte, e *event.Event) {
	var it objIter
	if v == nil || !it.reset(v) {
		return
	}
	for it.next() {
		switch k := string(it.key); k {
		case "pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient", "age":
			if n, ok := jsonInt(it.val); ok {
				e.PutInt(k, n)
			}
		case "state", "reason":
			if s, ok := jsonStrBytes(it.val); ok {
				e.PutString("flow_"+k, d.intern.get(s))
			}
		case "alerted":
			e.PutBool("alerted", string(it.val) == "true")
		}
	}
}

// interner returns one string per distinct byte sequence, so the handful
// of values that repeat on every line (event types, protocols, signature
// names) are allocated once. It stops growing at a fixed size, after which
// new values are allocated as usual.
type interner struct{ m map[string]string }

const maxInterned = 1 << 14

func (in *interner) get(b []byte) string {
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if in.m == nil {
		in.m = make(map[string]string)
	}
	if len(in.m) < maxInterned {
		in.m[s] = s
	}
	return s
}
