package face

import (
	"fmt"
	"time"

	"github.com/integritybot/integritybot/media/interval"
)

// kind is the type of a finding; its name is the evidence "kind" in the report.
type kind int

const (
	kindNoFace kind = iota
	kindMultiple
	kindSmall
	kindDark
	numKinds
)

// String returns the evidence kind, such as "no_face".
func (k kind) String() string {
	switch k {
	case kindNoFace:
		return "no_face"
	case kindMultiple:
		return "multiple_faces"
	case kindSmall:
		return "face_small"
	case kindDark:
		return "face_dark"
	}
	return "unknown"
}

// finding is one time range with a problem, possibly several merged occurrences.
type finding struct {
	kind     kind
	from, to time.Duration
	n        int           // occurrences merged into this one; 0 means 1
	total    time.Duration // summed length of merged occurrences; 0 means to-from
	faces    int           // multiple_faces: most faces seen at once
	value    float64       // face_small: smallest width share; face_dark: darkest mean luma
	snap     string        // multiple_faces: evidence snapshot taken when the finding opened
}

func (f finding) count() int { return max(f.n, 1) }

func (f finding) length() time.Duration {
	if f.n > 1 {
		return f.total
	}
	return f.to - f.from
}

// run is an open stretch of consecutive detections sharing a property.
type run struct {
	on       bool
	from, to time.Duration // first and last detection of the run
	hits     int           // detections with the property
	misses   int           // consecutive detections without it, tolerated inside a run
	faces    int
	value    float64
	snap     string
}

// holdFor is how long one detection's result is assumed to hold when no newer frame
// came: a few intervals, so a stream that stops is not counted as seen.
func (c Config) holdFor() time.Duration { return max(3*c.Interval, time.Second) }

// timeline turns per-detection results into time shares and findings.
type timeline struct {
	cfg Config

	have               bool
	last               time.Duration // time of the last detection
	lastFaces          int
	analyzed, withFace time.Duration
	single, multi      time.Duration

	noFace, multiple, small, dark run
	findings                      []finding
	maxFaces                      int
}

// minMultiple is how many detections must see two or more faces before it is a finding:
// one frame with a second "face" is usually a pattern on a wall or a shirt.
const minMultiple = 3

// add records the faces found at t in a frame of the given width.
func (t *timeline) add(at time.Duration, faces []Detection, width int) {
	t.account(at)
	t.have, t.last, t.lastFaces = true, at, len(faces)
	t.maxFaces = max(t.maxFaces, len(faces))
	n := len(faces)
	var share, luma float64
	if n > 0 {
		share = float64(faces[0].Box.Dx()) / float64(width)
		luma = faces[0].Luma
	}
	t.step(&t.noFace, kindNoFace, at, n == 0, 0, t.cfg.NoFaceAfter, 1, func(r *run) {})
	t.step(&t.multiple, kindMultiple, at, n >= 2, 1, t.cfg.MultipleAfter, minMultiple, func(r *run) {
		r.faces = max(r.faces, n)
	})
	t.step(&t.small, kindSmall, at, n > 0 && share < t.cfg.SmallFace, 1, t.cfg.NoFaceAfter, 1, func(r *run) {
		if r.value == 0 || share < r.value {
			r.value = share
		}
	})
	t.step(&t.dark, kindDark, at, n > 0 && luma < t.cfg.DarkFace, 1, t.cfg.NoFaceAfter, 1, func(r *run) {
		if r.value == 0 || luma < r.value {
			r.value = luma
		}
	})
}

// account adds the time from the last detection to at to the shares of the last result.
func (t *timeline) account(at time.Duration) {
	if !t.have {
		return
	}
	d := min(at-t.last, t.cfg.holdFor())
	if d <= 0 {
		return
	}
	t.analyzed += d
	switch {
	case t.lastFaces == 1:
		t.withFace += d
		t.single += d
	case t.lastFaces > 1:
		t.withFace += d
		t.multi += d
	}
}

