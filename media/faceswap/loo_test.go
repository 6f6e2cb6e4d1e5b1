package faceswap

import (
	"math"
	"time"
)

// winCues are the cue means of one 2-second window of a corpus clip, as score.go sees them.
type winCues struct {
	clip          int
	attack        bool
	hfBand, noise float64
}

// clipWindows groups measured samples into windows starting every second, as windows does.
func clipWindows(clip int, attack bool, ss []sample) []winCues {
	var out []winCues
	if len(ss) == 0 {
		return nil
	}
	end := ss[len(ss)-1].at
	for s := time.Duration(0); s == 0 || end-s >= 1500*time.Millisecond; s += time.Second {
		w := winCues{clip: clip, attack: attack}
		n := 0
		for _, x := range ss {
			if x.face && x.at >= s && x.at < s+2*time.Second {
				w.hfBand += x.c.hfBand
				w.noise += x.c.noise
				n++
			}
		}
		if n >= 4 {
			w.hfBand /= float64(n)
			w.noise /= float64(n)
			out = append(out, w)
		}
	}
	return out
}

// fitLogistic fits score.go's model (class-balanced logistic regression on standardized
// cues, gradient descent) and returns its raw weights: bias, hfBand, noise.
func fitLogistic(ws []winCues) [3]float64 {
	var mu, sd [2]float64
	x := func(w winCues) [2]float64 { return [2]float64{w.hfBand, w.noise} }
	for _, w := range ws {
		for i, v := range x(w) {
			mu[i] += v / float64(len(ws))
		}
	}
	for _, w := range ws {
		for i, v := range x(w) {
			sd[i] += (v - mu[i]) * (v - mu[i]) / float64(len(ws))
		}
	}
	var na, ng float64
	for _, w := range ws {
		if w.attack {
			na++
		} else {
			ng++
		}
	}
	var b [3]float64
	for range 3000 {
		var g [3]float64
		for _, w := range ws {
			z := [3]float64{1, (w.hfBand - mu[0]) / math.Sqrt(sd[0]), (w.noise - mu[1]) / math.Sqrt(sd[1])}
			p := 1 / (1 + math.Exp(-(b[0] + b[1]*z[1] + b[2]*z[2])))
			y, wt := 0.0, 0.5/ng
			if w.attack {
				y, wt = 1, 0.5/na
			}
			for i := range g {
				g[i] += wt * (p - y) * z[i]
			}
		}
		for i := range b {
			reg := 0.0
			if i > 0 {
				reg = 0.01 * b[i]
			}
			b[i] -= 0.5 * (g[i] + reg)
		}
	}
	s0, s1 := math.Sqrt(sd[0]), math.Sqrt(sd[1])
	return [3]float64{b[0] - b[1]*mu[0]/s0 - b[2]*mu[1]/s1, b[1] / s0, b[2] / s1}
}

// flagged applies the check's rule to the window scores of one clip: two consecutive
// windows over the threshold, or the only window.
func flagged(scores []float64) bool {
	if len(scores) == 1 {
		return scores[0] > defaultThreshold
	}
	for i := 1; i < len(scores); i++ {
		if scores[i-1] > defaultThreshold && scores[i] > defaultThreshold {
			return true
		}
	}
	return false
}

// auc is the probability that an attack window's value exceeds a genuine window's.
func auc(ws []winCues, v func(winCues) float64) float64 {
	var n, m float64
	for _, a := range ws {
		if !a.attack {
			continue
		}
		for _, g := range ws {
			if g.attack {
				continue
			}
			m++
			switch {
			case v(a) > v(g):
				n++
			case v(a) == v(g):
				n += 0.5
			}
		}
	}
	return n / max(m, 1)
}
