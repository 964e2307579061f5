package assess

import (
	"fmt"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/stats"
)

// NextStep is something that would tell the standing hypotheses apart:
// more evidence, or a request to another country, drafted so the cooperate
// workflow can turn it into a formal request for assistance.
type NextStep struct {
	Text string `json:"text"`
	// Hypotheses are those the step would discriminate between.
	Hypotheses []string `json:"hypotheses"`
	// Evidence are the items the step concerns.
	Evidence []string      `json:"evidence,omitempty"`
	Request  *RequestDraft `json:"request,omitempty"`
}

// RequestDraft is the substance of a request for assistance.
type RequestDraft struct {
	// Type is a request type of the cooperation workflow: preservation,
	// traffic-disclosure, stored-data, subscriber-info, emergency, mla or
	// takedown (a CERT-to-CERT takedown or notification).
	Type       string   `json:"type"`
	Country    string   `json:"country"`
	Addressee  string   `json:"addressee"`
	LegalBasis []string `json:"legal_basis,omitempty"`
	Provider   string   `json:"provider,omitempty"`
	IP         string   `json:"ip"`
	Port       int      `json:"port,omitempty"`
	Time       string   `json:"time,omitempty"`
	Data       string   `json:"data"`
	Purpose    string   `json:"purpose"`
	// FollowUp is the request that should follow once the data are safe.
	FollowUp string `json:"follow_up,omitempty"`
}

var preservationBasis = []string{"Budapest Convention art. 29", "UN Convention against Cybercrime art. 42"}

// countryHyps returns the ids of the hypotheses about country cc.
func (a *analysis) countryHyps(cc string) []string {
	var out []string
	for _, h := range a.hyps {
		if h.Country == cc && h.Kind != KindOther {
			out = append(out, h.ID)
		}
	}
	return out
}

// nextSteps proposes, for the observations and for the leading
// hypotheses, what would discriminate between them.
func (a *analysis) nextSteps(order []int, post posterior, sens sensitivity) []NextStep {
	steps := []NextStep{}
	seen := map[string]bool{}
	for _, ob := range a.obs {
		o := ob.obs
		if ob.cc == "" || seen[o.IP.String()] {
			continue
		}
		seen[o.IP.String()] = true
		steps = append(steps, a.observationSteps(ob)...)
	}
	lead, second := order[0], order[1]
	hasOther := false
	for _, e := range a.items {
		hasOther = hasOther || !e.IPOnly()
	}
	if !hasOther {
		var actors []string
		for _, h := range a.hyps {
			if h.Kind == KindActor {
				actors = append(actors, h.ID)
			}
		}
		steps = append(steps, NextStep{
			Text:       "Collect evidence of another class: the malware and its code, the infrastructure it called (registration, certificates, passive DNS), the attackers' techniques and working hours. Addresses support the machine level only; nothing here can name an operator.",
			Hypotheses: actors,
		})
	}
	for i, e := range a.items {
		if sens.linchpin[i] && !a.corroborated(i, lead, second, sens) {
			steps = append(steps, NextStep{
				Text:       fmt.Sprintf("Corroborate %s from an independent source: the judgement hangs on it (without it %s).", e.ID, sens.changes[i]),
				Hypotheses: []string{a.hyps[lead].ID, a.hyps[second].ID},
				Evidence:   []string{e.ID},
			})
		}
	}
	for j, h := range a.hyps {
		if h.Kind != KindFalseFlag || a.refuted(j, post) {
			continue
		}
		for i, e := range a.items {
			if !e.Spoof.Forgeable() || e.IPOnly() || !sens.diagnostic[i] || a.direction(i, lead, j) <= 0 {
				continue
			}
			steps = append(steps, NextStep{
				Text: fmt.Sprintf("Have %s (%s) checked for forgery by someone other than its source: it favours %s over %s, and evidence of its kind is planted in false-flag operations (Olympic Destroyer carried a Rich header copied from another group's malware). Record the check as evidence.",
					e.ID, e.Class.ID, a.hyps[lead].ID, h.ID),
				Hypotheses: []string{a.hyps[lead].ID, h.ID},
				Evidence:   []string{e.ID},
			})
		}
	}
	return steps
}

