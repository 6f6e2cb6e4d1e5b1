package loadgen

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/integritybot/integritybot/media/ivf"
	"github.com/integritybot/integritybot/media/rtpframe"
	"github.com/integritybot/integritybot/media/vpx"
	"github.com/integritybot/integritybot/media/y4m"
)

// Clip is an encoded VP8 or VP9 stream held in memory, shared read-only by every call.
type Clip struct {
	Codec         vpx.Codec
	Width, Height int
	Frames        []Frame
	// Period is how long one pass through the clip lasts (last PTS + one frame).
	Period time.Duration
	// Layers is the number of temporal layers (1: none), from the IVF's layer file.
	Layers int
}

// Frame is one compressed frame of a Clip.
type Frame struct {
	Data     []byte
	PTS      time.Duration // from the IVF time base, first frame at 0
	Keyframe bool
	Layer    rtpframe.Layer // temporal layer; zero for a clip without layers
}

// A layer file sits beside an IVF made with temporal layers (MakeOptions.Layers), at the
// IVF's path plus LayersSuffix, because IVF has no field for a frame's temporal layer: the
// 4 bytes "IBTL", then one byte per IVF frame in file order: bits 0–1 the TID, bit 6 set
// for a frame no later frame references, bit 7 the layer sync flag (VP8 Y bit).
const (
	LayersSuffix = ".layers"
	layersMagic  = "IBTL"
)

// maxClipBytes bounds what LoadIVF keeps in memory.
const maxClipBytes = 512 << 20

// LoadIVF reads every compressed frame of an IVF file. The first frame must be a keyframe,
// since every call starts the clip from there.
func LoadIVF(path string) (*Clip, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	defer f.Close()
	c, err := readIVF(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return nil, fmt.Errorf("loadgen: %s: %w", path, err)
	}
	b, err := os.ReadFile(path + LayersSuffix)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return c, nil
	case err != nil:
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	if err := c.setLayers(b); err != nil {
		return nil, fmt.Errorf("loadgen: %s%s: %w", path, LayersSuffix, err)
	}
	return c, nil
}

// setLayers reads a layer file's contents into the clip's frames.
func (c *Clip) setLayers(b []byte) error {
	if len(b) < len(layersMagic) || string(b[:len(layersMagic)]) != layersMagic {
		return errors.New("not a layer file")
	}
	b = b[len(layersMagic):]
	if len(b) != len(c.Frames) {
		return fmt.Errorf("%d entries for %d frames", len(b), len(c.Frames))
	}
	c.Layers = 1
	for i, v := range b {
		l := rtpframe.Layer{TID: v & 3, NonRef: v&0x40 != 0, Sync: v&0x80 != 0}
		if c.Frames[i].Keyframe && l.TID != 0 {
			return fmt.Errorf("frame %d: a keyframe in layer %d", i, l.TID)
		}
		c.Frames[i].Layer = l
		c.Layers = max(c.Layers, int(l.TID)+1)
	}
	return nil
}

// layerByte is one frame's entry in a layer file.
func layerByte(l rtpframe.Layer) byte {
	v := l.TID & 3
	if l.NonRef {
		v |= 0x40
	}
	if l.Sync {
		v |= 0x80
	}
	return v
}

func readIVF(r io.Reader) (*Clip, error) {
	var h [32]byte
	if _, err := io.ReadFull(r, h[:]); err != nil || string(h[:4]) != ivf.Magic {
		return nil, errors.New("not an IVF file")
	}
	if hs := int(binary.LittleEndian.Uint16(h[6:])); hs > 32 {
		if _, err := io.CopyN(io.Discard, r, int64(hs-32)); err != nil {
			return nil, errors.New("file ends inside the header")
		}
	}
	c := &Clip{Width: int(binary.LittleEndian.Uint16(h[12:])), Height: int(binary.LittleEndian.Uint16(h[14:])), Layers: 1}
	switch string(h[8:12]) {
	case "VP80":
		c.Codec = vpx.VP8
	case "VP90":
		c.Codec = vpx.VP9
	default:
		return nil, fmt.Errorf("codec %q is not VP8 or VP9", h[8:12])
	}
	den, num := binary.LittleEndian.Uint32(h[16:]), binary.LittleEndian.Uint32(h[20:])
	if den == 0 || num == 0 {
		return nil, fmt.Errorf("time base %d/%d", num, den)
	}
	var total int
	var first uint64
	for {
		var fh [12]byte
		if _, err := io.ReadFull(r, fh[:]); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("frame %d: truncated header", len(c.Frames))
		}
		size := int(binary.LittleEndian.Uint32(fh[:4]))
		raw := binary.LittleEndian.Uint64(fh[4:])
		total += size
		if size == 0 || total > maxClipBytes {
			return nil, fmt.Errorf("frame %d: size %d", len(c.Frames), size)
		}
		data := make([]byte, size)
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, fmt.Errorf("frame %d: truncated", len(c.Frames))
		}
		if len(c.Frames) == 0 {
			first = raw
		}
		var pts time.Duration
		if raw > first {
			pts = time.Duration(float64(raw-first) * float64(num) / float64(den) * float64(time.Second))
		}
		if n := len(c.Frames); n > 0 && pts <= c.Frames[n-1].PTS {
			pts = c.Frames[n-1].PTS + time.Millisecond // keep time moving on odd files
		}
		c.Frames = append(c.Frames, Frame{Data: data, PTS: pts, Keyframe: vpx.IsKeyframe(c.Codec, data)})
	}
	if len(c.Frames) == 0 {
		return nil, errors.New("no frames")
	}
	if !c.Frames[0].Keyframe {
		return nil, errors.New("the first frame is not a keyframe")
	}
	step := time.Second / 30
	if n := len(c.Frames); n > 1 {
		step = c.Frames[n-1].PTS / time.Duration(n-1)
	}
	c.Period = c.Frames[len(c.Frames)-1].PTS + step
	return c, nil
}

