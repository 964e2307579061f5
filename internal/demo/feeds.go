package demo

import (
	"bufio"
	"fmt"
	"time"
)

// writeFeodo writes the C&C list in abuse.ch's current CSV layout.
func (w *world) writeFeodo(out *bufio.Writer) error {
	end := w.opts.Start.AddDate(0, 0, w.opts.Days)
	fmt.Fprintf(out, "################################################################\n")
	fmt.Fprintf(out, "# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #\n")
	fmt.Fprintf(out, "# Last updated: %s UTC                        #\n", end.Add(-time.Hour).Format(time.DateTime))
	fmt.Fprintf(out, "#                                                              #\n")
	fmt.Fprintf(out, "# Terms Of Use: https://feodotracker.abuse.ch/blocklist/       #\n")
	fmt.Fprintf(out, "# For questions please contact feodotracker [at] abuse.ch      #\n")
	fmt.Fprintf(out, "################################################################\n#\n")
	fmt.Fprintf(out, "\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n")
	for _, c := range w.c2 {
		status := "offline"
		if !c.last.Before(end.AddDate(0, 0, -3)) {
			status = "online"
		}
		first := c.first.Add(time.Duration(w.rng.IntN(86400)) * time.Second)
		fmt.Fprintf(out, "%q,%q,%q,%q,%q,%q\n", first.Format(time.DateTime), c.ip, fmt.Sprint(c.port), status, c.last.Format(time.DateOnly), c.family)
	}
	fmt.Fprintf(out, "# END (%d) entries\n", len(w.c2))
	return nil
}

var sinkholeFamilies = []struct{ infection, family, tag string }{
	{"andromeda", "andromeda", "andromeda,botnet"},
	{"avalanche-andromeda", "andromeda", "avalanche"},
	{"necurs", "necurs", "necurs"},
	{"conficker", "downadup", "conficker,worm"},
	{"qsnatch", "qsnatch", "qsnatch,nas"},
	{"mirai", "mirai", "mirai,iot"},
}

const sinkholeHeader = `"timestamp","protocol","src_ip","src_port","src_asn","src_geo","src_region","src_city","src_hostname","src_naics","src_sector","device_vendor","device_type","device_model","severity","dst_ip","dst_port","dst_asn","dst_geo","dst_region","dst_city","dst_hostname","dst_naics","dst_sector","public_source","infection","family","tag","application","version","event_id","http_url","http_host","http_agent","forwarded_by","ssl_cipher","http_referer","ssl_servername","machine_name"`

// writeSinkhole writes a Shadowserver Sinkhole-Events-HTTP report: home
// hosts whose malware reached a sinkhole. The destination is the sinkhole,
// which statistics must never count as a C&C.
func (w *world) writeSinkhole(out *bufio.Writer) error {
	fmt.Fprintln(out, sinkholeHeader)
	for i := range 160 {
		host := w.infected[i%len(w.infected)]
		f := sinkholeFamilies[i%len(sinkholeFamilies)]
		sink := w.sinkhole[i%len(w.sinkhole)]
		t := w.when().Truncate(time.Second)
		fmt.Fprintf(out, "%q,tcp,%s,%d,,%s,,,,0,,,,,critical,%s,80,,US,,,,0,,%s,%s,%s,%q,http,,,/%s.php,%s.sinkhole.example,%q,,,,,\n",
			t.Format(time.DateTime), host, w.ephemeral(), w.opts.Home, sink, "SISSDEN", f.infection, f.family, f.tag,
			[]string{"index", "image", "forum", "gate"}[i%4], f.family, "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)")
	}
	return nil
}

const rdpHeader = `"timestamp","severity","ip","protocol","port","hostname","tag","asn","geo","region","city","naics","hostname_source","sector","handshake","rdp_protocol","cert_length","subject_common_name","issuer_common_name","cert_issue_date","cert_expiration_date","sha1_fingerprint","cert_serial_number","ssl_version","signature_algorithm","key_algorithm","sha256_fingerprint","sha512_fingerprint","md5_fingerprint","tlsv13_support","tlsv13_cipher","jarm"`

// writeScanRDP writes a Shadowserver Accessible-RDP report over home hosts.
func (w *world) writeScanRDP(out *bufio.Writer) error {
	fmt.Fprintln(out, rdpHeader)
	for i := range 120 {
		host := w.home[100+i]
		t := w.opts.Start.AddDate(0, 0, w.opts.Days-1).Add(time.Duration(w.rng.IntN(86400)) * time.Second)
		fmt.Fprintf(out, "%q,medium,%s,tcp,3389,,rdp,,%s,,,0,,,,RDP,2048,WIN-%04X,WIN-%04X,2026-01-0%d 00:00:00,2026-07-0%d 00:00:00,,,,sha256WithRSAEncryption,rsaEncryption,,,,N,,\n",
			t.Format(time.DateTime), host, w.opts.Home, i*37, i*37, 1+i%9, 1+i%9)
	}
	// A row as real reports sometimes carry it: an address that is not one.
	fmt.Fprintf(out, "%q,medium,148.81.111.11.12,tcp,3389,,rdp,,%s,,,0,,,,RDP,2048,,,,,,,,,,,,,N,,\n",
		w.opts.Start.AddDate(0, 0, w.opts.Days-1).Format(time.DateTime), w.opts.Home)
	return nil
}

// writeTorExits writes the exit list in Tor's exit-addresses format, one
// block per relay, dated across the demo period.
func (w *world) writeTorExits(out *bufio.Writer) error {
	for i, ip := range w.torExits {
		published := w.opts.Start.AddDate(0, 0, -2).Add(time.Duration(i) * time.Minute)
		last := w.opts.Start.AddDate(0, 0, w.opts.Days)
		fmt.Fprintf(out, "ExitNode %040X\n", uint64(i)*0x9E3779B97F4A7C15)
		fmt.Fprintf(out, "Published %s\n", published.Format(time.DateTime))
		fmt.Fprintf(out, "LastStatus %s\n", last.Format(time.DateTime))
		fmt.Fprintf(out, "ExitAddress %s %s\n", ip, last.Add(-time.Hour).Format(time.DateTime))
	}
	return nil
}

// writeHosting writes the hosting networks as an operator's CIDR list.
func (w *world) writeHosting(out *bufio.Writer) error {
	fmt.Fprintln(out, "# hosting and VPS networks (demo)")
	seen := map[string]bool{}
	for _, p := range w.hosting {
		if s := p.String(); !seen[s] {
			seen[s] = true
			fmt.Fprintln(out, s)
		}
	}
	return nil
}
