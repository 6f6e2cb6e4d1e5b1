package camera

import (
	"time"

	"github.com/integritybot/integritybot/media"
)

// rng is a tiny xorshift generator: deterministic and fast enough to fill frames.
type rng uint64

func (r *rng) next() uint64 {
	x := uint64(*r)
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	*r = rng(x)
	return x
}

// intn returns a number in [0, n).
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// newFrame returns a tightly packed w×h I420 frame.
func newFrame(w, h int, pts time.Duration) *media.Frame {
	cw, ch := (w+1)/2, (h+1)/2
	return &media.Frame{PTS: pts, Width: w, Height: h, YStride: w, UVStride: cw,
		Y: make([]byte, w*h), U: make([]byte, cw*ch), V: make([]byte, cw*ch)}
}

func clamp8(v int) byte { return byte(min(max(v, 0), 255)) }

// texture returns a textured "room with a person" luma and chroma pattern larger than
// w×h by margin on each side, so frames can be cut from it with small motion.
const margin = 4

func texture(w, h int, seed uint64) (y, u, v []byte) {
	r := rng(seed | 1)
	tw, th := w+2*margin, h+2*margin
	y = make([]byte, tw*th)
	for j := range th {
		for i := range tw {
			// gradients, 16-pixel blocks of random brightness (edges) and fine texture
			b := int((uint64(i/16)*7919 + uint64(j/16)*104729 + seed) % 90)
			y[j*tw+i] = clamp8(40 + (i*100)/tw + (j*60)/th + b + r.intn(9))
		}
	}
	cw, ch := (tw+1)/2, (th+1)/2
	u, v = make([]byte, cw*ch), make([]byte, cw*ch)
	for j := range ch {
		for i := range cw {
			u[j*cw+i] = byte(100 + (i/4+j/4)%30)
			v[j*cw+i] = byte(140 + (i/6+2*j/5)%26)
		}
	}
	return y, u, v
}

// realFrame cuts a w×h frame from the texture shifted by (dx, dy) and adds sensor
// noise of ±noise levels to every luma pixel.
func realFrame(w, h int, ty, tu, tv []byte, dx, dy, noise int, r *rng, pts time.Duration) *media.Frame {
	f := newFrame(w, h, pts)
	tw := w + 2*margin
	for j := range h {
		src := ty[(j+margin+dy)*tw+margin+dx:]
		dst := f.Y[j*w : (j+1)*w]
		for i := range dst {
			n := 0
			if noise > 0 {
				n = r.intn(2*noise+1) - noise
			}
			dst[i] = clamp8(int(src[i]) + n)
		}
	}
	cw, ch := (w+1)/2, (h+1)/2
	tcw := (tw + 1) / 2
	for j := range ch {
		for i := range cw {
			f.U[j*cw+i] = tu[(j+margin/2+dy/2)*tcw+i+margin/2+dx/2]
			f.V[j*cw+i] = tv[(j+margin/2+dy/2)*tcw+i+margin/2+dx/2]
		}
	}
	return f
}

// pool is a set of pre-generated frames played in a cycle, so long tests stay fast.
// Consecutive frames always differ (motion and/or noise) unless the pool has one frame.
type pool []*media.Frame

// at returns frame i of the cycle with its PTS set.
func (p pool) at(i int, pts time.Duration) *media.Frame {
	f := *p[i%len(p)]
	f.PTS = pts
	return &f
}

// realPool: a live camera: random ±1 px motion and ±3 sensor noise per frame.
func realPool(w, h int, seed uint64) pool {
	ty, tu, tv := texture(w, h, seed)
	r := rng(seed*31 + 7)
	p := make(pool, 8)
	dx, dy := 0, 0
	for i := range p {
		dx = min(max(dx+r.intn(3)-1, -2), 2)
		dy = min(max(dy+r.intn(3)-1, -2), 2)
		p[i] = realFrame(w, h, ty, tu, tv, dx, dy, 3, &r, 0)
	}
	return p
}

// stillPool: a person sitting perfectly still in front of a real camera: no motion,
// but sensor noise. A real static scene must not be called frozen.
func stillPool(w, h int, seed uint64, noise int) pool {
	ty, tu, tv := texture(w, h, seed)
	r := rng(seed*17 + 3)
	p := make(pool, 8)
	for i := range p {
		p[i] = realFrame(w, h, ty, tu, tv, 0, 0, noise, &r, 0)
	}
	return p
}

// blinkPool: the encoder skipped the whole static background (bit-identical), only a
// small 24×12 patch (an eye blinking, lips moving) changes between frames.
func blinkPool(w, h int, seed uint64) pool {
	ty, tu, tv := texture(w, h, seed)
	r := rng(seed)
	base := realFrame(w, h, ty, tu, tv, 0, 0, 0, &r, 0)
	p := make(pool, 8)
	for i := range p {
		f := base.Clone()
		for j := h / 3; j < h/3+12; j++ {
			for x := w / 2; x < w/2+24; x++ {
				f.Y[j*w+x] = byte(60 + 20*(i%4) + r.intn(5))
			}
		}
		p[i] = f
	}
	return p
}

// frozenPool: one textured frame repeated bit for bit.
func frozenPool(w, h int, seed uint64) pool {
	ty, tu, tv := texture(w, h, seed)
	r := rng(seed)
	return pool{realFrame(w, h, ty, tu, tv, 0, 0, 3, &r, 0)}
}

// requantPool: a frozen frame as a codec delivers it: ±1 in a few pixels per frame.
func requantPool(w, h int, seed uint64) pool {
	base := frozenPool(w, h, seed)[0]
	r := rng(seed + 99)
	p := make(pool, 8)
	for i := range p {
		f := base.Clone()
		for range w * h / 500 { // 0.2% of pixels
			k := r.intn(w * h)
			f.Y[k] = clamp8(int(f.Y[k]) + r.intn(3) - 1)
		}
		p[i] = f
	}
	return p
}

// solidPool: a flat colour (y, u, v) with luma noise of ±noise.
func solidPool(w, h int, y, u, v byte, noise int) pool {
	r := rng(12345)
	n := 1
	if noise > 0 {
		n = 8
	}
	p := make(pool, n)
	for i := range p {
		f := newFrame(w, h, 0)
		for k := range f.Y {
			d := 0
			if noise > 0 {
				d = r.intn(2*noise+1) - noise
			}
			f.Y[k] = clamp8(int(y) + d)
		}
		for k := range f.U {
			f.U[k], f.V[k] = u, v
		}
		p[i] = f
	}
	return p
}
