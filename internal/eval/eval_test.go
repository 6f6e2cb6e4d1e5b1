package eval

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/corpustest"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
	"github.com/integritybot/integritybot/media/file"
	"github.com/integritybot/integritybot/media/replay"
)

func TestParseLabels(t *testing.T) {
	const header = "path,label,attack,person,width_x_height\n"
	for _, tc := range []struct {
		name, data, wantErr string
		rows                int
	}{
		{"corpus shape", header + "genuine/a.mpg,genuine,,p1,360x288\nfake/b.webm,attack,face_swap,p1,464x560\nphoto/c.png,photo,photo_source,p2,512x512\n", "", 3},
		{"quoted commas", header + "a.mp4,genuine,,p1,\"x, y\"\n", "", 1},
		{"unknown label", header + "a.mp4,fake,,p1,1x1\n", "line 2: unknown label \"fake\"", 0},
		{"attack without type", header + "a.mp4,attack,,p1,1x1\n", "line 2: label attack needs an attack type", 0},
		{"no path column", "file,label\na,genuine\n", "no \"path\" column", 0},
		{"empty", "", "empty labels file", 0},
		{"ragged", header + "a.mp4,genuine\n", "wrong number of fields", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := ParseLabels(strings.NewReader(tc.data), "/corpus")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != tc.rows {
				t.Fatalf("%d rows, want %d", len(rows), tc.rows)
			}
			if rows[0].File != filepath.Join("/corpus", rows[0].Path) {
				t.Errorf("file %q not resolved against the labels directory", rows[0].File)
			}
		})
	}
}

func TestLabelsRoundTrip(t *testing.T) {
	in := []Row{{Path: "black_1.y4m", Label: LabelAttack, Attack: "black", Person: "p", Extra: map[string]string{"fps": "15", "content": "a, b"}}}
	var b bytes.Buffer
	if err := WriteLabels(&b, in); err != nil {
		t.Fatal(err)
	}
	out, err := ParseLabels(&b, "d")
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Attack != "black" || out[0].Extra["content"] != "a, b" || out[0].Extra["fps"] != "15" {
		t.Fatalf("round trip: %+v", out)
	}
}

func TestTargetCheck(t *testing.T) {
	for _, tc := range []struct {
		attack, check string
		ok            bool
	}{
		{"black", report.CheckCamera, true}, {"uniform", report.CheckCamera, true}, {"frozen", report.CheckCamera, true},
		{"fps_collapse", report.CheckCamera, true}, {"no_video", report.CheckCamera, true},
		{"face_swap", report.CheckFaceSwap, true}, {"replay_print", report.CheckReplay, true},
		{"replay_screen", report.CheckReplay, true}, {"two_faces", report.CheckFace, true},
		{"loop", report.CheckReplay, true}, {"photo_motion", report.CheckReplay, true},
		{"resolution_switch", report.CheckVirtualCamera, true},
		{"face_swap_lowres", report.CheckFaceSwap, true}, {"face_swap_enhanced", report.CheckFaceSwap, true},
		{"mystery", "", false},
	} {
		if c, ok := TargetCheck(tc.attack); c != tc.check || ok != tc.ok {
			t.Errorf("TargetCheck(%q) = %q, %v; want %q, %v", tc.attack, c, ok, tc.check, tc.ok)
		}
	}
}

