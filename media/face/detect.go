package face

import (
	"time"

	"cmp"
	"image"
	"slices"

	pigo "github.com/esimov/pigo/core"

	"github.com/integritybot/integritybot/media"
)

// maxFaces bounds the faces kept per frame; more than this add nothing for the reader.
const maxFaces = 4

// pigo search parameters. ShiftFactor 0.1 and ScaleFactor 1.1 are pigo's own defaults;
// the cluster IoU of 0.2 too. Perturbs 63 fills pigo's perturbation pool exactly (pigo
// sorts the whole 63-entry pool, so fewer perturbations mix in stale values).
const (
	shiftFactor = 0.1
	scaleFactor = 1.1
	clusterIoU  = 0.2
	perturbs    = 63
)

// detector holds the reusable buffers of one Analyzer: after the first frame of a size,
// downscaling allocates nothing (pigo itself allocates its candidate list per search).
type detector struct {
	gray       []byte
	gw, gh     int
	xs         []int // source column where each output column starts, plus the end
	ys         []int
	srcW, srcH int
	faces      []Detection

	// Tracking: the main face of the last detection when it was the only face, found by a
	// full search. The next detection then searches only around it (see detect).
	track     pigo.Detection
	haveTrack bool

	lastPupils time.Duration // PTS of the last detection whose pupils were located
	pupilsYet  bool

	// large searches a copy twice as wide when nothing was found at DetectWidth (see
	// searchLarge); nil until first needed.
	large              *detector
	lastLarge          time.Duration
	largeYet, largeHit bool
}

// pupilsEvery spaces pupil localisation: about 0.75 ms per eye, on every detection it was
// 0.3 ms per 30 fps frame, a third of the whole per-frame budget of the video checks;
// once a second keeps eye positions for eye-based detectors at a fifth of the cost.
const pupilsEvery = time.Second

// detect finds the faces of f, best first. It searches for faces of at least
// Config.MinFace of the width; only when none is found does it search again down to
// fineFace, so a small face is reported as small rather than missing while the common
// case stays cheap (the search cost grows with the square of width/min size).
//
// Every other detection, when the previous (full) search found exactly one face, it first
// searches only around that face, for faces of 0.7-1.4 times its size: a quarter of the
// cost of a full search. If that finds nothing, the full search runs as usual, so a face
// is never missed for it; a second face entering the picture is found by the next full
// search, one interval later.
func (d *detector) detect(c *cascades, cfg Config, f *media.Frame) []Detection {
	d.downscale(f, cfg.DetectWidth)
	img := pigo.ImageParams{Pixels: d.gray, Rows: d.gh, Cols: d.gw, Dim: d.gw}
	var dets []pigo.Detection
	tracked := d.haveTrack
	if tracked {
		d.haveTrack = false
		dets = d.searchNear(c, cfg, img, d.track)
	}
	if len(dets) == 0 {
		tracked = false
		dets = d.search(c, cfg, img, cfg.MinFace)
		if len(dets) == 0 && fineFace < cfg.MinFace {
			dets = d.search(c, cfg, img, fineFace)
		}
		if len(dets) == 0 {
			dets = d.searchLarge(c, cfg, f)
		}
	}
	if !tracked && len(dets) == 1 {
		d.track, d.haveTrack = dets[0], true
	}
	d.faces = d.faces[:0]
	sx := float64(f.Width) / float64(d.gw)
	sy := float64(f.Height) / float64(d.gh)
	for i, x := range dets {
		r := x.Scale / 2
		box := image.Rect(x.Col-r, x.Row-r, x.Col+r, x.Row+r).Intersect(image.Rect(0, 0, d.gw, d.gh))
		det := Detection{
			PTS: f.PTS, Rank: i, Faces: len(dets), Score: x.Q,
			Box:  scaleRect(box, sx, sy),
			Luma: d.mean(box),
		}
		if i == 0 && (cfg.Landmarks || cfg.Pupils && (!d.pupilsYet || f.PTS-d.lastPupils >= pupilsEvery)) {
			d.pupils(c, x, img, &det, sx, sy)
			d.lastPupils, d.pupilsYet = f.PTS, true
		}
		d.faces = append(d.faces, det)
	}
	return d.faces
}

