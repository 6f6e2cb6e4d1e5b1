package liveness

import (
	"image"
	"math"
	"time"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
)

// patchN is the side of the grid of block means the face region is reduced to. Block means
// of a 12×12 grid ignore compression noise and small expressions but not a hand or a turn.
const patchN = 12

// measure returns how much the face region changed since the previous look (mean absolute
// difference of block means: luma and chroma), each -1 when there is no previous
// look of the same region. Outside challenge windows the region follows the face; inside one
// (and a second before it) it stays put, so a hand or a turn shows as change of a fixed region.
func (a *Analyzer) measure(f *media.Frame, d *face.Detection) change {
	if d != nil && !a.active(f.PTS) && moved(a.region, d.Box) {
		a.region = grow(d.Box, 1.4).Intersect(image.Rect(0, 0, f.Width, f.Height))
		a.havePt = false
	}
	var p blocks
	// Every second row and column: the mean of a block needs no more.
	if !sampleBlocks(f, a.region, 2, &p) {
		a.havePt = false
		return change{luma: -1, chroma: -1}
	}
	c := change{luma: -1, chroma: -1}
	if a.havePt {
		c = diff(&a.patch, &p)
	}
	a.patch, a.havePt = p, true
	return c
}

// active reports whether at is inside a challenge window, or a second before one.
func (a *Analyzer) active(at time.Duration) bool {
	for _, w := range a.windows {
		if at >= w.from-time.Second && at <= w.until+a.cfg.Grace {
			return true
		}
	}
	return false
}

// moved reports whether box is far enough from the region (made from an earlier box) to
// move the region: its centre moved by more than 15 % of its width, or its size changed
// by more than 15 %.
func moved(region, box image.Rectangle) bool {
	if region.Empty() {
		return true
	}
	old := shrink(region)
	w := float64(max(old.Dx(), 1))
	dc := math.Hypot(float64(centre(box).X-centre(old).X), float64(centre(box).Y-centre(old).Y))
	return dc > 0.15*w || math.Abs(float64(box.Dx())-w) > 0.15*w
}

// shrink undoes grow(_, 1.4) approximately (the region may have been clipped at the frame).
func shrink(r image.Rectangle) image.Rectangle { return grow(r, 1/1.4) }

func grow(r image.Rectangle, k float64) image.Rectangle {
	c := centre(r)
	hw, hh := int(float64(r.Dx())*k/2+0.5), int(float64(r.Dy())*k/2+0.5)
	return image.Rect(c.X-hw, c.Y-hh, c.X+hw, c.Y+hh)
}

func centre(r image.Rectangle) image.Point {
	return image.Pt((r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2)
}
