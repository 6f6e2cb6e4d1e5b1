package faceswap

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/corpustest"
	"github.com/integritybot/integritybot/internal/eval"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
)

// TestMeasureHeldOut scores the held-out test people of the corpus through the product's own
// path (the face check at its default interval, this analyzer, the embedded model and its
// threshold) and prints the figures of docs/faceswap-model.md: per swapper family APCER and
// AUC against the genuine test recordings, and the genuine BPCER. The split is the one
// scripts/train-faceswap.py trained with (testdata/splits.json). It takes minutes, so it runs
// only with FACESWAP_MEASURE=1:
//
//	FACESWAP_MEASURE=1 go test -count=1 -run TestMeasureHeldOut -v -timeout 30m ./media/faceswap/
func TestMeasureHeldOut(t *testing.T) {
	if os.Getenv("FACESWAP_MEASURE") == "" {
		t.Skip("set FACESWAP_MEASURE=1 to measure the model on the held-out corpus people (minutes)")
	}
	dir := corpusDir(t)
	b, err := os.ReadFile("testdata/splits.json")
	if err != nil {
		t.Fatal(err)
	}
	var split map[string]string
	if err := json.Unmarshal(b, &split); err != nil {
		t.Fatal(err)
	}
	rows, err := eval.ReadLabels(filepath.Join(dir, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	type rec struct {
		family string
		still  bool
		score  float64
		ok     bool
	}
	var recs []rec
	for _, r := range rows {
		if split[r.Person] != "test" || (r.Attack != "" && r.Attack != "face_swap") || r.Label == eval.LabelPhoto {
			continue
		}
		fam := eval.SwapFamily(r.Path)
		if r.Label == eval.LabelGenuine && r.Attack != "" {
			continue
		}
		still := r.Label == "genuine_still" || r.Label == "attack_still"
		var sc float64
		var ok bool
		if still {
			sc, ok = stillScore(t, m, r.File)
		} else {
			sc, ok = clipScore(t, r.File)
		}
		t.Logf("%.3f %-5v %-16s %s", sc, ok, fam, r.Path)
		recs = append(recs, rec{family: fam, still: still, score: sc, ok: ok})
	}
	var genV, genS []float64
	for _, r := range recs {
		if r.family == "" && r.ok {
			if r.still {
				genS = append(genS, r.score)
			} else {
				genV = append(genV, r.score)
			}
		}
	}
	flagged := func(xs []float64) int {
		n := 0
		for _, x := range xs {
			if x >= m.Threshold {
				n++
			}
		}
		return n
	}
	var out strings.Builder
	fmt.Fprintf(&out, "model %s, threshold %.4f (product path: face check every 200 ms, a crop every 500 ms)\n", m.Version, m.Threshold)
	fmt.Fprintf(&out, "| genuine recordings (video) | %d | %d flagged | BPCER %.0f %% |\n", len(genV), flagged(genV), pct(flagged(genV), len(genV)))
	fmt.Fprintf(&out, "| genuine stills | %d | %d flagged | BPCER %.0f %% |\n", len(genS), flagged(genS), pct(flagged(genS), len(genS)))
	fams := map[string]bool{}
	for _, r := range recs {
		if r.family != "" {
			fams[r.family] = true
		}
	}
	names := make([]string, 0, len(fams))
	for f := range fams {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		var pos []float64
		var still bool
		unscored := 0
		for _, r := range recs {
			if r.family == f {
				still = r.still
				if !r.ok {
					unscored++
					continue
				}
				pos = append(pos, r.score)
			}
		}
		neg := genV
		if still {
			neg = genS
		}
		caught := flagged(pos)
		fmt.Fprintf(&out, "| %s | %d (+%d unscored) | %d caught | APCER %.0f %% | AUC %.2f |\n",
			f, len(pos), unscored, caught, pct(len(pos)-caught, len(pos)), aucOf(pos, neg))
	}
	t.Logf("\n%s", out.String())
}

func pct(a, n int) float64 {
	if n == 0 {
		return 0
	}
	return 100 * float64(a) / float64(n)
}

// aucOf is the probability that a swap scores above a genuine recording (ties count half).
func aucOf(pos, neg []float64) float64 {
	if len(pos) == 0 || len(neg) == 0 {
		return 0
	}
	var s float64
	for _, p := range pos {
		for _, q := range neg {
			switch {
			case p > q:
				s++
			case p == q:
				s += 0.5
			}
		}
	}
	return s / float64(len(pos)*len(neg))
}

// clipScore runs the face check and this check over the first 12 s of a clip and returns its
// highest window score (false when no window was scored).
func clipScore(t *testing.T, path string) (float64, bool) {
	fa := newFaces(t)
	a := New(Config{}, fa)
	corpustest.EachFrame(t, path, 12*time.Second, func(f *media.Frame) {
		fa.Observe(f)
		a.Observe(f)
	})
	w := a.win.finish(a.lastPTS)
	return w.best.score, w.scored > 0
}

// stillScore is the highest face score of a picture (every face the face check finds).
func stillScore(t *testing.T, m *Model, path string) (float64, bool) {
	src := corpustest.Open(t, path)
	defer src.Close()
	f, err := src.Next()
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	fa := corpustest.Faces(t, face.Config{})
	fa.Observe(f)
	crop := make([]byte, 3*CropSide*CropSide)
	var nb net
	best, ok := 0.0, false
	for _, d := range fa.Detections() {
		if d.Rank < 4 && d.Box.Dx() >= 40 {
			Crop(crop, f, d.Box)
			best, ok = max(best, m.Score(crop, &nb)), true
		}
	}
	return best, ok
}
