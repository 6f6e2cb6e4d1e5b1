package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
	"github.com/integritybot/integritybot/media/ivf"
	"github.com/integritybot/integritybot/media/replay/attack"
	"github.com/integritybot/integritybot/media/vpx"
	"github.com/integritybot/integritybot/media/y4m"
)

// Synthesized attack types, in the order Synthesize makes them.
var SynthAttacks = []string{"black", "uniform", "frozen", "loop", "photo_motion", "fps_collapse", "resolution_switch"}

// SynthOptions tune Synthesize.
type SynthOptions struct {
	Corpus   string // directory with labels.csv, genuine/ and photo/
	Open     func(ctx context.Context, path string) (media.Source, error)
	Sources  int           // genuine clips to build from (default 2)
	Duration time.Duration // length of each file (default 8 s; at most 10 s)
	FPS      int           // frame rate of the files (default 15; fps_collapse uses 2)
	// Swaps bounds the genuine clips SwapAttacks are made from (swap.go; default every
	// clip with a face of SwapMinFace; negative: none). Faces is the face detector
	// prototype they use (default: the embedded cascades, searching every frame).
	Swaps int
	Faces *face.Analyzer
	// Hands bounds the clips the hand-across-the-face rows are made from (hand.go; default
	// Sources; negative: none).
	Hands int
	// Replay bounds the stills and the clips each that the replay families (ReplayAttacks)
	// and the slowed genuine clips are made from (replaysynth.go; default none, as they
	// take minutes; AllReplay: every one; `eval --synthesize` makes them all).
	Replay int
}

func (o SynthOptions) withDefaults() SynthOptions {
	if o.Sources <= 0 {
		o.Sources = 2
	}
	if o.Duration <= 0 {
		o.Duration = 8 * time.Second
	}
	o.Duration = min(o.Duration, 10*time.Second)
	if o.FPS <= 0 {
		o.FPS = 15
	}
	return o
}

