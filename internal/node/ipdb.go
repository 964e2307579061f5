package node

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/ipdb"
)

// IPDBInfo describes an IP database, as `concord ipdb info --json` and the
// admin data page show it.
type IPDBInfo struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Version     string `json:"version"`
	Description string `json:"description"`
	Attribution string `json:"attribution"`
	Built       string `json:"built,omitempty"`
	Ranges4     int    `json:"ranges_ipv4"`
	Ranges6     int    `json:"ranges_ipv6"`
	ASNs        int    `json:"asns"`
	Country     bool   `json:"country"`
	ASN         bool   `json:"asn"`
	Source      string `json:"source"`
}

// DescribeIPDB returns what db is; source says where it comes from.
func DescribeIPDB(db *ipdb.DB, source string) IPDBInfo {
	in := db.Info()
	out := IPDBInfo{ID: db.ID(), Name: in.Name, Version: in.Version, Description: in.Description, Attribution: in.Attribution,
		Ranges4: in.Ranges4, Ranges6: in.Ranges6, ASNs: in.ASNs, Country: in.HasCountry, ASN: in.HasASN, Source: source}
	if !in.Built.IsZero() {
		out.Built = in.Built.UTC().Format(time.DateOnly)
	}
	return out
}

// ParseIPDB reads an IP database file named file: MaxMind-format .mmdb
// (GeoLite2, DB-IP, IPinfo), recognised by its metadata marker, or CSV
// ranges (start,end,CC | start,end,ASN,name | CIDR,CC | CIDR,ASN,name).
// name and version label a CSV file; name defaults to the file name
// without its extension.
func ParseIPDB(data []byte, file, name, version string) (*ipdb.DB, error) {
	if bytes.Contains(data[max(0, len(data)-128*1024):], []byte("\xab\xcd\xefMaxMind.com")) {
		return ipdb.LoadMMDB(data, filepath.Base(file))
	}
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	return ipdb.LoadCSV(bytes.NewReader(data), name, version)
}

// ActivateIPDB lays each loaded database over the one s enriches with — a
// country-only or AS-only file replaces that half and keeps the other —
// stores the result and makes it the database new events are enriched
// with. Events already stored keep the database that enriched them.
func (s *Session) ActivateIPDB(ctx context.Context, loaded ...*ipdb.DB) (*ipdb.DB, error) {
	merged := s.Geo
	for _, db := range loaded {
		merged = ipdb.Overlay(merged, db)
	}
	var buf bytes.Buffer
	if err := merged.Encode(&buf); err != nil {
		return nil, err
	}
	id, err := s.St.RegisterIPDB(ctx, merged.ID(), buf.Bytes(), true)
	if err != nil {
		return nil, err
	}
	s.Geo, s.GeoID = merged, id
	return merged, nil
}
