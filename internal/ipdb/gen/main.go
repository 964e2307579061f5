// Command gen builds data/default.cipdb, the IP database embedded in
// Concord, from two ip-location-db npm packages pinned to one version:
//
//	@ip-location-db/geo-whois-asn-country  IP → country (GeoFeed, RIR whois, RIR ASN)
//	@ip-location-db/asn                    IP → ASN and AS name (RouteViews, RIR, DB-IP)
//
// It runs "npm pack" for both into a temporary directory, checks the
// tarballs against their pinned npm integrity hashes, reads the CSV files
// straight out of them, and writes one merged range table in the cipdb
// format. Run it from internal/ipdb with "go generate", or as
//
//	go run ./internal/ipdb/gen -out internal/ipdb/data/default.cipdb
//
// With -dir it reads the packages from a directory instead: either the
// tarballs as npm pack names them, or directories holding their unpacked
// contents (<tarball name without .tgz>/package/...).
//
// The output depends only on the packages' contents (and the Go release's
// compress/flate): the build time recorded is the one in the version.
//
// Findings about the data that shape the format (2.3.2026061719):
//   - IPv6 range boundaries are not all /64-aligned: 183 of 103,197 ASN
//     ranges and 8,231 of 216,295 country ranges start or end inside a /64,
//     so the format keeps all 128 bits of IPv6 starts.
//   - Ranges overlap within one file: 6,825 IPv4 and 703 IPv6 country
//     ranges lie inside a wider one (geofeed detail within a whois
//     allocation), and two IPv4 ASN ranges overlap partly. The package's
//     Builder rejects overlaps, so gen resolves them first: the narrowest
//     range wins, and of equally wide ones the later row.
//   - Every ASN has a single AS name throughout both address families.
package main

import (
	"archive/tar"
	"bytes"
	"cmp"
	"compress/gzip"
	"container/heap"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/ipdb"
)

// version is the ip-location-db release both packages are pinned to. Its
// last part is the UTC build hour, YYYYMMDDHH.
const version = "2.3.2026061719"

type pkg struct {
	name      string // npm package name
	integrity string // npm "integrity" of the tarball at version
	v4, v6    string // the CSV files used
	country   bool   // country data, else ASN data
}

var (
	countryPkg = pkg{
		name:      "@ip-location-db/geo-whois-asn-country",
		integrity: "sha512-9MQ3r2q+GDLwW+Mye5duWnHe3n1qB1ZcNUcM9P58CpdW86Gt44AgfIrem6Pcy/tbCHhQ70RJCLngQQyYnaEjbw==",
		v4:        "geo-whois-asn-country-ipv4-num.csv",
		v6:        "geo-whois-asn-country-ipv6.csv",
		country:   true,
	}
	asnPkg = pkg{
		name:      "@ip-location-db/asn",
		integrity: "sha512-PpqYi7wyEyWwunXBtl+y3Vi403SvNywotWwvmiYCOUtE0SVol/Sf492Ee+eErEznmGapxEQB2SAfrpXuZ9a+vQ==",
		v4:        "asn-ipv4-num.csv",
		v6:        "asn-ipv6.csv",
	}
)

// tarball is the file name npm pack gives the package's tarball.
func (p pkg) tarball() string {
	return strings.ReplaceAll(strings.TrimPrefix(p.name, "@"), "/", "-") + "-" + version + ".tgz"
}

// Description and Attribution recorded in the file's header.
const (
	description = "IP to country from " + "@ip-location-db/geo-whois-asn-country@" + version +
		" (GeoFeed, RIR whois and RIR ASN data) and IP to ASN and AS name from " +
		"@ip-location-db/asn@" + version + " (RouteViews, RIR and DB-IP data), " +
		"merged into one range table by Concord (internal/ipdb/gen)."
	attribution = "Contains ip-location-db data (https://github.com/sapics/ip-location-db) by sapics, " +
		"packages @ip-location-db/geo-whois-asn-country and @ip-location-db/asn, version " + version + ", " +
		"licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). " +
		"It is derived from: statistics and WHOIS data of the Number Resource Organization " +
		"(NRO, https://www.nro.net/), CC BY 4.0; the IP to AS number data of RouteViews " +
		"(https://www.routeviews.org/), CC BY 4.0; and the IP to ASN Lite database of DB-IP, " +
		"CC BY 4.0: IP Geolocation by DB-IP (https://db-ip.com). " +
		"Modified by Concord: the country and ASN tables were merged into one range table, " +
		"and overlapping source ranges were resolved in favour of the narrower range."
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("ipdb/gen: ")
	out := flag.String("out", "data/default.cipdb", "output `file`")
	dir := flag.String("dir", "", "read the packages from `dir` (tarballs or unpacked) instead of running npm pack")
	flag.Parse()
	if err := run(*out, *dir); err != nil {
		log.Fatal(err)
	}
}

