package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/integrations/notifytest"
	"github.com/integritybot/integritybot/internal/report"
)

const botToken = "MTIzNDU2Nzg5.secret-discord-bot-token"

var pngBytes = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{9}, 64)...)

// posted is one request the fake Discord accepted.
type posted struct {
	Path    string
	JSON    map[string]any
	Files   map[string][]byte // multipart file parts by field name
	Headers http.Header
}

// fakeDiscord answers the REST routes integritybot uses, recording each request.
type fakeDiscord struct {
	mu    sync.Mutex
	posts []posted
	next  int
	ws    http.HandlerFunc // the gateway websocket, when a test needs one
}

func (f *fakeDiscord) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, err := readPosted(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/api/v9/gateway":
		_, _ = fmt.Fprintf(w, `{"url":"ws://%s/ws"}`, r.Host)
		return
	case strings.HasPrefix(r.URL.Path, "/ws") && f.ws != nil:
		f.ws(w, r)
		return
	case strings.HasPrefix(r.URL.Path, "/api/v9/applications/"):
		f.record(p)
		_, _ = io.WriteString(w, "[]")
		return
	case strings.HasSuffix(r.URL.Path, "/callback"):
		f.record(p)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	id := f.record(p)
	_, _ = fmt.Fprintf(w, `{"id":"%d","channel_id":"100"}`, id)
}

func (f *fakeDiscord) record(p posted) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.posts = append(f.posts, p)
	f.next++
	return 9000 + f.next
}

func (f *fakeDiscord) all() []posted {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]posted(nil), f.posts...)
}

func readPosted(r *http.Request) (posted, error) {
	p := posted{Path: r.URL.Path, Files: map[string][]byte{}, Headers: r.Header.Clone()}
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return p, err
			}
			b, _ := io.ReadAll(part)
			if part.FormName() == "payload_json" {
				if err := json.Unmarshal(b, &p.JSON); err != nil {
					return p, err
				}
			} else {
				p.Files[part.FormName()] = b
			}
		}
	case "application/json":
		var v any
		if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
			return p, err
		}
		p.JSON, _ = v.(map[string]any) // command registration sends a list
	}
	return p, nil
}

func TestConformance(t *testing.T) {
	handler := func(mode notifytest.Mode, record func(*http.Request, []byte)) http.Handler {
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
				_, _ = io.WriteString(w, `{"message":"You are being rate limited.","retry_after":7,"global":false}`)
			case notifytest.Refused:
				w.WriteHeader(403)
				_, _ = io.WriteString(w, `{"message":"Missing Access","code":50001}`)
			default:
				record(r, body)
				_, _ = io.WriteString(w, `{"id":"9001","channel_id":"100"}`)
			}
		})
	}
	limits := func(t *testing.T, r *http.Request, body []byte) {
		var m struct{ Embeds []*discordgo.MessageEmbed }
		if err := json.Unmarshal(body, &m); err != nil || len(m.Embeds) != 1 {
			t.Fatalf("body is not one embed: %v", err)
		}
		e := m.Embeds[0]
		if len(e.Fields) > MaxFields || Total(e) > MaxEmbedTotal {
			t.Errorf("embed has %d fields, %d characters", len(e.Fields), Total(e))
		}
		for _, f := range e.Fields {
			if len([]rune(f.Value)) > MaxFieldValue {
				t.Errorf("field value of %d characters", len([]rune(f.Value)))
			}
		}
		if !strings.Contains(e.Fields[len(e.Fields)-1].Value, "open the full report") {
			t.Error("truncated embed does not link to the full report")
		}
	}
	t.Run("bot", func(t *testing.T) {
		notifytest.Run(t, notifytest.Suite{Target: "100", Secrets: []string{botToken}, Handler: handler, Limits: limits,
			New: func(t *testing.T, u string) integrations.Notifier {
				return New(Config{BotToken: botToken, APIURL: u + "/api/v9/"})
			}})
	})
	t.Run("webhook", func(t *testing.T) {
		tok := "secret-webhook-token-abcdef"
		notifytest.Run(t, notifytest.Suite{Secrets: []string{tok}, Handler: handler, Limits: limits,
			New: func(t *testing.T, u string) integrations.Notifier {
				return New(Config{WebhookURL: integrations.Secret("https://discord.com/api/webhooks/123/" + tok), APIURL: u + "/api/v9/"})
			}})
	})
}

func testReport(snapshot bool) *report.Report {
	r := notifytest.Report(0)
	r.Candidate.Name = "Jane Doe"
	r.Checks = []report.Check{{ID: report.CheckCamera, Status: report.Fail, Confidence: 0.95,
		Summary: "The camera showed only black frames.", NextStep: "Ask the candidate to uncover the camera.",
		Evidence: []report.Evidence{report.Range(42, 70, "black", "black frames")}}}
	return r
}

