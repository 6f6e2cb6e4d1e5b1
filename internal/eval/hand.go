package eval

import (
	"context"
	"fmt"
	"image"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
	"github.com/integritybot/integritybot/media/liveness"
)

// HandAttacks are the liveness attacks Synthesize makes from each source clip, after a
// genuine counterpart (label genuine, a live hand): a "hand across the face" prompt on a real
// corpus face with a hand drawn across it (media/liveness HandPass), and the same pass with
// the face rendered in front of the hand (hand_swap_over) or flashing in front of it and
// behind it every two frames (hand_swap_flash), as real-time swappers do. The hand is drawn,
// not filmed: these rows measure the face detector's and the rule's response to an occluder
// over a real face, not a real hand's shading or a real swapper.
var HandAttacks = []string{liveness.HandSwapOver, liveness.HandSwapFlash}

// ChallengeColumn is the labels column naming the liveness prompt a recording answers, as
// "STEP FROM-UNTIL" in seconds ("hand 2.00-7.00"): Run tells the row's analyzers about it
// the way the hosted room does during a call.
const ChallengeColumn = "challenge"

// handFrom is where the hand prompt starts in a synthesized file (a quarter of shorter files):
// after enough face for the check's baseline (it reads up to 4 s before a prompt).
const handFrom = 2 * time.Second

// synthHands writes, for each of the first opt.Hands clips (default opt.Sources), the live
// hand and HandAttacks.
func synthHands(ctx context.Context, dir string, opt SynthOptions, clips []Row) ([]Row, error) {
	proto := opt.Faces
	if proto == nil {
		var err error
		if proto, err = face.New(face.Config{}); err != nil {
			return nil, fmt.Errorf("hand: %w", err)
		}
	}
	from := min(handFrom, opt.Duration/4)
	// The check scores a prompt once 1.5 s of grace have passed after it (network and
	// reaction time): the file must go on that long.
	until := min(from+5*time.Second, opt.Duration-1600*time.Millisecond)
	if until-from < 1500*time.Millisecond {
		return nil, nil // too short for a prompt with a hand passing
	}
	n := opt.Sources
	if opt.Hands > 0 {
		n = opt.Hands
	}
	var rows []Row
	for i, src := range clips[:min(n, len(clips))] {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		frames, err := loadClip(ctx, opt, src.File)
		if err != nil {
			return nil, fmt.Errorf("hand from %s: %w", src.Path, err)
		}
		dets := handTrack(proto.Fresh(), frames, opt.FPS)
		h := liveness.NewHandPass(uint64(i+1), image.Rectangle{}, from, until, "")
		if h.Face = liveness.MedianFace(dets, h.Start-time.Second, h.Start); h.Face.Empty() {
			continue // no face to draw on
		}
		for _, mode := range append([]string{liveness.HandOver}, HandAttacks...) {
			h.Mode = mode
			r, err := writeHand(dir, src, i+1, frames, dets, h, from, until, opt.FPS)
			if err != nil {
				return nil, fmt.Errorf("hand from %s: %w", src.Path, err)
			}
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// handTrack returns the main face detections of frames (numbered at fps).
func handTrack(fa *face.Analyzer, frames []*media.Frame, fps int) []face.Detection {
	var out, buf []face.Detection
	for i, f := range frames {
		c := *f
		c.PTS = time.Duration(i) * time.Second / time.Duration(fps)
		fa.Observe(&c)
		buf = fa.Recent(buf[:0], 4)
		out = liveness.MainFaces(out, buf, c.PTS)
	}
	return out
}

// writeHand draws h on copies of frames (the swap follows the newest detection) and writes
// the file with its row.
func writeHand(dir string, src Row, n int, frames []*media.Frame, dets []face.Detection, h liveness.HandPass, from, until time.Duration, fps int) (Row, error) {
	out := make([]*media.Frame, len(frames))
	k := 0
	var box image.Rectangle
	for i, f := range frames {
		c := f.Clone()
		c.PTS = time.Duration(i) * time.Second / time.Duration(fps)
		for k < len(dets) && dets[k].PTS <= c.PTS {
			box = dets[k].Box
			k++
		}
		h.Draw(c, box, i)
		out[i] = c
	}
	name := fmt.Sprintf("%s_%d.y4m", h.Mode, n)
	if h.Mode == liveness.HandOver {
		name = fmt.Sprintf("hand_live_%d.y4m", n)
	}
	if err := writeY4M(filepath.Join(dir, name), out, fps); err != nil {
		return Row{}, err
	}
	what := map[string]string{
		liveness.HandOver:      "a hand drawn across the face (a live hand: the face is covered)",
		liveness.HandSwapOver:  "a hand drawn across the face with the face pasted back in front of it (a swap rendering over the hand)",
		liveness.HandSwapFlash: "a hand drawn across the face, the face pasted back in front of it on every other pair of frames (a flashing swap)",
	}[h.Mode]
	g := generator{src: src, opt: SynthOptions{FPS: fps}}
	w, ht := frames[0].Width, frames[0].Height
	r := g.row(name, h.Mode, w, ht, fps, len(out), "rawvideo", fmt.Sprintf("the genuine clip with %s at %.1f-%.1f s, inside a hand prompt at %.1f-%.1f s; drawn, not filmed",
		what, h.Start.Seconds(), (h.Start+h.Cross).Seconds(), from.Seconds(), until.Seconds()))
	if h.Mode == liveness.HandOver {
		r.Label, r.Attack = LabelGenuine, ""
	}
	r.Extra[ChallengeColumn] = fmt.Sprintf("%s %.2f-%.2f", liveness.Hand, from.Seconds(), until.Seconds())
	return r, nil
}

// withChallenge returns cfg whose analyzers are told the row's liveness prompt (its
// ChallengeColumn), as the hosted room tells a call's; cfg itself when the row has none.
func withChallenge(cfg bot.Config, row Row) bot.Config {
	step, from, until, ok := parseChallenge(row.Extra[ChallengeColumn])
	if !ok {
		return cfg
	}
	return bot.WithChallenge(cfg, step, from, until)
}

// parseChallenge reads "STEP FROM-UNTIL" (seconds).
func parseChallenge(s string) (step string, from, until time.Duration, ok bool) {
	step, span, found := strings.Cut(strings.TrimSpace(s), " ")
	a, b, found2 := strings.Cut(strings.TrimSpace(span), "-")
	if !found || !found2 || step == "" {
		return "", 0, 0, false
	}
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil || x < 0 || y <= x {
		return "", 0, 0, false
	}
	return step, time.Duration(x * float64(time.Second)), time.Duration(y * float64(time.Second)), true
}
