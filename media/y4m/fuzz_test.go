package y4m

import (
	"bytes"
	"io"
	"testing"
)

// FuzzY4M feeds arbitrary bytes to the reader: it must return frames or errors, never
// panic, hang or allocate far beyond the input.
func FuzzY4M(f *testing.F) {
	f.Add(encode(f, 16, 8, 25, 2))
	f.Add(encode(f, 3, 3, 30, 1))
	f.Add([]byte("YUV4MPEG2 W4 H2 F25:1 C444\nFRAME\n0123456789ab"))
	f.Add([]byte("YUV4MPEG2 W4 H2 F25:1 Cmono\nFRAME\n01234567FRAME\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), "fuzz.y4m")
		if err != nil {
			return
		}
		for range 1000 {
			fr, err := r.Next()
			if err != nil {
				if err == io.EOF && len(data) == 0 {
					t.Fatal("EOF from empty input after a header")
				}
				return
			}
			cw := (fr.Width + 1) / 2
			if len(fr.Y) < fr.Width*fr.Height || len(fr.U) < cw*((fr.Height+1)/2) || len(fr.V) != len(fr.U) {
				t.Fatalf("short planes for %dx%d", fr.Width, fr.Height)
			}
		}
	})
}
