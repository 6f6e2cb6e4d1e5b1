package liveness

import (
	"image"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
)

// livePerson draws a 320×240 frame of a face (box pFace) whose skin pulses at hz (0: a
// photo: no pulse) and whose eyes are closed while closed(at), with noise of ±2 levels
// on the face.
type livePerson struct {
	hz     float64
	closed func(time.Duration) bool
	rng    *rand.Rand
}

var pFace = image.Rect(80, 40, 240, 200)

func (lp *livePerson) frame(at time.Duration) *media.Frame {
	const w, h = 320, 240
	f := &media.Frame{PTS: at, Width: w, Height: h, YStride: w, UVStride: w / 2,
		Y: make([]byte, w*h), U: make([]byte, w*h/4), V: make([]byte, w*h/4)}
	for i := range f.Y {
		f.Y[i] = 90
	}
	for i := range f.U {
		f.U[i], f.V[i] = 128, 128
	}
	p := 0.0
	if lp.hz > 0 {
		p = math.Sin(2 * math.Pi * lp.hz * at.Seconds())
	}
	// Skin RGB scaled along the blood-volume direction (0.33, 0.77, 0.53) by 0.6 %.
	r, g, b := 190*(1+0.006*0.33*p), 140*(1+0.006*0.77*p), 115*(1+0.006*0.53*p)
	sy, su, sv := 16+0.257*r+0.504*g+0.098*b, 128-0.148*r-0.291*g+0.439*b, 128+0.439*r-0.368*g-0.071*b
	noise := func(v float64) byte { return byte(max(0, min(255, math.Round(v+4*lp.rng.Float64()-2)))) }
	closed := lp.closed != nil && lp.closed(at)
	s := float64(pFace.Dx())
	eyes := [2]image.Point{
		{pFace.Min.X + int(0.315*s), pFace.Min.Y + int(0.415*s)},
		{pFace.Min.X + int(0.685*s), pFace.Min.Y + int(0.415*s)},
	}
	for y := pFace.Min.Y; y < pFace.Max.Y; y++ {
		for x := pFace.Min.X; x < pFace.Max.X; x++ {
			v := sy
			for _, e := range eyes {
				dx, dy := x-e.X, y-e.Y
				switch {
				case dy >= -13 && dy <= -10 && dx*dx <= 121:
					v = 70 // brow
				case dx*dx*16+dy*dy*121 > 121*16: // outside a 22×8 px eye
				case closed && dy == 0:
					v = 60
				case closed:
					v = sy - 8
				case dx*dx+dy*dy <= 9:
					v = 35
				default:
					v = 215
				}
			}
			f.Y[y*w+x] = noise(v)
			if y%2 == 0 && x%2 == 0 {
				f.U[y/2*f.UVStride+x/2], f.V[y/2*f.UVStride+x/2] = noise(su), noise(sv)
			}
		}
	}
	return f
}

// playPassive feeds length of lp at 25 fps to two analyzers, one with Passive on, and
// returns both results.
func playPassive(t *testing.T, lp *livePerson, length time.Duration, challenge bool) (on, off report.Check) {
	t.Helper()
	ff := &fakeFaces{}
	a, b := New(Config{Passive: true}, ff), New(Config{}, ff)
	if challenge {
		sequence(a, seqStart)
		sequence(b, seqStart)
	}
	for at := time.Duration(0); at < length; at += 40 * time.Millisecond {
		if at%(200*time.Millisecond) == 0 {
			ff.dets = append(ff.dets, face.Detection{PTS: at, Box: pFace, Score: 40, Faces: 1})
		}
		f := lp.frame(at)
		a.Observe(f)
		b.Observe(f)
	}
	return a.Result(length), b.Result(length)
}

