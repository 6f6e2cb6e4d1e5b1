package slack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/integrations/notifytest"
	"github.com/integritybot/integritybot/internal/report"
)

const (
	botToken = "xoxb-1234-secret-bot-token"
	appToken = "xapp-1-secret-app-token"
	signing  = "8f742231b10e8888abcd99yyyzzz85a5"
)

// pngBytes is a tiny PNG header: enough for LoadSnapshot's sniffing.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 64)...)

func startSlack(t *testing.T, f *fakeSlack) *slacktest.Server {
	t.Helper()
	s := slacktest.NewTestServer(f.bind)
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

func TestConformance(t *testing.T) {
	handler := func(mode notifytest.Mode, record func(*http.Request, []byte)) http.Handler {
		f := &fakeSlack{fail: func(method string, _ int) (int, http.Header, string) {
			switch mode {
			case notifytest.ServerError:
				return 500, nil, "<html>down</html>"
			case notifytest.RateLimited:
				return 429, http.Header{"Retry-After": {"7"}}, ""
			case notifytest.Refused:
				return 200, http.Header{"Content-Type": {"application/json"}}, `{"ok":false,"error":"channel_not_found"}`
			}
			return 0, nil, ""
		}}
		inner := f.handler()
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if mode == notifytest.Hang {
				notifytest.Block(r)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			inner.ServeHTTP(w, r)
			record(r, body)
		})
	}
	limits := func(t *testing.T, r *http.Request, body []byte) {
		v, _ := url.ParseQuery(string(body))
		var blocks []map[string]any
		if b := v.Get("blocks"); b != "" {
			if err := json.Unmarshal([]byte(b), &blocks); err != nil {
				t.Fatalf("blocks: %v", err)
			}
		} else { // webhook: JSON body
			var m struct{ Blocks []map[string]any }
			_ = json.Unmarshal(body, &m)
			blocks = m.Blocks
		}
		if len(blocks) == 0 || len(blocks) > MaxBlocks {
			t.Errorf("%d blocks; want 1..%d", len(blocks), MaxBlocks)
		}
		for i, b := range blocks {
			if txt, ok := b["text"].(map[string]any); ok {
				if n := len([]rune(txt["text"].(string))); n > MaxSectionText {
					t.Errorf("block %d text has %d characters", i, n)
				}
			}
		}
		if !strings.Contains(v.Get("blocks")+string(body), "more checks are not shown") {
			t.Error("truncated message does not link to the full report")
		}
	}
	t.Run("bot", func(t *testing.T) {
		notifytest.Run(t, notifytest.Suite{Target: "C0CHANNEL", Secrets: []string{botToken}, Handler: handler, Limits: limits,
			New: func(t *testing.T, u string) integrations.Notifier {
				return New(Config{BotToken: botToken, APIURL: u + "/"})
			}})
	})
	t.Run("webhook", func(t *testing.T) {
		hook := "/services/T000/B000/secretwebhookpath"
		notifytest.Run(t, notifytest.Suite{Secrets: []string{hook}, Handler: func(mode notifytest.Mode, record func(*http.Request, []byte)) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				switch mode {
				case notifytest.Hang:
					notifytest.Block(r)
				case notifytest.ServerError:
					w.WriteHeader(500)
				case notifytest.RateLimited:
					w.Header().Set("Retry-After", "7")
					w.WriteHeader(429)
				case notifytest.Refused:
					w.WriteHeader(404)
					_, _ = io.WriteString(w, "no_service")
				default:
					record(r, body)
					_, _ = io.WriteString(w, "ok")
				}
			})
		}, Limits: limits, New: func(t *testing.T, u string) integrations.Notifier {
			return New(Config{WebhookURL: integrations.Secret(u + hook), APIURL: DefaultAPIURL})
		}})
	})
}

func testReport(withSnapshot bool) *report.Report {
	r := notifytest.Report(0)
	r.Candidate.Name = "Jane Doe"
	r.Checks = []report.Check{{ID: report.CheckCamera, Status: report.Fail, Confidence: 0.95,
		Summary: "The camera showed only black frames.", NextStep: "Ask the candidate to uncover the camera.",
		Evidence: []report.Evidence{report.Range(42, 70, "black", "black frames")}}}
	if withSnapshot {
		r.Checks[0].Evidence[0].Snapshot = "data:image/png;base64," + base64Std(pngBytes)
	}
	return r
}

