package livekit

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/media/vpx"
)

// timeline is what the follower reports to: the interview's bot.Session.
type timeline interface {
	Event(kind, detail string)
	TrackEvent(e bot.CallEvent, detail string)
}

// videoInput takes one track's RTP packets (a *bot.VideoInput).
type videoInput interface {
	WriteRTP(pkt *rtp.Packet)
	Close()
}

// openFunc starts decoding a new track of the given MIME type.
type openFunc func(mime string, kf bot.KeyframeRequester) (videoInput, error)

// sessionOpener decodes VP8 and VP9 with libvpx and H.264 with media/h264.
func sessionOpener(s *bot.Session) openFunc {
	return func(mime string, kf bot.KeyframeRequester) (videoInput, error) {
		switch {
		case strings.EqualFold(mime, webrtc.MimeTypeVP8):
			return s.AddVideo(vpx.VP8, kf)
		case strings.EqualFold(mime, webrtc.MimeTypeVP9):
			return s.AddVideo(vpx.VP9, kf)
		case strings.EqualFold(mime, webrtc.MimeTypeH264):
			return s.AddH264(kf)
		}
		return nil, fmt.Errorf("livekit: unsupported video codec %s", mime)
	}
}

// follower follows the candidate through a call: who they are, whether they are in the
// room, and the video input of each of their subscribed tracks. It knows nothing of the
// SDK, so its lifecycle is tested without a server. All methods are safe for concurrent use
// (the SDK calls back from several goroutines).
type follower struct {
	rule Rule
	tl   timeline
	open openFunc
	now  func() time.Time

	mu          sync.Mutex
	ready       bool            // the bot has joined and picked among the peers present
	peers       map[string]Peer // seen before ready
	candidate   string          // "" until chosen
	present     bool
	absentSince time.Time
	tracks      map[string]*track // by track SID
}

// track is one subscribed video track of the candidate.
type track struct {
	sid     string
	in      videoInput
	stopped atomic.Bool // the follower closed it; the reader stops writing
}

func newFollower(rule Rule, tl timeline, open openFunc, now func() time.Time) *follower {
	return &follower{rule: rule, tl: tl, open: open, now: now, absentSince: now(),
		peers: map[string]Peer{}, tracks: map[string]*track{}}
}

// seen records that p is in the room; it returns whether p is the candidate, whose camera
// the bot then subscribes to. Before ready it only collects peers, so that the choice among
// those present at join does not depend on callback order.
func (f *follower) seen(p Peer) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.ready {
		if old, ok := f.peers[p.Identity]; ok && old.HasCamera {
			p.HasCamera = true
		}
		f.peers[p.Identity] = p
		return false
	}
	if f.candidate == "" && f.rule.Eligible(p) {
		f.choose(p, false)
	}
	return f.markPresent(p.Identity)
}

// start ends the collection phase: the candidate is picked among peers (those the room
// listed at join, plus any collected by seen). It returns the candidate's identity, "" if
// none is there yet.
func (f *follower) start(peers []Peer) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ready = true
	for _, p := range peers {
		if old, ok := f.peers[p.Identity]; ok && old.HasCamera {
			p.HasCamera = true
		}
		f.peers[p.Identity] = p
	}
	all := make([]Peer, 0, len(f.peers))
	for _, p := range f.peers {
		all = append(all, p)
	}
	f.peers = map[string]Peer{}
	if f.candidate != "" { // a reconnect: the same candidate as before
		for _, p := range all {
			if p.Identity == f.candidate {
				f.markPresent(p.Identity)
				return f.candidate
			}
		}
		f.leftLocked(f.candidate) // they left while the bot was away
		return f.candidate
	}
	p, ok, ambiguous := f.rule.Pick(all)
	if !ok {
		return ""
	}
	f.choose(p, ambiguous)
	f.markPresent(p.Identity)
	return p.Identity
}

func (f *follower) choose(p Peer, ambiguous bool) {
	f.candidate = p.Identity
	msg := fmt.Sprintf("Following participant %q as the candidate", p.Identity)
	if p.Name != "" && p.Name != p.Identity {
		msg += fmt.Sprintf(" (%s)", p.Name)
	}
	if ambiguous {
		msg += "; several participants matched the rule, give the candidate's identity to be sure"
	}
	f.tl.Event("livekit", msg+".")
}

