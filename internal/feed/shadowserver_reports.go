package feed

import (
	"sort"
	"strings"

	"github.com/concord-cert/concord/internal/event"
)

// shadowProfile is what Concord makes of one Shadowserver report type: the
// RSIT class of its rows and the part each address plays. The profiles
// below are Concord's own reading of Shadowserver's report descriptions;
// the reasons are in the comments next to each group, because a CERT that
// disagrees must be able to see what it is disagreeing with.
type shadowProfile struct {
	// class is the RSIT class of every row; the zero Class makes rows
	// Observations (context, never counted as incidents).
	class event.Class
	// src and dst are the roles of source.* and destination.*.
	src, dst event.Role
	// sinkhole says dst_* is Shadowserver's (or a partner's) sinkhole: the
	// destination is flagged and never becomes a C&C (DOMAIN.md §5).
	sinkhole bool
	// c2 says a cc/cc_ip style column names the real C&C the source talked
	// to; it becomes the destination with RoleC2 when the report has no
	// dst_* columns of its own.
	c2 bool
	// infection says the infection column names malware (sinkhole and
	// drone reports), not the report's category ("ddos-participant").
	infection bool
	// peerFirst says the report's own ip/host/url columns describe the
	// remote end of a connection a malware sample made in a sandbox, which
	// is destination.*, not source.*.
	peerFirst bool
}

func (p shadowProfile) observation() bool { return p.class.IsZero() }

var (
	classDataLeak      = event.Class{Taxonomy: "information-content-security", Type: "data-leak"}
	classMisconfigured = event.Class{Taxonomy: "availability", Type: "misconfiguration"}
)

// The profiles, one per kind of report.
var (
	// Exposed services. The scanned address offers the service; nothing
	// attacked anybody, so there is no destination.
	shadowAccessible = shadowProfile{class: event.ClassAccessible, src: event.RoleVulnerable}
	shadowAmplifier  = shadowProfile{class: event.ClassAmplifier, src: event.RoleVulnerable}
	shadowInfoLeak   = shadowProfile{class: event.ClassInfoDisc, src: event.RoleVulnerable}
	shadowVulnerable = shadowProfile{class: event.ClassVulnerable, src: event.RoleVulnerable}
	shadowWeakCrypto = shadowProfile{class: event.ClassWeakCrypto, src: event.RoleVulnerable}
	shadowMisconfig  = shadowProfile{class: classMisconfigured, src: event.RoleVulnerable}
	// Census data (ordinary public services, device fingerprints).
	shadowPopulation = shadowProfile{}

	// A bot talking to a sinkhole: the source is infected, the destination
	// is the sinkhole and plays no part.
	shadowSinkhole = shadowProfile{class: event.ClassInfected, src: event.RoleInfected, sinkhole: true, infection: true}
	// Legacy drone reports name the C&C the bot used in their own columns.
	shadowDrone = shadowProfile{class: event.ClassInfected, src: event.RoleInfected, c2: true, infection: true}
	// A web page that sends its visitors to a sinkholed domain has almost
	// always been tampered with; the referring site is the subject.
	shadowReferer = shadowProfile{class: event.ClassCompromised, src: event.RoleInfected, sinkhole: true, infection: true}
	// DNS queries for sinkholed names arrive from recursive resolvers that
	// ask on behalf of unknown clients: counting the resolver as infected
	// would blame the ISP's resolver, so these are context only.
	shadowSinkholeDNS = shadowProfile{infection: true}

	// Honeypots and darknets: the source acted, the destination is
	// Shadowserver's sensor and plays no part.
	shadowScanner    = shadowProfile{class: event.ClassScanner, src: event.RoleAttacker}
	shadowDarknet    = shadowProfile{class: event.ClassScanner, src: event.RoleAttacker, infection: true}
	shadowBruteForce = shadowProfile{class: event.ClassBruteForce, src: event.RoleAttacker}
	// Attack commands heard by emulated bots: src_ip is the C&C that
	// issued the command, dst_ip the victim it named. event4_honeypot_ddos
	// is sent to the C&C's network, event4_honeypot_ddos_target to the
	// victim's; the facts and roles are the same, the subject differs.
	shadowDDoSCommand = shadowProfile{class: event.ClassC2, src: event.RoleC2, dst: event.RoleTarget}
	shadowDDoSTarget  = shadowProfile{class: event.ClassDDoS, src: event.RoleC2, dst: event.RoleTarget}
	// Reflection seen by amplifier honeypots: the requests carried the
	// victim's address as their source, so src_ip is the victim, not an
	// attacker, and the honeypot plays no part.
	shadowDDoSVictim = shadowProfile{class: event.ClassDDoS, src: event.RoleTarget}
	// Addresses seen sending attack traffic to a victim (which may be
	// reflectors or spoofed; the report says so, the class stays DDoS).
	shadowDDoSParticipant = shadowProfile{class: event.ClassDDoS, src: event.RoleAttacker, dst: event.RoleTarget}

	// Hosts taken over by someone else: §5's stepping stones, so the
	// subject is a victim under outside control (RoleInfected), never an
	// attacker. A cc_url names where the injected code calls home.
	shadowCompromised = shadowProfile{class: event.ClassCompromised, src: event.RoleInfected, c2: true, infection: true}
	// A scan that finds Cobalt Strike-style team servers finds C&C servers.
	shadowC2Scan = shadowProfile{class: event.ClassC2, src: event.RoleC2}

	shadowMalwareURL = shadowProfile{class: event.ClassMalwareDist, src: event.RoleMalicious}
	shadowPhishing   = shadowProfile{class: event.ClassPhishing, src: event.RoleMalicious}
	// The spamvertised URL's host is the subject; the sender (src_ip) is
	// kept in extra, since one event has room for one role per side.
	shadowSpam = shadowProfile{class: event.ClassSpam, src: event.RoleMalicious}

	// Sandboxes record every connection a sample makes, C&C or not: the
	// samples reach time.windows.com and www.msftncsi.com like any
	// Windows machine. Calling the contacted server a C&C (or malware
	// configuration) would list Microsoft as one, so these rows are
	// observations with the contacted server as destination.
	shadowSandbox = shadowProfile{peerFirst: true, infection: true}

	// Third-party reputation listings describe an address, not an
	// incident (IntelMQ's other/blocklist, which Concord treats as a list).
	shadowBlocklist = shadowProfile{}
	// Credentials seen in stealer logs or leaks: the organisation named by
	// the e-mail domain is the victim of a data leak.
	// The infection column names the stealer.
	shadowAccountLeak = shadowProfile{class: classDataLeak, src: event.RoleTarget, infection: true}
	// Organisations named on ransomware leak sites.
	shadowRansomVictim = shadowProfile{class: event.ClassCompromised, src: event.RoleTarget}
	// One-off reports, mostly devices exposed to a named vulnerability;
	// rows whose status says "compromised" are refined per row.
	shadowSpecial = shadowProfile{class: event.ClassVulnerable, src: event.RoleVulnerable}
	// Networks that let spoofed packets out (no BCP 38 filtering): a
	// vulnerable network rather than an attack by anybody.
	shadowSpoofer = shadowProfile{class: event.ClassVulnerable, src: event.RoleVulnerable}
)

