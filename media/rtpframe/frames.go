package rtpframe

import "github.com/integritybot/integritybot/media/vpx"

// lose counts the frames in packets the window gave up. If a complete frame follows, its
// picture ID tells how many frames are missing, and whether a gap held only padding.
func (a *Assembler) lose(l Loss) {
	lost := l.Frames
	pidKnown := false
	if l.Next >= 0 && a.w.haveLast && a.lastPID >= 0 {
		if p := a.w.At(l.Next).Meta.pictureID; p >= 0 {
			if gap := uint64((p - a.lastPID - 1) & 0x7fff); gap < 0x1000 {
				lost, pidKnown = max(lost, gap), true
			}
		}
	}
	if lost == 0 && l.Missing && !pidKnown {
		lost = 1
	}
	a.stats.FramesLost += lost
	if lost > 0 || l.Data || l.Restart {
		a.waitKey = true
	}
	if l.Next < 0 {
		// Without a complete frame after the loss, the last consumed frame says nothing
		// about the front (picture ID gaps, hold time).
		a.w.haveLast = false
	}
}

// emit returns the complete frame first..last, or skips it while waiting for a keyframe.
func (a *Assembler) emit(first, last int64) {
	fs := a.w.At(first)
	a.lastPID = fs.Meta.pictureID
	// Keyframe headers fit in the first packet; skip without copying.
	if a.waitKey && len(fs.Data) >= 32 && !vpx.IsKeyframe(a.codec, fs.Data) {
		a.stats.FramesSkipped++
		return
	}
	n := 0
	for i := first; i <= last; i++ {
		n += len(a.w.At(i).Data)
	}
	buf := make([]byte, 0, n)
	for i := first; i <= last; i++ {
		buf = append(buf, a.w.At(i).Data...)
	}
	f := Frame{
		Data: buf, Timestamp: fs.TS,
		FirstSeq: uint16(first), LastSeq: uint16(last),
		Layered: fs.Meta.layer.layered, TID: fs.Meta.layer.tid, LayerSync: fs.Meta.layer.sync,
	}
	f.Width, f.Height, f.Keyframe = vpx.FrameSize(a.codec, buf)
	if a.waitKey && !f.Keyframe {
		a.stats.FramesSkipped++
		return
	}
	a.waitKey = false
	a.stats.FramesComplete++
	a.out = append(a.out, f)
}
