// Package integrations holds what every chat integration shares: the Notifier contract
// (modelled on Alertmanager's notifiers), the summary and alert text built from a report,
// platform limits, snapshots, the slash-command grammar, and the outbox worker that delivers
// notifications with retries. The platforms live in subpackages (slack, discord, webhook).
package integrations

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/secret"
)

// Kind is what a notification is.
type Kind string

// Notification kinds.
const (
	// Summary is the final report of an interview, posted once when it ends.
	Summary Kind = "summary"
	// Alert is a live strong concern (a check turned fail) posted while the call runs, in the
	// thread of the interview's channel message, which it also updates.
	Alert Kind = "alert"
	// Live is the "in progress" message the first live report of a call posts in the channel:
	// the interview's one channel message, edited by alerts and at the end into the summary.
	Live Kind = "live"
	// Direct is a live alert told to the interviewer (the chat user who created the
	// interview) in a direct message, queued before the channel's.
	Direct Kind = "direct"
)

// Ref is an interview's one message in a channel: the message every later notification
// edits, and the thread its alerts and snapshots go to.
type Ref struct {
	// MessageID is the platform's id of the message (Slack "channel/ts", Discord message id).
	MessageID string
	// Thread is where replies go: Slack the message's ts; Discord the id of the thread
	// started from the message ("" until the first reply needs it).
	Thread string
}

// Editor is implemented by notifiers that keep one message per interview in the channel and
// edit it in place (Slack and Discord with a bot token). The outbox posts "in progress"
// (Live) and keeps the message's Ref only for them; the others post each notification.
type Editor interface {
	EditsInPlace() bool
}

// DirectMessenger is implemented by notifiers that can tell a chat user privately (Direct).
type DirectMessenger interface {
	DirectMessages() bool
}

// Message is one notification to deliver. A notifier renders it for its platform.
type Message struct {
	// Key identifies the notification across retries and restarts (the outbox dedupe key).
	// Platforms with idempotency support (Discord's enforce_nonce) derive their key from it.
	Key  string
	Kind Kind
	// Check is the check an alert is about; empty for summaries.
	Check string
	// Target is the channel (Slack channel id or name, Discord channel id); empty for
	// webhook modes, which post where the URL says. For Direct it is the user to tell.
	Target string
	// Report is the report the notification is about: the live report for an alert,
	// the final one for a summary.
	Report *report.Report
	// ReportURL opens the full report.
	ReportURL string
	// Ref is the interview's channel message from earlier deliveries (zero: none yet): an
	// Editor edits it and replies in its thread, or posts a new one when it was deleted.
	Ref Ref
	// Snapshot is the strongest evidence snapshot, for summaries that have one, when chat
	// snapshots are allowed (chat.snapshots); nil otherwise.
	Snapshot *Snapshot
	// PicturesOnPage is set when the report has evidence pictures that are not shared in
	// chat (chat.snapshots off): the message says they are on the report page.
	PicturesOnPage bool
	// Posted is set when an earlier attempt already posted the message itself but failed
	// after it (e.g. the snapshot upload): the notifier must not post it again.
	Posted Receipt
}

// Receipt says what a delivery created on the platform.
type Receipt struct {
	// MessageID is the platform's id of the posted message (Slack ts, Discord message id):
	// an alert's reply, or the channel message a summary edited.
	MessageID string
	// Thread is the thread the message went to ("" for none).
	Thread string
	// Ref is the interview's channel message after this delivery: as given, or new when it
	// was posted (first notification, or the old one was deleted). The outbox stores it,
	// also after a partial failure, so a retry edits instead of posting again.
	Ref Ref
}

// Notifier delivers messages to one platform. Notify returns what it posted and whether a
// failed delivery may succeed later (retryable): network errors, 5xx and 429 are retryable;
// bad credentials, an unknown channel or a malformed request are not. On a partial failure
// the receipt is non-zero (the message was posted, something after it failed). Errors never
// contain secrets. A RetryAfter error asks for a minimum delay (HTTP 429 Retry-After).
//
// Unlike Alertmanager's Notify(ctx, alerts...) (bool, error), Notify also returns the
// receipt: the outbox records the platform's message id to never post twice.
type Notifier interface {
	Notify(ctx context.Context, m Message) (r Receipt, retryable bool, err error)
}

// RetryAfterError is returned (wrapped) when the platform asked to wait before retrying.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("rate limited, retry after %s: %v", e.After, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter returns the delay err asks for, if any.
func RetryAfter(err error) (time.Duration, bool) {
	var ra *RetryAfterError
	if errors.As(err, &ra) {
		return ra.After, true
	}
	return 0, false
}

// Secret is a credential of an integration (token, signing secret, webhook URL): it never
// prints itself (internal/secret).
type Secret = secret.Secret

// redactedError prints a message with secrets removed. It does not wrap the original error
// (whose message still holds them); it keeps only what callers test for: context errors.
type redactedError struct {
	msg   string
	cause error // context.Canceled, context.DeadlineExceeded or nil
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// Redact returns err with every secret in its message replaced by "<secret>". HTTP client
// errors quote the URL, and webhook URLs are secrets, so every notifier passes its errors
// through Redact. The result still answers errors.Is for context errors and RetryAfter.
func Redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	changed := false
	for _, s := range secrets {
		if len(s) >= 4 && strings.Contains(msg, s) {
			msg, changed = strings.ReplaceAll(msg, s, secret.Redacted), true
		}
	}
	if !changed {
		return err
	}
	out := &redactedError{msg: msg}
	switch {
	case errors.Is(err, context.Canceled):
		out.cause = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		out.cause = context.DeadlineExceeded
	}
	if d, ok := RetryAfter(err); ok {
		return &RetryAfterError{After: d, Err: out}
	}
	return out
}
