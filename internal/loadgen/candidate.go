package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/internal/rtcapi"
	"github.com/integritybot/integritybot/media/rtpframe"
	"github.com/integritybot/integritybot/media/vpx"
)

// newAPI builds the pion stack of one simulated candidate: the clip's codec only, the
// default interceptors (NACK, RTCP reports, TWCC) as a browser has, with drop as the
// network's packet loss nearest the wire, inside the NACK responder, and loopback candidates
// so a server on the same machine can be reached. pion logs to log, not to the process's
// stderr.
func newAPI(c vpx.Codec, drop func() bool, log *slog.Logger) (*webrtc.API, error) {
	video := rtcapi.Video(webrtc.MimeTypeVP8, "", 96)
	if c == vpx.VP9 {
		video = rtcapi.Video(webrtc.MimeTypeVP9, "", 98)
	}
	opus := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, PayloadType: 111}
	return rtcapi.New(rtcapi.Options{
		Video: []webrtc.RTPCodecParameters{video}, Audio: []webrtc.RTPCodecParameters{opus},
		Interceptors: []interceptor.Factory{networkFactory{drop: drop}}, IncludeLoopback: true, Log: log,
	})
}

// chicago is the simulated candidates' claimed and browser timezone (Go's embedded IANA
// data: cmd/integritybot imports time/tzdata), so the timezone check agrees with the claim.
var chicago = func() *time.Location {
	l, err := time.LoadLocation("America/Chicago")
	if err != nil {
		return time.FixedZone("CST", -6*3600)
	}
	return l
}()

// candidate is one simulated candidate: a websocket that follows docs/protocol.md and a pion
// peer that publishes the clip's frames with the clip's timing.
type candidate struct {
	clip  *Clip
	opt   *Options
	ws    *websocket.Conn
	pc    *webrtc.PeerConnection
	track *webrtc.TrackLocalStaticRTP
	rng   *rand.Rand

	wmu     sync.Mutex
	cmu     sync.Mutex
	pending []webrtc.ICECandidateInit
	haveSDP bool

	answered  chan struct{}
	connected chan struct{}
	failed    chan error
	stop      chan struct{}
	wg        sync.WaitGroup
	once      sync.Once

	pli         atomic.Bool
	burst       atomic.Bool // every packet is lost (Options.LossBurst)
	framesSent  atomic.Int64
	packetsSent atomic.Int64
	packetsLost atomic.Int64
	plis        atomic.Int64
	firstSent   atomic.Int64 // unix nanoseconds of the first frame sent
}

func dialCandidate(ctx context.Context, a *api, id, token string, clip *Clip, opt *Options, seed uint64) (*candidate, error) {
	c := &candidate{clip: clip, opt: opt, rng: rand.New(rand.NewPCG(seed, 0x10adc0de)),
		answered: make(chan struct{}), connected: make(chan struct{}), failed: make(chan error, 1), stop: make(chan struct{})}
	pion, err := newAPI(clip.Codec, c.drop, opt.Log)
	if err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, a.wsURL(id, token), nil)
	if err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	pc, err := pion.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		ws.Close()
		return nil, fmt.Errorf("join: %w", err)
	}
	c.ws, c.pc = ws, pc
	if err := c.setup(); err != nil {
		c.close()
		return nil, fmt.Errorf("join: %w", err)
	}
	c.wg.Add(1)
	go c.read()
	return c, nil
}

func (c *candidate) setup() error {
	mime := webrtc.MimeTypeVP8
	if c.clip.Codec == vpx.VP9 {
		mime = webrtc.MimeTypeVP9
	}
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000}, "video", "loadgen")
	if err != nil {
		return err
	}
	c.track = track
	sender, err := c.pc.AddTrack(track)
	if err != nil {
		return err
	}
	if _, err := c.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		return err
	}
	c.wg.Add(1)
	go c.readRTCP(sender)
	c.pc.OnICECandidate(func(ic *webrtc.ICECandidate) {
		if ic != nil {
			c.send(map[string]any{"type": "candidate", "candidate": ic.ToJSON()})
		}
	})
	c.pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		buf := make([]byte, 1500)
		for {
			if _, _, err := tr.Read(buf); err != nil {
				return
			}
		}
	})
	var connOnce sync.Once
	c.pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			connOnce.Do(func() { close(c.connected) })
		case webrtc.PeerConnectionStateFailed:
			c.fail(errors.New("peer connection failed"))
		}
	})
	return nil
}

// drop decides the fate of one packet on the wire (the network interceptor).
func (c *candidate) drop() bool {
	if c.burst.Load() || c.opt.Loss > 0 && rand.Float64() < c.opt.Loss {
		c.packetsLost.Add(1)
		return true
	}
	c.packetsSent.Add(1)
	return false
}

func (c *candidate) fail(err error) {
	select {
	case c.failed <- err:
	default:
	}
}

// readRTCP watches for keyframe requests: the sender answers them by jumping to the clip's
// next keyframe, as a browser answers with a fresh keyframe.
func (c *candidate) readRTCP(s *webrtc.RTPSender) {
	defer c.wg.Done()
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				c.plis.Add(1)
				c.pli.Store(true)
			}
		}
	}
}

func (c *candidate) send(v any) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_ = c.ws.WriteJSON(v)
}

