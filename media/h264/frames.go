package h264

import (
	"github.com/pion/rtp/codecs"

	"github.com/integritybot/integritybot/media/rtpframe"
)

// lose counts the access units in packets the window gave up.
func (a *Assembler) lose(l rtpframe.Loss) {
	lost := l.Frames
	if lost == 0 && l.Missing {
		lost = 1
	}
	a.stats.FramesLost += lost
	if lost > 0 || l.Restart {
		a.waitKey = true
	}
}

// emit returns the complete access unit first..last, or skips it while waiting for a
// keyframe.
func (a *Assembler) emit(first, last int64) {
	au, ok := depacketize(a, first, last)
	if !ok {
		a.stats.Malformed++
		a.stats.FramesLost++
		a.waitKey = true
		return
	}
	key := IsKeyframe(au)
	if a.waitKey && !key {
		a.stats.FramesSkipped++
		return
	}
	a.waitKey = false
	a.stats.FramesComplete++
	a.out = append(a.out, rtpframe.Frame{
		Data: au, Timestamp: a.w.At(first).TS, Keyframe: key, FirstSeq: uint16(first), LastSeq: uint16(last),
	})
}

// depacketize joins the payloads of first..last into one Annex-B access unit. Fragmented
// units must start and end inside the access unit (FU-A S and E bits), or it is malformed.
func depacketize(a *Assembler, first, last int64) ([]byte, bool) {
	var (
		p    codecs.H264Packet // fresh: pion keeps FU-A fragments across calls
		au   []byte
		inFU bool
	)
	for i := first; i <= last; i++ {
		b := a.w.At(i).Data
		if b[0]&0x1f == naluFUA {
			s, e := b[1]&0x80 != 0, b[1]&0x40 != 0
			if s == inFU { // a start inside a fragmented unit, or a middle without one
				return nil, false
			}
			inFU = !e
		} else if inFU {
			return nil, false
		}
		nal, err := p.Unmarshal(b)
		if err != nil {
			return nil, false
		}
		au = append(au, nal...)
	}
	if inFU || len(au) == 0 {
		return nil, false
	}
	return au, true
}