// markPresent is called with mu held.
func (f *follower) markPresent(identity string) bool {
	if identity != f.candidate || f.candidate == "" {
		return false
	}
	if !f.present {
		f.present = true
		f.tl.TrackEvent(bot.ParticipantJoined, "")
		f.tl.Event("livekit", "The candidate is in the room.")
	}
	return true
}

// left records that identity left the room (or was disconnected).
func (f *follower) left(identity string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.peers, identity)
	f.leftLocked(identity)
}

func (f *follower) leftLocked(identity string) {
	if identity != f.candidate || !f.present {
		return
	}
	f.present = false
	f.absentSince = f.now()
	for sid, t := range f.tracks {
		f.stop(sid, t)
	}
	f.tl.TrackEvent(bot.ParticipantLeft, "left the LiveKit room")
	f.tl.Event("livekit", "The candidate left the room; waiting for them to come back.")
}

// isCandidate reports whether identity is the candidate.
func (f *follower) isCandidate(identity string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return identity != "" && identity == f.candidate
}

// subscribed starts a video input for track sid of identity. It returns nil (and no
// error) when identity is not the candidate.
func (f *follower) subscribed(identity, sid, mime string, kf bot.KeyframeRequester) (*track, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if identity == "" || identity != f.candidate {
		return nil, nil
	}
	f.markPresent(identity)
	if old := f.tracks[sid]; old != nil {
		f.stop(sid, old)
	}
	codec := strings.TrimPrefix(strings.ToLower(mime), "video/")
	in, err := f.open(mime, kf)
	if err != nil {
		f.tl.Event("livekit", fmt.Sprintf("The candidate's video (%s) cannot be analyzed: %v.", codec, err))
		return nil, err
	}
	t := &track{sid: sid, in: in}
	f.tracks[sid] = t
	f.tl.TrackEvent(bot.TrackAdded, mime)
	f.tl.Event("video", "The candidate's video arrived ("+codec+").")
	return t, nil
}

// ended closes the input of track sid: the track was unsubscribed or unpublished (t nil:
// whatever input sid has), or its reader stopped (t: only if it is still sid's input).
// why is the camera check's detail, e.g. "unpublished".
func (f *follower) ended(sid string, t *track, why string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur := f.tracks[sid]
	if cur == nil || (t != nil && cur != t) {
		if t != nil {
			t.stopped.Store(true)
			t.in.Close()
		}
		return
	}
	f.stop(sid, cur)
	if f.present {
		f.tl.TrackEvent(bot.TrackEnded, why)
		f.tl.Event("video", "The candidate's video track ended ("+why+").")
	}
}

// muted records a mute or unmute of the candidate's track sid.
func (f *follower) muted(identity, sid string, muted bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if identity != f.candidate || f.tracks[sid] == nil {
		return
	}
	if muted {
		f.tl.TrackEvent(bot.TrackMuted, "muted in LiveKit")
	} else {
		f.tl.TrackEvent(bot.TrackUnmuted, "")
	}
}

// stop closes t; mu held.
func (f *follower) stop(sid string, t *track) {
	t.stopped.Store(true)
	t.in.Close()
	delete(f.tracks, sid)
}

// closeAll closes every input, without timeline events (the bot is leaving).
func (f *follower) closeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for sid, t := range f.tracks {
		f.stop(sid, t)
	}
}

// disconnected records that the bot's own connection dropped: the candidate's tracks end
// through no doing of theirs, and the peers are learnt anew on the next join.
func (f *follower) disconnected(why string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.tracks)
	for sid, t := range f.tracks {
		f.stop(sid, t)
	}
	if n > 0 && f.present {
		f.tl.TrackEvent(bot.TrackEnded, why)
	}
	f.ready = false
}

// absentFor returns how long the candidate has been out of the room (0 while present).
func (f *follower) absentFor() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.present {
		return 0
	}
	return f.now().Sub(f.absentSince)
}

// inputs returns the SIDs of the tracks being decoded (tests).
func (f *follower) inputs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for sid := range f.tracks {
		out = append(out, sid)
	}
	return out
}
