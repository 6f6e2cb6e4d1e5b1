package eval

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/ivf"
	"github.com/integritybot/integritybot/media/replay/attack"
	"github.com/integritybot/integritybot/media/vpx"
)

// Replay attack families (issue 14), made by synthReplay, each targeting the replay check.
//
// A still picture moved in front of the camera, or played by a virtual camera, moves as
// one plane: photo_zoom (a slow zoom with a small sideways sway: the "Ken Burns" effect
// of a virtual camera), photo_pan (a slow pan), photo_sway (a picture swaying sideways
// and rocking a little, as on a stand or in a steady hand) and photo_shake (a picture
// held in a hand: small quick shakes in shift, rotation, scale and tilt). print_shake and
// screen_shake are the same hand-held motion of a recaptured picture: a printout (paper
// margin, lower contrast, warmer colour) or a phone screen (black bezel, raised black
// level, a faint moiré) held in front of a wall. loop_1s to loop_4s play the first 1-4 s
// of a genuine clip again and again.
//
// Every file is VP8-encoded (IVF), as the call would deliver it. Sources are split by
// person into a tuning half and a test half (SplitOf); the labels' "content" names the
// split and the file names start with it, so each half can be evaluated on its own.
//
// The names start with "replay_", which makes the replay check their target (TargetCheck).
var ReplayAttacks = []string{"replay_photo_zoom", "replay_photo_pan", "replay_photo_sway", "replay_photo_shake",
	"replay_print_shake", "replay_screen_shake", "replay_loop_1s", "replay_loop_2s", "replay_loop_3s", "replay_loop_4s"}

// AllReplay as SynthOptions.Replay makes the replay families from every still and clip.
const AllReplay = -1

// Genuine negatives made by synthReplay: a genuine clip slowed 2 or 4 times by blending
// neighbouring frames (a person moving as little as a news reader, over 12 s), labelled
// genuine with the content "lowmotion".
const lowMotionContent = "lowmotion"

// Replay synthesis parameters.
const (
	replayFPS      = 15
	replayDuration = 12 * time.Second // long enough for a 4 s loop to be shown three times
	replayKbps     = 800              // VP8 bitrate of the files (a call at 480×360)
	replayW        = 480              // size of the files made from stills
	replayH        = 360
)

// SplitOf returns "tune" or "test" for a person id: a fixed hash, so a person stays in
// one half whatever else the corpus holds.
func SplitOf(person string) string {
	h := fnv.New32a()
	h.Write([]byte(person))
	if h.Sum32()%2 == 0 {
		return "tune"
	}
	return "test"
}

// replaySource is one picture or clip the replay families are made from.
type replaySource struct {
	row   Row
	still *media.Frame   // a still picture (or a clip's first frame)
	clip  []*media.Frame // a genuine clip at replayFPS, when the source is a clip
}