// searchNear searches for the face t again in a square of twice its side around it, for
// faces of 0.7 to 1.4 times its size (a face moves and grows little in one interval). It
// returns at most the best face.
func (d *detector) searchNear(c *cascades, cfg Config, img pigo.ImageParams, t pigo.Detection) []pigo.Detection {
	roi := image.Rect(t.Col-t.Scale, t.Row-t.Scale, t.Col+t.Scale, t.Row+t.Scale).Intersect(image.Rect(0, 0, img.Cols, img.Rows))
	minSize := max(int(0.7*float64(t.Scale)), 12)
	maxSize := min(roi.Dx(), roi.Dy(), int(1.4*float64(t.Scale)))
	if minSize > maxSize {
		return nil
	}
	sub := pigo.ImageParams{Pixels: img.Pixels[roi.Min.Y*img.Dim+roi.Min.X:], Rows: roi.Dy(), Cols: roi.Dx(), Dim: img.Dim}
	dets := c.face.RunCascade(pigo.CascadeParams{
		MinSize: minSize, MaxSize: maxSize, ShiftFactor: shiftFactor, ScaleFactor: scaleFactor, ImageParams: sub,
	}, 0)
	dets = c.face.ClusterDetections(dets, clusterIoU)
	best := -1
	for i, x := range dets {
		if float64(x.Q) >= cfg.MinScore && (best < 0 || x.Q > dets[best].Q) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	x := dets[best]
	x.Row += roi.Min.Y
	x.Col += roi.Min.X
	return append(dets[:0], x)
}

// largeEvery spaces the searches of searchLarge while they find nothing (nobody in view):
// each costs about as much as the fineFace search at twice the width.
const largeEvery = time.Second

// searchLarge is the last resort before "no face": the frame again at twice DetectWidth (at
// most its own width), for faces from fineFace of the width. At 320 px a face of 8 % of the
// width, a person on a sofa in front of a 1080p camera, is 25 px, where pigo misses it
// often; at 640 px it is 51 px. While it keeps finding nothing it runs once per largeEvery,
// so an empty picture stays cheap. Detections are returned in the coordinates of d.gray.
func (d *detector) searchLarge(c *cascades, cfg Config, f *media.Frame) []pigo.Detection {
	w := min(f.Width, 2*cfg.DetectWidth)
	if w <= d.gw || (d.largeYet && !d.largeHit && f.PTS-d.lastLarge < largeEvery) {
		return nil
	}
	if d.large == nil {
		d.large = &detector{}
	}
	l := d.large
	l.downscale(f, w)
	dets := l.search(c, cfg, pigo.ImageParams{Pixels: l.gray, Rows: l.gh, Cols: l.gw, Dim: l.gw}, fineFace)
	d.lastLarge, d.largeYet, d.largeHit = f.PTS, true, len(dets) > 0
	k := float64(d.gw) / float64(l.gw)
	for i := range dets {
		dets[i].Row = int(float64(dets[i].Row)*k + 0.5)
		dets[i].Col = int(float64(dets[i].Col)*k + 0.5)
		dets[i].Scale = max(int(float64(dets[i].Scale)*k+0.5), 2)
	}
	return dets
}

// fineFace is the smallest face searched for when none of Config.MinFace was found: 6 %
// of the width (19 px at 320 px wide), about four times the cost of a search from 12.5 %.
const fineFace = 0.06

// search runs the face cascade for faces from minFace of the width and returns the
// clustered faces, best first: the best one from Config.MinScore, the others only from
// Config.MultiScore.
func (d *detector) search(c *cascades, cfg Config, img pigo.ImageParams, minFace float64) []pigo.Detection {
	minSize := max(int(minFace*float64(d.gw)+0.5), 12)
	maxSize := min(d.gw, d.gh)
	if minSize > maxSize {
		return nil
	}
	dets := c.face.RunCascade(pigo.CascadeParams{
		MinSize: minSize, MaxSize: maxSize, ShiftFactor: shiftFactor, ScaleFactor: scaleFactor, ImageParams: img,
	}, 0)
	dets = c.face.ClusterDetections(dets, clusterIoU)
	slices.SortFunc(dets, func(x, y pigo.Detection) int { return cmp.Compare(y.Q, x.Q) })
	dets = dropNested(dets)
	for i, x := range dets {
		if float64(x.Q) < cfg.MinScore || (i > 0 && float64(x.Q) < cfg.MultiScore) {
			dets = dets[:i]
			break
		}
	}
	return dets[:min(len(dets), maxFaces)]
}

// dropNested removes a weaker detection whose centre lies inside a stronger one (pigo
// sometimes reports a face and a part of it, such as the mouth and chin, as two faces).
// dets is sorted best first.
func dropNested(dets []pigo.Detection) []pigo.Detection {
	out := dets[:0]
	for _, x := range dets {
		inside := false
		for _, y := range out {
			r := y.Scale / 2
			if abs(x.Row-y.Row) < r && abs(x.Col-y.Col) < r {
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, x)
		}
	}
	return out
}

// pupils locates the pupils (and landmarks when loaded) of the face x.
func (d *detector) pupils(c *cascades, x pigo.Detection, img pigo.ImageParams, det *Detection, sx, sy float64) {
	s := float32(x.Scale)
	at := func(dc float32) pigo.Puploc {
		return pigo.Puploc{Row: x.Row - int(0.085*s), Col: x.Col + int(dc*s), Scale: s * 0.4, Perturbs: perturbs}
	}
	left := c.pupil.RunDetector(at(-0.185), img, 0, false)
	right := c.pupil.RunDetector(at(0.185), img, 0, false)
	det.LeftEye = scalePoint(left, sx, sy)
	det.RightEye = scalePoint(right, sx, sy)
	if c.lps == nil || det.LeftEye == (image.Point{}) || det.RightEye == (image.Point{}) {
		return
	}
	var lm [NumLandmarks]image.Point
	i := 0
	for _, n := range eyeLandmarks {
		for _, flip := range []bool{false, true} {
			lm[i] = scalePoint(c.lps[n].GetLandmarkPoint(left, right, img, perturbs, flip), sx, sy)
			i++
		}
	}
	for _, n := range mouthLandmarks {
		lm[i] = scalePoint(c.lps[n].GetLandmarkPoint(left, right, img, perturbs, false), sx, sy)
		i++
	}
	lm[i] = scalePoint(c.lps["lp84"].GetLandmarkPoint(left, right, img, perturbs, true), sx, sy)
	det.Landmarks = &lm
}

// scalePoint maps a pigo point from the detection image to the frame; pigo reports "not
// found" as a non-positive row or column, mapped to the zero point.
func scalePoint(p *pigo.Puploc, sx, sy float64) image.Point {
	if p == nil || p.Row <= 0 || p.Col <= 0 {
		return image.Point{}
	}
	return image.Pt(int(float64(p.Col)*sx+0.5), int(float64(p.Row)*sy+0.5))
}

func scaleRect(r image.Rectangle, sx, sy float64) image.Rectangle {
	return image.Rect(int(float64(r.Min.X)*sx+0.5), int(float64(r.Min.Y)*sy+0.5),
		int(float64(r.Max.X)*sx+0.5), int(float64(r.Max.Y)*sy+0.5))
}

// mean returns the mean of the detection image inside r.
func (d *detector) mean(r image.Rectangle) float64 {
	if r.Empty() {
		return 0
	}
	var sum int
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for _, v := range d.gray[y*d.gw+r.Min.X : y*d.gw+r.Max.X] {
			sum += int(v)
		}
	}
	return float64(sum) / float64(r.Dx()*r.Dy())
}