// TestEmbedAttachmentAndReply: an alert starts the conversation; the summary replies to it
// with the embed (colour, fields, link) and the snapshot as a multipart attachment shown in
// the embed; both carry an enforced nonce derived from the outbox key.
func TestEmbedAttachmentAndReply(t *testing.T) {
	f := &fakeDiscord{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	// discordgo with an http.Client whose transport points at the test server.
	hc := &http.Client{Transport: redirect{to: srv.URL}}
	n := New(Config{BotToken: botToken, APIURL: DefaultAPIURL}, WithHTTPClient(hc))
	alert := integrations.Message{Key: "iv/discord/alert/camera/1", Kind: integrations.Alert, Check: "camera",
		Target: "100", Report: testReport(false), ReportURL: "https://ib.example/r/tok"}
	rec, _, err := n.Notify(t.Context(), alert)
	if err != nil {
		t.Fatal(err)
	}
	snap := &integrations.Snapshot{Name: "camera-snapshot.png", ContentType: "image/png", Data: pngBytes, Check: "camera"}
	sum := integrations.Message{Key: "iv/discord/summary", Kind: integrations.Summary, Target: "100", Report: testReport(true),
		ReportURL: "https://ib.example/r/tok", Thread: rec.Thread, Snapshot: snap}
	rec2, _, err := n.Notify(t.Context(), sum)
	if err != nil {
		t.Fatal(err)
	}
	if rec.MessageID != "9001" || rec.Thread != "9001" || rec2.MessageID != "9002" || rec2.Thread != "9001" {
		t.Errorf("receipts %+v %+v", rec, rec2)
	}
	ps := f.all()
	if len(ps) != 2 || ps[0].Path != "/api/v9/channels/100/messages" || ps[0].Headers.Get("Authorization") != "Bot "+botToken {
		t.Fatalf("posts = %+v", ps)
	}
	if ps[0].JSON["nonce"] != Nonce(alert.Key) || ps[0].JSON["enforce_nonce"] != true || ps[0].JSON["message_reference"] != nil {
		t.Errorf("alert json = %v", ps[0].JSON)
	}
	p := ps[1]
	if !bytes.Equal(p.Files["files[0]"], pngBytes) {
		t.Errorf("attachment = %q", p.Files)
	}
	ref, _ := p.JSON["message_reference"].(map[string]any)
	if ref["message_id"] != "9001" || ref["fail_if_not_exists"] != false {
		t.Errorf("summary does not reply to the alert: %v", ref)
	}
	b, _ := json.Marshal(p.JSON["embeds"])
	var embeds []discordgo.MessageEmbed
	_ = json.Unmarshal(b, &embeds)
	if len(embeds) != 1 {
		t.Fatalf("embeds = %s", b)
	}
	e := embeds[0]
	if e.Title != "Interview summary: Jane Doe" || e.URL != "https://ib.example/r/tok" || e.Color != colourStrong ||
		e.Image == nil || e.Image.URL != "attachment://camera-snapshot.png" {
		t.Errorf("embed = %+v", e)
	}
	if len(e.Fields) != 1 || e.Fields[0].Name != "🔴 Camera — FAIL" || e.Fields[0].Value != "The camera showed only black frames.\n_at 0:42–1:10_" {
		t.Errorf("fields = %+v", e.Fields[0])
	}
	if !strings.Contains(e.Description, "**Overall: Strong concerns**") || !strings.Contains(e.Description, "Ask the candidate to uncover the camera.") {
		t.Errorf("description = %q", e.Description)
	}
	// A retry with a receipt posts nothing.
	sum.Posted = rec2
	if _, _, err := n.Notify(t.Context(), sum); err != nil || len(f.all()) != 2 {
		t.Errorf("retry after delivery posted again: %v", err)
	}
}

// redirect sends every request to the test server, keeping the path.
type redirect struct{ to string }

func (r redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	u := *req.URL
	to, _ := req.URL.Parse(r.to)
	u.Scheme, u.Host = to.Scheme, to.Host
	req.URL, req.Host = &u, to.Host
	return http.DefaultTransport.RoundTrip(req)
}

func TestEmbedLimits(t *testing.T) {
	e := Embed(integrations.Render(integrations.Message{Kind: integrations.Summary, Report: notifytest.Report(60), ReportURL: "https://x/r"}), "")
	if len(e.Fields) != MaxFields || Total(e) > MaxEmbedTotal || !strings.Contains(e.Fields[24].Value, "36 more checks") {
		t.Errorf("fields %d total %d last %q", len(e.Fields), Total(e), e.Fields[24].Value)
	}
	if !strings.HasSuffix(e.Description, "[Open the full report](https://x/r)") {
		t.Errorf("description lost the report link: %q", e.Description)
	}
}

type fakeCreator struct {
	mu  sync.Mutex
	got []integrations.NewInterview
}

func (f *fakeCreator) CreateInterview(_ context.Context, in integrations.NewInterview) (integrations.Links, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, in)
	return integrations.Links{ID: "iv1", CandidateURL: "https://ib.example/c/cand", InterviewerURL: "https://ib.example/i/int"}, nil
}

const commandJSON = `{"id":"555","application_id":"777","type":2,"token":"interaction-token","channel_id":"100",
	"data":{"id":"1","name":"integrity","type":1,"options":[{"name":"name","type":3,"value":"Jane Doe"},
	{"name":"location","type":3,"value":"Austin, TX"},{"name":"tz","type":3,"value":"America/Chicago"}]}}`

