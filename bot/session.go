// Package bot runs one Session per interview: it takes the candidate's video from a connector
// (bot/connect: the hosted room, WHEP, LiveKit), decodes it, runs the analyzers, and keeps the
// report current and persisted while the call runs. Call is how the interview service
// (internal/interview) keeps a running call, whichever connector owns it.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/camera"
)

// ReportSink persists reports. The store implements it; SaveReport is called every
// Config.ReportInterval while the interview runs, so a crash loses at most that much.
type ReportSink interface {
	SaveReport(ctx context.Context, r *report.Report) error
}

// Analyzer is a check fed with decoded frames. Analyzers are pure: no goroutines, no wall
// clock; time comes from frame timestamps. The session calls them from one goroutine.
type Analyzer interface {
	Observe(f *media.Frame)
	Result(now time.Duration) report.Check
}

// Check is a check fed by something other than frames (connection metadata, the browser's
// answers, challenges). Result must be safe to call from any goroutine.
type Check interface {
	Result(now time.Duration) report.Check
}

// Config tunes a Session.
type Config struct {
	Camera camera.Config
	// NewAnalyzers makes the frame analyzers of one session besides the camera check
	// (face, face_swap, replay, ...). Nil means the camera check only.
	NewAnalyzers     func() []Analyzer
	QueueSize        int           // encoded frames waiting for the decoder; more are dropped and counted
	KeyframeInterval time.Duration // a keyframe is requested at least this often
	ReportInterval   time.Duration // how often the live report is persisted
	// Stats, when set, gathers this session's counters with every other session's (/metrics).
	Stats *Stats
	// SampleAfter turns on sampled analysis for live calls: when a decoded frame reaches the
	// analyzers more than this long after it arrived (the decode queue is backing up: the
	// machine is short of CPU), the analyzers besides the camera check see at most SampleFPS
	// frames a second until the lag has stayed below SampleAfter/2 for SampleHold. The camera
	// check always sees every frame (frame rate, frozen and black video need them all). The
	// report's coverage says how many frames were analyzed and when. 0 disables.
	SampleAfter time.Duration
	SampleFPS   float64       // frames a second the sampled analyzers see under load
	SampleHold  time.Duration // how long the lag must stay low before full analysis resumes
	// BaseLayer decides when a temporally layered video track (L1T3) is decoded at its base
	// layer only: "auto" (or "") under the same lag signal as SampleAfter, "always", "never"
	// (bot/layers.go).
	BaseLayer LayerMode
}

// DefaultConfig returns the defaults used for zero Config fields, and the configuration
// file's interview section (internal/config takes them from here). SampleAfter 0 would
// disable sampled analysis, so only DefaultConfig, not a zero field, turns it on.
func DefaultConfig() Config {
	return Config{
		QueueSize:        8,
		KeyframeInterval: 10 * time.Second,
		ReportInterval:   2 * time.Second,
		SampleAfter:      150 * time.Millisecond,
		SampleFPS:        2.5,
		SampleHold:       3 * time.Second,
		BaseLayer:        BaseLayerAuto,
	}
}

// withDefaults fills zero (or negative) fields from DefaultConfig; SampleAfter and
// BaseLayer keep their zero meaning (no sampling, auto).
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.QueueSize <= 0 {
		c.QueueSize = d.QueueSize
	}
	if c.KeyframeInterval <= 0 {
		c.KeyframeInterval = d.KeyframeInterval
	}
	if c.ReportInterval <= 0 {
		c.ReportInterval = d.ReportInterval
	}
	if c.SampleFPS <= 0 {
		c.SampleFPS = d.SampleFPS
	}
	if c.SampleHold <= 0 {
		c.SampleHold = d.SampleHold
	}
	return c
}

