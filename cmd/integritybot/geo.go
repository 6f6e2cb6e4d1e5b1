package main

import (
	"net/netip"

	"github.com/integritybot/integritybot/bot/check"
	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/geo"
)

// openGeo opens what the timezone and network checks look things up in. The caller closes
// env.GeoIP.
func openGeo(c config.Geo) (check.Env, error) {
	db, err := geo.Open(geo.Config{CountryDB: c.CountryDB, CityDB: c.CityDB, ASNDB: c.ASNDB})
	if err != nil {
		return check.Env{}, err
	}
	hosting, err := geo.LoadHosting(c.VPNASNsFile)
	if err != nil {
		_ = db.Close()
		return check.Env{}, err
	}
	env := check.Env{GeoIP: db, Hosting: hosting, Places: geo.NewGazetteer()}
	if s := c.ServerLocation; s.Name != "" {
		env.Server = &geo.Place{Name: s.Name, Lat: s.Lat, Lon: s.Lon, HasPoint: true}
	}
	return env, nil
}

// trustedProxies parses server.trusted_proxies (already validated).
func trustedProxies(cfg config.Config) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range cfg.Server.TrustedProxies {
		if p, err := config.ParsePrefix(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}
