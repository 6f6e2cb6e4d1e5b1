package bot

import (
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
)

// countAnalyzer counts the frames it sees.
type countAnalyzer struct{ n int }

func (a *countAnalyzer) Observe(*media.Frame) { a.n++ }
func (a *countAnalyzer) Result(time.Duration) report.Check {
	return report.Check{ID: report.CheckFace, Status: report.Unknown}
}

// TestSampledAnalysis feeds 30 fps frames that reach the session late (a backed-up decode
// queue) and then on time: the heavy analyzers see about SampleFPS frames a second while
// late, every frame again after SampleHold, the camera check every frame throughout, and the
// coverage says so.
func TestSampledAnalysis(t *testing.T) {
	start := time.Unix(1000, 0)
	var clock time.Time
	ca := &countAnalyzer{}
	stats := NewStats()
	s := NewSession("t", report.Candidate{}, start, Config{SampleAfter: 150 * time.Millisecond, SampleFPS: 5,
		SampleHold: time.Second, Stats: stats, NewAnalyzers: func() []Analyzer { return []Analyzer{ca} }},
		nil, nil, func() time.Time { return clock })
	frame := func(i int, lag time.Duration) {
		pts := time.Duration(i) * time.Second / 30
		clock = start.Add(pts + lag)
		s.Observe(&media.Frame{Width: 16, Height: 16, YStride: 16, UVStride: 8, Y: make([]byte, 256),
			U: make([]byte, 64), V: make([]byte, 64), PTS: pts})
	}
	for i := 0; i < 60; i++ { // 2 s on time
		frame(i, 10*time.Millisecond)
	}
	if ca.n != 60 {
		t.Fatalf("on time: analyzer saw %d of 60 frames", ca.n)
	}
	for i := 60; i < 150; i++ { // 3 s late
		frame(i, 300*time.Millisecond)
	}
	late := ca.n - 60
	if late < 13 || late > 17 {
		t.Fatalf("late: analyzer saw %d of 90 frames; want about 15 (5 fps for 3 s)", late)
	}
	if err := s.Challenge("hand", "Hand across the face", 5*time.Second+500*time.Millisecond, 6*time.Second); err != nil {
		t.Fatal(err)
	}
	for i := 150; i < 240; i++ { // on time again: sampled for SampleHold, then full
		frame(i, 10*time.Millisecond)
	}
	if got := ca.n - 60 - late; got < 70 || got > 85 {
		t.Fatalf("recovering: analyzer saw %d of 90 frames; want the challenge window and everything after 1 s", got)
	}
	r := s.Report(report.Live)
	c := r.Coverage
	if c.FramesDecoded != 240 || c.FramesAnalyzed != int64(ca.n) || c.FramesAnalyzed >= c.FramesDecoded {
		t.Fatalf("coverage %+v; analyzer saw %d", c, ca.n)
	}
	if !strings.Contains(c.Note, "short of processing time") || !strings.Contains(c.Note, "camera check saw every frame") {
		t.Fatalf("coverage note %q", c.Note)
	}
	s.Close()
	snap := stats.Snapshot()
	if snap.Active != 0 || snap.Sessions != 1 || snap.FramesDecoded != 240 || snap.FramesSampled != 240-int64(ca.n) ||
		snap.AnalyzerFrames[report.CheckCamera] != 240 || snap.AnalyzerFrames[report.CheckFace] != int64(ca.n) {
		t.Fatalf("stats after close: %+v", snap)
	}
}

// TestNoSamplingByDefault: without SampleAfter every frame is analyzed however late.
func TestNoSamplingByDefault(t *testing.T) {
	start := time.Unix(1000, 0)
	ca := &countAnalyzer{}
	s := NewSession("t", report.Candidate{}, start, Config{NewAnalyzers: func() []Analyzer { return []Analyzer{ca} }},
		nil, nil, func() time.Time { return start.Add(time.Hour) })
	defer s.Close()
	for i := 0; i < 30; i++ {
		s.Observe(&media.Frame{Width: 16, Height: 16, YStride: 16, UVStride: 8, Y: make([]byte, 256),
			U: make([]byte, 64), V: make([]byte, 64), PTS: time.Duration(i) * time.Second / 30})
	}
	if r := s.Report(report.Live); ca.n != 30 || r.Coverage.Note != "" || r.Coverage.FramesAnalyzed != 30 {
		t.Fatalf("analyzer saw %d of 30; coverage %+v", ca.n, r.Coverage)
	}
}

// panicky panics on its third frame, like an analyzer with a bug on an odd stream.
type panicky struct{ n int }

func (a *panicky) Observe(*media.Frame) {
	if a.n++; a.n == 3 {
		var s []byte
		_ = s[5]
	}
}
func (a *panicky) Result(time.Duration) report.Check {
	return report.Check{ID: report.CheckReplay, Status: report.Pass}
}

// TestAnalyzerPanicIsContained: a panicking analyzer is switched off for its session, its
// check says unknown and why, and the other checks keep going.
func TestAnalyzerPanicIsContained(t *testing.T) {
	start := time.Unix(1000, 0)
	p, ca := &panicky{}, &countAnalyzer{}
	s := NewSession("t", report.Candidate{}, start, Config{NewAnalyzers: func() []Analyzer { return []Analyzer{p, ca} }},
		nil, nil, func() time.Time { return start })
	defer s.Close()
	for i := 0; i < 10; i++ {
		s.Observe(&media.Frame{Width: 16, Height: 16, YStride: 16, UVStride: 8, Y: make([]byte, 256),
			U: make([]byte, 64), V: make([]byte, 64), PTS: time.Duration(i) * time.Second / 30})
	}
	if p.n != 3 || ca.n != 10 {
		t.Fatalf("panicking analyzer saw %d frames (want 3), the other %d (want 10)", p.n, ca.n)
	}
	for _, c := range s.Report(report.Live).Checks {
		if c.ID == report.CheckReplay && (c.Status != report.Unknown || !strings.Contains(c.Summary, "internal error")) {
			t.Fatalf("replay check %+v; want unknown with the reason", c)
		}
	}
}

// TestTimelineBounded: a flood of timeline lines (a candidate's browser sending track
// messages in a loop) keeps MaxTimeline lines, each cut to MaxEventDetail, and says how many
// were dropped; a challenge window past the bound is still kept.
func TestTimelineBounded(t *testing.T) {
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	s := NewSession("t", report.Candidate{}, start, Config{}, nil, slog.New(slog.DiscardHandler), func() time.Time { return start.Add(time.Minute) })
	long := strings.Repeat("é", MaxEventDetail)
	for range MaxTimeline + 1000 {
		s.Event("track", long)
	}
	if err := s.Challenge("turn_left", "profile turn asked", time.Second, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	tl := s.Report(report.Live).Timeline
	if len(tl) != MaxTimeline+2 {
		t.Fatalf("timeline has %d lines, want %d", len(tl), MaxTimeline+2)
	}
	for _, e := range tl[:MaxTimeline] {
		if len(e.Detail) > MaxEventDetail || !utf8.ValidString(e.Detail) {
			t.Fatalf("detail of %d bytes (valid UTF-8: %v)", len(e.Detail), utf8.ValidString(e.Detail))
		}
	}
	last := tl[len(tl)-1]
	if last.Kind != "dropped" || !strings.Contains(last.Detail, "1000 more timeline events were dropped") {
		t.Errorf("last line = %+v", last)
	}
	if tl[MaxTimeline].Kind != "challenge" {
		t.Errorf("challenge line missing: %+v", tl[MaxTimeline])
	}
}
