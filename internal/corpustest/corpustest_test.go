package corpustest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
	"github.com/integritybot/integritybot/media/y4m"
)

// TestRootSkipsNamingCorpus: a missing corpus skips (not fails) the test with one line
// naming the variable and the fetch script.
func TestRootSkipsNamingCorpus(t *testing.T) {
	t.Setenv(Env, t.TempDir())
	var r skipRecorder
	done := make(chan struct{})
	go func() { // the recorder's Skip ends this goroutine, as testing's SkipNow does
		defer close(done)
		Root(&r)
		t.Error("Root returned on a directory without labels.csv")
	}()
	<-done
	if !r.skipped || strings.Contains(r.msg, "\n") || !strings.Contains(r.msg, "set INTEGRITYBOT_CORPUS") ||
		!strings.Contains(r.msg, "scripts/fetch-corpus.sh") {
		t.Errorf("Root on an empty dir: skipped %v with %q; want one line naming INTEGRITYBOT_CORPUS and scripts/fetch-corpus.sh", r.skipped, r.msg)
	}
}

// skipRecorder records a Skip's message, then ends the goroutine like testing's Skip.
type skipRecorder struct {
	testing.TB
	skipped bool
	msg     string
}

func (r *skipRecorder) Helper() {}
func (r *skipRecorder) Skip(args ...any) {
	r.skipped, r.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}

// TestFramesLimit writes a 10-frame 10 fps Y4M and reads it back whole and up to 0.45 s.
func TestFramesLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ramp.y4m")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := y4m.NewWriter(fh, y4m.Header{Width: 16, Height: 16, FPSNum: 10, FPSDen: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		f := &media.Frame{Width: 16, Height: 16, YStride: 16, UVStride: 8,
			Y: bytes.Repeat([]byte{byte(20 * i)}, 256), U: bytes.Repeat([]byte{128}, 64), V: bytes.Repeat([]byte{128}, 64)}
		if err := w.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	all := Frames(t, path, 0)
	if len(all) != 10 || all[9].Y[0] != 180 || all[9].PTS != 900*time.Millisecond {
		t.Fatalf("whole file: %d frames, last luma %d at %v; want 10, 180 at 900ms", len(all), all[len(all)-1].Y[0], all[len(all)-1].PTS)
	}
	// Copies: the reader reusing its planes must not change an earlier frame.
	if all[0].Y[0] != 0 || all[5].Y[0] != 100 {
		t.Errorf("frames 0 and 5 have luma %d and %d; want 0 and 100", all[0].Y[0], all[5].Y[0])
	}
	if n := len(Frames(t, path, 450*time.Millisecond)); n != 5 {
		t.Errorf("up to 450ms: %d frames, want 5 (0-400ms)", n)
	}
}

// TestNewFacesFresh: each call gives a separate analyzer with the config asked for.
func TestNewFacesFresh(t *testing.T) {
	a := Faces(t, face.Config{Pupils: true})
	b := Faces(t, face.Config{Pupils: true})
	if a == b {
		t.Fatal("Faces returned the same analyzer twice; want a fresh one per call")
	}
	f := &media.Frame{Width: 64, Height: 64, YStride: 64, UVStride: 32,
		Y: bytes.Repeat([]byte{90}, 64*64), U: bytes.Repeat([]byte{128}, 32*32), V: bytes.Repeat([]byte{128}, 32*32)}
	a.Observe(f)
	if d := b.Recent(nil, 4); len(d) != 0 {
		t.Errorf("a fresh analyzer holds %d detections from another's frame", len(d))
	}
}
