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

// Notifier posts to Slack: with a bot token one message per interview in the channel, edited
// in place (chat.postMessage, chat.update), alerts and the snapshot in its thread, and
// direct messages to the interviewer; else each notification through the incoming webhook.
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

// EditsInPlace: with a bot token each interview has one channel message, edited in place
// (chat.update) from "in progress" to the summary; a webhook can only post.
func (n *Notifier) EditsInPlace() bool { return n.cfg.BotToken != "" }

// DirectMessages: with a bot token (scope im:write) live alerts reach the interviewer in a
// direct message (conversations.open + chat.postMessage).
func (n *Notifier) DirectMessages() bool { return n.cfg.BotToken != "" }

// Notify delivers m. With a bot token, the interview's one channel message (m.Ref) is posted
// by the first notification (Live, or an alert if that comes first) and edited by the later
// ones (chat.update): an alert updates it to name the live concern and replies in its
// thread, the summary replaces it; the snapshot, when allowed, goes into the thread. An edit
// of a message deleted in the channel posts a new one. Direct goes to the interviewer
// alone. Slack has no idempotency key for chat.postMessage: delivery is at-least-once in
// the window between Slack's answer and the outbox's record.
func (n *Notifier) Notify(ctx context.Context, m integrations.Message) (integrations.Receipt, bool, error) {
	if n.cfg.BotToken == "" {
		blocks, text := Blocks(integrations.Render(m))
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
	if m.Kind == integrations.Direct {
		return n.direct(ctx, m)
	}
	rec := integrations.Receipt{Ref: m.Ref, MessageID: m.Posted.MessageID, Thread: m.Ref.Thread}
	if m.Kind != integrations.Summary || m.Posted.MessageID == "" {
		ref, err := n.card(ctx, integrations.Card(m), m.Ref)
		rec.Ref, rec.Thread = ref, ref.Thread
		if err != nil {
			return rec, retryable(err), n.wrap("update the interview's message", err)
		}
		if m.Kind != integrations.Alert {
			rec.MessageID = ref.MessageID
		}
	}
	if m.Kind == integrations.Alert && m.Posted.MessageID == "" {
		blocks, text := Blocks(integrations.Render(m))
		ch, ts, err := n.api.PostMessageContext(ctx, m.Target, slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false),
			slack.MsgOptionTS(rec.Ref.Thread))
		if err != nil {
			return rec, retryable(err), n.wrap("post alert", err)
		}
		rec.MessageID = ch + "/" + ts
	}
	if m.Snapshot != nil {
		channelID, _, _ := strings.Cut(rec.Ref.MessageID, "/")
		_, err := n.api.UploadFileContext(ctx, slack.UploadFileParameters{
			Reader: bytes.NewReader(m.Snapshot.Data), FileSize: len(m.Snapshot.Data), Filename: m.Snapshot.Name,
			Title:           "Strongest evidence: " + integrations.CheckName(m.Snapshot.Check),
			Channel:         channelID,
			ThreadTimestamp: rec.Ref.Thread,
		})
		if err != nil {
			// The message is posted: the receipt makes the retry upload only.
			return rec, retryable(err), n.wrap("upload snapshot", err)
		}
	}
	return rec, false, nil
}

// card edits the interview's channel message ref to show m, or posts it when there is none
// yet or it was deleted; it returns the message's ref (unchanged when the post failed).
func (n *Notifier) card(ctx context.Context, m integrations.Message, ref integrations.Ref) (integrations.Ref, error) {
	blocks, text := Blocks(integrations.Render(m))
	opts := []slack.MsgOption{slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false)}
	if ch, ts, ok := strings.Cut(ref.MessageID, "/"); ok {
		_, _, _, err := n.api.UpdateMessageContext(ctx, ch, ts, opts...)
		if err == nil || !gone(err) {
			return ref, err
		}
		// Deleted in the channel (or no longer editable): a new message takes its place.
	}
	ch, ts, err := n.api.PostMessageContext(ctx, m.Target, opts...)
	if err != nil {
		return ref, err
	}
	return integrations.Ref{MessageID: ch + "/" + ts, Thread: ts}, nil
}

// direct tells the interviewer (m.Target, a user id) in a direct message.
func (n *Notifier) direct(ctx context.Context, m integrations.Message) (integrations.Receipt, bool, error) {
	im, _, _, err := n.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{m.Target}, ReturnIM: true})
	if err != nil {
		return integrations.Receipt{}, retryable(err), n.wrap("open direct message", err)
	}
	blocks, text := Blocks(integrations.Render(m))
	ch, ts, err := n.api.PostMessageContext(ctx, im.ID, slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false))
	if err != nil {
		return integrations.Receipt{}, retryable(err), n.wrap("post direct message", err)
	}
	return integrations.Receipt{MessageID: ch + "/" + ts}, false, nil
}

// gone reports whether an edit failed because the message is no longer there to edit.
func gone(err error) bool {
	var se slack.SlackErrorResponse
	code := err.Error()
	if errors.As(err, &se) {
		code = se.Err
	}
	switch code {
	case "message_not_found", "cant_update_message", "edit_window_closed":
		return true
	}
	return false
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
	"user_not_found": true, "users_not_found": true, "user_disabled": true, "cannot_dm_bot": true,
	"not_allowed_token_type": true, "message_not_found": true, "cant_update_message": true, "edit_window_closed": true,
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
