package rtpframe

import "github.com/integritybot/integritybot/media/vpx"

// at returns the slot holding extended sequence number i, or nil.
func (a *Assembler) at(i int64) *slot {
	s := &a.ring[i&(ringSize-1)]
	if s.present && s.ext == i {
		return s
	}
	return nil
}

// assemble consumes complete frames from the front of the window, and gives
// up on an incomplete front once a newer frame is complete and the hold time
// is over.
func (a *Assembler) assemble() {
	for a.next <= a.highest {
		s := a.at(a.next)
		var from int64
		switch {
		case s != nil && s.padding:
			s.present = false
			a.next++
			a.consumed = true
			continue
		case s != nil && s.start:
			end, complete, gap := a.frameEnd(a.next)
			if complete {
				a.emit(a.next, end)
				continue
			}
			if gap < 0 {
				return // the front frame is still arriving
			}
			from = gap + 1
		case s != nil && a.consumed:
			// The rest of a frame whose start was given up: never decodable.
			a.giveUp(a.next+1, -1)
			continue
		default:
			// A missing packet, or at the very start a packet whose frame
			// start may still arrive reordered.
			from = a.next + 1
		}
		q := a.findComplete(from)
		if q < 0 || !a.holdExpired() {
			return
		}
		a.giveUp(q, q)
	}
}

// frameEnd walks the frame starting at i. A frame ends at its marker bit, or
// before a padding packet or a packet with another timestamp (Chromium's
// padding carries the previous frame's timestamp and no marker, so an empty
// payload ends a frame). gap is the first missing packet, or -1 if the frame
// is contiguous up to the highest packet received.
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

// findComplete returns the start of the first complete frame at or after
// from, or -1.
func (a *Assembler) findComplete(from int64) int64 {
	for i := from; i <= a.highest; i++ {
		s := a.at(i)
		if s == nil || !s.start {
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

// holdExpired reports whether the incomplete front has been waited for long
// enough: maxHoldPackets packets, or maxHoldTicks of RTP time from the oldest
// pending data (or the last consumed frame if the front has none) to the
// newest packet.
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
	return !ok || int32(a.highestTS-ref) >= maxHoldTicks
}

// giveUp drops everything before to and counts the frames lost. q, if not
// -1, is the complete frame that follows; its picture ID tells how many
// frames are missing, and whether a gap held only padding.
func (a *Assembler) giveUp(to, q int64) {
	end := min(to, a.highest+1)
	distinct, data, missing := uint64(0), false, to > end
	for i := a.next; i < end; i++ {
		s := a.at(i)
		if s == nil {
			missing = true
			continue
		}
		if !s.padding {
			data = true
			if !a.lostValid || s.ts != a.lostTS {
				distinct++
				a.lostTS, a.lostValid = s.ts, true
			}
		}
		s.present = false
	}
	a.next = max(a.next, to)
	a.consumed = true

	lost := distinct
	pidKnown := false
	if q >= 0 && a.haveLast && a.lastPID >= 0 {
		if p := a.at(q).pictureID; p >= 0 {
			if gap := uint64((p - a.lastPID - 1) & 0x7fff); gap < 0x1000 {
				lost, pidKnown = max(lost, gap), true
			}
		}
	}
	if lost == 0 && missing && !pidKnown {
		lost = 1
	}
	a.stats.FramesLost += lost
	if lost > 0 || data {
		a.waitKey = true
	}
	if q < 0 {
		a.haveLast = false
	}
}

// emit consumes the complete frame first..last and returns it, or skips it
// while waiting for a keyframe.
func (a *Assembler) emit(first, last int64) {
	fs := a.at(first)
	a.lastTS, a.lastPID, a.haveLast = fs.ts, fs.pictureID, true
	a.consumed = true
	// Keyframe headers fit in the first packet; skip without copying.
	skip := a.waitKey && len(fs.data) >= 32 && !vpx.IsKeyframe(a.codec, fs.data)
	n := 0
	for i := first; i <= last; i++ {
		n += len(a.at(i).data)
	}
	var buf []byte
	if !skip {
		buf = make([]byte, 0, n)
	}
	for i := first; i <= last; i++ {
		s := a.at(i)
		if !skip {
			buf = append(buf, s.data...)
		}
		s.present = false
	}
	a.next = last + 1
	if skip {
		a.stats.FramesSkipped++
		return
	}
	f := Frame{
		Data: buf, Timestamp: fs.ts,
		FirstSeq: uint16(first), LastSeq: uint16(last),
		Layered: fs.layer.layered, TID: fs.layer.tid, LayerSync: fs.layer.sync,
	}
	f.Width, f.Height, f.Keyframe = vpx.FrameSize(a.codec, buf)
	if a.waitKey && !f.Keyframe {
		a.stats.FramesSkipped++
		return
	}
	a.waitKey = false
	a.stats.FramesComplete++
	a.out = append(a.out, f)
}
