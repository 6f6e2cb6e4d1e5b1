package discord

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/integritybot/integritybot/integrations"
)

// Notifier posts to Discord: with a bot token as a channel message (a summary that follows
// live alerts replies to the first one), else through the webhook URL.
type Notifier struct {
	cfg Config
	s   *discordgo.Session
}

var _ integrations.Notifier = (*Notifier)(nil)

// Option configures a Notifier or Commands.
type Option func(*options)

type options struct{ http *http.Client }

// WithHTTPClient sets the HTTP client under every REST request (default: 30 s timeout).
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
	return &Notifier{cfg: cfg, s: session(cfg, apply(opts).http)}
}

// messageSend adds Discord's idempotency fields, which discordgo's MessageSend lacks: with
// enforce_nonce, Discord returns the already-created message for a nonce it saw from the
// same author in the last few minutes instead of posting again.
// https://discord.com/developers/docs/resources/message#create-message-jsonform-params
type messageSend struct {
	*discordgo.MessageSend
	Nonce        string `json:"nonce,omitempty"`
	EnforceNonce bool   `json:"enforce_nonce,omitempty"`
}

// Nonce derives the 25-character nonce of a message from its outbox key.
func Nonce(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])[:25]
}

// Notify posts m as one message: the embed, and the snapshot as an attachment shown in it.
// Message creation carries a nonce with enforce_nonce, so a retry after a lost answer within
// Discord's nonce window does not post twice.
func (n *Notifier) Notify(ctx context.Context, m integrations.Message) (integrations.Receipt, bool, error) {
	if m.Posted.MessageID != "" {
		return m.Posted, false, nil // one request: posted means done
	}
	var files []*discordgo.File
	image := ""
	if m.Snapshot != nil {
		image = m.Snapshot.Name
		files = []*discordgo.File{{Name: m.Snapshot.Name, ContentType: m.Snapshot.ContentType, Reader: bytes.NewReader(m.Snapshot.Data)}}
	}
	embed := Embed(integrations.Render(m), image)
	if n.cfg.BotToken == "" {
		return n.webhook(ctx, embed, files)
	}
	if m.Target == "" {
		return integrations.Receipt{}, false, errors.New("discord: post: no channel (set discord.channel_id or the interview's notify.discord_channel_id)")
	}
	data := messageSend{MessageSend: &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{embed},
		AllowedMentions: &discordgo.MessageAllowedMentions{}}, Nonce: Nonce(m.Key), EnforceNonce: true}
	if m.Thread != "" {
		no := false
		data.Reference = &discordgo.MessageReference{MessageID: m.Thread, ChannelID: m.Target, FailIfNotExists: &no}
	}
	endpoint := discordgo.EndpointChannelMessages(m.Target)
	var body []byte
	var err error
	if len(files) > 0 {
		ct, mp, encErr := discordgo.MultipartBodyWithJSON(data, files)
		if encErr != nil {
			return integrations.Receipt{}, false, fmt.Errorf("discord: post message: %w", encErr)
		}
		body, err = n.s.RequestRaw(http.MethodPost, endpoint, ct, mp, endpoint, 0, discordgo.WithContext(ctx))
	} else {
		body, err = n.s.RequestWithBucketID(http.MethodPost, endpoint, data, endpoint, discordgo.WithContext(ctx))
	}
	if err != nil {
		return integrations.Receipt{}, retryable(err), n.wrap("post message", err)
	}
	var msg discordgo.Message
	if err := json.Unmarshal(body, &msg); err != nil || msg.ID == "" {
		// Posted (2xx) but unreadable: do not post again.
		return integrations.Receipt{MessageID: "unknown", Thread: m.Thread}, false, nil
	}
	rec := integrations.Receipt{MessageID: msg.ID, Thread: m.Thread}
	if rec.Thread == "" {
		rec.Thread = msg.ID
	}
	return rec, false, nil
}

func (n *Notifier) webhook(ctx context.Context, embed *discordgo.MessageEmbed, files []*discordgo.File) (integrations.Receipt, bool, error) {
	id, token, _ := webhookParts(n.cfg.WebhookURL.Value())
	msg, err := n.s.WebhookExecute(id, token, true, &discordgo.WebhookParams{Embeds: []*discordgo.MessageEmbed{embed},
		Files: files, AllowedMentions: &discordgo.MessageAllowedMentions{}}, discordgo.WithContext(ctx))
	if err != nil {
		return integrations.Receipt{}, retryable(err), n.wrap("post webhook", err)
	}
	if msg == nil {
		return integrations.Receipt{}, false, nil
	}
	return integrations.Receipt{MessageID: msg.ID}, false, nil
}

func (n *Notifier) wrap(op string, err error) error {
	return integrations.Redact(fmt.Errorf("discord: %s: %w", op, classify(err)), n.cfg.secrets()...)
}

// classify turns a 429 (and a 503 with Retry-After) into integrations.RetryAfterError.
func classify(err error) error {
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) && rl.RateLimit != nil && rl.TooManyRequests != nil {
		return &integrations.RetryAfterError{After: rl.RetryAfter, Err: err}
	}
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		if s, err2 := strconv.ParseFloat(re.Response.Header.Get("Retry-After"), 64); err2 == nil && s > 0 {
			return &integrations.RetryAfterError{After: time.Duration(s * float64(time.Second)), Err: err}
		}
	}
	return err
}

// retryable: rate limits, 5xx and network errors are retried; other 4xx (bad token,
// unknown channel, missing permission, malformed message) are not.
func retryable(err error) bool {
	var rl *discordgo.RateLimitError
	var re *discordgo.RESTError
	switch {
	case errors.As(err, &rl):
		return true
	case errors.As(err, &re) && re.Response != nil:
		c := re.Response.StatusCode
		return c >= 500 || c == http.StatusTooManyRequests || c == http.StatusRequestTimeout
	}
	return true
}
