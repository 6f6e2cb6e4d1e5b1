package geo_test

import (
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/geo"
	"github.com/integritybot/integritybot/internal/geo/geotest"
)

func TestLookup(t *testing.T) {
	mm, err := geo.OpenBytes(nil, geotest.MaxMind(t, geotest.Default), geotest.MaxMind(t, geotest.Default))
	if err != nil {
		t.Fatal(err)
	}
	defer mm.Close()
	ipinfo, err := geo.OpenBytes(geotest.IPinfoLite(t, geotest.Default), nil, geotest.IPinfoLite(t, geotest.Default))
	if err != nil {
		t.Fatal(err)
	}
	defer ipinfo.Close()
	cases := []struct {
		name    string
		db      *geo.DB
		addr    string
		country string
		asn     uint32
		why     string
	}{
		{"maxmind v4", mm, "192.0.2.7", "KR", 64500, ""},
		{"maxmind aws", mm, "198.51.100.9", "US", 16509, ""},
		{"maxmind v6", mm, "2001:db8::1", "JP", 64502, ""},
		{"v4-mapped", mm, "::ffff:203.0.113.5", "US", 64501, ""},
		{"ipinfo layout", ipinfo, "192.0.2.7", "KR", 64500, ""},
		{"not in db", mm, "8.8.8.8", "", 0, "has no entry"},
		{"private", mm, "10.1.2.3", "", 0, "private"},
		{"loopback", mm, "127.0.0.1", "", 0, "private"},
		{"no db", nil, "8.8.8.8", "", 0, "no country database is configured"},
		{"documentation range unknown to the db", nil, "192.0.2.7", "", 0, "private, loopback or reserved"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.db.Lookup(netip.MustParseAddr(tc.addr))
			if in.Country != tc.country || in.ASN != tc.asn {
				t.Fatalf("Lookup(%s) = %s AS%d, want %s AS%d (%+v)", tc.addr, in.Country, in.ASN, tc.country, tc.asn, in)
			}
			if tc.why != "" && !strings.Contains(in.CountryWhy, tc.why) {
				t.Fatalf("CountryWhy = %q, want it to say %q", in.CountryWhy, tc.why)
			}
			if tc.why == "" && (in.CountryWhy != "" || in.ASNWhy != "") {
				t.Fatalf("reasons %q %q for a found address", in.CountryWhy, in.ASNWhy)
			}
		})
	}
	if in := mm.Lookup(netip.MustParseAddr("192.0.2.7")); !in.HasCoords || in.ASOrg != "Example Korea Telecom" {
		t.Errorf("city fields: %+v", in)
	}
}

