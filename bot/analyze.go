package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
)

// progressStep is how much media time passes between progress callbacks.
const progressStep = time.Second

// stillReason is why temporal checks cannot run on a still image.
const stillReason = "a still image has no motion to check"

// temporalChecks need a moving picture; on a still image they are unknown with stillReason.
var temporalChecks = map[string]bool{
	report.CheckCamera: true, report.CheckFaceSwap: true, report.CheckReplay: true, report.CheckLiveness: true,
}

// Analyze runs a recording through the same Session, analyzers and report as a live call.
// The session's clock is driven by the frames: call time is the last frame's PTS, so the
// report's times are seconds into the recording. progress, if not nil, is called about
// every second of media time with how much was analyzed. Analyze does not close src.
//
// A read error (truncated or corrupt file) ends the analysis with that error and no report.
func Analyze(ctx context.Context, src media.Source, cand report.Candidate, cfg Config, progress func(done time.Duration)) (*report.Report, error) {
	info := src.Info()
	start := time.Now().UTC().Truncate(time.Millisecond)
	var now time.Duration // media time; the session reads it through its clock
	s := NewSession(info.Name, cand, start, cfg, nil, nil, func() time.Time { return start.Add(now) })
	defer s.Close()
	s.Event("recording", describe(info))

	frames := 0
	var lastProgress time.Duration
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		now = max(now, f.PTS)
		s.Observe(f)
		frames++
		if progress != nil && now-lastProgress >= progressStep {
			progress(now)
			lastProgress = now
		}
	}
	if frames == 0 {
		s.TrackEvent(TrackNone, "the recording contains no video frames")
	}
	if progress != nil {
		progress(now)
	}
	r := s.End(ctx, report.Final)
	if info.Still {
		explainStill(r)
	}
	return r, nil
}

// describe is the timeline line for the input.
func describe(in media.SourceInfo) string {
	d := "Recording " + in.Name
	if in.Format != "" {
		d += " (" + in.Format
		if in.Width > 0 {
			d += fmt.Sprintf(", %d×%d", in.Width, in.Height)
		}
		if in.FPS > 0 {
			d += fmt.Sprintf(", %.4g fps", in.FPS)
		}
		d += ")"
	}
	if in.Still {
		d += ": a single still image"
	}
	return d + "."
}

// explainStill says in each temporal check that could not run why: a still image has no
// motion. Checks that ran on the one frame keep their result.
func explainStill(r *report.Report) {
	for i := range r.Checks {
		c := &r.Checks[i]
		if !temporalChecks[c.ID] || c.Status != report.Unknown {
			continue
		}
		if c.ID == report.CheckReplay && c.Summary != "" {
			// The replay check looked at the one picture (a screen's or a print's edges
			// around the face) and says itself that loops and moving photos need video.
			continue
		}
		c.Summary = "Not checked: the input is a single still image, and " + stillReason + "."
		c.NextStep = "Analyze a video recording of the candidate, or check this during a live call."
		c.Evidence = append(c.Evidence, report.Evidence{AtS: 0, Kind: "still_image",
			Detail: "The input is one still image; " + stillReason + "."})
	}
}

// WithChallenge returns cfg whose analyzers are told, as each session creates them, that the
// candidate was asked to do step from call time from until until: a challenge in a recording
// (the interviewer asked out loud at a known time), scored as in a live call.
func WithChallenge(cfg Config, step string, from, until time.Duration) Config {
	inner := cfg.NewAnalyzers
	if inner == nil {
		return cfg
	}
	cfg.NewAnalyzers = func() []Analyzer {
		as := inner()
		for _, a := range as {
			if c, ok := a.(Challenger); ok {
				c.Challenge(step, from, until)
			}
		}
		return as
	}
	return cfg
}
