package demo

import (
	"bufio"
	"net/netip"
	"sort"
	"strconv"
	"time"

	"github.com/concord-cert/concord/internal/event"
)

// signatures are Emerging-Threats-style rules the demo sensors fire, by
// kind, with the classtype description Suricata logs as the category.
var (
	scanSigs = []sig{
		{2001219, "ET SCAN Potential SSH Scan", "Attempted Information Leak", 2, 22},
		{2010937, "ET SCAN Suspicious inbound to mySQL port 3306", "Potentially Bad Traffic", 2, 3306},
		{2010935, "ET SCAN Suspicious inbound to MSSQL port 1433", "Potentially Bad Traffic", 2, 1433},
		{2002911, "ET SCAN Potential VNC Scan 5900-5920", "Attempted Information Leak", 2, 5900},
		{2023753, "ET SCAN MS Terminal Server Traffic on Non-standard Port", "Attempted Information Leak", 2, 3390},
	}
	exploitSigs = []sig{
		{2034647, "ET EXPLOIT Apache log4j RCE Attempt (CVE-2021-44228)", "Attempted Administrator Privilege Gain", 1, 80},
		{2031502, "ET EXPLOIT Citrix ADC/Gateway Path Traversal (CVE-2019-19781)", "Attempted Administrator Privilege Gain", 1, 443},
		{2024897, "ET WEB_SERVER Possible SQL Injection Attempt UNION SELECT", "Web Application Attack", 1, 80},
	}
	bruteSigs = []sig{
		{2006546, "ET SCAN LibSSH Based Frequent SSH Connections Likely BruteForce Attack", "Attempted Administrator Privilege Gain", 1, 22},
	}
	miscSigs = []sig{
		{2400012, "ET DROP Spamhaus DROP Listed Traffic Inbound group 13", "Misc Attack", 2, 445},
		{2500040, "ET COMPROMISED Known Compromised or Hostile Host Traffic group 21", "Misc Attack", 2, 8080},
		{2013028, "ET POLICY curl User-Agent Outbound", "Attempted Information Leak", 3, 80},
	}
)

type sig struct {
	sid      int
	name     string
	category string
	severity int
	port     int
}

// eveRecord kinds and their share of a sensor's output, in per mille.
var eveMix = []struct {
	kind   string
	permil int
}{
	{"flow", 560}, {"dns", 220}, {"http", 70}, {"tls", 80}, {"fileinfo", 15}, {"anomaly", 10},
	{"alert-c2", 15}, {"alert-scan", 15}, {"alert-exploit", 6}, {"alert-brute", 4}, {"alert-misc", 5},
}

func (w *world) writeEVE(out *bufio.Writer) error {
	// Records are written in time order, as a sensor writes them, one day
	// at a time so that memory does not grow with the file.
	var b []byte
	var times []time.Time
	i := 0
	for day := 0; day < w.opts.Days; day++ {
		n := w.opts.EVE / w.opts.Days
		if day < w.opts.EVE%w.opts.Days {
			n++
		}
		times = times[:0]
		for range n {
			times = append(times, w.whenOn(day))
		}
		sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
		for _, t := range times {
			k := w.rng.IntN(1000)
			kind := eveMix[len(eveMix)-1].kind
			for _, m := range eveMix {
				if k < m.permil {
					kind = m.kind
					break
				}
				k -= m.permil
			}
			b = w.eveRecord(b[:0], kind, t, int64(1_000_000_000_000+i*7919))
			b = append(b, '\n')
			if _, err := out.Write(b); err != nil {
				return err
			}
			i++
		}
	}
	return nil
}

// header starts a record with Suricata's common fields.
func header(b []byte, t time.Time, flowID int64, typ string, src netip.Addr, sport int, dst netip.Addr, dport int, proto string) []byte {
	b = append(b, `{"timestamp":"`...)
	b = appendTime(b, t)
	b = append(b, `","flow_id":`...)
	b = strconv.AppendInt(b, flowID, 10)
	b = append(b, `,"in_iface":"ens1f0","event_type":"`...)
	b = append(b, typ...)
	b = append(b, `","src_ip":"`...)
	b = src.AppendTo(b)
	b = append(b, `","src_port":`...)
	b = strconv.AppendInt(b, int64(sport), 10)
	b = append(b, `,"dest_ip":"`...)
	b = dst.AppendTo(b)
	b = append(b, `","dest_port":`...)
	b = strconv.AppendInt(b, int64(dport), 10)
	b = append(b, `,"proto":"`...)
	b = append(b, proto...)
	return append(b, '"')
}