// Session is the bot's view of one interview. All methods are safe for concurrent use.
type Session struct {
	id        string
	candidate report.Candidate
	cfg       Config
	log       *slog.Logger
	now       func() time.Time
	sink      ReportSink

	mu       sync.Mutex
	start    time.Time
	ended    *time.Time
	cam      *camera.Analyzer
	frameAn  []Analyzer
	checks   []Check
	lastPTS  time.Duration
	havePTS  bool
	timeline []report.Event
	// eventsDropped counts Event lines past MaxTimeline.
	eventsDropped int
	closed        bool
	timers        []analyzerTimer // per frame analyzer, camera last; under mu
	broken        []string        // per frame analyzer: why it was switched off (it panicked); under mu
	sample        sampler         // under mu

	received  atomic.Int64 // frames of the candidate's video that reached the bot (video.go)
	decoded   atomic.Int64
	analyzed  atomic.Int64
	sampled   atomic.Int64 // decoded frames only the camera check saw
	dropped   atomic.Int64
	videoNano atomic.Int64
	layerSkip atomic.Int64 // upper temporal layer frames received and not decoded (layers.go)
	baseOnly  atomic.Bool  // decoding the base temporal layer only now

	// arrMu guards arrivals: the PTS of frames received (VideoInput.WriteRTP), decoded or not,
	// not yet told to the camera check. The receiving goroutine must not wait for s.mu, which
	// Observe holds while the analyzers run; Observe hands them over (arrSpare: under mu).
	arrMu    sync.Mutex
	arrivals []time.Duration
	arrSpare []time.Duration

	wg   sync.WaitGroup
	stop chan struct{}
}

// NewSession starts a session whose call time starts at start. If sink is not nil the
// report is persisted every cfg.ReportInterval until Close.
func NewSession(id string, candidate report.Candidate, start time.Time, cfg Config, sink ReportSink, log *slog.Logger, now func() time.Time) *Session {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Session{
		id:        id,
		candidate: candidate,
		cfg:       cfg.withDefaults(),
		log:       log.With("interview_id", id),
		now:       now,
		sink:      sink,
		start:     start,
		cam:       camera.New(cfg.Camera),
		stop:      make(chan struct{}),
	}
	if cfg.NewAnalyzers != nil {
		s.frameAn = cfg.NewAnalyzers()
	}
	for _, a := range s.frameAn {
		s.timers = append(s.timers, analyzerTimer{id: a.Result(0).ID})
	}
	s.timers = append(s.timers, analyzerTimer{id: report.CheckCamera})
	s.broken = make([]string, len(s.frameAn))
	cfg.Stats.add(s)
	if sink != nil {
		s.wg.Add(1)
		go s.persistLoop()
	}
	return s
}

// ID returns the interview id.
func (s *Session) ID() string { return s.id }

// Since returns call time: how long after the start of the call t is.
func (s *Session) Since(t time.Time) time.Duration { return t.Sub(s.start) }

// MaxTimeline bounds the timeline lines one call can add through Event, and MaxEventDetail
// the length of one line's detail: the candidate's browser drives many of them (track
// changes, hellos), and a flood must not grow the report without bound (issue 15: 600,000
// track messages made a 214 MB report). Lines past the bound are counted, and the report
// says how many were dropped. Challenge windows are always kept.
const (
	MaxTimeline    = 500
	MaxEventDetail = 300
)

// Event adds a line to the call's timeline.
func (s *Session) Event(kind, detail string) {
	at := s.Since(s.now())
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.timeline) >= MaxTimeline {
		s.eventsDropped++
		return
	}
	s.timeline = append(s.timeline, report.Event{AtS: round(at.Seconds()), Kind: cut(kind, 40), Detail: cut(detail, MaxEventDetail)})
}

// cut cuts s to at most n bytes on a rune boundary, marking the cut with "…".
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n - len("…")
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// TrackEvent tells the camera check what happened to the candidate's camera or connection.
func (s *Session) TrackEvent(e CallEvent, detail string) {
	at := s.Since(s.now())
	s.mu.Lock()
	defer s.mu.Unlock()
	s.receivedToCamera() // frames received before the event: not a gap (no_frames)
	s.cam.TrackEvent(at, e.cameraEvent(), detail)
}

// maxFrameGap caps how much call time one frame accounts for in coverage, so that a
// frozen sender or a gap does not count as seen video.
const maxFrameGap = time.Second

