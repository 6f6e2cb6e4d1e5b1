package eval

import (
	"fmt"
	"image"
	"slices"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
	"github.com/integritybot/integritybot/media/liveness"
)

// Families of a different-identity face swap failing under the active challenge the way
// real-time swappers do (docs/checks/liveness.md, "A swap that breaks"). The swapper pastes
// another person's face (IDSwapper) and finds the target face with its own detector on
// every frame, as roop, Deep-Live-Cam and DeepFaceLive do; what it does when that detector
// loses the face makes the family.
const (
	// TurnBreak: the swapper loses the face when the head turns away (its detector misses
	// it or scores it under BreakSwap.Keep of the frontal score) and shows the camera's
	// picture, the real face, until it finds the face again.
	TurnBreak = "turn_break"
	// HandPaste: the swapper keeps rendering its face where the face was while a hand
	// covers it: the face is pasted over the hand (its mask ignores the occlusion).
	HandPaste = "hand_paste"
	// HandDrop: the swapper loses the face under the hand and shows the real face with
	// the hand over it until the hand has passed.
	HandDrop = "hand_drop"
)

// BreakSwap is a real-time swap of face B onto the target's face that breaks as Mode says.
type BreakSwap struct {
	Mode string
	// Base is the target's frontal detector score (median before the challenge); Keep is
	// the share of it under which the swapper counts the face as lost (default 0.5).
	Base, Keep float64
	// Hold is how many frames the swapper keeps rendering on the last box after it lost
	// the face (default 1: one missed detection is bridged).
	Hold int

	id   *IDSwapper
	miss int
}

// NewBreakSwap returns the swap pasting the face in box of src (a still of face B) onto
// successive frames. The swapper's own detector is FrameDetections' (every frame).
func NewBreakSwap(mode string, style SwapStyle, src *media.Frame, box image.Rectangle, base float64) *BreakSwap {
	return &BreakSwap{Mode: mode, Base: base, Keep: 0.5, Hold: 1, id: NewIDSwapper(style, src, box, nil)}
}

// Frame returns a copy of f with face B pasted, and whether it was pasted (false: the
// swapper lost the face and the camera's picture shows). d is the main face the swapper's
// detector found in f (nil: none).
func (b *BreakSwap) Frame(f *media.Frame, d *face.Detection) (*media.Frame, bool) {
	sw := b.id.sw
	found := d != nil && float64(d.Score) >= b.Keep*b.Base
	if d != nil {
		sw.follow(d.Box)
	}
	if found {
		b.miss = 0
	} else {
		b.miss++
	}
	out := f.Clone()
	if !sw.have || b.Mode != HandPaste && b.miss > b.Hold {
		return out, false
	}
	b.id.pasteAt(f, out, sw.box)
	return out, true
}

// FrameDetections returns the main face a fresh copy of proto finds in each of frames (at
// fps; nil where none): a real-time swapper's detector. proto must search every frame
// (face.Config.Interval under the frame interval, e.g. a millisecond).
func FrameDetections(frames []*media.Frame, fps int, proto *face.Analyzer) []*face.Detection {
	fa := proto.Fresh()
	out := make([]*face.Detection, len(frames))
	var buf []face.Detection
	for i, f := range frames {
		g := at(f, i, fps)
		fa.Observe(g)
		buf = fa.Recent(buf[:0], 4)
		for _, d := range buf {
			if d.PTS == g.PTS && d.Rank == 0 {
				d := d
				out[i] = &d
			}
		}
	}
	return out
}

// BaseScore is the median score of the main faces in dets (frame by frame at fps) before
// until: the frontal score the swapper's Keep is a share of. 0 when no face was found.
func BaseScore(dets []*face.Detection, fps int, until time.Duration) float64 {
	var scores []float64
	for i, d := range dets {
		if frameAt(i, fps) >= until {
			break
		}
		if d != nil {
			scores = append(scores, float64(d.Score))
		}
	}
	if len(scores) == 0 {
		return 0
	}
	slices.Sort(scores)
	return scores[len(scores)/2]
}

// BreakClip is one challenge recording made from a genuine clip: the clip itself (Family
// "genuine": the live person answering the prompt) or a swap breaking under it.
type BreakClip struct {
	Source, Person string
	Family         string // "genuine", TurnBreak, HandPaste or HandDrop
	Step           string // liveness.TurnLeft or liveness.Hand
	From, Until    time.Duration
	FPS            int
	Frames         []*media.Frame // PTS set at FPS
	// Dropped is how many frames inside the prompt and its grace showed the real face
	// (the swapper had lost it); 0 for genuine clips and HandPaste.
	Dropped int
}