// Synthesize writes attack recordings built from the corpus's genuine clips and photos
// into dir, plus dir/labels.csv describing them in the corpus's format, and returns the
// rows. Files are Y4M except the resolution switch, which Y4M cannot express: a VP8 IVF.
func Synthesize(ctx context.Context, dir string, opt SynthOptions) ([]Row, error) {
	opt = opt.withDefaults()
	if opt.Open == nil {
		return nil, errors.New("synthesize: no Open function")
	}
	corpus, err := ReadLabels(filepath.Join(opt.Corpus, "labels.csv"))
	if err != nil {
		return nil, fmt.Errorf("synthesize: %w", err)
	}
	var clips, photos []Row
	for _, r := range corpus {
		d, _ := strconv.ParseFloat(r.Extra["duration_s"], 64)
		switch {
		case r.Label == LabelGenuine && r.Attack == "" && d >= opt.Duration.Seconds():
			clips = append(clips, r)
		case r.Label == LabelPhoto:
			photos = append(photos, r)
		}
	}
	clips = distinctSizes(clips)
	if len(clips) == 0 || len(photos) == 0 {
		return nil, fmt.Errorf("synthesize: %s needs genuine clips of at least %s and photos", opt.Corpus, opt.Duration)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("synthesize: %w", err)
	}
	var rows []Row
	for i := range min(opt.Sources, len(clips)) {
		src := clips[i]
		frames, err := loadClip(ctx, opt, src.File)
		if err != nil {
			return nil, fmt.Errorf("synthesize: %w", err)
		}
		photo, err := loadClip(ctx, SynthOptions{Open: opt.Open, FPS: 1, Duration: time.Second}, photos[i%len(photos)].File)
		if err != nil {
			return nil, fmt.Errorf("synthesize: %w", err)
		}
		g := generator{opt: opt, dir: dir, src: src, frames: frames, photo: photo[0], photoRow: photos[i%len(photos)], n: i + 1}
		for _, attack := range SynthAttacks {
			row, err := g.make(attack)
			if err != nil {
				return nil, fmt.Errorf("synthesize %s from %s: %w", attack, src.Path, err)
			}
			rows = append(rows, row)
		}
	}
	if opt.Swaps >= 0 {
		swaps, err := synthSwaps(ctx, dir, opt, corpus)
		if err != nil {
			return nil, fmt.Errorf("synthesize: %w", err)
		}
		rows = append(rows, swaps...)
	}
	if opt.Hands >= 0 {
		hands, err := synthHands(ctx, dir, opt, clips) // hand.go
		if err != nil {
			return nil, fmt.Errorf("synthesize: %w", err)
		}
		rows = append(rows, hands...)
	}
	if opt.Replay != 0 {
		more, err := synthReplay(ctx, dir, opt, corpus, max(opt.Replay, 0))
		if err != nil {
			return nil, fmt.Errorf("synthesize: %w", err)
		}
		rows = append(rows, more...)
	}
	f, err := os.Create(filepath.Join(dir, "labels.csv"))
	if err != nil {
		return nil, fmt.Errorf("synthesize: %w", err)
	}
	if err := WriteLabels(f, rows); err != nil {
		f.Close()
		return nil, fmt.Errorf("synthesize: write labels: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("synthesize: write labels: %w", err)
	}
	for i := range rows {
		rows[i].File = filepath.Join(dir, rows[i].Path)
	}
	return rows, nil
}

// distinctSizes prefers clips of different sizes (different cameras) first.
func distinctSizes(clips []Row) []Row {
	seen := map[string]bool{}
	var first, rest []Row
	for _, c := range clips {
		if k := c.Extra["width_x_height"]; !seen[k] {
			seen[k] = true
			first = append(first, c)
		} else {
			rest = append(rest, c)
		}
	}
	return append(first, rest...)
}

// loadClip reads the first opt.Duration of path resampled to opt.FPS: output frame k is
// the source frame showing at k/FPS.
func loadClip(ctx context.Context, opt SynthOptions, path string) ([]*media.Frame, error) {
	src, err := opt.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	n := int(opt.Duration.Seconds() * float64(opt.FPS))
	var out []*media.Frame
	var cur *media.Frame
	for len(out) < n {
		f, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		for len(out) < n && time.Duration(len(out))*time.Second/time.Duration(opt.FPS) < f.PTS {
			if cur == nil {
				cur = f.Clone()
			}
			out = append(out, cur)
		}
		cur = f.Clone()
	}
	for cur != nil && len(out) < n && (len(out) == 0 || src.Info().Still) {
		out = append(out, cur)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no frames", path)
	}
	return out, nil
}

// generator makes the attacks from one genuine clip.
type generator struct {
	opt      SynthOptions
	dir      string
	src      Row
	frames   []*media.Frame
	photo    *media.Frame
	photoRow Row
	n        int
}

func (g *generator) make(attack string) (Row, error) {
	fps := g.opt.FPS
	total := len(g.frames)
	w, h := g.frames[0].Width, g.frames[0].Height
	live := fps // the first second is the live candidate; then the attack starts
	var frames []*media.Frame
	content := ""
	switch attack {
	case "black":
		frames = append(frames, g.frames[:live]...)
		frames = append(frames, repeat(flat(w, h, 16, 128, 128), total-live)...)
		content = "1 s of the genuine clip, then black (camera switched off or covered)"
	case "uniform":
		frames = append(frames, g.frames[:live]...)
		frames = append(frames, repeat(flat(w, h, 120, 150, 110), total-live)...)
		content = "1 s of the genuine clip, then one flat colour (a blank virtual camera)"
	case "frozen":
		frames = append(frames, g.frames[:live]...)
		frames = append(frames, repeat(g.frames[live], total-live)...)
		content = "1 s of the genuine clip, then its next frame repeated (frozen picture)"
	case "loop":
		for len(frames) < total {
			frames = append(frames, g.frames[:min(2*fps, total-len(frames))]...)
		}
		content = "the first 2 s of the genuine clip played in a loop"
	case "photo_motion":
		frames = photoMotion(g.photo, w, h, total)
		content = "still photo " + g.photoRow.Path + " with a slow zoom and pan"
	case "fps_collapse":
		return g.fpsCollapse()
	case "resolution_switch":
		return g.resolutionSwitch()
	default:
		return Row{}, fmt.Errorf("unknown attack %q", attack)
	}
	name := fmt.Sprintf("%s_%d.y4m", attack, g.n)
	if err := writeY4M(filepath.Join(g.dir, name), frames, fps); err != nil {
		return Row{}, err
	}
	return g.row(name, attack, w, h, fps, len(frames), "rawvideo", content), nil
}

func (g *generator) row(name, attack string, w, h, fps, frames int, codec, content string) Row {
	return Row{Path: name, Label: LabelAttack, Attack: attack, Person: g.src.Person, Extra: map[string]string{
		"width_x_height": fmt.Sprintf("%dx%d", w, h),
		"duration_s":     fmt.Sprintf("%.2f", float64(frames)/float64(fps)),
		"fps":            strconv.Itoa(fps), "codec": codec, "content": content,
		"source":            "synthesized by integritybot eval --synthesize from " + g.src.Path,
		"licence_as_stated": "derived from the source; its licence applies",
	}}
}

// fpsCollapse writes the clip sampled at 2 frames per second (F2:1).
func (g *generator) fpsCollapse() (Row, error) {
	const rate = 2
	step := g.opt.FPS / rate
	var frames []*media.Frame
	for i := 0; i < len(g.frames); i += step {
		frames = append(frames, g.frames[i])
	}
	name := fmt.Sprintf("fps_collapse_%d.y4m", g.n)
	if err := writeY4M(filepath.Join(g.dir, name), frames, rate); err != nil {
		return Row{}, err
	}
	f := g.frames[0]
	return g.row(name, "fps_collapse", f.Width, f.Height, rate, len(frames), "rawvideo",
		"the genuine clip at 2 frames per second (frame-rate collapse)"), nil
}

// resolutionSwitch writes a VP8 IVF: the first half at the clip's size, the second
// half at twice the size, as when a virtual camera switches its source mid-call.
func (g *generator) resolutionSwitch() (Row, error) {
	name := fmt.Sprintf("resolution_switch_%d.ivf", g.n)
	f, err := os.Create(filepath.Join(g.dir, name))
	if err != nil {
		return Row{}, err
	}
	defer f.Close()
	w, h := g.frames[0].Width, g.frames[0].Height
	fps := g.opt.FPS
	iw, err := ivf.NewWriter(f, ivf.Header{Codec: vpx.VP8, Width: w, Height: h, TimebaseNum: 1, TimebaseDen: uint32(fps)})
	if err != nil {
		return Row{}, err
	}
	half := len(g.frames) / 2
	for _, seg := range []struct {
		from, to, w, h int
	}{{0, half, w, h}, {half, len(g.frames), 2 * w, 2 * h}} {
		enc, err := vpx.NewEncoder(vpx.VP8, seg.w, seg.h, fps, 1500)
		if err != nil {
			return Row{}, err
		}
		for i := seg.from; i < seg.to; i++ {
			pic := g.frames[i]
			if seg.w != w {
				pic = resize(pic, seg.w, seg.h, 0, 0, float64(w), float64(h))
			}
			pkts, err := enc.Encode(pic, i == seg.from)
			if err != nil {
				enc.Close()
				return Row{}, err
			}
			for _, p := range pkts {
				if err := iw.WriteFrame(p.Data, uint64(i)); err != nil {
					enc.Close()
					return Row{}, err
				}
			}
		}
		enc.Close()
	}
	if err := iw.Close(); err != nil {
		return Row{}, err
	}
	if err := f.Close(); err != nil {
		return Row{}, err
	}
	return g.row(name, "resolution_switch", w, h, fps, len(g.frames), "vp8",
		fmt.Sprintf("the genuine clip, switching from %dx%d to %dx%d half-way", w, h, 2*w, 2*h)), nil
}

func writeY4M(path string, frames []*media.Frame, fps int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := y4m.NewWriter(f, y4m.Header{Width: frames[0].Width, Height: frames[0].Height, FPSNum: fps, FPSDen: 1})
	if err != nil {
		return err
	}
	for _, fr := range frames {
		if err := w.WriteFrame(fr); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func repeat(f *media.Frame, n int) []*media.Frame {
	out := make([]*media.Frame, max(n, 0))
	for i := range out {
		out[i] = f
	}
	return out
}

// flat returns a w×h frame of one colour (attack.Flat).
func flat(w, h int, y, u, v byte) *media.Frame { return attack.Flat(w, h, y, u, v) }

// photoMotion frames a w×h window around the upper middle of photo (where a portrait's
// face is) and slowly zooms in by 20 % while panning, as a phone held to a camera or a
// virtual camera's "Ken Burns" effect would.
func photoMotion(photo *media.Frame, w, h, n int) []*media.Frame {
	pw, ph := float64(photo.Width), float64(photo.Height)
	aspect := float64(w) / float64(h)
	baseH := math.Min(ph*0.7, pw*0.9/aspect)
	out := make([]*media.Frame, n)
	for i := range out {
		t := float64(i) / float64(max(n-1, 1))
		ch := baseH / (1 + 0.2*t)
		cw := ch * aspect
		cx := pw*0.5 + pw*0.04*math.Sin(t*math.Pi) - cw/2
		cy := ph*0.35 + ph*0.02*t - ch/2
		cx = math.Max(0, math.Min(cx, pw-cw))
		cy = math.Max(0, math.Min(cy, ph-ch))
		out[i] = resize(photo, w, h, cx, cy, cw, ch)
	}
	return out
}

// resize samples the rectangle (x0, y0, cw, ch) of src into a new w×h frame, bilinearly
// (attack.Resize).
func resize(src *media.Frame, w, h int, x0, y0, cw, ch float64) *media.Frame {
	return attack.Resize(src, w, h, x0, y0, cw, ch)
}

// resizePlane samples a rectangle of one plane into dst (attack.ResizePlane).
func resizePlane(dst []byte, dstStride, w, h int, src []byte, srcStride, sw, sh int, x0, y0, cw, ch float64) {
	attack.ResizePlane(dst, dstStride, w, h, src, srcStride, sw, sh, x0, y0, cw, ch)
}

func clampi(v, n int) int { return max(0, min(v, n-1)) }