func run(out, dir string) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "ipdb-gen-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		for _, p := range []pkg{countryPkg, asnPkg} {
			cmd := exec.Command("npm", "pack", "--silent", "--pack-destination", tmp, p.name+"@"+version)
			cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("npm pack %s@%s: %w", p.name, version, err)
			}
		}
		dir = tmp
	}

	built, err := time.Parse("2006010215", version[strings.LastIndexByte(version, '.')+1:])
	if err != nil {
		return fmt.Errorf("version %s: %w", version, err)
	}
	var b ipdb.Builder
	for _, p := range []pkg{countryPkg, asnPkg} {
		files, err := readPackage(dir, p)
		if err != nil {
			return err
		}
		for _, f := range []string{p.v4, p.v6} {
			rows, err := parseCSV(f, files[f], p.country)
			if err != nil {
				return err
			}
			reportAlignment(f, rows)
			rows, n := resolveOverlaps(rows)
			if n > 0 {
				log.Printf("%s: %d overlapping ranges resolved (narrowest wins)", f, n)
			}
			for _, r := range rows {
				if p.country {
					err = b.AddCountry(r.first.addr(), r.last.addr(), r.cc)
				} else {
					err = b.AddASN(r.first.addr(), r.last.addr(), r.asn, r.name)
				}
				if err != nil {
					return fmt.Errorf("%s: %w", f, err)
				}
			}
		}
	}
	db, err := b.Build(ipdb.Info{
		Name:        "ip-location-db",
		Version:     version,
		Description: description,
		Attribution: attribution,
		Built:       built,
	})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := db.Encode(&buf); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	in := db.Info()
	log.Printf("wrote %s: %d bytes, %s, %d IPv4 ranges, %d IPv6 ranges, %d ASNs",
		out, buf.Len(), db.ID(), in.Ranges4, in.Ranges6, in.ASNs)
	return nil
}

// readPackage returns the contents of the package's CSV files, from its
// tarball (checked against the pinned integrity) or an unpacked copy.
func readPackage(dir string, p pkg) (map[string][]byte, error) {
	want := []string{p.v4, p.v6}
	tgz := filepath.Join(dir, p.tarball())
	raw, err := os.ReadFile(tgz)
	if errors.Is(err, os.ErrNotExist) {
		unpacked := filepath.Join(dir, strings.TrimSuffix(p.tarball(), ".tgz"), "package")
		log.Printf("%s not found; reading unpacked files from %s (integrity not checked)", tgz, unpacked)
		files := make(map[string][]byte)
		for _, f := range want {
			b, err := os.ReadFile(filepath.Join(unpacked, f))
			if err != nil {
				return nil, err
			}
			files[f] = b
		}
		return files, nil
	}
	if err != nil {
		return nil, err
	}
	sum := sha512.Sum512(raw)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != p.integrity {
		return nil, fmt.Errorf("%s: integrity %s, want %s", tgz, got, p.integrity)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tgz, err)
	}
	files := make(map[string][]byte)
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tgz, err)
		}
		name := strings.TrimPrefix(h.Name, "package/")
		if slices.Contains(want, name) {
			if files[name], err = io.ReadAll(tr); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", tgz, name, err)
			}
		}
	}
	for _, f := range want {
		if files[f] == nil {
			return nil, fmt.Errorf("%s: no package/%s", tgz, f)
		}
	}
	return files, nil
}

// num is an address as a 128-bit number; IPv4 addresses use lo only and
// keep v4 set.
type num struct {
	hi, lo uint64
	v4     bool
}

func (a num) cmp(b num) int {
	if c := cmp.Compare(a.hi, b.hi); c != 0 {
		return c
	}
	return cmp.Compare(a.lo, b.lo)
}

func (a num) next() num {
	a.lo++
	if a.lo == 0 {
		a.hi++
	}
	return a
}

func (a num) prev() num {
	if a.lo == 0 {
		a.hi--
	}
	a.lo--
	return a
}

// sub returns a-b, for range sizes.
func (a num) sub(b num) num {
	lo := a.lo - b.lo
	borrow := uint64(0)
	if a.lo < b.lo {
		borrow = 1
	}
	return num{a.hi - b.hi - borrow, lo, a.v4}
}

func (a num) addr() netip.Addr {
	if a.v4 {
		return netip.AddrFrom4([4]byte{byte(a.lo >> 24), byte(a.lo >> 16), byte(a.lo >> 8), byte(a.lo)})
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], a.hi)
	binary.BigEndian.PutUint64(b[8:], a.lo)
	return netip.AddrFrom16(b)
}

