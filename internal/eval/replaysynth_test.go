package eval

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/integritybot/integritybot/media"
)

// TestSynthesizeReplay makes the replay families from two stills and two clips of the
// corpus and checks them: VP8 files of replayDuration, attack rows targeting the replay
// check, the slowed genuine rows labelled genuine, the split in every name and content,
// and a moving picture that really moves (its first and last frames differ).
func TestSynthesizeReplay(t *testing.T) {
	corpus := corpusDir(t)
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed (make deps-test installs it)")
	}
	rows, err := Synthesize(context.Background(), t.TempDir(), SynthOptions{Corpus: corpus, Open: open, Sources: 1, Duration: 2e9, Swaps: -1, Hands: -1, Replay: 2})
	if err != nil {
		t.Fatal(err)
	}
	var moving, loops, slow int
	for _, r := range rows {
		if !strings.HasPrefix(r.Attack, "replay_") && !strings.HasPrefix(r.Extra["content"], SplitOf(r.Person)+" split: "+lowMotionContent) {
			continue
		}
		split := SplitOf(r.Person)
		if !strings.HasPrefix(r.Path, split+"_") || !strings.HasPrefix(r.Extra["content"], split+" split: ") || r.Extra["codec"] != "vp8" {
			t.Errorf("%s: split %s, content %q, codec %s", r.Path, split, r.Extra["content"], r.Extra["codec"])
		}
		frames := readAll(t, r.File)
		if got := len(frames); got < 8*replayFPS || got > int(replayDuration.Seconds())*replayFPS {
			t.Errorf("%s: %d frames", r.Path, got)
		}
		switch {
		case r.Label == LabelGenuine:
			slow++
		case strings.HasPrefix(r.Attack, "replay_loop_"):
			loops++
		default:
			moving++
			if d := meanDiff(frames[0], frames[len(frames)-1]); d < 1 {
				t.Errorf("%s: first and last frames differ by %.2f levels: the picture did not move", r.Path, d)
			}
		}
		if c, ok := TargetCheck(r.Attack); r.Attack != "" && (!ok || c != "replay") {
			t.Errorf("%s: target %q", r.Attack, c)
		}
	}
	// 2 stills and the first frames of 2 clips moved, 2 loops, 2 slowed clips.
	if moving != 4 || loops != 2 || slow != 2 {
		t.Errorf("%d moving pictures, %d loops, %d slowed clips; want 4, 2, 2", moving, loops, slow)
	}
}

// meanDiff is the mean absolute luma difference of two frames of one size.
func meanDiff(a, b *media.Frame) float64 {
	s := 0
	for y := range a.Height {
		for x := range a.Width {
			d := int(a.Y[y*a.YStride+x]) - int(b.Y[y*b.YStride+x])
			s += max(d, -d)
		}
	}
	return float64(s) / float64(a.Width*a.Height)
}
