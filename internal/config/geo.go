package config

import (
	"math"
	"path/filepath"
)

// EnvGeoDir overrides geo.dir (the container image points it at the data it ships).
const EnvGeoDir = "INTEGRITYBOT_GEO_DIR"

// GeoDirName is the folder inside data_dir where `integritybot geo update` installs the free
// GeoIP data when geo.dir is not set.
const GeoDirName = "geoip"

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
	// Dir is where `integritybot geo update` installs free GeoIP and ASN data (make run does
	// it) and where serve looks for it; empty means data_dir/geoip. A configured country_db,
	// city_db or asn_db wins over the installed data of its kind.
	Dir string `yaml:"dir"`
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

// GeoDir returns the folder of installed GeoIP data: geo.dir, else data_dir/geoip.
func (c Config) GeoDir() string {
	if c.Geo.Dir != "" {
		return c.Geo.Dir
	}
	return filepath.Join(c.DataDir, GeoDirName)
}

func applyGeoEnv(c *Config, get func(string) (string, bool)) {
	if v, ok := get(EnvGeoDir); ok {
		c.Geo.Dir = v
	}
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
