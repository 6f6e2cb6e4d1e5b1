// Package rtpframe reassembles complete encoded VP8 and VP9 frames from RTP
// packets (RFC 7741, RFC 9628).
//
// It replaces pion's samplebuilder, which Chromium's padding-only packets
// (empty payload, previous frame's timestamp, no marker) break. The Assembler
// drops duplicates (RTX repairs and bandwidth probes resend old packets),
// tolerates brief reordering so that NACK repairs still help, detects loss
// from sequence numbers and picture IDs (a decoder cannot see a whole missing
// frame), and after loss emits nothing until the next keyframe.
package rtpframe

import (
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"github.com/integritybot/integritybot/media/vpx"
)

const (
	// ringSize bounds the packets held at once, and so the largest frame
	// (512 packets of ~1.2 kB is 600 kB, a very large keyframe).
	ringSize = 512
	// maxHoldPackets and maxHoldTicks bound how long an incomplete frame is
	// held once a newer frame is complete: long enough for a reordered packet
	// or a quick NACK repair, short enough to ask for a keyframe soon.
	maxHoldPackets = 64
	maxHoldTicks   = 90000 / 10 // 100 ms at the 90 kHz video clock
	// resyncAfter consecutive packets older than the window mean the sender
	// restarted its sequence numbers; the assembler starts over.
	resyncAfter = 64
	// extBase keeps extended sequence numbers positive.
	extBase = 1 << 20
)

// Frame is one complete encoded frame.
type Frame struct {
	// Data is the frame's bitstream, owned by the caller.
	Data      []byte
	Timestamp uint32 // RTP timestamp
	Keyframe  bool
	// Width and Height come from keyframe headers; 0 for other frames.
	Width, Height     int
	FirstSeq, LastSeq uint16
	// Layered reports that the payload descriptor carried a temporal layer index (VP8 T=1,
	// RFC 7741 §4.2; VP9 L=1, RFC 9628 §4.2): the sender uses temporal scalability
	// (scalabilityMode L1T2/L1T3). TID is then the frame's temporal layer, 0 the base layer;
	// it is 0 when Layered is false.
	Layered bool
	TID     uint8
	// LayerSync is VP8's Y bit (RFC 7741 §4.2): the frame depends only on base layer
	// (TID 0) frames, so a receiver that skipped upper layer frames can decode it. Always
	// false for VP9, whose U bit (switching up point) promises something else.
	LayerSync bool
}

// Stats counts what an Assembler has seen. Every pushed packet is counted in
// Packets and in at most one of Duplicates, Padding or Malformed.
type Stats struct {
	Packets        uint64 // packets pushed
	Duplicates     uint64 // duplicate packets, and packets too late to use
	Padding        uint64 // packets with an empty payload
	FramesComplete uint64 // frames returned by Push
	FramesLost     uint64 // frames given up as incomplete (an estimate)
	FramesSkipped  uint64 // complete frames dropped while waiting for a keyframe
	Malformed      uint64 // payloads the depacketizer rejected
}

// meta is what the Assembler keeps per packet beside the codec payload.
type meta struct {
	pictureID int32 // -1 if absent
	layer     layer
}

// Assembler turns the RTP packets of one VP8 or VP9 stream (one SSRC) into
// complete frames. It is not safe for concurrent use.
//
// A frame is complete when its first packet (VP8 S=1 and PID=0; VP9 B=1 in
// the first spatial layer) through its end are all present with consecutive
// sequence numbers. It ends at the marker bit, or before a padding packet or
// a packet with another timestamp. Frames come out in sequence order.
//
// An incomplete frame is held while newer ones complete, until 100 ms of RTP
// time or 64 packets have arrived after it, so that reordered packets and
// quick NACK repairs still count; then it and everything before the newer
// frame are lost, WantKeyframe turns true, and complete frames are skipped
// until a keyframe. A gap that picture IDs show held no frame (lost padding)
// is not a loss.
type Assembler struct {
	codec   vpx.Codec
	w       Window[meta]
	waitKey bool
	lastPID int32 // picture ID of the last consumed frame (valid while w.haveLast)
	stats   Stats
	vp8     codecs.VP8Packet
	vp9     codecs.VP9Packet
	out     []Frame
}

