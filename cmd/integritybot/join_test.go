package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/store"
)

func TestJoinFlags(t *testing.T) {
	t.Setenv("INTEGRITYBOT_LIVEKIT_API_KEY", "") // empty variables are ignored
	t.Setenv("INTEGRITYBOT_LIVEKIT_API_SECRET", "")
	t.Setenv("LIVEKIT_API_KEY", "")
	t.Setenv("LIVEKIT_API_SECRET", "")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no endpoint", []string{"join"}, "--whep URL"},
		{"not http", []string{"join", "--whep", "ftp://x/whep"}, "http:// or https://"},
		{"bad timezone", []string{"join", "--whep", "http://127.0.0.1/whep", "--claimed-timezone", "Mars/Olympus"}, "IANA zone"},
		{"Local timezone", []string{"join", "--whep", "http://127.0.0.1/whep", "--claimed-timezone", "Local"}, `"Local" is the server's own zone`},
		{"bad slack channel", []string{"join", "--whep", "http://127.0.0.1/whep", "--notify-slack", "#hiring team"}, "notify.slack_channel"},
		{"whep and livekit", []string{"join", "--whep", "http://127.0.0.1/whep", "--livekit", "wss://lk.example.com", "--room", "r"}, "--livekit URL --room NAME"},
		{"livekit without credentials", []string{"join", "--livekit", "wss://lk.example.com", "--room", "r"}, "livekit.api_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), append(tt.args, "--data", t.TempDir()), &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestJoinRejected: a WHEP server that refuses the bot gives a clear error, and the interview
// is still stored with a final report that says why.
func TestJoinRejected(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "stream key required", http.StatusForbidden)
	}))
	defer hs.Close()
	data := t.TempDir()
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"join", "--whep", hs.URL + "/whep", "--candidate", "Jane Doe",
		"--claimed-timezone", "America/Chicago", "--json", "--data", data}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "403 Forbidden: the endpoint refused the bearer token") || strings.Contains(err.Error(), "stream key") {
		t.Fatalf("err = %v", err)
	}
	var r report.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("output is not report JSON: %v\n%s", err, out.String())
	}
	if r.State != report.Final || r.Candidate.Name != "Jane Doe" {
		t.Errorf("report state %s candidate %+v", r.State, r.Candidate)
	}
	st, err := store.Open(context.Background(), data+"/integritybot.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stored, err := st.GetReport(context.Background(), r.InterviewID)
	if err != nil {
		t.Fatalf("report not stored: %v", err)
	}
	found := false
	for _, e := range stored.Timeline {
		found = found || strings.Contains(e.Detail, "403")
	}
	if !found {
		t.Errorf("stored timeline does not say why: %+v", stored.Timeline)
	}
}
