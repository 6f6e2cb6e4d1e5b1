// Package still reads a still image (JPEG or PNG, with the standard library's decoders)
// as a one-frame media.Source. A still has no motion: the temporal checks (camera
// liveness of the picture, replay, liveness) report unknown for it, and the source says
// so through SourceInfo.Still. EXIF orientation is not applied.
package still

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // registers the JPEG decoder
	_ "image/png"  // registers the PNG decoder
	"io"

	"github.com/integritybot/integritybot/media"
)

// Limits that keep a hostile header from allocating gigabytes.
const (
	MaxDimension = 16384
	maxPixels    = 100 << 20
)

// Reader is a media.Source that yields one frame with PTS 0.
type Reader struct {
	name   string
	format string
	frame  *media.Frame
	done   bool
	c      io.Closer
}

var _ media.Source = (*Reader)(nil)

// NewReader decodes the image in r. name is used in errors and Info. If r is an
// io.Closer, Close closes it.
func NewReader(r io.Reader, name string) (*Reader, error) {
	br := bufio.NewReader(r)
	cfg, format, err := image.DecodeConfig(br)
	if err != nil {
		return nil, fmt.Errorf("still: %s: %w", name, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxDimension || cfg.Height > MaxDimension || cfg.Width*cfg.Height > maxPixels {
		return nil, fmt.Errorf("still: %s: image %dx%d is larger than supported", name, cfg.Width, cfg.Height)
	}
	// DecodeConfig consumed the header; decode again from the start.
	rs, ok := r.(io.Seeker)
	if !ok {
		return nil, errors.New("still: " + name + ": reader cannot seek")
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("still: %s: %w", name, err)
	}
	img, _, err := image.Decode(bufio.NewReader(r))
	if err != nil {
		return nil, fmt.Errorf("still: %s: %w", name, err)
	}
	d := &Reader{name: name, format: format, frame: FromImage(img)}
	if c, ok := r.(io.Closer); ok {
		d.c = c
	}
	return d, nil
}

// FromImage converts img to an I420 frame with PTS 0. A 4:2:0 YCbCr image (most JPEGs)
// is copied as it is; anything else is converted with the JFIF (full-range BT.601)
// equations the JPEG decoder uses, chroma averaged over 2×2 pixels.
func FromImage(img image.Image) *media.Frame {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	f := &media.Frame{Width: w, Height: h, YStride: w, UVStride: cw,
		Y: make([]byte, w*h), U: make([]byte, cw*ch), V: make([]byte, cw*ch)}
	if yc, ok := img.(*image.YCbCr); ok && yc.SubsampleRatio == image.YCbCrSubsampleRatio420 {
		for y := range h {
			copy(f.Y[y*w:(y+1)*w], yc.Y[yc.YOffset(b.Min.X, b.Min.Y+y):])
		}
		for y := range ch {
			o := yc.COffset(b.Min.X, b.Min.Y+2*y)
			copy(f.U[y*cw:(y+1)*cw], yc.Cb[o:])
			copy(f.V[y*cw:(y+1)*cw], yc.Cr[o:])
		}
		return f
	}
	for cy := range ch {
		for cx := range cw {
			var su, sv, n int
			for dy := range 2 {
				for dx := range 2 {
					x, y := 2*cx+dx, 2*cy+dy
					if x >= w || y >= h {
						continue
					}
					r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
					yy, u, v := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
					f.Y[y*w+x] = yy
					su, sv, n = su+int(u), sv+int(v), n+1
				}
			}
			f.U[cy*cw+cx], f.V[cy*cw+cx] = byte(su/n), byte(sv/n)
		}
	}
	return f
}

// Info describes the image.
func (d *Reader) Info() media.SourceInfo {
	return media.SourceInfo{Name: d.name, Format: d.format, Width: d.frame.Width, Height: d.frame.Height, Still: true}
}

// Next returns the image once, then io.EOF.
func (d *Reader) Next() (*media.Frame, error) {
	if d.done {
		return nil, io.EOF
	}
	d.done = true
	return d.frame, nil
}

// Close closes the underlying reader if it is an io.Closer.
func (d *Reader) Close() error {
	d.done = true
	if d.c != nil {
		c := d.c
		d.c = nil
		return c.Close()
	}
	return nil
}