// shadowReports maps IPv4 report names (the IPv6 twins are folded onto them
// by shadowBaseName) to profiles.
var shadowReports = map[string]shadowProfile{}

func init() {
	add := func(p shadowProfile, names ...string) {
		for _, n := range names {
			if _, dup := shadowReports[n]; dup {
				panic("feed: shadowserver report listed twice: " + n)
			}
			shadowReports[n] = p
		}
	}

	// Services that are not vulnerable as such but should rarely face the
	// Internet: remote desktops, databases, brokers, management protocols.
	add(shadowAccessible,
		"scan_activemq", "scan_afp", "scan_amqp", "scan_bgp", "scan_cwmp",
		"scan_epmd", "scan_gtp", "scan_http_proxy", "scan_ics", "scan_ipp",
		"scan_kubernetes", "scan_msrpc", "scan_mqtt", "scan_mysql",
		"scan_postgres", "scan_radmin", "scan_rdp", "scan_rsync", "scan_smb",
		"scan_socks", "scan_telnet", "scan_vnc")
	// UDP (and TCP middlebox) services that answer a small spoofed request
	// with a larger reply; the reports carry an amplification factor.
	add(shadowAmplifier,
		"scan_ard", "scan_chargen", "scan_coap", "scan_db2",
		"scan_ddos_middlebox", "scan_dns", "scan_dvr_dhcpdiscover",
		"scan_ldap_udp", "scan_mdns", "scan_memcached", "scan_mssql",
		"scan_netbios", "scan_ntp", "scan_ntpmonitor", "scan_portmapper",
		"scan_qotd", "scan_rdpeudp", "scan_sip", "scan_slp", "scan_snmp",
		"scan_ssdp", "scan_stun", "scan_tftp", "scan_ubiquiti",
		"scan_ws_discovery", "scan_xdmcp")
	// Stores that hand their contents or directory data to anyone asking.
	add(shadowInfoLeak,
		"scan_couchdb", "scan_elasticsearch", "scan_hadoop", "scan_ldap_tcp",
		"scan_mongodb", "scan_mqtt_anon", "scan_redis")
	// Known vulnerabilities, and unauthenticated control interfaces that
	// Shadowserver rates critical (ADB, Docker API, Smart Install).
	add(shadowVulnerable,
		"scan_adb", "scan_cisco_smart_install", "scan_docker", "scan_exchange",
		"scan_http_vulnerable", "scan_imap_vulnerable", "scan_ip_tunnel",
		"scan_ipmi", "scan_isakmp", "scan_loop_dos", "scan_nat_pmp",
		"scan_netis_router", "scan_pop3_vulnerable", "scan_smtp_vulnerable")
	add(shadowWeakCrypto, "scan_badsecrets", "scan_ssl_freak", "scan_ssl_poodle")
	// The RSIT example for availability/misconfiguration, literally.
	add(shadowMisconfig, "outdated_dnssec_key")
	// Ordinary Internet services and device census: context, not incidents.
	add(shadowPopulation,
		"device_id", "population_bgp", "population_http_proxy",
		"population_isakmp", "population_msmq", "population_ntrip",
		"scan_ftp", "scan_http", "scan_imap", "scan_pop3", "scan_quic",
		"scan_smtp", "scan_ssh", "scan_ssl")

	add(shadowSinkhole,
		"event4_sinkhole", "event4_sinkhole_http",
		"event4_microsoft_sinkhole", "event4_microsoft_sinkhole_http",
		"microsoft_sinkhole", "sinkhole_http_drone")
	add(shadowDrone, "botnet_drone", "drone")
	add(shadowReferer, "event4_sinkhole_http_referer")
	add(shadowSinkholeDNS, "event4_sinkhole_dns")

	add(shadowScanner,
		"event4_honeypot_adb_scan", "event4_honeypot_http_scan",
		"event4_honeypot_ics_scan", "event4_honeypot_ikev2_scan",
		"event4_honeypot_rdp_scan", "event4_honeypot_rocketmq_scan",
		"event4_honeypot_smb_scan", "hp_http_scan", "hp_ics_scan")
	add(shadowDarknet, "event4_honeypot_darknet", "darknet")
	add(shadowBruteForce, "event4_honeypot_brute_force", "drone_brute_force")
	add(shadowDDoSCommand, "event4_honeypot_ddos")
	add(shadowDDoSTarget, "event4_honeypot_ddos_target")
	add(shadowDDoSVictim, "event4_honeypot_ddos_amp", "ddos_amplification")
	add(shadowDDoSParticipant, "event4_ddos_participant")
	add(shadowSpoofer, "event4_ip_spoofer", "caida_ip_spoofer")

	add(shadowCompromised, "compromised_iot", "compromised_website", "scan_synfulknock")
	add(shadowC2Scan, "scan_post_exploitation_framework")
	add(shadowMalwareURL, "malware_url")
	add(shadowPhishing, "phish_url")
	add(shadowSpam, "spam_url")
	add(shadowSandbox, "sandbox_conn", "sandbox_dns", "sandbox_url")
	add(shadowBlocklist, "blocklist")
	add(shadowAccountLeak, "compromised_account")
	add(shadowRansomVictim, "ransomware_victim")
	add(shadowSpecial, "special")
}