// TestOneMessageUpdatedInPlace: the "in progress" message is the interview's one message in
// the channel; an alert edits it (chat.update, naming the live concern) and replies in its
// thread; the summary edits it into the summary (Block Kit content checked) and the snapshot
// goes into the thread (files v2). Two posts, two edits, one upload.
func TestOneMessageUpdatedInPlace(t *testing.T) {
	f := &fakeSlack{}
	s := startSlack(t, f)
	n := New(Config{BotToken: botToken, APIURL: s.GetAPIURL()})
	if !n.EditsInPlace() || !n.DirectMessages() {
		t.Fatal("a bot token edits in place and sends direct messages")
	}
	msg := func(kind integrations.Kind, ref integrations.Ref, r *report.Report) integrations.Message {
		m := integrations.Message{Key: "iv/slack/" + string(kind), Kind: kind, Target: "C0CHANNEL", Report: r,
			ReportURL: "https://ib.example/r/tok", Ref: ref}
		if kind == integrations.Alert {
			m.Check = report.CheckCamera
		}
		return m
	}
	live, _, err := n.Notify(t.Context(), msg(integrations.Live, integrations.Ref{}, testReport(false)))
	if err != nil {
		t.Fatal(err)
	}
	card := integrations.Ref{MessageID: "C0CHANNEL/1700000000.000001", Thread: "1700000000.000001"}
	if live.Ref != card {
		t.Fatalf("in-progress receipt %+v; want the channel message %+v", live, card)
	}
	alert, _, err := n.Notify(t.Context(), msg(integrations.Alert, card, testReport(false)))
	if err != nil {
		t.Fatal(err)
	}
	if alert.Ref != card || alert.MessageID != "C0CHANNEL/1700000000.000002" {
		t.Errorf("alert receipt %+v; want a reply on %+v", alert, card)
	}
	snap, err := integrations.LoadSnapshot(testReport(true).Checks[0].Evidence[0].Snapshot, "", "camera")
	if err != nil {
		t.Fatal(err)
	}
	sm := msg(integrations.Summary, card, testReport(true))
	sm.Snapshot = snap
	sum, _, err := n.Notify(t.Context(), sm)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Ref != card || sum.MessageID != card.MessageID {
		t.Errorf("summary receipt %+v; want the edited %+v", sum, card)
	}
	posts, uploads, completes, _ := f.snapshot()
	updates, _ := f.edits()
	if len(posts) != 2 || len(updates) != 2 {
		t.Fatalf("%d posts, %d edits; want 2 and 2", len(posts), len(updates))
	}
	if posts[0].Get("thread_ts") != "" || !strings.Contains(posts[0].Get("blocks"), "Interview in progress: Jane Doe") {
		t.Errorf("first post = %v; want the in-progress message in the channel", posts[0])
	}
	if posts[1].Get("thread_ts") != card.Thread || !strings.Contains(posts[1].Get("blocks"), "Live alert: Jane Doe") {
		t.Errorf("alert post = %v; want it in the thread", posts[1])
	}
	if u := updates[0]; u.Get("channel") != "C0CHANNEL" || u.Get("ts") != card.Thread ||
		!strings.Contains(u.Get("blocks"), jsonEsc("*Live alert:* Camera: FAIL — details in the thread.")) {
		t.Errorf("alert edit = %v; want the message to name the live concern", u)
	}
	p := updates[1]
	if p.Get("channel") != "C0CHANNEL" || p.Get("ts") != card.Thread {
		t.Errorf("summary edit channel/ts = %q %q", p.Get("channel"), p.Get("ts"))
	}
	var blocks []struct {
		Type string `json:"type"`
		Text *struct {
			Text string `json:"text"`
		} `json:"text"`
		Elements []struct {
			URL string `json:"url"`
		} `json:"elements"`
	}
	if err := json.Unmarshal([]byte(p.Get("blocks")), &blocks); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, b := range blocks {
		types = append(types, b.Type)
	}
	if got := strings.Join(types, ","); got != "header,section,section,section,actions" {
		t.Errorf("block types = %s", got)
	}
	for _, want := range []string{"Interview summary: Jane Doe", "*Overall: Strong concerns*", "<!date^1772463840^{date_short_pretty} {time}|2026-03-02 15:04 UTC>, 12 min",
		":red_circle: *Camera* — FAIL · at 0:42–1:10\nThe camera showed only black frames.", "Ask the candidate to uncover the camera."} {
		if !strings.Contains(p.Get("blocks"), jsonEsc(want)) {
			t.Errorf("blocks lack %q:\n%s", want, p.Get("blocks"))
		}
	}
	if blocks[4].Elements[0].URL != "https://ib.example/r/tok" {
		t.Errorf("button url = %q", blocks[4].Elements[0].URL)
	}
	if len(uploads) != 1 || !bytes.Equal(uploads[0], pngBytes) {
		t.Errorf("uploads = %d, want the snapshot", len(uploads))
	}
	if len(completes) != 1 || completes[0].Get("channel_id") != "C0CHANNEL" || completes[0].Get("thread_ts") != card.Thread {
		t.Errorf("completeUploadExternal = %v", completes)
	}
}

