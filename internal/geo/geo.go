// Package geo answers where an IP address is and who runs its network, from MaxMind-format
// .mmdb files (GeoLite2 Country/City/ASN, DB-IP Lite, IPinfo Lite, IPtoASN conversions), flags
// VPN and hosting networks from an extendable list, geocodes a claimed location with an
// offline table of cities, and resolves the HTTP client address behind trusted proxies.
//
// Every lookup says when it could not be done and why; callers report "unknown", never a pass.
package geo

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Config names the databases to open. Empty paths are allowed: lookups needing them report
// why they could not be done.
type Config struct {
	CountryDB string // GeoLite2-Country, DB-IP Country Lite, IPinfo Lite, ...
	CityDB    string // GeoLite2-City, DB-IP City Lite (also answers country lookups)
	ASNDB     string // GeoLite2-ASN, DB-IP ASN Lite, IPinfo Lite, IPtoASN
	// More lists further files by kind: the installed default data (Resolve), where DB-IP
	// City Lite comes as one IPv4 and one IPv6 file.
	More []File
}

// Kind says what a database file answers.
type Kind string

// Kinds of database files. A city file answers country lookups too.
const (
	KindCountry Kind = "country"
	KindCity    Kind = "city"
	KindASN     Kind = "asn"
)

// File is one database file and what it answers.
type File struct {
	Kind Kind   `json:"kind"`
	Path string `json:"path"`
}

// Files returns every file cfg names, configured ones first.
func (cfg Config) Files() []File {
	var out []File
	for _, f := range []File{{KindCountry, cfg.CountryDB}, {KindCity, cfg.CityDB}, {KindASN, cfg.ASNDB}} {
		if f.Path != "" {
			out = append(out, f)
		}
	}
	return append(out, cfg.More...)
}

// DB holds the opened databases. A nil *DB or a DB without files is valid and answers
// every lookup with a reason.
type DB struct {
	country, city, asn []*maxminddb.Reader
}

// Open opens the databases named in cfg.
func Open(cfg Config) (*DB, error) {
	db := &DB{}
	for _, f := range cfg.Files() {
		r, err := maxminddb.Open(f.Path)
		if err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("geo: open %s: %w", f.Path, err)
		}
		db.add(f.Kind, r)
	}
	return db, nil
}

// OpenBytes is Open for databases already in memory (tests); nil slices are skipped.
func OpenBytes(country, city, asn []byte) (*DB, error) {
	db := &DB{}
	for _, f := range []struct {
		b    []byte
		kind Kind
	}{{country, KindCountry}, {city, KindCity}, {asn, KindASN}} {
		if f.b == nil {
			continue
		}
		r, err := maxminddb.OpenBytes(f.b)
		if err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("geo: open database: %w", err)
		}
		db.add(f.kind, r)
	}
	return db, nil
}

func (db *DB) add(k Kind, r *maxminddb.Reader) {
	switch k {
	case KindCity:
		db.city = append(db.city, r)
	case KindASN:
		db.asn = append(db.asn, r)
	default:
		db.country = append(db.country, r)
	}
}

// all returns every reader, cities first: their coordinates and names are the richest.
func (db *DB) all() []*maxminddb.Reader {
	if db == nil {
		return nil
	}
	out := append([]*maxminddb.Reader(nil), db.city...)
	out = append(out, db.country...)
	return append(out, db.asn...)
}

// Empty reports whether no database is open: every lookup will say why it could not be done.
func (db *DB) Empty() bool { return len(db.all()) == 0 }

// HasCountry reports whether a database answering country lookups (country or city) is open.
func (db *DB) HasCountry() bool { return db != nil && len(db.city)+len(db.country) > 0 }

// HasASN reports whether an ASN database is open.
func (db *DB) HasASN() bool { return db != nil && len(db.asn) > 0 }

// HasCity reports whether a city database is open.
func (db *DB) HasCity() bool { return db != nil && len(db.city) > 0 }

