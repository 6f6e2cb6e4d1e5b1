// Package livekit joins an interview held in a LiveKit room (github.com/livekit/server-sdk-go)
// as a hidden participant that only subscribes: its token grants RoomJoin, CanSubscribe and
// CanPublishData (for the consent notice) but not CanPublish, so the people in the call never
// see a tile for it. It picks the candidate by identity or by a Rule, subscribes to their
// camera only (auto-subscribe is off), and feeds each video track (VP8 or VP9 through libvpx,
// H.264 through media/h264) into the interview's bot.Session, asking for keyframes by PLI. It
// follows the candidate across their reconnects and track changes (a republished track is a
// new input of the same session; leaving is bot.ParticipantLeft) and rejoins with backoff
// when the bot's own connection is lost.
package livekit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/integritybot/integritybot/bot"
)

// DefaultNotice is the consent notice posted in the room's chat.
const DefaultNotice = "integritybot is analyzing the candidate's video for this interview; a person reviews the result."

// Config says where and how to join.
type Config struct {
	URL       string // the LiveKit server, ws(s):// or http(s)://
	Room      string
	APIKey    string // never logged
	APISecret string // never logged
	// Identity is the bot's participant identity (e.g. "integritybot-<interview id>"); Name
	// its display name (default "integritybot").
	Identity string
	Name     string
	// Rule picks the candidate.
	Rule Rule
	// Notice is posted in the room's chat when the bot joins and whenever the candidate
	// (re)joins (default DefaultNotice).
	Notice string
	// LeaveAfter ends the call when the candidate has been out of the room this long (or
	// never came); default 10 min.
	LeaveAfter time.Duration
	// ConnectTimeout bounds one join (default 20 s).
	ConnectTimeout time.Duration
	// Backoff and MaxBackoff space rejoins after the connection is lost (default 1 s
	// doubling to 30 s); GiveUpAfter stops after this long disconnected (default 5 min).
	Backoff     time.Duration
	MaxBackoff  time.Duration
	GiveUpAfter time.Duration
	Log         *slog.Logger

	// participants lists the room's identities before each join (default: LiveKit's
	// RoomService API); tests replace it.
	participants participants
}

// DefaultConfig returns the defaults used for zero Config fields (Name, Notice, LeaveAfter
// and the timing), and the configuration file's livekit section (internal/config takes them
// from here).
func DefaultConfig() Config {
	return Config{
		Name:           "integritybot",
		Notice:         DefaultNotice,
		LeaveAfter:     10 * time.Minute,
		ConnectTimeout: 20 * time.Second,
		Backoff:        time.Second,
		MaxBackoff:     30 * time.Second,
		GiveUpAfter:    5 * time.Minute,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Name == "" {
		c.Name = d.Name
	}
	if c.Notice == "" {
		c.Notice = d.Notice
	}
	if c.LeaveAfter <= 0 {
		c.LeaveAfter = d.LeaveAfter
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = d.ConnectTimeout
	}
	if c.Backoff <= 0 {
		c.Backoff = d.Backoff
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = d.MaxBackoff
	}
	if c.GiveUpAfter <= 0 {
		c.GiveUpAfter = d.GiveUpAfter
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.participants == nil {
		c.participants = roomService(c.URL, c.APIKey, c.APISecret)
	}
	return c
}

// Errors returned by Run.
var (
	// ErrConfig wraps a missing or invalid URL, room, identity or API credential.
	ErrConfig = errors.New("livekit: invalid configuration")
	// ErrRemoved is returned when the server removed the bot from the room or another
	// participant joined with its identity.
	ErrRemoved = errors.New("livekit: removed from the room")
)

// CheckURL accepts the URL of a LiveKit server: ws://, wss://, http:// or https:// with a host.
func CheckURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return errors.New("the LiveKit URL must be a ws://, wss://, http:// or https:// URL")
	}
	switch u.Scheme {
	case "ws", "wss", "http", "https":
		return nil
	}
	return errors.New("the LiveKit URL must be a ws://, wss://, http:// or https:// URL")
}

func (c Config) check() error {
	var errs []error
	if err := CheckURL(c.URL); err != nil {
		errs = append(errs, err)
	}
	if c.Room == "" {
		errs = append(errs, errors.New("the room name is required"))
	}
	if c.Identity == "" {
		errs = append(errs, errors.New("the bot's identity is required"))
	}
	if c.APIKey == "" || c.APISecret == "" {
		errs = append(errs, errors.New("an API key and secret are required (livekit.api_key, livekit.api_secret)"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// Run joins and feeds the candidate's video into sess until ctx ends (nil), the room is
// closed (nil), the candidate has been away for Config.LeaveAfter (nil), or joining fails
// for good: a first join that fails (wrong URL, key or room) at once, a lost connection after
// Config.GiveUpAfter of failed rejoins, ErrRemoved, or ErrIdentityTaken (the bot's
// identity is the candidate's or is in the room already: joining would remove them).
func Run(ctx context.Context, cfg Config, sess *bot.Session) error {
	cfg = cfg.withDefaults()
	if err := cfg.check(); err != nil {
		return err
	}
	log := cfg.Log.With("connector", "livekit", "room", cfg.Room)
	f := newFollower(cfg.Rule, sess, sessionOpener(sess), time.Now)
	backoff := cfg.Backoff
	everJoined := false
	lastUp := time.Now()
	for attempt := 1; ; attempt++ {
		joined, done, err := false, false, checkIdentity(ctx, cfg, cfg.participants, everJoined)
		if errors.Is(err, ErrIdentityTaken) {
			return err
		}
		if err == nil {
			joined, done, err = attemptRoom(ctx, cfg, f, sess, log)
		}
		if ctx.Err() != nil {
			return nil
		}
		if done {
			return err
		}
		if joined {
			everJoined, lastUp, backoff = true, time.Now(), cfg.Backoff
		}
		switch {
		case !everJoined:
			return err
		case time.Since(lastUp) > cfg.GiveUpAfter:
			return fmt.Errorf("livekit: disconnected for %s, giving up: %w", cfg.GiveUpAfter.Round(time.Second), err)
		}
		log.Warn("livekit connection lost; rejoining", "attempt", attempt, "in", backoff, "err", err)
		sess.Event("livekit", fmt.Sprintf("Connection to the LiveKit room lost (%v); rejoining in %s.", err, backoff.Round(time.Millisecond)))
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(2*backoff, cfg.MaxBackoff)
	}
}
