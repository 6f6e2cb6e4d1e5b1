package faceswap

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/corpustest"
	"github.com/integritybot/integritybot/internal/eval"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
)

// swapFaces returns a fresh face analyzer searching every frame, for eval.Swapper (a
// real-time swapper detects the face on every frame), or skips the test.
func swapFaces(t testing.TB) *face.Analyzer {
	t.Helper()
	return corpustest.Faces(t, face.Config{Interval: time.Millisecond})
}

// analyzeSwapped re-renders the first limit of path with style (eval.Swapper, as `integritybot
// eval --synthesize` does) and runs the face check and this check on the result. ok is false
// when the clip's face is under eval.SwapMinFace (no swap is synthesized from it).
func analyzeSwapped(t testing.TB, path string, style eval.SwapStyle, limit time.Duration) (report.Check, *Analyzer, []sample, bool) {
	t.Helper()
	sw := eval.NewSwapper(style, swapFaces(t))
	fa := newFaces(t)
	a := New(Config{}, fa)
	var ss []sample
	a.trace = func(s sample) { ss = append(ss, s) }
	corpustest.EachFrame(t, path, limit, func(f *media.Frame) {
		g, _ := sw.Frame(f)
		fa.Observe(g)
		a.Observe(g)
	})
	return a.Result(a.lastPTS), a, ss, sw.MedianFace() >= eval.SwapMinFace
}

// fwin is the cue means of one 2-second window (as windows scores them) of one source clip.
type fwin struct {
	clip int
	kind string // "genuine", "ghost", or a SwapAttacks entry
	x    []float64
}

// feats are the candidate features of a sample: the cues, then two-sided sharpness terms —
// the fine-detail ratio sharper (GHOST) or softer than the band, the Laplacian/gradient ratio
// softer than the ring, and the native detail slope away from its genuine middle (-0.15);
// the offsets are the genuine clips' typical levels (TestSyntheticSwaps prints their AUCs).
func feats(c cues) []float64 {
	return []float64{c.hfBand, c.noise, c.hf, c.sharp, c.fine, c.innerG, c.edge,
		max(c.hfBand-0.2, 0), max(-c.hfBand, 0), max(-c.hf-0.3, 0), math.Abs(c.fine + 0.15)}
}

var featNames = []string{"hfBand", "noise", "hf", "sharp", "fine", "innerG", "edge", "hfbHi", "hfbLo", "hfLo", "fineAbs"}

// fwindows groups samples into windows starting every second, as clipWindows does.
func fwindows(clip int, kind string, ss []sample) []fwin {
	var out []fwin
	if len(ss) == 0 {
		return nil
	}
	end := ss[len(ss)-1].at
	for s := time.Duration(0); s == 0 || end-s >= 1500*time.Millisecond; s += time.Second {
		var sum []float64
		n := 0
		for _, x := range ss {
			if x.face && x.at >= s && x.at < s+2*time.Second {
				f := feats(x.c)
				if sum == nil {
					sum = make([]float64, len(f))
				}
				for i := range f {
					sum[i] += f[i]
				}
				n++
			}
		}
		if n >= 4 {
			for i := range sum {
				sum[i] /= float64(n)
			}
			out = append(out, fwin{clip, kind, sum})
		}
	}
	return out
}

