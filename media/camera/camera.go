// Package camera implements the "camera" check: is the candidate's camera really on?
//
// An Analyzer watches every decoded frame and the connection's track events and
// reports, with time ranges a human can verify, when there was no video at all, when
// the track was muted or ended, when frames stopped arriving, when the picture was
// black, a single flat colour or frozen, and when it was too slow or too small to
// judge a face. A disabled browser camera track still sends 30 fps of pure black, so
// "frames arrive" is never taken to mean "camera on" (docs/pitfalls.md).
//
// The Analyzer is pure: no goroutines and no wall clock. Time comes from frame PTS and
// from the event times the caller passes in. It is not safe for concurrent use; the
// pipeline calls it from one goroutine.
package camera

import "time"

// Config tunes the check. Zero fields take the values of DefaultConfig.
type Config struct {
	NoFramesAfter time.Duration // a gap without frames longer than this is a finding (default 3s)
	MinWidth      int           // narrower pictures are too small to judge faces (default 320)
	MinHeight     int           // lower pictures are too small to judge faces (default 240)
	MinFPS        float64       // a sustained frame rate below this is a collapse (default 5)
	FrozenAfter   time.Duration // identical frames for longer than this are frozen (default 2s)
	BlackAfter    time.Duration // black or uniform frames for longer than this are a finding (default 2s)
	MinVideo      time.Duration // at least this much good video is needed to pass (default 2.5s)
}

// DefaultConfig returns the defaults used for zero Config fields, and the configuration
// file's (internal/config takes them from here).
func DefaultConfig() Config {
	return Config{
		NoFramesAfter: 3 * time.Second,
		MinWidth:      320,
		MinHeight:     240,
		MinFPS:        5,
		FrozenAfter:   2 * time.Second,
		BlackAfter:    2 * time.Second,
		MinVideo:      2500 * time.Millisecond,
	}
}

// withDefaults fills zero (or negative) fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.NoFramesAfter <= 0 {
		c.NoFramesAfter = d.NoFramesAfter
	}
	if c.MinWidth <= 0 {
		c.MinWidth = d.MinWidth
	}
	if c.MinHeight <= 0 {
		c.MinHeight = d.MinHeight
	}
	if c.MinFPS <= 0 {
		c.MinFPS = d.MinFPS
	}
	if c.FrozenAfter <= 0 {
		c.FrozenAfter = d.FrozenAfter
	}
	if c.BlackAfter <= 0 {
		c.BlackAfter = d.BlackAfter
	}
	if c.MinVideo <= 0 {
		c.MinVideo = d.MinVideo
	}
	return c
}

// Event is something the connection reports about the candidate or their video track.
type Event int

// Events passed to Analyzer.TrackEvent.
const (
	TrackAdded        Event = iota // a video track from the candidate arrived
	TrackMuted                     // the track was muted (the sender stopped sending)
	TrackUnmuted                   // the track was unmuted
	TrackEnded                     // the track ended
	TrackNone                      // the candidate has no camera or refused camera permission
	ParticipantLeft                // the candidate disconnected
	ParticipantJoined              // the candidate connected or reconnected
)

// String returns a snake_case name of the event, such as "track_muted".
func (e Event) String() string {
	switch e {
	case TrackAdded:
		return "track_added"
	case TrackMuted:
		return "track_muted"
	case TrackUnmuted:
		return "track_unmuted"
	case TrackEnded:
		return "track_ended"
	case TrackNone:
		return "track_none"
	case ParticipantLeft:
		return "participant_left"
	case ParticipantJoined:
		return "participant_joined"
	}
	return "unknown_event"
}

// trackState is what the analyzer believes about the candidate's video track.
type trackState int

const (
	trackGone     trackState = iota // candidate not connected (or nothing seen yet)
	trackAwaiting                   // connected, no track yet in this session
	trackLive                       // track added and not muted
	trackMuted                      // track muted
	trackEnded                      // track ended, no new one yet
	trackNone                       // no camera / permission refused
)

// Analyzer is the camera check for one candidate. Create it with New.
type Analyzer struct {
	cfg Config

	seen      bool // any event or frame so far
	connected bool
	connFrom  time.Duration
	conn      []span // closed connected spans, in order

	track      trackState
	trackSince time.Duration
	trackNote  string // detail of the last TrackNone / TrackEnded
	everTrack  bool   // a track was added (or implied by a frame) at some point
	sawNone    bool   // TrackNone was reported at some point

	// markOK and mark track "expected frames since": the last frame, or the moment a live
	// track started (added, unmuted). A gap from mark longer than NoFramesAfter is no_frames.
	markOK bool
	mark   time.Duration

	pic  picture  // per-frame measurements and runs
	recv arrivals // frames received, decoded or not (Received): the candidate's frame rate

	findings   []finding // closed findings, in order of start
	resChanges []resChange
	snaps      []snap // pictures of frozen and flat stretches, at most maxSnaps

	// finished: the call is over (Finish); Result words what is missing as final, not pending.
	finished bool
}

