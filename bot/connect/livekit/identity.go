package livekit

import (
	"context"
	"errors"
	"fmt"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/twitchtv/twirp"
)

// ErrIdentityTaken is returned when the bot's identity is already used in the room, or is
// the candidate's: LiveKit lets only one participant hold an identity and removes the
// earlier one when another joins with it (DUPLICATE_IDENTITY), so joining would throw the
// candidate (or an interviewer) out of their own interview.
var ErrIdentityTaken = errors.New("livekit: the bot's identity is taken")

// participants lists the identities in a room and whether each is hidden; a room that does
// not exist yet has none.
type participants func(ctx context.Context, room string) (map[string]bool, error)

// roomService lists participants through LiveKit's RoomService API (the same API key signs
// an admin token for the one room).
func roomService(url, key, secret string) participants {
	c := lksdk.NewRoomServiceClient(url, key, secret)
	return func(ctx context.Context, room string) (map[string]bool, error) {
		res, err := c.ListParticipants(ctx, &livekit.ListParticipantsRequest{Room: room})
		var te twirp.Error
		if errors.As(err, &te) && te.Code() == twirp.NotFound {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("livekit: list participants: %w", err)
		}
		out := make(map[string]bool, len(res.GetParticipants()))
		for _, p := range res.GetParticipants() {
			out[p.GetIdentity()] = p.GetPermission().GetHidden()
		}
		return out, nil
	}
}

// checkIdentity refuses to join as the candidate's identity or as one already in the room.
// On a rejoin a hidden participant with the bot's identity is the bot's own earlier
// connection, which the server replaces; anyone visible is somebody else.
func checkIdentity(ctx context.Context, cfg Config, list participants, rejoin bool) error {
	if cfg.Rule.Identity != "" && cfg.Rule.Identity == cfg.Identity {
		return fmt.Errorf("%w: %q is the candidate's identity; give the bot another one (--identity)", ErrIdentityTaken, cfg.Identity)
	}
	if cfg.Rule.Identity == "" {
		for _, id := range cfg.Rule.Interviewers {
			if id == cfg.Identity {
				return fmt.Errorf("%w: %q is an interviewer's identity; give the bot another one (--identity)", ErrIdentityTaken, cfg.Identity)
			}
		}
	}
	in, err := list(ctx, cfg.Room)
	if err != nil {
		return fmt.Errorf("livekit: check that identity %q is free in room %q: %w", cfg.Identity, cfg.Room, err)
	}
	if hidden, ok := in[cfg.Identity]; ok && (!rejoin || !hidden) {
		return fmt.Errorf("%w: a participant %q is already in room %q; joining would remove them (give the bot another identity with --identity)",
			ErrIdentityTaken, cfg.Identity, cfg.Room)
	}
	return nil
}
