package room_test

import (
	"context"
	"testing"

	"github.com/integritybot/integritybot/bot/connect/room"
	"github.com/integritybot/integritybot/internal/report"
)

// A candidate who declines the consent notice: the interviewer already in the room hears it
// as a peer state, an interviewer who joins later hears it on joining, the interviewer cannot
// send it, and the timeline records it.
func TestConsentDeclinedReachesInterviewer(t *testing.T) {
	f := newFixture(t, "vp8")
	iv := f.dial(t, room.Interviewer)
	iv.waitFor("welcome")
	iv.send(map[string]any{"type": "consent", "state": "declined"})
	if e := iv.waitFor("error"); e["error"] == "" {
		t.Fatal("interviewer's consent message refused without a reason")
	}

	cand := f.dial(t, room.Candidate)
	cand.waitFor("welcome")
	cand.send(map[string]any{"type": "consent", "state": "declined"})
	if m := iv.waitFor("peer"); m["role"] != room.Candidate || m["state"] != "declined" {
		t.Fatalf("interviewer got %v, want peer candidate declined", m)
	}
	cand.close()

	late := f.dial(t, room.Interviewer)
	late.waitFor("welcome")
	if m := late.waitFor("peer"); m["role"] != room.Candidate || m["state"] != "declined" {
		t.Fatalf("a later interviewer got %v, want peer candidate declined", m)
	}

	r, _ := f.end(context.Background(), "test over")
	var found bool
	for _, e := range r.Timeline {
		found = found || e.Kind == "declined"
	}
	if !found {
		t.Fatalf("timeline %+v lacks the declined event", r.Timeline)
	}
	if r.State != report.Final {
		t.Fatalf("state %s", r.State)
	}
}