func (a num) isMax() bool {
	if a.v4 {
		return a.lo == 0xffffffff
	}
	return a.hi == ^uint64(0) && a.lo == ^uint64(0)
}

type row struct {
	first, last num
	cc          string
	asn         uint32
	name        string
	seq         int // input order
}

func (r row) sameValue(o row) bool { return r.cc == o.cc && r.asn == o.asn && r.name == o.name }

// parseCSV reads start,end,value[,name] rows; starts and ends are decimal
// numbers in -num files (IPv4) and IPv6 text otherwise.
func parseCSV(file string, data []byte, country bool) ([]row, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var rows []row
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		line, _ := cr.FieldPos(0)
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: %s", file, line, fmt.Sprintf(format, args...))
		}
		want := 4
		if country {
			want = 3
		}
		if len(rec) != want {
			return nil, bad("%d fields, want %d", len(rec), want)
		}
		var r row
		r.seq = len(rows)
		if r.first, err = parseNum(rec[0]); err != nil {
			return nil, bad("%v", err)
		}
		if r.last, err = parseNum(rec[1]); err != nil {
			return nil, bad("%v", err)
		}
		if r.first.v4 != r.last.v4 || r.last.cmp(r.first) < 0 {
			return nil, bad("bad range %s-%s", rec[0], rec[1])
		}
		if country {
			r.cc = rec[2]
		} else {
			a, err := strconv.ParseUint(rec[2], 10, 32)
			if err != nil || a == 0 {
				return nil, bad("bad ASN %q", rec[2])
			}
			r.asn, r.name = uint32(a), rec[3]
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func parseNum(s string) (num, error) {
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return num{lo: n, v4: true}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return num{}, err
	}
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		return num{lo: uint64(binary.BigEndian.Uint32(b[:])), v4: true}, nil
	}
	b := a.As16()
	return num{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:]), false}, nil
}

// reportAlignment logs how many IPv6 ranges do not start and end on /64
// boundaries.
func reportAlignment(file string, rows []row) {
	n, v6 := 0, 0
	for _, r := range rows {
		if r.first.v4 {
			continue
		}
		v6++
		if r.first.lo != 0 || r.last.lo != ^uint64(0) {
			n++
		}
	}
	if v6 > 0 {
		log.Printf("%s: %d of %d IPv6 ranges are not /64-aligned", file, n, v6)
	}
}

// resolveOverlaps returns rows without overlaps: where rows overlap, the
// narrowest wins, and of equally wide ones the later. It also returns how
// many rows overlapped an earlier one.
func resolveOverlaps(rows []row) ([]row, int) {
	slices.SortStableFunc(rows, func(a, b row) int { return a.first.cmp(b.first) })
	overlaps := 0
	var reach num
	for i, r := range rows {
		if i > 0 && r.first.cmp(reach) <= 0 {
			overlaps++
		}
		if i == 0 || r.last.cmp(reach) > 0 {
			reach = r.last
		}
	}
	if overlaps == 0 {
		return rows, 0
	}

	// Sweep over every boundary, keeping the rows that hold the current
	// point in a heap ordered by preference.
	var bounds []num
	for _, r := range rows {
		bounds = append(bounds, r.first)
		if !r.last.isMax() {
			bounds = append(bounds, r.last.next())
		}
	}
	slices.SortFunc(bounds, num.cmp)
	bounds = slices.CompactFunc(bounds, func(a, b num) bool { return a.cmp(b) == 0 })

	var out []row
	h := &active{}
	next := 0
	for k, b := range bounds {
		for next < len(rows) && rows[next].first.cmp(b) == 0 {
			heap.Push(h, rows[next])
			next++
		}
		for h.Len() > 0 && (*h)[0].last.cmp(b) < 0 {
			heap.Pop(h)
		}
		if h.Len() == 0 {
			continue
		}
		w := (*h)[0]
		end := w.last
		if k+1 < len(bounds) && bounds[k+1].prev().cmp(end) < 0 {
			end = bounds[k+1].prev()
		}
		piece := w
		piece.first, piece.last = b, end
		if n := len(out); n > 0 && out[n-1].sameValue(piece) && out[n-1].last.next().cmp(b) == 0 {
			out[n-1].last = end
			continue
		}
		out = append(out, piece)
	}
	return out, overlaps
}

// active is a heap of rows: narrowest first, then latest in the input.
type active []row

func (h active) Len() int { return len(h) }
func (h active) Less(i, j int) bool {
	if c := h[i].last.sub(h[i].first).cmp(h[j].last.sub(h[j].first)); c != 0 {
		return c < 0
	}
	return h[i].seq > h[j].seq
}
func (h active) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *active) Push(x any)   { *h = append(*h, x.(row)) }
func (h *active) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
