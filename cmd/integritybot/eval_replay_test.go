package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/eval"
	"github.com/integritybot/integritybot/internal/report"
)

// TestEvalReplayRows runs `integritybot eval --json` over the replay rows that
// `eval --synthesize` makes from the first two stills and clips of the corpus (issue 14):
// the slowed genuine clips must never fail the replay check, the loops must fail it, and
// every replay attack must be evaluated on it. The per-family figures are in
// docs/checks/replay-eval.md (all stills and clips, split by person).
func TestEvalReplayRows(t *testing.T) {
	corpus := corpusDir(t)
	needTool(t, "ffmpeg")
	dir := t.TempDir()
	ctx := context.Background()
	rows, err := eval.Synthesize(ctx, dir, eval.SynthOptions{Corpus: corpus, Open: openInput, Sources: 1, Duration: 2 * time.Second, Swaps: -1, Hands: -1, Replay: 2})
	if err != nil {
		t.Fatal(err)
	}
	var replay []eval.Row
	for _, r := range rows {
		if strings.HasPrefix(r.Attack, "replay_") || r.Label == eval.LabelGenuine {
			r.Path = r.File
			replay = append(replay, r)
		}
	}
	var lb bytes.Buffer
	if err := eval.WriteLabels(&lb, replay); err != nil {
		t.Fatal(err)
	}
	labels := filepath.Join(dir, "replay.csv")
	if err := os.WriteFile(labels, lb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"eval", "--json", labels}, &out, &errOut); err != nil {
		t.Fatalf("eval: %v\n%s", err, errOut.String())
	}
	var s eval.Summary
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Errors) > 0 {
		t.Fatalf("rows could not be analyzed: %+v", s.Errors)
	}
	var genuine, loops int
	for _, o := range s.Outcomes {
		st, ok := o.Statuses[report.CheckReplay]
		switch {
		case !ok:
			t.Errorf("%s: no replay check", o.Row.Path)
		case o.Row.Genuine():
			genuine++
			if st == report.Fail {
				t.Errorf("%s (%s): replay fail on a genuine clip", o.Row.Path, o.Row.Extra["content"])
			}
		case strings.HasPrefix(o.Row.Attack, "replay_loop_"):
			loops++
			if st != report.Fail {
				t.Errorf("%s: replay %s on a loop, want fail", o.Row.Path, st)
			}
		}
		t.Logf("%-32s %-20s replay %s", o.Row.Path, o.Row.Attack, o.Statuses[report.CheckReplay])
	}
	if genuine == 0 || loops == 0 {
		t.Errorf("%d slowed genuine clips and %d loops evaluated; want some of each", genuine, loops)
	}
}
