// Package y4m reads and writes YUV4MPEG2 (Y4M) files: uncompressed 8-bit 4:2:0 video as
// written by ffmpeg (-f yuv4mpegpipe), mjpegtools and x264, and read by Chromium's fake camera.
//
// The format (https://wiki.multimedia.cx/index.php/YUV4MPEG2) is one header line
// "YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg" followed by frames, each a line starting
// with "FRAME" and the raw planes. The reader accepts every 4:2:0 chroma siting (C420,
// C420jpeg, C420mpeg2, C420paldv: siting only moves chroma by half a pixel, which no
// analyzer cares about), grey (Cmono, chroma set to neutral) and 4:2:2 / 4:4:4 (chroma
// subsampled to 4:2:0). Interlacing (I), aspect (A) and extension (X) tags are ignored;
// the frame rate comes from the F tag, and frame n has PTS n/F.
package y4m

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/integritybot/integritybot/media"
)

// Magic starts every Y4M file.
const Magic = "YUV4MPEG2"

// Limits that keep a hostile header from allocating gigabytes.
const (
	MaxDimension = 8192
	maxPixels    = 8192 * 4320 // 8K UHD
	maxLine      = 4096
)

// ErrFormat is wrapped by errors about malformed headers.
var ErrFormat = errors.New("y4m: malformed file")

// Header is the stream header of a Y4M file.
type Header struct {
	Width, Height  int
	FPSNum, FPSDen int    // frame rate as a fraction, e.g. 30000/1001
	Colorspace     string // C tag without the C ("420jpeg"); "" means 420jpeg
}

// FPS returns the frame rate.
func (h Header) FPS() float64 { return float64(h.FPSNum) / float64(h.FPSDen) }

// FrameDuration returns 1/FPS.
func (h Header) FrameDuration() time.Duration {
	return time.Duration(float64(time.Second) * float64(h.FPSDen) / float64(h.FPSNum))
}

// Reader reads frames from a Y4M stream. Create it with NewReader.
type Reader struct {
	name  string
	r     *bufio.Reader
	c     io.Closer
	hdr   Header
	sub   chroma
	n     int // frames read
	buf   []byte
	frame media.Frame
	u, v  []byte // converted chroma for non-4:2:0 input
	err   error
}

// chroma is the chroma layout of the file.
type chroma int

const (
	c420 chroma = iota
	c422
	c444
	cMono
)

var _ media.Source = (*Reader)(nil)

// NewReader reads the header from r. name is used in errors and Info. If r is an
// io.Closer, Close closes it.
func NewReader(r io.Reader, name string) (*Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	d := &Reader{name: name, r: br}
	if c, ok := r.(io.Closer); ok {
		d.c = c
	}
	if magic, _ := br.Peek(len(Magic)); len(magic) > 0 && !bytes.Equal(magic, []byte(Magic)[:len(magic)]) {
		return nil, fmt.Errorf("y4m: %s: %w: not a YUV4MPEG2 header", name, ErrFormat)
	}
	line, err := readLine(br)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("y4m: %s: empty file: %w", name, ErrFormat)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("y4m: %s: read header: file ends inside the header line: %w", name, ErrFormat)
		}
		return nil, fmt.Errorf("y4m: %s: read header: %w", name, err)
	}
	h, sub, err := parseHeader(line)
	if err != nil {
		return nil, fmt.Errorf("y4m: %s: %w", name, err)
	}
	d.hdr, d.sub = h, sub
	return d, nil
}

// parseHeader parses the stream header line (without the newline).
func parseHeader(line string) (Header, chroma, error) {
	fields := strings.Fields(line)
	if len(fields) == 0 || fields[0] != Magic {
		return Header{}, 0, fmt.Errorf("%w: not a YUV4MPEG2 header", ErrFormat)
	}
	h := Header{}
	for _, f := range fields[1:] {
		val := f[1:]
		var err error
		switch f[0] {
		case 'W':
			h.Width, err = strconv.Atoi(val)
		case 'H':
			h.Height, err = strconv.Atoi(val)
		case 'F':
			h.FPSNum, h.FPSDen, err = ratio(val)
		case 'C':
			h.Colorspace = val
		}
		if err != nil {
			return Header{}, 0, fmt.Errorf("%w: bad %q in header", ErrFormat, f)
		}
	}
	if h.Width <= 0 || h.Height <= 0 {
		return Header{}, 0, fmt.Errorf("%w: header has no valid size (W, H)", ErrFormat)
	}
	if h.Width > MaxDimension || h.Height > MaxDimension || h.Width*h.Height > maxPixels {
		return Header{}, 0, fmt.Errorf("%w: picture %dx%d is larger than supported", ErrFormat, h.Width, h.Height)
	}
	if h.FPSNum <= 0 || h.FPSDen <= 0 {
		return Header{}, 0, fmt.Errorf("%w: header has no valid frame rate (F)", ErrFormat)
	}
	if fps := h.FPS(); fps < 0.01 || fps > 1000 {
		return Header{}, 0, fmt.Errorf("%w: frame rate %g is out of range", ErrFormat, fps)
	}
	var sub chroma
	switch h.Colorspace {
	case "", "420", "420jpeg", "420mpeg2", "420paldv":
		sub = c420
	case "422":
		sub = c422
	case "444":
		sub = c444
	case "mono":
		sub = cMono
	default:
		return Header{}, 0, fmt.Errorf("y4m: colour space C%s is not supported (8-bit 4:2:0, 4:2:2, 4:4:4 or mono only)", h.Colorspace)
	}
	return h, sub, nil
}

