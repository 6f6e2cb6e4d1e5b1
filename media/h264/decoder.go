package h264

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strconv"
	"time"

	"github.com/integritybot/integritybot/media"
)

// Options tune a Decoder. Zero values take the defaults.
type Options struct {
	Binary       string        // ffmpeg executable (default "ffmpeg" on PATH)
	FrameTimeout time.Duration // wait for the picture of an access unit (default 250 ms)
	WriteTimeout time.Duration // a write to ffmpeg's stdin that takes longer kills it (default 2 s)
	Log          *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Binary == "" {
		o.Binary = "ffmpeg"
	}
	if o.FrameTimeout <= 0 {
		o.FrameTimeout = 250 * time.Millisecond
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 2 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// MaxDimension bounds the pictures accepted from ffmpeg, as media/vpx does.
const MaxDimension = 8192

// ptsRing remembers the timestamps of the last access units written, by tag.
const ptsRing = 256

// Decoder decodes one H.264 stream of Annex-B access units with a long-lived ffmpeg process
// (`-f h264 -i pipe:0 … -f rawvideo pipe:1`). It is not safe for concurrent use.
//
// Each access unit is written with an SEI user-data NAL unit carrying a sequence number in
// front and an access-unit delimiter after it (the delimiter lets ffmpeg's parser finish the
// unit at once instead of waiting for the next: ~70 → ~36 ms, docs/pitfalls.md). showinfo prints
// the sequence number of every picture, so a picture is matched to the access unit it came
// from even when ffmpeg drops undecodable units — no counting, no drift.
//
// Why a subprocess rather than libavcodec through cgo: the same libavcodec decodes in both;
// per frame at 640×480 the pipe adds well under a millisecond (see BenchmarkDecode), and a
// crash or hang on a malformed stream costs one stream, not the server with every interview
// in it. No -dev package is needed at build time.
//
// When ffmpeg exits (e.g. it could not make sense of the first data), Decode returns its
// last words, and the next IDR access unit starts a new process.
type Decoder struct {
	opt    Options
	exe    string
	p      *proc
	tag    uint64
	pts    [ptsRing]time.Duration
	cur    []byte // buffer of the last returned frame, recycled at the next Decode
	frame  media.Frame
	sps    []byte // the last SPS and PPS seen, to start a new process from an IDR without them
	pps    []byte
	starts int
	lag    uint64 // access units ffmpeg holds back, learned
	closed bool
}

// NewDecoder returns a decoder; ffmpeg starts with the first IDR access unit.
func NewDecoder(opt Options) (*Decoder, error) {
	opt = opt.withDefaults()
	exe, err := exec.LookPath(opt.Binary)
	if err != nil {
		return nil, fmt.Errorf("%w: install it (apt-get install ffmpeg) to decode H.264", ErrNotFound)
	}
	return &Decoder{opt: opt, exe: exe}, nil
}

// Starts returns how many ffmpeg processes the decoder has started.
func (d *Decoder) Starts() int { return d.starts }

// Decode decodes one Annex-B access unit and returns its picture, or (nil, nil) when the
// picture is not out yet: ffmpeg may hold one access unit back, and then a later call returns
// it, with the pts given with its own access unit.
//
// The Frame's planes belong to the decoder until the next Decode or Close. Errors:
// ErrNeedKeyframe (no ffmpeg is running and au is no IDR), ErrNoPicture (several access
// units without a picture), ErrClosed, or ffmpeg's own complaint when it stopped. After any
// of them the caller should ask for a keyframe.
func (d *Decoder) Decode(au []byte, pts time.Duration) (*media.Frame, error) {
	if d.closed {
		return nil, ErrClosed
	}
	if len(au) == 0 {
		return nil, errors.New("h264: decode: empty access unit")
	}
	d.recycle()
	key := d.scan(au)
	if d.p == nil {
		if !key {
			return nil, ErrNeedKeyframe
		}
		if err := d.start(); err != nil {
			return nil, err
		}
		d.p.last = d.tag
		au = d.withParams(au)
	}
	tag := d.tag
	d.tag++
	d.pts[tag%ptsRing] = pts
	if err := d.p.write(tag, au, d.opt.WriteTimeout); err != nil {
		return nil, d.stop("write", err)
	}
	return d.await(tag, pts, d.opt.FrameTimeout)
}

// await waits for the picture of access unit tag. ffmpeg sometimes releases a picture only
// when the next access unit arrives (it depends on the encoder's headers), so an older
// picture is returned after a short grace, and from then on at once (lag).
func (d *Decoder) await(tag uint64, pts time.Duration, timeout time.Duration) (*media.Frame, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var best *picture
	for {
		select {
		case pic, ok := <-d.p.pics:
			if !ok {
				if best != nil {
					return d.deliver(best, tag, pts), nil
				}
				return nil, d.stop("read", nil)
			}
			d.p.count++
			if best != nil {
				d.p.free(best.buf)
			}
			best = &pic
			if pic.tagged {
				d.p.last = pic.tag
			}
			switch {
			case !pic.tagged || pic.tag >= tag:
				d.lag = 0
				return d.deliver(best, tag, pts), nil
			case pic.tag+d.lag >= tag && len(d.p.pics) == 0:
				return d.deliver(best, tag, pts), nil
			}
			timer.Reset(grace)
		case <-timer.C:
			if best != nil {
				d.lag = min(tag-best.tag, maxLag)
				return d.deliver(best, tag, pts), nil
			}
			if tag-d.p.last <= d.allowance() {
				return nil, nil // the picture may come with the next access unit
			}
			return nil, ErrNoPicture
		}
	}
}

const (
	// grace is how long an older picture is held back in case the current one follows.
	grace = 10 * time.Millisecond
	// maxLag bounds how many access units ffmpeg may hold back.
	maxLag = 4
)

// allowance is how many access units may be without a picture before Decode says so: a few
// more while ffmpeg starts.
func (d *Decoder) allowance() uint64 {
	if d.p.count == 0 {
		return 2 * maxLag
	}
	return maxLag
}

func (d *Decoder) deliver(pic *picture, tag uint64, pts time.Duration) *media.Frame {
	if pic.tagged && pic.tag != tag && tag-pic.tag < ptsRing {
		pts = d.pts[pic.tag%ptsRing]
	}
	w, h := pic.w, pic.h
	cw, ch := (w+1)/2, (h+1)/2
	y, c := w*h, cw*ch
	d.cur = pic.buf
	d.frame = media.Frame{
		PTS: pts, Width: w, Height: h, YStride: w, UVStride: cw,
		Y: pic.buf[:y], U: pic.buf[y : y+c], V: pic.buf[y+c : y+2*c],
	}
	return &d.frame
}

func (d *Decoder) recycle() {
	if d.cur != nil && d.p != nil {
		d.p.free(d.cur)
	}
	d.cur = nil
}

// scan remembers parameter sets and reports whether au holds an IDR slice.
func (d *Decoder) scan(au []byte) bool {
	key := false
	NALUnits(au, func(nal []byte) bool {
		switch nal[0] & 0x1f {
		case naluIDR:
			key = true
		case naluSPS:
			d.sps = append(d.sps[:0], nal...)
		case naluPPS:
			d.pps = append(d.pps[:0], nal...)
		}
		return true
	})
	return key
}

// withParams puts the last SPS and PPS in front of an IDR unit that lacks them, so that a new
// ffmpeg can probe the stream from it.
func (d *Decoder) withParams(au []byte) []byte {
	has := false
	NALUnits(au, func(nal []byte) bool {
		has = nal[0]&0x1f == naluSPS
		return !has
	})
	if has || d.sps == nil || d.pps == nil {
		return au
	}
	out := make([]byte, 0, len(au)+len(d.sps)+len(d.pps)+8)
	out = append(append(out, startCode...), d.sps...)
	out = append(append(out, startCode...), d.pps...)
	return append(out, au...)
}

func (d *Decoder) start() error {
	p, err := startProc(context.Background(), d.exe)
	if err != nil {
		return err
	}
	d.p = p
	d.starts++
	d.opt.Log.Debug("ffmpeg h264 decoder started", "starts", d.starts)
	return nil
}

// stop kills ffmpeg and returns why it stopped; the next IDR starts a new one.
func (d *Decoder) stop(op string, err error) error {
	p := d.p
	d.p, d.cur = nil, nil
	words := p.kill()
	switch {
	case words != "":
		return fmt.Errorf("h264: ffmpeg stopped (%s): %s", op, words)
	case err != nil:
		return fmt.Errorf("h264: ffmpeg %s: %w", op, err)
	}
	return fmt.Errorf("h264: ffmpeg stopped after %d pictures", p.count)
}

// Close kills ffmpeg. It is safe to call more than once.
func (d *Decoder) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	if d.p != nil {
		d.p.kill()
		d.p = nil
	}
	return nil
}

// seiTag builds the SEI NAL unit (user data unregistered, payload type 5) that carries tag:
// a fixed UUID and the tag as 16 hex digits, which contain no zero bytes and so need no
// emulation prevention.
func seiTag(dst []byte, tag uint64) []byte {
	dst = append(dst, 0, 0, 0, 1, naluSEI, 5, byte(len(tagUUID)+16))
	dst = append(dst, tagUUID[:]...)
	var hex [16]byte
	s := strconv.AppendUint(hex[:0], tag, 16)
	for i := len(s); i < 16; i++ {
		dst = append(dst, '0')
	}
	dst = append(dst, s...)
	return append(dst, 0x80) // rbsp_trailing_bits
}

// tagUUID marks integritybot's SEI; its text form is what showinfo prints.
var tagUUID = [16]byte{0x7b, 0x1a, 0x6e, 0x2d, 0x9c, 0x4f, 0x4a, 0x51, 0xb3, 0xe8, 0xd2, 0xc6, 0xa9, 0xf1, 0x7e, 0x55}

const tagUUIDText = "7b1a6e2d-9c4f-4a51-b3e8-d2c6a9f17e55"

// aud is an access unit delimiter (primary_pic_type 7: any slice type).
var aud = []byte{0, 0, 0, 1, naluAUD, 0xf0}
