package store

// docDictV1 is the preset dictionary of document codec 1: text that stored
// events repeat, gathered from the formats' own vocabularies (Suricata's
// EVE schema, Zeek's log fields, Shadowserver's column names, abuse.ch's
// headers) and from Concord's own names (RSIT classes, extra keys). It is
// part of the on-disk format: never edit it; add docDictV2 with a new tag.
const docDictV1 = `` +
	// Shadowserver and Feodo Tracker columns.
	`"timestamp","protocol","src_ip","src_port","src_asn","src_geo","src_region","src_city","src_hostname","src_naics","src_sector",` +
	`"device_vendor","device_type","device_model","severity","dst_ip","dst_port","dst_asn","dst_geo","dst_region","dst_city","dst_hostname",` +
	`"public_source","infection","family","tag","application","version","event_id","http_url","http_host","http_agent","hostname","naics",` +
	`"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"` + "\n" +
	`{"first_seen":"","last_online":"","status":"online","status":"offline","ip_address":"","as_number":,"as_name":"","country":""}` +
	// Zeek logs.
	`{"ts":,"uid":"","id.orig_h":"","id.orig_p":,"id.resp_h":"","id.resp_p":,"proto":"tcp","proto":"udp","service":"dns","duration":,` +
	`"orig_bytes":,"resp_bytes":,"conn_state":"S0","conn_state":"SF","local_orig":true,"local_resp":false,"missed_bytes":0,"history":"",` +
	`"orig_pkts":,"orig_ip_bytes":,"resp_pkts":,"resp_ip_bytes":,"tunnel_parents":[],"note":"Scan::Port_Scan","msg":"","sub":"","src":"",` +
	`"dst":"","p":,"n":,"actions":["Notice::ACTION_LOG"],"suppress_for":3600.0}` +
	// Suricata EVE.
	`{"timestamp":"2026-01-01T00:00:00.000000+0000","flow_id":,"pcap_cnt":,"in_iface":"eth0","vlan":[],"event_type":"alert","src_ip":"",` +
	`"src_port":,"dest_ip":"","dest_port":,"proto":"UDP","proto":"TCP","community_id":"1:","tx_id":0,"alert":{"action":"allowed","gid":1,` +
	`"signature_id":,"rev":,"signature":"ET ","category":"","severity":,"metadata":{"affected_product":["Windows_XP_Vista_7_8_10_Server_32_64_Bit"],` +
	`"attack_target":["Client_Endpoint"],"created_at":["2026_"],"deployment":["Perimeter"],"former_category":[""],"malware_family":[""],` +
	`"signature_severity":["Major"],"updated_at":["2026_"]}},"direction":"to_server","direction":"to_client","app_proto":"http",` +
	`"http":{"hostname":"","url":"/","http_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/",` +
	`"http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":},` +
	`"tls":{"subject":"CN=","issuerdn":"C=US, O=","serial":"","fingerprint":"","sni":"","version":"TLS 1.3","notbefore":"","notafter":"",` +
	`"ja3":{"hash":"","string":""},"ja3s":{"hash":""}},"fileinfo":{"filename":"","magic":"","gaps":false,"state":"CLOSED","md5":"","sha256":"",` +
	`"stored":false,"size":,"tx_id":0},"anomaly":{"type":"decode","event":"decoder."},` +
	`"dns":{"version":2,"type":"query","type":"answer","id":,"flags":"8180","qr":true,"rd":true,"ra":true,"opcode":0,"rrname":"","rrtype":"A",` +
	`"rcode":"NOERROR","answers":[{"rrname":"","rrtype":"A","ttl":,"rdata":""}],"grouped":{"A":[""]}}},` +
	`"app_proto":"tls","flow":{"pkts_toserver":,"pkts_toclient":,"bytes_toserver":,"bytes_toclient":,"start":"2026-01-01T00:00:00.000000+0000",` +
	`"end":"2026-01-01T00:00:00.000000+0000","age":,"state":"closed","reason":"timeout","alerted":false,"src_ip":"","dest_ip":"","src_port":,` +
	`"dest_port":},"tcp":{"tcp_flags":"1b","tcp_flags_ts":"1b","tcp_flags_tc":"1b","syn":true,"fin":true,"psh":true,"ack":true,"state":"closed"}}` +
	// Concord's own names, as the binary encoding and extra spell them.
	"suricata\x0dshadowserver\x0dfeodo-tracker\x08abuse.ch\x17Shadowserver Foundation\x04zeek" +
	"\x0emalicious-code\x0finfected-system\x09c2-server\x14malware-distribution\x15information-gathering\x07scanner" +
	"\x12intrusion-attempts\x09ids-alert\x0bbrute-force\x07exploit\x0avulnerable\x1fpotentially-unwanted-accessible" +
	"\x11vulnerable-system\x0eddos-amplifier\x0bweak-crypto\x0cavailability\x04ddos\x05fraud\x08phishing" +
	"\x03tcp\x03udp\x04http\x03tls\x03dns\x1dip-location-db@2.3.2026061719" +
	`{"event_type":"alert","flow_id":,"in_iface":"eth0","signature_id":,"gid":1,"rev":,"category":"A Network Trojan was detected",` +
	`"severity":,"action":"allowed","direction":"to_server","http_method":"GET","http_status":200,"http_user_agent":"",` +
	`"tls_subject":"CN=","tls_issuer":"","tls_fingerprint":"","tls_version":"TLS 1.3","tls_ja3":"","file_name":"","file_md5":"",` +
	`"file_sha256":"","file_size":,"file_magic":"","anomaly_type":"decode","anomaly_event":"decoder.","dns_type":"query","dns_type":"answer",` +
	`"dns_version":2,"dns_rrname":"","dns_rrtype":"A","dns_rcode":"NOERROR"}` +
	`{"event_type":"flow","flow_id":,"in_iface":"eth0","pkts_toserver":,"pkts_toclient":,"bytes_toserver":,"bytes_toclient":,"age":,` +
	`"flow_state":"closed","flow_reason":"timeout","alerted":false}`
