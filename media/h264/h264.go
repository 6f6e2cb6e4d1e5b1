// Package h264 turns the RTP packets of an H.264 video track (RFC 6184, packetization modes 0
// and 1: single NAL units, STAP-A, FU-A) into Annex-B access units, and decodes those with a
// long-lived ffmpeg subprocess per stream into I420 frames.
//
// Why a subprocess and not libavcodec through cgo: see Decoder. libvpx (media/vpx) stays the
// decoder of VP8 and VP9.
package h264

import "errors"

// NAL unit types used here (ITU-T H.264 table 7-1, RFC 6184 table 1).
const (
	naluSlice = 1
	naluIDR   = 5
	naluSEI   = 6
	naluSPS   = 7
	naluPPS   = 8
	naluAUD   = 9
	naluSTAPA = 24
	naluFUA   = 28
)

var (
	// ErrClosed is returned by Decode after Close.
	ErrClosed = errors.New("h264: decoder closed")
	// ErrNeedKeyframe is returned (wrapped) when the decoder has no running ffmpeg and the
	// access unit is not an IDR picture it could start from; the caller should request one.
	ErrNeedKeyframe = errors.New("h264: waiting for a keyframe (IDR)")
	// ErrNoPicture is returned when ffmpeg produced no picture for an access unit in time
	// (undecodable data, or a stream whose decoder holds pictures back).
	ErrNoPicture = errors.New("h264: no picture for this access unit")
	// ErrNotFound is wrapped when the ffmpeg executable cannot be found.
	ErrNotFound = errors.New("h264: ffmpeg not found")
)

var startCode = []byte{0, 0, 0, 1}

// NALUnits calls fn with each NAL unit (without start code) of an Annex-B byte stream, in
// order, until fn returns false. Empty units are skipped.
func NALUnits(b []byte, fn func(nal []byte) bool) {
	start := -1
	for i := 0; i+2 < len(b); i++ {
		if b[i] != 0 || b[i+1] != 0 || b[i+2] != 1 {
			continue
		}
		if start >= 0 {
			end := i
			for end > start && b[end-1] == 0 { // trailing_zero_8bits and the 4-byte start code's zero
				end--
			}
			if end > start && !fn(b[start:end]) {
				return
			}
		}
		start = i + 3
		i += 2
	}
	if start >= 0 && start < len(b) {
		fn(b[start:])
	}
}

// IsKeyframe reports whether an Annex-B access unit holds an IDR slice, from which a decoder
// can start.
func IsKeyframe(au []byte) bool {
	key := false
	NALUnits(au, func(nal []byte) bool {
		if nal[0]&0x1f == naluIDR {
			key = true
			return false
		}
		return true
	})
	return key
}
