package eval

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/corpustest"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media/face"
	"github.com/integritybot/integritybot/media/liveness"
)

func TestParseChallenge(t *testing.T) {
	for _, tc := range []struct {
		in          string
		step        string
		from, until time.Duration
		ok          bool
	}{
		{"hand 2.00-7.00", "hand", 2 * time.Second, 7 * time.Second, true},
		{" turn_left 0-4.5 ", "turn_left", 0, 4500 * time.Millisecond, true},
		{"", "", 0, 0, false},
		{"hand", "", 0, 0, false},
		{"hand 3-2", "", 0, 0, false},
		{"hand -1-2", "", 0, 0, false},
		{"hand a-b", "", 0, 0, false},
	} {
		step, from, until, ok := parseChallenge(tc.in)
		if ok != tc.ok || step != tc.step || from != tc.from || until != tc.until {
			t.Errorf("parseChallenge(%q) = %q %v %v %v, want %q %v %v %v", tc.in, step, from, until, ok, tc.step, tc.from, tc.until, tc.ok)
		}
	}
}

// TestHandRows synthesizes the hand rows from the first clip Synthesize uses (6 s at 15 fps),
// writes and reads back their labels (the challenge column), and runs them through Run with
// the face and liveness checks wired as `integritybot analyze` wires them: the live hand
// passes the liveness check and the swap rendering over the hand is flagged.
func TestHandRows(t *testing.T) {
	corpus := corpusDir(t)
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed (make deps-test installs it)")
	}
	ctx := context.Background()
	faces := handTestFaces(t)
	all, err := ReadLabels(filepath.Join(corpus, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// 6 s files (a prompt at 1.5-4.4 s) keep the test quick under -race.
	opt := SynthOptions{Corpus: corpus, Open: open, Sources: 1, Duration: 6 * time.Second, Faces: faces}.withDefaults()
	var clips []Row
	for _, r := range all {
		if d, _ := strconv.ParseFloat(r.Extra["duration_s"], 64); r.Label == LabelGenuine && r.Attack == "" && d >= opt.Duration.Seconds() {
			clips = append(clips, r)
		}
	}
	dir := t.TempDir()
	made, err := synthHands(ctx, dir, opt, distinctSizes(clips))
	if err != nil {
		t.Fatal(err)
	}
	if len(made) != 1+len(HandAttacks) {
		t.Fatalf("%d hand rows, want %d", len(made), 1+len(HandAttacks))
	}
	var b bytes.Buffer
	if err := WriteLabels(&b, made); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "labels.csv"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rows, err := ReadLabels(filepath.Join(dir, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := bot.Config{NewAnalyzers: func() []bot.Analyzer {
		fa := faces.Fresh()
		return []bot.Analyzer{fa, liveness.New(liveness.Config{}, fa)}
	}}
	outs, err := Run(ctx, rows, Options{Config: cfg, Open: open})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		st := o.Statuses[report.CheckLiveness]
		t.Logf("%-20s %-8s %-16s challenge %q → liveness %s", o.Row.Path, o.Row.Label, o.Row.Attack, o.Row.Extra[ChallengeColumn], st)
		switch {
		case o.Err != "":
			t.Errorf("%s: %s", o.Row.Path, o.Err)
		case o.Row.Extra[ChallengeColumn] == "":
			t.Errorf("%s: the challenge column did not survive the labels file", o.Row.Path)
		case o.Row.Genuine() && st != report.Pass:
			t.Errorf("%s: live hand judged %s, want pass", o.Row.Path, st)
		case o.Row.Attack == liveness.HandSwapOver && st != report.Warn && st != report.Fail:
			t.Errorf("%s: swap over the hand judged %s, want it flagged", o.Row.Path, st)
		}
	}
	s := Summarize("hand", rows, outs)
	if a, ok := s.Attack(liveness.HandSwapOver); !ok || a.Check != report.CheckLiveness {
		t.Errorf("hand_swap_over is not scored on the liveness check: %+v", a)
	}
}

// handTestFaces loads the face cascades: embedded, else from the pigo module.
func handTestFaces(t *testing.T) *face.Analyzer {
	t.Helper()
	return corpustest.Faces(t, face.Config{})
}
