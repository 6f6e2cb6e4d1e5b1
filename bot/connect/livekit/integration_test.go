package livekit

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media/vpx"
)

// TestLiveKitServer runs against a real LiveKit server (docs/join.md, "LiveKit"): a publisher joins
// as "candidate" and sends VP8 from the camera source; the bot joins hidden with the
// interviewer rule and must decode the frames into the report.
func TestLiveKitServer(t *testing.T) {
	url, key, secret := os.Getenv("LIVEKIT_URL"), os.Getenv("LIVEKIT_API_KEY"), os.Getenv("LIVEKIT_API_SECRET")
	if url == "" || key == "" || secret == "" {
		t.Skip("set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET to run against a LiveKit server (e.g. livekit-server --dev: ws://127.0.0.1:7880, devkey, secret)")
	}
	room := "integritybot-test-" + time.Now().Format("150405.000")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	pub, err := lksdk.ConnectToRoom(url, lksdk.ConnectInfo{APIKey: key, APISecret: secret, RoomName: room,
		ParticipantIdentity: "candidate", ParticipantName: "Test Candidate"}, lksdk.NewRoomCallback())
	if err != nil {
		t.Fatalf("publisher join: %v", err)
	}
	defer pub.Disconnect()
	// An interviewer without video, to be skipped by the rule.
	iv, err := lksdk.ConnectToRoom(url, lksdk.ConnectInfo{APIKey: key, APISecret: secret, RoomName: room,
		ParticipantIdentity: "interviewer"}, lksdk.NewRoomCallback())
	if err != nil {
		t.Fatalf("interviewer join: %v", err)
	}
	defer iv.Disconnect()

	track, err := lksdk.NewLocalTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pub.LocalParticipant.PublishTrack(track, &lksdk.TrackPublicationOptions{Name: "camera",
		Source: livekit.TrackSource_CAMERA, VideoWidth: 320, VideoHeight: 240}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	go sendVP8(ctx, t, track)

	sess := bot.NewSession("lk-it", report.Candidate{Name: "Test Candidate"}, time.Now(), bot.Config{}, nil, nil, nil)
	defer sess.Close()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- Run(runCtx, Config{URL: url, Room: room, APIKey: key, APISecret: secret, Identity: "integritybot-lk-it",
			Rule: Rule{Interviewers: []string{"interviewer"}}}, sess)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for decoded(sess) < 30 {
		if time.Now().After(deadline) {
			t.Fatalf("no frames decoded in 30 s; timeline: %v", events(sess))
		}
		time.Sleep(100 * time.Millisecond) // polling interval, not synchronisation
	}
	// The bot is hidden: the publisher never sees it as a participant.
	for _, p := range pub.GetRemoteParticipants() {
		if p.Identity() == "integritybot-lk-it" {
			t.Error("the bot is visible to other participants")
		}
	}
	// A second bot given the candidate's identity, or the first bot's, must not join: the
	// server would remove the one already there (issue 17).
	for _, id := range []string{"candidate", "integritybot-lk-it"} {
		dup := bot.NewSession("lk-it-dup", report.Candidate{Name: "Test Candidate"}, time.Now(), bot.Config{}, nil, nil, nil)
		dctx, dcancel := context.WithTimeout(ctx, 10*time.Second) // a join that wrongly happens ends here
		err := Run(dctx, Config{URL: url, Room: room, APIKey: key, APISecret: secret, Identity: id}, dup)
		dcancel()
		dup.Close()
		if !errors.Is(err, ErrIdentityTaken) {
			t.Errorf("joining as %q: %v, want ErrIdentityTaken", id, err)
		}
	}
	if pub.ConnectionState() != lksdk.ConnectionStateConnected || decoded(sess) == 0 {
		t.Errorf("after the refused joins: candidate %s", pub.ConnectionState())
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	r := sess.End(context.Background(), report.Final)
	if !hasEvent(sess, `Following participant "candidate"`) || !hasEvent(sess, "Posted in the room's chat") {
		t.Errorf("timeline: %v", events(sess))
	}
	if r.Coverage.FramesDecoded < 30 {
		t.Fatalf("decoded %d frames", r.Coverage.FramesDecoded)
	}
}

// sendVP8 publishes a moving pattern at 30 fps until ctx ends.
func sendVP8(ctx context.Context, t *testing.T, track *lksdk.LocalTrack) {
	enc, err := vpx.NewEncoder(vpx.VP8, 320, 240, 30, 400)
	if err != nil {
		t.Error(err)
		return
	}
	defer enc.Close()
	tick := time.NewTicker(time.Second / 30)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		pkts, err := enc.Encode(pattern(320, 240, i), i%30 == 0)
		if err != nil {
			t.Error(err)
			return
		}
		for _, p := range pkts {
			if err := track.WriteSample(pionmedia.Sample{Data: p.Data, Duration: time.Second / 30}, nil); err != nil {
				return
			}
		}
	}
}
