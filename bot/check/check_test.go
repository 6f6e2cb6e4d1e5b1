package check

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/geo"
	"github.com/integritybot/integritybot/internal/geo/geotest"
	"github.com/integritybot/integritybot/internal/report"
)

// Fixed instants: July (Chicago on CDT, UTC−5) and January (CST, UTC−6).
var (
	july = time.Date(2026, 7, 1, 15, 0, 0, 0, time.UTC)
	jan  = time.Date(2026, 1, 15, 15, 0, 0, 0, time.UTC)
)

func austin() report.Candidate {
	return report.Candidate{Name: "Jane Doe", ClaimedLocation: "Austin, TX", ClaimedTimezone: "America/Chicago"}
}

func testEnv(t *testing.T) Env {
	t.Helper()
	db, err := geo.OpenBytes(nil, geotest.MaxMind(t, geotest.Default), geotest.MaxMind(t, geotest.Default))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h, err := geo.LoadHosting()
	if err != nil {
		t.Fatal(err)
	}
	return Env{GeoIP: db, Hosting: h, Places: geo.NewGazetteer(),
		Server: &geo.Place{Name: "Frankfurt", Lat: 50.11, Lon: 8.68, HasPoint: true}}
}

func hello(zone string, offMin int, now time.Time, langs ...string) Hello {
	return Hello{Timezone: zone, UTCOffsetMin: offMin, NowMs: now.UnixMilli(), Languages: langs}
}

