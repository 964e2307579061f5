// Package enrich adds to each event what Concord knows about its addresses,
// offline: country and autonomous system from the IP database (package
// ipdb), and whether the address was a Tor exit, a proxy, a VPN or hosting
// address, or a sinkhole at the time of the event, from the relay lists an
// operator imported. Those flags are what keep an IP address from being
// mistaken for its attacker: statistics report relay shares from them and
// the assessment rates relay hypotheses with them.
package enrich
