package room

import (
	"strings"
	"time"
)

// Bounds on what one signaling socket may make the server do (issue 15, finding 1: 600,000
// messages in 8 s grew one report to 214 MB; 50,000 ICE candidates took 80 % of a core).
const (
	// MessageRate is how many signaling messages a second one socket may send, sustained,
	// and MessageBurst how many at once (a browser sends its offer, a few dozen candidates,
	// hello and track states when it joins, then a few a minute). Past them the socket is
	// closed with 1008 (policy violation); the browser's page may reconnect.
	MessageRate  = 20
	MessageBurst = 200
	// MaxRemoteCandidates bounds the ICE candidates one peer connection takes from its
	// browser in total — in offers, trickled, before and after the offer, across ICE
	// restarts. Browsers send a handful per interface; the rest are ignored, with one error.
	MaxRemoteCandidates = 100
)

// bucket is a token bucket on an injected clock (tests freeze it, so what is allowed does
// not depend on how fast the machine sends).
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
	now                 func() time.Time
}

func newBucket(rate, burst float64, now func() time.Time) *bucket {
	return &bucket{rate: rate, burst: burst, tokens: burst, last: now(), now: now}
}

// allow takes a token if there is one.
func (b *bucket) allow() bool {
	t := b.now()
	if d := t.Sub(b.last); d > 0 {
		b.tokens = min(b.burst, b.tokens+d.Seconds()*b.rate)
		b.last = t
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// takeCandidate counts one remote ICE candidate against MaxRemoteCandidates; past it the
// browser is told once and the candidate is ignored. Only the signaling reader calls it.
func (p *participant) takeCandidate() bool {
	if p.remoteCands.Load() >= MaxRemoteCandidates {
		if !p.candWarned {
			p.candWarned = true
			p.log.Warn("too many remote ICE candidates; ignoring the rest", "max", MaxRemoteCandidates)
			p.sock.Send(out{Type: "error", Error: "too many ICE candidates: a connection takes at most 100; the rest are ignored"})
		}
		return false
	}
	p.remoteCands.Add(1)
	return true
}

// limitOfferCandidates keeps the candidate lines of an offer that takeCandidate allows and
// drops the others.
func (p *participant) limitOfferCandidates(sdp string) string {
	if !strings.Contains(sdp, "a=candidate:") {
		return sdp
	}
	lines := strings.SplitAfter(sdp, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if strings.HasPrefix(l, "a=candidate:") && !p.takeCandidate() {
			continue
		}
		kept = append(kept, l)
	}
	return strings.Join(kept, "")
}