func TestPassive(t *testing.T) {
	blinks := func(at time.Duration) bool {
		return at%(4*time.Second) >= 2*time.Second && at%(4*time.Second) < 2160*time.Millisecond
	}
	cases := []struct {
		name      string
		lp        livePerson
		challenge bool
		pulse     string // in the pulse evidence
		blinks    string // in the blink evidence
	}{
		{"live person, no challenge", livePerson{hz: 1.2, closed: blinks}, false, "A pulse of about 72 beats a minute", "5 blink(s) in 1"},
		{"live person through the challenge", livePerson{hz: 1.2, closed: blinks}, true, "A pulse of about 72 beats a minute", "blink(s) in 1"},
		{"photo", livePerson{}, true, "No pulse could be found in the face skin over", "No blink in 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.lp.rng = rand.New(rand.NewPCG(1, 2))
			on, off := playPassive(t, &tc.lp, 20*time.Second, tc.challenge)
			for _, e := range on.Evidence {
				t.Logf("%s %.1f–%v: %s", e.Kind, e.AtS, *e.UntilS, e.Detail)
			}
			// Never a change of status, confidence, summary or next step.
			if on.Status != off.Status || on.Confidence != off.Confidence || on.Summary != off.Summary || on.NextStep != off.NextStep {
				t.Errorf("passive evidence changed the verdict: %s %.2f %q vs %s %.2f %q", on.Status, on.Confidence, on.Summary, off.Status, off.Confidence, off.Summary)
			}
			n := len(off.Evidence)
			if len(on.Evidence) != n+2 || !reflect.DeepEqual(on.Evidence[:n], off.Evidence) {
				t.Fatalf("%d evidence items (%d without); want the same plus pulse and blinks", len(on.Evidence), n)
			}
			p, bl := on.Evidence[n], on.Evidence[n+1]
			if p.Kind != kindPulse || !strings.Contains(p.Detail, tc.pulse) {
				t.Errorf("pulse evidence %s %q lacks %q", p.Kind, p.Detail, tc.pulse)
			}
			if bl.Kind != kindBlinks || !strings.Contains(bl.Detail, tc.blinks) {
				t.Errorf("blink evidence %s %q lacks %q", bl.Kind, bl.Detail, tc.blinks)
			}
		})
	}
}

func TestPassiveTooShort(t *testing.T) {
	lp := &livePerson{hz: 1.2, rng: rand.New(rand.NewPCG(3, 4))}
	on, _ := playPassive(t, lp, 6*time.Second, false)
	if len(on.Evidence) != 2 || !strings.Contains(on.Evidence[0].Detail, "not measured") || !strings.Contains(on.Evidence[1].Detail, "not counted") {
		t.Fatalf("6 s of video: %+v; want pulse not measured and blinks not counted", on.Evidence)
	}
	// Without any frame there is nothing to say.
	if c := New(Config{Passive: true}, &fakeFaces{}).Result(time.Second); len(c.Evidence) != 0 {
		t.Errorf("no video: %+v", c.Evidence)
	}
}

// BenchmarkObservePassive is BenchmarkObserve with the pulse and blinks measured, on a
// 640×480 frame with a 240-px face.
func BenchmarkObservePassive(b *testing.B) {
	ff := &fakeFaces{}
	a := New(Config{Passive: true}, ff)
	box := image.Rect(200, 100, 440, 340)
	f := &media.Frame{Width: 640, Height: 480, YStride: 640, UVStride: 320,
		Y: make([]byte, 640*480), U: make([]byte, 320*240), V: make([]byte, 320*240)}
	for i := range f.Y {
		f.Y[i] = byte(100 + i*7%40)
	}
	for i := range f.U {
		f.U[i], f.V[i] = 110, 150
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f.PTS = time.Duration(i) * time.Second / 30
		if i%6 == 0 {
			if len(ff.dets) == 16 {
				ff.dets = append(ff.dets[:0], ff.dets[1:]...)
			}
			ff.dets = append(ff.dets, face.Detection{PTS: f.PTS, Box: box, Score: 40})
		}
		a.Observe(f)
	}
}
