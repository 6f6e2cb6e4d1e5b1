package room

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/report"
)

// participant is one browser in the room: its signaling socket and its PeerConnection.
type participant struct {
	rm   *Room
	role string
	sock *socket
	pc   *webrtc.PeerConnection
	log  *slog.Logger

	// early holds ICE candidates that came before the offer; only the signaling reader
	// goroutine (handle) touches it, and candWarned.
	early       []webrtc.ICECandidateInit
	candWarned  bool
	remoteCands atomic.Int32 // remote ICE candidates taken (limits.go)

	mu        sync.Mutex
	videoSSRC webrtc.SSRC
	sending   bool
	present   bool
	closed    bool       // sent an offer: in the call, not just reading the consent notice
	statsOn   bool       // the candidate's connection stats are being polled (meta.go)
	client    netip.Addr // the HTTP client address of the signaling request
	closeOnce sync.Once
	wg        sync.WaitGroup
}

var _ bot.KeyframeRequester = (*participant)(nil)

// iceServers returns the ICE servers for one connection of the room, TURN credentials
// issued for "interview-id-who" (a TURN server's logs then name the interview).
func (rm *Room) iceServers(who string) []webrtc.ICEServer {
	return rm.m.cfg.TURN.ICEServers(rm.m.cfg.ICEServers, rm.id+"-"+who)
}

func newParticipant(rm *Room, sock *socket, role string, log *slog.Logger) (*participant, error) {
	pc, err := rm.m.api.NewPeerConnection(webrtc.Configuration{ICEServers: rm.iceServers("server-" + role)})
	if err != nil {
		return nil, fmt.Errorf("room: new peer connection: %w", err)
	}
	p := &participant{rm: rm, role: role, sock: sock, pc: pc, log: log}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return
		}
		init := c.ToJSON()
		sock.Send(out{Type: "candidate", ICECandidate: &init})
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		log.Debug("peer connection state", "state", s.String())
		switch s {
		case webrtc.PeerConnectionStateConnected:
			rm.sess.Event("media_connected", role+"'s media connected.")
		case webrtc.PeerConnectionStateFailed:
			rm.sess.Event("media_failed", role+"'s media connection failed.")
		}
	})
	pc.OnTrack(p.onTrack)
	return p, nil
}

// handle dispatches one signaling message from the browser.
func (p *participant) handle(data []byte) {
	msg, err := DecodeMessage(data)
	if err != nil {
		p.sock.Send(out{Type: "error", Error: err.Error()})
		return
	}
	switch msg.Type {
	case "offer":
		p.onOffer(msg.SDP)
	case "candidate":
		if msg.Candidate == nil || msg.Candidate.Candidate == "" {
			return // end of candidates
		}
		if !p.takeCandidate() {
			return
		}
		p.noteCandidate(msg.Candidate.Candidate)
		if p.pc.RemoteDescription() == nil {
			// A client may trickle a candidate before its offer reaches us (it gathers while
			// it sends); keep it until the offer is set.
			if len(p.early) < maxEarlyCandidates {
				p.early = append(p.early, *msg.Candidate)
			}
			return
		}
		p.addCandidate(*msg.Candidate)
	case "track":
		p.onTrackState(msg)
	case "hello":
		p.onHello(msg)
	case "consent":
		p.onConsent(msg)
	case "end":
		if p.role != Interviewer {
			p.sock.Send(out{Type: "error", Error: "only the interviewer can end the interview"})
			return
		}
		go p.rm.end(context.Background(), "The interviewer ended the interview.", report.Final)
	case "liveness", "mark":
		p.onChallenge(msg)
	}
}

// maxEarlyCandidates bounds the candidates kept from before the offer.
const maxEarlyCandidates = 64

func (p *participant) addCandidate(c webrtc.ICECandidateInit) {
	if err := p.pc.AddICECandidate(c); err != nil {
		p.sock.Send(out{Type: "error", Error: "invalid ICE candidate: " + err.Error()})
	}
}

