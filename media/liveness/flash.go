package liveness

import (
	"image"
	"time"

	"github.com/integritybot/integritybot/media"
)

// The looks five times a second miss a face swap that flashes two frames at a time (a
// swapper losing its track of the face under a hand shows the hand for two frames and its
// rendered face for two): a look that lands on a "hand in front" frame is just what a live
// hand shows. So inside prompt windows, where the session hands this check every frame
// (bot/sample.go), every frame's fixed face region is reduced to its blocks' mean luma
// (lumaBlocks: 4×4 pixels per block, ~1.5 µs a frame) and each block is followed over the
// last few frames. A block comes back when it moved away by at least flashStep and returned
// to where it was within flashLag frames (A→B→A). A finger crossing a block or a blink
// brings back a few blocks at a time, at different frames; a flashing swap brings back every
// block where its face and the hand differ in the same frame, every few frames, for as long
// as the hand is over the face.
const (
	// flashLag is the most frames a block may take to come back (two frames each way come
	// back after three).
	flashLag = 5
	// flashStep is the least a block's luma must move away, in levels.
	flashStep = 4
	// flashBack: a block came back when it is within this share of how far it moved away,
	// and within flashNoise levels, of where it was.
	flashBack  = 0.3
	flashNoise = 2
	// flashSome blocks coming back in one frame is part of a stretch of returns; stretches
	// join frames less than flashGap apart.
	flashSome = 10
	flashGap  = 300 * time.Millisecond
	// A stretch flashes when flashPeak blocks or more came back in one of its frames and
	// flashSome or more in flashFrames of its frames. With a hand drawn across real corpus
	// faces in 20 windows (occlude_test.go) a live hand brought back at most 16 of the 144
	// blocks in one frame, a flashing swap 19-45 in 3-9 frames (docs/checks/liveness.md): a
	// thin margin. A real person's partial head turn brought back 20 in 3 frames, so only
	// hand prompts are judged by this rule (score.go).
	flashPeak   = 18
	flashFrames = 3
	// flashMaxInterval: the rule is judged only at 20 frames a second or more (the mean
	// interval of the frames, flashSmooth-weighted). At 15 fps a live hand's fingers cross a
	// block and are gone within flashLag frames, bringing back as many blocks at once as a
	// flashing swap: a drawn live hand at 15 fps (eval --synthesize, hand_live_2) brought back
	// 19. Calls run at 25-30 fps, and the bot decodes every frame during a prompt even when it
	// decodes only the base temporal layer otherwise (bot/layers.go).
	flashMaxInterval = 55 * time.Millisecond
	flashSmooth      = 0.2
)

// flashRun is a stretch of frames in which many blocks came back.
type flashRun struct {
	from, until time.Duration // its first and last frame with flashSome blocks back
	frames      int           // frames with flashSome blocks back or more
	peak        int           // most blocks back in one frame
	at          time.Duration // when
	away        float64       // how far those blocks had moved away, mean in luma levels
}

// flashes reports whether the stretch is flashing.
func (r flashRun) flashes() bool { return r.peak >= flashPeak && r.frames >= flashFrames }

// flash finds flashing of the fixed face region, frame by frame.
type flash struct {
	region image.Rectangle
	hist   [flashLag + 1][patchN * patchN]float32 // the newest frames' blocks, a ring
	n      int                                    // frames in hist (up to flashLag+1)
	next   int                                    // where the next frame goes
	last   time.Duration                          // the newest frame's time
	dt     time.Duration                          // smoothed frame interval (0: not known yet)

	run  flashRun   // the stretch going on (frames 0 when none)
	done []flashRun // finished stretches, the newest last
	// slow are the stretches of frames too far apart to judge (below 20 fps), newest last.
	slow []span
}

// span is a stretch of call time.
type span struct{ from, until time.Duration }

// skipSlow records that the frame at t was too slow to judge.
func (s *flash) skipSlow(t, keep time.Duration) {
	if n := len(s.slow); n > 0 && t-s.slow[n-1].until <= flashGap {
		s.slow[n-1].until = t
	} else {
		s.slow = append(s.slow, span{t, t})
	}
	for len(s.slow) > 0 && t-s.slow[0].until > keep {
		s.slow = s.slow[1:]
	}
}

