package stats

// Report is a statistics report; its JSON form is what `concord report
// --format json` prints (schema in docs/report.md). Same facts and options
// give the same Report: every list is sorted, and the generation time is in
// Generated alone.
type Report struct {
	Period        Period        `json:"period"`
	Home          string        `json:"home"`
	C2Servers     C2Section     `json:"c2_servers"`
	InfectedHosts HostSection   `json:"infected_hosts"`
	AttackSources AttackSection `json:"attack_sources"`
	// TrendBucket is "day", "week" or "month".
	TrendBucket string        `json:"trend_bucket"`
	Trend       []TrendBucket `json:"trend"`
	Previous    Comparison    `json:"previous_period"`
	Cooperation Cooperation   `json:"cooperation"`
	Methodology Methodology   `json:"methodology"`
	// Generated is when the report was made (RFC 3339, UTC): the only
	// field that differs between two runs over the same data.
	Generated string `json:"generated_at"`
}

// Period is the reporting period, dates inclusive.
type Period struct {
	From string `json:"from"`
	To   string `json:"to"`
	Days int    `json:"days"`
}

// C2Section counts C&C servers.
type C2Section struct {
	Total          int `json:"total"`
	Domestic       int `json:"domestic"`
	Abroad         int `json:"abroad"`
	UnknownCountry int `json:"unknown_country"`
	// ByCountry covers servers abroad; Share is of Abroad.
	ByCountry []CountryShare `json:"by_country"`
	ByASN     []ASNCount     `json:"by_asn"`
	ByMalware []MalwareCount `json:"by_malware"`
}

// HostSection counts controlled (infected) hosts.
type HostSection struct {
	// Total counts infected hosts anywhere; the rest counts domestic ones.
	Total    int `json:"total"`
	Domestic int `json:"domestic"`
	// WithKnownController counts domestic hosts seen talking to a known
	// C&C server; ControlledFromAbroad those with one abroad.
	WithKnownController  int `json:"with_known_controller"`
	ControlledFromAbroad int `json:"controlled_from_abroad"`
	// ControllerPairs is the number of (host, controller country) pairs,
	// the denominator of ByControllerCountry's Share.
	ControllerPairs     int            `json:"controller_pairs"`
	ByControllerCountry []CountryShare `json:"by_controller_country"`
	ByMalware           []MalwareCount `json:"by_malware"`
}

// AttackSection counts attack sources.
type AttackSection struct {
	Total          int          `json:"total"`
	Domestic       int          `json:"domestic"`
	Abroad         int          `json:"abroad"`
	UnknownCountry int          `json:"unknown_country"`
	ByClass        []ClassCount `json:"by_class"`
	// RelayShare has one row per country abroad; RelayAbroad sums them.
	RelayShare  []RelayRow `json:"relay_share"`
	RelayAbroad RelayRow   `json:"relay_abroad"`
}

// CountryShare is a count and its share of the section's denominator.
type CountryShare struct {
	Country string  `json:"country"`
	Count   int     `json:"count"`
	Share   float64 `json:"share"`
	// ShareOfHosts is set for controller countries only.
	ShareOfHosts float64 `json:"share_of_hosts,omitempty"`
}

// ASNCount is a count per autonomous system.
type ASNCount struct {
	ASN    uint32 `json:"asn"`
	ASName string `json:"as_name"`
	Count  int    `json:"count"`
}

// MalwareCount is a count per malware family.
type MalwareCount struct {
	Malware string `json:"malware"`
	Count   int    `json:"count"`
}

// ClassCount is a count per RSIT classification.
type ClassCount struct {
	Classification string `json:"classification"`
	Count          int    `json:"count"`
}

// RelayRow says how many of a country's attack-source addresses were
// relays or infected hosts when seen.
type RelayRow struct {
	Country  string `json:"country"`
	Total    int    `json:"total"`
	Tor      int    `json:"tor"`
	Proxy    int    `json:"proxy"`
	VPN      int    `json:"vpn"`
	Hosting  int    `json:"hosting"`
	Infected int    `json:"infected"`
	// Relayed counts addresses with at least one of the above; Share is
	// Relayed / Total.
	Relayed int     `json:"relayed"`
	Share   float64 `json:"share"`
}

// TrendBucket holds the distinct counts of one day, week or month.
type TrendBucket struct {
	Bucket        string `json:"bucket"`
	From          string `json:"from"`
	To            string `json:"to"`
	C2Servers     int    `json:"c2_servers"`
	InfectedHosts int    `json:"infected_hosts"`
	AttackSources int    `json:"attack_sources"`
}

