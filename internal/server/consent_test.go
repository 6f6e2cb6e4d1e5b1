package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/integritybot/integritybot/internal/server"
	"github.com/integritybot/integritybot/internal/web"
)

// TestConsentSaysChatSnapshots: the candidate's consent notice says that face snapshots are
// shared with the hiring team's chat exactly when chat.snapshots is on (the server option),
// and does not mention chat otherwise.
func TestConsentSaysChatSnapshots(t *testing.T) {
	for _, on := range []bool{false, true} {
		e := newEnvWith(t, func(o *server.Options) { o.ChatSnapshots = on })
		res, err := http.Get(e.srv.URL + "/c/" + tokenOf(e.create().CandidateURL))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		body := string(b)
		consent := body[strings.Index(body, `id="consent"`):strings.Index(body, `id="declined"`)]
		if got := strings.Contains(consent, web.ConsentChatSentence); got != on {
			t.Errorf("chat snapshots %v: the consent notice says they are shared in chat: %v", on, got)
		}
		if !on && strings.Contains(strings.ToLower(consent), "chat") {
			t.Errorf("chat snapshots off: the consent notice mentions chat")
		}
	}
}

// TestNotifyInterviewerUsers: notify.slack_user and notify.discord_user_id are stored with
// the interview (live alerts reach them privately first); malformed ids are refused.
func TestNotifyInterviewerUsers(t *testing.T) {
	e := newEnv(t)
	code, out := e.do("POST", "/api/interviews", apiToken,
		`{"candidate":{"name":"Jane Doe"},"notify":{"slack_channel":"C1","slack_user":"U0INTERVIEWER","discord_user_id":"4242"}}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, out)
	}
	iv, err := e.st.GetInterview(t.Context(), out["id"].(string))
	if err != nil || iv.SlackUser != "U0INTERVIEWER" || iv.DiscordUser != "4242" {
		t.Fatalf("stored interview %+v, %v", iv, err)
	}
	for _, bad := range []string{`{"slack_user":"U1,U2"}`, `{"discord_user_id":"abc"}`} {
		if code, out := e.do("POST", "/api/interviews", apiToken, `{"candidate":{"name":"J"},"notify":`+bad+`}`); code != http.StatusBadRequest {
			t.Errorf("notify %s: %d %v; want 400", bad, code, out)
		}
	}
}
