package h264

import (
	"github.com/pion/rtp"

	"github.com/integritybot/integritybot/media/rtpframe"
)

const (
	// ringSize bounds the packets held at once, and so the largest access unit.
	ringSize = 512
	// maxHoldPackets and maxHoldTicks bound how long an incomplete access unit is held once
	// a newer one is complete (reordering, NACK repairs), as in media/rtpframe.
	maxHoldPackets = 64
	maxHoldTicks   = 90000 / 10 // 100 ms at the 90 kHz video clock
	// resyncAfter consecutive packets older than the window mean the sender restarted its
	// sequence numbers.
	resyncAfter = 64
	extBase     = 1 << 20
)

// slot holds one received packet.
type slot struct {
	ext       int64
	present   bool
	padding   bool
	marker    bool
	startLike bool // begins with an AUD, SEI or SPS: the first packet of an access unit
	ts        uint32
	data      []byte // RTP payload, reused
}

// Assembler turns the RTP packets of one H.264 stream (one SSRC) into complete Annex-B
// access units. It is not safe for concurrent use.
//
// RTP H.264 has no start-of-frame flag: an access unit is the run of packets with one
// timestamp, ending at the marker bit (RFC 6184 §5.1). A packet starts one when the packet
// before it was received and ended the previous one (marker, other timestamp, padding), or
// when it opens with an AUD, SEI or SPS. An access unit is complete when its packets are
// all present. After loss nothing is returned until an IDR access unit, and WantKeyframe
// turns true so the caller sends a PLI. Like media/rtpframe it drops duplicates, treats
// empty payloads as padding, and holds an incomplete unit up to 100 ms / 64 packets.
type Assembler struct {
	ring [ringSize]slot

	started  bool
	highest  int64
	next     int64
	consumed bool // something was consumed or given up; next is final
	clean    bool // next is known to start an access unit
	lateRun  int
	waitKey  bool
	haveLast bool
	lastTS   uint32
	lostTS   uint32
	lostOK   bool
	highTS   uint32
	stats    rtpframe.Stats
	out      []rtpframe.Frame
}

// NewAssembler returns an Assembler that waits for an IDR access unit before returning any.
func NewAssembler() *Assembler { return &Assembler{waitKey: true} }

// WantKeyframe reports whether the assembler is dropping access units until an IDR.
func (a *Assembler) WantKeyframe() bool { return a.waitKey }

// NeedKeyframe makes the assembler drop access units until the next IDR; call it when one
// failed to decode.
func (a *Assembler) NeedKeyframe() { a.waitKey = true }

// Stats returns the counters so far.
func (a *Assembler) Stats() rtpframe.Stats { return a.stats }

// Push adds one packet and returns the access units it completed, oldest first. The slice
// is reused by the next Push; each Frame's Data is a fresh Annex-B copy the caller owns.
func (a *Assembler) Push(pkt *rtp.Packet) []rtpframe.Frame {
	a.out = a.out[:0]
	if pkt == nil {
		return nil
	}
	a.stats.Packets++
	padding := len(pkt.Payload) == 0
	if !padding && !validPayload(pkt.Payload) {
		a.stats.Malformed++
		return nil
	}
	ext, ok := a.admit(pkt.SequenceNumber)
	if !ok {
		return nil
	}
	s := &a.ring[ext&(ringSize-1)]
	if s.present && s.ext == ext {
		a.stats.Duplicates++
		return nil
	}
	if ext == a.highest {
		a.highTS = pkt.Timestamp
	}
	if padding {
		a.stats.Padding++
	}
	*s = slot{
		ext: ext, present: true, padding: padding, marker: pkt.Marker, ts: pkt.Timestamp,
		startLike: !padding && startLike(pkt.Payload), data: append(s.data[:0], pkt.Payload...),
	}
	a.assemble()
	return a.out
}

// validPayload accepts what packetization modes 0 and 1 allow: single NAL units (1–23),
// STAP-A and FU-A, with the forbidden bit clear.
func validPayload(p []byte) bool {
	if p[0]&0x80 != 0 {
		return false
	}
	switch t := p[0] & 0x1f; {
	case t >= 1 && t <= 23:
		return true
	case t == naluSTAPA:
		return len(p) >= 3
	case t == naluFUA:
		return len(p) >= 3 && p[1]&0xc0 != 0xc0 // not both start and end
	}
	return false
}

func startLike(p []byte) bool {
	t := p[0] & 0x1f
	if t == naluSTAPA && len(p) >= 4 {
		t = p[3] & 0x1f
	}
	return t == naluAUD || t == naluSEI || t == naluSPS
}

// admit places seq in the window and returns its extended sequence number, or false if the
// packet is too old to use.
func (a *Assembler) admit(seq uint16) (int64, bool) {
	if !a.started {
		a.started = true
		a.highest = extBase + int64(seq)
		a.next = a.highest
		return a.highest, true
	}
	ext := a.highest + int64(int16(seq-uint16(a.highest)))
	switch {
	case ext < a.next && !a.consumed && a.highest-ext < ringSize:
		a.next = ext // reordered at the very start: widen the window backwards
	case ext < a.next:
		a.stats.Duplicates++
		a.lateRun++
		if a.lateRun >= resyncAfter {
			a.resync()
			return a.admit(seq)
		}
		return 0, false
	case ext-a.next >= ringSize:
		a.giveUp(ext-ringSize+1, false)
	}
	a.lateRun = 0
	if ext > a.highest {
		a.highest = ext
	}
	return ext, true
}

// resync forgets all state except counters; the next packet starts over.
func (a *Assembler) resync() {
	if a.next <= a.highest {
		a.giveUp(a.highest+1, false)
	}
	for i := range a.ring {
		a.ring[i].present = false
	}
	a.started, a.consumed, a.clean, a.lateRun, a.haveLast = false, false, false, 0, false
	a.waitKey = true
}

func (a *Assembler) at(i int64) *slot {
	s := &a.ring[i&(ringSize-1)]
	if s.present && s.ext == i {
		return s
	}
	return nil
}

// isStart reports whether packet i certainly begins an access unit.
func (a *Assembler) isStart(i int64) bool {
	s := a.at(i)
	if s == nil || s.padding {
		return false
	}
	if i == a.next && a.clean {
		return true
	}
	if p := a.at(i - 1); p != nil {
		return p.padding || p.marker || p.ts != s.ts
	}
	return s.startLike
}
