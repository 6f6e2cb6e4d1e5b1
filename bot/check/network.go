package check

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/integritybot/integritybot/internal/geo"
	"github.com/integritybot/integritybot/internal/report"
)

// Latency physics thresholds.
const (
	// rttSlackMs absorbs coordinate and timing error before an RTT counts as impossible.
	rttSlackMs = 3.0
	// rttHighFactor and rttHighExtraMs: an RTT above factor×floor+extra is far more than the
	// distance explains (a weak hint of a tunnel; slow, mobile or satellite links do it too).
	rttHighFactor  = 3.0
	rttHighExtraMs = 150.0
)

type networkCheck struct{ m *Meta }

type finding struct {
	status report.Status
	conf   float64
	kind   string
	at     time.Duration
	text   string
	next   string
}

// netState is a copy of what the network check reads, taken under the lock.
type netState struct {
	addrs          []seen
	relay          bool
	mdns, rttN     int
	rttMin, rttAvg float64
	rttAt          time.Duration
}

// Result judges where the connection comes from against the claimed location and physics.
func (c networkCheck) Result(now time.Duration) report.Check {
	m := c.m
	m.mu.Lock()
	st := netState{addrs: append([]seen(nil), m.addrs...), relay: m.relay, mdns: m.mdns,
		rttN: m.rttN, rttMin: m.rttMin, rttAvg: m.rttLast, rttAt: m.rttAt}
	final := m.finished
	m.mu.Unlock()
	r := report.Check{ID: report.CheckNetwork, Status: report.Unknown, Evidence: []report.Evidence{}}
	if len(st.addrs) == 0 && st.rttN == 0 {
		r.Summary = "No connection data yet: the candidate has not joined."
		if final {
			r.Summary = "Not checked: no connection data arrived (the candidate did not join)."
		}
		return r
	}
	var fs []finding
	var why []string // reasons a part could not be checked
	checked := 0

	infos := m.lookupAll(st.addrs, &r)
	if len(infos) == 0 && len(st.addrs) > 0 {
		why = append(why, "every address seen is private or loopback")
	}
	n, w := m.countryFindings(infos, &fs)
	checked += n
	why = append(why, w...)
	checked += m.hostingFindings(infos, &fs)
	twoPaths(infos, &fs)
	n, w = m.latency(st, &fs, &r)
	checked += n
	why = append(why, w...)
	plain := notChecked(why, final, &r)
	if st.relay {
		r.Evidence = append(r.Evidence, report.Evidence{Kind: "context", Detail: "The browser offered a relay (TURN) candidate: its direct UDP path may be blocked."})
	}
	if st.mdns > 0 {
		r.Evidence = append(r.Evidence, report.Evidence{Kind: "context", Detail: fmt.Sprintf("The browser hid %d local address(es) behind mDNS names, as browsers do by default (expected).", st.mdns)})
	}

	for _, f := range fs {
		r.Evidence = append(r.Evidence, report.Evidence{AtS: secs(f.at), Kind: f.kind, Detail: f.text})
	}
	sort.SliceStable(fs, func(i, j int) bool { return severity(fs[i].status) > severity(fs[j].status) })
	switch {
	case len(fs) > 0:
		r.Status, r.Confidence, r.Summary, r.NextStep = fs[0].status, fs[0].conf, fs[0].text, fs[0].next
		if len(fs) > 1 {
			r.Summary += fmt.Sprintf(" (%d more finding(s) below.)", len(fs)-1)
		}
	case checked > 0:
		r.Status, r.Confidence = report.Pass, 0.5
		r.Summary = "The connection fits the claimed location " + quote(m.claims.ClaimedLocation) + " in every check that could run."
		if plain != "" {
			r.Summary += " Not checked: " + plain + "."
		}
	default:
		r.Summary = "Could not check the network: " + plain + "."
	}
	return r
}

