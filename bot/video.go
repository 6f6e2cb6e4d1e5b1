package bot

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/h264"
	"github.com/integritybot/integritybot/media/rtpframe"
	"github.com/integritybot/integritybot/media/vpx"
)

// frameAssembler reassembles one track's encoded frames: rtpframe for VP8/VP9, h264 for H.264.
type frameAssembler interface {
	Push(pkt *rtp.Packet) []rtpframe.Frame
	NeedKeyframe()
	WantKeyframe() bool
	Stats() rtpframe.Stats
}

// frameDecoder decodes one track's frames: libvpx for VP8/VP9, an ffmpeg process for H.264.
// Decode may return (nil, nil) for a frame that shows no picture (yet).
type frameDecoder interface {
	Decode(data []byte, pts time.Duration) (*media.Frame, error)
	Close() error
}

// KeyframeRequester asks the sender for a keyframe (an RTCP PLI in a WebRTC call).
type KeyframeRequester interface {
	RequestKeyframe() error
}

// minPLIGap rate-limits keyframe requests: a sender needs a few hundred milliseconds to
// produce one, and asking again sooner only wastes its bandwidth.
const minPLIGap = 500 * time.Millisecond

// VideoInput takes one video track's RTP packets. WriteRTP never blocks: it assembles frames
// in the caller's goroutine and hands them to a decoder goroutine through a bounded queue;
// frames that do not fit are dropped, counted into the report's coverage, and a keyframe is
// requested so decoding can resume cleanly. Of a temporally layered stream (L1T3) the
// decoder may decode the base layer only (Config.BaseLayer); the frames it leaves are not
// dropped frames, and the report's coverage note says when and why. Every frame received,
// decoded or not, is told to the camera check (Session.arrived): the candidate's frame rate
// is the rate they sent, not the rate this machine managed to decode.
type VideoInput struct {
	s     *Session
	kf    KeyframeRequester
	clock int64 // RTP clock rate

	// Owned by the WriteRTP caller.
	asm       frameAssembler
	lastPLI   time.Time
	lastKey   time.Time
	firstWall time.Time
	firstTS   uint32
	lastTS    uint32
	unwrapped int64
	started   bool
	lost      uint64
	newestTS  uint32 // RTP timestamp of the newest frame seen in a packet
	sawTS     bool

	needKey atomic.Bool // set by the decoder on corruption; the writer acts on it
	askKey  atomic.Bool // set by the decoder: upper layers wait for a keyframe to resume
	layers  layerFilter // owned by the decoder goroutine
	queue   chan encoded
	done    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
}

type encoded struct {
	data []byte
	layerFrame
}

// AddVideo starts decoding a new video track of the candidate. The caller feeds it with
// WriteRTP from one goroutine and closes it when the track ends.
func (s *Session) AddVideo(codec vpx.Codec, kf KeyframeRequester) (*VideoInput, error) {
	dec, err := vpx.NewDecoder(codec)
	if err != nil {
		return nil, err
	}
	return s.addVideo(rtpframe.New(codec), dec, kf), nil
}

// AddH264 starts decoding a new H.264 video track of the candidate (media/h264: an ffmpeg
// process per track). The caller feeds it with WriteRTP from one goroutine and closes it.
func (s *Session) AddH264(kf KeyframeRequester) (*VideoInput, error) {
	dec, err := h264.NewDecoder(h264.Options{Log: s.log})
	if err != nil {
		return nil, err
	}
	return s.addVideo(h264.NewAssembler(), dec, kf), nil
}

func (s *Session) addVideo(asm frameAssembler, dec frameDecoder, kf KeyframeRequester) *VideoInput {
	v := &VideoInput{
		s:      s,
		kf:     kf,
		clock:  90000,
		asm:    asm,
		layers: newLayerFilter(&s.cfg),
		queue:  make(chan encoded, s.cfg.QueueSize),
		done:   make(chan struct{}),
	}
	v.wg.Add(1)
	go v.decodeLoop(dec)
	return v
}