// New returns an Assembler for codec c (vpx.VP8 or vpx.VP9) that waits for a
// keyframe before returning frames.
func New(c vpx.Codec) *Assembler {
	a := &Assembler{codec: c, waitKey: true}
	a.w.Init(&a.stats, false, a.emit, a.lose)
	return a
}

// WantKeyframe reports whether the assembler is dropping frames until a
// keyframe arrives; the caller should send a PLI (rate-limited).
func (a *Assembler) WantKeyframe() bool { return a.waitKey }

// NeedKeyframe makes the assembler drop frames until the next keyframe; call
// it when a returned frame failed to decode or decoded corrupted.
func (a *Assembler) NeedKeyframe() { a.waitKey = true }

// Stats returns the counters so far.
func (a *Assembler) Stats() Stats { return a.stats }

// Push adds one packet and returns the frames it completed, oldest first. The
// returned slice is reused by the next Push; each Frame's Data is a fresh
// copy the caller owns. pkt is not retained.
func (a *Assembler) Push(pkt *rtp.Packet) []Frame {
	a.out = a.out[:0]
	if pkt == nil {
		return nil
	}
	a.stats.Packets++
	var (
		payload []byte
		d       = desc{pid: -1}
	)
	padding := len(pkt.Payload) == 0
	if !padding {
		var ok bool
		payload, d, ok = a.depacketize(pkt.Payload)
		if !ok {
			// The data is unusable, so the sequence number stays missing and
			// its frame is lost.
			a.stats.Malformed++
			return nil
		}
	}
	if !a.w.Put(pkt.SequenceNumber, pkt.Timestamp, pkt.Marker, d.start, meta{d.pid, d.layer}, payload) {
		return nil
	}
	return a.out
}

// layer is the temporal layer information of a packet's payload descriptor.
type layer struct {
	layered bool // the descriptor carried a temporal layer index
	tid     uint8
	sync    bool // VP8 Y
}

// desc is what the assembler reads from one packet's payload descriptor.
type desc struct {
	start bool  // first packet of a frame (of its first spatial layer for VP9)
	pid   int32 // picture ID, -1 if absent
	layer
}

// depacketize strips the payload descriptor and returns what it said.
func (a *Assembler) depacketize(b []byte) (payload []byte, d desc, ok bool) {
	d.pid = -1
	switch a.codec {
	case vpx.VP8:
		p, err := a.vp8.Unmarshal(b)
		if err != nil || len(p) == 0 {
			return nil, d, false
		}
		if a.vp8.I == 1 {
			d.pid = int32(a.vp8.PictureID)
		}
		// pion reads TID and Y whenever T or K is set; only T=1 makes TID meaningful.
		if a.vp8.X == 1 && a.vp8.T == 1 {
			d.layer = layer{layered: true, tid: a.vp8.TID, sync: a.vp8.Y == 1}
		}
		d.start = a.vp8.S == 1 && a.vp8.PID == 0
		return p, d, true
	case vpx.VP9:
		// pion appends to these slices without resetting them.
		a.vp9.PDiff, a.vp9.PGTID, a.vp9.PGU = a.vp9.PDiff[:0], a.vp9.PGTID[:0], a.vp9.PGU[:0]
		p, err := a.vp9.Unmarshal(b)
		if err != nil || len(p) == 0 {
			return nil, d, false
		}
		if a.vp9.I {
			d.pid = int32(a.vp9.PictureID)
		}
		if a.vp9.L {
			d.layer = layer{layered: true, tid: a.vp9.TID}
		}
		d.start = a.vp9.B && (!a.vp9.L || a.vp9.SID == 0)
		return p, d, true
	}
	return nil, d, false
}