// read handles the server's messages until the socket closes.
func (c *candidate) read() {
	defer c.wg.Done()
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			c.fail(fmt.Errorf("signaling: %w", err))
			return
		}
		var msg struct {
			Type      string                   `json:"type"`
			SDP       string                   `json:"sdp"`
			Candidate *webrtc.ICECandidateInit `json:"candidate"`
			Error     string                   `json:"error"`
		}
		if json.Unmarshal(data, &msg) != nil {
			continue
		}
		switch msg.Type {
		case "welcome":
			c.offer()
		case "answer":
			c.answer(msg.SDP)
		case "candidate":
			if msg.Candidate != nil {
				c.addCandidate(*msg.Candidate)
			}
		case "error":
			c.fail(fmt.Errorf("signaling: server says %q", msg.Error))
		}
	}
}

// offer sends what a browser sends after consent: hello, the camera's state, the offer.
func (c *candidate) offer() {
	_, off := time.Now().In(chicago).Zone()
	c.send(map[string]any{"type": "hello", "timezone": "America/Chicago", "utc_offset_min": off / 60,
		"now_ms": time.Now().UnixMilli(), "languages": []string{"en-US"}, "user_agent": "integritybot-loadgen"})
	c.send(map[string]any{"type": "track", "kind": "video", "state": "live", "label": "loadgen camera"})
	c.send(map[string]any{"type": "track", "kind": "audio", "state": "none"})
	sdp, err := c.pc.CreateOffer(nil)
	if err == nil {
		err = c.pc.SetLocalDescription(sdp)
	}
	if err != nil {
		c.fail(fmt.Errorf("offer: %w", err))
		return
	}
	c.send(map[string]any{"type": "offer", "sdp": sdp.SDP})
}

func (c *candidate) answer(sdp string) {
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		c.fail(fmt.Errorf("answer: %w", err))
		return
	}
	c.cmu.Lock()
	c.haveSDP = true
	pending := c.pending
	c.pending = nil
	c.cmu.Unlock()
	for _, ic := range pending {
		_ = c.pc.AddICECandidate(ic)
	}
}

func (c *candidate) addCandidate(ic webrtc.ICECandidateInit) {
	c.cmu.Lock()
	if !c.haveSDP {
		c.pending = append(c.pending, ic)
		c.cmu.Unlock()
		return
	}
	c.cmu.Unlock()
	_ = c.pc.AddICECandidate(ic)
}

// waitConnected waits for the peer connection to connect.
func (c *candidate) waitConnected(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.connected:
		return nil
	case err := <-c.failed:
		return err
	case <-t.C:
		return fmt.Errorf("not connected after %s", d)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// startVideo sends the clip in a loop until close, paced by the clip's timestamps.
func (c *candidate) startVideo() {
	c.wg.Add(1)
	go c.sendVideo()
}

func (c *candidate) sendVideo() {
	defer c.wg.Done()
	payload := c.payloader()
	seq := uint16(c.rng.Uint32())
	tsBase := c.rng.Uint32()
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	var at time.Duration // media time of the next frame
	clip, other := c.clip, c.opt.Switch
	burstFrom, burstTo := c.opt.Duration/2, c.opt.Duration/2+c.opt.LossBurst
	for i := 0; ; {
		due := at
		if c.opt.Jitter > 0 {
			due += time.Duration(c.rng.Int64N(int64(c.opt.Jitter)))
		}
		if d := time.Until(start.Add(due)); d > 0 {
			timer.Reset(d)
			select {
			case <-c.stop:
				return
			case <-timer.C:
			}
		} else {
			select {
			case <-c.stop:
				return
			default:
			}
		}
		if c.pli.Swap(false) {
			i = clip.nextKey(i)
		}
		f := clip.Frames[i]
		data := f.Data
		if c.opt.Garbage > 0 && c.rng.Float64() < c.opt.Garbage && len(data) > 20 {
			data = slices.Clone(data)
			for k := 0; k < 16; k++ {
				data[10+c.rng.IntN(len(data)-10)] = byte(c.rng.Uint32())
			}
		}
		ts := tsBase + uint32(at*90000/time.Second)
		c.burst.Store(c.opt.LossBurst > 0 && at >= burstFrom && at < burstTo)
		payloads := payload(data, f.Layer)
		for k, p := range payloads {
			pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: ts,
				Marker: k == len(payloads)-1}, Payload: p}
			seq++
			if err := c.track.WriteRTP(pkt); err != nil {
				return
			}
		}
		if c.framesSent.Add(1) == 1 {
			c.firstSent.Store(time.Now().UnixNano())
		}
		next := i + 1
		if next == len(clip.Frames) {
			at += clip.Period - f.PTS
			next = 0
			if c.opt.Switch != nil { // the next pass is the other clip: a resolution switch
				clip, other = other, clip
			}
		} else {
			at += clip.Frames[next].PTS - f.PTS
		}
		i = next
	}
}

// payloader returns the function that splits a frame into RTP payloads: pion's payloaders,
// or for temporal layers rtpframe.VP8Packetizer, which writes the TID (pion's does not).
func (c *candidate) payloader() func(data []byte, l rtpframe.Layer) [][]byte {
	if c.opt.Layers > 1 && c.clip.Codec == vpx.VP8 {
		pz := &rtpframe.VP8Packetizer{PictureID: uint16(c.rng.Uint32())}
		return func(data []byte, l rtpframe.Layer) [][]byte { return pz.Payload(1200, data, l) }
	}
	var p rtp.Payloader = &codecs.VP8Payloader{EnablePictureID: true}
	if c.clip.Codec == vpx.VP9 {
		p = &codecs.VP9Payloader{}
	}
	return func(data []byte, _ rtpframe.Layer) [][]byte { return p.Payload(1200, data) }
}

func (c *candidate) close() {
	c.once.Do(func() {
		close(c.stop)
		_ = c.pc.Close()
		_ = c.ws.Close()
		c.wg.Wait()
	})
}
