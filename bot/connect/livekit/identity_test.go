package livekit

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	"github.com/twitchtv/twirp"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/report"
)

func TestCheckIdentity(t *testing.T) {
	inRoom := func(ids map[string]bool) participants {
		return func(context.Context, string) (map[string]bool, error) { return ids, nil }
	}
	down := func(context.Context, string) (map[string]bool, error) { return nil, errors.New("connection refused") }
	tests := []struct {
		name    string
		cfg     Config
		list    participants
		rejoin  bool
		taken   bool // ErrIdentityTaken
		wantErr string
	}{
		{name: "free", cfg: Config{Identity: "integritybot-1"}, list: inRoom(map[string]bool{"candidate": false})},
		{name: "empty room", cfg: Config{Identity: "integritybot-1"}, list: inRoom(nil)},
		{name: "the candidate's identity", cfg: Config{Identity: "candidate", Rule: Rule{Identity: "candidate"}},
			list: inRoom(nil), taken: true, wantErr: "candidate's identity"},
		{name: "an interviewer's identity", cfg: Config{Identity: "alice", Rule: Rule{Interviewers: []string{"alice"}}},
			list: inRoom(nil), taken: true, wantErr: "interviewer's identity"},
		{name: "somebody in the room", cfg: Config{Identity: "candidate"}, list: inRoom(map[string]bool{"candidate": false}),
			taken: true, wantErr: `a participant "candidate" is already in room`},
		{name: "a hidden one before the first join", cfg: Config{Identity: "integritybot-1"},
			list: inRoom(map[string]bool{"integritybot-1": true}), taken: true, wantErr: "already in room"},
		{name: "the bot's own earlier connection on a rejoin", cfg: Config{Identity: "integritybot-1"},
			list: inRoom(map[string]bool{"integritybot-1": true}), rejoin: true},
		{name: "somebody visible on a rejoin", cfg: Config{Identity: "integritybot-1"},
			list: inRoom(map[string]bool{"integritybot-1": false}), rejoin: true, taken: true, wantErr: "already in room"},
		{name: "cannot list", cfg: Config{Identity: "integritybot-1"}, list: down, wantErr: "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Room = "interview1"
			err := checkIdentity(context.Background(), tt.cfg, tt.list, tt.rejoin)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("checkIdentity: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.Is(err, ErrIdentityTaken) != tt.taken {
				t.Fatalf("err = %v, want one containing %q (identity taken: %v)", err, tt.wantErr, tt.taken)
			}
		})
	}
}

// rooms is LiveKit's RoomService over twirp, as the server serves it, for ListParticipants.
type rooms struct {
	livekit.RoomService // other methods are not called
	in                  map[string][]*livekit.ParticipantInfo
}

type grantKey struct{}

func (r *rooms) ListParticipants(ctx context.Context, req *livekit.ListParticipantsRequest) (*livekit.ListParticipantsResponse, error) {
	g, _ := ctx.Value(grantKey{}).(*auth.VideoGrant)
	if g == nil || !g.RoomAdmin || g.Room != req.Room {
		return nil, twirp.PermissionDenied.Error("want roomAdmin for the room")
	}
	ps, ok := r.in[req.Room]
	if !ok {
		return nil, twirp.NotFound.Error("requested room does not exist")
	}
	return &livekit.ListParticipantsResponse{Participants: ps}, nil
}

// withAuth verifies the API token as the server does and hands its grant to the service.
func withAuth(secret string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := auth.ParseAPIToken(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		if err != nil {
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		claims, grants, err := v.Verify(secret)
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if claims.ExpiresAt == nil || claims.ExpiresAt.Sub(claims.NotBefore.Time) > time.Minute {
			http.Error(w, "the admin token lives longer than a minute", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), grantKey{}, grants.Video)))
	})
}

// TestRunRefusesTakenIdentity: Run asks the server's RoomService who is in the room and
// does not join as somebody there; a room that does not exist yet is free.
func TestRunRefusesTakenIdentity(t *testing.T) {
	const secret = "secret-of-at-least-32-characters-xx"
	rs := &rooms{in: map[string][]*livekit.ParticipantInfo{
		"interview1": {{Identity: "candidate"}, {Identity: "integritybot-x", Permission: &livekit.ParticipantPermission{Hidden: true}}},
	}}
	hs := httptest.NewServer(withAuth(secret, livekit.NewRoomServiceServer(rs)))
	defer hs.Close()
	wsURL := "ws" + strings.TrimPrefix(hs.URL, "http")

	list := roomService(wsURL, "APIkey", secret)
	got, err := list(context.Background(), "interview1")
	if err != nil || len(got) != 2 || got["candidate"] || !got["integritybot-x"] {
		t.Fatalf("participants = %v, %v", got, err)
	}
	if got, err := list(context.Background(), "no-such-room"); err != nil || len(got) != 0 {
		t.Fatalf("a room not created yet: %v, %v", got, err)
	}
	if _, err := roomService(wsURL, "APIkey", "another-secret-of-32-characters-xxx")(context.Background(), "interview1"); err == nil {
		t.Fatal("listing with the wrong secret succeeded")
	}

	sess := bot.NewSession("lk-id", report.Candidate{Name: "Test"}, time.Now(), bot.Config{}, nil, nil, nil)
	defer sess.Close()
	err = Run(context.Background(), Config{URL: wsURL, Room: "interview1", APIKey: "APIkey", APISecret: secret,
		Identity: "candidate", ConnectTimeout: time.Second}, sess)
	if !errors.Is(err, ErrIdentityTaken) {
		t.Fatalf("Run as the candidate's identity: %v, want ErrIdentityTaken", err)
	}
}
