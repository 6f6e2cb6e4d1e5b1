package vpx

/*
#cgo pkg-config: vpx
#include "binding.h"
*/
import "C"

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/integritybot/integritybot/media"
)

// Packet is one compressed frame produced by an Encoder.
type Packet struct {
	Data     []byte // owned by the caller
	Keyframe bool
	PTS      time.Duration // PTS of the input frame
	// TID is the frame's temporal layer (0 for the base layer, and for every frame of an
	// encoder without temporal layers); LayerSync reports that it references only base
	// layer frames (the VP8 payload descriptor's Y bit); NonRef that no later frame
	// references it (the N bit).
	TID       uint8
	LayerSync bool
	NonRef    bool
}

// Encoder encodes I420 frames to VP8 or VP9 with WebRTC-like realtime
// settings: one pass CBR, no lag, error resilient, fastest speed. It exists to
// produce real bitstreams for tests and benchmarks. It is not safe for
// concurrent use.
type Encoder struct {
	codec         Codec
	e             *C.ib_enc
	width, height int
	n             int64
}

// NewEncoder returns an encoder for width×height pictures at fps frames per
// second and bitrateKbps kilobits per second. Close releases it.
func NewEncoder(c Codec, width, height, fps, bitrateKbps int) (*Encoder, error) {
	return NewTemporalEncoder(c, width, height, fps, bitrateKbps, 1)
}

// NewTemporalEncoder is NewEncoder with layers temporal layers (VP8 only; 1, 2 or 3), as a
// browser encodes with scalabilityMode L1T2 or L1T3. With 3 layers the frames' TIDs repeat
// 0, 2, 1, 2 (libvpx's vpx_temporal_svc_encoder.c, layering mode 3): the base layer is a
// quarter of the frame rate and references base layer frames only, so a receiver may skip
// every TID > 0 frame and still decode it. The pattern restarts at every forced keyframe;
// the encoder makes no keyframe by itself.
func NewTemporalEncoder(c Codec, width, height, fps, bitrateKbps, layers int) (*Encoder, error) {
	if !c.valid() {
		return nil, fmt.Errorf("vpx: new encoder: %w", ErrUnknownCodec)
	}
	if width <= 0 || height <= 0 || width > 16384 || height > 16384 || fps <= 0 || bitrateKbps <= 0 {
		return nil, fmt.Errorf("vpx: new encoder: invalid parameters %dx%d %d fps %d kbps", width, height, fps, bitrateKbps)
	}
	if layers < 1 || layers > 3 || layers > 1 && c != VP8 {
		return nil, fmt.Errorf("vpx: new encoder: %d temporal layers with %s (1 to 3, more than 1 for VP8 only)", layers, c)
	}
	var cerr C.vpx_codec_err_t
	e := C.ib_enc_new(boolInt(c == VP9), C.int(width), C.int(height), C.int(fps), C.int(bitrateKbps), C.int(layers), &cerr)
	if e == nil {
		return nil, fmt.Errorf("vpx: new %s encoder: %s", c, C.GoString(C.vpx_codec_err_to_string(cerr)))
	}
	return &Encoder{codec: c, e: e, width: width, height: height}, nil
}

// Encode compresses f, which must have the encoder's size, and returns the
// compressed frames it produced (usually one; none if the rate control dropped
// the frame). forceKeyframe asks for a keyframe.
func (e *Encoder) Encode(f *media.Frame, forceKeyframe bool) ([]Packet, error) {
	if e.e == nil {
		return nil, fmt.Errorf("vpx: encode: %w", ErrClosed)
	}
	if f.Width != e.width || f.Height != e.height {
		return nil, fmt.Errorf("vpx: encode: frame is %dx%d, encoder %dx%d", f.Width, f.Height, e.width, e.height)
	}
	if err := e.copyIn(f); err != nil {
		return nil, fmt.Errorf("vpx: encode: %w", err)
	}
	if cerr := C.ib_enc_frame(e.e, C.int64_t(e.n), boolInt(forceKeyframe)); cerr != C.VPX_CODEC_OK {
		return nil, fmt.Errorf("vpx: encode: %w", libvpxError(&e.e.ctx, cerr))
	}
	e.n++
	var out []Packet
	var (
		data *C.uint8_t
		n    C.size_t
		key  C.int
	)
	for C.ib_enc_next(e.e, &data, &n, &key) != 0 {
		out = append(out, Packet{
			Data:      C.GoBytes(unsafe.Pointer(data), C.int(n)),
			Keyframe:  key != 0,
			PTS:       f.PTS,
			TID:       uint8(e.e.tid),
			LayerSync: e.e.sync != 0,
			NonRef:    e.e.nonref != 0,
		})
	}
	return out, nil
}

// copyIn copies f's planes into the encoder's C image.
func (e *Encoder) copyIn(f *media.Frame) error {
	img := e.e.img
	cw, ch := (f.Width+1)/2, (f.Height+1)/2
	if f.YStride < f.Width || f.UVStride < cw ||
		len(f.Y) < f.YStride*(f.Height-1)+f.Width ||
		len(f.U) < f.UVStride*(ch-1)+cw || len(f.V) < f.UVStride*(ch-1)+cw {
		return fmt.Errorf("frame planes too short for %dx%d", f.Width, f.Height)
	}
	copyPlane(img.planes[0], int(img.stride[0]), f.Y, f.YStride, f.Width, f.Height)
	copyPlane(img.planes[1], int(img.stride[1]), f.U, f.UVStride, cw, ch)
	copyPlane(img.planes[2], int(img.stride[2]), f.V, f.UVStride, cw, ch)
	return nil
}

func copyPlane(dst *C.uchar, dstStride int, src []byte, srcStride, w, h int) {
	d := unsafe.Slice((*byte)(unsafe.Pointer(dst)), dstStride*h)
	for y := range h {
		copy(d[y*dstStride:y*dstStride+w], src[y*srcStride:])
	}
}

// Close releases the encoder. It is safe to call more than once.
func (e *Encoder) Close() error {
	if e.e != nil {
		C.ib_enc_free(e.e)
		e.e = nil
	}
	return nil
}
