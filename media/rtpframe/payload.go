package rtpframe

// VP8 payload descriptor bits (RFC 7741 §4.2).
const (
	vp8X = 0x80 // extended control bits present
	vp8N = 0x20 // non-reference frame
	vp8S = 0x10 // start of a VP8 partition
	vp8I = 0x80 // PictureID present
	vp8L = 0x40 // TL0PICIDX present
	vp8T = 0x20 // TID and Y present
	vp8M = 0x80 // 15-bit PictureID
	vp8Y = 0x20 // layer sync, in the TID byte
)

// vp8DescLen is the descriptor VP8Packetizer writes: X byte, 15-bit PictureID, TL0PICIDX,
// TID/Y/KEYIDX.
const vp8DescLen = 6

// Layer is the temporal layer of one encoded frame.
type Layer struct {
	TID uint8 // temporal layer, 0 the base layer (2 bits)
	// Sync is the layer sync bit: the frame references only base layer frames.
	Sync bool
	// NonRef marks a frame no later frame references (a droppable top-layer frame).
	NonRef bool
}

// VP8Packetizer splits the frames of one temporally scalable VP8 stream into RTP payloads
// carrying the payload descriptor a browser sends with scalabilityMode L1T2/L1T3: a 15-bit
// PictureID, TL0PICIDX and TID with the Y bit (RFC 7741 §4.2). pion's VP8Payloader writes
// the PictureID only, so a receiver could not tell the layers apart. The zero value starts at
// PictureID 0. It is not safe for concurrent use.
type VP8Packetizer struct {
	PictureID uint16 // picture ID of the next frame (15 bits)
	TL0PicIdx uint8  // TL0PICIDX of the last base layer frame
	started   bool
}

// Payload returns the RTP payloads of one frame, each at most mtu bytes, and advances the
// picture ID (and TL0PICIDX for a base layer frame). The payloads are fresh slices.
func (p *VP8Packetizer) Payload(mtu int, frame []byte, l Layer) [][]byte {
	size := mtu - vp8DescLen
	if size <= 0 || len(frame) == 0 {
		return nil
	}
	if l.TID == 0 && p.started {
		p.TL0PicIdx++
	}
	p.started = true
	pid := p.PictureID & 0x7fff
	p.PictureID = (pid + 1) & 0x7fff
	first := byte(vp8X)
	if l.NonRef {
		first |= vp8N
	}
	tid := (l.TID & 3) << 6
	if l.Sync {
		tid |= vp8Y
	}
	out := make([][]byte, 0, (len(frame)+size-1)/size)
	for off := 0; off < len(frame); off += size {
		n := min(size, len(frame)-off)
		b := make([]byte, vp8DescLen+n)
		b[0] = first
		if off == 0 {
			b[0] |= vp8S
		}
		b[1] = vp8I | vp8L | vp8T
		b[2], b[3] = vp8M|byte(pid>>8), byte(pid)
		b[4] = p.TL0PicIdx
		b[5] = tid
		copy(b[vp8DescLen:], frame[off:off+n])
		out = append(out, b)
	}
	return out
}
