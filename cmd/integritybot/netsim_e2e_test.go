//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/chrome"
	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/geo/geotest"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/server"
)

// The simulated internet: the server side in this process's network namespace at
// 203.0.113.1 and 2001:db8:1::1, the candidate's Chromium in a namespace of its own behind a
// veth pair, at addresses of the documentation ranges (RFC 5737, RFC 3849) that a small
// MaxMind-format database places.
const (
	simServer4 = "203.0.113.1"
	simServer6 = "2001:db8:1::1"
	simProxy   = "198.51.100.40" // the exit of an HTTP-only proxy (split tunnel)
)

// simWorld is what the test database says about the candidate-side addresses.
var simWorld = []geotest.Network{
	{CIDR: "198.51.100.0/24", Country: "US", ASN: 64510, ASOrg: "Example Austin Cable", Lat: 30.27, Lon: -97.74},
	{CIDR: "198.51.100.20/32", Country: "US", ASN: 9009, ASOrg: "M247 Europe SRL", Lat: 30.27, Lon: -97.74},
	{CIDR: "198.51.100.30/32", Country: "KR", ASN: 64500, ASOrg: "Example Korea Telecom", Lat: 37.57, Lon: 126.98},
	{CIDR: simProxy + "/32", Country: "US", ASN: 64520, ASOrg: "Example Proxy Host", Lat: 32.78, Lon: -96.80},
	{CIDR: "2001:db8:2::/48", Country: "KR", ASN: 64500, ASOrg: "Example Korea Telecom", Lat: 37.57, Lon: 126.98},
}

// netSim is a network namespace for the candidate, joined to this one by a veth pair.
type netSim struct {
	t          *testing.T
	ns         string // ip netns name
	host, cand string // veth ends
}

// newNetSim makes the namespace and links, or skips the test where that is not possible
// (not root, no ip, no netns support).
func newNetSim(t *testing.T) *netSim {
	t.Helper()
	id := os.Getpid() % 100000
	s := &netSim{t: t, ns: fmt.Sprintf("ibgeo%d", id), host: fmt.Sprintf("ibh%d", id), cand: fmt.Sprintf("ibc%d", id)}
	if _, err := exec.LookPath("ip"); err != nil || os.Geteuid() != 0 {
		t.Skip("skipping the simulated-internet test: it needs root and iproute2 (ip netns, veth)")
	}
	if err := s.ip("netns", "add", s.ns); err != nil {
		t.Skipf("skipping the simulated-internet test: cannot make a network namespace: %v", err)
	}
	t.Cleanup(func() {
		_ = s.ip("netns", "del", s.ns) // deletes the veth pair with it
		_ = s.ip("addr", "del", simProxy+"/32", "dev", "lo")
	})
	steps := [][]string{
		{"link", "add", s.host, "type", "veth", "peer", "name", s.cand, "netns", s.ns},
		{"addr", "add", simServer4 + "/24", "dev", s.host},
		{"-6", "addr", "add", simServer6 + "/64", "dev", s.host, "nodad"},
		{"link", "set", s.host, "up"},
		{"route", "add", "198.51.100.0/24", "dev", s.host},
		{"-6", "route", "add", "2001:db8:2::/64", "dev", s.host},
		{"addr", "replace", simProxy + "/32", "dev", "lo"}, // replace: a crashed run may have left it
		{"-n", s.ns, "link", "set", "lo", "up"},
		{"-n", s.ns, "link", "set", s.cand, "up"},
	}
	for _, st := range steps {
		if err := s.ip(st...); err != nil {
			t.Skipf("skipping the simulated-internet test: cannot set up the veth link: %v", err)
		}
	}
	return s
}

func (s *netSim) ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// candidateAt gives the candidate side exactly the addresses addrs (v4 or v6) and routes to
// the server's networks.
func (s *netSim) candidateAt(addrs ...string) {
	s.t.Helper()
	steps := [][]string{{"-n", s.ns, "addr", "flush", "dev", s.cand}}
	for _, a := range addrs {
		if strings.Contains(a, ":") {
			steps = append(steps, []string{"-n", s.ns, "-6", "addr", "add", a + "/64", "dev", s.cand, "nodad"},
				[]string{"-n", s.ns, "-6", "route", "replace", "2001:db8:1::/64", "dev", s.cand})
		} else {
			steps = append(steps, []string{"-n", s.ns, "addr", "add", a + "/24", "dev", s.cand},
				[]string{"-n", s.ns, "route", "replace", "203.0.113.0/24", "dev", s.cand})
		}
	}
	for _, st := range steps {
		if err := s.ip(st...); err != nil {
			s.t.Fatal(err)
		}
	}
}