func TestOpenMissingFile(t *testing.T) {
	if _, err := geo.Open(geo.Config{ASNDB: "/nonexistent/GeoLite2-ASN.mmdb"}); err == nil || !strings.Contains(err.Error(), "GeoLite2-ASN.mmdb") {
		t.Fatalf("err = %v, want one naming the file", err)
	}
	db, err := geo.Open(geo.Config{})
	if err != nil || db.Close() != nil {
		t.Fatalf("empty config: %v", err)
	}
}

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}
	cases := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct", "192.0.2.7:5000", nil, "192.0.2.7"},
		{"untrusted peer's header ignored", "192.0.2.7:5000", []string{"198.51.100.1"}, "192.0.2.7"},
		{"trusted proxy", "10.0.0.2:443", []string{"198.51.100.1"}, "198.51.100.1"},
		{"spoofed left entries ignored", "10.0.0.2:443", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"proxy chain", "127.0.0.1:443", []string{"203.0.113.9", "10.0.0.5"}, "203.0.113.9"},
		{"all trusted", "10.0.0.2:443", []string{"10.0.0.9"}, "10.0.0.9"},
		{"malformed hop", "10.0.0.2:443", []string{"garbage"}, "10.0.0.2"},
		{"ipv6", "[2001:db8::5]:443", nil, "2001:db8::5"},
		{"mapped", "[::ffff:192.0.2.7]:443", nil, "192.0.2.7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := geo.ClientAddr(tc.remote, tc.xff, trusted); got.String() != tc.want {
				t.Fatalf("ClientAddr = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestHosting(t *testing.T) {
	h, err := geo.LoadHosting()
	if err != nil {
		t.Fatal(err)
	}
	for _, asn := range []uint32{16509, 14618, 15169, 396982, 8075, 14061, 16276, 24940, 63949, 20473, 9009, 212238, 13335} {
		if _, ok := h.Match(netip.Addr{}, asn); !ok {
			t.Errorf("AS%d is not in the default list", asn)
		}
	}
	if _, ok := h.Match(netip.MustParseAddr("192.0.2.1"), 64500); ok {
		t.Error("an ISP matched")
	}
	if err := h.Parse(strings.NewReader("# mine\n203.0.113.0/25 Example VPN exit\nAS64501 Example hosting\n"), "extra"); err != nil {
		t.Fatal(err)
	}
	if l, ok := h.Match(netip.MustParseAddr("203.0.113.10"), 0); !ok || l != "Example VPN exit" {
		t.Errorf("range: %q %v", l, ok)
	}
	if _, ok := h.Match(netip.MustParseAddr("::ffff:203.0.113.10"), 0); !ok {
		t.Error("v4-mapped address missed the range")
	}
	if _, ok := h.Match(netip.MustParseAddr("203.0.113.200"), 64501); !ok {
		t.Error("AS from the extra file missed")
	}
	if err := h.Parse(strings.NewReader("ASx bad\n"), "bad"); err == nil || !strings.Contains(err.Error(), "bad:1") {
		t.Errorf("bad AS: %v", err)
	}
	if err := h.Parse(strings.NewReader("\n\nnot-a-cidr x\n"), "bad"); err == nil || !strings.Contains(err.Error(), "bad:3") {
		t.Errorf("bad CIDR: %v", err)
	}
	if _, err := geo.LoadHosting("/nonexistent/vpn.txt"); err == nil {
		t.Error("missing file accepted")
	}
}

func TestGeocode(t *testing.T) {
	g := geo.NewGazetteer()
	cases := []struct {
		in, city, country, region string
		point                     bool
	}{
		{"Austin, TX", "Austin", "US", "TX", true},
		{"austin, texas, USA", "Austin", "US", "TX", true},
		{"Los Angeles, CA", "Los Angeles", "US", "CA", true},
		{"Toronto, CA", "Toronto", "CA", "ON", true},
		{"Birmingham, UK", "Birmingham", "GB", "", true},
		{"Birmingham, AL", "Birmingham", "US", "AL", true},
		{"São Paulo", "Sao Paulo", "BR", "", true},
		{"Munchen, Germany", "Munich", "DE", "", true},
		{"St. Louis", "St. Louis", "US", "MO", true},
		{"Seoul, South Korea", "Seoul", "KR", "", true},
		{"Germany", "", "DE", "", false},
		{"Smallville, Kansas", "", "US", "", false},
		{"Austin, France", "", "FR", "", false}, // a town not in the table: the country only
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			p, ok := g.Geocode(tc.in)
			if !ok || p.City != tc.city || p.Country != tc.country || p.Region != tc.region || p.HasPoint != tc.point {
				t.Fatalf("Geocode(%q) = %+v %v", tc.in, p, ok)
			}
		})
	}
	for _, in := range []string{"", "Atlantis", "Austin, Atlantis"} {
		if p, ok := g.Geocode(in); ok {
			t.Errorf("Geocode(%q) = %+v, want not found", in, p)
		}
	}
}

// TestCityTable checks every row: a real IANA zone, coordinates in range, and a zone whose
// offset is plausible for the longitude (solar time within 3.5 hours), which catches swapped
// signs.
func TestCityTable(t *testing.T) {
	g := geo.NewGazetteer()
	if g.Len() < 250 {
		t.Fatalf("only %d cities", g.Len())
	}
	at := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	for _, name := range geo.CityNames(g) {
		p, _ := g.Geocode(name)
		loc, err := time.LoadLocation(p.Zone)
		if err != nil {
			t.Errorf("%s: zone %q: %v", name, p.Zone, err)
			continue
		}
		_, off := at.In(loc).Zone()
		solar := p.Lon / 15 * 3600
		if math.Abs(float64(off)-solar) > 3.5*3600 {
			t.Errorf("%s: zone %s offset %ds far from solar %0.fs at lon %.2f", name, p.Zone, off, solar, p.Lon)
		}
	}
}

func TestDistance(t *testing.T) {
	cases := []struct {
		name                   string
		lat1, lon1, lat2, lon2 float64
		km                     float64
	}{
		{"New York-London", 40.71, -74.01, 51.51, -0.13, 5570},
		{"Austin-Frankfurt", 30.27, -97.74, 50.11, 8.68, 8580},
		{"same place", 30.27, -97.74, 30.27, -97.74, 0},
	}
	for _, tc := range cases {
		if got := geo.DistanceKm(tc.lat1, tc.lon1, tc.lat2, tc.lon2); math.Abs(got-tc.km) > 0.01*tc.km+1 {
			t.Errorf("%s: %.0f km, want ~%.0f", tc.name, got, tc.km)
		}
	}
	if got := geo.MinRTTms(5570); math.Abs(got-55.7) > 0.01 {
		t.Errorf("MinRTTms(5570) = %v", got)
	}
}
