package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/integritybot/integritybot/integrations"
)

// Notifier posts to Slack: with a bot token through chat.postMessage (threads, broadcast of
// the summary to the channel, snapshot upload), else through the incoming webhook.
type Notifier struct {
	cfg  Config
	api  *slack.Client
	http *http.Client
}

var _ integrations.Notifier = (*Notifier)(nil)

// Option configures a Notifier or Commands.
type Option func(*options)

type options struct{ http *http.Client }

// WithHTTPClient sets the HTTP client of every request (default: a client with a 30 s timeout).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.http = c } }

func apply(opts []Option) options {
	o := options{http: &http.Client{Timeout: 30 * time.Second}}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// New returns a Notifier for cfg, which must be valid and have Posts() true.
func New(cfg Config, opts ...Option) *Notifier {
	o := apply(opts)
	return &Notifier{cfg: cfg, http: o.http,
		api: slack.New(cfg.BotToken.Value(), slack.OptionAPIURL(cfg.apiURL()), slack.OptionHTTPClient(o.http))}
}

// Notify posts m. For a summary in an existing thread (alerts came first) the reply is also
// broadcast to the channel, so hiring managers see it without opening the thread. The
// snapshot goes into the same thread. Slack has no idempotency key for chat.postMessage:
// delivery is at-least-once in the window between Slack's answer and the outbox's record.
func (n *Notifier) Notify(ctx context.Context, m integrations.Message) (integrations.Receipt, bool, error) {
	blocks, text := Blocks(integrations.Render(m))
	if n.cfg.BotToken == "" {
		err := slack.PostWebhookCustomHTTPContext(ctx, n.cfg.WebhookURL.Value(), n.http,
			&slack.WebhookMessage{Text: text, Blocks: &slack.Blocks{BlockSet: blocks}})
		if err != nil {
			return integrations.Receipt{}, retryable(err), n.wrap("post webhook", err)
		}
		return integrations.Receipt{}, false, nil
	}
	if m.Target == "" {
		return integrations.Receipt{}, false, errors.New("slack: post: no channel (set slack.channel or the interview's notify.slack_channel)")
	}
	rec := m.Posted
	channelID, _, _ := strings.Cut(rec.MessageID, "/")
	if rec.MessageID == "" {
		opts := []slack.MsgOption{slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false)}
		if m.Thread != "" {
			opts = append(opts, slack.MsgOptionTS(m.Thread))
			if m.Kind == integrations.Summary {
				opts = append(opts, slack.MsgOptionBroadcast())
			}
		}
		var ts string
		var err error
		channelID, ts, err = n.api.PostMessageContext(ctx, m.Target, opts...)
		if err != nil {
			return integrations.Receipt{}, retryable(err), n.wrap("post message", err)
		}
		rec = integrations.Receipt{MessageID: channelID + "/" + ts, Thread: m.Thread}
		if rec.Thread == "" {
			rec.Thread = ts
		}
	}
	if m.Snapshot != nil {
		_, err := n.api.UploadFileContext(ctx, slack.UploadFileParameters{
			Reader: bytes.NewReader(m.Snapshot.Data), FileSize: len(m.Snapshot.Data), Filename: m.Snapshot.Name,
			Title:           "Strongest evidence: " + integrations.CheckName(m.Snapshot.Check),
			Channel:         channelID,
			ThreadTimestamp: rec.Thread,
		})
		if err != nil {
			// The message is posted: the receipt makes the retry upload only.
			return rec, retryable(err), n.wrap("upload snapshot", err)
		}
	}
	return rec, false, nil
}

func (n *Notifier) wrap(op string, err error) error {
	return integrations.Redact(fmt.Errorf("slack: %s: %w", op, classify(err)), n.cfg.secrets()...)
}

// classify turns Slack's rate limit into integrations.RetryAfterError.
func classify(err error) error {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return &integrations.RetryAfterError{After: rl.RetryAfter, Err: err}
	}
	return err
}

// permanent are Slack API errors that retrying cannot fix.
var permanent = map[string]bool{
	"invalid_auth": true, "not_authed": true, "account_inactive": true, "token_revoked": true,
	"token_expired": true, "no_permission": true, "missing_scope": true, "channel_not_found": true,
	"not_in_channel": true, "is_archived": true, "invalid_blocks": true, "invalid_blocks_format": true,
	"msg_too_long": true, "no_text": true, "invalid_arguments": true, "restricted_action": true,
	"invalid_token": true, "no_service": true, "no_active_hooks": true, "no_service_id": true,
	"no_team": true, "team_disabled": true, "action_prohibited": true, "posting_to_general_channel_denied": true,
}

// retryable says whether err may pass on a later attempt: rate limits, 5xx, network
// errors and unknown errors are retried (an outage must delay, not drop); Slack's
// documented permanent errors and 4xx are not.
func retryable(err error) bool {
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &rl):
		return true
	case errors.As(err, &sc):
		return sc.Code >= 500 || sc.Code == http.StatusRequestTimeout || sc.Code == http.StatusTooManyRequests
	case errors.As(err, &se):
		return !permanent[se.Err]
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	msg := err.Error()
	for code := range permanent {
		if msg == code || strings.HasSuffix(msg, ": "+code) {
			return false
		}
	}
	return true
}
