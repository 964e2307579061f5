package event

import (
	"encoding/base64"
	"strconv"
	"time"
)

// TimeLayout is how Concord writes times: RFC 3339 in UTC with microseconds
// when there are any, the spelling IntelMQ uses ("+00:00").
const TimeLayout = "2006-01-02T15:04:05.999999-07:00"

// AppendJSON appends e as one flat JSON object with IntelMQ field names
// ("source.ip", "classification.type", ...), leaving out empty fields. Extra
// is nested under "extra" and raw is base64, as in IntelMQ. Keys come in a
// fixed order, so equal events give equal bytes (golden files rely on it).
func (e *Event) AppendJSON(dst []byte) []byte {
	w := jsonObj{b: append(dst, '{')}
	w.str("kind", e.Kind.String())
	if e.Kind == Incident {
		w.str("classification.taxonomy", e.Class.Taxonomy)
		w.str("classification.type", e.Class.Type)
	}
	w.str("classification.identifier", e.Identifier)
	w.time("time.source", e.TimeSource)
	w.time("time.observation", e.TimeObservation)
	w.str("feed.name", e.Feed.Name)
	w.str("feed.provider", e.Feed.Provider)
	w.str("feed.code", e.Feed.Code)
	w.endpoint("source.", &e.Source)
	w.endpoint("destination.", &e.Destination)
	w.str("malware.name", e.Malware)
	w.str("protocol.transport", e.Transport)
	w.str("protocol.application", e.Application)
	w.str("event_description.text", e.Text)
	w.str("tlp", e.TLP.String())
	if len(e.Extra) > 0 {
		w.key("extra")
		w.b = append(w.b, e.Extra...)
	}
	if e.Line > 0 {
		w.key("line")
		w.b = strconv.AppendInt(w.b, e.Line, 10)
	}
	w.str("ipdb", e.IPDB)
	if len(e.Raw) > 0 {
		w.key("raw")
		w.b = append(w.b, '"')
		w.b = base64.StdEncoding.AppendEncode(w.b, e.Raw)
		w.b = append(w.b, '"')
	}
	return append(w.b, '}')
}

type jsonObj struct {
	b []byte
	n int
}

func (w *jsonObj) key(k string) {
	if w.n > 0 {
		w.b = append(w.b, ',')
	}
	w.n++
	w.b = AppendJSONString(w.b, k)
	w.b = append(w.b, ':')
}

func (w *jsonObj) str(k, v string) {
	if v == "" {
		return
	}
	w.key(k)
	w.b = AppendJSONString(w.b, v)
}

func (w *jsonObj) time(k string, t time.Time) {
	if t.IsZero() {
		return
	}
	w.key(k)
	w.b = append(w.b, '"')
	w.b = t.UTC().AppendFormat(w.b, TimeLayout)
	w.b = append(w.b, '"')
}

func (w *jsonObj) endpoint(prefix string, ep *Endpoint) {
	if ep.IP.IsValid() {
		w.str(prefix+"ip", ep.IP.String())
	}
	if ep.Port != 0 {
		w.key(prefix + "port")
		w.b = strconv.AppendUint(w.b, uint64(ep.Port), 10)
	}
	w.str(prefix+"fqdn", ep.FQDN)
	w.str(prefix+"url", ep.URL)
	if ep.ASN != 0 {
		w.key(prefix + "asn")
		w.b = strconv.AppendUint(w.b, uint64(ep.ASN), 10)
	}
	w.str(prefix+"as_name", ep.ASName)
	w.str(prefix+"geolocation.cc", ep.CC)
	if ep.Flags != 0 {
		w.key(prefix + "flags")
		w.b = append(w.b, '[')
		for i, n := range ep.Flags.Names() {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = AppendJSONString(w.b, n)
		}
		w.b = append(w.b, ']')
	}
	if ep.Flags&FlagTor != 0 {
		w.key(prefix + "tor_node")
		w.b = append(w.b, "true"...)
	}
	if ep.Role != RoleNone {
		w.str(prefix+"role", ep.Role.String())
	}
}