func TestSummarize(t *testing.T) {
	st := func(kv ...string) map[string]report.Status {
		m := map[string]report.Status{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = report.Status(kv[i+1])
		}
		return m
	}
	rows := []Row{{Path: "photo.png", Label: LabelPhoto, Attack: "photo_source"}}
	outs := []Outcome{
		{Row: Row{Path: "g1", Label: LabelGenuine}, Statuses: st("camera", "pass", "face", "pass")},
		{Row: Row{Path: "g2", Label: LabelGenuine}, Statuses: st("camera", "warn", "face", "pass")},
		{Row: Row{Path: "g3", Label: LabelGenuine}, Statuses: st("camera", "unknown", "face", "pass")},
		{Row: Row{Path: "two", Label: LabelGenuine, Attack: "two_faces"}, Statuses: st("camera", "pass", "face", "warn")},
		{Row: Row{Path: "b1", Label: LabelAttack, Attack: "black"}, Statuses: st("camera", "fail", "face", "fail")},
		{Row: Row{Path: "b2", Label: LabelAttack, Attack: "black"}, Statuses: st("camera", "pass", "face", "fail")},
		{Row: Row{Path: "fs", Label: LabelAttack, Attack: "face_swap"}, Statuses: st("camera", "pass", "face", "pass")},
		{Row: Row{Path: "bad", Label: LabelAttack, Attack: "frozen"}, Err: "truncated"},
	}
	s := Summarize("labels.csv", append(rows, Row{}), outs)
	cam, _ := s.Check(report.CheckCamera)
	if cam.Genuine.N != 4 || cam.Genuine.Warn != 1 || cam.Genuine.Unknown != 1 || *cam.BPCER != 0.25 {
		t.Errorf("camera genuine %+v BPCER %v", cam.Genuine, *cam.BPCER)
	}
	if cam.Attacks.N != 2 || *cam.APCER != 0.5 {
		t.Errorf("camera attacks %+v APCER %v", cam.Attacks, *cam.APCER)
	}
	face, _ := s.Check(report.CheckFace)
	if face.Genuine.N != 3 || face.Attacks.N != 1 || face.Attacks.Warn != 1 || *face.BPCER != 0 {
		t.Errorf("face %+v", face)
	}
	swap, _ := s.Attack("face_swap")
	if swap.NotEvaluated != 1 || swap.Counts.N != 0 || swap.APCER != nil || !strings.Contains(swap.Note, "does not exist yet") {
		t.Errorf("face_swap %+v", swap)
	}
	if len(s.Errors) != 1 || s.Skipped != 1 || s.Rows != len(outs) {
		t.Errorf("errors %v skipped %d rows %d", s.Errors, s.Skipped, s.Rows)
	}
	var b bytes.Buffer
	if err := s.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"camera  4        2     1     0     1        25.0%  2        1     0     1     0        50.0%",
		"1 (not evaluated: the face_swap check does not exist yet)",
		"bad: truncated"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in\n%s", want, b.String())
		}
	}
}

// corpusDir returns the shared corpus or skips the test with one line saying how to get it.
func corpusDir(t *testing.T) string {
	t.Helper()
	return corpustest.Root(t)
}

func open(ctx context.Context, path string) (media.Source, error) {
	return file.Open(ctx, path, file.Options{})
}

