package bot

import (
	"fmt"
	"time"
)

// LayerMode decides when a temporally layered video track is decoded at its base layer only
// (Config.BaseLayer).
type LayerMode string

// Layer modes. In a VP8 or VP9 stream sent with scalabilityMode L1T3 the base layer (TID 0)
// is every 4th frame and references only base layer frames, so the upper layers can be left
// undecoded without corrupting anything; the room still forwards every frame to the
// interviewer.
const (
	// BaseLayerAuto decodes the base layer only while decoded frames reach the decoder more
	// than Config.SampleAfter late, and every layer again once the lag has stayed below half
	// that for 3 × Config.SampleHold, or while a liveness prompt is answered. "" means auto.
	BaseLayerAuto LayerMode = "auto"
	// BaseLayerAlways always decodes the base layer only.
	BaseLayerAlways LayerMode = "always"
	// BaseLayerNever decodes every frame.
	BaseLayerNever LayerMode = "never"
)

// Valid reports whether m is a known mode ("" counts as auto).
func (m LayerMode) Valid() bool {
	switch m {
	case "", BaseLayerAuto, BaseLayerAlways, BaseLayerNever:
		return true
	}
	return false
}

const (
	// baseRateWindow is how far back the base layer's frame rate is measured.
	baseRateWindow = 2 * time.Second
	// baseFPSMargin: the base layer must carry this much more than the camera check's
	// minimum frame rate, or the checks would judge a collapsed rate (15 fps L1T3 has a 3.75
	// fps base layer; the camera check's own low_fps finding counts every frame received,
	// camera.Analyzer.Received); once on, base-only decoding stays on down to
	// baseFPSKeep times it, so that a 25 fps camera (6.25 fps base layer) does not flap.
	baseFPSMargin = 1.2
	baseFPSKeep   = 1.1
	// syncWait is how long after leaving base-layer-only decoding the upper layers may wait
	// for a layer sync frame before a keyframe is requested.
	syncWait = 2 * time.Second
)

// layerFilter decides, frame by frame in a VideoInput's decode goroutine, which frames of a
// temporally layered stream are decoded. A skipped frame of layer t leaves the decoder's
// reference for layers t and above stale, so after base-only decoding a layer resumes at a
// keyframe or at a layer sync frame (VP8 Y bit, RFC 7741 §4.2); VP9 streams, which have no
// such bit, resume at a keyframe.
type layerFilter struct {
	mode       LayerMode
	after      time.Duration // lag that turns base-only decoding on (auto)
	hold       time.Duration // how long the lag must stay below after/2 to turn it off
	minBaseFPS float64

	on       bool // decoding the base layer only
	lowRun   bool
	lowSince time.Duration
	offAt    time.Duration // when base-only decoding last ended
	synced   [4]bool       // layer t's references are intact
	maxTID   int           // highest layer seen
	turnedOn bool          // base-only decoding started and no frame was skipped since
	base     [32]time.Duration
	nBase    int
}

func newLayerFilter(cfg *Config) layerFilter {
	minFPS := cfg.Camera.MinFPS
	if minFPS <= 0 {
		minFPS = 5 // camera.Config's default
	}
	return layerFilter{mode: cfg.BaseLayer, after: cfg.SampleAfter, hold: 3 * cfg.SampleHold,
		minBaseFPS: baseFPSMargin * minFPS}
}

// layerFrame is what the filter knows of one assembled frame.
type layerFrame struct {
	pts     time.Duration
	key     bool
	layered bool
	tid     uint8
	sync    bool
	prompt  bool // a liveness prompt is being answered (Session.Challenge)
}

// decode reports whether frame f, lag behind real time, is decoded. newSpan is true for
// the first frame skipped after base-only decoding was turned on.
func (l *layerFilter) decode(f layerFrame, lag time.Duration) (ok, newSpan bool) {
	if f.key {
		l.synced = [4]bool{true, true, true, true}
	}
	if !f.layered {
		return true, false
	}
	if f.tid == 0 {
		l.base[l.nBase%len(l.base)] = f.pts
		l.nBase++
	}
	l.update(f.pts, lag, f.prompt)
	t := min(int(f.tid), 3)
	l.maxTID = max(l.maxTID, t)
	if t == 0 {
		return true, false
	}
	lower := true
	for k := 1; k < t; k++ {
		lower = lower && l.synced[k]
	}
	// A sync frame references the base layer only; the layer's later frames may also
	// reference lower upper layers, so the layer counts as intact only if they are.
	if !l.on && (f.sync || lower && l.synced[t]) {
		l.synced[t] = lower
		return true, false
	}
	for k := t; k < len(l.synced); k++ {
		l.synced[k] = false
	}
	newSpan = l.turnedOn
	l.turnedOn = false
	return false, newSpan
}