// breakGrace is what a recording must run on after a prompt: the liveness check's grace.
const breakGrace = 1600 * time.Millisecond

// MakeTurnBreak builds the turn-break recording of frames (a genuine clip at fps, dets its
// FrameDetections): face B (box of src) swapped on, lost where the target's head turns away.
// The "turn left" prompt is placed on the longest stretch where the swapper lost the face,
// from 0.8 s before it, 4 s long as the hosted room runs it (shorter when the recording ends
// before its grace); ok is false when the swap never broke for 3 frames or more where a
// prompt fits (2.3 s of video before the break, the break over before the prompt's end).
func MakeTurnBreak(frames []*media.Frame, dets []*face.Detection, fps int, src *media.Frame, box image.Rectangle, base float64) (BreakClip, bool) {
	bs := NewBreakSwap(TurnBreak, SwapStyle{}, src, box, base)
	out := make([]*media.Frame, len(frames))
	swapped := make([]bool, len(frames))
	for i, f := range frames {
		out[i], swapped[i] = bs.Frame(at(f, i, fps), dets[i])
	}
	// The longest run of dropped frames with the swap on before and after it.
	first, last := slices.Index(swapped, true), len(swapped)-1
	for last > 0 && !swapped[last] {
		last--
	}
	best, bestLen := -1, 0
	for i := first + 1; first >= 0 && i < last; {
		if swapped[i] {
			i++
			continue
		}
		j := i
		for j < last && !swapped[j] {
			j++
		}
		if j-i > bestLen && frameAt(i, fps) >= 2300*time.Millisecond && frameAt(j, fps) <= turnUntil(i, len(frames), fps) {
			best, bestLen = i, j-i
		}
		i = j
	}
	if best < 0 || bestLen < 3 {
		return BreakClip{}, false
	}
	from := frameAt(best, fps) - 800*time.Millisecond
	c := BreakClip{Family: TurnBreak, Step: liveness.TurnLeft, From: from, Until: turnUntil(best, len(frames), fps), FPS: fps, Frames: out}
	c.Dropped = dropped(swapped, fps, c.From, c.Until+breakGrace)
	return c, true
}

// MakeHandBreaks builds, from a genuine clip at fps (dets its FrameDetections) with a "hand"
// prompt from from to until, the live hand (a hand drawn across the real face:
// liveness.HandPass) and the two swaps of face B breaking under it: HandPaste (B pasted over
// the hand) and HandDrop (B lost while the hand covers the face), the swapper's detector
// searching the frames with the hand (proto). ok is false when no face was found before the
// hand.
func MakeHandBreaks(frames []*media.Frame, dets []*face.Detection, fps int, seed uint64, from, until time.Duration, src *media.Frame, box image.Rectangle, proto *face.Analyzer, base float64) ([]BreakClip, bool) {
	var main []face.Detection
	for _, d := range dets {
		if d != nil {
			main = append(main, *d)
		}
	}
	h := liveness.NewHandPass(seed, image.Rectangle{}, from, until, liveness.HandOver)
	if h.Face = liveness.MedianFace(main, h.Start-time.Second, h.Start); h.Face.Empty() {
		return nil, false
	}
	// The hand enters from outside the face region the check watches (it would otherwise
	// appear beside the face at once), at the speed it crosses the face: the pass takes
	// longer by the extra way, within the prompt.
	h.Lead = handLead
	size := h.Size
	if size <= 0 {
		size = 1.15
	}
	k := (0.5 + 0.42*size + handLead) / (0.5 + 0.42*size)
	cross := min(time.Duration(float64(h.Cross)*k), until-from-200*time.Millisecond)
	start := max(from+100*time.Millisecond, h.Start-(cross-h.Cross)/2)
	h.Start, h.Cross = min(start, until-100*time.Millisecond-cross), cross
	live := make([]*media.Frame, len(frames))
	var fb image.Rectangle
	for i, f := range frames {
		c := at(f, i, fps).Clone()
		if dets[i] != nil {
			fb = dets[i].Box
		}
		h.Draw(c, fb, i)
		live[i] = c
	}
	out := []BreakClip{{Family: "genuine", Step: liveness.Hand, From: from, Until: until, FPS: fps, Frames: live}}
	seen := FrameDetections(live, fps, proto) // what the swapper's detector finds with the hand
	for _, mode := range []string{HandPaste, HandDrop} {
		bs := NewBreakSwap(mode, SwapStyle{}, src, box, base)
		fr := make([]*media.Frame, len(live))
		swapped := make([]bool, len(live))
		for i, f := range live {
			fr[i], swapped[i] = bs.Frame(f, seen[i])
		}
		c := BreakClip{Family: mode, Step: liveness.Hand, From: from, Until: until, FPS: fps, Frames: fr}
		if mode == HandDrop {
			c.Dropped = dropped(swapped, fps, from, until+breakGrace)
		}
		out = append(out, c)
	}
	return out, true
}