// Finish tells the analyzer the call (or recording) is over: from now on Result's sentences
// are those of a final report ("no picture arrived"), not of a running call ("not yet").
func (a *Analyzer) Finish(at time.Duration) { a.finished = true }

// New returns an Analyzer; zero fields in cfg take the defaults of DefaultConfig.
func New(cfg Config) *Analyzer {
	return &Analyzer{cfg: cfg.withDefaults()}
}

// TrackEvent records what the connection reported at time at (since call start).
// detail is free text from the connection (for example why a track ended); it is
// quoted in evidence for TrackNone and TrackEnded.
func (a *Analyzer) TrackEvent(at time.Duration, e Event, detail string) {
	switch e {
	case ParticipantJoined:
		a.join(at)
	case ParticipantLeft:
		if !a.seen {
			// They were there before we heard of them: count them from the start.
			a.join(0)
		}
		a.leave(at)
	case TrackAdded, TrackUnmuted:
		if !a.connected {
			a.join(at) // a track proves the candidate is there
		}
		if e == TrackUnmuted && a.track == trackLive {
			return
		}
		a.everTrack = true
		a.setTrack(trackLive, at)
	case TrackMuted:
		if !a.connected && a.seen {
			return // late event after the candidate left
		}
		if !a.connected {
			a.join(at)
		}
		if a.track == trackLive || a.track == trackAwaiting {
			a.everTrack = true
			a.setTrack(trackMuted, at)
		}
	case TrackEnded:
		if !a.connected {
			return // tracks end when the candidate leaves; nothing to add
		}
		if a.track == trackLive || a.track == trackMuted {
			a.trackNote = detail
			a.setTrack(trackEnded, at)
			a.pic.breakRuns(a, a.pic.lastPTS)
			a.pic.prevOK = false
		}
	case TrackNone:
		if !a.connected && a.seen {
			return
		}
		if !a.connected {
			a.join(at)
		}
		a.sawNone = true
		a.trackNote = detail
		if a.track == trackAwaiting {
			// "No camera" explains the whole wait since they joined.
			a.track, a.trackSince = trackNone, min(a.trackSince, at)
			return
		}
		if a.track != trackNone {
			a.setTrack(trackNone, at)
		}
	}
}

// join marks the candidate connected from at.
func (a *Analyzer) join(at time.Duration) {
	a.seen = true
	if a.connected {
		return
	}
	a.connected, a.connFrom = true, at
	a.track, a.trackSince = trackAwaiting, at
}

// leave marks the candidate disconnected at at and closes everything open.
func (a *Analyzer) leave(at time.Duration) {
	if !a.connected {
		return
	}
	at = max(at, a.connFrom)
	a.setTrack(trackGone, at)
	a.pic.breakRuns(a, min(at, max(a.pic.lastPTS, a.connFrom)))
	a.pic.prevOK = false
	a.conn = append(a.conn, span{a.connFrom, at})
	a.connected = false
}

// setTrack closes the span of the current track state at at and enters s.
func (a *Analyzer) setTrack(s trackState, at time.Duration) {
	at = max(at, a.trackSince)
	if f, ok := a.trackFinding(at, false); ok {
		a.addFinding(f)
	}
	if a.track == trackLive {
		a.closeGap(at)
	}
	a.track, a.trackSince = s, at
	if s == trackLive {
		a.markOK, a.mark = true, at
	}
}

// closeGap records a no_frames finding if no frame came from mark to at, and stops
// expecting frames.
func (a *Analyzer) closeGap(at time.Duration) {
	if a.markOK && at-a.mark > a.cfg.NoFramesAfter {
		a.addFinding(finding{kind: kindNoFrames, from: a.mark, to: at})
	}
	a.markOK = false
}

// trackFinding returns the finding for the current track state's span ending at end,
// if it deserves one. open says the span is still open at the time of the report.
func (a *Analyzer) trackFinding(end time.Duration, open bool) (finding, bool) {
	from := a.trackSince
	d := end - from
	f := finding{from: from, to: end, note: a.trackNote}
	switch a.track {
	case trackAwaiting:
		f.kind = kindNoVideo
		f.sub = subAwaiting
		return f, d > noTrackGrace
	case trackNone:
		f.kind, f.sub = kindNoVideo, subNone
		return f, d >= minTrackSpan || open
	case trackMuted:
		f.kind = kindMuted
		return f, d >= minTrackSpan
	case trackEnded:
		f.kind = kindEnded
		if open {
			// Ended and never replaced: the candidate is without video until now.
			f.kind, f.sub = kindNoVideo, subEnded
		}
		return f, d >= minTrackSpan
	}
	return finding{}, false
}