// fitN fits a logistic score on the features sel (standardized, L2, gradient descent as
// fitLogistic) with the genuine windows weighing half and each attack kind an equal share
// of the other half, and returns raw weights: bias, then one per feature.
func fitN(ws []fwin, sel []int) []float64 {
	k := len(sel)
	mu, sd := make([]float64, k), make([]float64, k)
	for _, w := range ws {
		for j, f := range sel {
			mu[j] += w.x[f] / float64(len(ws))
		}
	}
	for _, w := range ws {
		for j, f := range sel {
			sd[j] += (w.x[f] - mu[j]) * (w.x[f] - mu[j]) / float64(len(ws))
		}
	}
	for j := range sd {
		sd[j] = math.Sqrt(sd[j]) + 1e-9
	}
	cnt := map[string]float64{}
	for _, w := range ws {
		cnt[w.kind]++
	}
	kinds := float64(len(cnt) - 1)
	b := make([]float64, k+1)
	z := make([]float64, k+1)
	g := make([]float64, k+1)
	for range 3000 {
		clear(g)
		for _, w := range ws {
			z[0] = 1
			for j, f := range sel {
				z[j+1] = (w.x[f] - mu[j]) / sd[j]
			}
			t := 0.0
			for j := range b {
				t += b[j] * z[j]
			}
			p := 1 / (1 + math.Exp(-t))
			y, wt := 0.0, 0.5/cnt["genuine"]
			if w.kind != "genuine" {
				y, wt = 1, 0.5/kinds/cnt[w.kind]
			}
			for j := range g {
				g[j] += wt * (p - y) * z[j]
			}
		}
		for j := range b {
			reg := 0.0
			if j > 0 {
				reg = 0.01 * b[j]
			}
			b[j] -= 0.5 * (g[j] + reg)
		}
	}
	raw := make([]float64, k+1)
	raw[0] = b[0]
	for j := range sel {
		raw[j+1] = b[j+1] / sd[j]
		raw[0] -= b[j+1] * mu[j] / sd[j]
	}
	return raw
}

// scoreN applies fitN's weights to the features x.
func scoreN(b []float64, sel []int, x []float64) float64 {
	t := b[0]
	for j, f := range sel {
		t += b[j+1] * x[f]
	}
	return 1 / (1 + math.Exp(-t))
}

// looN refits without each source clip in turn (its genuine windows and all its swaps) and
// applies the check's rule (flagged) to that source's windows of each kind; it returns the
// sources flagged and scored per kind.
func looN(ws []fwin, sel []int) (flag, total map[string]int) {
	flag, total = map[string]int{}, map[string]int{}
	clips := map[int]bool{}
	for _, w := range ws {
		clips[w.clip] = true
	}
	for c := range clips {
		var train []fwin
		for _, w := range ws {
			if w.clip != c {
				train = append(train, w)
			}
		}
		b := fitN(train, sel)
		per := map[string][]float64{}
		for _, w := range ws {
			if w.clip == c {
				per[w.kind] = append(per[w.kind], scoreN(b, sel, w.x))
			}
		}
		for k, sc := range per {
			total[k]++
			if flagged(sc) {
				flag[k]++
			}
		}
	}
	return flag, total
}

// TestSyntheticSwaps measures the check on eval's synthesized swaps (eval.Swapper: the
// clip's own face re-rendered at 128 or 96 px and pasted back, and the same sharpened as a
// face enhancer does), made in memory from every genuine corpus clip with a face of at
// least eval.SwapMinFace, first 4 s as `integritybot eval --synthesize` writes them. It
// prints, per attack, how many clips the shipped score flags; each cue's window AUC
// (attack above genuine); and, for candidate cue sets including two-sided sharpness terms,
// a refit on the GHOST swaps plus the synthesized ones against the genuine clips scored
// leave-one-source-out (a clip's swaps are held out with the clip, the GHOST swaps and
// the re-encode with their original). About half a minute: FACESWAP_MEASURE=1.
func TestSyntheticSwaps(t *testing.T) {
	if os.Getenv("FACESWAP_MEASURE") == "" {
		t.Skip("set FACESWAP_MEASURE=1 (about a minute)")
	}
	dir := corpusDir(t)
	const limit = 4 * time.Second
	var ws []fwin
	flags, clips := map[string]int{}, map[string]int{}
	for i, row := range corpusRows {
		if strings.Contains(row.path, "2person") {
			continue // two faces: eval synthesizes no swap from it
		}
		p := filepath.Join(dir, row.path)
		clip := i
		if strings.Contains(row.path, "ghost_") {
			clip = 3 // the GHOST swaps, their original and its re-encode are one source
		}
		kind := "genuine"
		if row.attack {
			kind = "ghost"
		}
		c, _, g := analyze(t, p, limit)
		ws = append(ws, fwindows(clip, kind, g)...)
		count(flags, clips, kind, c)
		if row.attack {
			continue
		}
		for j, st := range eval.SwapStyles(i) {
			c, a, s, ok := analyzeSwapped(t, p, st, limit)
			if !ok {
				continue
			}
			ws = append(ws, fwindows(clip, eval.SwapAttacks[j], s)...)
			count(flags, clips, eval.SwapAttacks[j], c)
			t.Logf("%-38s %-18s %s best window %.2f", row.path, eval.SwapAttacks[j], c.Status, a.win.best.score)
		}
	}
	logShifts(t, ws)
	for _, k := range []string{"genuine", "ghost", "face_swap_lowres", "face_swap_enhanced"} {
		t.Logf("shipped score: %-18s flagged %2d of %2d clips", k, flags[k], clips[k])
	}
	for _, k := range []string{"ghost", "face_swap_lowres", "face_swap_enhanced"} {
		var b strings.Builder
		for f, name := range featNames {
			fmt.Fprintf(&b, " %s %.2f", name, aucN(ws, k, f))
		}
		t.Logf("window AUC, %s above genuine:%s", k, b.String())
	}
	for _, sel := range [][]int{{0, 1}, {7, 1, 9}, {7, 8, 1}, {7, 1, 10}, {7, 8, 1, 9, 10}, {0, 1, 2, 3, 4, 5, 6}} {
		var names []string
		for _, f := range sel {
			names = append(names, featNames[f])
		}
		fl, tot := looN(ws, sel)
		t.Logf("refit %v, leave-one-source-out: genuine flagged %d/%d, GHOST %d/%d, lowres %d/%d, enhanced %d/%d",
			names, fl["genuine"], tot["genuine"], fl["ghost"], tot["ghost"], fl["face_swap_lowres"], tot["face_swap_lowres"],
			fl["face_swap_enhanced"], tot["face_swap_enhanced"])
	}
}

