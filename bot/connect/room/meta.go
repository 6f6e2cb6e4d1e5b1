package room

import (
	"net/netip"
	"strings"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/bot/check"
)

// statsInterval is how often the candidate's connection stats (selected pair, RTT) are read.
const statsInterval = 3 * time.Second

// onHello passes the candidate's browser report to the metadata checks.
func (p *participant) onHello(msg Message) {
	if p.role != Candidate {
		return
	}
	off := 0
	if msg.UTCOffsetMin != nil {
		off = *msg.UTCOffsetMin
	}
	p.rm.meta.Hello(check.Hello{Timezone: msg.Timezone, UTCOffsetMin: off, NowMs: msg.NowMs,
		Languages: msg.Languages, UserAgent: msg.UserAgent}, p.rm.m.now())
	p.rm.sess.Event("hello", "candidate's browser: timezone "+msg.Timezone+"; languages "+strings.Join(msg.Languages, ", "))
}

// noteCandidate records an ICE candidate the candidate's browser offered (trickled or in
// the offer's SDP).
func (p *participant) noteCandidate(line string) {
	if p.role != Candidate {
		return
	}
	c, err := ice.UnmarshalCandidate(strings.TrimPrefix(strings.TrimSpace(line), "a="))
	if err != nil {
		return
	}
	p.rm.meta.ICECandidate(c.Type().String(), c.Address(), p.rm.m.now())
}

// noteOfferCandidates records the candidates inside an offer (browsers that do not trickle).
func (p *participant) noteOfferCandidates(sdp string) {
	if p.role != Candidate {
		return
	}
	for _, l := range strings.Split(sdp, "\n") {
		if strings.HasPrefix(l, "a=candidate:") {
			p.noteCandidate(l)
		}
	}
}

// startStats starts polling the candidate's connection stats, once, until the participant
// closes.
func (p *participant) startStats() {
	if p.role != Candidate {
		return
	}
	p.mu.Lock()
	if p.closed || p.statsOn {
		p.mu.Unlock()
		return
	}
	p.statsOn = true
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(statsInterval)
		defer t.Stop()
		for {
			select {
			case <-p.sock.done:
				return
			case <-t.C:
			}
			if p.pc.ConnectionState() == webrtc.PeerConnectionStateClosed {
				return
			}
			p.readStats()
		}
	}()
}

// readStats records the selected candidate pair's remote (browser) address and its RTT.
func (p *participant) readStats() {
	stats := p.pc.GetStats()
	var pair *webrtc.ICECandidatePairStats
	for _, s := range stats {
		if ps, ok := s.(webrtc.ICECandidatePairStats); ok && ps.Nominated && ps.State == webrtc.StatsICECandidatePairStateSucceeded {
			pair = &ps
			break
		}
	}
	if pair == nil {
		return
	}
	var addr netip.Addr
	typ := ""
	if rc, ok := stats[pair.RemoteCandidateID].(webrtc.ICECandidateStats); ok {
		addr, _ = netip.ParseAddr(rc.IP)
		typ = rc.CandidateType.String()
	}
	rtt := time.Duration(pair.CurrentRoundTripTime * float64(time.Second))
	if rtt <= 0 {
		// Fall back to RTCP: the browser's receiver reports on the media we forward to it.
		for _, s := range stats {
			if ri, ok := s.(webrtc.RemoteInboundRTPStreamStats); ok && ri.RoundTripTime > 0 {
				rtt = time.Duration(ri.RoundTripTime * float64(time.Second))
				break
			}
		}
	}
	p.rm.meta.Pair(addr, typ, rtt, p.rm.m.now())
}
