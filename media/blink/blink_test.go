package blink

import (
	"image"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/integritybot/integritybot/media"
)

const fw, fh = 640, 480

// scene is what a synthetic frame shows: a textured face with two eyes, each open or closed
// (a skin-coloured eyelid with a dark lash line over the eye), moved by dx, dy pixels.
type scene struct {
	leftClosed, rightClosed bool
	dx, dy                  int
}

// faceBox is the face's box at rest; the eyes sit where pigo's geometry puts them.
var faceBox = image.Rect(220, 120, 420, 320)

func eyeAt(i int) image.Point {
	s := float64(faceBox.Dx())
	return image.Pt(faceBox.Min.X+int(defaultEyes[i][0]*s), faceBox.Min.Y+int(defaultEyes[i][1]*s))
}

// bases caches the noise-free pictures of the scenes drawn so far.
var bases = map[scene][]byte{}

// draw renders sc with noise of ±3 levels on the pixels around the face.
func draw(at time.Duration, sc scene, rng *rand.Rand) *media.Frame {
	f := &media.Frame{PTS: at, Width: fw, Height: fh, YStride: fw, UVStride: fw / 2,
		Y: make([]byte, fw*fh), U: make([]byte, fw*fh/4), V: make([]byte, fw*fh/4)}
	for i := range f.U {
		f.U[i], f.V[i] = 110, 150
	}
	base, ok := bases[sc]
	if !ok {
		base = render(sc)
		bases[sc] = base
	}
	copy(f.Y, base)
	x := rng.Uint64() | 1
	for y := faceBox.Min.Y - 20; y < faceBox.Max.Y+20; y++ {
		for i := y*fw + faceBox.Min.X - 20; i < y*fw+faceBox.Max.X+20; i++ {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			f.Y[i] = byte(max(0, min(255, int(f.Y[i])+int(x%7)-3)))
		}
	}
	return f
}

// render draws sc without noise, softened.
func render(sc scene) []byte {
	img := make([]byte, fw*fh)
	for y := range fh {
		for x := range fw {
			// Picture coordinates back to the face's own (the face moved by dx, dy).
			px, py := x-sc.dx, y-sc.dy
			v := 90 + (x*3+y*5)%20 // background
			if image.Pt(px, py).In(faceBox) {
				v = 150 + (px*7+py*3)%12 // skin with a little texture
				if px > faceBox.Min.X+90 && px < faceBox.Min.X+110 && py > faceBox.Min.Y+90 && py < faceBox.Min.Y+140 {
					v -= 25 + (px-faceBox.Min.X-90)*2 // the nose's shaded side
				}
				for i, closed := range []bool{sc.leftClosed, sc.rightClosed} {
					v = eye(v, px, py, eyeAt(i), closed)
				}
			}
			img[y*fw+x] = byte(v)
		}
	}
	// A camera's optics and compression soften edges: a 5×5 box blur.
	out := make([]byte, len(img))
	for y := range fh {
		for x := range fw {
			sum, n := 0, 0
			for yy := max(y-2, 0); yy <= min(y+2, fh-1); yy++ {
				for xx := max(x-2, 0); xx <= min(x+2, fw-1); xx++ {
					sum += int(img[yy*fw+xx])
					n++
				}
			}
			out[y*fw+x] = byte(sum / n)
		}
	}
	return out
}

// eye draws one eye at c over skin value v: a brow above it, and either the open eye (white
// sclera, dark iris) or the closed one (eyelid skin, a dark lash line).
func eye(v, x, y int, c image.Point, closed bool) int {
	dx, dy := x-c.X, y-c.Y
	if dy >= -22 && dy <= -17 && dx >= -18 && dx <= 18 {
		return 70 // brow
	}
	in := dx*dx*36+dy*dy*324 <= 324*36 // an ellipse 36×12 px
	switch {
	case !in:
		return v
	case closed && (dy == 0 || dy == 1):
		return 60
	case closed:
		return 145
	case dx*dx+dy*dy <= 36:
		return 35
	}
	return 215
}

