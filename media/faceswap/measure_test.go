package faceswap

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/media"
)

// TestMeasureCues prints the per-sample cues of every corpus clip (exploration; run with
// -run TestMeasureCues -v).
func TestMeasureCues(t *testing.T) {
	if os.Getenv("FACESWAP_MEASURE") == "" {
		t.Skip("set FACESWAP_MEASURE=1")
	}
	dir := corpusDir(t)
	fa := newFaces(t)
	clips, _ := filepath.Glob(filepath.Join(dir, "genuine", "*"))
	fakes, _ := filepath.Glob(filepath.Join(dir, "fake", "*"))
	for _, c := range append(fakes, clips...) {
		ff := fa.Fresh()
		a := New(Config{}, ff)
		var ss []sample
		a.trace = func(s sample) { ss = append(ss, s) }
		a.traceNext = func(change, hf float64) {
			ss[len(ss)-1].c.flicker, ss[len(ss)-1].c.hfFlick = change, hf-change
		}
		eachFrame(t, c, 12*time.Second, func(f *media.Frame) {
			ff.Observe(f)
			a.Observe(f)
		})
		var b strings.Builder
		for _, s := range ss {
			if !s.face {
				continue
			}
			fmt.Fprintf(&b, "%s %5.2f box=%3.0f sharp=%6.2f edge=%6.2f innerG=%6.2f chroma=%5.1f lum=%6.2f flick=%6.2f hf=%6.2f hfb=%6.2f noise=%6.2f sat=%6.2f hff=%6.2f fu=%5.1f fv=%5.1f ru=%5.1f rv=%5.1f\n",
				filepath.Base(c), s.at.Seconds(), s.box[2], s.c.sharp, s.c.edge, s.c.innerG, s.c.chroma, s.c.lum, s.c.flicker, s.c.hf, s.c.hfBand, s.c.noise, s.c.sat, s.c.hfFlick, s.c.faceU, s.c.faceV, s.c.ringU, s.c.ringV)
		}
		fmt.Print(b.String())
	}
}
