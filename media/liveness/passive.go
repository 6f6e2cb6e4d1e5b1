package liveness

import (
	"fmt"
	"image"
	"math"
	"strings"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/blink"
	"github.com/integritybot/integritybot/media/face"
	"github.com/integritybot/integritybot/media/pulse"
)

// Evidence kinds of the passive signals. They are supporting evidence only: they never
// change the check's status, confidence or summary (a pulse hides easily, and a replayed
// recording of a real person has a pulse and blinks).
const (
	kindPulse  = "pulse"
	kindBlinks = "blinks"
)

// Passive signals need this much: a pulse estimate covers 10 s (pulse.Config.Window); blinks
// are counted once the eyes were watched this long.
const minBlinkWatch = 10 * time.Second

// Typical spontaneous blink rates, per minute, of adults at rest and in conversation.
const blinkLow, blinkHigh = 8, 21

// passive measures the pulse in the face skin and counts blinks, on every frame the
// analyzer gets (not only the face check's looks), from the face check's newest detection.
// Its zero value is ready to use.
type passive struct {
	buf         []face.Detection
	pulse       *pulse.Meter
	blink       *blink.Detector
	first, last time.Duration // the frames seen

	// The face box smoothed over detections, for the skin regions of the pulse: the
	// detector's box jumps by a few pixels between detections, the face does not.
	cx, cy, side float64
	boxAt        time.Duration
	haveBox      bool
}

// maxDetectionAge: a detection older than this no longer says where the face is (the face
// check looks five times a second, 2.5 times under load).
const maxDetectionAge = 500 * time.Millisecond

// observe measures f. faces is the face check, which has already looked at f.
func (p *passive) observe(f *media.Frame, faces Faces) {
	if p.pulse == nil {
		p.pulse, p.blink = pulse.New(pulse.Config{}), blink.New(blink.Config{})
		p.first = f.PTS
	}
	p.last = f.PTS
	p.buf = faces.Recent(p.buf[:0], 4)
	var d *face.Detection
	for i := len(p.buf) - 1; i >= 0; i-- {
		if x := &p.buf[i]; x.Rank == 0 && x.PTS <= f.PTS {
			d = x
			break
		}
	}
	if d == nil || f.PTS-d.PTS > maxDetectionAge {
		p.haveBox = false
		p.blink.Add(f, image.Rectangle{}, image.Point{}, image.Point{})
		return
	}
	var l, r image.Point
	if d.PTS == f.PTS {
		l, r = d.LeftEye, d.RightEye
	}
	p.blink.Add(f, d.Box, l, r)
	p.pulse.Add(f, p.smooth(d.Box, f.PTS))
}

// smooth follows box exponentially (centre over 250 ms, size over 1 s), at once after a gap
// or a jump of more than a third of its side.
func (p *passive) smooth(box image.Rectangle, at time.Duration) image.Rectangle {
	cx, cy, s := float64(box.Min.X+box.Max.X)/2, float64(box.Min.Y+box.Max.Y)/2, float64(box.Dx())
	dt := (at - p.boxAt).Seconds()
	if !p.haveBox || dt > maxDetectionAge.Seconds() || math.Hypot(cx-p.cx, cy-p.cy) > p.side/3 || math.Abs(s-p.side) > p.side/3 {
		p.cx, p.cy, p.side = cx, cy, s
	} else {
		p.side += min(dt/1.0, 1) * (s - p.side)
		p.cx += min(dt/0.25, 1) * (cx - p.cx)
		p.cy += min(dt/0.25, 1) * (cy - p.cy)
	}
	p.haveBox, p.boxAt = true, at
	h := p.side / 2
	return image.Rect(int(p.cx-h+0.5), int(p.cy-h+0.5), int(p.cx+h+0.5), int(p.cy+h+0.5))
}

// evidence returns the pulse and blink evidence, or nothing before any frame.
func (p *passive) evidence() []report.Evidence {
	if p.pulse == nil {
		return nil
	}
	return []report.Evidence{p.pulseEvidence(), p.blinkEvidence()}
}

