package replay

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/replay/attack"
	"github.com/integritybot/integritybot/media/vpx"
)

// vp8Trip returns frames encoded with VP8 at kbps and fps (as eval --synthesize writes its
// files, and as a call delivers them) and decoded again.
func vp8Trip(t testing.TB, frames []*media.Frame, fps, kbps int) []*media.Frame {
	t.Helper()
	w, h := frames[0].Width, frames[0].Height
	enc, err := vpx.NewEncoder(vpx.VP8, w, h, fps, kbps)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	dec, err := vpx.NewDecoder(vpx.VP8)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var out []*media.Frame
	for i, f := range frames {
		pkts, err := enc.Encode(f, i == 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts {
			d, err := dec.Decode(p.Data, f.PTS)
			if err != nil {
				t.Fatal(err)
			}
			if d != nil {
				out = append(out, d.Clone())
			}
		}
	}
	return restamp(out, fps)
}

// stillVariant is one measured file: its probes per fineSignature box and the
// moving-match verdict.
type stillVariant struct {
	Split, Clip, Kind string // kind: orig, vp8, slow2, slow4, loop1..loop4
	Genuine           bool
	Probes            map[int][]probeRec
	Moving            string // the loop detector's verdict from moving matches alone
}

// probeRec is a stillProbe that encoding/json can store.
type probeRec struct {
	P, L    time.Duration
	N, A, R float32
}

func (r probeRec) probe() stillProbe {
	return stillProbe{pts: r.P, lag: r.L, next: r.N, at: r.A, around: r.R}
}

// stillBoxes are the fineSignature boxes measured: a pixel, 3×3, the whole cell.
var stillBoxes = []int{1, 3, 0}

// measureStill runs the loop detector over frames and returns its probes with box and
// the verdict of its moving-match findings.
func measureStill(frames []*media.Frame, box int) (probes []probeRec, moving string) {
	a := New(Config{}, nil)
	a.loop.still.box = box
	a.loop.still.trace = func(p stillProbe) { probes = append(probes, probeRec{p.pts, p.lag, p.next, p.at, p.around}) }
	for _, f := range frames {
		a.loop.observe(f)
	}
	moving = "pass"
	for _, l := range a.loop.findings {
		switch {
		case l.still:
		case l.strong:
			moving = "fail"
		case moving == "pass":
			moving = "warn"
		}
	}
	return probes, moving
}

// stillBest replays probes through the still cue's counting with the current thresholds
// and returns the largest run that spans stillRepeats loops (its n, lag, ratio).
func stillBest(probes []probeRec) stillRun {
	d := stillDetector{minLoop: DefaultConfig().MinLoop, events: make([]stillEvent, stillEvents)}
	var best stillRun
	for _, rec := range probes {
		p := rec.probe()
		r := d.count(p)
		if r.n > best.n && p.pts-r.first >= time.Duration(stillRepeats-1)*r.lag {
			best = r
		}
	}
	return best
}

// TestMeasureStill measures the still-loop cue (still.go) on the corpus's genuine clips:
// as recorded, at 15 fps through VP8 (600 kbps, as eval --synthesize writes), slowed 2
// and 4 times by blending (eval's lowmotion negatives) and looped every 1-4 s (eval's
// replay_loop_*), each through VP8. It prints per file the probes' numbers and, per
// split (attack.SplitOf) and per pair of thresholds (stillFloor, stillRatio), the most
// evidence probes at one lag in any genuine file and how many loops reach each count;
// then the shipped thresholds' verdicts per family and split.
//
//	REPLAY_MEASURE=1 go test -run TestMeasureStill -v -timeout 60m ./media/replay
func TestMeasureStill(t *testing.T) {
	if os.Getenv("REPLAY_MEASURE") == "" {
		t.Skip("set REPLAY_MEASURE=1 to print the measurements")
	}
	needFFmpeg(t)
	dir := corpusDir(t)
	const fps, kbps = 15, 600
	const n = 12 * fps // eval's replayDuration
	type clip struct{ path, person string }
	var clips []clip
	for _, r := range readCSV(t, filepath.Join(dir, "labels.csv")) {
		if r[1] == "genuine" {
			clips = append(clips, clip{filepath.Join(dir, r[0]), r[3]})
		}
	}
	var (
		mu       sync.Mutex
		variants []stillVariant
		wg       sync.WaitGroup
		next     = make(chan clip)
	)
	add := func(c clip, kind string, genuine bool, frames []*media.Frame) {
		v := stillVariant{Split: attack.SplitOf(c.person), Clip: filepath.Base(c.path), Kind: kind, Genuine: genuine, Probes: map[int][]probeRec{}}
		for _, box := range stillBoxes {
			var moving string
			v.Probes[box], moving = measureStill(frames, box)
			if box == fineBox {
				v.Moving = moving
			}
		}
		mu.Lock()
		defer mu.Unlock()
		variants = append(variants, v)
	}
	// $REPLAY_STILL_CACHE: a JSON file of the measured probes, written on the first run
	// and read on later ones (the encoding takes most of the time).
	cache := os.Getenv("REPLAY_STILL_CACHE")
	if b, err := os.ReadFile(cache); cache != "" && err == nil {
		if err := json.Unmarshal(b, &variants); err != nil {
			t.Fatal(err)
		}
		clips = nil
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				fmt.Fprintf(os.Stderr, "still: %s\n", c.path)
				add(c, "orig", true, loadFrames(t, c.path, 0))
				src := resample(loadFrames(t, c.path, 10*time.Second), fps)
				add(c, "vp8", true, vp8Trip(t, src, fps, kbps))
				done := map[float64]bool{}
				for _, k := range []float64{2, 4} {
					k = math.Max(k, math.Ceil(float64(n)/float64(len(src))))
					if done[k] {
						continue
					}
					done[k] = true
					if slow := attack.Slowed(src, k, n); len(slow) >= 8*fps {
						add(c, fmt.Sprintf("slow%.0f", k), true, vp8Trip(t, restamp(slow, fps), fps, kbps))
					}
				}
				for sec := 1; sec <= 4; sec++ {
					if len(src) >= sec*fps+fps {
						add(c, fmt.Sprintf("loop%d", sec), false, vp8Trip(t, restamp(loopOf(src, sec*fps, n), fps), fps, kbps))
					}
				}
			}
		}()
	}
	for _, c := range clips {
		next <- c
	}
	close(next)
	wg.Wait()
	if cache != "" && len(clips) > 0 {
		b, err := json.Marshal(variants)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cache, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sort.Slice(variants, func(i, j int) bool {
		a, b := variants[i], variants[j]
		return a.Split+a.Clip+a.Kind < b.Split+b.Clip+b.Kind
	})
	// The test half is printed only with REPLAY_TEST_HALF=1: thresholds are chosen on
	// the tuning half, then the test half is measured once.
	testHalf := os.Getenv("REPLAY_TEST_HALF") != ""
	if !testHalf {
		t.Logf("test half: set REPLAY_TEST_HALF=1 to print it too (thresholds are chosen on the tuning half)")
		var tune []stillVariant
		for _, v := range variants {
			if v.Split == "tune" {
				tune = append(tune, v)
			}
		}
		variants = tune
	}
	// Per file and box: the probes' medians, and the best run with the shipped thresholds.
	for _, v := range variants {
		line := fmt.Sprintf("%-4s %-44s %-6s moving %-4s", v.Split, v.Clip, v.Kind, v.Moving)
		for _, box := range stillBoxes {
			var nexts, ratios []float64
			for _, p := range v.Probes[box] {
				nexts = append(nexts, float64(p.N))
				if p.L >= time.Second {
					ratios = append(ratios, float64(p.A/max(min(p.N, p.R), 1e-3)))
				}
			}
			r := stillBest(v.Probes[box])
			line += fmt.Sprintf(" | box %d next %.2f ratio p10 %.2f med %.2f run %d@%.2fs/%.2f", box, quant(nexts, 0.5), quant(ratios, 0.1), quant(ratios, 0.5), r.n, r.lag.Seconds(), r.ratio)
		}
		t.Log(line)
	}
	// The sweep: per split, box and thresholds, the genuine files' largest run and the
	// loops' (all of them, and those the moving matches missed).
	saveF, saveR := stillFloor, stillRatio
	defer func() { stillFloor, stillRatio = saveF, saveR }()
	for _, split := range []string{"tune", "test"} {
		for _, box := range stillBoxes {
			for _, fl := range stillFloors() {
				for _, ra := range []float32{0.3, 0.4, 0.5, 0.6, 0.7} {
					stillFloor, stillRatio = fl, ra
					var gen []int
					genMax, genWho := 0, ""
					genEv, genEvWho := 0, "" // the most evidence probes in a genuine file, any lag
					loops := map[string][]int{}
					missed := map[string][]int{}
					for _, v := range variants {
						if v.Split != split {
							continue
						}
						r := stillBest(v.Probes[box])
						if v.Genuine {
							ev := 0
							for _, p := range v.Probes[box] {
								if p.probe().evidence(time.Second) {
									ev++
								}
							}
							if ev > genEv {
								genEv, genEvWho = ev, v.Clip+"/"+v.Kind
							}
							gen = append(gen, r.n)
							if r.n > genMax {
								genMax, genWho = r.n, v.Clip+"/"+v.Kind
							}
							continue
						}
						loops[v.Kind] = append(loops[v.Kind], r.n)
						if v.Moving == "pass" {
							missed[v.Kind] = append(missed[v.Kind], r.n)
						}
					}
					line := fmt.Sprintf("%s box %d floor %.2f ratio %.1f | genuine n=%d max %d (%s) evidence probes ≤ %d (%s)", split, box, fl, ra, len(gen), genMax, genWho, genEv, genEvWho)
					for _, k := range []string{"loop1", "loop2", "loop3", "loop4"} {
						line += fmt.Sprintf(" | %s n=%d ≥max+1:%d missed-by-moving %v", k, len(loops[k]), atLeast(loops[k], genMax+1), missed[k])
					}
					t.Log(line)
				}
			}
		}
	}
	// The shipped thresholds: verdicts per family and split, moving matches and the still
	// cue together.
	stillFloor, stillRatio = saveF, saveR
	type key struct{ split, kind string }
	counts := map[key]map[string]int{}
	for _, v := range variants {
		r := stillBest(v.Probes[fineBox])
		verdict := v.Moving
		if w, s := r.verdict(r.first + time.Duration(stillRepeats-1)*r.lag); w && s {
			verdict = "fail"
		} else if w && verdict == "pass" {
			verdict = "warn"
		}
		k := key{v.Split, v.Kind}
		if counts[k] == nil {
			counts[k] = map[string]int{}
		}
		counts[k][verdict]++
		if verdict != v.Moving {
			t.Logf("still cue changed %s %s %s: %s -> %s (run %d @%.2fs ratio %.2f)", v.Split, v.Clip, v.Kind, v.Moving, verdict, r.n, r.lag.Seconds(), r.ratio)
		}
	}
	var keys []key
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].split+keys[i].kind < keys[j].split+keys[j].kind })
	for _, k := range keys {
		t.Logf("shipped (box %d floor %.1f ratio %.1f weak %d strong %d): %s %-6s %v", fineBox, stillFloor, stillRatio, stillWeak, stillStrong, k.split, k.kind, counts[k])
	}
}

// stillFloors are the stillFloor values swept ($REPLAY_FLOORS, comma-separated).
func stillFloors() []float32 {
	fs := []float32{0.02, 0.05, 0.1, 0.2, 0.5}
	if v := os.Getenv("REPLAY_FLOORS"); v != "" {
		fs = nil
		for _, f := range strings.Split(v, ",") {
			var x float32
			fmt.Sscan(f, &x)
			fs = append(fs, x)
		}
	}
	return fs
}

func atLeast(xs []int, n int) int {
	c := 0
	for _, x := range xs {
		if x >= n {
			c++
		}
	}
	return c
}

func quant(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[int(q*float64(len(s)-1))]
}