// notChecked turns the reasons parts of the check could not run into plain words for the
// summary, and keeps the exact reasons (configuration keys, addresses) in one evidence line
// for whoever runs the server: installing location data is the operator's job, not a next
// step for the interviewer.
func notChecked(why []string, final bool, r *report.Check) string {
	why = dedupe(why)
	if len(why) == 0 {
		return ""
	}
	var plain []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			plain = append(plain, s)
		}
	}
	for _, w := range why {
		switch {
		case strings.Contains(w, "is configured") || strings.Contains(w, "geo.server_location"):
			add("location data is not installed on this server")
		case strings.Contains(w, "private") || strings.Contains(w, "loopback"):
			add("the connection came from a private network address, which has no location")
		case strings.Contains(w, "offline table"):
			add("the claimed location is not a place this server knows")
		case strings.Contains(w, "has no entry"):
			add("the location data has no entry for the candidate's address")
		case strings.Contains(w, "round-trip") && final:
			add("no round-trip time was measured")
		case strings.Contains(w, "round-trip"):
			add("no round-trip time measured yet")
		default:
			add(w)
		}
	}
	detail := "Not checked: " + strings.Join(why, "; ") + "."
	if seen["location data is not installed on this server"] {
		detail += " For the server's operator: docs/checks/network.md, \"Data files\"."
	}
	r.Evidence = append(r.Evidence, report.Evidence{Kind: "not_checked", Detail: detail})
	return strings.Join(plain, "; ")
}

type addrInfo struct {
	seen
	info geo.Info
}

// lookupAll looks up every public address and adds one evidence line per address.
func (m *Meta) lookupAll(addrs []seen, r *report.Check) []addrInfo {
	var out []addrInfo
	for _, s := range addrs {
		if !m.env.GeoIP.Routable(s.addr) {
			r.Evidence = append(r.Evidence, report.Evidence{AtS: secs(s.at), Kind: "address",
				Detail: fmt.Sprintf("%s address %s is private or loopback (a local network); it says nothing about location.", s.via, s.addr)})
			continue
		}
		in := m.env.GeoIP.Lookup(s.addr)
		out = append(out, addrInfo{s, in})
		d := fmt.Sprintf("%s address %s: ", s.via, s.addr)
		if in.Country != "" {
			d += geo.CountryName(in.Country) + " (" + in.Country + ")"
		} else {
			d += "country unknown (" + in.CountryWhy + ")"
		}
		if in.ASN != 0 {
			d += fmt.Sprintf(", AS%d %s", in.ASN, in.ASOrg)
		}
		r.Evidence = append(r.Evidence, report.Evidence{AtS: secs(s.at), Kind: "address", Detail: strings.TrimSpace(d) + "."})
	}
	return out
}

// countryFindings compares address countries with the claimed country and with each other.
func (m *Meta) countryFindings(infos []addrInfo, fs *[]finding) (checked int, why []string) {
	claimed := ""
	if m.claimedOK {
		claimed = m.claimed.Country
	}
	countries := map[string][]string{}
	var order []string
	flagged := map[netip.Addr]bool{}
	for _, a := range infos {
		if a.info.Country == "" {
			why = append(why, a.info.CountryWhy)
			continue
		}
		if _, ok := countries[a.info.Country]; !ok {
			order = append(order, a.info.Country)
		}
		countries[a.info.Country] = append(countries[a.info.Country], a.addr.String())
		if claimed == "" {
			continue
		}
		checked++
		if a.info.Country != claimed && !flagged[a.addr] {
			flagged[a.addr] = true
			*fs = append(*fs, finding{report.Warn, 0.6, "ip_country", a.at,
				fmt.Sprintf("The %s address %s is in %s; the candidate said %s (%s).", a.via, a.addr, geo.CountryName(a.info.Country), m.claims.ClaimedLocation, geo.CountryName(claimed)),
				"Ask the candidate whether they use a VPN and where they are today; ask them to turn it off for the call."})
		}
	}
	if claimed == "" && len(infos) > 0 {
		why = append(why, "the claimed location "+quote(m.claims.ClaimedLocation)+" is not in the offline table of places")
	}
	if len(order) > 1 {
		var parts []string
		for _, c := range order {
			parts = append(parts, c+" ("+strings.Join(countries[c], ", ")+")")
		}
		*fs = append(*fs, finding{report.Warn, 0.6, "several_countries", infos[len(infos)-1].at,
			fmt.Sprintf("The candidate's public addresses were in %d countries during the interview: %s.", len(order), strings.Join(parts, "; ")),
			"Ask the candidate about their connection: a VPN or proxy that changes exit country, or a remote desktop."})
	}
	return checked, why
}

// hostingFindings flags addresses in hosting, cloud or VPN networks.
func (m *Meta) hostingFindings(infos []addrInfo, fs *[]finding) (checked int) {
	for _, a := range infos {
		if a.info.ASN != 0 {
			checked++
		}
		label, ok := m.env.Hosting.Match(a.addr, a.info.ASN)
		if !ok {
			continue
		}
		as := ""
		if a.info.ASN != 0 {
			as = fmt.Sprintf("AS%d, ", a.info.ASN)
		}
		*fs = append(*fs, finding{report.Warn, 0.5, "hosting", a.at,
			fmt.Sprintf("The %s address %s belongs to %s%s, a hosting/VPN network: the traffic leaves through a data centre, not a home or office line.", a.via, a.addr, as, label),
			"Ask the candidate whether they use a VPN, proxy or cloud desktop, and to join without it."})
	}
	return checked
}

