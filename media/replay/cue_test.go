package replay

import (
	"image"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
)

// fixedFaces stands in for the face check: one face box, found on every frame.
type fixedFaces struct {
	box image.Rectangle
	pts time.Duration // the newest frame's
}

func (ff *fixedFaces) Recent(dst []face.Detection, _ int) []face.Detection {
	return append(dst, face.Detection{PTS: ff.pts, Box: ff.box, Faces: 1})
}

// The synthetic scenes are 640×480 with the face box at (250,170)-(390,310): 140 px
// wide, centred at x = 320.
var sceneBox = image.Rect(250, 170, 390, 310)

// fill sets the luma of the pixels of f for which in(x, y) holds.
func fill(f *media.Frame, r image.Rectangle, y byte, in func(x, y int) bool) {
	r = r.Intersect(image.Rect(0, 0, f.Width, f.Height))
	for py := r.Min.Y; py < r.Max.Y; py++ {
		for px := r.Min.X; px < r.Max.X; px++ {
			if in == nil || in(px, py) {
				f.Y[py*f.YStride+px] = y
			}
		}
	}
}

// ellipse fills the ellipse centred at (cx, cy) with semi-axes rx, ry.
func ellipse(f *media.Frame, cx, cy, rx, ry int, y byte) {
	fill(f, image.Rect(cx-rx, cy-ry, cx+rx+1, cy+ry+1), y, func(x, py int) bool {
		dx, dy := float64(x-cx)/float64(rx), float64(py-cy)/float64(ry)
		return dx*dx+dy*dy <= 1
	})
}

// roundRect fills r with corners rounded by radius rad.
func roundRect(f *media.Frame, r image.Rectangle, rad int, y byte) {
	fill(f, r, y, func(x, py int) bool {
		cx := max(r.Min.X+rad, min(x, r.Max.X-1-rad))
		cy := max(r.Min.Y+rad, min(py, r.Max.Y-1-rad))
		return math.Hypot(float64(x-cx), float64(py-cy)) <= float64(rad)
	})
}

// head draws a face-like blob: dark hair around a skin-toned oval with eyes and a mouth.
func head(f *media.Frame, hairTop int) {
	ellipse(f, 320, 240, 84, 240-hairTop, 40) // hair
	ellipse(f, 320, 245, 62, 72, 150)         // skin
	ellipse(f, 295, 225, 10, 5, 50)           // eyes
	ellipse(f, 345, 225, 10, 5, 50)
	ellipse(f, 320, 285, 18, 5, 90) // mouth
}

// screenScene is a tablet held to the camera in a room: a dark bezel with rounded
// corners around a bright display showing a head; its top edge above the head, its
// sides 0.75 face widths from the face centre.
func screenScene(seed uint64) *media.Frame {
	f := texture(640, 480, seed)
	roundRect(f, image.Rect(197, 88, 444, 400), 20, 20)   // bezel
	roundRect(f, image.Rect(215, 106, 426, 382), 12, 190) // display
	head(f, 130)
	return f
}

// printScene is a printed photo held up: its white paper edge crosses the hair.
func printScene(seed uint64) *media.Frame {
	f := texture(640, 480, seed)
	fill(f, image.Rect(90, 150, 550, 480), 120, nil) // the photo's background
	head(f, 140)
	fill(f, image.Rect(90, 140, 550, 158), 235, nil) // the paper's white margin, over the hair
	return f
}

// liveScene is a person in front of a door: the frame's top runs above the head, its
// sides beside the face, but the head and the shoulders hide them where a held object's
// edges would run on.
func liveScene(seed uint64, dx int) *media.Frame {
	return liveOn(texture(640, 480, seed), dx)
}

