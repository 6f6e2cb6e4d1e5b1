package whep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/media/vpx"
)

type client struct {
	cfg  Config
	api  *webrtc.API
	sess *bot.Session
	log  *slog.Logger
	// linkICE are the ICE servers the server named in its last answer, for the next attempt.
	linkICE []webrtc.ICEServer
}

// attempt runs one WHEP session until it ends; got reports whether media arrived.
func (c *client) attempt(ctx context.Context) (got bool, err error) {
	pc, err := c.api.NewPeerConnection(webrtc.Configuration{ICEServers: append(append([]webrtc.ICEServer{}, c.cfg.ICEServers...), c.linkICE...)})
	if err != nil {
		return false, fmt.Errorf("whep: new peer connection: %w", err)
	}
	m := &attemptState{c: c, pc: pc, ended: make(chan error, 8), media: make(chan struct{}), cands: make(chan *webrtc.ICECandidate, 64),
		restart: make(chan struct{}, 1)}
	defer m.close()
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			return false, fmt.Errorf("whep: add transceiver: %w", err)
		}
	}
	pc.OnTrack(m.onTrack)
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		c.log.Debug("whep connection state", "state", s.String())
		switch s {
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			m.end(fmt.Errorf("whep: connection %s", s))
		case webrtc.PeerConnectionStateDisconnected:
			m.requestRestart()
		}
	})
	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		// Under mu: close closes m.cands under it, and pion may still gather then.
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.closed {
			return
		}
		select {
		case m.cands <- cand:
		default: // more than 64 candidates: the rest are found by the server as peer-reflexive
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return false, fmt.Errorf("whep: create offer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return false, fmt.Errorf("whep: set offer: %w", err)
	}
	if c.cfg.GatherTimeout > 0 {
		t := time.NewTimer(c.cfg.GatherTimeout)
		select {
		case <-gathered:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	local := pc.LocalDescription().SDP
	res, err := c.post(ctx, local)
	if err != nil {
		return false, err
	}
	c.linkICE = res.ice
	m.resource = res
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: res.answer}); err != nil {
		return false, fmt.Errorf("whep: set answer: %w", err)
	}
	c.sess.Event("whep", "Joined the call over WHEP.")
	m.mu.Lock()
	m.sent, m.etag = local, res.etag
	m.mu.Unlock()
	m.wg.Add(1)
	go m.trickle(ctx)
	if c.cfg.onJoined != nil {
		c.cfg.onJoined(m)
	}
	return m.wait(ctx)
}

// attemptState is one WHEP session's peer connection and resource.
type attemptState struct {
	c        *client
	pc       *webrtc.PeerConnection
	resource *resource
	ended    chan error
	media    chan struct{}
	gotMedia sync.Once
	cands    chan *webrtc.ICECandidate
	wg       sync.WaitGroup
	restart  chan struct{} // the connection was interrupted: try an ICE restart

	mu         sync.Mutex
	closed     bool
	sent       string // the local description the server has: the offer, or the last restart's
	etag       string // the session's ETag, for If-Match
	restarting bool
}

// sentState returns what the server knows of the client, under mu.
func (m *attemptState) sentState() (sent, etag string, restarting bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sent, m.etag, m.restarting
}

func (m *attemptState) end(err error) {
	select {
	case m.ended <- err:
	default:
	}
}

// wait returns when the session ends, ctx ends, or no media came in time.
func (m *attemptState) wait(ctx context.Context) (bool, error) {
	t := time.NewTimer(m.c.cfg.ConnectTimeout)
	defer t.Stop()
	got := false
	for {
		select {
		case <-ctx.Done():
			return got, nil
		case err := <-m.ended:
			return got, err
		case <-m.media:
			got = true
			m.media = nil
			t.Stop()
		case <-m.restart:
			m.restartICE(ctx)
		case <-t.C:
			return got, fmt.Errorf("whep: no media %s after joining", m.c.cfg.ConnectTimeout)
		}
	}
}

// close leaves: DELETE the resource, close the peer connection, wait for the track readers.
func (m *attemptState) close() {
	m.mu.Lock()
	m.closed = true
	close(m.cands)
	m.mu.Unlock()
	if m.resource != nil && m.resource.url != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := m.c.delete(ctx, m.resource); err != nil {
			m.c.log.Debug("whep delete", "err", err)
		}
		cancel()
	}
	_ = m.pc.Close()
	m.wg.Wait()
}

