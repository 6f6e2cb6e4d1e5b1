package main

import (
	"log/slog"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/media/camera"
	"github.com/integritybot/integritybot/media/face"
	"github.com/integritybot/integritybot/media/faceswap"
	"github.com/integritybot/integritybot/media/liveness"
	"github.com/integritybot/integritybot/media/replay"
)

// sessionConfig is the one place that decides which analyzers run, for live calls and for
// recordings alike (one code path, one report).
func sessionConfig(cfg config.Config) bot.Config {
	c := cfg.Camera
	return bot.Config{
		QueueSize: cfg.Interview.QueueSize, KeyframeInterval: cfg.Interview.KeyframeInterval.D(),
		ReportInterval: cfg.Interview.ReportInterval.D(),
		SampleAfter:    cfg.Interview.SampleAfter.D(), SampleFPS: cfg.Interview.SampleFPS,
		BaseLayer: bot.LayerMode(cfg.Interview.BaseLayer),
		Camera: camera.Config{
			NoFramesAfter: c.NoFramesAfter.D(), FrozenAfter: c.FrozenAfter.D(), BlackAfter: c.BlackAfter.D(),
			MinVideo: c.MinVideo.D(), MinWidth: c.MinWidth, MinHeight: c.MinHeight, MinFPS: c.MinFPS,
		},
		NewAnalyzers: newAnalyzers(cfg),
	}
}

// newAnalyzers returns the factory of per-session frame analyzers besides the camera check.
// The face cascades are loaded once here; if that fails the bot still runs and every
// report says the face check is unknown, with the reason.
func newAnalyzers(cfg config.Config) func() []bot.Analyzer {
	fc := cfg.Face
	faceProto, faceErr := face.New(face.Config{
		Interval: fc.Interval.D(), DetectWidth: fc.DetectWidth, MinFace: fc.MinFace,
		NoFaceAfter: fc.NoFaceAfter.D(), MultipleAfter: fc.MultipleAfter.D(), MinVideo: fc.MinVideo.D(),
		Pupils: fc.Pupils, Landmarks: fc.Landmarks, CascadeDir: fc.CascadeDir,
	})
	if faceErr != nil {
		slog.Default().Warn("face check disabled", "err", faceErr)
	}
	return func() []bot.Analyzer {
		var as []bot.Analyzer
		// The face-swap check reads the face check's detections of the same frame, so it
		// comes right after it; without face detection it reports unknown.
		swapCfg := faceswap.Config{Interval: fc.Interval.D()}
		if faceErr != nil {
			as = append(as, face.Unavailable{Err: faceErr}, faceswap.New(swapCfg, nil))
			as = append(as, liveness.New(liveness.Config{Interval: fc.Interval.D()}, nil))
			// Without faces the replay check takes the centre of the picture as the face.
			as = append(as, replay.New(replay.Config{}, nil))
		} else {
			fa := faceProto.Fresh()
			as = append(as, fa, faceswap.New(swapCfg, fa))
			// The liveness check scores the room's challenges from the same detections.
			// Passive: the pulse in the face skin and the blinks, as supporting evidence that
			// never changes the check's status.
			as = append(as, liveness.New(liveness.Config{Interval: fc.Interval.D(), Passive: true}, fa))
			// The replay check reads the newest face box to look for a face that never moves
			// by itself while the picture pans or zooms (a photo on a virtual camera).
			as = append(as, replay.New(replay.Config{}, fa))
		}
		return as
	}
}
