package livekit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
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

// adminTTL is how long the RoomService token that lists a room's participants is valid:
// one request's worth (the SDK's own client would sign it for 6 h).
const adminTTL = time.Minute

// roomService lists participants through LiveKit's RoomService API, with a token that
// grants roomAdmin for this one room and expires after adminTTL.
func roomService(serverURL, key, secret string) participants {
	c := livekit.NewRoomServiceProtobufClient(httpURL(serverURL), &http.Client{Timeout: 15 * time.Second})
	return func(ctx context.Context, room string) (map[string]bool, error) {
		tok, err := auth.NewAccessToken(key, secret).
			SetVideoGrant(&auth.VideoGrant{RoomAdmin: true, Room: room}).
			SetValidFor(adminTTL).ToJWT()
		if err != nil {
			return nil, fmt.Errorf("livekit: list participants: token: %w", err)
		}
		h := http.Header{}
		h.Set("Authorization", "Bearer "+tok)
		if ctx, err = twirp.WithHTTPRequestHeaders(ctx, h); err != nil {
			return nil, fmt.Errorf("livekit: list participants: %w", err)
		}
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

// httpURL turns a ws:// or wss:// server URL into the http:// or https:// one its API
// answers on.
func httpURL(s string) string {
	switch {
	case strings.HasPrefix(s, "ws://"):
		return "http://" + strings.TrimPrefix(s, "ws://")
	case strings.HasPrefix(s, "wss://"):
		return "https://" + strings.TrimPrefix(s, "wss://")
	}
	return s
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
