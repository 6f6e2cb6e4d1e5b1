// Package ivf reads and writes IVF files, the simple container libvpx's tools (vpxenc,
// vpxdec) and ffmpeg use for raw VP8 and VP9 streams, and decodes them with media/vpx.
//
// Layout (https://wiki.multimedia.cx/index.php/IVF): a 32-byte little-endian header
// ("DKIF", version 0, header size 32, FourCC "VP80" or "VP90", width, height, time base
// denominator and numerator, frame count, unused), then frames, each a 12-byte header
// (payload size, 64-bit PTS in time-base units) and the compressed frame.
package ivf

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/integritybot/integritybot/media/vpx"
)

// Magic starts every IVF file.
const Magic = "DKIF"

const (
	headerSize      = 32
	frameHeaderSize = 12
	// MaxFrameSize caps one compressed frame; a real 4K keyframe is a few MB.
	MaxFrameSize = 32 << 20
)

// ErrFormat is wrapped by errors about malformed files.
var ErrFormat = errors.New("ivf: malformed file")

// Header is the file header.
type Header struct {
	Codec         vpx.Codec
	Width, Height int
	// TimebaseNum/TimebaseDen seconds is one PTS unit (e.g. 1/30 or 1/90000).
	TimebaseNum, TimebaseDen uint32
	Frames                   uint32 // as stated by the writer; often 0 or wrong, never trusted
}

func fourcc(c vpx.Codec) string {
	if c == vpx.VP9 {
		return "VP90"
	}
	return "VP80"
}

func parseHeader(b []byte) (Header, error) {
	if string(b[0:4]) != Magic {
		return Header{}, fmt.Errorf("%w: not an IVF file (no DKIF signature)", ErrFormat)
	}
	if hs := binary.LittleEndian.Uint16(b[6:]); hs < headerSize {
		return Header{}, fmt.Errorf("%w: header size %d", ErrFormat, hs)
	}
	h := Header{
		Width: int(binary.LittleEndian.Uint16(b[12:])), Height: int(binary.LittleEndian.Uint16(b[14:])),
		TimebaseDen: binary.LittleEndian.Uint32(b[16:]), TimebaseNum: binary.LittleEndian.Uint32(b[20:]),
		Frames: binary.LittleEndian.Uint32(b[24:]),
	}
	switch cc := string(b[8:12]); cc {
	case "VP80":
		h.Codec = vpx.VP8
	case "VP90":
		h.Codec = vpx.VP9
	default:
		return Header{}, fmt.Errorf("ivf: codec %q is not supported (VP8 and VP9 only)", cc)
	}
	if h.TimebaseNum == 0 || h.TimebaseDen == 0 {
		return Header{}, fmt.Errorf("%w: time base %d/%d", ErrFormat, h.TimebaseNum, h.TimebaseDen)
	}
	return h, nil
}