// liveOn draws liveScene on a copy of the room bg.
func liveOn(bg *media.Frame, dx int) *media.Frame {
	f := bg.Clone()
	fill(f, image.Rect(0, 96, 640, 104), 235, nil)        // a shelf above the head
	fill(f, image.Rect(430+dx, 0, 440+dx, 480), 235, nil) // a door frame, right
	fill(f, image.Rect(200+dx, 0, 210+dx, 480), 235, nil) // and left
	ellipse(f, 320, 470, 250, 150, 70)                    // shoulders
	fill(f, image.Rect(290, 300, 350, 340), 140, nil)     // neck
	head(f, 120)
	return f
}

// framesOf repeats pics in turn as n frames at 15 fps with a little noise.
func framesOf(pics []*media.Frame, n int) []*media.Frame {
	out := make([]*media.Frame, n)
	for i := range out {
		f := pics[i%len(pics)].Clone()
		for k := i % 5; k < len(f.Y); k += 5 { // no two frames the same, as from a camera
			f.Y[k] = byte(max(0, min(255, int(f.Y[k])+(k*7+i*13)%5-2)))
		}
		f.PTS = time.Duration(i) * time.Second / 15
		out[i] = f
	}
	return out
}

// run feeds frames to a replay analyzer whose face check always finds sceneBox.
func run(frames []*media.Frame) report.Check {
	ff := &fixedFaces{box: sceneBox}
	a := New(Config{}, ff)
	for _, f := range frames {
		ff.pts = f.PTS
		a.Observe(f)
	}
	return a.Result(frames[len(frames)-1].PTS)
}

func TestFrameMeasure(t *testing.T) {
	var d frameDetector
	for _, tc := range []struct {
		name          string
		f             *media.Frame
		print, screen bool
	}{
		{"screen", screenScene(1), false, true},
		{"print", printScene(2), true, false},
		{"live person before a door", liveScene(3, 0), false, false},
		{"room without a face frame", texture(640, 480, 4), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := d.measure(tc.f, sceneBox)
			if !m.okTop || !m.okCorner {
				t.Fatalf("not measured: %+v", m)
			}
			if m.print != tc.print || m.screen != tc.screen {
				t.Errorf("print %v (line %s), screen %v (top %s, side %s, join %.2f); want print %v, screen %v",
					m.print, m.top, m.screen, m.cornerTop, m.cornerSide, m.cornerJoin, tc.print, tc.screen)
			}
		})
	}
}

// TestFrameLetterbox: the edges of black borders (a 4:3 picture in a wide frame) frame
// the face like a bezel; they are left out.
func TestFrameLetterbox(t *testing.T) {
	f := liveScene(5, 0)
	fill(f, image.Rect(0, 0, 640, 90), 8, nil)
	fill(f, image.Rect(0, 0, 190, 480), 8, nil)
	fill(f, image.Rect(450, 0, 640, 480), 8, nil)
	var d frameDetector
	if m := d.measure(f, sceneBox); m.screen || m.print {
		t.Fatalf("letterboxed live scene: print %v screen %v (top %s side %s join %.2f)", m.print, m.screen, m.cornerTop, m.cornerSide, m.cornerJoin)
	}
	if a := activeArea(f); a != image.Rect(190, 90, 450, 480) {
		t.Errorf("active area %v", a)
	}
}

