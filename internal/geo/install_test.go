package geo_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/integritybot/integritybot/internal/geo"
	"github.com/integritybot/integritybot/internal/geo/geotest"
)

// writeTarball writes an npm-style tarball (files under package/) named as npm pack names
// NAME@VERSION into dir and returns its Subresource Integrity string.
func writeTarball(t *testing.T, dir, name, version string, files map[string][]byte) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for n, b := range files {
		if err := tw.WriteHeader(&tar.Header{Name: "package/" + n, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, geo.TarballName(name, version)), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512(buf.Bytes())
	return "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
}

// testPackages writes a country package (ip-location-db mmdb layout) and an ASN package
// (CSV tables) over the documentation ranges and returns them pinned to their integrity.
func testPackages(t *testing.T, dir string) []geo.Package {
	t.Helper()
	var v4, v6 []geotest.Network
	for _, n := range geotest.Default {
		if strings.Contains(n.CIDR, ":") {
			v6 = append(v6, n)
		} else {
			v4 = append(v4, n)
		}
	}
	country := geo.Package{Name: "@test/country-mmdb", Version: "1.0.0", Kind: geo.KindCountry, Format: geo.FormatMMDB,
		Files: []string{"country.mmdb"}, LicenceFiles: []string{"LICENSE"}, Licence: "CC0-1.0", Attribution: "Test country data"}
	country.Integrity = writeTarball(t, dir, country.Name, country.Version, map[string][]byte{
		"country.mmdb": geotest.IPLocationDB(t, geotest.Default, false), "LICENSE": []byte("CC0\n"), "README.md": []byte("x"),
	})
	asn := geo.Package{Name: "@test/asn", Version: "2.0.0", Kind: geo.KindASN, Format: geo.FormatASNCSV,
		Files: []string{"asn-ipv4.csv", "asn-ipv6.csv"}, Output: "asn.mmdb", Licence: "CC-BY-4.0", Attribution: "Test ASN data"}
	asn.Integrity = writeTarball(t, dir, asn.Name, asn.Version, map[string][]byte{
		"asn-ipv4.csv": geotest.ASNCSV(t, v4), "asn-ipv6.csv": geotest.ASNCSV(t, v6),
	})
	return []geo.Package{country, asn}
}

func openInstalled(t *testing.T, cfg geo.Config, dir string) (*geo.DB, geo.Source) {
	t.Helper()
	cfg, src, err := geo.Resolve(cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := geo.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, src
}

func TestInstall(t *testing.T) {
	tarballs, dir := t.TempDir(), t.TempDir()
	pkgs := testPackages(t, tarballs)
	in := geo.Installer{Dir: dir, Fetcher: geo.Dir(tarballs)}
	m, err := in.Install(context.Background(), pkgs, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Packages) != 2 || m.Packages[1].Files[0] != (geo.File{Kind: geo.KindASN, Path: "asn.mmdb"}) || len(m.Packages[0].SHA256) != 64 {
		t.Fatalf("manifest = %+v", m)
	}
	if _, err := os.Stat(filepath.Join(dir, "country-mmdb.LICENSE")); err != nil {
		t.Errorf("licence not installed beside the data: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err == nil {
		t.Error("a file not asked for was unpacked")
	}
	db, src := openInstalled(t, geo.Config{}, dir)
	if len(src.Installed) != 2 {
		t.Fatalf("source = %+v", src)
	}
	for _, tc := range []struct {
		addr, country string
		asn           uint32
		org           string
	}{
		{"192.0.2.7", "KR", 64500, "Example Korea Telecom"},
		{"198.51.100.255", "US", 16509, "AMAZON-02"},
		{"2001:db8:ffff::1", "JP", 64502, "Example Japan Net"},
	} {
		got := db.Lookup(netip.MustParseAddr(tc.addr))
		if got.Country != tc.country || got.ASN != tc.asn || got.ASOrg != tc.org {
			t.Errorf("Lookup(%s) = %+v, want %s AS%d %s", tc.addr, got, tc.country, tc.asn, tc.org)
		}
	}

	// Already installed: nothing is fetched (the tarballs are gone).
	if err := os.RemoveAll(tarballs); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Install(context.Background(), pkgs, true); err != nil {
		t.Fatalf("up-to-date install fetched: %v", err)
	}
	if _, err := in.Install(context.Background(), pkgs, false); err == nil {
		t.Fatal("a forced install without tarballs succeeded")
	}
}

func TestInstallRejectsTampering(t *testing.T) {
	tarballs, dir := t.TempDir(), t.TempDir()
	pkgs := testPackages(t, tarballs)[:1]
	in := geo.Installer{Dir: dir, Fetcher: geo.Dir(tarballs)}
	if _, err := in.Install(context.Background(), pkgs, false); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(dir, "country.mmdb"))
	if err != nil {
		t.Fatal(err)
	}
	// The same name and version with other content: a changed upstream or a tampered cache.
	other := geotest.IPLocationDB(t, []geotest.Network{{CIDR: "192.0.2.0/24", Country: "FR"}}, false)
	writeTarball(t, tarballs, pkgs[0].Name, pkgs[0].Version, map[string][]byte{"country.mmdb": other})
	_, err = in.Install(context.Background(), pkgs, false)
	if !errors.Is(err, geo.ErrIntegrity) || !strings.Contains(err.Error(), pkgs[0].Name+"@1.0.0") {
		t.Fatalf("err = %v, want ErrIntegrity naming the package", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "country.mmdb"))
	if !bytes.Equal(before, after) {
		t.Error("a rejected package replaced the installed data")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".update-*")); len(left) > 0 {
		t.Errorf("temporary folders left: %v", left)
	}

	// A package without the file it should ship.
	pkgs[0].Integrity = writeTarball(t, tarballs, pkgs[0].Name, pkgs[0].Version, map[string][]byte{"other.mmdb": other})
	if _, err := in.Install(context.Background(), pkgs, false); err == nil || !strings.Contains(err.Error(), "has no country.mmdb") {
		t.Fatalf("err = %v, want the missing file named", err)
	}
	// A file that is not a MaxMind database.
	pkgs[0].Integrity = writeTarball(t, tarballs, pkgs[0].Name, pkgs[0].Version, map[string][]byte{"country.mmdb": []byte("not a database")})
	if _, err := in.Install(context.Background(), pkgs, false); err == nil || !strings.Contains(err.Error(), "check country.mmdb") {
		t.Fatalf("err = %v, want the bad database named", err)
	}
	if _, err := geo.Verify(filepath.Join(tarballs, geo.TarballName(pkgs[0].Name, pkgs[0].Version)), "md5-abc"); !errors.Is(err, geo.ErrIntegrity) {
		t.Errorf("an unknown digest algorithm was accepted: %v", err)
	}
}

func TestResolveConfiguredWins(t *testing.T) {
	tarballs, dir := t.TempDir(), t.TempDir()
	if _, err := (geo.Installer{Dir: dir, Fetcher: geo.Dir(tarballs)}).Install(context.Background(), testPackages(t, tarballs), false); err != nil {
		t.Fatal(err)
	}
	// A configured country file placing 192.0.2.0/24 in France wins over the installed one;
	// the installed ASN data still answers.
	mine := filepath.Join(t.TempDir(), "GeoLite2-Country.mmdb")
	if err := os.WriteFile(mine, geotest.MaxMind(t, []geotest.Network{{CIDR: "192.0.2.0/24", Country: "FR"}}), 0o644); err != nil {
		t.Fatal(err)
	}
	db, src := openInstalled(t, geo.Config{CountryDB: mine}, dir)
	got := db.Lookup(netip.MustParseAddr("192.0.2.7"))
	if got.Country != "FR" || got.ASN != 64500 {
		t.Fatalf("Lookup = %+v, want FR from the configured file and AS64500 from the installed one", got)
	}
	if len(src.Installed) != 1 || src.Installed[0].Name != "@test/asn" || len(src.Configured) != 1 {
		t.Fatalf("source = %+v", src)
	}
	if _, _, err := geo.Resolve(geo.Config{}, t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("an empty folder: %v, want ErrNotExist", err)
	}
}

// TestVerifyMatchesNPM packs a local folder with the real npm client (offline) and checks
// that Verify accepts npm's own integrity string for it and NPM.Pack finds the tarball.
func TestVerifyMatchesNPM(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("skipping: npm is not installed")
	}
	pkg := t.TempDir()
	manifest := `{"name":"@test/geo-fixture","version":"1.2.3","license":"CC0-1.0","files":["country.mmdb"]}`
	if err := os.WriteFile(filepath.Join(pkg, "package.json"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pkg, "country.mmdb"), geotest.IPLocationDB(t, geotest.Default, true), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("npm_config_offline", "true")
	t.Setenv("npm_config_cache", t.TempDir())
	t.Setenv("npm_config_update_notifier", "false")
	out := t.TempDir()
	b, err := exec.Command("npm", "pack", "--json", "--pack-destination", out, pkg).Output()
	if err != nil {
		t.Fatalf("npm pack: %v", err)
	}
	var res []struct{ Filename, Integrity string }
	if err := json.Unmarshal(b, &res); err != nil || len(res) != 1 {
		t.Fatalf("npm pack output %q: %v", b, err)
	}
	if res[0].Filename != geo.TarballName("@test/geo-fixture", "1.2.3") {
		t.Errorf("npm named the tarball %q, TarballName says %q", res[0].Filename, geo.TarballName("@test/geo-fixture", "1.2.3"))
	}
	if _, err := geo.Verify(filepath.Join(out, filepath.Base(res[0].Filename)), res[0].Integrity); err != nil {
		t.Fatalf("npm's integrity %s rejected: %v", res[0].Integrity, err)
	}
	// NPM.Pack, as Installer uses it, makes the same tarball.
	tgz, err := geo.NPM{}.Pack(context.Background(), pkg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := geo.Verify(tgz, res[0].Integrity); err != nil {
		t.Fatalf("NPM.Pack's tarball: %v", err)
	}
	p := geo.Package{Name: "@test/geo-fixture", Version: "1.2.3", Integrity: res[0].Integrity, Kind: geo.KindCity,
		Format: geo.FormatMMDB, Files: []string{"country.mmdb"}}
	dir := t.TempDir()
	if _, err := (geo.Installer{Dir: dir, Fetcher: geo.Dir(out)}).Install(context.Background(), []geo.Package{p}, false); err != nil {
		t.Fatal(err)
	}
	db, _ := openInstalled(t, geo.Config{}, dir)
	if got := db.Lookup(netip.MustParseAddr("203.0.113.9")); got.Country != "US" || got.City != "Test City US" || !got.HasCoords {
		t.Errorf("Lookup from the npm-packed city file = %+v", got)
	}
}

// TestConvertASNCSV: quoted organisation names with commas survive, ranges inside networks
// aliased to IPv4 (6to4) are left out rather than failing the table, and a malformed line
// is reported with its number.
func TestConvertASNCSV(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "asn.csv")
	table := "192.0.2.0,192.0.2.255,64500,\"Example, Inc.\"\n2002::,2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff,64501,6to4\n2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,64502,Example v6\n"
	if err := os.WriteFile(src, []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "asn.mmdb")
	n, err := geo.ConvertASNCSV(context.Background(), dst, src)
	if err != nil || n != 2 {
		t.Fatalf("ConvertASNCSV = %d, %v; want 2 ranges", n, err)
	}
	db, err := geo.Open(geo.Config{ASNDB: dst})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := db.Lookup(netip.MustParseAddr("192.0.2.9")); got.ASN != 64500 || got.ASOrg != "Example, Inc." {
		t.Errorf("Lookup = %+v", got)
	}
	if got := db.Lookup(netip.MustParseAddr("2001:db8::9")); got.ASN != 64502 {
		t.Errorf("IPv6 Lookup = %+v", got)
	}
	if err := os.WriteFile(src, []byte("192.0.2.0,192.0.2.255,64500,ok\n192.0.2.x,192.0.3.0,1,bad\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := geo.ConvertASNCSV(context.Background(), dst, src); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("malformed table: %v, want the line named", err)
	}
}
