package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/server"
	"github.com/integritybot/integritybot/media/faceswap"
	"github.com/integritybot/integritybot/media/liveness"
)

const challengeUsage = `Usage:
  integritybot challenge --server URL [--token TOKEN] --interview ID --step STEP [--seconds S]
                         [--at S] [--note TEXT]

Marks a liveness challenge window on a running call (POST /api/interviews/{id}/challenge),
for a call the bot only watches (join --whep, --livekit) or a hosted room: the interviewer
asked the candidate out loud to turn, pass a hand over their face or come closer, and the
liveness and face-swap checks score that window. STEP is turn_left, turn_right, hand,
closer or custom (described, not judged). --at marks a window that already happened, in
seconds of call time. The token defaults to $INTEGRITYBOT_API_TOKEN.

`

func challengeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("challenge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, challengeUsage); fs.PrintDefaults() }
	base := fs.String("server", "http://127.0.0.1:8080", "integritybot base `URL`")
	token := fs.String("token", os.Getenv(config.EnvAPIToken), "API `token` (or an interviewer link token)")
	id := fs.String("interview", "", "interview `id`")
	step := fs.String("step", "", "turn_left, turn_right, hand, closer or custom")
	seconds := fs.Float64("seconds", 5, "how long the window lasts (1-30)")
	at := fs.Float64("at", -1, "start of a window that already happened, in `seconds` of call time (negative: now)")
	note := fs.String("note", "", "what was asked, for the timeline")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *id == "" || *step == "" || *token == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("challenge: give --interview, --step and --token (or $" + config.EnvAPIToken + ")")
	}
	req := server.ChallengeRequest{Step: *step, Seconds: seconds, Note: *note}
	if *at >= 0 {
		req.AtS = at
	}
	var resp server.ChallengeResponse
	if err := postJSON(ctx, strings.TrimRight(*base, "/")+"/api/interviews/"+*id+"/challenge", *token, req, &resp); err != nil {
		return fmt.Errorf("challenge: %w", err)
	}
	fmt.Fprintf(stdout, "marked %s from %.1f s to %.1f s of interview %s\n", resp.Step, resp.AtS, resp.UntilS, resp.InterviewID)
	return nil
}

// postJSON posts body to url with a bearer token and decodes a 2xx answer into out; an
// error answer becomes an error carrying the server's sentence.
func postJSON(ctx context.Context, url, token string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s: %s", resp.Status, e.Error)
		}
		return errors.New(resp.Status)
	}
	return json.Unmarshal(data, out)
}

// The liveness and face-swap checks are told each challenge window by the session.
var (
	_ bot.Challenger = (*liveness.Analyzer)(nil)
	_ bot.Challenger = (*faceswap.Analyzer)(nil)
)