// TestDeletedMessagePostsAgain: someone deleted the interview's message in the channel; the
// summary's edit answers message_not_found, so the summary is posted as a new message and
// its receipt names it (the outbox stores it for the next edits).
func TestDeletedMessagePostsAgain(t *testing.T) {
	f := &fakeSlack{}
	s := startSlack(t, f)
	n := New(Config{BotToken: botToken, APIURL: s.GetAPIURL()})
	old := integrations.Ref{MessageID: "C0CHANNEL/1600000000.000009", Thread: "1600000000.000009"}
	f.remove(old.Thread)
	rec, _, err := n.Notify(t.Context(), integrations.Message{Key: "iv/slack/summary", Kind: integrations.Summary,
		Target: "C0CHANNEL", Report: testReport(false), Ref: old})
	if err != nil {
		t.Fatal(err)
	}
	posts, _, _, _ := f.snapshot()
	updates, _ := f.edits()
	if len(updates) != 0 || len(posts) != 1 || posts[0].Get("thread_ts") != "" ||
		!strings.Contains(posts[0].Get("blocks"), "Interview summary: Jane Doe") {
		t.Fatalf("posts %v, edits %v; want the summary posted anew in the channel", posts, updates)
	}
	if want := (integrations.Ref{MessageID: "C0CHANNEL/1700000000.000001", Thread: "1700000000.000001"}); rec.Ref != want {
		t.Errorf("receipt ref %+v; want the new message %+v", rec.Ref, want)
	}
}

// TestDirectMessageToInterviewer: a Direct alert opens a conversation with the interviewer
// (conversations.open users=U0INTERVIEWER) and posts the alert there, not in the channel.
func TestDirectMessageToInterviewer(t *testing.T) {
	f := &fakeSlack{}
	s := startSlack(t, f)
	n := New(Config{BotToken: botToken, APIURL: s.GetAPIURL()})
	rec, _, err := n.Notify(t.Context(), integrations.Message{Key: "iv/slack/direct/camera/1", Kind: integrations.Direct,
		Check: report.CheckCamera, Target: "U0INTERVIEWER", Report: testReport(false), ReportURL: "https://ib.example/r/tok"})
	if err != nil {
		t.Fatal(err)
	}
	posts, _, _, _ := f.snapshot()
	_, opens := f.edits()
	if len(opens) != 1 || opens[0].Get("users") != "U0INTERVIEWER" {
		t.Fatalf("conversations.open calls %v; want one with the interviewer", opens)
	}
	if len(posts) != 1 || posts[0].Get("channel") != "D0DIRECT" || !strings.Contains(posts[0].Get("blocks"), "Only you see this message") {
		t.Fatalf("posts %v; want the alert in the direct conversation", posts)
	}
	if rec.MessageID != "D0DIRECT/1700000000.000001" || rec.Ref != (integrations.Ref{}) {
		t.Errorf("receipt %+v", rec)
	}
}

