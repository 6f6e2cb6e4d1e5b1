package config

import "math"

// Geo configures the lookups of the timezone and network checks. Every part is optional:
// a check that needs a missing part says "unknown" with the reason.
type Geo struct {
	// CountryDB is a MaxMind-format .mmdb with countries (GeoLite2-Country, DB-IP Country Lite,
	// IPinfo Lite).
	CountryDB string `yaml:"country_db"`
	// CityDB is a MaxMind-format .mmdb with cities (GeoLite2-City, DB-IP City Lite).
	CityDB string `yaml:"city_db"`
	// ASNDB is a MaxMind-format .mmdb with AS numbers (GeoLite2-ASN, DB-IP ASN Lite, IPinfo
	// Lite, IPtoASN).
	ASNDB string `yaml:"asn_db"`
	// VPNASNsFile adds hosting/VPN networks ("AS123 label" or "CIDR label" lines) to the
	// embedded default list.
	VPNASNsFile string `yaml:"vpn_asns_file"`
	// ServerLocation is where the media server is, for latency physics.
	ServerLocation ServerLocation `yaml:"server_location"`
}

// ServerLocation is a named point; an empty Name means not configured.
type ServerLocation struct {
	Name string  `yaml:"name"`
	Lat  float64 `yaml:"lat"`
	Lon  float64 `yaml:"lon"`
}

func (c Config) validateGeo(p *problems) {
	s := c.Geo.ServerLocation
	if s.Name == "" && (s.Lat != 0 || s.Lon != 0) {
		p.add("geo.server_location.name", "must be set when lat/lon are (e.g. \"Frankfurt\")")
	}
	if math.IsNaN(s.Lat) || s.Lat < -90 || s.Lat > 90 {
		p.add("geo.server_location.lat", "must be between -90 and 90, got %v", s.Lat)
	}
	if math.IsNaN(s.Lon) || s.Lon < -180 || s.Lon > 180 {
		p.add("geo.server_location.lon", "must be between -180 and 180, got %v", s.Lon)
	}
}