// onTrack runs on pion's goroutine for each remote track until it ends.
func (m *attemptState) onTrack(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.wg.Add(1)
	m.mu.Unlock()
	defer m.wg.Done()
	if track.Kind() != webrtc.RTPCodecTypeVideo {
		for { // keep RTCP reports flowing; the audio is not analyzed
			if _, _, err := track.ReadRTP(); err != nil {
				return
			}
		}
	}
	in, err := m.addVideo(track)
	if err != nil {
		m.c.log.Error("start video analysis", "err", err)
		m.end(err)
		return
	}
	defer in.Close()
	mime := track.Codec().MimeType
	m.c.sess.TrackEvent(bot.TrackAdded, mime)
	m.c.sess.Event("video", "The candidate's video arrived ("+strings.TrimPrefix(mime, "video/")+").")
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				m.c.log.Debug("read track", "err", err)
			}
			m.c.sess.TrackEvent(bot.TrackEnded, "the WHEP session ended")
			m.end(fmt.Errorf("whep: video track ended: %w", err))
			return
		}
		m.gotMedia.Do(func() { close(m.media) })
		in.WriteRTP(pkt)
	}
}

func (m *attemptState) addVideo(track *webrtc.TrackRemote) (*bot.VideoInput, error) {
	kf := pli{pc: m.pc, ssrc: uint32(track.SSRC())}
	switch mime := track.Codec().MimeType; {
	case strings.EqualFold(mime, webrtc.MimeTypeVP8):
		return m.c.sess.AddVideo(vpx.VP8, kf)
	case strings.EqualFold(mime, webrtc.MimeTypeVP9):
		return m.c.sess.AddVideo(vpx.VP9, kf)
	case strings.EqualFold(mime, webrtc.MimeTypeH264):
		return m.c.sess.AddH264(kf)
	default:
		return nil, fmt.Errorf("whep: unsupported video codec %s", mime)
	}
}

// pli asks the sender for a keyframe.
type pli struct {
	pc   *webrtc.PeerConnection
	ssrc uint32
}

func (p pli) RequestKeyframe() error {
	return p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: p.ssrc}})
}

var _ bot.KeyframeRequester = pli{}

// trickle PATCHes the candidates gathered after the offer went out, while the server
// accepts them (RFC 8840 fragments). Candidates gathered for an ICE restart go with the
// restart's PATCH instead.
func (m *attemptState) trickle(ctx context.Context) {
	defer m.wg.Done()
	ok := m.resource.trickle
	for cand := range m.cands {
		sent, etag, restarting := m.sentState()
		if !ok || restarting {
			continue
		}
		var lines []string
		if cand != nil {
			line := "a=candidate:" + cand.ToJSON().Candidate
			if strings.Contains(sent, line+"\r\n") {
				continue // already in the offer
			}
			lines = append(lines, line)
		}
		if _, _, err := m.c.patch(ctx, m.resource.url, etag, sdpFrag(sent, lines, cand == nil)); err != nil {
			m.c.log.Debug("whep trickle", "err", err)
			var se *StatusError
			if errors.As(err, &se) && (se.Status == 405 || se.Status == 501 || se.Status == 415) {
				ok = false // the server does not take trickled candidates after all
			}
		}
	}
}

// sdpFrag builds a trickle-ice-sdpfrag body: the offer's ICE credentials and its first media
// section (bundled), with candidate lines and the end-of-candidates mark.
func sdpFrag(offer string, candidateLines []string, end bool) string {
	var ufrag, pwd, mline, mid string
	for _, l := range strings.Split(offer, "\r\n") {
		switch {
		case strings.HasPrefix(l, "a=ice-ufrag:") && ufrag == "":
			ufrag = l
		case strings.HasPrefix(l, "a=ice-pwd:") && pwd == "":
			pwd = l
		case strings.HasPrefix(l, "m=") && mline == "":
			mline = l
		case strings.HasPrefix(l, "a=mid:") && mid == "":
			mid = l
		}
	}
	var b strings.Builder
	for _, l := range append([]string{ufrag, pwd, mline, mid}, candidateLines...) {
		if l != "" {
			b.WriteString(l + "\r\n")
		}
	}
	if end {
		b.WriteString("a=end-of-candidates\r\n")
	}
	return b.String()
}
