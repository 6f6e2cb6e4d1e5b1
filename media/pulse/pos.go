package pulse

import "math"

// Band of the pulse searched for, and of the spectrum its SNR is measured in (de Haan and
// Jeanne 2013 use 40–240 bpm; the first harmonic of a pulse up to 120 bpm falls inside 4 Hz).
const (
	bandLo, bandHi = 0.7, 3.0 // Hz: 42–180 bpm
	snrHi          = 4.0      // Hz
	binStep        = 0.02     // Hz between two spectrum bins (1.2 bpm; the window resolves 0.1 Hz)
	peakHalf       = 0.1      // Hz either side of the peak counted as signal
	harmHalf       = 0.2      // Hz either side of the first harmonic counted as signal
	posWindow      = 1.6      // s: POS's sliding window (Wang et al.: about one heartbeat)
)

// pos runs POS on the colour series c (resampled at Config.Rate) and returns the pulse
// (bpm) at the strongest peak of its spectrum in 0.7–3 Hz and that peak's SNR (dB).
func (m *Meter) pos(c [][3]float64) (bpm, snr float64) {
	n := len(c)
	l := max(int(posWindow*m.cfg.Rate+0.5), 2)
	m.h = grow(m.h, n+2*l)
	h, s1, s2 := m.h[:n], m.h[n:n+l], m.h[n+l:n+2*l]
	clear(h)
	for end := l; end <= n; end++ {
		w := c[end-l : end]
		var mean [3]float64
		for _, v := range w {
			mean[0] += v[0]
			mean[1] += v[1]
			mean[2] += v[2]
		}
		if mean[0] <= 0 || mean[1] <= 0 || mean[2] <= 0 {
			continue
		}
		// Temporal normalisation, then the projection P = [0 1 −1; −2 1 1] (Wang et al., Alg. 1).
		r, g, b := float64(l)/mean[0], float64(l)/mean[1], float64(l)/mean[2]
		var m1, m2 float64
		for k, v := range w {
			cr, cg, cb := v[0]*r, v[1]*g, v[2]*b
			s1[k], s2[k] = cg-cb, -2*cr+cg+cb
			m1 += s1[k]
			m2 += s2[k]
		}
		m1, m2 = m1/float64(l), m2/float64(l)
		var v1, v2 float64
		for k := range l {
			v1 += (s1[k] - m1) * (s1[k] - m1)
			v2 += (s2[k] - m2) * (s2[k] - m2)
		}
		alpha := 0.0
		if v2 > 0 {
			alpha = math.Sqrt(v1 / v2)
		}
		var mh float64
		for k := range l {
			s1[k] += alpha * s2[k] // h = S1 + α·S2, in place
			mh += s1[k]
		}
		mh /= float64(l)
		for k := range l {
			h[end-l+k] += s1[k] - mh // overlap-add
		}
	}
	return m.spectrum(h)
}

// spectrum returns the peak in 0.7–3 Hz of the power spectrum of h (Hann-windowed, mean
// removed) and its SNR in dB, per de Haan and Jeanne (2013).
func (m *Meter) spectrum(h []float64) (bpm, snr float64) {
	n := len(h)
	mean := 0.0
	for _, v := range h {
		mean += v
	}
	mean /= float64(n)
	for k := range h { // mean removed and Hann window, in place (h is scratch)
		h[k] = (h[k] - mean) * (0.5 - 0.5*math.Cos(2*math.Pi*float64(k)/float64(n-1)))
	}
	bins := int((snrHi-bandLo)/binStep) + 1
	m.spec = grow(m.spec, bins)
	best, bestF := -1.0, 0.0
	for i := range bins {
		f := bandLo + float64(i)*binStep
		// One DFT bin by phasor rotation: no tables, no allocation.
		step := 2 * math.Pi * f / m.cfg.Rate
		cs, sn := math.Cos(step), math.Sin(step)
		pr, pi := 1.0, 0.0
		var re, im float64
		for _, x := range h {
			re += x * pr
			im -= x * pi
			pr, pi = pr*cs-pi*sn, pr*sn+pi*cs
		}
		p := re*re + im*im
		m.spec[i] = p
		if f <= bandHi+1e-9 && p > best {
			best, bestF = p, f
		}
	}
	var sig, noise float64
	for i, p := range m.spec[:bins] {
		f := bandLo + float64(i)*binStep
		if math.Abs(f-bestF) <= peakHalf+1e-9 || math.Abs(f-2*bestF) <= harmHalf+1e-9 {
			sig += p
		} else {
			noise += p
		}
	}
	switch {
	case sig <= 0:
		return 0, math.Inf(-1)
	case noise <= 0:
		return bestF * 60, math.Inf(1)
	}
	return bestF * 60, 10 * math.Log10(sig/noise)
}
