// Package pulse estimates the heart rate from the colour of a face's skin in video (remote
// photoplethysmography, rPPG) with the POS algorithm: W. Wang, A. C. den Brinker, S. Stuijk
// and G. de Haan, "Algorithmic principles of remote PPG", IEEE Trans. Biomed. Eng. 64(7),
// 2017, https://doi.org/10.1109/TBME.2016.2609282.
//
// Blood volume in the skin changes with every heartbeat, and with it, very slightly, the
// skin's colour (a fraction of a luma level). A Meter takes the mean colour of two skin
// regions of the face box in every frame (the forehead, and the cheeks), resamples their
// series to a fixed rate at the frames' timestamps, and every Step estimates over the last
// Window: POS projects the normalised colour onto the plane orthogonal to the skin tone,
// which cancels most of the intensity change that motion and lighting cause, and the peak of
// the projected signal's spectrum in 0.7–3 Hz (42–180 bpm) is the pulse. Its strength is the
// signal-to-noise ratio of G. de Haan and V. Jeanne, "Robust pulse rate from
// chrominance-based rPPG", IEEE TBME 60(10), 2013: the power within 0.1 Hz of the peak and
// 0.2 Hz of its first harmonic against the rest of 0.7–4 Hz, in dB.
//
// A pulse is only ever supporting evidence: video compression, low light, make-up and
// motion hide it in genuine video, and a replayed recording of a person carries the
// recorded person's pulse. It never makes a check warn or fail on its own.
//
// A Meter is pure (time comes from frame timestamps) and not safe for concurrent use.
package pulse

import (
	"image"
	"math"
	"time"

	"github.com/integritybot/integritybot/media"
)

// Config tunes a Meter. Zero fields take the values of DefaultConfig.
type Config struct {
	// Rate is the rate the regions' colour series are resampled to, in Hz (default 15: above
	// twice the 3 Hz top of the band and of the first harmonic of 120 bpm at 4 Hz, whatever the
	// camera's frame rate).
	Rate float64
	// Window is the span of one estimate (default 10 s: 7–30 heartbeats, a frequency
	// resolution of 0.1 Hz = 6 bpm).
	Window time.Duration
	// Step is the time between two estimates (default 2 s).
	Step time.Duration
	// MaxGap is the longest time between two samples inside a window (default 250 ms); a
	// window with a longer gap (no face, or frames thinned out under load) is not estimated.
	MaxGap time.Duration
	// MinSNR is the signal-to-noise ratio, in dB, from which a window's pulse counts as found
	// (default 0.5). Measured on 2,000 windows of white noise, the SNR of the strongest peak
	// was below -0.5 dB in 99 % of them (TestNoiseSNR); a pure sinusoid measures 12 dB.
	MinSNR float64
	// Agree is how close, in bpm, the forehead's and the cheeks' pulse must be to agree
	// (default 6: the frequency resolution of a 10 s window).
	Agree float64
	// Keep is how many estimates are kept (default 2048: over an hour at one per 2 s).
	Keep int
}

// DefaultConfig returns the defaults used for zero Config fields.
func DefaultConfig() Config {
	return Config{Rate: 15, Window: 10 * time.Second, Step: 2 * time.Second, MaxGap: 250 * time.Millisecond,
		MinSNR: 0.5, Agree: 6, Keep: 2048}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Rate <= 0 {
		c.Rate = d.Rate
	}
	if c.Window <= 0 {
		c.Window = d.Window
	}
	if c.Step <= 0 {
		c.Step = d.Step
	}
	if c.MaxGap <= 0 {
		c.MaxGap = d.MaxGap
	}
	if c.MinSNR == 0 {
		c.MinSNR = d.MinSNR
	}
	if c.Agree <= 0 {
		c.Agree = d.Agree
	}
	if c.Keep <= 0 {
		c.Keep = d.Keep
	}
	return c
}

// Regions of the face whose colour is measured.
const (
	Forehead = iota
	Cheeks
	numRegions
)

// Sample is the mean colour (R, G, B; 0..255) of each region in one frame.
type Sample struct {
	At  time.Duration
	RGB [numRegions][3]float64
}

// Estimate is the pulse measured over one window.
type Estimate struct {
	From, To time.Duration
	// BPM and SNR (dB) of both regions together: the pulse reported.
	BPM, SNR float64
	// Region holds the estimate of each region alone (Forehead, Cheeks).
	Region [numRegions]struct{ BPM, SNR float64 }
	// Found: SNR ≥ Config.MinSNR.
	Found bool
	// Agree: the forehead's and the cheeks' peaks are within Config.Agree bpm.
	Agree bool
}

