package faceswap

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
)

// The learned detector: a small convolutional network trained here on self-blended faces
// (scripts/train-faceswap.py, docs/faceswap-model.md) and run in pure Go. Its input is the face
// crop of Crop itself (128×128 RGB) or, for a model file that says input 64, the crop averaged
// over 2×2 pixels, normalised ((v/255 − 0.5)/0.25); 3×3 stride-2 convolutions (BatchNorm folded
// in) with ReLU, a global average and one linear unit give a logit; the score is its sigmoid,
// the probability the face was blended into the picture.

//go:embed model.bin
var modelBin []byte

// Model is a loaded network. It is read-only: one Model serves every stream.
type Model struct {
	Version   string  // the recipe ("sbi64", "sbi128", …), "-" and a digest of the weights
	Threshold float64 // the window score fixed on held-out genuine recordings (BPCER ≤ 5 %)
	input     int
	mean, std float32
	layers    []convLayer
	fcW       []float32
	fcB       float32
}

type convLayer struct {
	in, out int
	w, b    []float32 // w[out][in][3][3]
}

// modelHeader is the JSON line that starts model.bin; little-endian float32 weights follow.
type modelHeader struct {
	Version   string  `json:"version"`
	Threshold float64 `json:"threshold"`
	Input     int     `json:"input"`
	Crop      int     `json:"crop"`
	Margin    float64 `json:"margin"`
	Mean      float32 `json:"mean"`
	Std       float32 `json:"std"`
	Layers    []struct {
		In, Out, K, Stride int
	} `json:"layers"`
}

var errModel = errors.New("faceswap: bad model file")

// LoadModel parses a model file written by scripts/train-faceswap.py.
func LoadModel(b []byte) (*Model, error) {
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		return nil, fmt.Errorf("load model: %w: no header", errModel)
	}
	var h modelHeader
	if err := json.Unmarshal(b[:nl], &h); err != nil {
		return nil, fmt.Errorf("load model: %w: %w", errModel, err)
	}
	if h.Crop != CropSide || h.Margin != CropMargin || (h.Input != CropSide && h.Input != CropSide/2) || len(h.Layers) == 0 || h.Std == 0 {
		return nil, fmt.Errorf("load model: %w: crop %d margin %.2f input %d, want %d, %.2f, %d or %d", errModel, h.Crop, h.Margin, h.Input, CropSide, CropMargin, CropSide, CropSide/2)
	}
	data := b[nl+1:]
	next := func(n int) ([]float32, error) {
		if len(data) < 4*n {
			return nil, fmt.Errorf("load model: %w: truncated weights", errModel)
		}
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		data = data[4*n:]
		return out, nil
	}
	m := &Model{Version: h.Version, Threshold: h.Threshold, input: h.Input, mean: h.Mean, std: h.Std}
	in := 3
	for _, l := range h.Layers {
		if l.In != in || l.K != 3 || l.Stride != 2 || l.Out <= 0 {
			return nil, fmt.Errorf("load model: %w: layer %+v", errModel, l)
		}
		w, err := next(l.Out * l.In * 9)
		if err != nil {
			return nil, err
		}
		bias, err := next(l.Out)
		if err != nil {
			return nil, err
		}
		m.layers = append(m.layers, convLayer{in: l.In, out: l.Out, w: w, b: bias})
		in = l.Out
	}
	fc, err := next(in + 1)
	if err != nil {
		return nil, err
	}
	if len(data) != 0 {
		return nil, fmt.Errorf("load model: %w: %d bytes after the weights", errModel, len(data))
	}
	m.fcW, m.fcB = fc[:in], fc[in]
	return m, nil
}

// Builtin returns the model embedded in the binary (parsed once).
var Builtin = sync.OnceValues(func() (*Model, error) { return LoadModel(modelBin) })

// net holds one stream's buffers for the forward pass (padded activations, ping-pong).
type net struct {
	a, b []float32
}

// Score returns the model's probability that the face in crop (3·CropSide² RGB bytes, as
// Crop writes) was blended into the picture. buf is reused between calls of one stream.
func (m *Model) Score(crop []byte, buf *net) float64 {
	return 1 / (1 + math.Exp(-float64(m.Logit(crop, buf))))
}

