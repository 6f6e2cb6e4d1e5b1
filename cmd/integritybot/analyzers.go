package main

import (
	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/media/camera"
)

// sessionConfig is the one place that decides which analyzers run, for live calls and for
// recordings alike (one code path, one report).
func sessionConfig(cfg config.Config) bot.Config {
	c := cfg.Camera
	return bot.Config{
		QueueSize: cfg.Interview.QueueSize, KeyframeInterval: cfg.Interview.KeyframeInterval.D(),
		ReportInterval: cfg.Interview.ReportInterval.D(),
		Camera: camera.Config{
			NoFramesAfter: c.NoFramesAfter.D(), FrozenAfter: c.FrozenAfter.D(), BlackAfter: c.BlackAfter.D(),
			MinVideo: c.MinVideo.D(), MinWidth: c.MinWidth, MinHeight: c.MinHeight, MinFPS: c.MinFPS,
		},
		NewAnalyzers: newAnalyzers(cfg),
	}
}

// newAnalyzers returns the factory of per-session frame analyzers besides the camera check.
func newAnalyzers(cfg config.Config) func() []bot.Analyzer {
	return func() []bot.Analyzer {
		var as []bot.Analyzer
		return as
	}
}