// WriteRTP feeds one RTP packet. It must be called from a single goroutine.
func (v *VideoInput) WriteRTP(pkt *rtp.Packet) {
	now := v.s.now()
	if v.needKey.Swap(false) {
		v.asm.NeedKeyframe()
	}
	if len(pkt.Payload) > 0 && (!v.sawTS || int32(pkt.Timestamp-v.newestTS) > 0) {
		// The first packet of a frame newer than any so far: the candidate sent it and it
		// reached us, whatever becomes of it (decoded, dropped from the queue, skipped until a
		// keyframe or as an upper layer). Padding-only packets carry no frame.
		v.sawTS, v.newestTS = true, pkt.Timestamp
		v.s.arrived(v.pts(pkt.Timestamp, now))
	}
	frames := v.asm.Push(pkt)
	v.s.received.Add(int64(len(frames)))
	for _, f := range frames {
		if f.Keyframe {
			v.lastKey = now
		}
		e := encoded{data: f.Data, layerFrame: layerFrame{pts: v.pts(f.Timestamp, now), key: f.Keyframe,
			layered: f.Layered, tid: f.TID, sync: f.LayerSync}}
		select {
		case v.queue <- e:
		default:
			v.s.dropped.Add(1)
			v.asm.NeedKeyframe()
		}
	}
	st := v.asm.Stats()
	if lost := st.FramesLost + st.FramesSkipped; lost > v.lost {
		// A frame lost in transit or skipped while waiting for a keyframe reached the bot
		// in part (or its loss did): received, and dropped.
		v.s.received.Add(int64(lost - v.lost))
		v.s.dropped.Add(int64(lost - v.lost))
		v.lost = lost
	}
	v.maybeRequestKeyframe(now)
}

func (v *VideoInput) maybeRequestKeyframe(now time.Time) {
	want := v.asm.WantKeyframe() || now.Sub(v.lastKey) >= v.s.cfg.KeyframeInterval || v.askKey.Load()
	if !want || now.Sub(v.lastPLI) < minPLIGap || v.kf == nil {
		return
	}
	v.lastPLI = now
	if v.lastKey.IsZero() || now.Sub(v.lastKey) >= v.s.cfg.KeyframeInterval {
		v.lastKey = now // periodic request: do not repeat until the next interval
	}
	if err := v.kf.RequestKeyframe(); err != nil {
		v.s.log.Debug("request keyframe", "err", err)
	}
}

// pts maps an RTP timestamp to call time: the first frame is placed at its arrival time,
// later ones by the sender's clock, so jitter does not distort frame intervals.
func (v *VideoInput) pts(ts uint32, arrival time.Time) time.Duration {
	if !v.started {
		v.started = true
		v.firstWall = arrival
		v.firstTS = ts
		v.lastTS = ts
	}
	v.unwrapped += int64(int32(ts - v.lastTS))
	v.lastTS = ts
	return v.s.Since(v.firstWall) + time.Duration(v.unwrapped*int64(time.Second)/v.clock)
}

func (v *VideoInput) decodeLoop(dec frameDecoder) {
	defer v.wg.Done()
	defer dec.Close()
	for {
		select {
		case <-v.done:
			return
		case e := <-v.queue:
			if !v.decodeLayer(e) {
				continue
			}
			f, err := dec.Decode(e.data, e.pts)
			if err != nil {
				v.s.dropped.Add(1)
				v.needKey.Store(true)
				if !errors.Is(err, vpx.ErrCorrupted) {
					v.s.log.Debug("decode video frame", "err", err)
				}
				continue
			}
			if f == nil {
				continue
			}
			v.s.Observe(f)
		}
	}
}

// decodeLayer reports whether the decoder decodes e, and counts an upper layer frame it
// leaves into coverage. The lag is measured as the sampled analysis measures it: how long
// after its arrival time (PTS in call time) the frame reaches the decoder.
func (v *VideoInput) decodeLayer(e encoded) bool {
	if e.key {
		v.askKey.Store(false)
	}
	lag := v.s.Since(v.s.now()) - e.pts
	f := e.layerFrame
	f.prompt = f.layered && f.tid > 0 && v.layers.mode != BaseLayerAlways && v.s.inPrompt(f.pts)
	ok, newSpan := v.layers.decode(f, lag)
	v.s.baseOnly.Store(v.layers.on)
	if !ok {
		v.s.layerSkip.Add(1)
		v.s.skipLayer(e.pts, newSpan, v.layers.baseFPS(e.pts))
	}
	if v.layers.stale(e.pts) {
		v.askKey.Store(true)
	}
	return ok
}

// Close stops the decoder goroutine. Frames still queued are dropped and counted as dropped,
// so that every frame received is decoded, dropped or layer-skipped. The owner calls it after
// its last WriteRTP.
func (v *VideoInput) Close() {
	v.once.Do(func() {
		close(v.done)
		v.wg.Wait()
		v.s.dropped.Add(int64(len(v.queue))) // nobody sends or receives on the queue any more
		v.s.baseOnly.Store(false)            // a call without video decodes no layer (Stats.BaseOnly)
	})
}
