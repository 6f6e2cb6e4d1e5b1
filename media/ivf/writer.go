package ivf

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/integritybot/integritybot/media/vpx"
)

// Writer writes an IVF file of compressed VP8 or VP9 frames.
type Writer struct {
	w   io.Writer
	hdr Header
	n   uint32
}

// NewWriter writes the file header for h to w (h.Frames is ignored: when w is an
// io.WriteSeeker, Close writes the real count).
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	if h.Codec != vpx.VP8 && h.Codec != vpx.VP9 {
		return nil, fmt.Errorf("ivf: new writer: %w", vpx.ErrUnknownCodec)
	}
	if h.Width <= 0 || h.Height <= 0 || h.Width > 0xffff || h.Height > 0xffff || h.TimebaseNum == 0 || h.TimebaseDen == 0 {
		return nil, fmt.Errorf("ivf: new writer: invalid header %dx%d time base %d/%d", h.Width, h.Height, h.TimebaseNum, h.TimebaseDen)
	}
	wr := &Writer{w: w, hdr: h}
	if _, err := w.Write(wr.header()); err != nil {
		return nil, fmt.Errorf("ivf: write header: %w", err)
	}
	return wr, nil
}

func (w *Writer) header() []byte {
	b := make([]byte, headerSize)
	copy(b, Magic)
	binary.LittleEndian.PutUint16(b[6:], headerSize)
	copy(b[8:], fourcc(w.hdr.Codec))
	binary.LittleEndian.PutUint16(b[12:], uint16(w.hdr.Width))
	binary.LittleEndian.PutUint16(b[14:], uint16(w.hdr.Height))
	binary.LittleEndian.PutUint32(b[16:], w.hdr.TimebaseDen)
	binary.LittleEndian.PutUint32(b[20:], w.hdr.TimebaseNum)
	binary.LittleEndian.PutUint32(b[24:], w.n)
	return b
}

// WriteFrame appends one compressed frame with pts in time-base units.
func (w *Writer) WriteFrame(data []byte, pts uint64) error {
	var fh [frameHeaderSize]byte
	binary.LittleEndian.PutUint32(fh[:], uint32(len(data)))
	binary.LittleEndian.PutUint64(fh[4:], pts)
	if _, err := w.w.Write(fh[:]); err != nil {
		return fmt.Errorf("ivf: write frame %d: %w", w.n, err)
	}
	if _, err := w.w.Write(data); err != nil {
		return fmt.Errorf("ivf: write frame %d: %w", w.n, err)
	}
	w.n++
	return nil
}

// Close writes the frame count into the header when the writer can seek. It does not
// close the underlying writer.
func (w *Writer) Close() error {
	ws, ok := w.w.(io.WriteSeeker)
	if !ok {
		return nil
	}
	if _, err := ws.Seek(24, io.SeekStart); err != nil {
		return fmt.Errorf("ivf: close: %w", err)
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], w.n)
	if _, err := ws.Write(b[:]); err != nil {
		return fmt.Errorf("ivf: close: %w", err)
	}
	_, err := ws.Seek(0, io.SeekEnd)
	return err
}
