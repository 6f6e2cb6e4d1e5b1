package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestNotesForInterviewersOnly(t *testing.T) {
	e := newEnv(t)
	links := e.create() // notes "n"
	path := "/api/interviews/" + links.ID + "/notes"
	cases := []struct {
		name, token string
		code        int
	}{
		{"interviewer", tokenOf(links.InterviewerURL), 200},
		{"api token", apiToken, 200},
		{"candidate", tokenOf(links.CandidateURL), 403},
		{"report link", tokenOf(links.ReportURL), 403},
		{"no token", "", 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := e.do("GET", path, tc.token, "")
			if code != tc.code {
				t.Fatalf("GET notes = %d %v, want %d", code, out, tc.code)
			}
			if code == 200 && out["notes"] != "n" {
				t.Fatalf("notes = %v, want n", out)
			}
		})
	}
	// The notes stay out of the report.
	if _, out := e.do("GET", "/api/interviews/"+links.ID+"/report", apiToken, ""); out["notes"] != nil {
		t.Fatalf("report carries notes: %v", out)
	}
}

// The timeline says who ended the interview: the interviewer's link or the API.
func TestEndedThroughAPI(t *testing.T) {
	for _, tc := range []struct{ name, token, want string }{
		{"api", apiToken, "The interview was ended through the API."},
		{"interviewer", "", "The interviewer ended the interview."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			links := e.create()
			token := tc.token
			if token == "" {
				token = tokenOf(links.InterviewerURL)
			}
			url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/api/ws?token=" + tokenOf(links.CandidateURL)
			ws, _, err := websocket.DefaultDialer.Dial(url, nil) // opens the room
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			var welcome map[string]any
			_ = ws.SetReadDeadline(time.Now().Add(time.Minute))
			if err := ws.ReadJSON(&welcome); err != nil || welcome["type"] != "welcome" {
				t.Fatalf("welcome: %v %v", err, welcome)
			}
			code, out := e.do("POST", "/api/interviews/"+links.ID+"/end", token, "")
			if code != http.StatusOK {
				t.Fatalf("end = %d %v", code, out)
			}
			var got []string
			for _, ev := range out["timeline"].([]any) {
				if m := ev.(map[string]any); m["kind"] == "ended" {
					got = append(got, m["detail"].(string))
				}
			}
			if len(got) != 1 || got[0] != tc.want {
				t.Fatalf("ended events %q, want [%q]", got, tc.want)
			}
		})
	}
}
