// Package media holds decoded video frames and everything that looks at pixels:
// RTP depacketizing (rtpframe), decoding (vpx), and one package per analyzer.
// It imports nothing from bot, integrations or the web layer.
package media

import "time"

// Frame is one decoded picture in I420 (YUV 4:2:0, 8 bit) with its presentation time.
//
// PTS is measured from the start of the call (or of the file), never from the wall clock,
// so analyzers stay pure. A Frame handed to an analyzer is only valid during the call;
// analyzers copy what they keep.
type Frame struct {
	PTS      time.Duration
	Width    int
	Height   int
	Y, U, V  []byte
	YStride  int
	UVStride int
}

// Clone returns a deep copy with tightly packed planes.
func (f *Frame) Clone() *Frame {
	cw, ch := (f.Width+1)/2, (f.Height+1)/2
	c := &Frame{PTS: f.PTS, Width: f.Width, Height: f.Height, YStride: f.Width, UVStride: cw}
	c.Y = make([]byte, f.Width*f.Height)
	c.U = make([]byte, cw*ch)
	c.V = make([]byte, cw*ch)
	for y := 0; y < f.Height; y++ {
		copy(c.Y[y*f.Width:(y+1)*f.Width], f.Y[y*f.YStride:])
	}
	for y := 0; y < ch; y++ {
		copy(c.U[y*cw:(y+1)*cw], f.U[y*f.UVStride:])
		copy(c.V[y*cw:(y+1)*cw], f.V[y*f.UVStride:])
	}
	return c
}
