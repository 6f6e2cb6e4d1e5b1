// Package pionlog routes pion's logs (WebRTC, ICE, DTLS, interceptors) into slog, for every
// pion stack of the process: the hosted room, the WHEP connector, the load generator.
package pionlog

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/pion/logging"
)

// Factory returns a pion LoggerFactory that logs to log, each line with the pion scope.
// pion's info level is chatty, so it maps to debug; trace is dropped.
//
// A write on a closed pipe is how pion's own goroutines (the TWCC feedback ticker, RTCP
// reports) notice a PeerConnection closing under them: PeerConnection.Close stops the
// transports before the interceptors, so every call that ends would log an error that is no
// error. Such lines map to debug too. A nil log is slog.Default().
func Factory(log *slog.Logger) logging.LoggerFactory {
	if log == nil {
		log = slog.Default()
	}
	return factory{log}
}

type factory struct{ log *slog.Logger }

func (f factory) NewLogger(scope string) logging.LeveledLogger {
	return logger{f.log.With("pion", scope)}
}

type logger struct{ log *slog.Logger }

func (l logger) emit(level slog.Level, msg string) {
	if level > slog.LevelDebug && strings.Contains(msg, io.ErrClosedPipe.Error()) {
		level = slog.LevelDebug // shutdown, not a failure
	}
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, "pion", "msg", msg)
	}
}

func (l logger) Trace(string)          {}
func (l logger) Tracef(string, ...any) {}
func (l logger) Debug(msg string)      { l.emit(slog.LevelDebug, msg) }
func (l logger) Debugf(format string, args ...any) {
	l.emit(slog.LevelDebug, fmt.Sprintf(format, args...))
}
func (l logger) Info(msg string) { l.emit(slog.LevelDebug, msg) }
func (l logger) Infof(format string, args ...any) {
	l.emit(slog.LevelDebug, fmt.Sprintf(format, args...))
}
func (l logger) Warn(msg string) { l.emit(slog.LevelWarn, msg) }
func (l logger) Warnf(format string, args ...any) {
	l.emit(slog.LevelWarn, fmt.Sprintf(format, args...))
}
func (l logger) Error(msg string) { l.emit(slog.LevelError, msg) }
func (l logger) Errorf(format string, args ...any) {
	l.emit(slog.LevelError, fmt.Sprintf(format, args...))
}