// twoPaths flags a WebRTC public address different from the HTTP one (same IP family):
// web traffic and media taking two routes is typical of a proxy that carries only HTTP.
func twoPaths(infos []addrInfo, fs *[]finding) {
	var httpA []addrInfo
	for _, a := range infos {
		if a.via == ViaHTTP {
			httpA = append(httpA, a)
		}
	}
	for _, w := range infos {
		if w.via == ViaHTTP || w.via == ViaRelay {
			continue
		}
		for _, h := range httpA {
			if h.addr.Is4() != w.addr.Is4() || h.addr == w.addr || sameNetwork(h, w) {
				continue
			}
			*fs = append(*fs, finding{report.Warn, 0.4, "two_paths", w.at,
				fmt.Sprintf("Web traffic came from %s but WebRTC media from %s: two paths, typical of a proxy or VPN that carries only part of the traffic.", h.addr, w.addr),
				"Ask the candidate whether a proxy, VPN or remote desktop is in use."})
			return
		}
	}
}

// sameNetwork: both addresses in one AS (when known), else in one /24 (IPv4) or /48 (IPv6).
func sameNetwork(a, b addrInfo) bool {
	if a.info.ASN != 0 && b.info.ASN != 0 {
		return a.info.ASN == b.info.ASN
	}
	bits := 24
	if !a.addr.Is4() {
		bits = 48
	}
	pa, _ := a.addr.Prefix(bits)
	pb, _ := b.addr.Prefix(bits)
	return pa == pb
}

// latency compares the measured round trip with the distance from the server to the claimed
// place: light in fibre needs distance/100 ms of RTT at least.
func (m *Meta) latency(st netState, fs *[]finding, r *report.Check) (checked int, why []string) {
	if st.rttN > 0 {
		r.Evidence = append(r.Evidence, report.Evidence{AtS: secs(st.rttAt), Kind: "rtt_measured",
			Detail: fmt.Sprintf("Round trip between the server and the candidate: lowest %.1f ms, last %.1f ms (%d samples).", st.rttMin, st.rttAvg, st.rttN)})
	}
	switch {
	case m.env.Server == nil:
		return 0, []string{"latency physics needs the server's location (geo.server_location)"}
	case !m.claimedOK || !m.claimed.HasPoint:
		return 0, []string{"latency physics needs a claimed city from the offline table (" + quote(m.claims.ClaimedLocation) + " is not one)"}
	case st.rttN == 0:
		return 0, []string{"no round-trip time measured yet"}
	}
	s := m.env.Server
	km := geo.DistanceKm(s.Lat, s.Lon, m.claimed.Lat, m.claimed.Lon)
	floor := geo.MinRTTms(km)
	name := s.Name
	if name == "" {
		name = "the server"
	}
	samples := "1 sample"
	if st.rttN > 1 {
		samples = fmt.Sprintf("lowest of %d samples", st.rttN)
	}
	base := fmt.Sprintf("Round trip %.0f ms (%s) between %s and the candidate; %s is %.0f km away, which light in fibre needs at least %.0f ms for",
		st.rttMin, samples, name, m.claims.ClaimedLocation, km, floor)
	switch {
	case st.rttMin+rttSlackMs < floor:
		*fs = append(*fs, finding{report.Fail, 0.8, "rtt_too_low", st.rttAt,
			base + ": physically impossible, the candidate's network endpoint is nearer than claimed.",
			"Ask the candidate where they are; a remote desktop or relay near the server would also explain it."})
	case st.rttMin > rttHighFactor*floor+rttHighExtraMs:
		*fs = append(*fs, finding{report.Warn, 0.25, "rtt_high", st.rttAt,
			base + ": far more than the distance explains, a weak hint of a tunnel or VPN (slow, mobile or satellite links do this too).",
			"Ask the candidate about their connection; no conclusion from this alone."})
	default:
		r.Evidence = append(r.Evidence, report.Evidence{AtS: secs(st.rttAt), Kind: "rtt", Detail: base + ": consistent."})
	}
	return 1, nil
}

func severity(s report.Status) int {
	switch s {
	case report.Fail:
		return 3
	case report.Warn:
		return 2
	}
	return 0
}

func quote(s string) string {
	if s == "" {
		return "(none given)"
	}
	return s
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