func appendFlowObj(b []byte, start time.Time, client netip.Addr, cport int, server netip.Addr, sport int, pkts, bytes int) []byte {
	b = append(b, `,"flow":{"pkts_toserver":`...)
	b = strconv.AppendInt(b, int64(pkts), 10)
	b = append(b, `,"pkts_toclient":`...)
	b = strconv.AppendInt(b, int64(pkts+2), 10)
	b = append(b, `,"bytes_toserver":`...)
	b = strconv.AppendInt(b, int64(bytes), 10)
	b = append(b, `,"bytes_toclient":`...)
	b = strconv.AppendInt(b, int64(bytes*3+411), 10)
	b = append(b, `,"start":"`...)
	b = appendTime(b, start)
	b = append(b, `","src_ip":"`...)
	b = client.AppendTo(b)
	b = append(b, `","dest_ip":"`...)
	b = server.AppendTo(b)
	b = append(b, `","src_port":`...)
	b = strconv.AppendInt(b, int64(cport), 10)
	b = append(b, `,"dest_port":`...)
	b = strconv.AppendInt(b, int64(sport), 10)
	return append(b, '}')
}

func (w *world) eveRecord(b []byte, kind string, t time.Time, flowID int64) []byte {
	client := w.pickAddr(w.home)
	cport := w.ephemeral()
	server := w.pickAddr(w.servers)
	switch kind {
	case "flow":
		app, port := "tls", 443
		if w.rng.IntN(4) == 0 {
			app, port = "http", 80
		}
		start := t.Add(-time.Duration(1+w.rng.IntN(120)) * time.Second)
		b = header(b, t, flowID, "flow", client, cport, server, port, "TCP")
		b = append(b, `,"app_proto":"`...)
		b = append(b, app...)
		pkts := 6 + w.rng.IntN(40)
		b = append(b, `","flow":{"pkts_toserver":`...)
		b = strconv.AppendInt(b, int64(pkts), 10)
		b = append(b, `,"pkts_toclient":`...)
		b = strconv.AppendInt(b, int64(pkts+w.rng.IntN(20)), 10)
		b = append(b, `,"bytes_toserver":`...)
		b = strconv.AppendInt(b, int64(pkts*180+w.rng.IntN(900)), 10)
		b = append(b, `,"bytes_toclient":`...)
		b = strconv.AppendInt(b, int64(pkts*900+w.rng.IntN(90000)), 10)
		b = append(b, `,"start":"`...)
		b = appendTime(b, start)
		b = append(b, `","end":"`...)
		b = appendTime(b, t)
		b = append(b, `","age":`...)
		b = strconv.AppendInt(b, int64(t.Sub(start).Seconds()), 10)
		b = append(b, `,"state":"closed","reason":"timeout","alerted":false},"tcp":{"tcp_flags":"1b","tcp_flags_ts":"1b","tcp_flags_tc":"1b","syn":true,"fin":true,"psh":true,"ack":true,"state":"closed"}}`...)
	case "dns":
		name := hostnames[w.rng.IntN(len(hostnames))]
		if w.rng.IntN(2) == 0 {
			b = header(b, t, flowID, "dns", client, cport, w.resolver, 53, "UDP")
			b = append(b, `,"dns":{"version":2,"type":"query","id":`...)
			b = strconv.AppendInt(b, int64(w.rng.IntN(65536)), 10)
			b = append(b, `,"rrname":`...)
			b = event.AppendJSONString(b, name)
			b = append(b, `,"rrtype":"A","tx_id":0,"opcode":0}}`...)
		} else {
			b = header(b, t, flowID, "dns", w.resolver, 53, client, cport, "UDP")
			b = append(b, `,"dns":{"version":2,"type":"answer","id":`...)
			b = strconv.AppendInt(b, int64(w.rng.IntN(65536)), 10)
			b = append(b, `,"flags":"8180","qr":true,"rd":true,"ra":true,"opcode":0,"rrname":`...)
			b = event.AppendJSONString(b, name)
			b = append(b, `,"rrtype":"A","rcode":"NOERROR","answers":[{"rrname":`...)
			b = event.AppendJSONString(b, name)
			b = append(b, `,"rrtype":"A","ttl":300,"rdata":"`...)
			b = server.AppendTo(b)
			b = append(b, `"}],"grouped":{"A":["`...)
			b = server.AppendTo(b)
			b = append(b, `"]}}}`...)
		}
	case "http":
		host := hostnames[w.rng.IntN(len(hostnames))]
		b = header(b, t, flowID, "http", client, cport, server, 80, "TCP")
		b = append(b, `,"tx_id":0,"http":{"hostname":`...)
		b = event.AppendJSONString(b, host)
		b = append(b, `,"url":"/`...)
		b = strconv.AppendInt(b, int64(w.rng.IntN(100000)), 36)
		b = append(b, `/index.html","http_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36","http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":`...)
		b = strconv.AppendInt(b, int64(200+w.rng.IntN(90000)), 10)
		b = append(b, `},"app_proto":"http"}`...)
	case "tls":
		host := hostnames[w.rng.IntN(len(hostnames))]
		b = header(b, t, flowID, "tls", client, cport, server, 443, "TCP")
		b = append(b, `,"tls":{"subject":"CN=`...)
		b = append(b, host...)
		b = append(b, `","issuerdn":"C=US, O=Let's Encrypt, CN=R11","serial":"04:A1:9F:22:7C:0B","fingerprint":"3b:8c:41:0e:9f:2d:77:a0:15:6c:e2:90:1b:4d:88:f3:02:6a:c7:19","sni":`...)
		b = event.AppendJSONString(b, host)
		b = append(b, `,"version":"TLS 1.3","notbefore":"2026-08-01T00:00:00","notafter":"2026-10-30T23:59:59","ja3":{"hash":"cd08e31494f9531f560d64c695473da9"},"ja3s":{"hash":"f4febc55ea12b31ae17cfb7e614afda8"}}}`...)
	case "fileinfo":
		b = header(b, t, flowID, "fileinfo", server, 80, client, cport, "TCP")
		b = append(b, `,"http":{"hostname":"downloads.example.net","url":"/files/setup.exe","http_method":"GET","status":200},"app_proto":"http","fileinfo":{"filename":"/files/setup.exe","magic":"PE32 executable (GUI) Intel 80386, for MS Windows","gaps":false,"state":"CLOSED","md5":"`...)
		b = strconv.AppendUint(b, w.rng.Uint64(), 16)
		b = strconv.AppendUint(b, w.rng.Uint64(), 16)
		b = append(b, `","stored":false,"size":`...)
		b = strconv.AppendInt(b, int64(100000+w.rng.IntN(4000000)), 10)
		b = append(b, `,"tx_id":0}}`...)
	case "anomaly":
		b = header(b, t, flowID, "anomaly", w.pickAddr(w.scanners), w.ephemeral(), client, 0, "UDP")
		b = append(b, `,"anomaly":{"type":"decode","event":"decoder.udp.pkt_too_small"}}`...)
	case "alert-c2":
		c := w.c2[w.rng.IntN(len(w.c2))]
		host := w.pickAddr(w.infected)
		start := t.Add(-time.Duration(1+w.rng.IntN(20)) * time.Second)
		toClient := w.rng.IntN(3) == 0
		if toClient {
			b = header(b, t, flowID, "alert", c.ip, c.port, host, cport, "TCP")
		} else {
			b = header(b, t, flowID, "alert", host, cport, c.ip, c.port, "TCP")
		}
		group := 1 + int(c.ip.As4()[3])%30
		sigName := "ET CNC Feodo Tracker Reported CnC Server group " + strconv.Itoa(group)
		b = append(b, `,"tx_id":0,"alert":{"action":"allowed","gid":1,"signature_id":`...)
		b = strconv.AppendInt(b, int64(2404300+group), 10)
		b = append(b, `,"rev":3,"signature":`...)
		if w.rng.IntN(2) == 0 {
			sigName = "ET MALWARE Win32/" + c.family + " CnC Checkin"
		}
		b = event.AppendJSONString(b, sigName)
		b = append(b, `,"category":"A Network Trojan was detected","severity":1,"metadata":{"affected_product":["Windows_XP_Vista_7_8_10_Server_32_64_Bit"],"attack_target":["Client_Endpoint"],"deployment":["Perimeter"],"malware_family":[`...)
		b = event.AppendJSONString(b, c.family)
		b = append(b, `],"signature_severity":["Major"],"updated_at":["2026_09_14"]}},"app_proto":"tls"`...)
		if toClient {
			b = append(b, `,"direction":"to_client"`...)
		} else {
			b = append(b, `,"direction":"to_server"`...)
		}
		b = appendFlowObj(b, start, host, cport, c.ip, c.port, 4+w.rng.IntN(10), 300+w.rng.IntN(3000))
		b = append(b, '}')
	case "alert-scan", "alert-exploit", "alert-brute", "alert-misc":
		set := map[string][]sig{"alert-scan": scanSigs, "alert-exploit": exploitSigs, "alert-brute": bruteSigs, "alert-misc": miscSigs}[kind]
		s := set[w.rng.IntN(len(set))]
		attacker := w.pickAddr(w.scanners)
		sport := w.ephemeral()
		b = header(b, t, flowID, "alert", attacker, sport, client, s.port, "TCP")
		b = append(b, `,"alert":{"action":"allowed","gid":1,"signature_id":`...)
		b = strconv.AppendInt(b, int64(s.sid), 10)
		b = append(b, `,"rev":4,"signature":`...)
		b = event.AppendJSONString(b, s.name)
		b = append(b, `,"category":`...)
		b = event.AppendJSONString(b, s.category)
		b = append(b, `,"severity":`...)
		b = strconv.AppendInt(b, int64(s.severity), 10)
		b = append(b, `,"metadata":{"attack_target":["Server"],"deployment":["Perimeter"],"signature_severity":["Minor"]}},"direction":"to_server"`...)
		b = appendFlowObj(b, t.Add(-time.Second), attacker, sport, client, s.port, 1+w.rng.IntN(3), 60+w.rng.IntN(400))
		b = append(b, '}')
	}
	return b
}

var hostnames = []string{
	"www.gov.example", "portal.bank.example", "mail.uni.example", "cdn.news.example", "update.vendor.example",
	"login.cloud.example", "static.shop.example", "api.weather.example", "video.stream.example", "docs.office.example",
}