func (p *participant) onOffer(sdp string) {
	p.mu.Lock()
	first := !p.present
	p.present = true
	p.mu.Unlock()
	if first {
		p.rm.present(p)
	}
	sdp = p.limitOfferCandidates(sdp)
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		p.sock.Send(out{Type: "error", Error: "invalid offer: " + err.Error()})
		return
	}
	for _, c := range p.early {
		p.addCandidate(c)
	}
	p.early = nil
	if err := p.addOutTracks(); err != nil {
		p.sock.Send(out{Type: "error", Error: "could not set up media: " + err.Error()})
		return
	}
	answer, err := p.pc.CreateAnswer(nil)
	if err != nil {
		p.sock.Send(out{Type: "error", Error: "could not answer the offer: " + err.Error()})
		return
	}
	if err := p.pc.SetLocalDescription(answer); err != nil {
		p.sock.Send(out{Type: "error", Error: "could not answer the offer: " + err.Error()})
		return
	}
	p.sock.Send(out{Type: "answer", SDP: withStartBitrate(answer.SDP, p.rm.m.cfg.StartBitrateKbps)})
	p.noteOfferCandidates(sdp)
	p.startStats()
}

// addOutTracks attaches the other participant's media to this connection, once.
func (p *participant) addOutTracks() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sending {
		return nil
	}
	p.sending = true
	tracks := p.rm.to[p.role]
	for _, t := range []*webrtc.TrackLocalStaticRTP{tracks.video, tracks.audio} {
		sender, err := p.pc.AddTrack(t)
		if err != nil {
			return err
		}
		p.wg.Add(1)
		go p.readSenderRTCP(sender)
	}
	return nil
}

// readSenderRTCP reads the receiver's reports for media we forward to it; a picture loss
// indication goes to the participant whose video it is.
func (p *participant) readSenderRTCP(sender *webrtc.RTPSender) {
	defer p.wg.Done()
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			switch pkt.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				p.rm.requestKeyframe(other(p.role))
			}
		}
	}
}

func (p *participant) onTrack(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	// pion calls this on its own goroutine: register with wg under the lock that close takes,
	// so no Add can race with close's Wait.
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.wg.Add(1)
	p.mu.Unlock()
	defer p.wg.Done()
	dst := p.rm.to[other(p.role)].audio
	var input *bot.VideoInput
	if track.Kind() == webrtc.RTPCodecTypeVideo {
		dst = p.rm.to[other(p.role)].video
		p.mu.Lock()
		p.videoSSRC = track.SSRC()
		p.mu.Unlock()
		if p.role == Candidate {
			in, err := p.rm.sess.AddVideo(p.rm.m.codec, p)
			if err != nil {
				p.log.Error("start video analysis", "err", err)
			} else {
				input = in
				defer input.Close()
			}
			p.rm.sess.TrackEvent(bot.TrackAdded, track.Codec().MimeType)
			p.rm.sess.Event("video", "The candidate's video arrived ("+strings.TrimPrefix(track.Codec().MimeType, "video/")+").")
		}
		p.rm.requestKeyframe(p.role)
	}
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				p.log.Debug("read track", "kind", track.Kind().String(), "err", err)
			}
			return
		}
		if input != nil {
			input.WriteRTP(pkt)
		}
		if err := dst.WriteRTP(pkt); err != nil && !errors.Is(err, io.ErrClosedPipe) {
			p.log.Debug("forward rtp", "err", err)
		}
	}
}

func (p *participant) onTrackState(msg Message) {
	detail := msg.Kind + " " + msg.State
	if msg.Label != "" {
		detail += " (" + msg.Label + ")"
	}
	p.rm.sess.Event("device", p.role+": "+detail)
	if p.role != Candidate || msg.Kind != "video" {
		return
	}
	p.rm.meta.CameraLabel(msg.Label, p.rm.m.now())
	events := map[string]bot.CallEvent{
		"muted": bot.TrackMuted, "unmuted": bot.TrackUnmuted,
		"ended": bot.TrackEnded, "none": bot.TrackNone,
	}
	if e, ok := events[msg.State]; ok {
		p.rm.sess.TrackEvent(e, msg.Error)
	}
}

func (p *participant) isPresent() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.present
}

// RequestKeyframe sends a PLI for the participant's video.
func (p *participant) RequestKeyframe() error {
	p.mu.Lock()
	ssrc := p.videoSSRC
	p.mu.Unlock()
	if ssrc == 0 {
		return nil
	}
	return p.pc.WriteRTCP(pli(ssrc))
}

// close closes the socket and the PeerConnection and waits for the media goroutines.
func (p *participant) close() {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.sock.Close()
		if err := p.pc.Close(); err != nil {
			p.log.Debug("close peer connection", "err", err)
		}
	})
	p.wg.Wait()
}
