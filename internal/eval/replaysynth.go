package eval

import (
	"context"
	"fmt"
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
	photoDuration  = 10 * time.Second // a moving picture
	replayKbps     = 600              // VP8 bitrate of the files (a call at 320×240 to 480×360)
	replayW        = 320              // size of the files made from stills
	replayH        = 240
)

// SplitOf returns "tune" or "test" for a person id (attack.SplitOf).
func SplitOf(person string) string { return attack.SplitOf(person) }

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
	stills = spread(stills, maxStills)
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
	if err := writeSplits(dir, rows, clips); err != nil {
		return nil, err
	}
	return rows, nil
}

// writeSplits writes replay_tune.csv and replay_test.csv into dir: each half's replay
// rows and the corpus's genuine clips of that half (by absolute path), so that a half
// can be evaluated alone: integritybot eval DIR/replay_test.csv.
func writeSplits(dir string, rows, clips []Row) error {
	for _, split := range []string{"tune", "test"} {
		var out []Row
		for _, r := range rows {
			if SplitOf(r.Person) == split {
				out = append(out, r)
			}
		}
		for _, c := range clips {
			if SplitOf(c.Person) == split {
				abs, err := filepath.Abs(c.File)
				if err != nil {
					return fmt.Errorf("replay splits: %w", err)
				}
				c.Path = abs
				out = append(out, c)
			}
		}
		var b strings.Builder
		if err := WriteLabels(&b, out); err != nil {
			return fmt.Errorf("replay splits: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, "replay_"+split+".csv"), []byte(b.String()), 0o644); err != nil {
			return fmt.Errorf("replay splits: %w", err)
		}
	}
	return nil
}

// maxStills bounds the stills moved (12 per family): each file takes seconds to make and
// to analyze on a shared machine.
const maxStills = 72

// spread returns at most n rows of rs, evenly spaced.
func spread(rs []Row, n int) []Row {
	if len(rs) <= n {
		return rs
	}
	out := make([]Row, n)
	for i := range out {
		out[i] = rs[i*len(rs)/n]
	}
	return out
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
		pic, bg = attack.Printed(pic), attack.Wall(pic.Width, pic.Height, uint64(seed))
	case "replay_screen_shake":
		pic, bg = attack.OnScreen(pic), attack.Wall(pic.Width, pic.Height, uint64(seed))
	}
	n := int(photoDuration.Seconds()) * replayFPS
	m := attack.NewMotion(strings.TrimPrefix(family, "replay_"), uint64(seed))
	frames := make([]*media.Frame, n)
	for k := range frames {
		frames[k] = attack.Warp(pic, bg, m.At(float64(k)/replayFPS))
	}
	return writeReplayRow(dir, src.row, LabelAttack, family, seed, frames, fmt.Sprintf("%s moved: %s", describeSource(src), m))
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
