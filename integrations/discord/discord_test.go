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
	"path"
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
	Method  string
	Path    string
	JSON    map[string]any
	Files   map[string][]byte // multipart file parts by field name
	Headers http.Header
}

// fakeDiscord answers the REST routes integritybot uses, recording each request: messages
// (POST), edits (PATCH; a deleted message answers 404 Unknown Message), threads started from
// a message (a thread has its message's id; noThreads answers 403 Missing Permissions) and
// direct-message channels (id 700).
type fakeDiscord struct {
	mu        sync.Mutex
	posts     []posted
	next      int
	deleted   map[string]bool
	noThreads bool
	ws        http.HandlerFunc // the gateway websocket, when a test needs one
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
	case r.Method == http.MethodPatch:
		id := path.Base(r.URL.Path)
		f.mu.Lock()
		gone := f.deleted[id]
		f.mu.Unlock()
		if gone {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"message":"Unknown Message","code":10008}`)
			return
		}
		f.record(p)
		_, _ = fmt.Fprintf(w, `{"id":"%s","channel_id":"100"}`, id)
		return
	case strings.HasSuffix(r.URL.Path, "/threads"):
		f.mu.Lock()
		refuse := f.noThreads
		f.mu.Unlock()
		if refuse {
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"message":"Missing Permissions","code":50013}`)
			return
		}
		f.record(p)
		_, _ = fmt.Fprintf(w, `{"id":"%s","type":11,"parent_id":"100"}`, path.Base(path.Dir(r.URL.Path)))
		return
	case r.URL.Path == "/api/v9/users/@me/channels":
		f.record(p)
		_, _ = io.WriteString(w, `{"id":"700","type":1}`)
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
	p := posted{Method: r.Method, Path: r.URL.Path, Files: map[string][]byte{}, Headers: r.Header.Clone()}
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