// Meter measures the pulse of one face over a stream. Create it with New.
type Meter struct {
	cfg     Config
	samples []Sample // samples[head:] are the last Window (and one more), oldest first
	head    int
	next    time.Duration
	started bool
	est     []Estimate
	dropped int // estimates dropped from the front of est (Keep)

	// Scratch buffers of one estimate, reused.
	rgb  [numRegions + 1][][3]float64
	h    []float64
	spec []float64
}

// New returns a Meter; zero fields of cfg take the defaults.
func New(cfg Config) *Meter {
	return &Meter{cfg: cfg.withDefaults()}
}

// Config returns the Meter's configuration with defaults filled in.
func (m *Meter) Config() Config { return m.cfg }

// Add measures the skin regions of the face box in f and adds the sample; it reports
// whether the box gave a sample (the regions lie in the frame and hold enough skin). Frames
// must come in PTS order; an older one is ignored.
func (m *Meter) Add(f *media.Frame, box image.Rectangle) bool {
	s, ok := Measure(f, box)
	if !ok {
		return false
	}
	m.AddSample(s)
	return true
}

// AddSample adds a sample measured elsewhere, and estimates when a Step has passed since the
// last estimate.
func (m *Meter) AddSample(s Sample) {
	if n := len(m.samples); n > 0 && s.At <= m.samples[n-1].At {
		return
	}
	m.samples = append(m.samples, s)
	// Keep one Window (plus the sample just before it, to interpolate from); the slice is
	// compacted only when half of it is stale, so a frame costs no copy.
	for m.head+1 < len(m.samples) && s.At-m.samples[m.head+1].At >= m.cfg.Window {
		m.head++
	}
	if m.head > len(m.samples)/2 {
		m.samples = append(m.samples[:0], m.samples[m.head:]...)
		m.head = 0
	}
	if !m.started {
		m.started, m.next = true, s.At+m.cfg.Window
	}
	if s.At >= m.next {
		m.next = s.At + m.cfg.Step
		if e, ok := m.estimate(s.At); ok {
			if len(m.est) >= m.cfg.Keep {
				m.est = append(m.est[:0], m.est[1:]...)
				m.dropped++
			}
			m.est = append(m.est, e)
		}
	}
}

// Estimates returns the estimates made so far (at most Config.Keep, the newest), oldest
// first. The slice is the Meter's: read it before the next Add.
func (m *Meter) Estimates() []Estimate { return m.est }

// estimate runs POS over the window ending at end; false when the window has a gap.
func (m *Meter) estimate(end time.Duration) (Estimate, bool) {
	from := end - m.cfg.Window
	win := m.samples[m.head:]
	if len(win) < 2 || win[0].At > from+m.cfg.MaxGap/2 {
		return Estimate{}, false
	}
	for i := 1; i < len(win); i++ {
		if win[i].At-win[i-1].At > m.cfg.MaxGap {
			return Estimate{}, false
		}
	}
	n := int(m.cfg.Window.Seconds() * m.cfg.Rate)
	m.resample(win, from, n)
	e := Estimate{From: from, To: end}
	for r := range numRegions + 1 {
		bpm, snr := m.pos(m.rgb[r])
		if r == numRegions {
			e.BPM, e.SNR = bpm, snr
		} else {
			e.Region[r].BPM, e.Region[r].SNR = bpm, snr
		}
	}
	e.Found = e.SNR >= m.cfg.MinSNR
	e.Agree = math.Abs(e.Region[Forehead].BPM-e.Region[Cheeks].BPM) <= m.cfg.Agree
	return e, true
}

// resample fills m.rgb with n samples of win at Config.Rate from from, interpolating linearly
// between the frames around each instant; the last series is both regions together.
func (m *Meter) resample(win []Sample, from time.Duration, n int) {
	for r := range m.rgb {
		m.rgb[r] = grow(m.rgb[r], n)
	}
	j := 0
	for k := range n {
		t := from + time.Duration(float64(k)/m.cfg.Rate*float64(time.Second))
		for j+2 < len(win) && win[j+1].At <= t {
			j++
		}
		a, b := win[j], win[j+1]
		w := 0.0
		if b.At > a.At {
			w = math.Max(0, math.Min(1, float64(t-a.At)/float64(b.At-a.At)))
		}
		for r := range numRegions {
			for c := range 3 {
				m.rgb[r][k][c] = a.RGB[r][c] + w*(b.RGB[r][c]-a.RGB[r][c])
			}
		}
		for c := range 3 {
			m.rgb[numRegions][k][c] = (m.rgb[Forehead][k][c] + m.rgb[Cheeks][k][c]) / 2
		}
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