func TestSynthesize(t *testing.T) {
	corpus := corpusDir(t)
	dir := t.TempDir()
	rows, err := Synthesize(context.Background(), dir, SynthOptions{Corpus: corpus, Open: open, Sources: 1, Duration: 4 * time.Second, FPS: 10, Swaps: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(SynthAttacks) {
		t.Fatalf("%d rows, want %d", len(rows), len(SynthAttacks))
	}
	back, err := ReadLabels(filepath.Join(dir, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range back {
		if r.Attack != SynthAttacks[i] || r.Label != LabelAttack {
			t.Errorf("row %d: %+v", i, r)
		}
		src, err := open(context.Background(), r.File)
		if err != nil {
			t.Fatalf("%s: %v", r.Path, err)
		}
		n := 0
		for ; ; n++ {
			if _, err := src.Next(); err != nil {
				break
			}
		}
		src.Close()
		want := 40
		if r.Attack == "fps_collapse" {
			want = 8
		}
		if n != want {
			t.Errorf("%s: %d frames, want %d", r.Path, n, want)
		}
	}
}

// TestReplayTargets evaluates the replay check (with the face check feeding it face
// boxes, as newAnalyzers wires them) on the corpus's 19 genuine clips and stills plus
// loops, moving photos and frozen pictures synthesized from three clips, and asserts
// issue 6's replay targets: no genuine clip flagged (BPCER 0 %), every loop and moving
// photo flagged (APCER 0 %, the target is 5 %), the frozen picture left to the camera
// check, the corpus's print and screen stills flagged (warn or fail) and the live still
// of the same person not flagged.
func TestReplayTargets(t *testing.T) {
	corpus := corpusDir(t)
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed (make deps-test installs it)")
	}
	ctx := context.Background()
	dir := t.TempDir()
	synth, err := Synthesize(ctx, dir, SynthOptions{Corpus: corpus, Open: open, Sources: 3, Duration: 6 * time.Second, Swaps: -1})
	if err != nil {
		t.Fatal(err)
	}
	all, err := ReadLabels(filepath.Join(corpus, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []Row
	for _, r := range all {
		if r.Label != LabelPhoto && r.Attack != "face_swap" {
			rows = append(rows, r)
		}
	}
	for _, r := range synth {
		if r.Attack == "loop" || r.Attack == "photo_motion" || r.Attack == "frozen" {
			rows = append(rows, r)
		}
	}
	faces, err := corpustest.NewFaces(face.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := bot.Config{NewAnalyzers: func() []bot.Analyzer {
		fa := faces.Fresh()
		return []bot.Analyzer{fa, replay.New(replay.Config{}, fa)}
	}}
	// The first 10 s of each genuine clip, as TestEvalCameraTargets does.
	outs, err := Run(ctx, rows, Options{Config: cfg, Open: open, Limit: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize("corpus+synth", rows, outs)
	if len(s.Errors) > 0 {
		t.Fatalf("rows could not be analyzed: %+v", s.Errors)
	}
	var text bytes.Buffer
	if err := s.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", text.String())
	rp, ok := s.Check(report.CheckReplay)
	if !ok {
		t.Fatal("no replay check in the evaluation")
	}
	if rp.Genuine.N < 19 || rp.Genuine.Flagged() != 0 {
		t.Errorf("replay on %d genuine rows: %d flagged; want none of at least 19", rp.Genuine.N, rp.Genuine.Flagged())
	}
	// A moving photo fails. A loop fails only on strong, repeated evidence (issue 14: the same
	// motion repeated at a constant lag over 5 s or shown three times); a 6-s clip of a longer
	// loop may show it only twice, which is a warning with the evidence. Either way every
	// attack is flagged: APCER 0.
	for _, attack := range []string{"loop", "photo_motion"} {
		a, ok := s.Attack(attack)
		if !ok || a.Check != report.CheckReplay || a.Counts.N == 0 {
			t.Errorf("%s: not evaluated on the replay check: %+v", attack, a)
			continue
		}
		flagged := a.Counts.Fail
		if attack == "loop" {
			flagged += a.Counts.Warn
		}
		if flagged != a.Counts.N {
			t.Errorf("%s: replay flagged %d of %d (pass %d, warn %d, fail %d, unknown %d); want all", attack, flagged, a.Counts.N, a.Counts.Pass, a.Counts.Warn, a.Counts.Fail, a.Counts.Unknown)
		}
	}
	for _, o := range outs {
		st := o.Statuses[report.CheckReplay]
		switch {
		case o.Row.Attack == "frozen" && (st == report.Fail || st == report.Warn):
			t.Errorf("%s: replay %s on a frozen picture; the camera check owns frozen video", o.Row.Path, st)
		case o.Row.Label == LabelAttackStill && st != report.Warn && st != report.Fail:
			t.Errorf("%s (%s): replay %s; want it flagged", o.Row.Path, o.Row.Attack, st)
		case o.Row.Label == LabelGenuineStill && (st == report.Warn || st == report.Fail):
			t.Errorf("%s: replay %s on the live still", o.Row.Path, st)
		}
	}
}