func ratio(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, errors.New("no colon")
	}
	n, err := strconv.Atoi(a)
	if err != nil {
		return 0, 0, err
	}
	d, err := strconv.Atoi(b)
	return n, d, err
}

// readLine reads one line up to '\n' (not included), at most maxLine bytes.
func readLine(r *bufio.Reader) (string, error) {
	var sb strings.Builder
	for {
		chunk, err := r.ReadSlice('\n')
		sb.Write(chunk)
		if sb.Len() > maxLine {
			return "", fmt.Errorf("%w: line longer than %d bytes", ErrFormat, maxLine)
		}
		switch {
		case err == nil:
			return strings.TrimSuffix(sb.String(), "\n"), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && sb.Len() > 0:
			return "", io.ErrUnexpectedEOF
		default:
			return "", err
		}
	}
}

// Header returns the stream header.
func (d *Reader) Header() Header { return d.hdr }

// Info describes the stream.
func (d *Reader) Info() media.SourceInfo {
	return media.SourceInfo{Name: d.name, Format: "y4m", Width: d.hdr.Width, Height: d.hdr.Height, FPS: d.hdr.FPS()}
}

// frameSize returns the bytes of one frame's planes in the file.
func (d *Reader) frameSize() (ySize, cSize int) {
	w, h := d.hdr.Width, d.hdr.Height
	ySize = w * h
	switch d.sub {
	case c422:
		cSize = (w + 1) / 2 * h
	case c444:
		cSize = w * h
	case cMono:
		cSize = 0
	default:
		cSize = (w + 1) / 2 * ((h + 1) / 2)
	}
	return ySize, cSize
}

// Next returns the next frame or io.EOF. A file that ends inside a frame gives an
// error saying which frame is truncated.
func (d *Reader) Next() (*media.Frame, error) {
	if d.err != nil {
		return nil, d.err
	}
	f, err := d.next()
	if err != nil {
		d.err = err
		return nil, err
	}
	return f, nil
}

func (d *Reader) next() (*media.Frame, error) {
	line, err := readLine(d.r)
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("y4m: %s: frame %d truncated: file ends inside the FRAME line", d.name, d.n)
	}
	if err != nil {
		return nil, fmt.Errorf("y4m: %s: frame %d: %w", d.name, d.n, err)
	}
	if line != "FRAME" && !strings.HasPrefix(line, "FRAME ") {
		return nil, fmt.Errorf("y4m: %s: frame %d: expected a FRAME line: %w", d.name, d.n, ErrFormat)
	}
	ySize, cSize := d.frameSize()
	size := ySize + 2*cSize
	if err := d.fill(size); err != nil {
		return nil, fmt.Errorf("y4m: %s: frame %d truncated: %w", d.name, d.n, err)
	}
	w, h := d.hdr.Width, d.hdr.Height
	cw := (w + 1) / 2
	d.frame = media.Frame{
		PTS:   time.Duration(float64(d.n) * float64(time.Second) * float64(d.hdr.FPSDen) / float64(d.hdr.FPSNum)),
		Width: w, Height: h, Y: d.buf[:ySize], YStride: w, UVStride: cw,
	}
	if d.sub == c420 {
		d.frame.U, d.frame.V = d.buf[ySize:ySize+cSize], d.buf[ySize+cSize:size]
	} else {
		d.to420(d.buf[ySize:ySize+cSize], d.buf[ySize+cSize:size])
	}
	d.n++
	return &d.frame, nil
}

// fill reads exactly size bytes into d.buf. The first time, the buffer grows with the
// data that actually arrives, so a header announcing a huge picture in a tiny file does
// not allocate the whole picture.
func (d *Reader) fill(size int) error {
	if cap(d.buf) >= size {
		d.buf = d.buf[:size]
		n, err := io.ReadFull(d.r, d.buf)
		if err != nil {
			return fmt.Errorf("got %d of %d bytes", n, size)
		}
		return nil
	}
	var b bytes.Buffer
	n, _ := b.ReadFrom(io.LimitReader(d.r, int64(size)))
	if int(n) < size {
		return fmt.Errorf("got %d of %d bytes", n, size)
	}
	d.buf = b.Bytes()[:size:size]
	return nil
}

// to420 converts 4:2:2, 4:4:4 or mono chroma to 4:2:0 into d.u and d.v.
func (d *Reader) to420(u, v []byte) {
	w, h := d.hdr.Width, d.hdr.Height
	cw, ch := (w+1)/2, (h+1)/2
	if len(d.u) != cw*ch {
		d.u, d.v = make([]byte, cw*ch), make([]byte, cw*ch)
	}
	for y := range ch {
		for x := range cw {
			i := y*cw + x
			switch d.sub {
			case cMono:
				d.u[i], d.v[i] = 128, 128
			case c422: // (w+1)/2 wide, h high: take every second row
				d.u[i], d.v[i] = u[2*y*cw+x], v[2*y*cw+x]
			case c444: // w wide, h high
				d.u[i], d.v[i] = u[2*y*w+2*x], v[2*y*w+2*x]
			}
		}
	}
	d.frame.U, d.frame.V = d.u, d.v
}

// Frames returns how many frames were read so far.
func (d *Reader) Frames() int { return d.n }

// Close closes the underlying reader if it is an io.Closer.
func (d *Reader) Close() error {
	d.err = errors.New("y4m: reader closed")
	if d.c != nil {
		c := d.c
		d.c = nil
		return c.Close()
	}
	return nil
}