// Logit is Score before the sigmoid.
func (m *Model) Logit(crop []byte, buf *net) float32 {
	side := m.input
	need := 3 * (side + 2) * (side + 2)
	for _, l := range m.layers {
		side /= 2
		need = max(need, l.out*(side+2)*(side+2))
	}
	if len(buf.a) < need {
		buf.a, buf.b = make([]float32, need), make([]float32, need)
	}
	// Input: the crop (or its 2×2 means for a 64-px model), normalised, in planes with a zero
	// border.
	n := m.input
	wp := n + 2
	src := buf.a[:3*wp*wp]
	clear(src)
	inv := 1 / m.std
	if n == CropSide {
		for y := range n {
			row := crop[3*y*CropSide:]
			for x := range n {
				for c := range 3 {
					src[c*wp*wp+(y+1)*wp+x+1] = (float32(row[3*x+c])/255 - m.mean) * inv
				}
			}
		}
	} else {
		for y := range n {
			r0, r1 := crop[3*(2*y)*CropSide:], crop[3*(2*y+1)*CropSide:]
			for x := range n {
				for c := range 3 {
					i := 3*2*x + c
					s := float32(int(r0[i])+int(r0[i+3])+int(r1[i])+int(r1[i+3])) / 4
					// As PyTorch: mean of v/255, then normalised.
					src[c*wp*wp+(y+1)*wp+x+1] = (s/255 - m.mean) * inv
				}
			}
		}
	}
	h := n
	for li, l := range m.layers {
		dst := buf.b
		if li%2 == 1 {
			dst = buf.a
		}
		conv3s2(dst, src, l, h)
		src = dst
		h /= 2
	}
	// Global average of the last layer's interior, then the linear unit.
	wp = h + 2
	var logit = m.fcB
	for c, w := range m.fcW {
		var s float32
		p := src[c*wp*wp:]
		for y := 1; y <= h; y++ {
			for _, v := range p[y*wp+1 : y*wp+1+h] {
				s += v
			}
		}
		logit += w * s / float32(h*h)
	}
	return logit
}

// conv3s2 is a 3×3 convolution with stride 2, padding 1, bias and ReLU from src (l.in planes of
// (h+2)² with a zero border) into dst (l.out planes of (h/2+2)², border zeroed).
func conv3s2(dst, src []float32, l convLayer, h int) {
	wp, oh := h+2, h/2
	owp := oh + 2
	for oc := range l.out {
		op := dst[oc*owp*owp : (oc+1)*owp*owp]
		clear(op)
		for oy := range oh {
			row := op[(oy+1)*owp+1 : (oy+1)*owp+1+oh]
			for i := range row {
				row[i] = l.b[oc]
			}
		}
		for ic := range l.in {
			k := l.w[(oc*l.in+ic)*9 : (oc*l.in+ic)*9+9]
			w0, w1, w2, w3, w4, w5, w6, w7, w8 := k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8]
			ip := src[ic*wp*wp : (ic+1)*wp*wp]
			for oy := range oh {
				r0 := ip[2*oy*wp : 2*oy*wp+wp]
				r1 := ip[(2*oy+1)*wp : (2*oy+1)*wp+wp]
				r2 := ip[(2*oy+2)*wp : (2*oy+2)*wp+wp]
				row := op[(oy+1)*owp+1 : (oy+1)*owp+1+oh]
				for ox := range row {
					x := 2 * ox
					if x+2 >= len(r0) || x+2 >= len(r1) || x+2 >= len(r2) {
						break
					}
					row[ox] += w0*r0[x] + w1*r0[x+1] + w2*r0[x+2] +
						w3*r1[x] + w4*r1[x+1] + w5*r1[x+2] +
						w6*r2[x] + w7*r2[x+1] + w8*r2[x+2]
				}
			}
		}
		for oy := range oh {
			row := op[(oy+1)*owp+1 : (oy+1)*owp+1+oh]
			for i, v := range row {
				if v < 0 {
					row[i] = 0
				}
			}
		}
	}
}
