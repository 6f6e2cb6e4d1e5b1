package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/eval"
	"github.com/integritybot/integritybot/internal/report"
)

// TestEvalCameraTargets runs `integritybot eval --json` over the corpus's genuine clips
// plus synthesized attacks and asserts issue 3's camera targets: no genuine clip flagged
// (BPCER 0 %) and every black, uniform, frozen and fps-collapse attack flagged (APCER 0 %).
func TestEvalCameraTargets(t *testing.T) {
	corpus := corpusDir(t)
	needTool(t, "ffmpeg")
	dir := t.TempDir()
	ctx := context.Background()
	// Synthesize with the same generator as `eval --synthesize`, 6 s per file to keep the
	// test quick under -race; the command itself is checked by hand and by TestEvalCommandErrors.
	if _, err := eval.Synthesize(ctx, filepath.Join(dir, "synth"), eval.SynthOptions{Corpus: corpus, Open: openInput, Duration: 6 * time.Second, Swaps: -1, Hands: -1}); err != nil {
		t.Fatal(err)
	}
	synth, err := eval.ReadLabels(filepath.Join(dir, "synth", "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	all, err := eval.ReadLabels(filepath.Join(corpus, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []eval.Row
	for _, r := range all {
		if r.Label == eval.LabelGenuine {
			rows = append(rows, r)
		}
	}
	rows = append(rows, synth...)
	// The first 10 s of each clip: every genuine clip is longer than the camera check needs.
	s := evalRows(t, ctx, dir, rows, "eval", "--json", "--limit", "10s")
	cam, ok := s.Check(report.CheckCamera)
	if !ok {
		t.Fatal("no camera check in the evaluation")
	}
	if cam.Genuine.N == 0 || cam.Genuine.Flagged() != 0 || cam.Genuine.Unknown != 0 {
		t.Errorf("camera on %d genuine clips: %d flagged, %d unknown; want none", cam.Genuine.N, cam.Genuine.Flagged(), cam.Genuine.Unknown)
		for _, o := range s.Outcomes {
			if o.Row.Genuine() && o.Statuses[report.CheckCamera] != report.Pass {
				t.Logf("  %s: camera %s", o.Row.Path, o.Statuses[report.CheckCamera])
			}
		}
	}
	for _, attack := range []string{"black", "uniform", "frozen", "fps_collapse"} {
		a, ok := s.Attack(attack)
		if !ok || a.Check != report.CheckCamera || a.Counts.N == 0 {
			t.Errorf("%s: not evaluated on the camera check: %+v", attack, a)
			continue
		}
		if a.Counts.Flagged() != a.Counts.N {
			t.Errorf("%s: camera flagged %d of %d (pass %d, unknown %d); want all", attack, a.Counts.Flagged(), a.Counts.N, a.Counts.Pass, a.Counts.Unknown)
		}
	}
	// Attack types whose check does not exist yet are reported as such, never as a pass.
	if a, ok := s.Attack("loop"); ok && a.NotEvaluated == 0 && a.Counts.N == 0 {
		t.Errorf("loop: neither evaluated nor reported as not evaluated: %+v", a)
	}
	var text bytes.Buffer
	if err := s.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", text.String())
	if !strings.Contains(text.String(), "Per attack type") {
		t.Error("text output has no per-attack table")
	}
}

func TestEvalCommandErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no labels", []string{"eval"}, "exactly one labels file"},
		{"missing labels", []string{"eval", filepath.Join(dir, "nope.csv")}, "no such file"},
		{"synthesize with labels", []string{"eval", "--synthesize", dir, "x.csv"}, "takes no labels file"},
		{"synthesize without corpus", []string{"eval", "--synthesize", dir, "--corpus", dir}, "labels.csv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), tc.args, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}
