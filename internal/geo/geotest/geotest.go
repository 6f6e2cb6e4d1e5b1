// Package geotest builds small MaxMind-format databases over the documentation address
// ranges (RFC 5737, RFC 3849) for tests of the geo lookups and the checks that use them.
package geotest

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Network is one range of a test database.
type Network struct {
	CIDR    string
	Country string // ISO code; "" for none
	ASN     uint32 // 0 for none
	ASOrg   string
	Lat     float64
	Lon     float64
}

// Default is the test world used across packages: a Korean ISP, an AWS range in the US, a
// German ISP and a Japanese IPv6 network.
var Default = []Network{
	{CIDR: "192.0.2.0/24", Country: "KR", ASN: 64500, ASOrg: "Example Korea Telecom", Lat: 37.57, Lon: 126.98},
	{CIDR: "198.51.100.0/24", Country: "US", ASN: 16509, ASOrg: "AMAZON-02", Lat: 39.04, Lon: -77.49},
	{CIDR: "203.0.113.0/24", Country: "US", ASN: 64501, ASOrg: "Example Texas Cable", Lat: 30.27, Lon: -97.74},
	{CIDR: "2001:db8::/32", Country: "JP", ASN: 64502, ASOrg: "Example Japan Net", Lat: 35.68, Lon: 139.69},
}

// MaxMind returns one database in the GeoLite2 layout holding city, country and ASN fields.
func MaxMind(t testing.TB, nets []Network) []byte {
	t.Helper()
	return build(t, "GeoLite2-City-Test", nets, func(n Network) mmdbtype.Map {
		m := mmdbtype.Map{}
		if n.Country != "" {
			m["country"] = mmdbtype.Map{"iso_code": mmdbtype.String(n.Country)}
			m["location"] = mmdbtype.Map{"latitude": mmdbtype.Float64(n.Lat), "longitude": mmdbtype.Float64(n.Lon)}
		}
		if n.ASN != 0 {
			m["autonomous_system_number"] = mmdbtype.Uint32(n.ASN)
			m["autonomous_system_organization"] = mmdbtype.String(n.ASOrg)
		}
		return m
	})
}

// IPinfoLite returns one database in IPinfo Lite's flat layout (country_code, asn "AS123", as_name).
func IPinfoLite(t testing.TB, nets []Network) []byte {
	t.Helper()
	return build(t, "ipinfo lite.mmdb", nets, func(n Network) mmdbtype.Map {
		m := mmdbtype.Map{"country_code": mmdbtype.String(n.Country)}
		if n.ASN != 0 {
			m["asn"] = mmdbtype.String("AS" + itoa(n.ASN))
			m["as_name"] = mmdbtype.String(n.ASOrg)
		}
		return m
	})
}

// IPLocationDB returns one database in ip-location-db's flat layout (country_code, and with
// city also city, latitude, longitude), as the installed default data has it.
func IPLocationDB(t testing.TB, nets []Network, city bool) []byte {
	t.Helper()
	return build(t, "country", nets, func(n Network) mmdbtype.Map {
		m := mmdbtype.Map{"country_code": mmdbtype.String(n.Country)}
		if city {
			m["city"] = mmdbtype.String("Test City " + n.Country)
			m["latitude"] = mmdbtype.Float32(n.Lat)
			m["longitude"] = mmdbtype.Float32(n.Lon)
		}
		return m
	})
}

// ASNCSV returns nets as an ip-location-db ASN table ("first,last,asn,organisation").
func ASNCSV(t testing.TB, nets []Network) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, n := range nets {
		p, err := netip.ParsePrefix(n.CIDR)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s,%s,%d,%q\n", p.Masked().Addr(), lastAddr(p), n.ASN, n.ASOrg)
	}
	return b.Bytes()
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(a)*8; i++ {
		a[i/8] |= 0x80 >> (i % 8)
	}
	out, _ := netip.AddrFromSlice(a)
	return out
}

func build(t testing.TB, typ string, nets []Network, rec func(Network) mmdbtype.Map) []byte {
	t.Helper()
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: typ, IncludeReservedNetworks: true, RecordSize: 28})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nets {
		_, ipn, err := net.ParseCIDR(n.CIDR)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Insert(ipn, rec(n)); err != nil {
			t.Fatalf("insert %s: %v", n.CIDR, err)
		}
	}
	var b bytes.Buffer
	if _, err := w.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func itoa(v uint32) string {
	var b [10]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}
