package h264

import (
	"github.com/pion/rtp"

	"github.com/integritybot/integritybot/media/rtpframe"
)

// Assembler turns the RTP packets of one H.264 stream (one SSRC) into complete Annex-B
// access units. It is not safe for concurrent use.
//
// RTP H.264 has no start-of-frame flag: an access unit is the run of packets with one
// timestamp, ending at the marker bit (RFC 6184 §5.1). A packet starts one when the packet
// before it was received and ended the previous one (marker, other timestamp, padding), or
// when it opens with an AUD, SEI or SPS. An access unit is complete when its packets are
// all present. After loss nothing is returned until an IDR access unit, and WantKeyframe
// turns true so the caller sends a PLI. It shares media/rtpframe's reorder Window with the
// VP8/VP9 assembler, so it drops duplicates, treats empty payloads as padding, and holds an
// incomplete unit up to 100 ms / 64 packets the same way.
type Assembler struct {
	w       rtpframe.Window[struct{}]
	waitKey bool
	stats   rtpframe.Stats
	out     []rtpframe.Frame
}

// NewAssembler returns an Assembler that waits for an IDR access unit before returning any.
func NewAssembler() *Assembler {
	a := &Assembler{waitKey: true}
	a.w.Init(&a.stats, true, a.emit, a.lose)
	return a
}

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
	// RTP H.264 has no start flag: the window infers starts from the packets around, and
	// uses startLike when the packet before is missing.
	if !a.w.Put(pkt.SequenceNumber, pkt.Timestamp, pkt.Marker, !padding && startLike(pkt.Payload),
		struct{}{}, pkt.Payload) {
		return nil
	}
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
