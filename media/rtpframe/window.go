package rtpframe

// Window is the RTP reorder window of one stream (one SSRC) that the VP8/VP9 Assembler and
// media/h264's Assembler share: it drops duplicates (RTX repairs, bandwidth probes) and
// packets too late to use, restarts when the sender restarts its sequence numbers, finds
// complete frames, holds an incomplete front frame while newer ones complete (up to
// maxHoldTicks of RTP time or maxHoldPackets packets) and then gives it up. What a frame
// means to the codec (its bytes, whether it is a keyframe, how many frames a gap lost) stays
// with the assembler, which Init gives two hooks.
//
// A frame is a run of packets with one timestamp that starts at a start packet and ends at
// its marker bit, or before padding (an empty payload) or a packet with another timestamp
// (Chromium's padding carries the previous frame's timestamp and no marker). M is what the
// assembler keeps per packet beside the payload (struct{} if nothing).
//
// The zero value is not usable: call Init. A Window is large (it holds the ring) and must
// not be copied after Init. It is not safe for concurrent use.
type Window[M any] struct {
	ring [ringSize]Packet[M]

	inferStart bool // RTP H.264: a packet after the end of a frame starts one
	emit       func(first, last int64)
	lose       func(Loss)
	stats      *Stats

	started   bool
	highest   int64 // highest extended sequence number received
	next      int64 // first sequence number not yet consumed
	consumed  bool  // something was consumed or given up; next is final
	clean     bool  // next is known to start a frame (used with inferStart)
	lateRun   int
	haveLast  bool // lastTS describes the last consumed frame
	lastTS    uint32
	lostTS    uint32 // timestamp of the last frame counted lost
	lostValid bool
	highestTS uint32 // timestamp of the packet with the highest sequence number
}

// Packet is one received packet in a Window.
type Packet[M any] struct {
	ext     int64 // extended sequence number
	present bool
	Padding bool // empty payload
	Marker  bool
	Start   bool // the payload says it is the first packet of a frame (never padding)
	TS      uint32
	Data    []byte // payload, reused by later packets
	Meta    M
}

// Loss describes packets a Window gave up (passed to the lose hook after they are dropped).
type Loss struct {
	// Frames counts the distinct timestamps of the data packets dropped (a timestamp already
	// counted by the previous Loss is not counted again).
	Frames uint64
	// Data reports that data (non-padding) packets were dropped; Missing that sequence
	// numbers in the dropped range were never received.
	Data, Missing bool
	// Next is the extended sequence number of the complete frame that follows (still in the
	// window, see At), or -1.
	Next int64
	// Restart reports that the sender restarted its sequence numbers and the window started
	// over.
	Restart bool
}

// Init prepares w. emit is called with each complete frame first..last in order (its
// packets are in At until emit returns); lose each time packets are given up. Duplicates and
// Padding are counted in stats. inferStart makes a packet start a frame also when the packet
// before it was received and ended a frame, or when it follows a frame consumed or a loss
// given up before a complete frame (RTP H.264 has no start-of-frame flag; Put's start then
// means "looks like the start of an access unit", used when the packet before is missing).
func (w *Window[M]) Init(stats *Stats, inferStart bool, emit func(first, last int64), lose func(Loss)) {
	w.stats, w.inferStart, w.emit, w.lose = stats, inferStart, emit, lose
}

// At returns the packet with extended sequence number i, or nil.
func (w *Window[M]) At(i int64) *Packet[M] {
	s := &w.ring[i&(ringSize-1)]
	if s.present && s.ext == i {
		return s
	}
	return nil
}

// Put adds one packet (an empty payload is padding), copying payload, and calls the hooks
// for the frames it completes or the losses it settles. It returns false if the packet was
// dropped as a duplicate or too late to use.
func (w *Window[M]) Put(seq uint16, ts uint32, marker, start bool, meta M, payload []byte) bool {
	ext, ok := w.admit(seq)
	if !ok {
		return false
	}
	s := &w.ring[ext&(ringSize-1)]
	if s.present && s.ext == ext {
		w.stats.Duplicates++
		return false
	}
	if ext == w.highest {
		w.highestTS = ts
	}
	padding := len(payload) == 0
	if padding {
		w.stats.Padding++
	}
	*s = Packet[M]{
		ext: ext, present: true, Padding: padding, Marker: marker, Start: start && !padding, TS: ts,
		Data: append(s.Data[:0], payload...), Meta: meta,
	}
	w.assemble()
	return true
}

// admit places seq in the window and returns its extended sequence number, or false if the
// packet is too old to use.
func (w *Window[M]) admit(seq uint16) (int64, bool) {
	if !w.started {
		w.started = true
		w.highest = extBase + int64(seq)
		w.next = w.highest
		return w.highest, true
	}
	ext := w.highest + int64(int16(seq-uint16(w.highest)))
	switch {
	case ext < w.next && !w.consumed && w.highest-ext < ringSize:
		// Reordered at the very start: nothing was consumed, so widen the window backwards.
		w.next = ext
	case ext < w.next:
		w.stats.Duplicates++
		w.lateRun++
		if w.lateRun >= resyncAfter {
			w.resync()
			return w.admit(seq)
		}
		return 0, false
	case ext-w.next >= ringSize:
		w.giveUp(ext-ringSize+1, -1, false)
	}
	w.lateRun = 0
	if ext > w.highest {
		w.highest = ext
	}
	return ext, true
}

