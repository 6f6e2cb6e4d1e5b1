package server

import (
	"errors"
	"fmt"
	"net/url"
)

// JoinRequest asks the bot to join a call held elsewhere (POST /api/interviews "join").
type JoinRequest struct {
	// WHEP is the call's WHEP endpoint (bot/connect/whep).
	WHEP string `json:"whep"`
	// Bearer is the endpoint's token, if it needs one. It is never stored or returned.
	Bearer string `json:"bearer,omitempty"`
}

func (j *JoinRequest) validate() []error {
	if j == nil {
		return nil
	}
	u, err := url.Parse(j.WHEP)
	if j.WHEP == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return []error{errors.New("join.whep must be the http:// or https:// URL of a WHEP endpoint")}
	}
	return nil
}

// checkJoin refuses a join when this server does not join calls.
func (s *Server) checkJoin(j *JoinRequest) error {
	if j != nil && s.opt.StartJoin == nil {
		return fmt.Errorf("this server does not join calls: %w", ErrInvalid)
	}
	return nil
}
