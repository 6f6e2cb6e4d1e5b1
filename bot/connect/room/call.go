package room

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/bot/check"
	"github.com/integritybot/integritybot/internal/report"
)

// Room is one live interview call.
type Room struct {
	m     *Manager
	id    string
	cand  report.Candidate
	sess  *bot.Session
	meta  *check.Meta // the candidate's metadata: timezone, network, camera label
	log   *slog.Logger
	start time.Time

	// to[role] carries the other participant's media to role. The tracks live as long as the
	// room, so a participant who rejoins gets a new PeerConnection bound to the same tracks.
	to map[string]*outTracks

	mu       sync.Mutex
	parts    map[string]*participant
	lastSeen time.Time
	ended    *report.Report
	endOnce  sync.Once
	ending   atomic.Bool // end has begun; Live waits for the final report
	metaOnce sync.Once
	// challenging: a liveness challenge sequence is running (challenge.go).
	challenging atomic.Bool
	// declined: the candidate declined the consent notice and has not joined since (consent.go).
	declined atomic.Bool
	stop     chan struct{}
	wg       sync.WaitGroup
	release  func() // lists the room in the call registry until its final report is saved
}

type outTracks struct{ video, audio *webrtc.TrackLocalStaticRTP }

func newRoom(m *Manager, id string, cand report.Candidate) (*Room, error) {
	now := m.now()
	rm := &Room{
		m: m, id: id, cand: cand, start: now, lastSeen: now,
		log:   m.log.With("interview_id", id),
		to:    map[string]*outTracks{},
		parts: map[string]*participant{},
		stop:  make(chan struct{}),
	}
	for _, role := range []string{Candidate, Interviewer} {
		v, err := webrtc.NewTrackLocalStaticRTP(m.video, "video", "from-"+other(role))
		if err != nil {
			return nil, err
		}
		a, err := webrtc.NewTrackLocalStaticRTP(opus.RTPCodecCapability, "audio", "from-"+other(role))
		if err != nil {
			return nil, err
		}
		rm.to[role] = &outTracks{video: v, audio: a}
	}
	rm.sess = bot.NewSession(id, cand, now, m.cfg.Session, m.store, rm.log, m.now)
	rm.release = func() {}
	if m.cfg.Attach != nil { // the interview service's registry: /end, challenges, the live report
		rm.release = m.cfg.Attach(id, rm)
	}
	rm.meta = check.NewMeta(m.cfg.Geo, cand, now)
	rm.sess.Event("started", "The interview room opened.")
	rm.wg.Add(1)
	go rm.tick()
	return rm, nil
}

func other(role string) string {
	if role == Candidate {
		return Interviewer
	}
	return Candidate
}

// serve runs one participant's signaling until its socket closes.
func (rm *Room) serve(sock *socket, role string, client netip.Addr, log *slog.Logger) {
	p, err := rm.join(sock, role, log)
	if err != nil {
		sock.Send(out{Type: "error", Error: err.Error()})
		sock.Close()
		return
	}
	p.client = client
	sock.ReadLoop(p.handle)
	rm.leave(p)
}

func (rm *Room) join(sock *socket, role string, log *slog.Logger) (*participant, error) {
	p, err := newParticipant(rm, sock, role, log)
	if err != nil {
		return nil, err
	}
	rm.mu.Lock()
	if rm.ended != nil {
		rm.mu.Unlock()
		p.close()
		return nil, ErrEnded
	}
	old := rm.parts[role]
	rm.parts[role] = p
	peer := rm.parts[other(role)]
	rm.mu.Unlock()
	if old != nil {
		old.sock.Send(out{Type: "error", Error: "you joined from another window; this one is disconnected"})
		old.close()
	}
	days := rm.m.cfg.RetentionDays
	sock.Send(out{Type: "welcome", Role: role, InterviewID: rm.id, Candidate: rm.cand,
		ICEServers: rm.iceServers(role), RetentionDays: &days})
	if peer != nil && peer.isPresent() {
		sock.Send(out{Type: "peer", Role: other(role), State: "joined"})
	} else if role == Interviewer && rm.declined.Load() {
		sock.Send(out{Type: "peer", Role: Candidate, State: "declined"})
	}
	if role == Interviewer {
		sock.Send(out{Type: "checks", Report: rm.sess.Report(report.Live)})
	}
	return p, nil
}

