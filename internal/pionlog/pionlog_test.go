package pionlog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestPionShutdownNoise: pion's goroutines that write on a closed pipe while a participant's
// PeerConnection closes log at debug; other pion errors stay errors.
func TestPionShutdownNoise(t *testing.T) {
	var buf bytes.Buffer
	logs := Factory(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	twcc := logs.NewLogger("twcc_sender_interceptor")
	for _, tc := range []struct {
		log  func()
		want string
	}{
		{func() { twcc.Error("io: read/write on closed pipe") }, "level=DEBUG"},
		{func() { twcc.Errorf("write rtcp: %v", "io: read/write on closed pipe") }, "level=DEBUG"},
		{func() { twcc.Warn("io: read/write on closed pipe") }, "level=DEBUG"},
		{func() { twcc.Error("srtp: failed to decrypt") }, "level=ERROR"},
		{func() { twcc.Warnf("ice: %s", "no candidate pairs") }, "level=WARN"},
		{func() { twcc.Info("gathering") }, "level=DEBUG"},
	} {
		buf.Reset()
		tc.log()
		if !strings.Contains(buf.String(), tc.want) || !strings.Contains(buf.String(), "pion=twcc_sender_interceptor") {
			t.Errorf("logged %q, want %s", buf.String(), tc.want)
		}
	}
}