// nextKey returns the index of the first keyframe at or after i, wrapping around.
func (c *Clip) nextKey(i int) int {
	for k := 0; k < len(c.Frames); k++ {
		j := (i + k) % len(c.Frames)
		if c.Frames[j].Keyframe {
			return j
		}
	}
	return 0
}

// MakeOptions tune MakeIVF.
type MakeOptions struct {
	Width, Height, FPS int
	BitrateKbps        int
	// KeyframeEvery forces a keyframe this often; a sender answers a keyframe request by
	// jumping to the clip's next keyframe, so this bounds how much picture a PLI skips.
	KeyframeEvery time.Duration
	MaxDuration   time.Duration // 0: the whole clip
	Codec         vpx.Codec
	// Layers is the number of VP8 temporal layers (2 or 3, as a browser's L1T2/L1T3; 0 or
	// 1: none). Each frame's layer goes to a layer file beside the IVF (LayersSuffix).
	Layers int
}

func (o MakeOptions) withDefaults() MakeOptions {
	if o.Width <= 0 || o.Height <= 0 {
		o.Width, o.Height = 640, 480
	}
	if o.FPS <= 0 {
		o.FPS = 30
	}
	if o.BitrateKbps <= 0 {
		o.BitrateKbps = 1200 // what Chromium settles at for 640×480@30 on a good link
	}
	if o.KeyframeEvery <= 0 {
		o.KeyframeEvery = 2 * time.Second
	}
	if o.Codec == 0 {
		o.Codec = vpx.VP8
	}
	o.Layers = max(o.Layers, 1)
	return o
}

// MakeIVF encodes a clip (anything ffmpeg reads) to an IVF at the size and frame rate of a
// webcam call: ffmpeg scales it and writes Y4M to a pipe, media/vpx encodes it with
// WebRTC-like realtime settings, media/ivf writes the file.
func MakeIVF(ctx context.Context, from, out string, opt MakeOptions) (frames int, err error) {
	opt = opt.withDefaults()
	args := []string{"-hide_banner", "-loglevel", "error", "-i", from}
	if opt.MaxDuration > 0 {
		args = append(args, "-t", strconv.FormatFloat(opt.MaxDuration.Seconds(), 'f', 3, 64))
	}
	args = append(args, "-vf", fmt.Sprintf("scale=%d:%d,fps=%d", opt.Width, opt.Height, opt.FPS),
		"-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", "-")
	cmd := exec.CommandContext(ctx, "ffmpeg", args...)
	cmd.Stderr = os.Stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return 0, fmt.Errorf("loadgen: make ivf: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("loadgen: make ivf: ffmpeg: %w", err)
	}
	n, encErr := encodeY4M(pipe, out, opt)
	_, _ = io.Copy(io.Discard, pipe)
	if err := cmd.Wait(); err != nil && encErr == nil {
		encErr = fmt.Errorf("loadgen: make ivf: ffmpeg: %w", err)
	}
	return n, encErr
}

func encodeY4M(r io.Reader, out string, opt MakeOptions) (int, error) {
	src, err := y4m.NewReader(r, "ffmpeg")
	if err != nil {
		return 0, fmt.Errorf("loadgen: make ivf: %w", err)
	}
	enc, err := vpx.NewTemporalEncoder(opt.Codec, opt.Width, opt.Height, opt.FPS, opt.BitrateKbps, opt.Layers)
	if err != nil {
		return 0, fmt.Errorf("loadgen: make ivf: %w", err)
	}
	defer enc.Close()
	f, err := os.Create(out)
	if err != nil {
		return 0, fmt.Errorf("loadgen: make ivf: %w", err)
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	w, err := ivf.NewWriter(bw, ivf.Header{Codec: opt.Codec, Width: opt.Width, Height: opt.Height, TimebaseNum: 1, TimebaseDen: uint32(opt.FPS)})
	if err != nil {
		return 0, err
	}
	keyEvery := max(1, int(opt.KeyframeEvery*time.Duration(opt.FPS)/time.Second))
	layers := []byte(layersMagic)
	n := 0
	for i := 0; ; i++ {
		fr, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, fmt.Errorf("loadgen: make ivf: %w", err)
		}
		fr.PTS = time.Duration(i) * time.Second / time.Duration(opt.FPS)
		pkts, err := enc.Encode(fr, i%keyEvery == 0)
		if err != nil {
			return n, fmt.Errorf("loadgen: make ivf: %w", err)
		}
		for _, p := range pkts {
			if err := w.WriteFrame(p.Data, uint64(i)); err != nil {
				return n, err
			}
			layers = append(layers, layerByte(rtpframe.Layer{TID: p.TID, Sync: p.LayerSync, NonRef: p.NonRef}))
			n++
		}
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("loadgen: make ivf: %w", err)
	}
	if n == 0 {
		return 0, errors.New("loadgen: make ivf: the clip has no frames")
	}
	// A stale layer file from an earlier run must not describe the new IVF.
	if err := os.Remove(out + LayersSuffix); err != nil && !errors.Is(err, os.ErrNotExist) {
		return n, fmt.Errorf("loadgen: make ivf: %w", err)
	}
	if opt.Layers > 1 {
		if err := os.WriteFile(out+LayersSuffix, layers, 0o644); err != nil {
			return n, fmt.Errorf("loadgen: make ivf: %w", err)
		}
	}
	return n, w.Close()
}
