// Package check holds the bot's checks of the candidate's metadata rather than their video:
// the browser's timezone against the claimed one (timezone), where the connection comes
// from and how far away it can physically be (network), and the camera's device name
// (virtual_camera). A Meta collects the signals of one interview from the room; each check
// reads them when the report is built.
//
// Findings compare the candidate with their own claims and with physics, never with their
// language, nationality or looks: browser languages are shown as context and never judged.
package check

import (
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/geo"
	"github.com/integritybot/integritybot/internal/report"
)

// Env is what the checks look things up in. The zero value is valid: every lookup that
// needs missing data makes its check say unknown, with the reason.
type Env struct {
	GeoIP   *geo.DB        // GeoIP and ASN databases (geo.country_db, city_db, asn_db)
	Hosting *geo.Hosting   // hosting / VPN networks (embedded list + geo.vpn_asns_file)
	Places  *geo.Gazetteer // geocodes the claimed location
	Server  *geo.Place     // where the media server is (geo.server_location); nil: not configured
}

// Hello is what the candidate's browser reports about itself (docs/protocol.md, "hello").
type Hello struct {
	Timezone     string   // IANA name from Intl.DateTimeFormat().resolvedOptions().timeZone
	UTCOffsetMin int      // minutes east of UTC the browser's clock shows now
	NowMs        int64    // the browser's clock, Unix milliseconds
	Languages    []string // navigator.languages: context only
	UserAgent    string
}

// Addr sources.
const (
	ViaHTTP  = "HTTP"
	ViaSrflx = "WebRTC public (srflx)"
	ViaRelay = "WebRTC relay"
	ViaPair  = "WebRTC media"
)

type seen struct {
	addr netip.Addr
	via  string
	at   time.Duration
}

// Meta collects the metadata signals of one interview's candidate. Its methods are safe for
// concurrent use; times are wall-clock instants from the room's clock.
type Meta struct {
	env       Env
	claims    report.Candidate
	start     time.Time
	claimed   geo.Place
	claimedOK bool

	mu       sync.Mutex
	hello    *Hello
	helloAt  time.Time
	addrs    []seen // distinct (addr, via)
	relay    bool
	mdns     int
	rttMin   float64 // ms; <0: none yet
	rttLast  float64
	rttN     int
	rttAt    time.Duration
	label    string
	labelAt  time.Duration
	hasLabel bool
	// finished: the call is over; the checks word what is missing as final, not pending.
	finished bool
}

// NewMeta starts collecting for an interview whose call started at start.
func NewMeta(env Env, claims report.Candidate, start time.Time) *Meta {
	m := &Meta{env: env, claims: claims, start: start, rttMin: -1}
	if env.Places != nil && claims.ClaimedLocation != "" {
		m.claimed, m.claimedOK = env.Places.Geocode(claims.ClaimedLocation)
	}
	return m
}

// Hello records the browser's report about itself, received at at.
func (m *Meta) Hello(h Hello, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hello, m.helloAt = &h, at
}

// HTTPAddr records the HTTP client address of the candidate's signaling connection.
func (m *Meta) HTTPAddr(a netip.Addr, at time.Time) { m.addAddr(a, ViaHTTP, at) }

// ICECandidate records a candidate the browser offered: typ is host, srflx, prflx or relay;
// address is an IP or an mDNS name (xxxx.local, expected: browsers hide local addresses).
func (m *Meta) ICECandidate(typ, address string, at time.Time) {
	if a, err := netip.ParseAddr(address); err == nil {
		switch typ {
		case "srflx", "prflx":
			m.addAddr(a, ViaSrflx, at)
		case "relay":
			m.mu.Lock()
			m.relay = true
			m.mu.Unlock()
		}
		return
	}
	m.mu.Lock()
	m.mdns++
	m.mu.Unlock()
}

// Pair records the selected ICE candidate pair: the browser's address as the server's media
// stack sees it, its candidate type, and the round-trip time (0 when not measured yet).
func (m *Meta) Pair(remote netip.Addr, typ string, rtt time.Duration, at time.Time) {
	if remote.IsValid() {
		via := ViaPair
		if typ == "relay" {
			via = ViaRelay
		}
		m.addAddr(remote, via, at)
	}
	if rtt <= 0 {
		return
	}
	ms := float64(rtt) / float64(time.Millisecond)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rttMin < 0 || ms < m.rttMin {
		m.rttMin, m.rttAt = ms, at.Sub(m.start)
	}
	m.rttLast = ms
	m.rttN++
}

// CameraLabel records the label of the candidate's camera.
func (m *Meta) CameraLabel(label string, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if label == "" || m.hasLabel && m.label == label {
		return
	}
	m.label, m.labelAt, m.hasLabel = label, at.Sub(m.start), true
}

func (m *Meta) addAddr(a netip.Addr, via string, at time.Time) {
	a = a.Unmap()
	if !a.IsValid() {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.addrs {
		if s.addr == a && s.via == via {
			return
		}
	}
	if len(m.addrs) >= 32 { // bounded: a browser cannot grow the report without limit
		return
	}
	m.addrs = append(m.addrs, seen{addr: a, via: via, at: at.Sub(m.start)})
	sort.SliceStable(m.addrs, func(i, j int) bool { return m.addrs[i].at < m.addrs[j].at })
}

// Checks returns the three checks reading this Meta, for Session.AddCheck.
func (m *Meta) Checks() []bot.Check {
	return []bot.Check{timezoneCheck{m}, networkCheck{m}, cameraCheck{m}}
}

// finish marks the call over (bot.Finisher, through each check): from then on the checks say
// what the call gave ("the browser never reported"), not what they still wait for.
func (m *Meta) finish() {
	m.mu.Lock()
	m.finished = true
	m.mu.Unlock()
}

// Finish implements bot.Finisher.
func (c timezoneCheck) Finish(time.Duration) { c.m.finish() }

// Finish implements bot.Finisher.
func (c networkCheck) Finish(time.Duration) { c.m.finish() }

// Finish implements bot.Finisher.
func (c cameraCheck) Finish(time.Duration) { c.m.finish() }

var (
	_ bot.Finisher = timezoneCheck{}
	_ bot.Finisher = networkCheck{}
	_ bot.Finisher = cameraCheck{}
)

func secs(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }
