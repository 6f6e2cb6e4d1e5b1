// Package vpx is a small cgo binding to Debian's libvpx for decoding (and, for
// tests and benchmarks, encoding) VP8 and VP9 frames as they arrive over RTP.
//
// Only 8-bit I420 pictures are supported, which is what browsers send for VP8
// and VP9 profile 0. libvpx does not fail on frames whose references are
// missing; it decodes garbage and flags the picture as corrupted, so Decode
// checks VP8D_GET_FRAME_CORRUPTED after every frame and returns ErrCorrupted.
package vpx

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// Codec selects VP8 or VP9.
type Codec int

// Supported codecs.
const (
	VP8 Codec = iota + 1
	VP9
)

// String returns "vp8", "vp9" or "codec(N)".
func (c Codec) String() string {
	switch c {
	case VP8:
		return "vp8"
	case VP9:
		return "vp9"
	}
	return "codec(" + strconv.Itoa(int(c)) + ")"
}

// MaxDimension is the largest width or height Decode accepts; 4K UHD fits.
const MaxDimension = 4096

func (c Codec) valid() bool { return c == VP8 || c == VP9 }

var (
	// ErrCorrupted means libvpx decoded a picture from missing or damaged
	// references. The caller should request a keyframe and skip frames until one
	// arrives.
	ErrCorrupted = errors.New("vpx: frame corrupted")
	// ErrUnsupportedFormat means the decoded picture is not 8-bit I420 (for
	// example VP9 profile 1 or 2).
	ErrUnsupportedFormat = errors.New("vpx: unsupported picture format")
	// ErrTooLarge means a keyframe header announces a picture wider or taller
	// than MaxDimension. libvpx would allocate and clear it before finding out
	// the data is garbage, which takes seconds at VP8's limit of 16383×16383.
	ErrTooLarge = errors.New("vpx: picture too large")
	// ErrClosed is returned by methods called after Close.
	ErrClosed = errors.New("vpx: closed")
	// ErrUnknownCodec is returned for a Codec other than VP8 and VP9.
	ErrUnknownCodec = errors.New("vpx: unknown codec")
)

// IsKeyframe reports whether data, one compressed frame, starts with a
// keyframe header. It only reads the header and never fails; garbage is not a
// keyframe.
func IsKeyframe(c Codec, data []byte) bool {
	switch c {
	case VP8:
		_, _, ok := vp8KeyframeSize(data)
		return ok
	case VP9:
		_, _, ok := vp9KeyframeSize(data)
		return ok
	}
	return false
}

// FrameSize returns the picture size coded in a keyframe header; ok is false
// for inter frames and for data that is not a valid keyframe header.
func FrameSize(c Codec, data []byte) (w, h int, ok bool) {
	switch c {
	case VP8:
		return vp8KeyframeSize(data)
	case VP9:
		return vp9KeyframeSize(data)
	}
	return 0, 0, false
}

// vp8KeyframeSize parses the VP8 frame tag and keyframe start code
// (RFC 6386 section 9.1).
func vp8KeyframeSize(b []byte) (w, h int, ok bool) {
	if len(b) < 10 || b[0]&1 != 0 || b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a {
		return 0, 0, false
	}
	w = int(binary.LittleEndian.Uint16(b[6:]) & 0x3fff)
	h = int(binary.LittleEndian.Uint16(b[8:]) & 0x3fff)
	return w, h, w > 0 && h > 0
}

// bitReader reads MSB-first bits; reads past the end return zero and set eof.
type bitReader struct {
	b   []byte
	pos int
	eof bool
}

func (r *bitReader) bits(n int) int {
	v := 0
	for range n {
		if r.pos >= len(r.b)*8 {
			r.eof = true
			return 0
		}
		v = v<<1 | int(r.b[r.pos/8]>>(7-r.pos%8)&1)
		r.pos++
	}
	return v
}

// vp9KeyframeSize parses the VP9 uncompressed header up to frame_size()
// (VP9 bitstream specification, section 6.2).
func vp9KeyframeSize(b []byte) (w, h int, ok bool) {
	r := bitReader{b: b}
	if r.bits(2) != 2 { // frame_marker
		return 0, 0, false
	}
	profile := r.bits(1)
	profile |= r.bits(1) << 1
	if profile == 3 && r.bits(1) != 0 { // reserved_zero
		return 0, 0, false
	}
	if r.bits(1) == 1 { // show_existing_frame
		return 0, 0, false
	}
	if r.bits(1) != 0 { // frame_type: 0 is KEY_FRAME
		return 0, 0, false
	}
	r.bits(2) // show_frame, error_resilient_mode
	if r.bits(24) != 0x498342 {
		return 0, 0, false
	}
	if profile >= 2 {
		r.bits(1) // ten_or_twelve_bit
	}
	const csRGB = 7
	if r.bits(3) != csRGB { // color_space
		r.bits(1) // color_range
		if profile == 1 || profile == 3 {
			r.bits(3) // subsampling_x, subsampling_y, reserved_zero
		}
	} else if profile == 1 || profile == 3 {
		r.bits(1) // reserved_zero
	}
	w = r.bits(16) + 1
	h = r.bits(16) + 1
	if r.eof {
		return 0, 0, false
	}
	return w, h, true
}
