package interview

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/integritybot/integritybot/internal/report"
)

// Request asks for a new interview: the body of POST /api/interviews, and what the chat
// commands and integritybot join ask for.
type Request struct {
	Candidate report.Candidate `json:"candidate"`
	Notes     string           `json:"notes"`
	// Notify overrides where summaries go for this interview.
	Notify *Notify `json:"notify,omitempty"`
	// Join makes the bot join a call held elsewhere.
	Join *JoinRequest `json:"join,omitempty"`
}

// maxNotes bounds an interview's notes, in bytes.
const maxNotes = 4000

// Check trims req and reports every problem at once, as one ErrInvalid error whose
// InvalidMessage is the sentence to show. Create checks every request; integritybot join
// checks its flags with it before it opens anything.
func (req *Request) Check() error {
	if err := req.check(); err != nil {
		return fmt.Errorf("%s: %w", strings.ReplaceAll(err.Error(), "\n", "; "), ErrInvalid)
	}
	return nil
}

func (req *Request) check() error {
	errs := []error{CheckClaims(&req.Candidate, "candidate.")}
	if req.Candidate.Name == "" {
		errs = append(errs, errors.New("candidate.name is required"))
	}
	if len(req.Notes) > maxNotes {
		errs = append(errs, fmt.Errorf("notes are limited to %d characters", maxNotes))
	}
	errs = append(errs, req.Notify.check()...)
	errs = append(errs, req.Join.check()...)
	return errors.Join(errs...)
}

// Notify says where an interview's summary and live alerts go, overriding the configured
// default channels.
type Notify struct {
	SlackChannel   string `json:"slack_channel"`
	DiscordChannel string `json:"discord_channel_id"`
	// SlackUser and DiscordUser are the interviewer's chat user ids (Slack U…, a Discord
	// user id): live alerts reach them in a direct message before the channel.
	SlackUser   string `json:"slack_user,omitempty"`
	DiscordUser string `json:"discord_user_id,omitempty"`
}

func (n *Notify) check() []error {
	if n == nil {
		return nil
	}
	var errs []error
	n.SlackChannel, n.DiscordChannel = strings.TrimSpace(n.SlackChannel), strings.TrimSpace(n.DiscordChannel)
	n.SlackUser, n.DiscordUser = strings.TrimSpace(n.SlackUser), strings.TrimSpace(n.DiscordUser)
	if len(n.SlackUser) > 40 || strings.ContainsAny(n.SlackUser, " \t\n/,") {
		errs = append(errs, errors.New("notify.slack_user must be a Slack user id such as U0123456789"))
	}
	if len(n.DiscordUser) > 20 || strings.Trim(n.DiscordUser, "0123456789") != "" {
		errs = append(errs, errors.New("notify.discord_user_id must be a numeric Discord user id"))
	}
	if len(n.SlackChannel) > 80 || strings.ContainsAny(n.SlackChannel, " \t\n/") {
		errs = append(errs, errors.New("notify.slack_channel must be a Slack channel id such as C0123456789"))
	}
	if len(n.DiscordChannel) > 20 || strings.Trim(n.DiscordChannel, "0123456789") != "" {
		errs = append(errs, errors.New("notify.discord_channel_id must be a numeric Discord channel id"))
	}
	return errs
}

// JoinRequest asks the bot to join a call held elsewhere: either WHEP or LiveKit.
type JoinRequest struct {
	// WHEP is the call's WHEP endpoint (bot/connect/whep).
	WHEP string `json:"whep"`
	// Bearer is the endpoint's token, if it needs one. It is never stored or returned.
	Bearer string `json:"bearer,omitempty"`
	// LiveKit is a LiveKit room (bot/connect/livekit).
	LiveKit *LiveKitJoin `json:"livekit,omitempty"`
}

// LiveKitJoin names a LiveKit room to join. The API key and secret come from the server's
// configuration (livekit.api_key, livekit.api_secret), never from the request.
type LiveKitJoin struct {
	// URL is the LiveKit server (ws://, wss://, http:// or https://); empty means the
	// configured livekit.url.
	URL string `json:"url,omitempty"`
	// Room is the room's name.
	Room string `json:"room"`
	// Identity is the bot's participant identity; empty means livekit.identity_prefix +
	// the interview id. Only the operator's CLI (--identity) sets it: through the API it is
	// refused, so no caller can make the bot join as someone in the room.
	Identity string `json:"identity,omitempty"`
	// CandidateIdentity is the candidate's participant identity; empty means the configured
	// rule (the first participant that is not an interviewer).
	CandidateIdentity string `json:"candidate_identity,omitempty"`
}

// maxJoinURL bounds the URLs and the bearer of a join (bot/connect/whep.MaxURL).
const maxJoinURL = 2048

func (j *JoinRequest) check() []error {
	if j == nil {
		return nil
	}
	if j.LiveKit != nil {
		if j.WHEP != "" || j.Bearer != "" {
			return []error{errors.New("join: give either whep or livekit, not both")}
		}
		return j.LiveKit.check()
	}
	if len(j.WHEP) > maxJoinURL || len(j.Bearer) > maxJoinURL {
		return []error{fmt.Errorf("join.whep and join.bearer are limited to %d bytes", maxJoinURL)}
	}
	if err := checkWHEPURL(j.WHEP); err != nil {
		return []error{errors.New("join.whep must be the http:// or https:// URL of a WHEP endpoint")}
	}
	return nil
}

// checkWHEPURL accepts absolute http(s) URLs.
func checkWHEPURL(s string) error {
	u, err := url.Parse(s)
	if s == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("the WHEP endpoint must be an http:// or https:// URL")
	}
	return nil
}

func (l *LiveKitJoin) check() []error {
	var errs []error
	l.URL, l.Room = strings.TrimSpace(l.URL), strings.TrimSpace(l.Room)
	l.Identity, l.CandidateIdentity = strings.TrimSpace(l.Identity), strings.TrimSpace(l.CandidateIdentity)
	if len(l.URL) > maxJoinURL {
		errs = append(errs, fmt.Errorf("join.livekit.url is limited to %d bytes", maxJoinURL))
	} else if l.URL != "" {
		u, err := url.Parse(l.URL)
		if err != nil || u.Host == "" || (u.Scheme != "ws" && u.Scheme != "wss" && u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, errors.New("join.livekit.url must be a ws://, wss://, http:// or https:// URL"))
		}
	}
	if l.Room == "" {
		errs = append(errs, errors.New("join.livekit.room is required"))
	}
	if l.Identity != "" {
		errs = append(errs, errors.New("join.livekit.identity cannot be chosen through the API: the bot joins as livekit.identity_prefix + the interview id"))
	}
	for _, f := range []struct{ name, v string }{{"room", l.Room}, {"identity", l.Identity}, {"candidate_identity", l.CandidateIdentity}} {
		if len(f.v) > 256 {
			errs = append(errs, fmt.Errorf("join.livekit.%s is limited to 256 characters", f.name))
		}
	}
	return errs
}
