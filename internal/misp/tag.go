package misp

import (
	"strings"

	"github.com/concord-cert/concord/internal/event"
)

// MachineTag splits a MISP machine tag, namespace:predicate="value", into
// its parts; value is "" for namespace:predicate. ok is false for a tag
// without a namespace.
func MachineTag(name string) (namespace, predicate, value string, ok bool) {
	name = strings.TrimSpace(name)
	i := strings.IndexByte(name, ':')
	if i <= 0 {
		return "", "", "", false
	}
	namespace, rest := strings.ToLower(name[:i]), name[i+1:]
	if j := strings.IndexByte(rest, '='); j >= 0 {
		predicate, value = rest[:j], strings.Trim(strings.TrimSpace(rest[j+1:]), `"`)
	} else {
		predicate = rest
	}
	return namespace, strings.TrimSpace(predicate), value, true
}

// TagTLP returns the marking a tlp:* tag gives: TLP 2.0 names and TLP 1.0's
// white (as CLEAR), in any case. Other tlp tags (tlp:ex:chr, tlp:unclear)
// are not markings.
func TagTLP(name string) (event.TLP, bool) {
	ns, pred, _, ok := MachineTag(name)
	if !ok || ns != "tlp" {
		return 0, false
	}
	switch strings.ToLower(pred) {
	case "clear", "white", "green", "amber", "amber+strict", "red":
		t, err := event.ParseTLP(pred)
		return t, err == nil
	}
	return 0, false
}

// TLPTag returns the MISP tag of a marking, in TLP 2.0 names: tlp:clear,
// tlp:green, tlp:amber, tlp:amber+strict, tlp:red.
func TLPTag(t event.TLP) string {
	return "tlp:" + strings.ToLower(strings.TrimPrefix(t.String(), "TLP:"))
}

// TagClass returns the RSIT class of an rsit:taxonomy="type" tag, or of
// the older ecsirt:taxonomy="type" tag, through event.ParseClass so that
// legacy spellings (c2server, unauthorized-*) are understood.
func TagClass(name string) (event.Class, bool) {
	ns, pred, val, ok := MachineTag(name)
	if !ok || (ns != "rsit" && ns != "ecsirt") || val == "" {
		return event.Class{}, false
	}
	c, err := event.ParseClass(pred + "/" + val)
	if err != nil {
		// ecsirt's taxonomy names differ from RSIT's in places; the type
		// alone is unambiguous.
		if c, err = event.ParseClass(val); err != nil {
			return event.Class{}, false
		}
	}
	return c, true
}

// ClassTag returns the rsit:taxonomy="type" tag of a class.
func ClassTag(c event.Class) string {
	return "rsit:" + c.Taxonomy + `="` + c.Type + `"`
}