// Close closes the databases.
func (db *DB) Close() error {
	var errs []error
	for _, r := range db.all() {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}

// Info is what the databases say about one address. Empty fields were not found; the
// reasons say why.
type Info struct {
	Addr      netip.Addr
	Country   string // ISO 3166-1 alpha-2, upper case
	City      string
	Lat, Lon  float64
	HasCoords bool
	ASN       uint32
	ASOrg     string
	// CountryWhy and ASNWhy explain an empty Country or ASN.
	CountryWhy, ASNWhy string
}

// Lookup looks up addr in every configured database.
func (db *DB) Lookup(addr netip.Addr) Info {
	addr = addr.Unmap()
	in := Info{Addr: addr}
	if !db.Routable(addr) {
		in.CountryWhy = addr.String() + " is a private, loopback or reserved address"
		in.ASNWhy = in.CountryWhy
		return in
	}
	in.CountryWhy = "no country database is configured (geo.country_db or geo.city_db) and none is installed (integritybot geo update)"
	in.ASNWhy = "no ASN database is configured (geo.asn_db) and none is installed (integritybot geo update)"
	for _, r := range db.all() {
		var rec map[string]any
		res := r.Lookup(addr)
		if err := res.Decode(&rec); err != nil {
			continue
		}
		db.fill(&in, rec)
	}
	if in.Country != "" {
		in.CountryWhy = ""
	} else if db.HasCountry() {
		in.CountryWhy = "the country database has no entry for " + addr.String()
	}
	if in.ASN != 0 {
		in.ASNWhy = ""
	} else if db.HasASN() {
		in.ASNWhy = "the ASN database has no entry for " + addr.String()
	}
	return in
}

// fill copies what rec knows into in, without overwriting what an earlier database said. It
// understands the MaxMind/DB-IP layout (country.iso_code, location.latitude,
// autonomous_system_number), IPinfo Lite's flat one (country_code, asn "AS123", as_name) and
// ip-location-db's flat one (country_code, city, latitude, longitude).
func (db *DB) fill(in *Info, rec map[string]any) {
	if in.Country == "" {
		for _, c := range []string{str(rec, "country", "iso_code"), str(rec, "country_code"), str(rec, "registered_country", "iso_code")} {
			if len(c) == 2 {
				in.Country = strings.ToUpper(c)
				break
			}
		}
	}
	if in.City == "" {
		in.City = str(rec, "city", "names", "en")
		if in.City == "" {
			in.City = str(rec, "city")
		}
	}
	if !in.HasCoords {
		lat, ok1 := num(rec, "location", "latitude")
		lon, ok2 := num(rec, "location", "longitude")
		if !ok1 || !ok2 {
			lat, ok1 = num(rec, "latitude")
			lon, ok2 = num(rec, "longitude")
		}
		if ok1 && ok2 {
			in.Lat, in.Lon, in.HasCoords = lat, lon, true
		}
	}
	if in.ASN == 0 {
		if n, ok := num(rec, "autonomous_system_number"); ok && n > 0 {
			in.ASN = uint32(n)
		} else if s := str(rec, "asn"); s != "" {
			if v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToUpper(s), "AS"), 10, 32); err == nil {
				in.ASN = uint32(v)
			}
		}
	}
	if in.ASOrg == "" {
		in.ASOrg = str(rec, "autonomous_system_organization")
		if in.ASOrg == "" {
			in.ASOrg = str(rec, "as_name")
		}
	}
}

func get(rec map[string]any, path ...string) any {
	var v any = rec
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(rec map[string]any, path ...string) string {
	s, _ := get(rec, path...).(string)
	return s
}

func num(rec map[string]any, path ...string) (float64, bool) {
	switch v := get(rec, path...).(type) {
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case uint64:
		return float64(v), true
	case uint32:
		return float64(v), true
	case uint16:
		return float64(v), true
	case int:
		return float64(v), true
	case int32:
		return float64(v), true
	case int64:
		return float64(v), true
	}
	return 0, false
}

// documentation ranges (RFC 5737, RFC 3849) are reserved; they count as routable only where a
// configured database has an entry for them, so tests can use them like real addresses while
// a machine that happens to use them locally is not looked up.
var documentation = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32"),
}

// cgnat is the shared address space of carrier-grade NAT (RFC 6598).
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// IsPublic reports whether addr is a globally routed unicast address (not private, loopback,
// link-local, carrier-grade NAT or documentation).
func IsPublic(addr netip.Addr) bool {
	addr = addr.Unmap()
	if !addr.IsValid() || isDocumentation(addr) {
		return false
	}
	return addr.IsGlobalUnicast() && !addr.IsPrivate() && !cgnat.Contains(addr)
}

// Routable reports whether addr says something about location: a public address, or a
// documentation address that a configured database has an entry for (test databases).
func (db *DB) Routable(addr netip.Addr) bool {
	addr = addr.Unmap()
	if IsPublic(addr) {
		return true
	}
	if !isDocumentation(addr) {
		return false
	}
	for _, r := range db.all() {
		if r.Lookup(addr).Found() {
			return true
		}
	}
	return false
}

func isDocumentation(addr netip.Addr) bool {
	for _, p := range documentation {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