// present marks p as in the call: its first offer. A candidate's socket opens before they
// consent (to show the retention period); only the offer, sent after consent, counts as joining.
func (rm *Room) present(p *participant) {
	rm.mu.Lock()
	current := rm.parts[p.role] == p
	peer := rm.parts[other(p.role)]
	rm.mu.Unlock()
	if !current {
		return
	}
	rm.sess.Event("joined", p.role+" joined the call.")
	if p.role == Candidate {
		rm.declined.Store(false)
		rm.sess.TrackEvent(bot.ParticipantJoined, "")
		// The metadata checks start when the candidate joins (after consent), not before.
		rm.metaOnce.Do(func() {
			for _, c := range rm.meta.Checks() {
				rm.sess.AddCheck(c)
			}
		})
		rm.meta.HTTPAddr(p.client, rm.m.now())
	}
	if peer != nil {
		peer.sock.Send(out{Type: "peer", Role: p.role, State: "joined"})
	}
}

func (rm *Room) leave(p *participant) {
	p.close()
	rm.mu.Lock()
	current := rm.parts[p.role] == p
	if current {
		delete(rm.parts, p.role)
	}
	peer := rm.parts[other(p.role)]
	if len(rm.parts) == 0 {
		rm.lastSeen = rm.m.now()
	}
	ended := rm.ended != nil
	rm.mu.Unlock()
	if !current || ended || !p.isPresent() {
		return
	}
	rm.sess.Event("left", p.role+" left the call.")
	if p.role == Candidate {
		rm.sess.TrackEvent(bot.ParticipantLeft, "")
	}
	if peer != nil {
		peer.sock.Send(out{Type: "peer", Role: p.role, State: "left"})
	}
}

// requestKeyframe asks role's browser for a keyframe of the video it sends.
func (rm *Room) requestKeyframe(role string) {
	rm.mu.Lock()
	p := rm.parts[role]
	rm.mu.Unlock()
	if p != nil {
		_ = p.RequestKeyframe()
	}
}

// tick sends the live checks to the interviewer and ends idle or overlong interviews.
func (rm *Room) tick() {
	defer rm.wg.Done()
	t := time.NewTicker(rm.m.cfg.LiveInterval)
	defer t.Stop()
	for {
		select {
		case <-rm.stop:
			return
		case <-t.C:
		}
		now := rm.m.now()
		rm.mu.Lock()
		iv := rm.parts[Interviewer]
		idle := len(rm.parts) == 0 && now.Sub(rm.lastSeen) >= rm.m.cfg.IdleTimeout
		rm.mu.Unlock()
		if iv != nil {
			iv.sock.Send(out{Type: "checks", Report: rm.sess.Report(report.Live)})
		}
		switch {
		case idle:
			go rm.end(context.Background(), "Nobody was connected for "+rm.m.cfg.IdleTimeout.String()+".", report.Final)
			return
		case now.Sub(rm.start) >= rm.m.cfg.MaxDuration:
			go rm.end(context.Background(), "The interview reached its maximum duration.", report.Final)
			return
		}
	}
}

// end closes the call once and returns the final report (the same one on later calls).
func (rm *Room) end(ctx context.Context, reason string, state report.State) *report.Report {
	rm.ending.Store(true)
	rm.endOnce.Do(func() {
		rm.sess.Event("ended", reason)
		rm.mu.Lock()
		parts := make([]*participant, 0, len(rm.parts))
		for _, p := range rm.parts {
			parts = append(parts, p)
		}
		rm.ended = &report.Report{} // placeholder: no joins from now on
		rm.mu.Unlock()
		close(rm.stop)
		for _, p := range parts {
			p.sock.Send(out{Type: "ended"})
			p.close()
		}
		rm.wg.Wait()
		r := rm.sess.End(ctx, state) // saves it once, through Interviews.Ended
		rm.mu.Lock()
		rm.ended = r
		rm.mu.Unlock()
		rm.m.remove(rm.id)
		rm.release()
		rm.log.Info("interview ended", "reason", reason, "overall", r.Overall)
	})
	rm.mu.Lock()
	defer rm.mu.Unlock()
	return rm.ended
}

var _ bot.Call = (*Room)(nil)

// Session is the room's session (bot.Call).
func (rm *Room) Session() *bot.Session { return rm.sess }

// Live returns the room's report as it stands; once the room is closing, its final report
// (bot.Call).
func (rm *Room) Live() *report.Report {
	if rm.ending.Load() {
		// The call is closing: wait for the final report rather than show a stale live one.
		return rm.end(context.Background(), "", report.Final)
	}
	return rm.sess.Report(report.Live)
}

// End ends the call and returns its final report (bot.Call).
func (rm *Room) End(ctx context.Context, reason string) *report.Report {
	return rm.end(ctx, reason, report.Final)
}

// pli is an RTCP picture loss indication for ssrc.
func pli(ssrc webrtc.SSRC) []rtcp.Packet {
	return []rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(ssrc)}}
}