// pulseEvidence summarises the pulse estimates of the whole stream.
func (p *passive) pulseEvidence() report.Evidence {
	est := p.pulse.Estimates()
	cfg := p.pulse.Config()
	if len(est) == 0 {
		return report.Range(secs(p.first), secs(p.last), kindPulse, fmt.Sprintf("The pulse was not measured: it needs %s s of uninterrupted video of a face at 5 frames a second or more. "+
			"Supporting evidence only, never a flag on its own.", fmtS(cfg.Window)))
	}
	from, to := est[0].From, est[len(est)-1].To
	var found, agree int
	var bpms, snrs []float64
	for _, e := range est {
		snrs = append(snrs, e.SNR)
		if e.Found {
			found++
			bpms = append(bpms, e.BPM)
			if e.Agree {
				agree++
			}
		}
	}
	windows := fmt.Sprintf("%d of %d overlapping %s-s windows", found, len(est), fmtS(cfg.Window))
	var s string
	switch {
	case 2*found >= len(est):
		regions := "forehead and cheeks agree"
		if 2*agree < found {
			regions = "forehead and cheeks disagree in most windows"
		}
		// Plain words first; the measurements close the sentence for whoever wants them.
		s = fmt.Sprintf("A pulse of about %.0f beats a minute was found in the face skin between %s and %s s. "+
			"Supporting evidence only: a replayed recording of a person carries a pulse too. (Signal-to-noise %.1f dB; %s; %s.)",
			median(bpms), fmtS(from), fmtS(to), median(snrs), windows, regions)
	case found > 0:
		s = fmt.Sprintf("A pulse was found in the face skin only now and then between %s and %s s, too weak to tell; "+
			"lighting, compression or motion can hide it — this is not evidence on its own. (In %s; median signal-to-noise %.1f dB.)",
			fmtS(from), fmtS(to), windows, median(snrs))
	default:
		s = fmt.Sprintf("No pulse could be found in the face skin over %s s; "+
			"lighting, compression or motion can hide it — this is not evidence on its own. (Signal-to-noise below %.1f dB in every %s-s window, median %.1f dB.)",
			fmtS(to-from), cfg.MinSNR, fmtS(cfg.Window), median(snrs))
	}
	return report.Range(secs(from), secs(to), kindPulse, s)
}

// maxBlinkTimes bounds the blink times listed in the evidence.
const maxBlinkTimes = 12

// blinkEvidence counts the blinks of the whole stream.
func (p *passive) blinkEvidence() report.Evidence {
	watched, bl := p.blink.Watched(), p.blink.Blinks()
	if watched < minBlinkWatch {
		return report.Range(secs(p.first), secs(p.last), kindBlinks, fmt.Sprintf("Blinks were not counted: the eyes were in view for %s s, and %s s are needed "+
			"(a face at least %d px wide, at 7 frames a second or more). Supporting evidence only.", fmtS(watched), fmtS(minBlinkWatch), blink.DefaultConfig().MinFace))
	}
	perMin := float64(len(bl)) / watched.Minutes()
	typical := fmt.Sprintf("typical %d–%d a minute", blinkLow, blinkHigh)
	var s string
	if len(bl) == 0 {
		s = fmt.Sprintf("No blink in %s s of a visible face (%s). A still photo never blinks, but small, soft or compressed video can hide blinks — this is not evidence on its own.",
			fmtS(watched), typical)
		return report.Range(secs(p.first), secs(p.last), kindBlinks, s)
	}
	times := make([]string, 0, min(len(bl), maxBlinkTimes))
	for _, t := range bl[:min(len(bl), maxBlinkTimes)] {
		times = append(times, fmtS(t))
	}
	more := ""
	if len(bl) > maxBlinkTimes {
		more = ", …"
	}
	s = fmt.Sprintf("%d blink(s) in %s s of a visible face (%.0f a minute; %s), at %s%s s. Supporting evidence only.",
		len(bl), fmtS(watched), perMin, typical, strings.Join(times, ", "), more)
	return report.Range(secs(p.first), secs(p.last), kindBlinks, s)
}
