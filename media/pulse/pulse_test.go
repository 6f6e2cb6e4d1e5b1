package pulse

import (
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/integritybot/integritybot/media"
)

const fw, fh = 320, 240

var faceBox = image.Rect(110, 60, 210, 160)

// skinFrame draws a grey picture with a skin-coloured face box whose colour is scaled by
// (1 + amp·pbv·p) per channel, where pbv is the blood-volume pulse direction of skin
// (de Haan and van Leest 2014: normalised RGB 0.33, 0.77, 0.53), plus per-pixel noise of
// ±noise levels and a global brightness change bright (motion, lighting).
func skinFrame(at time.Duration, p, amp, noise, bright float64, rng *rand.Rand) *media.Frame {
	f := &media.Frame{PTS: at, Width: fw, Height: fh, YStride: fw, UVStride: fw / 2,
		Y: make([]byte, fw*fh), U: make([]byte, fw*fh/4), V: make([]byte, fw*fh/4)}
	for i := range f.Y {
		f.Y[i] = 90
	}
	for i := range f.U {
		f.U[i], f.V[i] = 128, 128
	}
	r := 190 * (1 + amp*0.33*p) * (1 + bright)
	g := 140 * (1 + amp*0.77*p) * (1 + bright)
	b := 115 * (1 + amp*0.53*p) * (1 + bright)
	y := 16 + 0.257*r + 0.504*g + 0.098*b
	u := 128 - 0.148*r - 0.291*g + 0.439*b
	v := 128 + 0.439*r - 0.368*g - 0.071*b
	q := func(x float64) byte { return byte(max(0, min(255, math.Round(x+noise*(2*rng.Float64()-1))))) }
	for py := faceBox.Min.Y; py < faceBox.Max.Y; py++ {
		for px := faceBox.Min.X; px < faceBox.Max.X; px++ {
			f.Y[py*fw+px] = q(y)
			if py%2 == 0 && px%2 == 0 {
				f.U[py/2*f.UVStride+px/2], f.V[py/2*f.UVStride+px/2] = q(u), q(v)
			}
		}
	}
	return f
}

// run feeds a Meter length of video at fps (jittered timestamps when jitter) whose face
// pulses at hz (0: no pulse) and returns its estimates.
func run(t *testing.T, hz, fps float64, length time.Duration, jitter bool, seed uint64) []Estimate {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	m := New(Config{})
	phase := rng.Float64() * 2 * math.Pi
	for k := 0; ; k++ {
		sec := float64(k) / fps
		if jitter {
			sec += (rng.Float64() - 0.5) * 0.4 / fps
		}
		at := time.Duration(sec * float64(time.Second))
		if at >= length {
			break
		}
		p := 0.0
		if hz > 0 {
			p = math.Sin(2*math.Pi*hz*sec + phase)
		}
		// Slow lighting drift and small brightness noise, as a webcam's auto-exposure gives.
		bright := 0.01*math.Sin(2*math.Pi*0.1*sec) + 0.002*rng.NormFloat64()
		if !m.Add(skinFrame(at, p, 0.006, 3, bright, rng), faceBox) {
			t.Fatalf("no sample at %v", at)
		}
	}
	return m.Estimates()
}

func TestPulse(t *testing.T) {
	cases := []struct {
		name   string
		hz     float64
		fps    float64
		jitter bool
		found  bool
	}{
		{"72 bpm at 30 fps", 1.2, 30, false, true},
		{"72 bpm at a variable 20 fps", 1.2, 20, true, true},
		{"110 bpm at 15 fps", 110.0 / 60, 15, false, true},
		{"50 bpm at 25 fps", 50.0 / 60, 25, false, true},
		{"no pulse", 0, 30, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			est := run(t, tc.hz, tc.fps, 30*time.Second, tc.jitter, 7)
			if len(est) < 9 {
				t.Fatalf("%d estimates over 30 s; want ≥ 9 (one per 2 s after the first 10 s)", len(est))
			}
			found := 0
			for _, e := range est {
				t.Logf("%5.1f–%5.1f s: %5.1f bpm SNR %5.1f dB found %v; forehead %5.1f (%4.1f dB) cheeks %5.1f (%4.1f dB) agree %v",
					e.From.Seconds(), e.To.Seconds(), e.BPM, e.SNR, e.Found, e.Region[Forehead].BPM, e.Region[Forehead].SNR,
					e.Region[Cheeks].BPM, e.Region[Cheeks].SNR, e.Agree)
				if e.Found {
					found++
				}
				if tc.found && (!e.Found || math.Abs(e.BPM-tc.hz*60) > 3 || !e.Agree) {
					t.Errorf("%v–%v: %.1f bpm SNR %.1f dB agree %v; want %.0f bpm found, regions agreeing", e.From, e.To, e.BPM, e.SNR, e.Agree, tc.hz*60)
				}
			}
			if !tc.found && found > len(est)/10 {
				t.Errorf("a pulse found in %d of %d windows of a face without one", found, len(est))
			}
		})
	}
}

