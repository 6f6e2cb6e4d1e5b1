package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/chrome"
	"github.com/integritybot/integritybot/internal/report"
)

// geoCallLength is enough for the hello message and two rounds of connection stats.
const geoCallLength = 8 * time.Second

func checkOf(t *testing.T, r *report.Report, id string) report.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no %s check in %+v", id, r.Checks)
	return report.Check{}
}

// TestTimezoneEndToEnd runs real Chromium with its timezone set by TZ against an interview
// whose candidate claims Austin, TX (America/Chicago): a browser in Seoul is flagged naming
// both zones, one in Chicago passes, and Chromium's fake camera is a virtual camera (warn:
// it plays a file, not a camera).
func TestTimezoneEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the browser end-to-end test in -short mode")
	}
	if _, err := chrome.Available(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is required in CI: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	e := startServer(t)
	cases := []struct {
		tz     string
		status []report.Status
		names  []string
	}{
		{"Asia/Seoul", []report.Status{report.Warn, report.Fail}, []string{"Asia/Seoul", "America/Chicago"}},
		{"America/Chicago", []report.Status{report.Pass}, []string{"America/Chicago"}},
	}
	for _, tc := range cases {
		t.Run(tc.tz, func(t *testing.T) {
			rep := runCallFor(t, e, chrome.Options{FakeDevices: true, Env: []string{"TZ=" + tc.tz}}, geoCallLength)
			tz := checkOf(t, rep, report.CheckTimezone)
			t.Logf("timezone %s (%.2f): %s", tz.Status, tz.Confidence, tz.Summary)
			ok := false
			for _, s := range tc.status {
				ok = ok || tz.Status == s
			}
			if !ok {
				t.Fatalf("timezone = %s (%s); want one of %v", tz.Status, tz.Summary, tc.status)
			}
			for _, n := range tc.names {
				if !strings.Contains(tz.Summary, n) {
					t.Errorf("timezone summary %q does not name %s", tz.Summary, n)
				}
			}
			vc := checkOf(t, rep, report.CheckVirtualCamera)
			t.Logf("virtual_camera %s: %s", vc.Status, vc.Summary)
			if vc.Status != report.Warn || !strings.Contains(vc.Summary, "test/fake device") {
				t.Errorf("virtual_camera = %s (%s); want warn naming a test/fake device", vc.Status, vc.Summary)
			}
			nw := checkOf(t, rep, report.CheckNetwork)
			t.Logf("network %s: %s", nw.Status, nw.Summary)
			for _, ev := range nw.Evidence {
				t.Logf("  network %s: %s", ev.Kind, ev.Detail)
			}
			// Loopback addresses and no databases: nothing can be checked, and it must say so.
			if nw.Status != report.Unknown || !strings.Contains(nw.Summary, "Could not check") {
				t.Errorf("network = %s (%s); want unknown with the reason", nw.Status, nw.Summary)
			}
		})
	}
}
