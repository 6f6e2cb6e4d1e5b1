package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
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
			replay = append(replay, r)
		}
	}
	s := evalRows(t, ctx, dir, replay, "eval", "--json")
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

// evalRows writes rows into a labels file in dir (their files as absolute paths: the
// corpus's path is relative to the package), runs `integritybot eval` with args and the
// file, and returns the summary; rows that could not be analyzed fail the test.
func evalRows(t *testing.T, ctx context.Context, dir string, rows []eval.Row, args ...string) eval.Summary {
	t.Helper()
	rows = slices.Clone(rows)
	for i := range rows {
		abs, err := filepath.Abs(rows[i].File)
		if err != nil {
			t.Fatal(err)
		}
		rows[i].Path = abs
	}
	var lb bytes.Buffer
	if err := eval.WriteLabels(&lb, rows); err != nil {
		t.Fatal(err)
	}
	labels := filepath.Join(dir, "labels.csv")
	if err := os.WriteFile(labels, lb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := run(ctx, append(args, labels), &out, &errOut); err != nil {
		t.Fatalf("eval: %v\n%s", err, errOut.String())
	}
	var s eval.Summary
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Errors) > 0 {
		t.Fatalf("rows could not be analyzed: %+v", s.Errors)
	}
	return s
}
