package ivf

import (
	"bytes"
	"testing"

	"github.com/integritybot/integritybot/media/vpx"
)

// FuzzIVF feeds arbitrary bytes to the reader and decoder: frames or errors, never a
// panic, a hang or a huge allocation.
func FuzzIVF(f *testing.F) {
	f.Add(encodeIVF(f, vpx.VP8, 32, 24, 30, 3))
	f.Add(encodeIVF(f, vpx.VP9, 32, 24, 30, 3))
	f.Add([]byte("DKIF\x00\x00\x20\x00VP80\x20\x00\x18\x00\x1e\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), "fuzz.ivf")
		if err != nil {
			return
		}
		defer r.Close()
		for range 200 {
			fr, err := r.Next()
			if err != nil {
				return
			}
			if fr.Width <= 0 || fr.Height <= 0 || len(fr.Y) < fr.YStride*(fr.Height-1)+fr.Width {
				t.Fatalf("bad frame %dx%d", fr.Width, fr.Height)
			}
		}
	})
}