// update turns base-only decoding on or off. In auto mode a liveness prompt gets every layer.
func (l *layerFilter) update(pts, lag time.Duration, prompt bool) {
	want := l.on
	switch {
	case l.mode == BaseLayerAlways:
		want = true
	case l.mode == BaseLayerNever || l.after <= 0 || prompt:
		want = false
	case !l.on && lag > l.after:
		want, l.lowRun = true, false
	case l.on && lag < l.after/2:
		if !l.lowRun {
			l.lowRun, l.lowSince = true, pts
		} else if pts-l.lowSince >= l.hold {
			want = false
		}
	case l.on:
		l.lowRun = false
	}
	if want {
		floor := l.minBaseFPS
		if l.on {
			floor *= baseFPSKeep / baseFPSMargin
		}
		want = l.baseFPS(pts) >= floor
	}
	if l.on && !want {
		l.offAt = pts
	}
	if !l.on && want {
		l.turnedOn = true
	}
	l.on = want
}

// baseFPS is the base layer's frame rate over the last baseRateWindow before pts, or 0 while
// too few base layer frames have arrived to tell.
func (l *layerFilter) baseFPS(pts time.Duration) float64 {
	n := min(l.nBase, len(l.base))
	newest, oldest, count := time.Duration(0), time.Duration(0), 0
	for k := 0; k < n; k++ {
		t := l.base[(l.nBase-1-k)%len(l.base)]
		if pts-t > baseRateWindow {
			break
		}
		if count == 0 {
			newest = t
		}
		oldest = t
		count++
	}
	if count < 3 || newest <= oldest {
		return 0
	}
	return float64(count-1) / (newest - oldest).Seconds()
}

// stale reports whether upper layers have waited longer than syncWait for a sync frame
// since base-only decoding ended: only a keyframe will bring them back.
func (l *layerFilter) stale(pts time.Duration) bool {
	if l.on || pts-l.offAt <= syncWait {
		return false
	}
	for k := 1; k <= l.maxTID; k++ {
		if !l.synced[k] {
			return true
		}
	}
	return false
}

// layerCover is what the report says about base-layer-only decoding; under Session.mu.
type layerCover struct {
	skipped     int64 // upper layer frames not decoded
	spans       int
	first, last time.Duration
	fps         float64
	forced      bool // interview.base_layer: always
}

// inPrompt reports whether call time pts falls in a liveness prompt's window (with its grace).
func (s *Session) inPrompt(pts time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sample.kept(pts)
}

// skipLayer counts one upper layer frame that was not decoded (not a dropped frame: the
// stream stays decodable and the interviewer received it).
func (s *Session) skipLayer(pts time.Duration, newSpan bool, fps float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &s.sample.layers
	if c.skipped == 0 {
		c.first = pts
	}
	if newSpan || c.spans == 0 {
		c.spans++
	}
	c.skipped++
	c.last = pts
	if fps > 0 {
		c.fps = fps
	}
	c.forced = s.cfg.BaseLayer == BaseLayerAlways
}

// note is the coverage sentence about base-layer-only decoding, or "".
func (c *layerCover) note() string {
	if c.skipped == 0 {
		return ""
	}
	why := "because the server was short of processing time"
	if c.forced {
		why = "because the server is set to decode the base layer only (interview.base_layer: always)"
	}
	stretches := "in one stretch"
	if c.spans > 1 {
		stretches = fmt.Sprintf("in %d stretches", c.spans)
	}
	rate := ""
	if c.fps > 0 {
		rate = fmt.Sprintf(", about %.1f frames a second", c.fps)
	}
	return fmt.Sprintf("Between %.0f s and %.0f s (%s) only the base temporal layer of the candidate's video was "+
		"decoded%s, %s: %d frames of the upper layers were received and forwarded to the interviewer but not "+
		"analyzed, so the checks saw the lower frame rate (the camera check judges the candidate's frame rate by "+
		"every frame received).",
		c.first.Seconds(), c.last.Seconds(), stretches, rate, why, c.skipped)
}