func TestInteractionsEndpointSignature(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	_, forger, _ := ed25519.GenerateKey(nil)
	now := strconv.FormatInt(time.Now().Unix(), 10)
	stale := strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10)
	for name, tc := range map[string]struct {
		key  ed25519.PrivateKey
		ts   string
		body string
		want int
	}{
		"valid":  {priv, now, commandJSON, 200},
		"ping":   {priv, now, `{"id":"1","type":1}`, 200},
		"forged": {forger, now, commandJSON, 401},
		"stale":  {priv, stale, commandJSON, 401},
	} {
		t.Run(name, func(t *testing.T) {
			fc := &fakeCreator{}
			c := NewCommands(Config{PublicKey: hex.EncodeToString(pub), APIURL: DefaultAPIURL}, fc, slog.New(slog.DiscardHandler))
			r := httptest.NewRequest("POST", "/discord/interactions", strings.NewReader(tc.body))
			r.Header.Set("X-Signature-Timestamp", tc.ts)
			r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(tc.key, []byte(tc.ts+tc.body))))
			w := httptest.NewRecorder()
			c.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
			if tc.want != 200 {
				if len(fc.got) != 0 {
					t.Error("a rejected request created an interview")
				}
				return
			}
			var resp discordgo.InteractionResponse
			_ = json.Unmarshal(w.Body.Bytes(), &resp)
			if name == "ping" {
				if resp.Type != discordgo.InteractionResponsePong {
					t.Errorf("ping answered %v", resp.Type)
				}
				return
			}
			checkAnswer(t, &resp, fc)
		})
	}
}

func checkAnswer(t *testing.T, resp *discordgo.InteractionResponse, fc *fakeCreator) {
	t.Helper()
	if resp.Type != discordgo.InteractionResponseChannelMessageWithSource || resp.Data == nil ||
		resp.Data.Flags != discordgo.MessageFlagsEphemeral || !strings.Contains(resp.Data.Content, "https://ib.example/c/cand") ||
		!strings.Contains(resp.Data.Content, "https://ib.example/i/int") {
		t.Errorf("answer = %+v", resp)
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	want := integrations.NewInterview{Candidate: report.Candidate{Name: "Jane Doe", ClaimedLocation: "Austin, TX", ClaimedTimezone: "America/Chicago"}, DiscordChannel: "100"}
	if len(fc.got) != 1 || fc.got[0] != want {
		t.Errorf("created %+v, want %+v", fc.got, want)
	}
}

// TestGatewaySlashCommand runs /integrity through discordgo's real gateway client against a
// local websocket fake: Hello, Identify, READY, then INTERACTION_CREATE; the bot registers
// the command and answers through the REST callback.
func TestGatewaySlashCommand(t *testing.T) {
	f := &fakeDiscord{}
	identified := make(chan map[string]any, 1)
	f.ws = func(w http.ResponseWriter, r *http.Request) {
		up := websocket.Upgrader{}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.WriteJSON(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 45000}})
		var id map[string]any
		if err := conn.ReadJSON(&id); err != nil {
			return
		}
		identified <- id
		_ = conn.WriteJSON(map[string]any{"op": 0, "t": "READY", "s": 1, "d": map[string]any{"v": 9, "session_id": "s1",
			"user": map[string]any{"id": "777", "username": "integritybot", "bot": true}, "guilds": []any{}}})
		_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"op":0,"t":"INTERACTION_CREATE","s":2,"d":`+commandJSON+`}`))
		for { // heartbeats until the client leaves
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	fc := &fakeCreator{}
	c := NewCommands(Config{BotToken: botToken, ApplicationID: "777", APIURL: srv.URL + "/api/v9/"}, fc, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.RunGateway(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	var callback *posted
	for callback == nil {
		for _, p := range f.all() {
			if strings.HasSuffix(p.Path, "/callback") {
				callback = &p
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no interaction callback")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if id := <-identified; id["op"] != float64(2) {
		t.Errorf("identify = %v", id)
	}
	if callback.Path != "/api/v9/interactions/555/interaction-token/callback" {
		t.Errorf("callback path %s", callback.Path)
	}
	b, _ := json.Marshal(callback.JSON)
	var resp discordgo.InteractionResponse
	_ = json.Unmarshal(b, &resp)
	checkAnswer(t, &resp, fc)
	var registered bool
	for _, p := range f.all() {
		registered = registered || p.Path == "/api/v9/applications/777/commands"
	}
	if !registered {
		t.Error("/integrity was not registered")
	}
}

// TestConfigNeverPrintsSecrets: the configuration validates the section (internal/config);
// what the integration keeps of it never prints its token.
func TestConfigNeverPrintsSecrets(t *testing.T) {
	c := Config{BotToken: botToken, ApplicationID: "777", ChannelID: "100"}
	if s := fmt.Sprintf("%v %+v %#v", c, c, c); strings.Contains(s, botToken) {
		t.Errorf("config prints its token: %s", s)
	}
}
