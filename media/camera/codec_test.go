package camera

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media/vpx"
)

// TestThroughCodec runs generated pictures through a real libvpx encoder and decoder at
// WebRTC-like bitrates, as the pipeline sees them: the frozen thresholds must hold for
// codec output, not only for synthetic frames.
func TestThroughCodec(t *testing.T) {
	const w, h, fps, dur = 320, 240, 15, 8 * time.Second
	tests := []struct {
		name  string
		p     pool
		kbps  int
		want  report.Status
		kind  string // must be present
		never string // must be absent
	}{
		{"live camera", realPool(w, h, 1), 300, report.Pass, "", "frozen"},
		{"still person, noise ±3, low bitrate", stillPool(w, h, 2, 3), 150, report.Pass, "", "frozen"},
		{"still person, noise ±3", stillPool(w, h, 2, 3), 600, report.Pass, "", "frozen"},
		{"static background, blinking eye, low bitrate", blinkPool(w, h, 3), 150, report.Pass, "", "frozen"},
		{"frozen picture", frozenPool(w, h, 4), 300, report.Fail, "frozen", ""},
		{"frozen picture re-quantised", requantPool(w, h, 5), 300, report.Fail, "frozen", ""},
		{"black", solidPool(w, h, 16, 128, 128, 0), 300, report.Fail, "black", "frozen"},
		{"covered lens", solidPool(w, h, 60, 125, 131, 3), 150, report.Fail, "uniform", "frozen"},
	}
	for _, codec := range []vpx.Codec{vpx.VP8, vpx.VP9} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/%s", codec, tc.name), func(t *testing.T) {
				enc, err := vpx.NewEncoder(codec, w, h, fps, tc.kbps)
				if err != nil {
					t.Fatal(err)
				}
				defer enc.Close()
				dec, err := vpx.NewDecoder(codec)
				if err != nil {
					t.Fatal(err)
				}
				defer dec.Close()
				a := New(Config{})
				n := int(dur.Seconds() * fps)
				for i := range n {
					pts := time.Duration(i) * time.Second / fps
					pkts, err := enc.Encode(tc.p.at(i, pts), i == 0)
					if err != nil {
						t.Fatal(err)
					}
					for _, pk := range pkts {
						f, err := dec.Decode(pk.Data, pk.PTS)
						if err != nil {
							t.Fatalf("decode frame %d: %v", i, err)
						}
						if f != nil {
							a.Observe(f)
						}
					}
				}
				c := a.Result(dur)
				checkWellFormed(t, c)
				got := kinds(c)
				if c.Status != tc.want || (tc.kind != "" && !slices.Contains(got, tc.kind)) || (tc.never != "" && slices.Contains(got, tc.never)) {
					t.Errorf("status %s %v, want %s with %q without %q: %s", c.Status, got, tc.want, tc.kind, tc.never, c.Summary)
				}
			})
		}
	}
}