// TestNoiseSNR measures the SNR of the strongest peak in white noise: the MinSNR default
// must be above the 99th percentile (no pulse "found" in noise).
func TestNoiseSNR(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := New(Config{})
	var snrs []float64
	windows := 2000
	if testing.Short() {
		windows = 300
	}
	at := time.Duration(0)
	for len(snrs) < windows {
		var s Sample
		s.At = at
		for r := range numRegions {
			for c := range 3 {
				s.RGB[r][c] = 128 + rng.NormFloat64()
			}
		}
		m.AddSample(s)
		at += time.Second / 15
		if e := m.Estimates(); len(e) > 0 {
			snrs = append(snrs, e[len(e)-1].SNR)
			m = New(Config{})
			at = 0
		}
	}
	slices.Sort(snrs)
	p50, p99 := snrs[len(snrs)/2], snrs[len(snrs)*99/100]
	t.Logf("white noise, %d windows: SNR median %.2f dB, 99th percentile %.2f dB, max %.2f dB", len(snrs), p50, p99, snrs[len(snrs)-1])
	if p99 >= DefaultConfig().MinSNR {
		t.Errorf("99th percentile of noise SNR %.2f dB ≥ MinSNR %.2f dB", p99, DefaultConfig().MinSNR)
	}
}

func TestGapsAndOrder(t *testing.T) {
	m := New(Config{})
	rng := rand.New(rand.NewPCG(1, 2))
	// 2.5 frames a second (the session's sampled analysis under load): too sparse to estimate.
	for k := range 75 {
		m.Add(skinFrame(time.Duration(k)*400*time.Millisecond, 0, 0, 2, 0, rng), faceBox)
	}
	if n := len(m.Estimates()); n != 0 {
		t.Errorf("%d estimates from 2.5 fps; want none", n)
	}
	m = New(Config{})
	if m.Add(skinFrame(0, 0, 0, 0, 0, rng), image.Rect(0, 0, 10, 10)) {
		t.Error("a 10-px box gave a sample")
	}
	grey := skinFrame(0, 0, 0, 0, 0, rng)
	clear(grey.U)
	if m.Add(grey, faceBox) {
		t.Error("a face without skin colour gave a sample")
	}
}

func BenchmarkMeasure(b *testing.B) {
	// A 640×480 frame with a 240-px face.
	f := &media.Frame{Width: 640, Height: 480, YStride: 640, UVStride: 320,
		Y: make([]byte, 640*480), U: make([]byte, 320*240), V: make([]byte, 320*240)}
	for i := range f.U {
		f.U[i], f.V[i] = 110, 150
	}
	box := image.Rect(200, 100, 440, 340)
	b.ReportAllocs()
	for b.Loop() {
		Measure(f, box)
	}
}

// BenchmarkAdd is the per-frame cost at 30 fps, estimates every 2 s included.
func BenchmarkAdd(b *testing.B) {
	m := New(Config{})
	rng := rand.New(rand.NewPCG(1, 2))
	var s Sample
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.At = time.Duration(i) * time.Second / 30
		for r := range numRegions {
			for c := range 3 {
				s.RGB[r][c] = 128 + rng.NormFloat64()
			}
		}
		m.AddSample(s)
	}
}