// TestOneMessageEditedInPlace: the "in progress" message is the interview's one message in
// the channel; an alert edits it (naming the live concern), starts a thread from it and
// posts there; the summary edits it into the summary embed (colour, fields, link) and the
// snapshot goes into the thread as a multipart attachment shown in an embed. Every post
// carries an enforced nonce derived from the outbox key.
func TestOneMessageEditedInPlace(t *testing.T) {
	f := &fakeDiscord{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	// discordgo with an http.Client whose transport points at the test server.
	hc := &http.Client{Transport: redirect{to: srv.URL}}
	n := New(Config{BotToken: botToken, APIURL: DefaultAPIURL}, WithHTTPClient(hc))
	if !n.EditsInPlace() || !n.DirectMessages() {
		t.Fatal("a bot token edits in place and sends direct messages")
	}
	live := integrations.Message{Key: "iv/discord/live", Kind: integrations.Live, Target: "100", Report: testReport(false),
		ReportURL: "https://ib.example/r/tok"}
	rec, _, err := n.Notify(t.Context(), live)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Ref != (integrations.Ref{MessageID: "9001"}) {
		t.Fatalf("in-progress receipt %+v; want message 9001 without a thread yet", rec)
	}
	alert := integrations.Message{Key: "iv/discord/alert/camera/1", Kind: integrations.Alert, Check: "camera",
		Target: "100", Report: testReport(false), ReportURL: "https://ib.example/r/tok", Ref: rec.Ref}
	rec2, _, err := n.Notify(t.Context(), alert)
	if err != nil {
		t.Fatal(err)
	}
	card := integrations.Ref{MessageID: "9001", Thread: "9001"} // a thread has its starting message's id
	if rec2.Ref != card || rec2.MessageID == "" {
		t.Fatalf("alert receipt %+v; want a post in thread %+v", rec2, card)
	}
	snap := &integrations.Snapshot{Name: "camera-snapshot.png", ContentType: "image/png", Data: pngBytes, Check: "camera"}
	sum := integrations.Message{Key: "iv/discord/summary", Kind: integrations.Summary, Target: "100", Report: testReport(true),
		ReportURL: "https://ib.example/r/tok", Ref: card, Snapshot: snap}
	rec3, _, err := n.Notify(t.Context(), sum)
	if err != nil {
		t.Fatal(err)
	}
	if rec3.Ref != card || rec3.MessageID != "9001" {
		t.Errorf("summary receipt %+v; want the edited message 9001", rec3)
	}
	ps := f.all()
	var got []string
	for _, p := range ps {
		got = append(got, p.Method+" "+p.Path)
	}
	want := []string{
		"POST /api/v9/channels/100/messages",              // in progress
		"PATCH /api/v9/channels/100/messages/9001",        // the alert names the live concern
		"POST /api/v9/channels/100/messages/9001/threads", // the thread starts
		"POST /api/v9/channels/9001/messages",             // the alert in it
		"PATCH /api/v9/channels/100/messages/9001",        // the summary
		"POST /api/v9/channels/9001/messages",             // the snapshot in the thread
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ps[0].Headers.Get("Authorization") != "Bot "+botToken || ps[0].JSON["nonce"] != Nonce(live.Key+"/card/") || ps[0].JSON["enforce_nonce"] != true {
		t.Errorf("in-progress post = %v", ps[0].JSON)
	}
	if e := embedOf(t, ps[1]); !strings.Contains(e.Title, "Interview in progress: Jane Doe") ||
		!strings.Contains(e.Description, "**Live alert:** Camera: FAIL — details in the thread.") {
		t.Errorf("alert edit embed = %+v", e)
	}
	if ps[2].JSON["name"] != "integritybot: Jane Doe" {
		t.Errorf("thread = %v", ps[2].JSON)
	}
	if ps[3].JSON["nonce"] != Nonce(alert.Key) || ps[3].JSON["message_reference"] != nil || embedOf(t, ps[3]).Title != "🚨 Live alert: Jane Doe" {
		t.Errorf("alert post = %v", ps[3].JSON)
	}
	e := embedOf(t, ps[4])
	if e.Title != "Interview summary: Jane Doe" || e.URL != "https://ib.example/r/tok" || e.Color != colourStrong || e.Image != nil {
		t.Errorf("summary embed = %+v", e)
	}
	if len(e.Fields) != 1 || e.Fields[0].Name != "🔴 Camera — FAIL" || e.Fields[0].Value != "The camera showed only black frames.\n_at 0:42–1:10_" {
		t.Errorf("fields = %+v", e.Fields[0])
	}
	if !strings.Contains(e.Description, "**Overall: Strong concerns**") || !strings.Contains(e.Description, "Ask the candidate to uncover the camera.") {
		t.Errorf("description = %q", e.Description)
	}
	p := ps[5]
	if !bytes.Equal(p.Files["files[0]"], pngBytes) {
		t.Errorf("attachment = %q", p.Files)
	}
	if se := embedOf(t, p); se.Image == nil || se.Image.URL != "attachment://camera-snapshot.png" || se.Title != "Strongest evidence: Camera" {
		t.Errorf("snapshot embed = %+v", se)
	}
}

// TestRepliesWithoutThreadPermission: without the permission to create threads, the alert
// replies to the interview's message in the channel (a message reference) instead.
func TestRepliesWithoutThreadPermission(t *testing.T) {
	f := &fakeDiscord{noThreads: true}
	srv := httptest.NewServer(f)
	defer srv.Close()
	n := New(Config{BotToken: botToken, APIURL: DefaultAPIURL}, WithHTTPClient(&http.Client{Transport: redirect{to: srv.URL}}))
	rec, _, err := n.Notify(t.Context(), integrations.Message{Key: "iv/discord/alert/camera/1", Kind: integrations.Alert, Check: "camera",
		Target: "100", Report: testReport(false), Ref: integrations.Ref{MessageID: "8000"}})
	if err != nil {
		t.Fatal(err)
	}
	ps := f.all()
	if len(ps) != 2 || ps[0].Method != http.MethodPatch || ps[1].Path != "/api/v9/channels/100/messages" {
		t.Fatalf("requests %+v; want the edit and a reply in the channel", ps)
	}
	ref, _ := ps[1].JSON["message_reference"].(map[string]any)
	if ref["message_id"] != "8000" || ref["fail_if_not_exists"] != false {
		t.Errorf("the alert does not reply to the interview's message: %v", ps[1].JSON)
	}
	if rec.Ref != (integrations.Ref{MessageID: "8000"}) {
		t.Errorf("receipt ref %+v", rec.Ref)
	}
}

// TestDeletedMessagePostsAgain: the interview's message was deleted in the channel; the
// summary's edit answers Unknown Message, so the summary is posted as a new message.
func TestDeletedMessagePostsAgain(t *testing.T) {
	f := &fakeDiscord{deleted: map[string]bool{"8000": true}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	n := New(Config{BotToken: botToken, APIURL: DefaultAPIURL}, WithHTTPClient(&http.Client{Transport: redirect{to: srv.URL}}))
	rec, _, err := n.Notify(t.Context(), integrations.Message{Key: "iv/discord/summary", Kind: integrations.Summary,
		Target: "100", Report: testReport(false), Ref: integrations.Ref{MessageID: "8000", Thread: "8000"}})
	if err != nil {
		t.Fatal(err)
	}
	ps := f.all()
	if len(ps) != 1 || ps[0].Method != http.MethodPost || ps[0].Path != "/api/v9/channels/100/messages" ||
		embedOf(t, ps[0]).Title != "Interview summary: Jane Doe" {
		t.Fatalf("requests %+v; want the summary posted anew", ps)
	}
	if rec.Ref != (integrations.Ref{MessageID: "9001"}) {
		t.Errorf("receipt ref %+v; want the new message", rec.Ref)
	}
}

// TestDirectMessageToInterviewer: a Direct alert opens the interviewer's DM channel
// (UserChannelCreate) and posts the alert there.
func TestDirectMessageToInterviewer(t *testing.T) {
	f := &fakeDiscord{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	n := New(Config{BotToken: botToken, APIURL: DefaultAPIURL}, WithHTTPClient(&http.Client{Transport: redirect{to: srv.URL}}))
	rec, _, err := n.Notify(t.Context(), integrations.Message{Key: "iv/discord/direct/camera/1", Kind: integrations.Direct,
		Check: "camera", Target: "4242", Report: testReport(false)})
	if err != nil {
		t.Fatal(err)
	}
	ps := f.all()
	if len(ps) != 2 || ps[0].Path != "/api/v9/users/@me/channels" || ps[0].JSON["recipient_id"] != "4242" ||
		ps[1].Path != "/api/v9/channels/700/messages" || !strings.Contains(embedOf(t, ps[1]).Description, "Only you see this message") {
		t.Fatalf("requests %+v; want the DM channel opened and the alert in it", ps)
	}
	if rec.MessageID == "" || rec.Ref != (integrations.Ref{}) {
		t.Errorf("receipt %+v", rec)
	}
}

func embedOf(t *testing.T, p posted) discordgo.MessageEmbed {
	t.Helper()
	b, _ := json.Marshal(p.JSON["embeds"])
	var embeds []discordgo.MessageEmbed
	if err := json.Unmarshal(b, &embeds); err != nil || len(embeds) != 1 {
		t.Fatalf("%s %s: embeds = %s", p.Method, p.Path, b)
	}
	return embeds[0]
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
	"member":{"user":{"id":"4242","username":"interviewer"}},
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
	want := integrations.NewInterview{Candidate: report.Candidate{Name: "Jane Doe", ClaimedLocation: "Austin, TX", ClaimedTimezone: "America/Chicago"}, DiscordChannel: "100", DiscordUser: "4242"}
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
