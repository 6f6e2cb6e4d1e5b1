package room_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/bot/connect/room"
	"github.com/integritybot/integritybot/internal/report"
)

// rawDial opens the signaling websocket of role without a peer: the attacker's client.
func (f *fixture) rawDial(t *testing.T, role string) *websocket.Conn {
	t.Helper()
	url := "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/?id=" + f.id + "&role=" + role
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// readUntilClosed reads until the server closes the socket and returns the error messages it
// sent before and the close error.
func readUntilClosed(t *testing.T, ws *websocket.Conn) (errs []string, closeErr error) {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(wait))
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return errs, err
		}
		var m struct{ Type, Error string }
		if json.Unmarshal(data, &m) == nil && m.Type == "error" {
			errs = append(errs, m.Error)
		}
	}
}

// TestSocketFlood performs the review's flood (issue 15, finding 1): a candidate sends
// track messages as fast as it can. With the room's clock frozen, exactly MessageBurst
// messages are handled, then the socket is closed with 1008 (policy violation). Flooding
// again from new sockets cannot grow the report either: the timeline keeps MaxTimeline
// lines and says how many were dropped, and the report stays within its bound.
func TestSocketFlood(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	f := newFixture(t, "vp8", func(c *room.Config) { c.Now = func() time.Time { return t0 } })
	label := strings.Repeat("x", 256) // the longest label a track message keeps
	msg := []byte(`{"type":"track","kind":"video","state":"live","label":"` + label + `"}`)
	const sockets, perSocket = 4, room.MessageBurst + 50
	for i := range sockets {
		ws := f.rawDial(t, room.Candidate)
		sent := 0
		for ; sent < perSocket; sent++ {
			if err := ws.WriteMessage(websocket.TextMessage, msg); err != nil {
				break // the server closed it
			}
		}
		_, err := readUntilClosed(t, ws)
		if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
			t.Fatalf("socket %d (%d sent): %v, want close 1008", i, sent, err)
		}
		if i == 0 {
			r, _ := f.live()
			if n := countKind(r, "device"); n != room.MessageBurst {
				t.Fatalf("first socket: %d track messages handled, want %d", n, room.MessageBurst)
			}
		}
	}
	r, ok := f.live()
	if !ok {
		t.Fatal("room not live")
	}
	dropped := false
	for _, e := range r.Timeline {
		dropped = dropped || strings.Contains(e.Detail, "more timeline events were dropped")
	}
	if len(r.Timeline) > bot.MaxTimeline+1 || !dropped {
		t.Errorf("timeline: %d lines (dropped line: %v), want at most %d and the dropped line", len(r.Timeline), dropped, bot.MaxTimeline+1)
	}
	b, _ := json.Marshal(r)
	if bound := bot.MaxTimeline*(bot.MaxEventDetail+100) + 64<<10; len(b) > bound {
		t.Errorf("report %d bytes after %d flooding sockets, want at most %d", len(b), sockets, bound)
	}
	t.Logf("%d sockets × %d messages: %d handled per socket, timeline %d lines, report %d bytes",
		sockets, perSocket, room.MessageBurst, len(r.Timeline), len(b))
}

func countKind(r *report.Report, kind string) int {
	n := 0
	for _, e := range r.Timeline {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// TestSocketRateRefills: a socket that keeps to the rate is never closed — the bucket
// refills at MessageRate a second of the room's clock. Two full bursts, the second after the
// clock moved on by MessageBurst/MessageRate seconds, then one more message a second later.
func TestSocketRateRefills(t *testing.T) {
	clock := newFakeClock()
	f := newFixture(t, "vp8", func(c *room.Config) { c.Now = clock.Now })
	ws := f.rawDial(t, room.Candidate)
	msg := []byte(`{"type":"track","kind":"audio","state":"live"}`)
	for round := 1; round <= 2; round++ {
		for range room.MessageBurst {
			if err := ws.WriteMessage(websocket.TextMessage, msg); err != nil {
				t.Fatal(err)
			}
		}
		waitUntil(t, fmt.Sprintf("burst %d handled", round), func() bool {
			r, _ := f.live()
			return r != nil && countKind(r, "device") == round*room.MessageBurst
		})
		clock.Add(time.Duration(room.MessageBurst/room.MessageRate) * time.Second)
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"bogus"}`)); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(wait))
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("socket closed under the rate: %v", err)
		}
		if strings.Contains(string(data), "unknown type") {
			break // still open and answering
		}
	}
}

// TestICECandidateCap performs the review's candidate flood (issue 15, finding 1): an offer
// stuffed with candidates and more trickled after it. The connection takes
// MaxRemoteCandidates in total, the rest are ignored, and the browser is told once.
func TestICECandidateCap(t *testing.T) {
	f := newFixture(t, "vp8")
	ws := f.rawDial(t, room.Candidate)
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	// Loopback candidates on ports nobody listens on: harmless to probe.
	candidate := func(i int) string {
		return fmt.Sprintf("candidate:%d 1 udp 2130706431 127.0.0.1 %d typ host", i, 40000+i)
	}
	var stuffed []string
	for i := range 150 {
		stuffed = append(stuffed, "a="+candidate(i))
	}
	sdp := strings.Replace(offer.SDP, "a=mid:0\r\n", "a=mid:0\r\n"+strings.Join(stuffed, "\r\n")+"\r\n", 1)
	if sdp == offer.SDP {
		t.Fatal("no a=mid:0 in the offer")
	}
	send := func(v any) {
		if err := ws.WriteJSON(v); err != nil {
			t.Fatal(err)
		}
	}
	send(map[string]any{"type": "offer", "sdp": sdp})
	for i := 150; i < 170; i++ {
		send(map[string]any{"type": "candidate", "candidate": map[string]any{"candidate": candidate(i), "sdpMid": "0"}})
	}
	_ = ws.SetReadDeadline(time.Now().Add(wait))
	var answered bool
	var errs []string
	for !answered || len(errs) == 0 {
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v (answered %v, errors %q)", err, answered, errs)
		}
		var m struct{ Type, Error string }
		_ = json.Unmarshal(data, &m)
		switch m.Type {
		case "answer":
			answered = true
		case "error":
			errs = append(errs, m.Error)
		}
	}
	// A last message through the same reader: everything before it has been handled.
	send(map[string]any{"type": "bogus"})
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		var m struct{ Type, Error string }
		_ = json.Unmarshal(data, &m)
		if m.Type != "error" {
			continue
		}
		if strings.Contains(m.Error, "unknown type") {
			break
		}
		errs = append(errs, m.Error)
	}
	if len(errs) != 1 || !strings.Contains(errs[0], "too many ICE candidates") {
		t.Errorf("errors %q, want one saying too many ICE candidates", errs)
	}
	if n := room.RemoteCandidates(f.m, f.id, room.Candidate); n != room.MaxRemoteCandidates {
		t.Errorf("%d remote candidates taken, want %d", n, room.MaxRemoteCandidates)
	}
}
