// Command lkpublish joins a LiveKit room as a participant and publishes a video file as its
// camera (VP8, looped, paced at the file's frame rate) until it is stopped: the candidate of
// scripts/interop.sh, made with the server SDK as a real client would be
// (github.com/livekit/server-sdk-go). It exits non-zero when the server removes it from the
// room, so a test can tell that another participant took its identity.
//
//	go run ./internal/lkpublish --url ws://127.0.0.1:7880 --room interview1 --identity candidate clip.mp4
//
// The API key and secret come from LIVEKIT_API_KEY and LIVEKIT_API_SECRET.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/file"
	"github.com/integritybot/integritybot/media/vpx"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "lkpublish:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("lkpublish", flag.ContinueOnError)
	url := fs.String("url", os.Getenv("LIVEKIT_URL"), "LiveKit server `URL`")
	room := fs.String("room", "", "`room` to join")
	identity := fs.String("identity", "candidate", "participant `identity`")
	kbps := fs.Int("kbps", 800, "VP8 bitrate in `kbit/s`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *url == "" || *room == "" {
		return errors.New("usage: lkpublish --url URL --room ROOM [--identity ID] VIDEO")
	}
	key, secret := os.Getenv("LIVEKIT_API_KEY"), os.Getenv("LIVEKIT_API_SECRET")
	removed := make(chan lksdk.DisconnectionReason, 1)
	cb := lksdk.NewRoomCallback()
	cb.OnDisconnectedWithReason = func(r lksdk.DisconnectionReason) {
		select {
		case removed <- r:
		default:
		}
	}
	r, err := lksdk.ConnectToRoom(*url, lksdk.ConnectInfo{APIKey: key, APISecret: secret, RoomName: *room,
		ParticipantIdentity: *identity, ParticipantName: *identity}, cb)
	if err != nil {
		return fmt.Errorf("join: %w", err)
	}
	defer r.Disconnect()
	track, err := lksdk.NewLocalTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000})
	if err != nil {
		return fmt.Errorf("track: %w", err)
	}
	src, err := file.Open(ctx, fs.Arg(0), file.Options{})
	if err != nil {
		return err
	}
	info := src.Info()
	src.Close()
	if _, err := r.LocalParticipant.PublishTrack(track, &lksdk.TrackPublicationOptions{Name: "camera",
		Source: livekit.TrackSource_CAMERA, VideoWidth: info.Width, VideoHeight: info.Height}); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	fmt.Fprintf(os.Stderr, "lkpublish: %s publishing %s (%dx%d) in room %s\n", *identity, fs.Arg(0), info.Width, info.Height, *room)
	errc := make(chan error, 1)
	go func() { errc <- loop(ctx, fs.Arg(0), track, *kbps) }()
	select {
	case <-ctx.Done():
		return nil
	case reason := <-removed:
		return fmt.Errorf("disconnected by the server: %s", reason)
	case err := <-errc:
		return err
	}
}

// loop publishes the file again and again until ctx ends.
func loop(ctx context.Context, path string, track *lksdk.LocalTrack, kbps int) error {
	for ctx.Err() == nil {
		if err := once(ctx, path, track, kbps); err != nil {
			return err
		}
	}
	return nil
}

func once(ctx context.Context, path string, track *lksdk.LocalTrack, kbps int) error {
	src, err := file.Open(ctx, path, file.Options{})
	if err != nil {
		return err
	}
	defer src.Close()
	info := src.Info()
	fps := info.FPS
	if fps <= 0 {
		fps = 30
	}
	enc, err := vpx.NewEncoder(vpx.VP8, info.Width, info.Height, int(fps+0.5), kbps)
	if err != nil {
		return err
	}
	defer enc.Close()
	period := time.Duration(float64(time.Second) / fps)
	tick := time.NewTicker(period)
	defer tick.Stop()
	for i := 0; ; i++ {
		f, err := src.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := send(enc, track, f, i%int(2*fps) == 0, period); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func send(enc *vpx.Encoder, track *lksdk.LocalTrack, f *media.Frame, key bool, d time.Duration) error {
	pkts, err := enc.Encode(f, key)
	if err != nil {
		return err
	}
	for _, p := range pkts {
		if err := track.WriteSample(pionmedia.Sample{Data: p.Data, Duration: d}, nil); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	return nil
}