// TestPartialRetryUploadsOnly: the message posts, the upload fails; the retry with the
// receipt uploads without posting the message again.
func TestPartialRetryUploadsOnly(t *testing.T) {
	failUpload := true
	f := &fakeSlack{}
	f.fail = func(method string, _ int) (int, http.Header, string) {
		if method == "upload" && failUpload {
			return 503, nil, "busy"
		}
		return 0, nil, ""
	}
	s := startSlack(t, f)
	n := New(Config{BotToken: botToken, APIURL: s.GetAPIURL()})
	snap, _ := integrations.LoadSnapshot(testReport(true).Checks[0].Evidence[0].Snapshot, "", "camera")
	m := integrations.Message{Key: "k", Kind: integrations.Summary, Target: "C0CHANNEL", Report: testReport(true), Snapshot: snap}
	rec, retry, err := n.Notify(t.Context(), m)
	if err == nil || !retry || rec.MessageID == "" || rec.Ref.MessageID == "" {
		t.Fatalf("first attempt = %+v, %v, %v; want a retryable partial failure with a receipt", rec, retry, err)
	}
	f.mu.Lock()
	failUpload = false
	f.mu.Unlock()
	m.Posted, m.Ref = rec, rec.Ref // as the outbox stores them
	if _, _, err := n.Notify(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	posts, uploads, _, _ := f.snapshot()
	if len(posts) != 1 || len(uploads) != 1 {
		t.Errorf("posts %d uploads %d; want 1 and 1", len(posts), len(uploads))
	}
}

func TestBlocksLimits(t *testing.T) {
	m := integrations.Message{Kind: integrations.Summary, Report: notifytest.Report(200), ReportURL: "https://ib.example/r/x"}
	blocks, text := Blocks(integrations.Render(m))
	if len(blocks) != MaxBlocks {
		t.Errorf("%d blocks, want exactly %d", len(blocks), MaxBlocks)
	}
	b, _ := json.Marshal(blocks)
	if !strings.Contains(string(b), "155 more checks are not shown") {
		t.Errorf("no 'more checks' line")
	}
	if len(text) == 0 {
		t.Error("no fallback text")
	}
}

// TestConfigNeverPrintsSecrets: the configuration validates the section (internal/config);
// what the integration keeps of it never prints its token.
func TestConfigNeverPrintsSecrets(t *testing.T) {
	if s := fmt.Sprintf("%v %+v %#v", Config{BotToken: botToken}, Config{BotToken: botToken}, Config{BotToken: botToken}); strings.Contains(s, botToken) {
		t.Errorf("config prints its token: %s", s)
	}
}

type fakeCreator struct {
	got []integrations.NewInterview
}

func (f *fakeCreator) CreateInterview(_ context.Context, in integrations.NewInterview) (integrations.Links, error) {
	f.got = append(f.got, in)
	return integrations.Links{ID: "iv1", CandidateURL: "https://ib.example/c/cand", InterviewerURL: "https://ib.example/i/int", ReportURL: "https://ib.example/r/rep"}, nil
}

func sign(secret, ts, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "v0:%s:%s", ts, body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

const slashBody = `token=x&team_id=T1&channel_id=C0HIRING&user_id=U1&command=%2Fintegrity&text=new+%22Jane+Doe%22+location%3A%22Austin%2C+TX%22+tz%3AAmerica%2FChicago`

func TestSlashCommandHTTPSignature(t *testing.T) {
	now := strconv.FormatInt(time.Now().Unix(), 10)
	stale := strconv.FormatInt(time.Now().Add(-6*time.Minute).Unix(), 10)
	for name, tc := range map[string]struct {
		secret, ts string
		want       int
	}{
		"valid":        {signing, now, 200},
		"wrong secret": {"another-secret-entirely", now, 401},
		"stale":        {signing, stale, 401},
	} {
		t.Run(name, func(t *testing.T) {
			fc := &fakeCreator{}
			c := NewCommands(Config{SigningSecret: signing, APIURL: DefaultAPIURL}, fc, slog.New(slog.DiscardHandler))
			r := httptest.NewRequest("POST", "/slack/commands", strings.NewReader(slashBody))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("X-Slack-Request-Timestamp", tc.ts)
			r.Header.Set("X-Slack-Signature", sign(tc.secret, tc.ts, slashBody))
			w := httptest.NewRecorder()
			c.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			if tc.want != 200 {
				if len(fc.got) != 0 {
					t.Error("a rejected request created an interview")
				}
				return
			}
			var rep reply
			_ = json.Unmarshal(w.Body.Bytes(), &rep)
			if rep.ResponseType != "ephemeral" || !strings.Contains(rep.Text, "https://ib.example/c/cand") || !strings.Contains(rep.Text, "https://ib.example/i/int") {
				t.Errorf("reply = %+v", rep)
			}
			want := integrations.NewInterview{Candidate: report.Candidate{Name: "Jane Doe", ClaimedLocation: "Austin, TX", ClaimedTimezone: "America/Chicago"}, SlackChannel: "C0HIRING", SlackUser: "U1"}
			if len(fc.got) != 1 || fc.got[0] != want {
				t.Errorf("created %+v, want %+v", fc.got, want)
			}
		})
	}
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// jsonEsc is how s appears inside a JSON string.
func jsonEsc(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
