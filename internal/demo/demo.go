// Package demo writes realistic sample feeds for the quickstart and the
// benchmarks: Suricata EVE logs from a national network's sensors, an
// abuse.ch Feodo Tracker C&C list, Shadowserver sinkhole and scan reports,
// and Tor exit and hosting lists. Addresses come from real public ranges of
// the IP database, so enrichment and statistics behave as on real data;
// families, signatures, volumes and timing follow what those feeds look
// like. Output is deterministic for a given seed.
package demo

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/concord-cert/concord/internal/ipdb"
)

// Options control what is generated.
type Options struct {
	// Dir receives the files.
	Dir string
	// Home is the country whose network the sensors watch.
	Home string
	// EVE is the number of EVE records (default 20,000).
	EVE int
	// Start and Days give the period covered (default: October 2026,
	// fixed so that the quickstart's output is reproducible).
	Start time.Time
	Days  int
	// Seed makes a different but equally deterministic data set.
	Seed uint64
}

// Files are the generated files.
type Files struct {
	EVE          string
	Feodo        string
	Shadowserver []string
	TorExits     string
	Hosting      string
}

// All returns the feed files in the order they should be ingested.
func (f Files) All() []string {
	return append([]string{f.Feodo, f.EVE}, f.Shadowserver...)
}

// Generate writes the demo files into opts.Dir.
func Generate(geo *ipdb.DB, opts Options) (Files, error) {
	if opts.EVE <= 0 {
		opts.EVE = 20000
	}
	if opts.Home == "" {
		opts.Home = "PL"
	}
	if opts.Start.IsZero() {
		opts.Start = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	}
	if opts.Days <= 0 {
		opts.Days = 31
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return Files{}, fmt.Errorf("demo: %w", err)
	}
	w, err := newWorld(geo, opts)
	if err != nil {
		return Files{}, err
	}
	files := Files{
		EVE:          filepath.Join(opts.Dir, "eve.json"),
		Feodo:        filepath.Join(opts.Dir, "ipblocklist.csv"),
		Shadowserver: []string{filepath.Join(opts.Dir, "2026-10-31-event4_sinkhole_http-"+lower(opts.Home)+"-geo.csv"), filepath.Join(opts.Dir, "2026-10-31-scan_rdp-"+lower(opts.Home)+"-geo.csv")},
		TorExits:     filepath.Join(opts.Dir, "exit-addresses"),
		Hosting:      filepath.Join(opts.Dir, "hosting.txt"),
	}
	for _, job := range []struct {
		path  string
		write func(*bufio.Writer) error
	}{
		{files.Feodo, w.writeFeodo},
		{files.EVE, w.writeEVE},
		{files.Shadowserver[0], w.writeSinkhole},
		{files.Shadowserver[1], w.writeScanRDP},
		{files.TorExits, w.writeTorExits},
		{files.Hosting, w.writeHosting},
	} {
		if err := writeFile(job.path, job.write); err != nil {
			return files, err
		}
	}
	return files, nil
}

