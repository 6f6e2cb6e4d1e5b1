package integrations

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/store"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/snapshot"
)

func TestParseCommand(t *testing.T) {
	for in, want := range map[string]Command{
		`new "Jane Doe" location:"Austin, TX" tz:America/Chicago`: {Action: "new", Candidate: report.Candidate{Name: "Jane Doe", ClaimedLocation: "Austin, TX", ClaimedTimezone: "America/Chicago"}},
		`Jane Doe tz:Europe/Berlin notes:"backend role"`:          {Action: "new", Candidate: report.Candidate{Name: "Jane Doe", ClaimedTimezone: "Europe/Berlin"}, Notes: "backend role"},
		`new “Zoë O'Neil” loc:“São Paulo”`:                        {Action: "new", Candidate: report.Candidate{Name: "Zoë O'Neil", ClaimedLocation: "São Paulo"}},
		``:     {Action: "help"},
		`help`: {Action: "help"},
	} {
		got, err := ParseCommand(in)
		if err != nil || got != want {
			t.Errorf("ParseCommand(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{`new`, `new "Jane`, `new Jane color:blue`} {
		if _, err := ParseCommand(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseCommand(%q) = %v; want ErrInvalid", in, err)
		}
	}
}

type creatorFunc func(context.Context, NewInterview) (Links, error)

func (f creatorFunc) CreateInterview(ctx context.Context, in NewInterview) (Links, error) {
	return f(ctx, in)
}

func TestInviteAnswers(t *testing.T) {
	bad := creatorFunc(func(context.Context, NewInterview) (Links, error) {
		return Links{}, fmt.Errorf("candidate.claimed_timezone must be an IANA zone such as America/Chicago: %w", ErrInvalid)
	})
	ans, err := Invite(t.Context(), bad, `new Jane tz:Mars/Olympus`, NewInterview{})
	if err != nil || !strings.Contains(ans, "must be an IANA zone") || !strings.Contains(ans, "Usage") {
		t.Errorf("invalid request answer = %q, %v", ans, err)
	}
	broken := creatorFunc(func(context.Context, NewInterview) (Links, error) { return Links{}, errors.New("disk full") })
	if ans, err := Invite(t.Context(), broken, `new Jane`, NewInterview{}); err == nil || strings.Contains(ans, "disk full") {
		t.Errorf("server error answer = %q, %v; want a generic answer and the error", ans, err)
	}
}

var png = append([]byte("\x89PNG\r\n\x1a\n"), 1, 2, 3)

func TestLoadSnapshot(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "snapshots"), 0o700); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(dir, "snapshots", "a.png"), png, 0o600)
	_ = os.WriteFile(filepath.Join(dir, "snapshots", "fake.png"), []byte("<html>"), 0o600)
	_ = os.WriteFile(filepath.Join(t.TempDir(), "outside.png"), png, 0o600)
	ok := []string{"data:image/png;base64," + base64.StdEncoding.EncodeToString(png), "snapshots/a.png"}
	for _, ref := range ok {
		s, err := LoadSnapshot(ref, dir, "camera")
		if err != nil || s.ContentType != "image/png" || s.Name != "camera-snapshot.png" {
			t.Errorf("LoadSnapshot(%.30q) = %+v, %v", ref, s, err)
		}
	}
	for _, ref := range []string{"data:text/html;base64,PGh0bWw+", "data:image/png;base64,!!!", "snapshots/fake.png",
		"../outside.png", "/etc/passwd", "snapshots/a.txt", "snapshots/missing.png"} {
		if _, err := LoadSnapshot(ref, dir, "camera"); err == nil {
			t.Errorf("LoadSnapshot(%q) accepted", ref)
		}
	}
}

// TestAnalyzerSnapshot: the JPEG data URL the analyzers put in evidence (media/snapshot) is
// the one notifiers pick and upload.
func TestAnalyzerSnapshot(t *testing.T) {
	const w, h = 320, 240
	f := &media.Frame{Width: w, Height: h, YStride: w, UVStride: w / 2,
		Y: make([]byte, w*h), U: make([]byte, w*h/4), V: make([]byte, w*h/4)}
	for i := range f.Y {
		f.Y[i] = byte(i % 251)
	}
	ref, err := snapshot.Encode(f, image.Rect(100, 60, 220, 180), 0)
	if err != nil {
		t.Fatal(err)
	}
	r := &report.Report{Checks: []report.Check{
		{ID: report.CheckFace, Status: report.Pass},
		{ID: report.CheckFaceSwap, Status: report.Warn, Confidence: 0.9,
			Evidence: []report.Evidence{{AtS: 3, Kind: "face_swap_cues", Snapshot: ref}}},
	}}
	check, got := StrongestSnapshot(r)
	if check != report.CheckFaceSwap || got != ref {
		t.Fatalf("StrongestSnapshot = %s %.40s", check, got)
	}
	s, err := LoadSnapshot(got, t.TempDir(), check)
	if err != nil || s.ContentType != "image/jpeg" || s.Name != "face_swap-snapshot.jpg" || len(s.Data) > snapshot.MaxBytes {
		t.Fatalf("LoadSnapshot = %+v, %v", s, err)
	}
}

func TestRenderAndStrongestSnapshot(t *testing.T) {
	start := time.Date(2026, 3, 2, 15, 4, 0, 0, time.UTC)
	r := &report.Report{InterviewID: "iv", Candidate: report.Candidate{Name: "Jane"}, StartedAt: &start, Overall: report.StrongConcerns,
		Checks: []report.Check{
			{ID: "camera", Status: report.Pass, Summary: "Live video.", Evidence: []report.Evidence{{AtS: 1, Snapshot: "pass.png"}}},
			{ID: "face_swap", Status: report.Fail, Confidence: 0.7, Summary: "Face swap suspected.", NextStep: "Ask them to turn their head.",
				Evidence: []report.Evidence{report.Range(3725, 3730, "swap", "")}},
			{ID: "replay", Status: report.Fail, Confidence: 0.9, Evidence: []report.Evidence{{AtS: 5, Snapshot: "replay.png"}}},
		}}
	if check, ref := StrongestSnapshot(r); check != "replay" || ref != "replay.png" {
		t.Errorf("StrongestSnapshot = %s %s", check, ref)
	}
	txt := Render(Message{Kind: Summary, Report: r})
	if txt.Title != "Interview summary: Jane" || txt.OverallWords != "Strong concerns" || len(txt.Lines) != 3 ||
		txt.Lines[0].Name != "Face swap" || txt.Lines[0].When != "at 1:02:05–1:02:10" || txt.Lines[2].Check != "camera" ||
		len(txt.AskNext) != 1 {
		t.Errorf("Render = %+v", txt)
	}
	if txt.Why != "Face swap: FAIL · Replay: FAIL" {
		t.Errorf("Why = %q", txt.Why)
	}
	alert := Render(Message{Kind: Alert, Check: "face_swap", Report: r})
	if alert.Title != "Live alert: Jane" || len(alert.Lines) != 1 || alert.Lines[0].Check != "face_swap" {
		t.Errorf("alert = %+v", alert)
	}
}

func TestRedact(t *testing.T) {
	base := &RetryAfterError{After: time.Second, Err: errors.New(`Post "https://hooks.example/T/B/s3cr3tpath": timeout`)}
	err := Redact(fmt.Errorf("slack: %w", base), "s3cr3tpath")
	if strings.Contains(err.Error(), "s3cr3tpath") {
		t.Errorf("Redact left the secret: %v", err)
	}
	if d, ok := RetryAfter(err); !ok || d != time.Second {
		t.Errorf("Redact lost Retry-After: %v %v", d, ok)
	}
	if s := fmt.Sprintf("%v|%s|%q|%#v|%+v", Secret("tok-123"), Secret("tok-123"), Secret("tok-123"), Secret("tok-123"), struct{ S Secret }{"tok-123"}); strings.Contains(s, "tok-123") {
		t.Errorf("Secret printed: %s", s)
	}
}

// recorder is a Notifier that records messages. It edits in place and sends direct
// messages, like Slack and Discord with a bot token: a message without a Ref posts the
// interview's channel message ("card-N"), later ones edit it.
type recorder struct {
	mu   sync.Mutex
	msgs []Message
}

func (r *recorder) EditsInPlace() bool   { return true }
func (r *recorder) DirectMessages() bool { return true }

func (r *recorder) Notify(_ context.Context, m Message) (Receipt, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	id := fmt.Sprint(len(r.msgs))
	if m.Kind == Direct {
		return Receipt{MessageID: "dm-" + id}, false, nil
	}
	ref := m.Ref
	if ref.MessageID == "" {
		ref = Ref{MessageID: "card-" + id, Thread: "card-" + id}
	}
	return Receipt{MessageID: id, Thread: ref.Thread, Ref: ref}, false, nil
}

func (r *recorder) all() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.msgs...)
}

// TestLiveAlertsThenSummary: the first live report queues the "in progress" message; a
// check turning fail alerts once (debounced across flaps), but only with 30 s of video and
// strong concerns (not for a lone camera fail, nor in the first seconds), the interviewer
// privately first, then the channel; the summary edits the same channel message. The
// snapshot goes with it only when chat.snapshots allows; otherwise the message says the
// pictures are on the report page.
func TestLiveAlertsThenSummary(t *testing.T) {
	for _, snapshots := range []bool{false, true} {
		t.Run(fmt.Sprintf("snapshots=%v", snapshots), func(t *testing.T) { testLiveAlertsThenSummary(t, snapshots) })
	}
}

func testLiveAlertsThenSummary(t *testing.T, snapshots bool) {
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "ib.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	if err := st.CreateInterview(t.Context(), store.Interview{ID: "iv", Candidate: report.Candidate{Name: "Jane"}, CreatedAt: now,
		State: report.Live, SlackChannel: "C1", SlackUser: "U1"}); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	o := NewOutbox(OutboxOptions{Queue: st, Log: slog.New(slog.DiscardHandler), Poll: 5 * time.Millisecond, Snapshots: snapshots,
		Routes: []Route{{Name: "slack", Notifier: rec, Target: func(iv store.Interview) (string, bool) { return iv.SlackChannel, true },
			Interviewer: func(iv store.Interview) string { return iv.SlackUser }}}})
	live := func(id string, status report.Status, videoS float64) *report.Report {
		return &report.Report{InterviewID: "iv", State: report.Live, Coverage: report.Coverage{VideoSeconds: videoS},
			Checks: []report.Check{{ID: id, Status: status,
				Evidence: []report.Evidence{{AtS: 3, Snapshot: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)}}}}}
	}
	for _, r := range []*report.Report{
		live("camera", report.Fail, 60), // a lone camera fail: the summary says it, no alert
		live("replay", report.Fail, 5),  // too early in the call to alert anyone
		live("replay", report.Pass, 31), live("replay", report.Fail, 32), live("replay", report.Fail, 33),
		live("replay", report.Pass, 34), live("replay", report.Fail, 35), // flaps: debounced
	} {
		if err := o.Observe(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	final := live("replay", report.Fail, 40)
	final.State = report.Final
	if err := o.Summary(t.Context(), final); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { o.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(rec.all()) < 4 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	msgs := rec.all()
	if len(msgs) != 4 {
		t.Fatalf("%d messages: %+v; want in progress, direct, alert, summary", len(msgs), msgs)
	}
	if m := msgs[0]; m.Kind != Live || m.Target != "C1" || m.Ref != (Ref{}) {
		t.Errorf("first = %+v; want the in-progress message posted in C1", m)
	}
	card := Ref{MessageID: "card-1", Thread: "card-1"}
	if m := msgs[1]; m.Kind != Direct || m.Target != "U1" || m.Check != "replay" || m.Ref != (Ref{}) {
		t.Errorf("second = %+v; want the interviewer told privately first", m)
	}
	if m := msgs[2]; m.Kind != Alert || m.Check != "replay" || m.Target != "C1" || m.Ref != card {
		t.Errorf("third = %+v; want the channel alert on the interview's message %v", m, card)
	}
	sum := msgs[3]
	if sum.Kind != Summary || sum.Target != "C1" || sum.Ref != card {
		t.Errorf("summary = %+v; want it to edit %v", sum, card)
	}
	if snapshots && (sum.Snapshot == nil || sum.PicturesOnPage) || !snapshots && (sum.Snapshot != nil || !sum.PicturesOnPage) {
		t.Errorf("snapshots %v: summary snapshot %v, pictures on page %v", snapshots, sum.Snapshot != nil, sum.PicturesOnPage)
	}
	for _, m := range msgs {
		if _, ref := StrongestSnapshot(m.Report); (ref != "") != snapshots {
			t.Errorf("snapshots %v: the %s's report carries a snapshot: %v", snapshots, m.Kind, ref != "")
		}
	}
	if cm, ok, err := st.ChatMessage(t.Context(), "iv", "slack", "C1"); !ok || err != nil || cm.MessageID != "card-1" {
		t.Errorf("stored chat message = %+v, %v, %v; want card-1", cm, ok, err)
	}
}
