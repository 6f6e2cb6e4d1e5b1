package server

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// JoinRequest asks the bot to join a call held elsewhere (POST /api/interviews "join"):
// either WHEP or LiveKit.
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

func (j *JoinRequest) validate() []error {
	if j == nil {
		return nil
	}
	if j.LiveKit != nil {
		if j.WHEP != "" || j.Bearer != "" {
			return []error{errors.New("join: give either whep or livekit, not both")}
		}
		return j.LiveKit.validate()
	}
	if len(j.WHEP) > maxJoinURL || len(j.Bearer) > maxJoinURL {
		return []error{fmt.Errorf("join.whep and join.bearer are limited to %d bytes", maxJoinURL)}
	}
	u, err := url.Parse(j.WHEP)
	if j.WHEP == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return []error{errors.New("join.whep must be the http:// or https:// URL of a WHEP endpoint")}
	}
	return nil
}

func (l *LiveKitJoin) validate() []error {
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

// checkJoin refuses a join when this server does not join calls (or not through the API:
// join.enabled false).
func (s *Server) checkJoin(j *JoinRequest) error {
	if j != nil && s.opt.StartJoin == nil {
		return fmt.Errorf("this server does not join calls through the API: %w", ErrInvalid)
	}
	return nil
}