// resync gives up what is held and forgets all state; the next packet starts over.
func (w *Window[M]) resync() {
	w.giveUp(w.highest+1, -1, true) // with nothing held, only reports the restart
	for i := range w.ring {
		w.ring[i].present = false
	}
	w.started, w.consumed, w.clean, w.lateRun, w.haveLast = false, false, false, 0, false
}

// isStart reports whether packet i certainly begins a frame. The flag case is written to
// inline into the per-packet loops.
func (w *Window[M]) isStart(i int64) bool {
	if w.inferStart {
		return w.inferredStart(i)
	}
	s := &w.ring[i&(ringSize-1)]
	return s.present && s.ext == i && s.Start // padding never has Start (Put)
}

// inferredStart is isStart for inferStart windows: packet i starts a frame if it follows a
// consumed frame or a loss given up before a complete frame, or if the packet before it was
// received and ended a frame; with the packet before missing, if it says so itself.
func (w *Window[M]) inferredStart(i int64) bool {
	s := w.At(i)
	if s == nil || s.Padding {
		return false
	}
	if i == w.next && w.clean {
		return true
	}
	if p := w.At(i - 1); p != nil {
		return p.Padding || p.Marker || p.TS != s.TS
	}
	return s.Start
}

// assemble consumes complete frames from the front of the window, and gives up on an
// incomplete front once a newer frame is complete and the hold time is over.
func (w *Window[M]) assemble() {
	for w.next <= w.highest {
		s := w.At(w.next)
		from := w.next + 1
		switch {
		case s != nil && s.Padding:
			s.present = false
			w.next++
			w.consumed = true
			continue
		case s != nil && w.isStart(w.next):
			end, complete, gap := w.frameEnd(w.next)
			if complete {
				w.consume(w.next, end)
				continue
			}
			if gap < 0 {
				return // the front frame is still arriving
			}
			from = gap + 1
		case s != nil && w.consumed:
			// The rest of a frame whose start was given up: never decodable.
			w.giveUp(w.next+1, -1, false)
			continue
		}
		// Otherwise a missing packet, or at the very start a packet whose frame start may
		// still arrive reordered.
		q := w.findComplete(from)
		if q < 0 || !w.holdExpired() {
			return
		}
		w.giveUp(q, q, false)
	}
}

// frameEnd walks the frame starting at i. gap is the first missing packet, or -1 if the
// frame is contiguous up to the highest packet received.
func (w *Window[M]) frameEnd(i int64) (end int64, complete bool, gap int64) {
	ts := w.At(i).TS
	for j := i; j <= w.highest; j++ {
		s := w.At(j)
		if s == nil {
			return 0, false, j
		}
		if j > i && (s.Padding || s.TS != ts) {
			return j - 1, true, -1
		}
		if s.Marker {
			return j, true, -1
		}
	}
	return 0, false, -1
}

// findComplete returns the start of the first complete frame at or after from, or -1.
func (w *Window[M]) findComplete(from int64) int64 {
	for i := from; i <= w.highest; i++ {
		if !w.isStart(i) {
			continue
		}
		_, complete, gap := w.frameEnd(i)
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

// holdExpired reports whether the incomplete front has been waited for long enough:
// maxHoldPackets packets, or maxHoldTicks of RTP time from the oldest pending data (or the
// last consumed frame if the front has none) to the newest packet.
func (w *Window[M]) holdExpired() bool {
	if w.highest-w.next >= maxHoldPackets {
		return true
	}
	ref, ok := w.lastTS, w.haveLast
	for i := w.next; i <= w.highest; i++ {
		if s := w.At(i); s != nil && !s.Padding {
			ref, ok = s.TS, true
			break
		}
	}
	return !ok || int32(w.highestTS-ref) >= maxHoldTicks
}

// giveUp drops everything before to and reports it to the lose hook. q, if not -1, is the
// complete frame that follows.
func (w *Window[M]) giveUp(to, q int64, restart bool) {
	end := min(to, w.highest+1)
	l := Loss{Missing: to > end, Next: q, Restart: restart}
	for i := w.next; i < end; i++ {
		s := w.At(i)
		if s == nil {
			l.Missing = true
			continue
		}
		if !s.Padding {
			l.Data = true
			if !w.lostValid || s.TS != w.lostTS {
				l.Frames++
				w.lostTS, w.lostValid = s.TS, true
			}
		}
		s.present = false
	}
	w.next = max(w.next, to)
	w.consumed, w.clean = true, q >= 0
	w.lose(l)
}

// consume hands the complete frame first..last to the emit hook and drops it.
func (w *Window[M]) consume(first, last int64) {
	w.lastTS, w.haveLast = w.At(first).TS, true
	w.consumed, w.clean = true, true
	w.emit(first, last)
	for i := first; i <= last; i++ {
		w.ring[i&(ringSize-1)].present = false
	}
	w.next = last + 1
}
