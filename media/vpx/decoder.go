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

// Decoder decodes one VP8 or VP9 stream. It is not safe for concurrent use.
type Decoder struct {
	codec Codec
	d     *C.ib_dec
	frame media.Frame
}

// NewDecoder returns a single-threaded decoder for c. Close releases it.
func NewDecoder(c Codec) (*Decoder, error) {
	if !c.valid() {
		return nil, fmt.Errorf("vpx: new decoder: %w", ErrUnknownCodec)
	}
	var cerr C.vpx_codec_err_t
	d := C.ib_dec_new(boolInt(c == VP9), &cerr)
	if d == nil {
		return nil, fmt.Errorf("vpx: new %s decoder: %s", c, C.GoString(C.vpx_codec_err_to_string(cerr)))
	}
	return &Decoder{codec: c, d: d}, nil
}

// Codec returns the codec the decoder was created for.
func (d *Decoder) Codec() Codec { return d.codec }

// Decode decodes one compressed frame (a complete VP8 frame or VP9 superframe)
// and returns the picture it shows with the given pts, or (nil, nil) when the
// frame shows no picture.
//
// The returned Frame and its planes point into memory owned by the decoder and
// libvpx; they are valid only until the next call to Decode or Close. Callers
// that keep a picture must Clone it.
//
// Decode returns ErrCorrupted when libvpx flags the picture as decoded from
// missing references, ErrUnsupportedFormat for pictures other than 8-bit I420,
// ErrTooLarge for keyframes larger than MaxDimension, and a wrapped libvpx
// error (*Error) for undecodable data. After any of them the
// caller should request a keyframe.
func (d *Decoder) Decode(data []byte, pts time.Duration) (*media.Frame, error) {
	if d.d == nil {
		return nil, fmt.Errorf("vpx: decode: %w", ErrClosed)
	}
	if len(data) == 0 {
		// A zero-length decode call flushes the decoder; it is never a frame.
		return nil, fmt.Errorf("vpx: decode: empty frame")
	}
	if w, h, ok := FrameSize(d.codec, data); ok && (w > MaxDimension || h > MaxDimension) {
		return nil, fmt.Errorf("vpx: decode: %w: %dx%d", ErrTooLarge, w, h)
	}
	if cerr := C.ib_dec_frame(d.d, (*C.uint8_t)(unsafe.Pointer(&data[0])), C.uint(len(data))); cerr != C.VPX_CODEC_OK {
		return nil, fmt.Errorf("vpx: decode: %w", d.codecError(cerr))
	}
	img := d.d.img
	if img == nil {
		return nil, nil
	}
	if d.d.corrupted != 0 {
		return nil, ErrCorrupted
	}
	if img.fmt != C.VPX_IMG_FMT_I420 || img.bit_depth != 8 {
		return nil, fmt.Errorf("vpx: decode: %w (format %#x, %d bit)", ErrUnsupportedFormat, int(img.fmt), int(img.bit_depth))
	}
	w, h := int(img.d_w), int(img.d_h)
	ys, uvs := int(img.stride[0]), int(img.stride[1])
	ch := (h + 1) / 2
	d.frame = media.Frame{
		PTS:      pts,
		Width:    w,
		Height:   h,
		Y:        unsafe.Slice((*byte)(unsafe.Pointer(img.planes[0])), ys*h),
		U:        unsafe.Slice((*byte)(unsafe.Pointer(img.planes[1])), uvs*ch),
		V:        unsafe.Slice((*byte)(unsafe.Pointer(img.planes[2])), uvs*ch),
		YStride:  ys,
		UVStride: uvs,
	}
	return &d.frame, nil
}

// codecError describes the decoder's last error with libvpx's own words.
func (d *Decoder) codecError(cerr C.vpx_codec_err_t) error {
	return libvpxError(&d.d.ctx, cerr)
}

// Close releases the decoder. It is safe to call more than once.
func (d *Decoder) Close() error {
	if d.d != nil {
		C.ib_dec_free(d.d)
		d.d = nil
		d.frame = media.Frame{}
	}
	return nil
}

// libvpxError combines libvpx's error string and detail.
func libvpxError(ctx *C.vpx_codec_ctx_t, cerr C.vpx_codec_err_t) error {
	msg := C.GoString(C.vpx_codec_err_to_string(cerr))
	if detail := C.vpx_codec_error_detail(ctx); detail != nil {
		msg += ": " + C.GoString(detail)
	}
	return &Error{Code: int(cerr), Msg: msg}
}

// Error is a libvpx error code with its message.
type Error struct {
	Code int
	Msg  string
}

// Error returns libvpx's message.
func (e *Error) Error() string { return "libvpx: " + e.Msg }

func boolInt(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