func TestScreenAndPrint(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frames []*media.Frame
		status report.Status
		kind   string
		says   string
	}{
		{"screen still", framesOf([]*media.Frame{screenScene(1)}, 1), report.Warn, kindScreen, "frame of a phone or tablet"},
		{"print still", framesOf([]*media.Frame{printScene(2)}, 1), report.Warn, kindPrint, "edge of a printed photo"},
		{"live still", framesOf([]*media.Frame{liveScene(3, 0)}, 1), report.Unknown, "", "no edge of a screen or print"},
		{"screen video", framesOf([]*media.Frame{screenScene(1)}, 75), report.Warn, kindScreen, "From 0:00 to 0:04"},
		// A live person moving in front of the door, for 6 s.
		{"live video", framesOf(moving(90), 90), report.Pass, "", "no edge"},
		// The cue in one look of three (a door frame lining up for a moment) is not enough.
		{"flicker", framesOf(flicker(), 90), report.Pass, "", "no edge"},
		// Nor 1.5 s of it.
		{"brief", append(framesOf([]*media.Frame{screenScene(1)}, 23), shift(framesOf([]*media.Frame{liveScene(3, 0)}, 67), 23)...), report.Pass, "", "no edge"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := run(tc.frames)
			if c.Status != tc.status || !strings.Contains(c.Summary, tc.says) || c.Status != report.Pass && c.NextStep == "" {
				t.Fatalf("%s %q (next %q); want %s saying %q", c.Status, c.Summary, c.NextStep, tc.status, tc.says)
			}
			if tc.kind == "" {
				if len(c.Evidence) != 0 {
					t.Errorf("evidence %+v", c.Evidence)
				}
				return
			}
			if len(c.Evidence) != 1 || c.Evidence[0].Kind != tc.kind || c.Confidence < 0.5 || c.Confidence > 1 {
				t.Fatalf("confidence %.2f, evidence %+v", c.Confidence, c.Evidence)
			}
			checkSnapshot(t, c.Evidence[0].Snapshot)
			t.Logf("%s (%.2f): %s | %s | %s", c.Status, c.Confidence, c.Summary, c.Evidence[0].Detail, c.NextStep)
		})
	}
}

// moving is a live person before a door, the door shifting in the picture relative to
// the face as the person moves (never the same way twice: no loop).
func moving(n int) []*media.Frame {
	bg := texture(640, 480, 3)
	out := make([]*media.Frame, n)
	for i := range out {
		out[i] = liveOn(bg, int(8*math.Sin(float64(i)*0.37))+i/10)
	}
	return out
}

// flicker is a screen in one picture of three, a live person in the others.
func flicker() []*media.Frame {
	s, l := screenScene(1), liveScene(3, 0)
	var out []*media.Frame
	for range 3 { // 8 frames each: a look every half second sees each in turn
		for _, p := range []*media.Frame{s, l, l} {
			for range 8 {
				out = append(out, p)
			}
		}
	}
	return out
}

// shift delays frames by n frames at 15 fps.
func shift(frames []*media.Frame, n int) []*media.Frame {
	for _, f := range frames {
		f.PTS += time.Duration(n) * time.Second / 15
	}
	return frames
}

// TestCorpusStills runs the face check and the replay check on the corpus's stills of
// one person: the print and the screen held to the camera are flagged, the live picture
// is not (the 19 genuine clips: internal/eval's TestReplayTargets). It needs
// ../shared/corpus.
func TestCorpusStills(t *testing.T) {
	dir := corpusDir(t)
	faces := newFaces(t)
	if faces == nil {
		t.Skip("no face cascades")
	}
	for _, tc := range []struct {
		path   string
		status report.Status
		kind   string
	}{
		{"replay/silentface_F1_print_attack_upright.jpg", report.Warn, kindPrint},
		{"replay/silentface_F2_screen_replay_upright.jpg", report.Warn, kindScreen},
		{"photo/silentface_T1_live_same_person_upright.jpg", report.Unknown, ""},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			frames := loadFrames(t, filepath.Join(dir, tc.path), 0)
			c := pipeline(faces, Config{}, frames).Result(0)
			if c.Status != tc.status {
				t.Fatalf("%s: %s %q", tc.path, c.Status, c.Summary)
			}
			if tc.kind == "" {
				if len(c.Evidence) != 0 {
					t.Fatalf("%s: evidence %+v", tc.path, c.Evidence)
				}
				return
			}
			if len(c.Evidence) != 1 || c.Evidence[0].Kind != tc.kind {
				t.Fatalf("%s: evidence %+v", tc.path, c.Evidence)
			}
			checkSnapshot(t, c.Evidence[0].Snapshot)
			t.Logf("%s: %s (%.2f) %s", tc.path, c.Status, c.Confidence, c.Evidence[0].Detail)
		})
	}
}