// play runs a Detector over length of video at fps. The face check's part: a box every 200
// ms, jittered by up to ±jitter px in place and size and held in between, and the pupils once
// a second.
func play(t *testing.T, cfg Config, length time.Duration, fps float64, jitter int, at func(time.Duration) scene) *Detector {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	d := New(cfg)
	if testing.Verbose() {
		d.trace = func(at time.Duration, l, r, ref float32) {
			if l+r > 0.05 {
				t.Logf("%v %.2f %.2f %.2f", at, l, r, ref)
			}
		}
	}
	var box image.Rectangle
	lastBox, lastPupil := time.Duration(-1), time.Duration(-1)
	for k := 0; ; k++ {
		now := time.Duration(float64(k) / fps * float64(time.Second))
		if now >= length {
			break
		}
		sc := at(now)
		var l, r image.Point
		if lastBox < 0 || now-lastBox >= 180*time.Millisecond {
			j := func() int { return rng.IntN(2*jitter+1) - jitter }
			g := j()
			x0, y0 := faceBox.Min.X+sc.dx+j()-g, faceBox.Min.Y+sc.dy+j()-g
			side := faceBox.Dx() + 2*g
			box = image.Rect(x0, y0, x0+side, y0+side)
			lastBox = now
			if lastPupil < 0 || now-lastPupil >= time.Second {
				l, r = eyeAt(0).Add(image.Pt(sc.dx, sc.dy)), eyeAt(1).Add(image.Pt(sc.dx, sc.dy))
				lastPupil = now
			}
		}
		d.Add(draw(now, sc, rng), box, l, r)
	}
	return d
}

// during reports whether now lies in one of the spans starting at times and lasting span.
func during(now time.Duration, span time.Duration, times ...time.Duration) bool {
	for _, t := range times {
		if now >= t && now < t+span {
			return true
		}
	}
	return false
}

var blinkTimes = []time.Duration{2 * time.Second, 5500 * time.Millisecond, 9 * time.Second, 12300 * time.Millisecond}

func TestBlinks(t *testing.T) {
	const length = 15 * time.Second
	cases := []struct {
		name   string
		fps    float64
		at     func(time.Duration) scene
		want   []time.Duration
		jitter int
	}{
		{"four blinks at 30 fps", 30, func(now time.Duration) scene {
			c := during(now, 150*time.Millisecond, blinkTimes...)
			return scene{leftClosed: c, rightClosed: c}
		}, blinkTimes, 3},
		{"four blinks at 15 fps", 15, func(now time.Duration) scene {
			c := during(now, 200*time.Millisecond, blinkTimes...)
			return scene{leftClosed: c, rightClosed: c}
		}, blinkTimes, 3},
		{"no blink", 30, func(time.Duration) scene { return scene{} }, nil, 3},
		{"eyes closed for two seconds", 30, func(now time.Duration) scene {
			c := during(now, 2*time.Second, 4*time.Second)
			return scene{leftClosed: c, rightClosed: c}
		}, nil, 3},
		{"one eye winks", 30, func(now time.Duration) scene {
			return scene{leftClosed: during(now, 150*time.Millisecond, blinkTimes...)}
		}, nil, 3},
		{"head jerks and comes back", 30, func(now time.Duration) scene {
			if during(now, 150*time.Millisecond, blinkTimes...) {
				return scene{dx: 3, dy: 2}
			}
			return scene{}
		}, nil, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := play(t, Config{}, length, tc.fps, tc.jitter, tc.at)
			got := d.Blinks()
			t.Logf("blinks %v, watched %v", got, d.Watched())
			if d.Watched() < length-time.Second {
				t.Errorf("watched %v of %v", d.Watched(), length)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d blinks %v; want %d %v", len(got), got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if diff := got[i] - w; diff < -100*time.Millisecond || diff > 300*time.Millisecond {
					t.Errorf("blink %d at %v; want %v (closed from then for 150–200 ms)", i, got[i], w)
				}
			}
		})
	}
}

func TestNotWatched(t *testing.T) {
	closed := func(now time.Duration) scene {
		c := during(now, 150*time.Millisecond, blinkTimes...)
		return scene{leftClosed: c, rightClosed: c}
	}
	// 2.5 frames a second (the session's sampled analysis under load) cannot show a blink.
	if d := play(t, Config{}, 10*time.Second, 2.5, 0, closed); d.Watched() != 0 || len(d.Blinks()) != 0 {
		t.Errorf("2.5 fps: watched %v, blinks %v; want none", d.Watched(), d.Blinks())
	}
	// A face narrower than MinFace is not watched.
	if d := play(t, Config{MinFace: 250}, 10*time.Second, 30, 0, closed); d.Watched() != 0 || len(d.Blinks()) != 0 {
		t.Errorf("small face: watched %v, blinks %v; want none", d.Watched(), d.Blinks())
	}
	// No face box: nothing.
	d := New(Config{})
	rng := rand.New(rand.NewPCG(1, 1))
	for k := range 60 {
		d.Add(draw(time.Duration(k)*time.Second/30, scene{}, rng), image.Rectangle{}, image.Point{}, image.Point{})
	}
	if d.Watched() != 0 {
		t.Errorf("no face: watched %v", d.Watched())
	}
}

func BenchmarkAdd(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	frames := []*media.Frame{draw(0, scene{}, rng), draw(0, scene{leftClosed: true, rightClosed: true}, rng)}
	d := New(Config{})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f := frames[(i/4)%2]
		f.PTS = time.Duration(i) * time.Second / 30
		d.Add(f, faceBox, image.Point{}, image.Point{})
	}
}