// Comparison holds the previous period's totals and the change to this one.
type Comparison struct {
	From   string  `json:"from"`
	To     string  `json:"to"`
	Totals Totals  `json:"totals"`
	Change Changes `json:"change"`
}

// Totals are a period's headline figures: C&C servers, domestic
// controlled hosts, attack sources.
type Totals struct {
	C2Servers     int `json:"c2_servers"`
	InfectedHosts int `json:"infected_hosts"`
	AttackSources int `json:"attack_sources"`
}

// Changes compare the headline figures with the previous period.
type Changes struct {
	C2Servers     Change `json:"c2_servers"`
	InfectedHosts Change `json:"infected_hosts"`
	AttackSources Change `json:"attack_sources"`
}

// Change is a difference; Relative is nil when the previous figure was 0.
type Change struct {
	Delta    int      `json:"delta"`
	Relative *float64 `json:"relative"`
}

// Cooperation counts requests for assistance: sent and received, partner
// countries, the cases assisted, outcomes, turnaround, overdue requests and
// victim reports. Its unit is the request, not the address. Tracked is
// false when the database keeps no casework; Note then says so and every
// figure is zero.
type Cooperation struct {
	Tracked bool   `json:"tracked"`
	Note    string `json:"note"`
	// Sent are outgoing requests, counted under the requested agency's
	// country; Received incoming ones, under the requesting agency's.
	Sent     RequestFlow   `json:"sent"`
	Received RequestFlow   `json:"received"`
	Assisted CasesAssisted `json:"cases_assisted"`
	Victims  VictimCount   `json:"victim_reports"`
}

// RequestFlow counts the requests of one direction submitted in the
// period.
type RequestFlow struct {
	Total     int            `json:"total"`
	ByType    []TypeCount    `json:"by_type"`
	ByCountry []CountryCount `json:"by_country"`
	// ByStatus is each request's status at the period's end, read from its
	// history.
	ByStatus   []StatusCount `json:"by_status_at_end"`
	Turnaround []Turnaround  `json:"turnaround"`
	// OverdueAtEnd counts the requests submitted before the period's end,
	// in this period or an earlier one, that were overdue at its end.
	OverdueAtEnd int `json:"overdue_at_end"`
}

// TypeCount is a count per request type.
type TypeCount struct {
	Type  string `json:"type"`
	Count int    `json:"count"`
}

// CountryCount is a count per country; Country is "" when the agency has
// no country recorded.
type CountryCount struct {
	Country string `json:"country"`
	Count   int    `json:"count"`
}

// StatusCount is a count per request status.
type StatusCount struct {
	Status string `json:"status"`
	Count  int    `json:"count"`
}

// Turnaround is the median time from submission to answer of one request
// type's requests. MedianDays (one decimal) rests on Answered requests and
// is nil when none was answered; NotAnswered had no answer by the period's
// end.
type Turnaround struct {
	Type        string   `json:"type"`
	Answered    int      `json:"answered"`
	MedianDays  *float64 `json:"median_days"`
	NotAnswered int      `json:"not_answered"`
}

// CasesAssisted is the "helped N countries investigate M cases" figure:
// received requests we answered, and the requesting countries.
type CasesAssisted struct {
	Cases     int            `json:"cases"`
	Countries int            `json:"countries"`
	ByCountry []CountryCount `json:"by_country"`
	// Sentence states the figure; Rule says what it counts.
	Sentence string `json:"sentence"`
	Rule     string `json:"rule"`
}

// VictimCount counts the victim reports received in the period, with the
// caveat every figure built on them must carry.
type VictimCount struct {
	Received int    `json:"received"`
	Caveat   string `json:"caveat"`
}

// Methodology says what the figures count and what they rest on.
type Methodology struct {
	Unit   string        `json:"unit"`
	Rules  []string      `json:"rules"`
	Feeds  []FeedRecords `json:"feeds"`
	IPDB   []IPDBVersion `json:"ipdb"`
	Lists  []ListKind    `json:"lists"`
	Biases []string      `json:"biases"`
}

// FeedRecords is how many stored records of a feed fall in the period.
type FeedRecords struct {
	Feed         string `json:"feed"`
	Records      int64  `json:"records"`
	Incidents    int64  `json:"incidents"`
	Observations int64  `json:"observations"`
}

// IPDBVersion names an IP database that enriched the period's records.
type IPDBVersion struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}