// downscale writes the luma plane of f, box-filtered to width w (never enlarged, aspect
// ratio kept), into d.gray.
func (d *detector) downscale(f *media.Frame, w int) {
	if f.Width != d.srcW || f.Height != d.srcH || d.gw != min(w, f.Width) {
		d.srcW, d.srcH = f.Width, f.Height
		d.gw = min(w, f.Width)
		d.gh = max(1, (f.Height*d.gw+f.Width/2)/f.Width)
		d.xs = bounds(d.xs, f.Width, d.gw)
		d.ys = bounds(d.ys, f.Height, d.gh)
		if cap(d.gray) < d.gw*d.gh {
			d.gray = make([]byte, d.gw*d.gh)
		}
		d.gray = d.gray[:d.gw*d.gh]
	}
	if d.gw == f.Width && d.gh == f.Height {
		for y := range d.gh {
			copy(d.gray[y*d.gw:(y+1)*d.gw], f.Y[y*f.YStride:])
		}
		return
	}
	if d.gw*2 == f.Width && d.gh*2 == f.Height {
		d.halve(f)
		return
	}
	for oy := range d.gh {
		y0, y1 := d.ys[oy], d.ys[oy+1]
		out := d.gray[oy*d.gw : (oy+1)*d.gw]
		for ox := range d.gw {
			x0, x1 := d.xs[ox], d.xs[ox+1]
			sum := 0
			for y := y0; y < y1; y++ {
				for _, v := range f.Y[y*f.YStride+x0 : y*f.YStride+x1] {
					sum += int(v)
				}
			}
			out[ox] = byte(sum / ((y1 - y0) * (x1 - x0)))
		}
	}
}

// halve is downscale for exactly half the size (640×480 to 320×240, the common case): each
// output pixel is the rounded-down mean of a 2×2 block, as the general path computes it,
// at a third of its cost.
func (d *detector) halve(f *media.Frame) {
	for oy := range d.gh {
		r0 := f.Y[2*oy*f.YStride : 2*oy*f.YStride+f.Width]
		r1 := f.Y[(2*oy+1)*f.YStride : (2*oy+1)*f.YStride+f.Width]
		out := d.gray[oy*d.gw : (oy+1)*d.gw]
		for ox := range out {
			out[ox] = byte((int(r0[2*ox]) + int(r0[2*ox+1]) + int(r1[2*ox]) + int(r1[2*ox+1])) / 4)
		}
	}
}

// bounds returns n+1 source positions splitting src pixels into n nearly equal cells.
func bounds(buf []int, src, n int) []int {
	buf = buf[:0]
	for i := 0; i <= n; i++ {
		buf = append(buf, i*src/n)
	}
	return buf
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
