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

// Notifier posts to Discord: with a bot token one message per interview in the channel,
// edited in place, with alerts and the snapshot in the thread started from it and direct
// messages to the interviewer; else each notification through the webhook URL.
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

// EditsInPlace: with a bot token each interview has one channel message, edited in place
// (ChannelMessageEditComplex) from "in progress" to the summary; a webhook only posts.
func (n *Notifier) EditsInPlace() bool { return n.cfg.BotToken != "" }

// DirectMessages: with a bot token live alerts reach the interviewer in a direct message
// (UserChannelCreate), if they share a server with the bot and accept its messages.
func (n *Notifier) DirectMessages() bool { return n.cfg.BotToken != "" }

// Notify delivers m. With a bot token, the interview's one channel message (m.Ref) is posted
// by the first notification and edited by the later ones: an alert updates it to name the
// live concern and posts in the thread started from it, the summary replaces it and its
// snapshot, when allowed, goes into the thread. Without the permission to create threads
// the replies reference the message instead. An edit of a message deleted in the channel
// posts a new one. Every post carries a nonce with enforce_nonce, so a retry after a lost
// answer within Discord's nonce window does not post twice.
func (n *Notifier) Notify(ctx context.Context, m integrations.Message) (integrations.Receipt, bool, error) {
	if n.cfg.BotToken == "" {
		if m.Posted.MessageID != "" {
			return m.Posted, false, nil // one request: posted means done
		}
		var files []*discordgo.File
		image := ""
		if m.Snapshot != nil {
			image = m.Snapshot.Name
			files = []*discordgo.File{snapshotFile(m.Snapshot)}
		}
		return n.webhook(ctx, Embed(integrations.Render(m), image), files)
	}
	if m.Target == "" {
		return integrations.Receipt{}, false, errors.New("discord: post: no channel (set discord.channel_id or the interview's notify.discord_channel_id)")
	}
	if m.Kind == integrations.Direct {
		if m.Posted.MessageID != "" {
			return m.Posted, false, nil
		}
		dm, err := n.s.UserChannelCreate(m.Target, discordgo.WithContext(ctx))
		if err != nil {
			return integrations.Receipt{}, retryable(err), n.wrap("open direct message", err)
		}
		id, err := n.send(ctx, dm.ID, n.message(Embed(integrations.Render(m), ""), m.Key), nil)
		if err != nil {
			return integrations.Receipt{}, retryable(err), n.wrap("post direct message", err)
		}
		return integrations.Receipt{MessageID: id}, false, nil
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
	var reply *messageSend
	var files []*discordgo.File
	switch {
	case m.Kind == integrations.Alert && m.Posted.MessageID == "":
		reply = n.message(Embed(integrations.Render(m), ""), m.Key)
	case m.Snapshot != nil:
		reply = n.message(SnapshotEmbed(m.Snapshot, m.ReportURL), m.Key+"/snapshot")
		files = []*discordgo.File{snapshotFile(m.Snapshot)}
	default:
		return rec, false, nil
	}
	channel, err := n.thread(ctx, m, &rec.Ref, reply)
	rec.Thread = rec.Ref.Thread
	if err != nil {
		return rec, retryable(err), n.wrap("start the interview's thread", err)
	}
	id, err := n.send(ctx, channel, reply, files)
	if err != nil {
		// The message is edited: the receipt makes the retry post the reply only.
		return rec, retryable(err), n.wrap("post in the interview's thread", err)
	}
	if m.Kind == integrations.Alert {
		rec.MessageID = id
	}
	return rec, false, nil
}

// message is a new message with one embed, no mentions and the nonce of key.
func (n *Notifier) message(e *discordgo.MessageEmbed, key string) *messageSend {
	return &messageSend{MessageSend: &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{e},
		AllowedMentions: &discordgo.MessageAllowedMentions{}}, Nonce: Nonce(key), EnforceNonce: true}
}

func snapshotFile(s *integrations.Snapshot) *discordgo.File {
	return &discordgo.File{Name: s.Name, ContentType: s.ContentType, Reader: bytes.NewReader(s.Data)}
}

// card edits the interview's channel message ref to show m, or posts it when there is none
// yet or it was deleted; it returns the message's ref (unchanged when the post failed).
func (n *Notifier) card(ctx context.Context, m integrations.Message, ref integrations.Ref) (integrations.Ref, error) {
	e := Embed(integrations.Render(m), "")
	if ref.MessageID != "" {
		_, err := n.s.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: ref.MessageID, Channel: m.Target,
			Embeds: &[]*discordgo.MessageEmbed{e}, AllowedMentions: &discordgo.MessageAllowedMentions{}}, discordgo.WithContext(ctx))
		if err == nil || !hasCode(err, discordgo.ErrCodeUnknownMessage) {
			return ref, err
		}
		// Deleted in the channel: a new message takes its place (and gets a new thread).
	}
	id, err := n.send(ctx, m.Target, n.message(e, m.Key+"/card/"+ref.MessageID), nil)
	if err != nil {
		return ref, err
	}
	return integrations.Ref{MessageID: id}, nil
}

// thread returns the channel a reply to the interview's message goes to: the thread started
// from it (started now if ref has none; Discord gives a thread the id of its starting
// message). Without the permission to create threads, the reply goes to the channel and
// references the message instead.
func (n *Notifier) thread(ctx context.Context, m integrations.Message, ref *integrations.Ref, reply *messageSend) (string, error) {
	if ref.Thread != "" {
		return ref.Thread, nil
	}
	name := m.Report.Candidate.Name
	if name == "" {
		name = "unnamed candidate"
	}
	th, err := n.s.MessageThreadStartComplex(m.Target, ref.MessageID, &discordgo.ThreadStart{
		Name: integrations.Truncate("integritybot: "+name, 100), AutoArchiveDuration: 10080}, discordgo.WithContext(ctx))
	switch {
	case err == nil:
		ref.Thread = th.ID
		return th.ID, nil
	case hasCode(err, errCodeThreadExists):
		ref.Thread = ref.MessageID
		return ref.Thread, nil
	case retryable(err):
		return "", err
	}
	no := false
	reply.Reference = &discordgo.MessageReference{MessageID: ref.MessageID, ChannelID: m.Target, FailIfNotExists: &no}
	return m.Target, nil
}

// errCodeThreadExists: "A thread has already been created for this message".
const errCodeThreadExists = 160004

func hasCode(err error, code int) bool {
	var re *discordgo.RESTError
	return errors.As(err, &re) && re.Message != nil && re.Message.Code == code
}

// send posts data (with files as multipart) to channel and returns the message id.
func (n *Notifier) send(ctx context.Context, channel string, data *messageSend, files []*discordgo.File) (string, error) {
	endpoint := discordgo.EndpointChannelMessages(channel)
	var body []byte
	var err error
	if len(files) > 0 {
		ct, mp, encErr := discordgo.MultipartBodyWithJSON(data, files)
		if encErr != nil {
			return "", encErr
		}
		body, err = n.s.RequestRaw(http.MethodPost, endpoint, ct, mp, endpoint, 0, discordgo.WithContext(ctx))
	} else {
		body, err = n.s.RequestWithBucketID(http.MethodPost, endpoint, data, endpoint, discordgo.WithContext(ctx))
	}
	if err != nil {
		return "", err
	}
	var msg discordgo.Message
	if err := json.Unmarshal(body, &msg); err != nil || msg.ID == "" {
		return "unknown", nil // posted (2xx) but unreadable: do not post again
	}
	return msg.ID, nil
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
