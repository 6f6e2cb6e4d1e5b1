package y4m

import (
	"bufio"
	"fmt"
	"io"

	"github.com/integritybot/integritybot/media"
)

// Writer writes a C420jpeg Y4M stream of fixed size and frame rate. Frames' PTS are not
// stored: Y4M frame n always shows at n/F, so callers write frames at that rate.
type Writer struct {
	w   *bufio.Writer
	hdr Header
	n   int
}

// NewWriter writes the stream header for h to w. Call Flush (or Close) at the end.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	if h.Width <= 0 || h.Height <= 0 || h.Width > MaxDimension || h.Height > MaxDimension {
		return nil, fmt.Errorf("y4m: new writer: invalid size %dx%d", h.Width, h.Height)
	}
	if h.FPSNum <= 0 || h.FPSDen <= 0 {
		return nil, fmt.Errorf("y4m: new writer: invalid frame rate %d:%d", h.FPSNum, h.FPSDen)
	}
	h.Colorspace = "420jpeg"
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := fmt.Fprintf(bw, "%s W%d H%d F%d:%d Ip A1:1 C420jpeg\n", Magic, h.Width, h.Height, h.FPSNum, h.FPSDen); err != nil {
		return nil, fmt.Errorf("y4m: write header: %w", err)
	}
	return &Writer{w: bw, hdr: h}, nil
}

// WriteFrame appends f, which must have the stream's size.
func (w *Writer) WriteFrame(f *media.Frame) error {
	if f.Width != w.hdr.Width || f.Height != w.hdr.Height {
		return fmt.Errorf("y4m: write frame %d: frame is %dx%d, stream %dx%d", w.n, f.Width, f.Height, w.hdr.Width, w.hdr.Height)
	}
	cw, ch := (f.Width+1)/2, (f.Height+1)/2
	if _, err := w.w.WriteString("FRAME\n"); err != nil {
		return fmt.Errorf("y4m: write frame %d: %w", w.n, err)
	}
	for _, p := range []struct {
		pl        []byte
		stride    int
		wid, rows int
	}{{f.Y, f.YStride, f.Width, f.Height}, {f.U, f.UVStride, cw, ch}, {f.V, f.UVStride, cw, ch}} {
		for y := range p.rows {
			if _, err := w.w.Write(p.pl[y*p.stride : y*p.stride+p.wid]); err != nil {
				return fmt.Errorf("y4m: write frame %d: %w", w.n, err)
			}
		}
	}
	w.n++
	return nil
}

// Flush writes buffered data to the underlying writer.
func (w *Writer) Flush() error {
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("y4m: flush: %w", err)
	}
	return nil
}
