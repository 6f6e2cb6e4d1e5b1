package ivf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/vpx"
)

// Reader reads and decodes the frames of an IVF file. Create it with NewReader.
type Reader struct {
	name     string
	r        *bufio.Reader
	c        io.Closer
	hdr      Header
	dec      *vpx.Decoder
	n        int // frames read
	buf      []byte
	fhdr     [frameHeaderSize]byte
	firstPTS uint64
	lastPTS  time.Duration
	err      error
}

var _ media.Source = (*Reader)(nil)

// NewReader reads the header from r and creates the decoder. name is used in errors
// and Info. If r is an io.Closer, Close closes it.
func NewReader(r io.Reader, name string) (*Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var b [headerSize]byte
	if n, err := io.ReadFull(br, b[:]); err != nil {
		if n >= 4 && string(b[:4]) != Magic {
			return nil, fmt.Errorf("ivf: %s: %w: not an IVF file (no DKIF signature)", name, ErrFormat)
		}
		return nil, fmt.Errorf("ivf: %s: %w: file ends inside the %d-byte header", name, ErrFormat, headerSize)
	}
	h, err := parseHeader(b[:])
	if err != nil {
		return nil, fmt.Errorf("ivf: %s: %w", name, err)
	}
	if hs := int(binary.LittleEndian.Uint16(b[6:])); hs > headerSize {
		if _, err := br.Discard(hs - headerSize); err != nil {
			return nil, fmt.Errorf("ivf: %s: %w: file ends inside the header", name, ErrFormat)
		}
	}
	dec, err := vpx.NewDecoder(h.Codec)
	if err != nil {
		return nil, fmt.Errorf("ivf: %s: %w", name, err)
	}
	d := &Reader{name: name, r: br, hdr: h, dec: dec}
	if c, ok := r.(io.Closer); ok {
		d.c = c
	}
	return d, nil
}

// Header returns the file header.
func (d *Reader) Header() Header { return d.hdr }

// Info describes the stream. The frame rate is the time base's when it looks like a
// frame rate (time base 1/30), else unknown.
func (d *Reader) Info() media.SourceInfo {
	in := media.SourceInfo{Name: d.name, Format: "ivf/" + d.hdr.Codec.String(), Width: d.hdr.Width, Height: d.hdr.Height}
	if d.hdr.TimebaseNum == 1 && d.hdr.TimebaseDen <= 240 {
		in.FPS = float64(d.hdr.TimebaseDen)
	}
	return in
}

// Next decodes and returns the next picture or io.EOF. Frames that show no picture
// are skipped. A truncated or undecodable frame is an error naming the frame number
// (counted from 0).
func (d *Reader) Next() (*media.Frame, error) {
	for d.err == nil {
		f, err := d.next()
		if err != nil {
			d.err = err
			break
		}
		if f != nil {
			return f, nil
		}
	}
	return nil, d.err
}

func (d *Reader) next() (*media.Frame, error) {
	if d.dec == nil {
		return nil, errors.New("ivf: reader closed")
	}
	n, err := io.ReadFull(d.r, d.fhdr[:])
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("ivf: %s: frame %d truncated: file ends inside the frame header (%d of %d bytes)", d.name, d.n, n, frameHeaderSize)
	}
	size := binary.LittleEndian.Uint32(d.fhdr[:4])
	rawPTS := binary.LittleEndian.Uint64(d.fhdr[4:])
	if size == 0 || size > MaxFrameSize {
		return nil, fmt.Errorf("ivf: %s: frame %d: %w: frame size %d bytes", d.name, d.n, ErrFormat, size)
	}
	if cap(d.buf) < int(size) {
		// Grow with the data that arrives so a lying size field does not allocate 32 MiB.
		buf, err := readGrow(d.r, int(size))
		if err != nil {
			return nil, fmt.Errorf("ivf: %s: frame %d truncated: %w", d.name, d.n, err)
		}
		d.buf = buf
	} else {
		d.buf = d.buf[:size]
		if got, err := io.ReadFull(d.r, d.buf); err != nil {
			return nil, fmt.Errorf("ivf: %s: frame %d truncated: got %d of %d bytes", d.name, d.n, got, size)
		}
	}
	pts := d.pts(rawPTS)
	idx := d.n
	d.n++
	f, err := d.dec.Decode(d.buf, pts)
	if err != nil {
		if errors.Is(err, vpx.ErrCorrupted) && idx == 0 {
			return nil, fmt.Errorf("ivf: %s: frame %d: does not start with a keyframe: %w", d.name, idx, err)
		}
		return nil, fmt.Errorf("ivf: %s: frame %d is corrupt: %w", d.name, idx, err)
	}
	return f, nil
}

// pts converts a PTS in time-base units to a duration from the first frame, never
// going back in time.
func (d *Reader) pts(raw uint64) time.Duration {
	if d.n == 0 {
		d.firstPTS = raw
	}
	var t time.Duration
	if raw > d.firstPTS {
		s := float64(raw-d.firstPTS) * float64(d.hdr.TimebaseNum) / float64(d.hdr.TimebaseDen)
		t = time.Duration(math.Min(s, 1e6) * float64(time.Second))
	}
	t = max(t, d.lastPTS)
	d.lastPTS = t
	return t
}

func readGrow(r io.Reader, size int) ([]byte, error) {
	buf := make([]byte, 0, min(size, 1<<16))
	for len(buf) < size {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := r.Read(buf[len(buf):min(cap(buf), size)])
		buf = buf[:len(buf)+m]
		if err != nil && len(buf) < size {
			return nil, fmt.Errorf("got %d of %d bytes", len(buf), size)
		}
	}
	return buf, nil
}

// Frames returns how many compressed frames were read so far.
func (d *Reader) Frames() int { return d.n }

// Close releases the decoder and closes the underlying reader if it is an io.Closer.
func (d *Reader) Close() error {
	if d.dec != nil {
		d.dec.Close()
		d.dec = nil
	}
	if d.c != nil {
		c := d.c
		d.c = nil
		return c.Close()
	}
	return nil
}