// observationSteps are the requests that would say what an observed
// address really was.
func (a *analysis) observationSteps(ob *observed) []NextStep {
	o := ob.obs
	hyps := a.countryHyps(ob.cc)
	country := ob.cc
	if name := stats.CountryName(ob.cc); name != "" {
		country = name + " (" + ob.cc + ")"
	}
	provider := ""
	if ob.place.ASN != 0 {
		provider = fmt.Sprintf("AS%d %s", ob.place.ASN, ob.place.ASName)
		provider = strings.TrimSpace(provider)
	}
	who := "the provider of " + o.IP.String()
	if provider != "" {
		who = provider
	}
	at := ""
	if !o.Time.IsZero() {
		at = o.Time.Format(time.RFC3339)
	}
	draft := func(typ, data, purpose, follow string, basis []string) *RequestDraft {
		return &RequestDraft{Type: typ, Country: ob.cc, Addressee: "the 24/7 point of contact of " + country + " (Budapest Convention art. 35)",
			LegalBasis: basis, Provider: provider, IP: o.IP.String(), Port: int(o.Port), Time: at, Data: data, Purpose: purpose, FollowUp: follow}
	}
	var steps []NextStep
	if (o.Time.IsZero() || (o.Port == 0 && o.needsPort())) && ob.flags&event.FlagTor == 0 {
		missing := "exact UTC time"
		if !o.Time.IsZero() {
			missing = "source port"
		} else if o.Port == 0 && o.needsPort() {
			missing = "source port and exact UTC time"
		}
		steps = append(steps, NextStep{
			Text:       fmt.Sprintf("Get the %s of %s from the victim's or the sensor's logs: without it a provider cannot tell which of the subscribers sharing %s (carrier-grade NAT, dynamic addresses) it was.", missing, o.ID, o.IP),
			Hypotheses: hyps, Evidence: []string{o.ID},
		})
	}
	switch {
	case ob.flags&event.FlagSinkhole != 0:
		steps = append(steps, NextStep{
			Text:       fmt.Sprintf("Check %s: %s was a sinkhole, which receives bots' connections and attacks nobody. The log may show the victim's own infected machine talking to it.", o.ID, o.IP),
			Hypotheses: hyps, Evidence: []string{o.ID},
		})
	case ob.flags&event.FlagTor != 0:
		steps = append(steps, NextStep{
			Text:       fmt.Sprintf("Do not ask %s for the user of %s: a Tor exit keeps no record of who used it, so a request would tell the explanations apart no better. Look for evidence of another kind, and for sessions of the same attacker that did not use Tor.", country, o.IP),
			Hypotheses: hyps, Evidence: []string{o.ID},
		})
	case ob.flags&(event.FlagVPN|event.FlagHosting|event.FlagProxy) != 0:
		kind := (ob.flags & (event.FlagVPN | event.FlagHosting | event.FlagProxy)).String()
		steps = append(steps, NextStep{
			Text: fmt.Sprintf("Ask the 24/7 point of contact of %s to have %s preserve the customer account, payment records and connection logs behind %s at %s (%s; expedited preservation, Budapest art. 29 / UN art. 42), then ask for the preserved traffic data to find the next hop (art. 30 / 43). They tell a rented relay from the actor's own server, and lead to the country the actor connected from.",
				country, who, o.Endpoint(), o.When(), kind),
			Hypotheses: hyps, Evidence: []string{o.ID},
			Request: draft("preservation", "customer account, payment records and connection logs of "+o.Endpoint()+" around "+o.When()+", including the addresses the customer connected from",
				"identify who rented or used the "+kind+" address and the next hop towards the actor", "traffic-disclosure (Budapest Convention art. 30; UN Convention art. 43)", preservationBasis),
		})
	case len(ob.infected) > 0:
		steps = append(steps, NextStep{
			Text: fmt.Sprintf("Notify the national CERT of %s that %s was an infected host (%s) so its owner is found and the machine cleaned; its disk and logs would show where it was controlled from, and can be sought by mutual legal assistance once the owner is known.",
				country, o.IP, days(ob.infected)),
			Hypotheses: hyps, Evidence: []string{o.ID + "-infected"},
			Request: &RequestDraft{Type: "takedown", Country: ob.cc, Addressee: "the national CERT of " + country + " (CERT-to-CERT)", Provider: provider, IP: o.IP.String(), Port: int(o.Port), Time: at,
				Data: "the infected host's owner, and its disk image and logs if the owner agrees", Purpose: "clean the machine and find the controller it obeyed", FollowUp: "mla for the host's disk image and logs"},
		})
	case len(ob.c2) > 0:
		steps = append(steps, NextStep{
			Text: fmt.Sprintf("Ask the 24/7 point of contact of %s to have %s preserve the server at %s and its logs (expedited preservation, Budapest art. 29 / UN art. 42), then seek access to them (art. 31 / 44): the operators' own connections to their C&C server are the way past it.",
				country, who, o.IP),
			Hypotheses: hyps, Evidence: []string{o.ID + "-c2"},
			Request: draft("preservation", "the server's disk image, its access logs and the hosting account behind "+o.IP.String(),
				"find the addresses the operators administered the C&C server from", "stored-data (Budapest Convention art. 31; UN Convention art. 44)", preservationBasis),
		})
	case o.Time.IsZero():
		// Without a time no provider can say who had the address; the
		// step above asks for it first.
	default:
		data := "the subscriber and connection logs that resolve " + o.Endpoint() + " at " + o.When() + " to one subscriber"
		steps = append(steps, NextStep{
			Text: fmt.Sprintf("Ask the 24/7 point of contact of %s to have %s preserve the logs that resolve %s at %s to a subscriber (expedited preservation, Budapest art. 29 / UN art. 42), then request the subscriber information (Second Additional Protocol art. 7 or 8). A subscriber's own computer favours %s; an infected one favours %s.",
				country, who, o.Endpoint(), o.When(), generatedID(KindActor, ob.cc), generatedID(KindCompromised, ob.cc)),
			Hypotheses: hyps, Evidence: []string{o.ID},
			Request: draft("preservation", data, "identify the subscriber who used the address, and whether the machine was infected",
				"subscriber-info (Second Additional Protocol art. 7 or 8)", preservationBasis),
		})
	}
	return steps
}
