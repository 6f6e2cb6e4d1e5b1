package livekit

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/livekit/protocol/livekit"
	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/bot"
)

// conn is one join of the room: the SDK's callbacks feed the follower.
type conn struct {
	cfg     Config
	f       *follower
	tl      timeline
	log     *slog.Logger
	room    *lksdk.Room
	closing atomic.Bool // the bot is leaving: later callbacks are ignored
	ended   chan lksdk.DisconnectionReason
	wg      sync.WaitGroup // track readers

	noticeMu   sync.Mutex
	lastNotice time.Time // of the last notice for a joining candidate
}

// attemptRoom joins once and stays until ctx ends, the room ends (done) or the connection
// is lost. joined reports whether the join succeeded.
func attemptRoom(ctx context.Context, cfg Config, f *follower, tl timeline, log *slog.Logger) (joined, done bool, err error) {
	token, err := Token(cfg.APIKey, cfg.APISecret, cfg.Room, cfg.Identity, cfg.Name)
	if err != nil {
		return false, true, err
	}
	c := &conn{cfg: cfg, f: f, tl: tl, log: log, ended: make(chan lksdk.DisconnectionReason, 1)}
	c.room = lksdk.NewRoom(c.callbacks())
	jctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	err = c.room.JoinWithContextAndToken(jctx, cfg.URL, token,
		lksdk.WithAutoSubscribe(false), // the candidate's camera only
		lksdk.WithConnectTimeout(cfg.ConnectTimeout),
		lksdk.WithLogger(sdkLogger(log)))
	cancel()
	if err != nil {
		c.closing.Store(true)
		c.room.Disconnect()
		c.wg.Wait()
		return false, false, fmt.Errorf("livekit: join room %q: %w", cfg.Room, err)
	}
	defer c.leave()
	tl.Event("livekit", fmt.Sprintf("Joined LiveKit room %q as hidden participant %q (it only watches; nobody sees it in the call).", cfg.Room, cfg.Identity))
	c.begin()
	done, err = c.wait(ctx)
	return true, done, err
}

// leave disconnects and waits for the track readers.
func (c *conn) leave() {
	c.closing.Store(true)
	c.f.closeAll()
	c.room.Disconnect()
	c.wg.Wait()
}

func (c *conn) begin() {
	var peers []Peer
	for _, rp := range c.room.GetRemoteParticipants() {
		peers = append(peers, peerOf(rp))
	}
	if id := c.f.start(peers); id != "" {
		if rp := c.room.GetParticipantByIdentity(id); rp != nil {
			c.subscribeCamera(rp)
		}
	} else {
		c.tl.Event("livekit", "Waiting for the candidate to join the room.")
	}
	c.notice()
}

// noticeForCandidate posts the notice when the candidate joins after the bot, at most once
// every 30 s so a flapping connection does not flood the chat.
func (c *conn) noticeForCandidate() {
	c.noticeMu.Lock()
	if !c.lastNotice.IsZero() && time.Since(c.lastNotice) < 30*time.Second {
		c.noticeMu.Unlock()
		return
	}
	c.lastNotice = time.Now()
	c.noticeMu.Unlock()
	c.notice()
}

// wait returns when the call is over for this join.
func (c *conn) wait(ctx context.Context) (done bool, err error) {
	tick := time.NewTicker(max(min(c.cfg.LeaveAfter/4, 5*time.Second), 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return true, nil
		case r := <-c.ended:
			switch r {
			case lksdk.RoomClosed:
				c.tl.Event("livekit", "The LiveKit room was closed.")
				return true, nil
			case lksdk.ParticipantRemoved, lksdk.DuplicateIdentity:
				c.tl.Event("livekit", "The bot was removed from the room ("+string(r)+").")
				return true, fmt.Errorf("%w: %s", ErrRemoved, r)
			}
			c.f.disconnected("the bot's connection to the room was lost")
			return false, fmt.Errorf("livekit: disconnected: %s", r)
		case <-tick.C:
			if a := c.f.absentFor(); a >= c.cfg.LeaveAfter {
				c.tl.Event("livekit", fmt.Sprintf("The candidate has not been in the room for %s; leaving.", a.Round(time.Second)))
				return true, nil
			}
		}
	}
}

func (c *conn) callbacks() *lksdk.RoomCallback {
	return &lksdk.RoomCallback{
		OnParticipantConnected:    c.onParticipant,
		OnParticipantDisconnected: c.onParticipantLeft,
		OnDisconnectedWithReason:  c.onDisconnected,
		OnReconnecting: func() {
			if !c.closing.Load() {
				c.tl.Event("livekit", "The connection to the room is being re-established.")
			}
		},
		OnReconnected: func() {
			if !c.closing.Load() {
				c.tl.Event("livekit", "Reconnected to the room.")
			}
		},
		ParticipantCallback: lksdk.ParticipantCallback{
			OnTrackPublished:    c.onPublished,
			OnTrackSubscribed:   c.onSubscribed,
			OnTrackUnsubscribed: c.onUnsubscribed,
			OnTrackMuted:        func(pub lksdk.TrackPublication, p lksdk.Participant) { c.onMuted(pub, p, true) },
			OnTrackUnmuted:      func(pub lksdk.TrackPublication, p lksdk.Participant) { c.onMuted(pub, p, false) },
		},
	}
}