func hasKind(c report.Check, kind string) bool {
	for _, e := range c.Evidence {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

func TestTimezone(t *testing.T) {
	cases := []struct {
		name   string
		claims report.Candidate
		hello  *Hello
		at     time.Time
		status report.Status
		says   []string // substrings of the summary
		kind   string   // evidence kind that must be present
	}{
		{"not joined", austin(), nil, july, report.Unknown, []string{"has not reported"}, ""},
		{"same zone", austin(), &Hello{Timezone: "America/Chicago", UTCOffsetMin: -300}, july, report.Pass,
			[]string{"America/Chicago (UTC−5)", "Austin, TX"}, "timezone"},
		{"same zone in winter", austin(), &Hello{Timezone: "America/Chicago", UTCOffsetMin: -360}, jan, report.Pass, []string{"UTC−6"}, ""},
		{"neighbour zone same rules", austin(), &Hello{Timezone: "America/Winnipeg", UTCOffsetMin: -300}, july, report.Pass, []string{"America/Winnipeg"}, ""},
		{"far zone", austin(), &Hello{Timezone: "Asia/Shanghai", UTCOffsetMin: 480}, july, report.Fail,
			[]string{"Browser timezone Asia/Shanghai (UTC+8); the candidate said Austin, TX, America/Chicago (UTC−5)", "13 hours apart"}, "timezone"},
		{"seoul", austin(), &Hello{Timezone: "Asia/Seoul", UTCOffsetMin: 540}, jan, report.Fail, []string{"Asia/Seoul (UTC+9)", "UTC−6", "15 hours"}, ""},
		{"one hour off", austin(), &Hello{Timezone: "America/Denver", UTCOffsetMin: -360}, july, report.Warn, []string{"1 hour apart"}, ""},
		{"offset breaks the zone's DST rules", austin(), &Hello{Timezone: "America/Chicago", UTCOffsetMin: -300}, jan, report.Warn,
			[]string{"America/Chicago"}, "offset_mismatch"},
		{"same offset other region", report.Candidate{ClaimedTimezone: "Europe/London"}, &Hello{Timezone: "Africa/Lagos", UTCOffsetMin: 60}, july, report.Warn,
			[]string{"same offset", "another region"}, ""},
		{"zone from claimed city", report.Candidate{ClaimedLocation: "Seoul, South Korea"}, &Hello{Timezone: "Asia/Seoul", UTCOffsetMin: 540}, july, report.Pass,
			[]string{"Seoul, South Korea (UTC+9)"}, ""},
		{"nothing claimed", report.Candidate{Name: "X"}, &Hello{Timezone: "Asia/Seoul", UTCOffsetMin: 540}, july, report.Unknown, []string{"no claimed timezone"}, ""},
		{"bad claimed zone", report.Candidate{ClaimedTimezone: "Central Time"}, &Hello{Timezone: "America/Chicago", UTCOffsetMin: -300}, july, report.Unknown, []string{"not an IANA zone"}, ""},
		{"browser without zone name", austin(), &Hello{UTCOffsetMin: -300}, july, report.Pass, []string{"UTC−5"}, "browser_zone"},
		{"languages are context only", austin(), &Hello{Timezone: "America/Chicago", UTCOffsetMin: -300, Languages: []string{"ko-KR", "zh-CN"}}, july, report.Pass, nil, "context"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMeta(Env{Places: geo.NewGazetteer()}, tc.claims, tc.at.Add(-time.Minute))
			if tc.hello != nil {
				h := *tc.hello
				h.NowMs = tc.at.UnixMilli()
				m.Hello(h, tc.at)
			}
			r := timezoneCheck{m}.Result(time.Minute)
			t.Logf("%s (%.1f): %s | %s", r.Status, r.Confidence, r.Summary, r.NextStep)
			if r.ID != report.CheckTimezone || r.Status != tc.status {
				t.Fatalf("status %s, want %s; %+v", r.Status, tc.status, r)
			}
			for _, s := range tc.says {
				if !strings.Contains(r.Summary, s) {
					t.Errorf("summary %q lacks %q", r.Summary, s)
				}
			}
			if tc.kind != "" && !hasKind(r, tc.kind) {
				t.Errorf("no %q evidence in %+v", tc.kind, r.Evidence)
			}
			if (r.Status == report.Warn || r.Status == report.Fail) && r.NextStep == "" {
				t.Error("a flag without a next step")
			}
		})
	}
}

func TestClockSkew(t *testing.T) {
	m := NewMeta(Env{}, austin(), july)
	h := hello("America/Chicago", -300, july.Add(-30*time.Minute))
	m.Hello(h, july)
	r := timezoneCheck{m}.Result(0)
	if r.Status != report.Warn || !hasKind(r, "clock_skew") {
		t.Fatalf("30 min skew: %+v", r)
	}
	m.Hello(hello("America/Chicago", -300, july.Add(3*time.Second)), july)
	if r := (timezoneCheck{m}).Result(0); r.Status != report.Pass || hasKind(r, "clock_skew") {
		t.Fatalf("3 s skew: %+v", r)
	}
}

func TestVirtualCamera(t *testing.T) {
	cases := []struct {
		label  string
		status report.Status
		says   string
	}{
		{"", report.Unknown, "has not named a camera"},
		{"fake_device_0", report.Warn, "test/fake device"},
		{"/tmp/TestEndToEnd123/real.y4m", report.Warn, "test/fake device"},
		{"OBS Virtual Camera", report.Warn, "OBS Virtual Camera"},
		{"ManyCam Virtual Webcam", report.Warn, "ManyCam"},
		{"XSplit VCam", report.Warn, "XSplit"},
		{"Snap Camera", report.Warn, "Snap Camera"},
		{"e2eSoft iVCam", report.Warn, "e2eSoft"},
		{"My Virtual Cam", report.Warn, "virtual camera"},
		{"FaceTime HD Camera (Built-in)", report.Pass, "does not name"},
		{"Integrated Webcam (0c45:6a06)", report.Pass, "does not name"},
	}
	for _, tc := range cases {
		t.Run(tc.label, func(t *testing.T) {
			m := NewMeta(Env{}, austin(), july)
			m.CameraLabel(tc.label, july.Add(2*time.Second))
			r := cameraCheck{m}.Result(0)
			if r.ID != report.CheckVirtualCamera || r.Status != tc.status || !strings.Contains(r.Summary, tc.says) {
				t.Fatalf("%s %q, want %s containing %q", r.Status, r.Summary, tc.status, tc.says)
			}
			if r.Status == report.Warn && !fakeDevice(strings.ToLower(tc.label)) && !strings.Contains(r.Summary, "weak signal") {
				t.Errorf("a warn must say it is a weak signal: %q", r.Summary)
			}
		})
	}
}

func TestNetwork(t *testing.T) {
	addr := netip.MustParseAddr
	type step func(m *Meta)
	http := func(a string) step { return func(m *Meta) { m.HTTPAddr(addr(a), july) } }
	cand := func(typ, a string) step { return func(m *Meta) { m.ICECandidate(typ, a, july) } }
	pair := func(a string, ms float64) step {
		return func(m *Meta) {
			m.Pair(addr(a), "srflx", time.Duration(ms*float64(time.Millisecond)), july.Add(5*time.Second))
		}
	}
	cases := []struct {
		name   string
		env    func(t *testing.T) Env
		claims report.Candidate
		steps  []step
		status report.Status
		kinds  []string
		says   []string
	}{
		{"not joined", testEnv, austin(), nil, report.Unknown, nil, []string{"not joined"}},
		{"consistent", testEnv, austin(), []step{http("203.0.113.5"), cand("host", "1f0e.local"), pair("203.0.113.5", 110)}, report.Pass, []string{"rtt", "context"}, []string{"fits the claimed location"}},
		{"country differs", testEnv, austin(), []step{http("192.0.2.7"), pair("192.0.2.7", 160)}, report.Warn, []string{"ip_country"},
			[]string{"192.0.2.7 is in South Korea; the candidate said Austin, TX (United States)"}},
		{"hosting network", testEnv, austin(), []step{http("198.51.100.9")}, report.Warn, []string{"hosting"}, []string{"AS16509", "Amazon"}},
		{"two paths and two countries", testEnv, austin(), []step{http("203.0.113.5"), cand("srflx", "192.0.2.9")}, report.Warn,
			[]string{"two_paths", "several_countries", "ip_country"}, nil},
		{"different families are not two paths", testEnv, austin(), []step{http("2001:db8::5"), cand("srflx", "203.0.113.5")}, report.Warn,
			[]string{"several_countries"}, nil},
		{"rtt below physics", testEnv, austin(), []step{http("203.0.113.5"), pair("203.0.113.5", 20)}, report.Fail, []string{"rtt_too_low"},
			[]string{"Round trip 20 ms", "8528 km", "at least 85 ms", "impossible"}},
		{"rtt far above", testEnv, austin(), []step{http("203.0.113.5"), pair("203.0.113.5", 700)}, report.Warn, []string{"rtt_high"}, []string{"weak hint"}},
		{"no databases", func(*testing.T) Env { return Env{Places: geo.NewGazetteer()} }, austin(), []step{http("8.8.8.8"), pair("8.8.8.8", 110)}, report.Unknown, nil,
			[]string{"no country database", "geo.server_location"}},
		{"documentation addresses without databases", func(*testing.T) Env { return Env{} }, austin(), []step{http("192.0.2.2"), pair("192.0.2.2", 1)}, report.Unknown, nil,
			[]string{"private or loopback"}},
		{"loopback only", func(*testing.T) Env { return Env{} }, austin(), []step{http("127.0.0.1"), cand("host", "abcd.local"), pair("127.0.0.1", 0.2)}, report.Unknown,
			[]string{"address", "context"}, []string{"Could not check"}},
		{"relay noted", testEnv, austin(), []step{http("203.0.113.5"), cand("relay", "198.51.100.200"), pair("203.0.113.5", 110)}, report.Pass, []string{"context"}, nil},
		{"unplaceable claim", testEnv, report.Candidate{ClaimedLocation: "Atlantis"}, []step{http("203.0.113.5"), pair("203.0.113.5", 110)}, report.Pass, nil,
			[]string{"not in the offline table"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMeta(tc.env(t), tc.claims, july.Add(-time.Minute))
			for _, s := range tc.steps {
				s(m)
			}
			r := networkCheck{m}.Result(2 * time.Minute)
			t.Logf("%s (%.2f): %s | %s", r.Status, r.Confidence, r.Summary, r.NextStep)
			for _, e := range r.Evidence {
				t.Logf("  %s: %s", e.Kind, e.Detail)
			}
			if r.ID != report.CheckNetwork || r.Status != tc.status {
				t.Fatalf("status %s, want %s", r.Status, tc.status)
			}
			for _, k := range tc.kinds {
				if !hasKind(r, k) {
					t.Errorf("no %q evidence", k)
				}
			}
			all := r.Summary
			for _, e := range r.Evidence {
				all += "\n" + e.Detail
			}
			for _, s := range tc.says {
				if !strings.Contains(all, s) {
					t.Errorf("report lacks %q", s)
				}
			}
		})
	}
}

// TestMetaConcurrent runs the collectors and the checks at once (go test -race).
func TestMetaConcurrent(t *testing.T) {
	m := NewMeta(testEnv(t), austin(), july)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			m.HTTPAddr(netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}), july)
			m.Pair(netip.MustParseAddr("203.0.113.5"), "host", time.Duration(100+i)*time.Millisecond, july)
			m.CameraLabel("cam", july)
			m.Hello(hello("America/Chicago", -300, july), july)
		}
	}()
	for range 50 {
		for _, c := range m.Checks() {
			_ = c.Result(time.Second)
		}
	}
	<-done
	if n := len(m.addrs); n > 32 {
		t.Fatalf("%d addresses kept, want at most 32", n)
	}
}
