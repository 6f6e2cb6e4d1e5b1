package h264

import (
	"github.com/pion/rtp/codecs"

	"github.com/integritybot/integritybot/media/rtpframe"
)

// assemble consumes complete access units from the front of the window, and gives up on an
// incomplete front once a newer unit is complete and the hold time is over.
func (a *Assembler) assemble() {
	for a.next <= a.highest {
		s := a.at(a.next)
		from := a.next + 1
		switch {
		case s != nil && s.padding:
			s.present = false
			a.next++
			a.consumed = true
			continue
		case s != nil && a.isStart(a.next):
			end, complete, gap := a.frameEnd(a.next)
			if complete {
				a.emit(a.next, end)
				continue
			}
			if gap < 0 {
				return // still arriving
			}
			from = gap + 1
		case s != nil && a.consumed:
			// The rest of an access unit whose start was lost: never decodable.
			a.giveUp(a.next+1, false)
			continue
		}
		q := a.findComplete(from)
		if q < 0 || !a.holdExpired() {
			return
		}
		a.giveUp(q, true)
	}
}

// frameEnd walks the access unit starting at i: it ends at its marker bit, or before padding
// or a packet with another timestamp. gap is the first missing packet, or -1 if the unit is
// contiguous up to the highest packet received.
func (a *Assembler) frameEnd(i int64) (end int64, complete bool, gap int64) {
	ts := a.at(i).ts
	for j := i; j <= a.highest; j++ {
		s := a.at(j)
		if s == nil {
			return 0, false, j
		}
		if j > i && (s.padding || s.ts != ts) {
			return j - 1, true, -1
		}
		if s.marker {
			return j, true, -1
		}
	}
	return 0, false, -1
}

// findComplete returns the start of the first complete access unit at or after from, or -1.
func (a *Assembler) findComplete(from int64) int64 {
	for i := from; i <= a.highest; i++ {
		if !a.isStart(i) {
			continue
		}
		_, complete, gap := a.frameEnd(i)
		if complete {
			return i
		}
		if gap < 0 {
			return -1
		}
		i = gap
	}
	return -1
}

// holdExpired reports whether the incomplete front has been waited for long enough.
func (a *Assembler) holdExpired() bool {
	if a.highest-a.next >= maxHoldPackets {
		return true
	}
	ref, ok := a.lastTS, a.haveLast
	for i := a.next; i <= a.highest; i++ {
		if s := a.at(i); s != nil && !s.padding {
			ref, ok = s.ts, true
			break
		}
	}
	return !ok || int32(a.highTS-ref) >= maxHoldTicks
}

// giveUp drops everything before to and counts the access units lost; start says that to
// begins an access unit.
func (a *Assembler) giveUp(to int64, start bool) {
	end := min(to, a.highest+1)
	lost, missing := uint64(0), to > end
	for i := a.next; i < end; i++ {
		s := a.at(i)
		if s == nil {
			missing = true
			continue
		}
		if !s.padding && (!a.lostOK || s.ts != a.lostTS) {
			lost++
			a.lostTS, a.lostOK = s.ts, true
		}
		s.present = false
	}
	if lost == 0 && missing {
		lost = 1
	}
	a.next = max(a.next, to)
	a.consumed, a.clean = true, start
	a.stats.FramesLost += lost
	if lost > 0 {
		a.waitKey = true
	}
}

// emit consumes the complete access unit first..last and returns it, or skips it while
// waiting for a keyframe.
func (a *Assembler) emit(first, last int64) {
	fs := a.at(first)
	a.lastTS, a.haveLast = fs.ts, true
	a.consumed, a.clean = true, true
	au, ok := depacketize(a, first, last)
	for i := first; i <= last; i++ {
		a.at(i).present = false
	}
	a.next = last + 1
	if !ok {
		a.stats.Malformed++
		a.stats.FramesLost++
		a.waitKey = true
		return
	}
	key := IsKeyframe(au)
	if a.waitKey && !key {
		a.stats.FramesSkipped++
		return
	}
	a.waitKey = false
	a.stats.FramesComplete++
	a.out = append(a.out, rtpframe.Frame{
		Data: au, Timestamp: fs.ts, Keyframe: key, FirstSeq: uint16(first), LastSeq: uint16(last),
	})
}

// depacketize joins the payloads of first..last into one Annex-B access unit. Fragmented
// units must start and end inside the access unit (FU-A S and E bits), or it is malformed.
func depacketize(a *Assembler, first, last int64) ([]byte, bool) {
	var (
		p    codecs.H264Packet // fresh: pion keeps FU-A fragments across calls
		au   []byte
		inFU bool
	)
	for i := first; i <= last; i++ {
		b := a.at(i).data
		if b[0]&0x1f == naluFUA {
			s, e := b[1]&0x80 != 0, b[1]&0x40 != 0
			if s == inFU { // a start inside a fragmented unit, or a middle without one
				return nil, false
			}
			inFU = !e
		} else if inFU {
			return nil, false
		}
		nal, err := p.Unmarshal(b)
		if err != nil {
			return nil, false
		}
		au = append(au, nal...)
	}
	if inFU || len(au) == 0 {
		return nil, false
	}
	return au, true
}