// shadowBaseName folds a report name onto the IPv4 name it shares a
// profile with: scan6_ssl → scan_ssl, population6_bgp → population_bgp,
// event6_sinkhole → event4_sinkhole, compromised_website6 → compromised_website.
func shadowBaseName(name string) string {
	for _, p := range [...][2]string{{"scan6_", "scan_"}, {"population6_", "population_"}, {"event6_", "event4_"}} {
		if strings.HasPrefix(name, p[0]) {
			return p[1] + name[len(p[0]):]
		}
	}
	if strings.HasSuffix(name, "6") {
		if _, ok := shadowReports[name[:len(name)-1]]; ok {
			return name[:len(name)-1]
		}
	}
	return name
}

// shadowLookup returns the profile of a report name. exact is false when
// the name is not in the table and the profile was inferred from its
// prefix, which keeps new report types of a known family readable.
func shadowLookup(name string) (p shadowProfile, exact, ok bool) {
	base := shadowBaseName(name)
	if p, ok := shadowReports[base]; ok {
		return p, true, true
	}
	switch {
	case strings.Contains(base, "sinkhole"):
		return shadowSinkhole, false, true
	case strings.HasPrefix(base, "event4_honeypot_") && strings.HasSuffix(base, "_scan"):
		return shadowScanner, false, true
	case strings.HasPrefix(base, "scan_") && strings.HasSuffix(base, "_vulnerable"):
		return shadowVulnerable, false, true
	case strings.HasPrefix(base, "scan_") && len(base) > len("scan_"):
		return shadowAccessible, false, true
	case strings.HasPrefix(base, "population_") && len(base) > len("population_"):
		return shadowPopulation, false, true
	case strings.HasPrefix(base, "compromised_") && len(base) > len("compromised_"):
		return shadowCompromised, false, true
	}
	return shadowProfile{}, false, false
}

// shadowReportNames returns the report names in the table, sorted.
func shadowReportNames() []string {
	names := make([]string, 0, len(shadowReports))
	for n := range shadowReports {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