// slowIn reports whether frames between from and to were too far apart to judge.
func (s *flash) slowIn(from, to time.Duration) bool {
	for _, r := range s.slow {
		if r.until >= from && r.from <= to {
			return true
		}
	}
	return false
}

// observe adds f's region r. Called on every frame inside a prompt window (and a second
// before it), where the region stays fixed; keep is how long finished stretches are kept.
// It reports whether f's blocks were read (then at(0) holds them).
func (s *flash) observe(f *media.Frame, r image.Rectangle, keep time.Duration) bool {
	if r != s.region || f.PTS-s.last > flashGap {
		s.region, s.n, s.dt = r, 0, 0 // a new region, or frames missing: start again
	} else if d := f.PTS - s.last; s.dt == 0 {
		s.dt = d
	} else {
		s.dt += time.Duration(flashSmooth * float64(d-s.dt))
	}
	s.last = f.PTS
	// Raw means: taking off the frame's median block (against a camera's exposure stepping)
	// made a hand moving over half the region shift every block, and flagged 8 of 20 live
	// hands.
	if !lumaBlocks(f, r, &s.hist[s.next]) {
		s.n = 0
		return false
	}
	s.next = (s.next + 1) % len(s.hist)
	s.n = min(s.n+1, len(s.hist))
	if s.dt > flashMaxInterval {
		s.skipSlow(f.PTS, keep)
		return true
	}
	if s.n >= 3 {
		s.compare(f.PTS, keep)
	}
	return true
}

// at returns the blocks of k frames ago (0: the newest).
func (s *flash) at(k int) *[patchN * patchN]float32 {
	return &s.hist[(s.next-1-k+2*len(s.hist))%len(s.hist)]
}

// compare counts the blocks that came back in the newest frame, at t.
func (s *flash) compare(t, keep time.Duration) {
	now := s.at(0)
	n := 0
	var away float32
	for i := range now {
		if d := s.cameBack(i, now[i]); d > 0 {
			n++
			away += d
		}
	}
	if s.run.frames > 0 && t-s.run.until > flashGap {
		s.finish(keep)
	}
	if n < flashSome {
		return
	}
	if s.run.frames == 0 {
		s.run.from = t
	}
	s.run.until = t
	s.run.frames++
	if n > s.run.peak {
		s.run.peak, s.run.at, s.run.away = n, t, float64(away)/float64(n)
	}
}

// cameBack returns how far block i moved away before coming back to v in the newest frame,
// or 0 when it did not: v is back near the block k frames ago (2 ≤ k ≤ flashLag), every frame
// in between was away from it, by flashStep or more in the frame just before (so one return
// counts once).
func (s *flash) cameBack(i int, v float32) float32 {
	for k := 2; k < s.n; k++ {
		then := s.at(k)[i]
		away := abs32(s.at(1)[i] - then)
		if away < flashStep {
			continue
		}
		for j := 2; j < k; j++ {
			away = max(away, abs32(s.at(j)[i]-then))
		}
		if d := abs32(v - then); d <= flashNoise && d <= flashBack*away {
			return away
		}
	}
	return 0
}

// finish ends the stretch going on and forgets the stretches older than keep.
func (s *flash) finish(keep time.Duration) {
	s.done = append(s.done, s.run)
	s.run = flashRun{}
	last := s.done[len(s.done)-1].until
	i := 0
	for i < len(s.done) && last-s.done[i].until > keep {
		i++
	}
	s.done = append(s.done[:0], s.done[i:]...)
}

// strongest returns the stretch between from and to (including one going on) that flashed
// with the most blocks back in one frame, else the one with the most blocks back, or a zero
// stretch.
func (s *flash) strongest(from, to time.Duration) flashRun {
	var best flashRun
	for _, r := range append(s.done[:len(s.done):len(s.done)], s.run) {
		if r.frames == 0 || r.until < from || r.from > to {
			continue
		}
		if r.flashes() != best.flashes() {
			if r.flashes() {
				best = r
			}
			continue
		}
		if r.peak > best.peak {
			best = r
		}
	}
	return best
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