// dial connects from inside the namespace: the socket is made on a thread switched into it
// (a socket stays in the namespace it was made in).
func (s *netSim) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // not unlocked when switching back fails: the thread then dies with the goroutine
		self, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", syscall.Gettid()))
		if err != nil {
			ch <- result{nil, err}
			return
		}
		defer self.Close()
		target, err := os.Open(filepath.Join("/var/run/netns", s.ns))
		if err != nil {
			ch <- result{nil, err}
			return
		}
		defer target.Close()
		if err := setns(target); err != nil {
			ch <- result{nil, err}
			return
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		if setns(self) == nil {
			runtime.UnlockOSThread()
		}
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// sysSetns is setns(2)'s number, which package syscall does not name.
var sysSetns = map[string]uintptr{"amd64": 308, "arm64": 268, "386": 346, "arm": 375, "riscv64": 268, "ppc64le": 350, "s390x": 339}

func setns(f *os.File) error {
	nr, ok := sysSetns[runtime.GOARCH]
	if !ok {
		return fmt.Errorf("setns: unknown syscall number on %s", runtime.GOARCH)
	}
	if _, _, errno := syscall.RawSyscall(nr, f.Fd(), syscall.CLONE_NEWNET, 0); errno != 0 {
		return fmt.Errorf("setns: %w", errno)
	}
	return nil
}

// chromium returns options that run Chromium inside the namespace (a wrapper script for
// `ip netns exec`), its DevTools reached with sockets made in the namespace.
func (s *netSim) chromium(t *testing.T, extra ...string) chrome.Options {
	t.Helper()
	real, err := chrome.Available()
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	wrapper := filepath.Join(t.TempDir(), "chromium-in-netns")
	script := fmt.Sprintf("#!/bin/sh\nexec ip netns exec %s %s \"$@\"\n", s.ns, real)
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return chrome.Options{Binary: wrapper, FakeDevices: true, ExtraArgs: extra, Dial: s.dial}
}

// simProxyServer is an HTTP proxy (plain requests and CONNECT) on the server side whose
// connections onward leave from simProxy: what a proxy or VPN that carries only web traffic
// looks like to the server.
func simProxyServer(t *testing.T) string {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(simProxy)}, Timeout: 10 * time.Second}
	rp := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.Out.URL = r.In.URL },
		Transport: &http.Transport{DialContext: d.DialContext},
		ErrorLog:  log.New(io.Discard, "", 0), // Chromium's background requests find no DNS here
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			rp.ServeHTTP(w, r)
			return
		}
		up, err := d.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		c, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			up.Close()
			return
		}
		_, _ = c.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
		go func() { _, _ = io.Copy(up, buf); up.Close() }()
		_, _ = io.Copy(c, up)
		c.Close()
	})
	ln, err := net.Listen("tcp", simServer4+":0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return "http://" + ln.Addr().String()
}

// startSimServer runs `serve` on the server side of the simulated internet with the test
// database and the given server location.
func startSimServer(t *testing.T, listen string, loc config.ServerLocation) *e2e {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "world.mmdb")
	if err := os.WriteFile(db, geotest.MaxMind(t, simWorld), 0o644); err != nil {
		t.Fatal(err)
	}
	const token = "e2e-api-token-0123456789"
	yaml := fmt.Sprintf("server: {addr: '%s'}\nauth: {api_token: %s}\nlog: {level: warn}\nwebrtc: {include_loopback: false}\n"+
		"geo: {city_db: %s, asn_db: %s, server_location: {name: %s, lat: %g, lon: %g}}\n",
		net.JoinHostPort(listen, "0"), token, db, db, loc.Name, loc.Lat, loc.Lon)
	cfg := filepath.Join(dir, "integritybot.yaml")
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := serveLogged(t, "--config", cfg, "--data", filepath.Join(dir, "data"))
	base := regexp.MustCompile(`open (http://\S+)`).FindStringSubmatch(out.String())
	if base == nil {
		t.Fatalf("no URL in serve's start-up message:\n%s", out.String())
	}
	return &e2e{t: t, base: base[1], token: token}
}