// Observe runs the analyzers on one decoded frame and counts it into coverage. The decode
// goroutine of a VideoInput calls it for live calls, the file analyzer for recordings; frames
// must come in PTS order from one goroutine at a time.
func (s *Session) Observe(f *media.Frame) {
	s.decoded.Add(1)
	lag := s.Since(s.now()) - f.PTS
	s.mu.Lock()
	if s.havePTS && f.PTS > s.lastPTS {
		s.videoNano.Add(int64(min(f.PTS-s.lastPTS, maxFrameGap)))
	}
	s.lastPTS, s.havePTS = f.PTS, true
	t0 := time.Now()
	s.receivedToCamera()
	s.cam.Observe(f)
	t0 = s.timers[len(s.timers)-1].add(t0)
	full := s.sample.full(&s.cfg, f.PTS, lag)
	if full {
		for i, a := range s.frameAn {
			if s.broken[i] == "" {
				s.observeSafe(i, a, f)
			}
			t0 = s.timers[i].add(t0)
		}
	}
	s.mu.Unlock()
	if full {
		s.analyzed.Add(1)
	} else {
		s.sampled.Add(1)
	}
}

// maxArrivals bounds the frames received and not yet told to the camera check: a decoder that
// is seconds behind (or stalled) must not grow them without bound. The oldest go first.
const maxArrivals = 1024

// arrived records that a frame of the candidate's video with PTS pts reached the bot, whether
// or not it will be decoded: the camera check judges the candidate's frame rate by it
// (camera.Analyzer.Received), not by what this machine managed to decode. It never waits for
// the analyzers.
func (s *Session) arrived(pts time.Duration) {
	s.arrMu.Lock()
	defer s.arrMu.Unlock()
	if len(s.arrivals) == maxArrivals {
		s.arrivals = append(s.arrivals[:0], s.arrivals[maxArrivals/2:]...)
	}
	s.arrivals = append(s.arrivals, pts)
}

// receivedToCamera tells the camera check the frames received since the last call. Called
// with s.mu held before a decoded frame (every frame received before it was queued is told),
// a track event and a report.
func (s *Session) receivedToCamera() {
	s.arrMu.Lock()
	got := s.arrivals
	s.arrivals = s.arrSpare[:0]
	s.arrMu.Unlock()
	for _, pts := range got {
		s.cam.Received(pts)
	}
	s.arrSpare = got
}

// Finisher is a frame analyzer or a Check that is told when the call (or recording) is over:
// what it still waited for, such as the grace after a liveness prompt, will not come, so the
// final report judges it with what arrived instead of leaving it pending, and words what is
// missing as final ("no video arrived") rather than live ("not yet").
type Finisher interface {
	Finish(at time.Duration)
}

// Challenger is a frame analyzer that scores active challenges (media/liveness): it is told
// each prompt's window of call time, under the session's lock, before or after its frames.
type Challenger interface {
	Challenge(step string, from, until time.Duration)
}

// ErrEnded is returned by Challenge once the session is closing: its final report is being
// made (or was made), so a window marked now would not be in it.
var ErrEnded = errors.New("bot: the call has ended")

// Challenge records that the candidate was asked to do step (e.g. "turn_left") from call
// time from until until: a timeline line with detail, and the window for every analyzer
// that implements Challenger. It returns ErrEnded, and records nothing, once Close or End
// has begun: a caller that gets nil knows the window is in the final report.
func (s *Session) Challenge(step, detail string, from, until time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		// End takes the final report after Close set closed under this lock: a window
		// recorded from here on could miss it while its caller was told it was marked.
		return ErrEnded
	}
	s.timeline = append(s.timeline, report.Event{AtS: round(from.Seconds()), Kind: "challenge", Detail: detail})
	s.sample.keepFull(from, until)
	for _, a := range s.frameAn {
		if c, ok := a.(Challenger); ok {
			c.Challenge(step, from, until)
		}
	}
	return nil
}

// AddCheck adds a check fed from outside the video (e.g. timezone and network consistency).
func (s *Session) AddCheck(c Check) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks = append(s.checks, c)
}