// step advances run r of kind k with the detection at at. A run tolerates up to
// tolerate consecutive detections without the property; it is a finding when it lasts
// longer than after and has at least hits detections.
func (t *timeline) step(r *run, k kind, at time.Duration, has bool, tolerate int, after time.Duration, hits int, upd func(*run)) {
	switch {
	case has && !r.on:
		*r = run{on: true, from: at, to: at, hits: 1}
		upd(r)
	case has:
		r.to, r.hits, r.misses = at, r.hits+1, 0
		upd(r)
	case r.on:
		r.misses++
		if r.misses > tolerate {
			// A run of missing faces lasts until the face came back; the others end at
			// their last detection with the property.
			end := r.to
			if k == kindNoFace {
				end = at
			}
			if f, ok := r.finding(k, end, after, hits); ok {
				t.addFinding(f)
			}
			r.on = false
		}
	}
}

// finding returns the finding of run r ending at end, if it is long and steady enough.
func (r *run) finding(k kind, end time.Duration, after time.Duration, hits int) (finding, bool) {
	if !r.on || end-r.from < after || r.hits < hits {
		return finding{}, false
	}
	return finding{kind: k, from: r.from, to: end, faces: r.faces, value: r.value, snap: r.snap}, true
}

// open returns the findings of runs still open at end, without changing t.
func (t *timeline) open(end time.Duration) []finding {
	var fs []finding
	for _, x := range []struct {
		r     *run
		k     kind
		after time.Duration
		hits  int
	}{
		{&t.noFace, kindNoFace, t.cfg.NoFaceAfter, 1},
		{&t.multiple, kindMultiple, t.cfg.MultipleAfter, minMultiple},
		{&t.small, kindSmall, t.cfg.NoFaceAfter, 1},
		{&t.dark, kindDark, t.cfg.NoFaceAfter, 1},
	} {
		e := x.r.to
		if x.k == kindNoFace || x.r.misses == 0 {
			e = max(x.r.to, end) // still true at the last detection: it lasts until end
		}
		if f, ok := x.r.finding(x.k, e, x.after, x.hits); ok {
			fs = append(fs, f)
		}
	}
	return fs
}

// Storage bounds: same-kind findings closer than mergeGap are one; beyond maxStored the
// closest pair of one kind is merged, so hour-long calls stay small.
const (
	mergeGap  = time.Second
	maxStored = 256
)

func (t *timeline) addFinding(f finding) {
	if n := len(t.findings); n > 0 {
		g := &t.findings[n-1]
		if g.kind == f.kind && f.from-g.to <= mergeGap {
			*g = merge(*g, f)
			return
		}
	}
	t.findings = append(t.findings, f)
	if len(t.findings) > maxStored {
		t.findings = compact(t.findings, maxStored)
	}
}

// merge joins two findings of one kind into one covering both.
func merge(a, b finding) finding {
	m := a
	m.from, m.to = min(a.from, b.from), max(a.to, b.to)
	m.n = a.count() + b.count()
	m.total = a.length() + b.length()
	m.faces = max(a.faces, b.faces)
	if m.snap == "" {
		m.snap = b.snap
	}
	if b.value > 0 && (m.value == 0 || b.value < m.value) {
		m.value = b.value
	}
	return m
}

// Kind and Span make findings compactable (media/interval).
func (f finding) Kind() int { return int(f.kind) }

// Span returns the finding's interval.
func (f finding) Span() (from, to time.Duration) { return f.from, f.to }

// compact merges the closest pairs of same-kind findings until at most limit remain.
func compact(fs []finding, limit int) []finding { return interval.Compact(fs, limit, merge) }

// secs formats a duration as seconds with one decimal, e.g. "12.0 s".
func secs(d time.Duration) string {
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// detail is the plain sentence for a finding.
func (f finding) detail() string {
	span := fmt.Sprintf("from %s to %s (%s)", secs(f.from), secs(f.to), secs(f.to-f.from))
	if f.count() > 1 {
		span = fmt.Sprintf("%d times between %s and %s (%s in total)", f.count(), secs(f.from), secs(f.to), secs(f.length()))
	}
	switch f.kind {
	case kindNoFace:
		return "No face was in view " + span + ": the candidate may have left or turned the camera away."
	case kindMultiple:
		return fmt.Sprintf("Up to %d faces were in view at once %s: someone else may be in the room, or a photo or screen shows a face.", max(f.faces, 2), span)
	case kindSmall:
		return fmt.Sprintf("The face was small (about %.0f%% of the picture width) %s, too small to judge well.", 100*f.value, span)
	case kindDark:
		return fmt.Sprintf("The face was dark (mean brightness %.0f of 255) %s, too dark to judge well.", f.value, span)
	}
	return span
}