// count tallies by kind the clips the (informational) score put over its threshold.
func count(flags, clips map[string]int, kind string, c report.Check) {
	clips[kind]++
	if slices.ContainsFunc(c.Evidence, func(e report.Evidence) bool { return e.Kind == kindSwap }) {
		flags[kind]++
	}
}

// aucN is the probability that a window of kind has a larger feature f than a genuine one.
func aucN(ws []fwin, kind string, f int) float64 {
	var n, m float64
	for _, a := range ws {
		if a.kind != kind {
			continue
		}
		for _, g := range ws {
			if g.kind != "genuine" {
				continue
			}
			m++
			switch {
			case a.x[f] > g.x[f]:
				n++
			case a.x[f] == g.x[f]:
				n += 0.5
			}
		}
	}
	return n / max(m, 1)
}

// logShifts logs, per source clip, the window means of the Laplacian-energy cue (sharp) and
// the fine-detail ratio (hfBand) of the genuine clip and how much each swap moved them, and
// the range of the genuine means across clips.
func logShifts(t *testing.T, ws []fwin) {
	t.Helper()
	type acc struct{ sharp, hfBand, n float64 }
	m := map[int]map[string]*acc{}
	for _, w := range ws {
		if m[w.clip] == nil {
			m[w.clip] = map[string]*acc{}
		}
		a := m[w.clip][w.kind]
		if a == nil {
			a = &acc{}
			m[w.clip][w.kind] = a
		}
		a.sharp += w.x[3]
		a.hfBand += w.x[0]
		a.n++
	}
	lo, hi := [2]float64{math.Inf(1), math.Inf(1)}, [2]float64{math.Inf(-1), math.Inf(-1)}
	for clip, kinds := range m {
		g := kinds["genuine"]
		if g == nil {
			continue
		}
		gs, gh := g.sharp/g.n, g.hfBand/g.n
		lo, hi = [2]float64{min(lo[0], gs), min(lo[1], gh)}, [2]float64{max(hi[0], gs), max(hi[1], gh)}
		line := fmt.Sprintf("source %2d genuine sharp %5.2f hfBand %5.2f;", clip, gs, gh)
		for _, k := range append([]string{"ghost"}, eval.SwapAttacks...) {
			if a := kinds[k]; a != nil {
				line += fmt.Sprintf(" %s %+.2f %+.2f", k, a.sharp/a.n-gs, a.hfBand/a.n-gh)
			}
		}
		t.Log(line)
	}
	t.Logf("genuine means across sources: sharp %.2f to %.2f, hfBand %.2f to %.2f", lo[0], hi[0], lo[1], hi[1])
}