func (c *conn) onParticipant(rp *lksdk.RemoteParticipant) {
	if c.closing.Load() {
		return
	}
	if c.f.seen(peerOf(rp)) {
		c.subscribeCamera(rp)
		c.noticeForCandidate() // chat history is not replayed to those who join later
	}
}

func (c *conn) onParticipantLeft(rp *lksdk.RemoteParticipant) {
	if !c.closing.Load() {
		c.f.left(rp.Identity())
	}
}

func (c *conn) onDisconnected(r lksdk.DisconnectionReason) {
	if c.closing.Load() {
		return
	}
	select {
	case c.ended <- r:
	default:
	}
}

func (c *conn) onPublished(pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
	if c.closing.Load() {
		return
	}
	if c.f.seen(peerOf(rp)) && isCamera(pub) {
		c.subscribe(pub, rp)
	}
}

func (c *conn) onMuted(pub lksdk.TrackPublication, p lksdk.Participant, muted bool) {
	if !c.closing.Load() && pub.Kind() == lksdk.TrackKindVideo {
		c.f.muted(p.Identity(), pub.SID(), muted)
	}
}

// subscribeCamera subscribes to the camera tracks rp publishes.
func (c *conn) subscribeCamera(rp *lksdk.RemoteParticipant) {
	for _, tp := range rp.TrackPublications() {
		if pub, ok := tp.(*lksdk.RemoteTrackPublication); ok && isCamera(pub) {
			c.subscribe(pub, rp)
		}
	}
}

func (c *conn) subscribe(pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
	if pub.IsSubscribed() {
		return
	}
	if err := pub.SetSubscribed(true); err != nil {
		c.log.Warn("subscribe to the candidate's camera", "participant", rp.Identity(), "track", pub.SID(), "err", err)
	}
}

// isCamera accepts video from the camera, or unlabelled video (publishers that do not set
// a source); screen shares are not the candidate's face.
func isCamera(pub lksdk.TrackPublication) bool {
	if pub.Kind() != lksdk.TrackKindVideo {
		return false
	}
	s := pub.Source()
	return s == livekit.TrackSource_CAMERA || s == livekit.TrackSource_UNKNOWN
}

func (c *conn) onSubscribed(tr *webrtc.TrackRemote, pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
	if c.closing.Load() || tr.Kind() != webrtc.RTPCodecTypeVideo || !isCamera(pub) {
		return
	}
	kf := pli{rp: rp, ssrc: tr.SSRC()}
	t, err := c.f.subscribed(rp.Identity(), pub.SID(), tr.Codec().MimeType, kf)
	if err != nil {
		c.log.Warn("start video analysis", "track", pub.SID(), "err", err)
		return
	}
	if t == nil {
		return
	}
	c.wg.Add(1)
	go c.read(tr, t)
}

func (c *conn) onUnsubscribed(_ *webrtc.TrackRemote, pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
	if !c.closing.Load() && c.f.isCandidate(rp.Identity()) {
		c.f.ended(pub.SID(), nil, "unpublished")
	}
}

// read copies one track's RTP packets into its input until the track ends.
func (c *conn) read(tr *webrtc.TrackRemote, t *track) {
	defer c.wg.Done()
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil || t.stopped.Load() {
			c.f.ended(t.sid, t, "the track stopped")
			return
		}
		t.in.WriteRTP(pkt)
	}
}

// notice posts the consent notice.
func (c *conn) notice() {
	if err := postNotice(c.room.LocalParticipant, c.cfg.Notice, time.Now()); err != nil {
		c.log.Warn("post the consent notice", "err", err)
		c.tl.Event("livekit", "Could not post the notice in the room's chat: "+err.Error())
		return
	}
	c.tl.Event("notice", "Posted in the room's chat: "+c.cfg.Notice)
}

func peerOf(rp *lksdk.RemoteParticipant) Peer {
	p := Peer{Identity: rp.Identity(), Name: rp.Name(), Attributes: rp.Attributes(),
		Kind: kindName(rp.Kind())}
	for _, tp := range rp.TrackPublications() {
		if isCamera(tp) {
			p.HasCamera = true
		}
	}
	return p
}

func kindName(k lksdk.ParticipantKind) string {
	return strings.ToLower(livekit.ParticipantInfo_Kind(k).String())
}

// pli asks the candidate's sender for a keyframe through the SFU.
type pli struct {
	rp   *lksdk.RemoteParticipant
	ssrc webrtc.SSRC
}

func (p pli) RequestKeyframe() error {
	p.rp.WritePLI(p.ssrc)
	return nil
}

var _ bot.KeyframeRequester = pli{}

// sdkLogger routes the SDK's logs into slog; its info level is chatty and maps to debug.
func sdkLogger(log *slog.Logger) protologger.Logger {
	return protologger.LogRLogger(logr.FromSlogHandler(quieter{log.Handler()}))
}

// quieter lowers info records to debug.
type quieter struct{ h slog.Handler }

func (q quieter) Enabled(ctx context.Context, l slog.Level) bool {
	if l == slog.LevelInfo {
		l = slog.LevelDebug
	}
	return q.h.Enabled(ctx, l)
}

func (q quieter) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelInfo {
		r.Level = slog.LevelDebug
	}
	return q.h.Handle(ctx, r)
}

func (q quieter) WithAttrs(a []slog.Attr) slog.Handler { return quieter{q.h.WithAttrs(a)} }
func (q quieter) WithGroup(n string) slog.Handler      { return quieter{q.h.WithGroup(n)} }
