// Package room is the hosted interview room: a small SFU per interview. Each participant's
// browser connects over a websocket (signaling, docs/protocol.md) and one pion PeerConnection;
// the room forwards each participant's media to the other and hands the candidate's video to
// the bot's Session inside the server. The interview service (internal/interview) builds the
// Manager; each Room is a bot.Call in the service's registry of running calls (Config.Attach).
package room

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/bot/check"
	"github.com/integritybot/integritybot/internal/geo"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/turn"
	"github.com/integritybot/integritybot/media/vpx"
)

// Roles of the participants of a room.
const (
	Candidate   = "candidate"
	Interviewer = "interviewer"
)

// Interviews is what the room needs from the store.
type Interviews interface {
	// Interview returns the candidate's claims and the interview's state.
	Interview(ctx context.Context, id string) (report.Candidate, report.State, error)
	// Started records that the call started.
	Started(ctx context.Context, id string, at time.Time) error
	// Ended records the final (or interrupted) report: the session's End hands it over
	// once (bot.EndSink).
	Ended(ctx context.Context, r *report.Report) error
	bot.ReportSink
}

// Config configures the rooms of one server.
type Config struct {
	PublicIPs        []string
	UDPPortMin       uint16
	UDPPortMax       uint16
	ICEServers       []webrtc.ICEServer
	IncludeLoopback  bool
	VideoCodec       string // vp8 | vp9
	StartBitrateKbps int
	IdleTimeout      time.Duration // nobody connected for this long ends the interview
	MaxDuration      time.Duration
	// LiveInterval is how often the interviewer's page gets the live checks; zero means as
	// often as the session persists its live report (Session.ReportInterval).
	LiveInterval  time.Duration
	RetentionDays int
	Session       bot.Config
	// Now is the rooms' clock (nil: time.Now): call time, the idle timeout and the maximum
	// duration are measured with it. Tests drive it to end an idle room without waiting.
	Now func() time.Time
	// Attach lists a room's call in the interview service's registry of running calls
	// (internal/interview), from the room's opening until its final report is saved, so that
	// POST /api/interviews/{id}/end, challenges and the live report reach it like a joined
	// call. Nil: the room is listed nowhere.
	Attach func(id string, c bot.Call) (release func())
	// Geo is what the timezone, network and virtual_camera checks look things up in; the
	// zero value makes them say unknown where they need data.
	Geo check.Env
	// TURN issues each participant short-lived credentials for the TURN servers of
	// ICEServers that have none (internal/turn); its zero value hands out ICEServers as they are.
	TURN turn.Issuer
}

// DefaultConfig returns the defaults used for zero IdleTimeout, MaxDuration and VideoCodec,
// and the configuration file's (internal/config takes them from here).
func DefaultConfig() Config {
	return Config{IdleTimeout: 10 * time.Minute, MaxDuration: 4 * time.Hour, VideoCodec: "vp8"}
}

// ErrEnded is returned when joining an interview that is over.
var ErrEnded = errors.New("room: the interview has ended")

// Manager owns the live rooms of one server.
type Manager struct {
	cfg    Config
	api    *webrtc.API
	codec  vpx.Codec
	video  webrtc.RTPCodecCapability
	store  Interviews
	log    *slog.Logger
	now    func() time.Time
	up     websocket.Upgrader
	mu     sync.Mutex
	rooms  map[string]*Room
	closed bool
}

// NewManager validates cfg and builds the WebRTC stack.
func NewManager(cfg Config, store Interviews, log *slog.Logger) (*Manager, error) {
	d := DefaultConfig()
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = d.IdleTimeout
	}
	if cfg.MaxDuration <= 0 {
		cfg.MaxDuration = d.MaxDuration
	}
	if cfg.VideoCodec == "" {
		cfg.VideoCodec = d.VideoCodec
	}
	if cfg.LiveInterval <= 0 {
		cfg.LiveInterval = cfg.Session.ReportInterval
	}
	if cfg.LiveInterval <= 0 {
		cfg.LiveInterval = bot.DefaultConfig().ReportInterval
	}
	api, err := newAPI(cfg, log)
	if err != nil {
		return nil, err
	}
	video, _, codec, err := videoCodec(cfg.VideoCodec)
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Manager{
		cfg: cfg, api: api, codec: codec, video: video.RTPCodecCapability,
		store: store, log: log, now: now, rooms: map[string]*Room{},
		up: websocket.Upgrader{ReadBufferSize: 16 << 10, WriteBufferSize: 16 << 10},
	}, nil
}

// ServeWS upgrades an authenticated request to the signaling websocket of role in interview id.
func (m *Manager) ServeWS(w http.ResponseWriter, r *http.Request, id, role string) {
	conn, err := m.up.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader already answered
	}
	log := m.log.With("interview_id", id, "role", role, "remote", r.RemoteAddr)
	sock := newSocket(conn, log, m.now)
	defer sock.Wait()
	rm, err := m.room(r.Context(), id)
	if err != nil {
		msg := "could not open the interview room"
		if errors.Is(err, ErrEnded) {
			sock.Send(out{Type: "ended"})
			msg = "the interview has ended"
		} else {
			log.Error("open room", "err", err)
		}
		sock.Send(out{Type: "error", Error: msg})
		sock.Close()
		return
	}
	client, _ := geo.ClientFromContext(r.Context())
	rm.serve(sock, role, client, log)
}

// room returns the live room of interview id, starting it on first join.
func (m *Manager) room(ctx context.Context, id string) (*Room, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errors.New("room: server is shutting down")
	}
	if rm, ok := m.rooms[id]; ok {
		return rm, nil
	}
	cand, state, err := m.store.Interview(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("room: load interview: %w", err)
	}
	if state == report.Final || state == report.Interrupted {
		return nil, ErrEnded
	}
	rm, err := newRoom(m, id, cand)
	if err != nil {
		return nil, err
	}
	if err := m.store.Started(ctx, id, rm.start); err != nil {
		return nil, fmt.Errorf("room: record start: %w", err)
	}
	m.rooms[id] = rm
	return rm, nil
}

func (m *Manager) remove(id string) {
	m.mu.Lock()
	delete(m.rooms, id)
	m.mu.Unlock()
}

// Close stops taking interviews and closes every room; their reports are saved as
// interrupted, since the calls did not end.
func (m *Manager) Close(ctx context.Context) {
	m.mu.Lock()
	m.closed = true
	rooms := make([]*Room, 0, len(m.rooms))
	for _, rm := range m.rooms {
		rooms = append(rooms, rm)
	}
	m.mu.Unlock()
	for _, rm := range rooms {
		rm.end(ctx, "server shut down", report.Interrupted)
	}
}
