package camera

import "time"

// arrivalRing bounds the received frame times kept: the fps window at 128 fps, plus the
// frames that arrived while the decoder was behind (at most a few seconds of them).
const arrivalRing = 512

// arrivals holds the PTS of the frames the candidate sent that reached the bot (Received),
// decoded or not, in order, from the oldest still inside the fps window of the last decoded
// frame on. The bot may run ahead of its decoder, so newer ones wait here.
type arrivals struct {
	ring [arrivalRing]time.Duration
	head int
	n    int
	last time.Duration
}

// add records a frame received at pts; frames not newer than the last one are ignored.
// When full, the oldest is forgotten.
func (r *arrivals) add(pts time.Duration) {
	if r.n > 0 && pts <= r.last {
		return
	}
	if r.n == arrivalRing {
		r.head = (r.head + 1) % arrivalRing
		r.n--
	}
	r.ring[(r.head+r.n)%arrivalRing] = pts
	r.n++
	r.last = pts
}

// rate returns the frame rate of the frames received in the fps window ending at t, measured
// as stepFPS measures decoded frames (intervals over the time they span), or 0 when fewer than
// two arrived. It forgets frames older than the window.
func (r *arrivals) rate(t time.Duration) float64 {
	for r.n > 0 && r.ring[r.head] <= t-fpsWindow {
		r.head = (r.head + 1) % arrivalRing
		r.n--
	}
	count := 0
	var oldest, newest time.Duration
	for i := 0; i < r.n; i++ {
		pts := r.ring[(r.head+i)%arrivalRing]
		if pts > t {
			break
		}
		if count == 0 {
			oldest = pts
		}
		newest = pts
		count++
	}
	if count < 2 || newest <= oldest {
		return 0
	}
	return float64(count-1) / (newest - oldest).Seconds()
}

// Received tells the analyzer that a frame the candidate sent reached the bot at pts (call
// time, the same clock as the decoded frames' PTS), whether or not it is then decoded and
// passed to Observe. A bot short of processing time decodes fewer frames than it receives (a
// full decode queue, frames skipped until a keyframe, the base temporal layer only); the low
// frame rate finding is about the candidate's camera, so it takes the higher of the decoded
// and the received frames' rate, and frames the bot did not decode are never counted against
// the candidate. Calls come in PTS order (older PTS are ignored) and may run ahead of
// Observe. Without Received (a recording) the rate is the decoded frames'.
//
// A frame received is also a frame that arrived: a gap in the decoded frames while frames
// were received is not "no picture arrived" (no_frames).
func (a *Analyzer) Received(pts time.Duration) {
	a.recv.add(pts)
	a.frameAt(pts)
}

// frameAt records that a frame of the live track arrived at pts (decoded or only received):
// a gap since the last one longer than NoFramesAfter is no_frames. Frames received run ahead
// of the decoded ones, so the mark only moves forward.
func (a *Analyzer) frameAt(pts time.Duration) {
	if !a.markOK || pts <= a.mark {
		return
	}
	if pts-a.mark > a.cfg.NoFramesAfter {
		a.addFinding(finding{kind: kindNoFrames, from: a.mark, to: pts})
	}
	a.mark = pts
}