// turnUntil is the end of the turn prompt placed on a break at frame i of n: 4 s after it
// starts (0.8 s before the break), earlier when the recording ends before the grace.
func turnUntil(i, n, fps int) time.Duration {
	return min(frameAt(i, fps)+3200*time.Millisecond, frameAt(n, fps)-breakGrace)
}

// handLead is how far, in face widths, beyond the face's side the drawn hand starts and
// ends (liveness.HandPass.Lead): outside the region the liveness check watches.
const handLead = 0.6

// at returns f with the PTS of frame i at fps (a shallow copy when it differs).
func at(f *media.Frame, i, fps int) *media.Frame {
	if t := frameAt(i, fps); f.PTS != t {
		c := *f
		c.PTS = t
		return &c
	}
	return f
}

func frameAt(i, fps int) time.Duration { return time.Duration(i) * time.Second / time.Duration(fps) }

// dropped counts the frames from from to to that were not swapped.
func dropped(swapped []bool, fps int, from, to time.Duration) int {
	n := 0
	for i, s := range swapped {
		if t := frameAt(i, fps); !s && t >= from && t <= to {
			n++
		}
	}
	return n
}

// ChallengeScore is how the liveness check judged a BreakClip.
type ChallengeScore struct {
	Check report.Check
	// Kind is the prompt's evidence kind (responded, stayed_frontal, face_break, ...).
	Kind string
	// Without and KindWithout are the same without the frame-by-frame switch rule
	// (liveness.Config.NoSwitch): what the check said before it.
	Without     report.Check
	KindWithout string
	// The strongest one-frame jump of the face region in the prompt and its grace
	// (liveness.Analyzer.StrongestCut).
	CutBlocks int
	CutIso    float64
	CutAt     time.Duration
	// Cuts and Cuts2 are the largest and second largest standing-alone jump counts at 8,
	// 12, 16, 20, 24, 32 levels (liveness.Analyzer.StrongestCuts).
	Cuts, Cuts2 [6]int
}

// ScoreChallenge runs the face check (a fresh copy of faces, at its own interval) and the
// liveness check over c with its prompt, as a call's session does (every frame), and
// returns the liveness result at the end of the recording.
func ScoreChallenge(c BreakClip, faces *face.Analyzer) (ChallengeScore, error) {
	if len(c.Frames) == 0 {
		return ChallengeScore{}, fmt.Errorf("%s %s: no frames", c.Source, c.Family)
	}
	fa := faces.Fresh()
	lv := liveness.New(liveness.Config{}, fa)
	off := liveness.New(liveness.Config{NoSwitch: true}, fa) // the check without the switch rule
	lv.Challenge(c.Step, c.From, c.Until)
	off.Challenge(c.Step, c.From, c.Until)
	for i, f := range c.Frames {
		g := at(f, i, c.FPS)
		fa.Observe(g)
		lv.Observe(g)
		off.Observe(g)
	}
	end := frameAt(len(c.Frames), c.FPS)
	lv.Finish(end)
	off.Finish(end)
	s := ChallengeScore{Check: lv.Result(end), Without: off.Result(end)}
	s.Kind, s.KindWithout = promptKind(s.Check), promptKind(s.Without)
	s.CutBlocks, s.CutIso, s.CutAt = lv.StrongestCut(c.From, c.Until+1500*time.Millisecond)
	s.Cuts, s.Cuts2 = lv.StrongestCuts(c.From, c.Until+1500*time.Millisecond)
	return s, nil
}

// promptKind is the evidence kind of c's prompt (its first item; pulse and blinks are off).
func promptKind(c report.Check) string {
	for _, e := range c.Evidence {
		if e.UntilS != nil {
			return e.Kind
		}
	}
	return ""
}