// Report returns the current report. state is report.Live while the call runs.
func (s *Session) Report(state report.State) *report.Report {
	now := s.now()
	s.mu.Lock()
	end := now
	if s.ended != nil {
		end = *s.ended
	}
	at := end.Sub(s.start)
	s.receivedToCamera() // a decoder behind (or stalled) is no gap in the candidate's video
	checks := []report.Check{s.cam.Result(at)}
	for i, a := range s.frameAn {
		if s.broken[i] != "" {
			checks = append(checks, brokenCheck(s.timers[i].id, s.broken[i]))
			continue
		}
		checks = append(checks, a.Result(at))
	}
	for _, c := range s.checks {
		checks = append(checks, c.Result(at))
	}
	timeline := append([]report.Event{}, s.timeline...)
	if s.eventsDropped > 0 {
		timeline = append(timeline, report.Event{AtS: timeline[len(timeline)-1].AtS, Kind: "dropped",
			Detail: fmt.Sprintf("%d more timeline events were dropped: a call keeps at most %d.", s.eventsDropped, MaxTimeline)})
	}
	ended := s.ended
	note := s.sample.note(s.sampled.Load(), s.cfg.SampleFPS)
	s.mu.Unlock()

	sort.SliceStable(checks, func(i, j int) bool { return order(checks[i].ID) < order(checks[j].ID) })
	start := s.start
	r := &report.Report{
		Schema:      report.Schema,
		InterviewID: s.id,
		Candidate:   s.candidate,
		State:       state,
		StartedAt:   &start,
		EndedAt:     ended,
		Coverage: report.Coverage{
			VideoSeconds:   round(time.Duration(s.videoNano.Load()).Seconds()),
			FramesDecoded:  s.decoded.Load(),
			FramesAnalyzed: s.analyzed.Load(),
			FramesDropped:  s.dropped.Load(),
			Note:           note,
		},
		Checks:   checks,
		Timeline: timeline,
	}
	r.Explain()
	return r
}

// End marks the end of the call and returns the report in state (report.Final, or
// report.Interrupted when the server stops mid-call). It persists it when the session has a
// sink, once: through EndSink.Ended when the sink records ends.
func (s *Session) End(ctx context.Context, state report.State) *report.Report {
	s.Close()
	s.mu.Lock()
	if s.ended == nil {
		t := s.now()
		s.ended = &t
	}
	at := s.ended.Sub(s.start)
	for i, a := range s.frameAn {
		if f, ok := a.(Finisher); ok && s.broken[i] == "" {
			f.Finish(at) // the analysis goroutine has stopped (Close): no Observe runs beside it
		}
	}
	// The final report's sentences say what the call gave, not what it is still waiting for.
	s.cam.Finish(at)
	for _, c := range s.checks {
		if f, ok := c.(Finisher); ok {
			f.Finish(at)
		}
	}
	s.mu.Unlock()
	r := s.Report(state)
	if err := s.saveFinal(ctx, r); err != nil {
		s.log.Error("save final report", "err", err)
	}
	return r
}

// EndSink is a ReportSink that also records the end of a call (the store: the final report,
// the interview's end, and the summary queued for the chat channels). Session.End hands it
// the final report once, through Ended, instead of SaveReport.
type EndSink interface {
	ReportSink
	Ended(ctx context.Context, r *report.Report) error
}

// saveFinal saves the final report once: through Ended when the sink records ends.
func (s *Session) saveFinal(ctx context.Context, r *report.Report) error {
	switch sink := s.sink.(type) {
	case nil:
		return nil
	case EndSink:
		return sink.Ended(ctx, r)
	default:
		return sink.SaveReport(ctx, r)
	}
}

// Close stops the session's goroutines (video inputs must be closed by their owners first or
// are stopped here too). It does not end the call; use End for that.
func (s *Session) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	s.wg.Wait()
	s.cfg.Stats.remove(s)
}

func (s *Session) persistLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.ReportInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := s.sink.SaveReport(ctx, s.Report(report.Live)); err != nil {
				s.log.Warn("save live report", "err", err)
			}
			cancel()
		}
	}
}

// order is id's place in reports (report.CheckRank).
func order(id string) int {
	r, _ := report.CheckRank(id)
	return r
}

func round(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }
