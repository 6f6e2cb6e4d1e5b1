package livekit

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/vpx"
)

// recInput records whether the follower closed a real video input.
type recInput struct {
	videoInput
	closed atomic.Bool
}

func (r *recInput) Close() { r.closed.Store(true); r.videoInput.Close() }

// recOpener opens real inputs of sess (libvpx) and remembers them in order.
type recOpener struct {
	mu  sync.Mutex
	ins []*recInput
}

func (o *recOpener) open(sess *bot.Session) openFunc {
	real := sessionOpener(sess)
	return func(mime string, kf bot.KeyframeRequester) (videoInput, error) {
		in, err := real(mime, kf)
		if err != nil {
			return nil, err
		}
		r := &recInput{videoInput: in}
		o.mu.Lock()
		o.ins = append(o.ins, r)
		o.mu.Unlock()
		return r, nil
	}
}

// fakeClock is the follower's clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestTrackLifecycle(t *testing.T) {
	// The decode queue holds every frame feed writes: none is dropped however slowly a loaded
	// machine decodes, so each track's 30 frames are all decoded.
	sess := bot.NewSession("lk-test", report.Candidate{Name: "Test"}, time.Now(), bot.Config{QueueSize: 64}, nil, nil, nil)
	defer sess.Close()
	op := &recOpener{}
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	f := newFollower(Rule{Interviewers: []string{"bob"}}, sess, op.open(sess), clk.now)

	// Before the join completes, peers are only collected.
	if f.seen(Peer{Identity: "bob", Kind: "standard", HasCamera: true}) || f.seen(Peer{Identity: "jane", Kind: "standard"}) {
		t.Fatal("a peer was taken before the join completed")
	}
	if got := f.start(nil); got != "jane" {
		t.Fatalf("candidate %q, want jane", got)
	}
	if !hasEvent(sess, `Following participant "jane"`) || !hasEvent(sess, "The candidate is in the room") {
		t.Fatalf("timeline: %v", events(sess))
	}

	// The interviewer's tracks are not analyzed.
	if tr, err := f.subscribed("bob", "TR_bob", "video/VP8", nil); tr != nil || err != nil {
		t.Fatalf("interviewer's track taken: %v %v", tr, err)
	}

	// subscribe -> input created, frames decode.
	t1 := subscribe(t, f, "TR_1")
	feed(t, t1, 0)
	waitFor(t, "frames of the first track", func() bool { return decoded(sess) == 30 })

	// unpublish -> input closed + event.
	f.ended("TR_1", nil, "unpublished")
	if !op.ins[0].closed.Load() || len(f.inputs()) != 0 {
		t.Fatalf("input not closed after unpublish: closed=%v inputs=%v", op.ins[0].closed.Load(), f.inputs())
	}
	if !hasEvent(sess, "video track ended (unpublished)") {
		t.Fatalf("no track-ended event: %v", events(sess))
	}
	// The reader of the old track stops later: no second event.
	f.ended("TR_1", t1, "the track stopped")
	if n := countEvents(sess, "video track ended"); n != 1 {
		t.Fatalf("%d track-ended events, want 1", n)
	}

	// republish -> a new input of the same session.
	t2 := subscribe(t, f, "TR_2")
	before := decoded(sess)
	feed(t, t2, 1000)
	waitFor(t, "frames of the republished track", func() bool { return decoded(sess) == before+30 })

	// leave -> inputs closed, camera told; the absence is timed.
	f.left("jane")
	if !op.ins[1].closed.Load() {
		t.Fatal("input not closed when the candidate left")
	}
	if !hasEvent(sess, "The candidate left the room") {
		t.Fatalf("no left event: %v", events(sess))
	}
	clk.add(90 * time.Second)
	if a := f.absentFor(); a != 90*time.Second {
		t.Fatalf("absentFor = %v, want 90s", a)
	}

	// rejoin -> new input, same session, same report.
	if !f.seen(Peer{Identity: "jane", Kind: "standard"}) {
		t.Fatal("the returning candidate was not recognized")
	}
	if f.absentFor() != 0 {
		t.Fatal("still absent after rejoining")
	}
	t3 := subscribe(t, f, "TR_3")
	before = decoded(sess)
	feed(t, t3, 2000)
	waitFor(t, "frames after the rejoin", func() bool { return decoded(sess) == before+30 })
	if n := countEvents(sess, "The candidate is in the room"); n != 2 {
		t.Fatalf("%d joined events, want 2 (join and rejoin)", n)
	}

	// Muting is passed on; the bot's own disconnect closes inputs without blaming the candidate.
	f.muted("jane", "TR_3", true)
	f.disconnected("the bot's connection to the room was lost")
	if !op.ins[2].closed.Load() {
		t.Fatal("input not closed on disconnect")
	}
	if hasEventAfter(sess, "The candidate left the room", 1) {
		t.Fatal("the bot's disconnect counted as the candidate leaving")
	}
	// After the bot rejoins, the candidate is found again among the peers.
	if got := f.start([]Peer{{Identity: "jane", Kind: "standard", HasCamera: true}}); got != "jane" {
		t.Fatalf("candidate after rejoin %q", got)
	}
	r := sess.Report(report.Live)
	if r.InterviewID != "lk-test" || r.Coverage.FramesDecoded < 60 {
		t.Fatalf("report %s decoded %d", r.InterviewID, r.Coverage.FramesDecoded)
	}
}

func TestCandidateLeftWhileBotAway(t *testing.T) {
	sess := bot.NewSession("lk-test", report.Candidate{Name: "Test"}, time.Now(), bot.Config{}, nil, nil, nil)
	defer sess.Close()
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	f := newFollower(Rule{Identity: "jane"}, sess, (&recOpener{}).open(sess), clk.now)
	f.start([]Peer{{Identity: "jane"}, {Identity: "bob"}})
	f.disconnected("lost")
	clk.add(time.Minute)
	if got := f.start([]Peer{{Identity: "bob"}}); got != "jane" {
		t.Fatalf("candidate %q", got)
	}
	if !hasEvent(sess, "The candidate left the room") {
		t.Fatalf("absence not noticed: %v", events(sess))
	}
	if f.seen(Peer{Identity: "bob"}) {
		t.Fatal("bob taken although the rule names jane")
	}
}

func TestUnsupportedCodec(t *testing.T) {
	sess := bot.NewSession("lk-test", report.Candidate{Name: "Test"}, time.Now(), bot.Config{}, nil, nil, nil)
	defer sess.Close()
	f := newFollower(Rule{}, sess, sessionOpener(sess), time.Now)
	f.start([]Peer{{Identity: "jane"}})
	if tr, err := f.subscribed("jane", "TR_1", "video/AV1", nil); tr != nil || err == nil {
		t.Fatalf("AV1 accepted: %v %v", tr, err)
	}
	if !hasEvent(sess, "cannot be analyzed") {
		t.Fatalf("no event: %v", events(sess))
	}
}

func subscribe(t *testing.T, f *follower, sid string) *track {
	t.Helper()
	tr, err := f.subscribed("jane", sid, "video/VP8", nil)
	if err != nil || tr == nil {
		t.Fatalf("subscribe %s: %v %v", sid, tr, err)
	}
	if !slices.Contains(f.inputs(), sid) {
		t.Fatalf("no input for %s", sid)
	}
	return tr
}

// feed writes 30 VP8 frames (320×240, a keyframe first) as RTP into tr's input.
func feed(t *testing.T, tr *track, seq0 uint16) {
	t.Helper()
	enc, err := vpx.NewEncoder(vpx.VP8, 320, 240, 30, 400)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	p := rtp.NewPacketizer(1200, 96, 1234, &codecs.VP8Payloader{}, rtp.NewFixedSequencer(seq0), 90000)
	for i := range 30 {
		pkts, err := enc.Encode(pattern(320, 240, i), i == 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, pk := range pkts {
			for _, r := range p.Packetize(pk.Data, 3000) {
				tr.in.WriteRTP(r)
			}
		}
	}
}

func pattern(w, h, i int) *media.Frame {
	cw, ch := (w+1)/2, (h+1)/2
	f := &media.Frame{Width: w, Height: h, Y: make([]byte, w*h), U: make([]byte, cw*ch), V: make([]byte, cw*ch), YStride: w, UVStride: cw}
	for y := range h {
		for x := range w {
			f.Y[y*w+x] = byte(x + y + i*4)
		}
	}
	for j := range f.U {
		f.U[j], f.V[j] = 128, 128
	}
	return f
}

func decoded(s *bot.Session) int64 { return s.Report(report.Live).Coverage.FramesDecoded }

func events(s *bot.Session) []string {
	var out []string
	for _, e := range s.Report(report.Live).Timeline {
		out = append(out, e.Kind+": "+e.Detail)
	}
	return out
}

func countEvents(s *bot.Session, text string) int {
	n := 0
	for _, e := range s.Report(report.Live).Timeline {
		if strings.Contains(e.Detail, text) {
			n++
		}
	}
	return n
}

func hasEvent(s *bot.Session, text string) bool { return countEvents(s, text) > 0 }

func hasEventAfter(s *bot.Session, text string, n int) bool { return countEvents(s, text) > n }

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // a hang guard, not a speed limit
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
}
