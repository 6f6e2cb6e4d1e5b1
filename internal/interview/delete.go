package interview

import (
	"context"
	"errors"
)

// The candidate's data (issue 15): Delete ends a live call, revokes the interview's links and
// deletes everything stored of it (store.DeleteInterview); Revoke ends a live call and revokes
// the links only, keeping the report. docs/privacy.md says what is kept, where and for how long.

// Reasons a call ends with, in the report.
const (
	reasonDeleted = "The interview was deleted through the API."
	reasonRevoked = "The interview's links were revoked through the API."
)

// Delete revokes the links of interview id (nobody rejoins), deletes the interview, its
// report and its outbox rows, and ends its live call if this process runs one. The rows go
// before the call ends: ending stores the final report and queues its chat summary, which
// the outbox would post at once; with the interview gone both are refused (store.ErrNotFound)
// and nothing about the candidate is posted or stored again. It is what DELETE
// /api/interviews/{id} does, and what chat commands call. store.ErrNotFound when there is no
// such interview.
func (s *Service) Delete(ctx context.Context, id string) error {
	if err := s.opt.Store.RevokeLinks(ctx, id); err != nil {
		return err
	}
	if err := s.opt.Store.DeleteInterview(ctx, id); err != nil {
		return err
	}
	s.endCall(ctx, id, reasonDeleted)
	return nil
}

// ErrOtherChannel is returned (wrapped) by DeleteFromChannel for an interview that was not
// created in the command's channel.
var ErrOtherChannel = errors.New("the interview was not created in this channel")

// DeleteFromChannel is Delete for a chat command typed in a Slack or Discord channel: only an
// interview whose summary goes to that channel (it was created there) may be deleted from it.
// It ends a live call only when this process runs it (no redirect, unlike the API).
func (s *Service) DeleteFromChannel(ctx context.Context, id, slackChannel, discordChannel string) error {
	iv, err := s.opt.Store.GetInterview(ctx, id)
	if err != nil {
		return err
	}
	same := slackChannel != "" && iv.SlackChannel == slackChannel ||
		discordChannel != "" && iv.DiscordChannel == discordChannel
	if !same {
		return ErrOtherChannel
	}
	return s.Delete(ctx, id)
}

// Revoke refuses every link of interview id from now on and ends its live call, if this
// process runs one (its summary is posted as usual). store.ErrNotFound when there is no such
// interview.
func (s *Service) Revoke(ctx context.Context, id string) error {
	if err := s.opt.Store.RevokeLinks(ctx, id); err != nil {
		return err
	}
	s.endCall(ctx, id, reasonRevoked)
	return nil
}

// endCall ends the running call of interview id, if this process runs one.
func (s *Service) endCall(ctx context.Context, id, reason string) {
	if c, ok := s.calls.get(id); ok {
		c.End(ctx, reason)
	}
}