// simCall runs one candidate (Austin, TX) in Chromium in the namespace until the network
// check has seen the addresses it needs and a round-trip time, then ends the interview and
// returns the final report's network check.
func simCall(t *testing.T, e *e2e, opt chrome.Options, wantAddrs ...string) report.Check {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var links server.CreateResponse
	if code := e.api("POST", "/api/interviews", map[string]any{"candidate": map[string]string{
		"name": "Jane Doe", "claimed_location": "Austin, TX", "claimed_timezone": "America/Chicago"}}, &links); code != http.StatusCreated {
		t.Fatalf("create interview: %d", code)
	}
	b := launch(t, ctx, opt)
	cand, err := b.Open(ctx, links.CandidateURL)
	if err != nil {
		t.Fatal(err)
	}
	defer dumpOnFail(t, "candidate", cand)
	acceptConsent(t, ctx, cand)
	if err := cand.WaitFor(ctx, `document.body.dataset.state === 'connected'`, 200*time.Millisecond); err != nil {
		t.Fatalf("candidate never connected: %v", err)
	}
	pollUntil(t, "the network check's addresses and round trip", func() bool {
		var rep report.Report
		e.api("GET", "/api/interviews/"+links.ID+"/report", nil, &rep)
		nw, ok := findCheck(&rep, report.CheckNetwork)
		text := evidenceText(nw)
		for _, a := range wantAddrs {
			ok = ok && strings.Contains(text, a)
		}
		return ok && hasEvidence(nw, "rtt_measured")
	})
	if code := e.api("POST", "/api/interviews/"+links.ID+"/end", nil, nil); code >= 300 {
		t.Fatalf("end interview: %d", code)
	}
	var rep report.Report
	pollUntil(t, "the final report", func() bool {
		rep = report.Report{}
		e.api("GET", "/api/interviews/"+links.ID+"/report", nil, &rep)
		return rep.State == report.Final
	})
	nw := checkOf(t, &rep, report.CheckNetwork)
	t.Logf("network %s (%.2f): %s", nw.Status, nw.Confidence, nw.Summary)
	for _, ev := range nw.Evidence {
		t.Logf("  %s: %s", ev.Kind, ev.Detail)
	}
	return nw
}

func findCheck(r *report.Report, id string) (report.Check, bool) {
	for _, c := range r.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return report.Check{}, false
}

func evidenceText(c report.Check) string {
	var b strings.Builder
	b.WriteString(c.Summary)
	for _, ev := range c.Evidence {
		b.WriteString("\n" + ev.Kind + ": " + ev.Detail)
	}
	return b.String()
}

// TestNetworkSimulatedInternet proves the network check end to end: real Chromium in its
// own network namespace, the real server, a MaxMind-format database over documentation
// addresses, and the candidate claiming Austin, TX. The link has no delay (this kernel has
// no netem), so the round trip is well under a millisecond: with the server placed in
// Austin that is consistent; placed in Seoul it is physically impossible.
func TestNetworkSimulatedInternet(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the simulated-internet end-to-end test in -short mode")
	}
	if _, err := chrome.Available(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	sim := newNetSim(t)
	austin := config.ServerLocation{Name: "Austin", Lat: 30.27, Lon: -97.74}
	seoul := config.ServerLocation{Name: "Seoul", Lat: 37.57, Lon: 126.98}
	cases := []struct {
		name      string
		candidate []string // the candidate's own addresses
		listen    string   // the server's
		loc       config.ServerLocation
		proxy     bool // web traffic through an HTTP proxy leaving from simProxy
		status    report.Status
		kind      string   // the finding that must be there ("" for a pass)
		says      []string // in the summary or evidence
	}{
		{"residential address in the claimed country", []string{"198.51.100.10"}, simServer4, austin, false, report.Pass, "",
			[]string{"fits the claimed location", "United States (US), AS64510 Example Austin Cable", "consistent"}},
		{"hosting or VPN network", []string{"198.51.100.20"}, simServer4, austin, false, report.Warn, "hosting",
			[]string{"AS9009", "M247", "hosting/VPN network"}},
		{"address in another country", []string{"198.51.100.30"}, simServer4, austin, false, report.Warn, "ip_country",
			[]string{"198.51.100.30 is in South Korea", "Austin, TX"}},
		{"web and media on two paths", []string{"198.51.100.10"}, simServer4, austin, true, report.Warn, "two_paths",
			[]string{"Web traffic came from " + simProxy + " but WebRTC media from 198.51.100.10"}},
		{"round trip too short for the distance", []string{"198.51.100.10"}, simServer4, seoul, false, report.Fail, "rtt_too_low",
			[]string{"physically impossible", "between Seoul and the candidate"}},
		// Chromium gathers no candidates without an IPv4 address; with both, media goes over IPv6 too.
		{"IPv6 address in another country", []string{"2001:db8:2::10", "198.51.100.10"}, simServer6, austin, false, report.Warn, "ip_country",
			[]string{"2001:db8:2::10 is in South Korea", "WebRTC media address 2001:db8:2::10: South Korea (KR), AS64500 Example Korea Telecom"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim.candidateAt(tc.candidate...)
			e := startSimServer(t, tc.listen, tc.loc)
			var extra []string
			want := []string{tc.candidate[0]}
			if tc.proxy {
				extra = append(extra, "--proxy-server="+simProxyServer(t))
				want = append(want, simProxy)
			}
			nw := simCall(t, e, sim.chromium(t, extra...), want...)
			if nw.Status != tc.status {
				t.Errorf("network = %s (%s); want %s", nw.Status, nw.Summary, tc.status)
			}
			if tc.kind != "" && !hasEvidence(nw, tc.kind) {
				t.Errorf("no %s finding in the network check", tc.kind)
			}
			text := evidenceText(nw)
			for _, s := range tc.says {
				if !strings.Contains(text, s) {
					t.Errorf("the network check does not say %q", s)
				}
			}
		})
	}
}