func writeFile(path string, write func(*bufio.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		f.Close()
		return fmt.Errorf("demo: write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("demo: write %s: %w", path, err)
	}
	return f.Close()
}

// world is the cast of the demo: the home network, the C&C servers, the
// scanners (some behind Tor exits or in hosting networks), the sinkholes.
type world struct {
	opts     Options
	rng      *rand.Rand
	home     []netip.Addr // monitored hosts
	infected []netip.Addr // the subset that is infected
	resolver netip.Addr
	c2       []c2Server
	scanners []netip.Addr
	torExits []netip.Addr
	hosting  []netip.Prefix
	sinkhole []netip.Addr
	servers  []netip.Addr // ordinary foreign servers people visit
}

type c2Server struct {
	ip     netip.Addr
	port   int
	family string
	first  time.Time
	last   time.Time
}

// families are the Feodo Tracker families, with the ports their C&C
// servers commonly listen on.
var families = []struct {
	name  string
	ports []int
}{
	{"QakBot", []int{443, 995, 2222, 32101}},
	{"Emotet", []int{443, 8080, 7080}},
	{"Dridex", []int{443, 3389, 691}},
	{"TrickBot", []int{443, 449, 451}},
	{"BumbleBee", []int{443}},
	{"Pikabot", []int{1194, 2078, 2222, 13785}},
	{"IcedID", []int{443}},
}

// c2Countries weights where C&C servers are hosted, after the shape of
// published statistics: a long tail led by large hosting markets.
var c2Countries = []struct {
	cc string
	w  int
}{
	{"US", 28}, {"NL", 10}, {"DE", 9}, {"RU", 8}, {"FR", 6}, {"GB", 5}, {"SG", 4}, {"HK", 4},
	{"CN", 4}, {"UA", 3}, {"BG", 3}, {"RO", 3}, {"CA", 3}, {"JP", 2}, {"BR", 2}, {"IN", 2},
	{"TR", 2}, {"VN", 1}, {"MD", 1}, {"SE", 1}, {"LT", 1}, {"TW", 1}, {"KR", 1},
}

var scannerCountries = []string{"CN", "US", "RU", "NL", "DE", "BR", "IN", "VN", "KR", "GB", "FR", "TW", "IR", "HK", "SG", "UA", "BG"}

func newWorld(geo *ipdb.DB, opts Options) (*world, error) {
	w := &world{opts: opts, rng: rand.New(rand.NewPCG(opts.Seed, 0x636f6e636f7264))}
	pools := countryPools(geo)
	pick := func(cc string) netip.Addr {
		p := pools[cc]
		if len(p) == 0 {
			return netip.Addr{}
		}
		r := p[w.rng.IntN(len(p))]
		span := r.size
		return addOffset(r.lo, uint32(1+w.rng.IntN(int(max(span-2, 1)))))
	}
	if len(pools[opts.Home]) == 0 {
		return nil, fmt.Errorf("demo: the IP database has no IPv4 ranges for home country %q", opts.Home)
	}
	// Populations grow with the volume asked for, roughly as a national
	// sensor network's do: more traffic, more hosts, scanners and servers.
	nHome := 600 + opts.EVE/500
	nScanners := 400 + opts.EVE/50
	nC2 := 240 + opts.EVE/2000
	// The monitored network: hosts in the home country's networks.
	for range nHome {
		w.home = append(w.home, pick(opts.Home))
	}
	w.resolver = pick(opts.Home)
	w.infected = w.home[:nHome*15/100]
	total := 0
	for _, c := range c2Countries {
		total += c.w
	}
	for i := range nC2 {
		n := w.rng.IntN(total)
		cc := c2Countries[0].cc
		for _, c := range c2Countries {
			if n < c.w {
				cc = c.cc
				break
			}
			n -= c.w
		}
		ip := pick(cc)
		if !ip.IsValid() {
			continue
		}
		f := families[i%len(families)]
		first := opts.Start.AddDate(0, 0, -w.rng.IntN(120))
		last := opts.Start.AddDate(0, 0, w.rng.IntN(opts.Days))
		w.c2 = append(w.c2, c2Server{ip: ip, port: f.ports[w.rng.IntN(len(f.ports))], family: f.name, first: first, last: last})
	}
	for i := range nScanners {
		ip := pick(scannerCountries[i%len(scannerCountries)])
		if ip.IsValid() {
			w.scanners = append(w.scanners, ip)
		}
	}
	// A fifth of the scanners are Tor exits, as in real honeypot data.
	for i := 0; i < len(w.scanners); i += 5 {
		w.torExits = append(w.torExits, w.scanners[i])
	}
	// Some C&C servers and scanners sit in hosting networks.
	for i := 0; i < len(w.c2); i += 3 {
		w.hosting = append(w.hosting, netip.PrefixFrom(w.c2[i].ip, 24).Masked())
	}
	for i := 1; i < len(w.scanners); i += 7 {
		w.hosting = append(w.hosting, netip.PrefixFrom(w.scanners[i], 24).Masked())
	}
	for range 4 {
		w.sinkhole = append(w.sinkhole, pick("US"))
	}
	for range 300 + opts.EVE/1000 {
		w.servers = append(w.servers, pick([]string{"US", "US", "DE", "NL", "IE", "FR", opts.Home, opts.Home}[w.rng.IntN(8)]))
	}
	return w, nil
}

// v4range is an IPv4 range of one country in the IP database.
type v4range struct {
	lo   netip.Addr
	size uint32
}

// countryPools groups the database's IPv4 ranges of at least a /24 that
// have an AS by country, in a deterministic order.
func countryPools(geo *ipdb.DB) map[string][]v4range {
	pools := map[string][]v4range{}
	for r := range geo.Ranges() {
		if !r.Lo.Is4() || r.Result.CC == "" || r.Result.ASN == 0 {
			continue
		}
		lo, hi := r.Lo.As4(), r.Hi.As4()
		size := be32(hi) - be32(lo) + 1
		if size < 256 {
			continue
		}
		pools[r.Result.CC] = append(pools[r.Result.CC], v4range{r.Lo, size})
	}
	for _, p := range pools {
		sort.Slice(p, func(i, j int) bool { return p[i].lo.Less(p[j].lo) })
	}
	return pools
}

func be32(b [4]byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func addOffset(a netip.Addr, off uint32) netip.Addr {
	v := be32(a.As4()) + off
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// when returns a random moment in the period, denser in working hours.
func (w *world) when() time.Time { return w.whenOn(w.rng.IntN(w.opts.Days)) }

// whenOn returns a random moment of the period's day-th day.
func (w *world) whenOn(day int) time.Time {
	sec := w.rng.IntN(86400)
	if w.rng.IntN(3) > 0 {
		sec = 7*3600 + w.rng.IntN(12*3600)
	}
	return w.opts.Start.Add(time.Duration(day)*24*time.Hour + time.Duration(sec)*time.Second + time.Duration(w.rng.IntN(1e6))*time.Microsecond)
}

func (w *world) pickAddr(list []netip.Addr) netip.Addr { return list[w.rng.IntN(len(list))] }

func (w *world) ephemeral() int { return 49152 + w.rng.IntN(16383) }

// appendTime writes t as Suricata does: microseconds and "+0000".
func appendTime(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000-0700")
}