// synthReplay writes the replay families into dir: every photo of the corpus (photo/ and
// train/faces/) and the first frame of every genuine clip as a moving picture (the
// families taking turns), every genuine clip looped (1-4 s taking turns) and slowed.
// max bounds the sources of each kind (0: all).
func synthReplay(ctx context.Context, dir string, opt SynthOptions, corpus []Row, max int) ([]Row, error) {
	train, _ := ReadLabels(filepath.Join(opt.Corpus, "train", "labels.csv")) // optional
	for i := range train {
		train[i].File = filepath.Join(opt.Corpus, train[i].Path) // its paths start at the corpus root
	}
	var stills, clips []Row
	for _, r := range append(append([]Row(nil), corpus...), train...) {
		switch {
		case r.Label == LabelPhoto, r.Label == LabelGenuineStill && !strings.HasPrefix(r.Path, "replay/"):
			stills = append(stills, r)
		case r.Label == LabelGenuine:
			clips = append(clips, r)
		}
	}
	if max > 0 {
		stills, clips = stills[:min(max, len(stills))], clips[:min(max, len(clips))]
	}
	var rows []Row
	photoFamilies := ReplayAttacks[:6]
	for i, s := range stills {
		fr, err := loadClip(ctx, SynthOptions{Open: opt.Open, FPS: 1, Duration: time.Second}, s.File)
		if err != nil {
			return nil, fmt.Errorf("replay from %s: %w", s.Path, err)
		}
		src := replaySource{row: s, still: fitSize(fr[0], replayW, replayH)}
		row, err := writeMoving(dir, src, photoFamilies[i%len(photoFamilies)], i)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	for i, c := range clips {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		frames, err := loadClip(ctx, SynthOptions{Open: opt.Open, FPS: replayFPS, Duration: 10 * time.Second}, c.File)
		if err != nil {
			return nil, fmt.Errorf("replay from %s: %w", c.Path, err)
		}
		src := replaySource{row: c, still: frames[0], clip: frames}
		more, err := clipFamilies(dir, src, i, photoFamilies)
		if err != nil {
			return nil, err
		}
		rows = append(rows, more...)
	}
	return rows, nil
}

// clipFamilies makes from the i-th genuine clip: its first frame moved (a family in
// turn), a loop of 1-4 s (in turn), and the clip slowed 2 or 4 times (in turn).
func clipFamilies(dir string, src replaySource, i int, photoFamilies []string) ([]Row, error) {
	var rows []Row
	row, err := writeMoving(dir, src, photoFamilies[(i+3)%len(photoFamilies)], 1000+i)
	if err != nil {
		return nil, err
	}
	rows = append(rows, row)
	n := int(replayDuration.Seconds()) * replayFPS
	if sec := 1 + i%4; len(src.clip) >= sec*replayFPS+replayFPS {
		period := sec * replayFPS
		var frames []*media.Frame
		for len(frames) < n {
			frames = append(frames, src.clip[:min(period, n-len(frames))]...)
		}
		attack := fmt.Sprintf("replay_loop_%ds", sec)
		row, err := writeReplayRow(dir, src.row, LabelAttack, attack, i, frames,
			fmt.Sprintf("the first %d s of the genuine clip played again and again for %s", sec, replayDuration))
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	// 2 or 4 times slower in turn; a short clip as slow as it takes to fill the file.
	k := max(2.0+2*float64(i%2), math.Ceil(float64(n)/float64(len(src.clip))))
	if slow := attack.Slowed(src.clip, k, n); len(slow) >= 8*replayFPS {
		row, err := writeReplayRow(dir, src.row, LabelGenuine, "", i, slow,
			fmt.Sprintf("%s: the genuine clip played %.0f times slower (neighbouring frames blended): a live person moving very little", lowMotionContent, k))
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// writeMoving writes src's still picture moved as family says.
func writeMoving(dir string, src replaySource, family string, seed int) (Row, error) {
	pic := src.still
	var bg *media.Frame
	switch family {
	case "replay_print_shake":
		pic, bg = printed(pic), wall(pic.Width, pic.Height, uint64(seed))
	case "replay_screen_shake":
		pic, bg = onScreen(pic), wall(pic.Width, pic.Height, uint64(seed))
	}
	n := int(replayDuration.Seconds()) * replayFPS
	m := newMotion(family, uint64(seed))
	frames := make([]*media.Frame, n)
	for k := range frames {
		frames[k] = warp(pic, bg, m.at(float64(k)/replayFPS))
	}
	return writeReplayRow(dir, src.row, LabelAttack, family, seed, frames, fmt.Sprintf("%s moved: %s", describeSource(src), m.describe()))
}

func describeSource(src replaySource) string {
	if src.clip != nil {
		return "the first frame of genuine clip " + src.row.Path
	}
	return "the still " + src.row.Path
}

// writeReplayRow encodes frames as VP8 into <split>_<attack or lowmotion>_<n>.ivf.
func writeReplayRow(dir string, src Row, label, attack string, n int, frames []*media.Frame, content string) (Row, error) {
	split := SplitOf(src.Person)
	kind := attack
	if kind == "" {
		kind = lowMotionContent
	}
	name := fmt.Sprintf("%s_%s_%d.ivf", split, strings.TrimPrefix(kind, "replay_"), n)
	if err := writeIVF(filepath.Join(dir, name), frames, replayFPS, replayKbps); err != nil {
		return Row{}, fmt.Errorf("replay %s from %s: %w", kind, src.Path, err)
	}
	f := frames[0]
	return Row{Path: name, Label: label, Attack: attack, Person: src.Person, Extra: map[string]string{
		"width_x_height": fmt.Sprintf("%dx%d", f.Width, f.Height),
		"duration_s":     fmt.Sprintf("%.2f", float64(len(frames))/replayFPS),
		"fps":            strconv.Itoa(replayFPS), "codec": "vp8",
		"content":           split + " split: " + content,
		"source":            "synthesized by integritybot eval --synthesize from " + src.Path,
		"licence_as_stated": "derived from the source; its licence applies",
	}}, nil
}

// writeIVF encodes frames as VP8 at kbps into an IVF file.
func writeIVF(path string, frames []*media.Frame, fps, kbps int) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w, h := frames[0].Width, frames[0].Height
	iw, err := ivf.NewWriter(f, ivf.Header{Codec: vpx.VP8, Width: w, Height: h, TimebaseNum: 1, TimebaseDen: uint32(fps)})
	if err != nil {
		return err
	}
	enc, err := vpx.NewEncoder(vpx.VP8, w, h, fps, kbps)
	if err != nil {
		return err
	}
	defer enc.Close()
	for i, pic := range frames {
		pkts, err := enc.Encode(pic, i == 0)
		if err != nil {
			return err
		}
		for _, p := range pkts {
			if err := iw.WriteFrame(p.Data, uint64(i)); err != nil {
				return err
			}
		}
	}
	return iw.Close()
}

// fitSize returns the w×h window of p (even sides) centred across and at 40 % down
// (where a portrait's face is), as large as p allows, resampled.
func fitSize(p *media.Frame, w, h int) *media.Frame {
	pw, ph := float64(p.Width), float64(p.Height)
	aspect := float64(w) / float64(h)
	cw := math.Min(pw, ph*aspect)
	ch := cw / aspect
	y0 := math.Max(0, math.Min(ph*0.4-ch/2, ph-ch))
	return resize(p, w, h, (pw-cw)/2, y0, cw, ch)
}

// mathPi is a short name for the sinusoids below.
const mathPi = math.Pi

// sinus is one sinusoidal component of a motion: amplitude, period in seconds, phase.
type sinus struct{ amp, period, phase float64 }

func (s sinus) at(t float64) float64 { return s.amp * math.Sin(2*mathPi*t/s.period+s.phase) }

// motion is how a picture moves over time: a zoom rate, a drift, and sinusoids for
// shift, rotation, scale and tilt.
type motion struct {
	family     string
	zoomPerSec float64 // relative zoom per second
	dx, dy     float64 // drift, in picture widths per second
	sx, sy     []sinus // shift, in picture widths
	rot        []sinus // rotation, radians
	scale      []sinus // relative scale
	tilt       []sinus // perspective (keystone) term, per picture width
}

// pose is the transform of one frame: scale, rotation, shift (picture widths), tilt.
type pose struct{ s, r, x, y, p float64 }

// newMotion draws a motion of family from seed (deterministic).
func newMotion(family string, seed uint64) motion {
	rnd := splitmix(seed*7919 + 17)
	u := func(a, b float64) float64 { return a + (b-a)*rnd() }
	ph := func() float64 { return u(0, 2*mathPi) }
	m := motion{family: family}
	switch family {
	case "replay_photo_zoom":
		m.zoomPerSec = u(0.004, 0.012) // 5-15 % over 12 s
		m.sx = []sinus{{u(0.01, 0.02), u(4, 7), ph()}}
	case "replay_photo_pan":
		m.dx, m.dy = u(0.004, 0.008)*sign(rnd()), u(-0.002, 0.002)
	case "replay_photo_sway":
		m.sx = []sinus{{u(0.01, 0.025), u(3, 6), ph()}}
		m.rot = []sinus{{u(0.005, 0.02), u(3, 6), ph()}}
	default: // replay_photo_shake, replay_print_shake, replay_screen_shake: a hand
		for _, per := range []float64{u(0.4, 0.8), u(1, 2), u(2.5, 4)} {
			m.sx = append(m.sx, sinus{u(0.002, 0.006), per, ph()})
			m.sy = append(m.sy, sinus{u(0.002, 0.006), per * u(0.8, 1.2), ph()})
			m.rot = append(m.rot, sinus{u(0.003, 0.01), per * u(0.8, 1.2), ph()})
			m.scale = append(m.scale, sinus{u(0.002, 0.006), per * u(0.8, 1.2), ph()})
			m.tilt = append(m.tilt, sinus{u(0.005, 0.02), per * u(0.8, 1.2), ph()})
		}
	}
	return m
}

func sign(v float64) float64 {
	if v < 0.5 {
		return -1
	}
	return 1
}

// splitmix returns a deterministic generator of floats in [0, 1).
func splitmix(seed uint64) func() float64 {
	s := seed
	return func() float64 {
		s += 0x9e3779b97f4a7c15
		z := s
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		return float64(z>>11) / (1 << 53)
	}
}

func sum(ss []sinus, t float64) float64 {
	v := 0.0
	for _, s := range ss {
		v += s.at(t)
	}
	return v
}

func (m motion) at(t float64) pose {
	return pose{
		s: (1 + m.zoomPerSec*t) * (1 + sum(m.scale, t)),
		r: sum(m.rot, t),
		x: m.dx*t + sum(m.sx, t),
		y: m.dy*t + sum(m.sy, t),
		p: sum(m.tilt, t),
	}
}

func (m motion) describe() string {
	switch m.family {
	case "replay_photo_zoom":
		return fmt.Sprintf("a slow zoom (%.1f %% a second) with a sideways sway of %.1f %% of the width", 100*m.zoomPerSec, 100*m.sx[0].amp)
	case "replay_photo_pan":
		return fmt.Sprintf("a slow pan (%.1f %% of the width a second)", 100*math.Abs(m.dx))
	case "replay_photo_sway":
		return fmt.Sprintf("a sideways sway of %.1f %% of the width rocking %.1f degrees", 100*m.sx[0].amp, m.rot[0].amp*180/mathPi)
	case "replay_print_shake":
		return "printed (paper margin, lower contrast, warmer) and held in a shaking hand in front of a wall"
	case "replay_screen_shake":
		return "shown on a phone screen (black bezel, raised blacks, faint moiré) held in a shaking hand in front of a wall"
	}
	return "held in a shaking hand (small quick shifts, rotation, scale and tilt)"
}

// warp renders pic moved by ps into a frame of pic's size: the picture is scaled by
// ps.s about its centre, rotated by ps.r, shifted by (ps.x, ps.y) picture widths and
// tilted (a keystone: the right side nearer by ps.p). Outside the picture is bg (a
// hand-held print or screen) or the picture's edge repeated (a virtual camera's crop;
// the zoom keeps it inside).
func warp(pic, bg *media.Frame, ps pose) *media.Frame {
	w, h := pic.Width, pic.Height
	var out *media.Frame
	if bg != nil {
		out = bg.Clone()
	} else {
		out = flat(w, h, 0, 128, 128)
	}
	if bg == nil {
		ps.s *= 1.06 // a virtual camera crops a little inside the picture: no edge shows
	}
	cx, cy := float64(w)/2, float64(h)/2
	cos, sin := math.Cos(ps.r), math.Sin(ps.r)
	// inverse maps an output pixel to the picture: undo the shift, the tilt, the
	// rotation and the scale.
	inverse := func(x, y float64) (float64, float64, bool) {
		x -= cx + ps.x*float64(w)
		y -= cy + ps.y*float64(w)
		d := 1 + ps.p*x/float64(w)
		if d <= 0.1 {
			return 0, 0, false
		}
		x, y = x/d, y/d
		x, y = (cos*x+sin*y)/ps.s, (-sin*x+cos*y)/ps.s
		return x + cx, y + cy, true
	}
	plane := func(dst []byte, stride, dw, dh int, src []byte, sstride, sw, sh, div int) {
		for y := range dh {
			for x := range dw {
				sx, sy, ok := inverse(float64(x*div)+float64(div)/2, float64(y*div)+float64(div)/2)
				if !ok {
					continue
				}
				sx, sy = sx/float64(div)-0.5, sy/float64(div)-0.5
				if bg != nil && (sx < 0 || sy < 0 || sx > float64(sw-1) || sy > float64(sh-1)) {
					continue
				}
				dst[y*stride+x] = bilinear(src, sstride, sw, sh, sx, sy)
			}
		}
	}
	plane(out.Y, out.YStride, w, h, pic.Y, pic.YStride, pic.Width, pic.Height, 1)
	cw, ch := (w+1)/2, (h+1)/2
	plane(out.U, out.UVStride, cw, ch, pic.U, pic.UVStride, (pic.Width+1)/2, (pic.Height+1)/2, 2)
	plane(out.V, out.UVStride, cw, ch, pic.V, pic.UVStride, (pic.Width+1)/2, (pic.Height+1)/2, 2)
	return out
}

// bilinear samples src at (x, y), clamped to the plane.
func bilinear(src []byte, stride, w, h int, x, y float64) byte {
	ix, iy := int(math.Floor(x)), int(math.Floor(y))
	fx, fy := x-float64(ix), y-float64(iy)
	x1, x2 := clampi(ix, w), clampi(ix+1, w)
	y1, y2 := clampi(iy, h), clampi(iy+1, h)
	a := float64(src[y1*stride+x1])*(1-fx) + float64(src[y1*stride+x2])*fx
	b := float64(src[y2*stride+x1])*(1-fx) + float64(src[y2*stride+x2])*fx
	return byte(a*(1-fy) + b*fy + 0.5)
}

// printed returns pic as a printout photographed by a camera: scaled to 80 % inside a
// white paper margin, contrast reduced (paper does not reach the screen's black), a
// warmer tint (office light on paper).
func printed(pic *media.Frame) *media.Frame {
	w, h := pic.Width, pic.Height
	out := flat(w, h, 225, 124, 134)
	inner := resize(pic, w*4/5, h*4/5, 0, 0, float64(w), float64(h))
	ox, oy := w/10, h/10
	for y := range inner.Height {
		for x := range inner.Width {
			out.Y[(y+oy)*out.YStride+x+ox] = byte(40 + float64(inner.Y[y*inner.YStride+x])*0.7)
		}
	}
	for y := range (inner.Height + 1) / 2 {
		for x := range (inner.Width + 1) / 2 {
			i, o := y*inner.UVStride+x, (y+oy/2)*out.UVStride+x+ox/2
			out.U[o] = byte(128 + (float64(inner.U[i])-128)*0.7 - 4)
			out.V[o] = byte(128 + (float64(inner.V[i])-128)*0.7 + 6)
		}
	}
	return out
}

// onScreen returns pic as shown on a phone screen photographed by a camera: scaled to
// 84 % inside a black bezel, the black level raised (a lit screen), a faint moiré of
// two close line frequencies beating.
func onScreen(pic *media.Frame) *media.Frame {
	w, h := pic.Width, pic.Height
	out := flat(w, h, 18, 128, 128)
	inner := resize(pic, w*21/25, h*21/25, 0, 0, float64(w), float64(h))
	ox, oy := w*2/25, h*2/25
	for y := range inner.Height {
		for x := range inner.Width {
			moire := 4 * math.Sin(2*mathPi*(float64(x)*0.47+float64(y)*0.05))
			v := 24 + float64(inner.Y[y*inner.YStride+x])*0.85 + moire
			out.Y[(y+oy)*out.YStride+x+ox] = byte(math.Max(0, math.Min(255, v)))
		}
	}
	for y := range (inner.Height + 1) / 2 {
		for x := range (inner.Width + 1) / 2 {
			i, o := y*inner.UVStride+x, (y+oy/2)*out.UVStride+x+ox/2
			out.U[o] = byte(128 + (float64(inner.U[i])-128)*0.9 + 3) // a bluish white point
			out.V[o] = inner.V[i]
		}
	}
	return out
}

// wall returns a w×h plain wall with a soft light gradient and a little texture.
func wall(w, h int, seed uint64) *media.Frame {
	rnd := splitmix(seed + 99)
	base, slope := 120+60*rnd(), 30*(rnd()-0.5)
	out := flat(w, h, 0, byte(120+16*rnd()), byte(122+16*rnd()))
	for y := range h {
		for x := range w {
			v := base + slope*float64(x)/float64(w) + 3*math.Sin(float64(x)*0.13+float64(y)*0.07)
			out.Y[y*out.YStride+x] = byte(v)
		}
	}
	return out
}
