package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/integritybot/integritybot/internal/geo/geotest"
)

// TestGeoLookup runs `integritybot geo lookup` on small MaxMind-format files over the
// documentation ranges: it prints what the network check sees, and with no data at all it
// fails naming what to do.
func TestGeoLookup(t *testing.T) {
	dir := t.TempDir()
	// A VPN exit inside the Korean ISP's range (later entries win in the writer).
	nets := append(append([]geotest.Network(nil), geotest.Default...), geotest.Network{CIDR: "192.0.2.128/25", Country: "KR", ASN: 9009, ASOrg: "M247 Europe SRL", Lat: 37.57, Lon: 126.98})
	city := filepath.Join(dir, "city.mmdb")
	if err := os.WriteFile(city, geotest.MaxMind(t, nets), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "integritybot.yaml")
	if err := os.WriteFile(cfg, []byte("geo:\n  city_db: "+city+"\n  asn_db: "+city+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("INTEGRITYBOT_DATA_DIR", filepath.Join(dir, "data"))
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"geo", "lookup", "--config", cfg, "203.0.113.5", "192.0.2.200", "2001:db8::1", "10.0.0.1"}, &out, &errb)
	if err != nil {
		t.Fatalf("geo lookup: %v\n%s", err, errb.String())
	}
	got := out.String()
	for _, want := range []string{
		"203.0.113.5\n  country:      United States (US)", "ASN:          AS64501", "organisation: Example Texas Cable",
		"hosting/VPN:  no",
		"192.0.2.200\n  country:      South Korea (KR)", "AS9009", "hosting/VPN:  yes: M247",
		"2001:db8::1\n  country:      Japan (JP)",
		"10.0.0.1 is private",
		city + " (configured city database)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}

	out.Reset()
	err = run(context.Background(), []string{"geo", "lookup", "--dir", filepath.Join(dir, "none"), "8.8.8.8"}, &out, &errb)
	if !errors.Is(err, errNoGeoData) || !strings.Contains(err.Error(), "integritybot geo update") {
		t.Fatalf("no data: err = %v, want errNoGeoData saying how to install", err)
	}
	if err := run(context.Background(), []string{"geo", "lookup", "--config", cfg, "not-an-ip"}, &out, &errb); err == nil {
		t.Error("a bad address was accepted")
	}
	if err := run(context.Background(), []string{"geo", "frobnicate"}, &out, &errb); err == nil {
		t.Error("an unknown subcommand was accepted")
	}
}
