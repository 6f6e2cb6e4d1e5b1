package bot

import (
	"fmt"
	"runtime/debug"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
)

// add charges the time since t0 to the timer and returns now, so one time.Now per analyzer
// per frame times them all.
func (t *analyzerTimer) add(t0 time.Time) time.Time {
	now := time.Now()
	t.nanos += int64(now.Sub(t0))
	t.frames++
	return now
}

// sampler decides, frame by frame, whether the analyzers besides the camera check see a
// frame (Config.SampleAfter). Times are call time (frame PTS).
type sampler struct {
	on        bool
	lowSince  time.Duration // first frame of the current low-lag stretch while on
	lowRun    bool
	lastFull  time.Duration
	haveFull  bool
	spans     int           // how many times sampling was turned on
	firstFrom time.Duration // call time sampling was first turned on
	lastUntil time.Duration // call time of the last sampled frame
	keep      [][2]time.Duration
	layers    layerCover
}

// challengeGrace extends a challenge's window as the liveness check does (network and
// reaction time).
const challengeGrace = 1500 * time.Millisecond

// keepFull asks for every frame from call time from until until: a liveness prompt is being
// answered, and a face lost for 0.4 s must not fall between two samples.
func (p *sampler) keepFull(from, until time.Duration) {
	if len(p.keep) >= 64 {
		p.keep = p.keep[1:]
	}
	p.keep = append(p.keep, [2]time.Duration{from, until + challengeGrace})
}

func (p *sampler) kept(pts time.Duration) bool {
	for _, w := range p.keep {
		if pts >= w[0] && pts <= w[1] {
			return true
		}
	}
	return false
}

// full reports whether the frame at pts, lag behind real time, is analyzed by everything.
func (p *sampler) full(cfg *Config, pts, lag time.Duration) bool {
	if cfg.SampleAfter <= 0 {
		return true
	}
	switch {
	case !p.on && lag > cfg.SampleAfter:
		p.on, p.lowRun = true, false
		if p.spans == 0 {
			p.firstFrom = pts
		}
		p.spans++
	case p.on && lag < cfg.SampleAfter/2:
		if !p.lowRun {
			p.lowRun, p.lowSince = true, pts
		} else if pts-p.lowSince >= cfg.SampleHold {
			p.on = false
		}
	case p.on:
		p.lowRun = false
	}
	if p.on && p.haveFull && pts-p.lastFull < time.Duration(float64(time.Second)/cfg.SampleFPS) && pts >= p.lastFull && !p.kept(pts) {
		p.lastUntil = pts
		return false
	}
	p.lastFull, p.haveFull = pts, true
	return true
}

// note is the coverage sentences for a report, or "" when every frame was decoded and
// analyzed.
func (p *sampler) note(sampled int64, fps float64) string {
	n := p.sampledNote(sampled, fps)
	if l := p.layers.note(); l != "" {
		if n != "" {
			return n + " " + l
		}
		return l
	}
	return n
}

func (p *sampler) sampledNote(sampled int64, fps float64) string {
	if sampled == 0 {
		return ""
	}
	stretches := "in one stretch"
	if p.spans > 1 {
		stretches = fmt.Sprintf("in %d stretches", p.spans)
	}
	return fmt.Sprintf("The server was short of processing time, so between %.0f s and %.0f s (%s) the face, "+
		"face-swap, replay and liveness checks looked at about %g frames a second instead of every frame "+
		"(%d decoded frames skipped by them); the camera check saw every frame.",
		p.firstFrom.Seconds(), p.lastUntil.Seconds(), stretches, fps, sampled)
}

// observeSafe runs one frame analyzer on f. An analyzer that panics (a bug, e.g. on a stream
// that switches resolution) must not take the server and every other interview down with
// it: it is switched off for this session and its check says so. Called with s.mu held.
func (s *Session) observeSafe(i int, a Analyzer, f *media.Frame) {
	defer func() {
		if r := recover(); r != nil {
			s.broken[i] = fmt.Sprintf("at %.1f s (%dx%d frame)", f.PTS.Seconds(), f.Width, f.Height)
			s.log.Error("analyzer panicked; switched off for this interview", "check", s.timers[i].id,
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	a.Observe(f)
}

// brokenCheck is the result of an analyzer switched off by observeSafe.
func brokenCheck(id, when string) report.Check {
	return report.Check{ID: id, Status: report.Unknown, Evidence: []report.Evidence{},
		Summary: "This check stopped after an internal error " + when + " and could not judge the call; the other checks are not affected."}
}
