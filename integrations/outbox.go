package integrations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/internal/store"
)

// Queue is the outbox storage (internal/store.Store).
type Queue interface {
	GetInterview(ctx context.Context, id string) (store.Interview, error)
	Enqueue(ctx context.Context, e store.OutboxEntry) (bool, error)
	EnqueueDebounced(ctx context.Context, e store.OutboxEntry, window time.Duration) (bool, error)
	DueOutbox(ctx context.Context, now time.Time, limit int) ([]store.OutboxEntry, error)
	ChatMessage(ctx context.Context, interviewID, notifier, target string) (store.ChatMessage, bool, error)
	SetChatMessage(ctx context.Context, m store.ChatMessage) error
	MarkDelivered(ctx context.Context, id int64, messageID, threadID string, at time.Time) error
	MarkRetry(ctx context.Context, id int64, next time.Time, lastError, messageID, threadID string) error
	MarkFailed(ctx context.Context, id int64, lastError string) error
}

// Route is one configured notifier and how it picks its channel.
type Route struct {
	// Name is stored with each entry ("slack", "discord", "webhook"); keep it stable.
	Name     string
	Notifier Notifier
	// Target returns the channel for an interview (its own override, else the configured
	// default); ok false skips the interview.
	Target func(iv store.Interview) (target string, ok bool)
	// Interviewer returns the chat user who created the interview ("" when unknown), told of
	// live alerts in a direct message before the channel when the notifier can
	// (DirectMessenger). Nil: no direct messages.
	Interviewer func(iv store.Interview) string
}

// OutboxOptions configures an Outbox. Zero durations take the defaults in brackets.
type OutboxOptions struct {
	Queue  Queue
	Routes []Route
	// ReportURL returns the link to an interview's full report.
	ReportURL func(interviewID string) string
	// SnapshotDir is where file snapshot references resolve (the data directory).
	SnapshotDir string
	// Snapshots allows the strongest evidence snapshot (the candidate's face) into chat
	// (chat.snapshots; the candidate's consent notice then says so). Off, messages say the
	// pictures are on the report page and link to it.
	Snapshots  bool
	Log        *slog.Logger
	Now        func() time.Time
	Poll       time.Duration // how often the worker looks for due entries [1s]
	MinBackoff time.Duration // first retry delay, doubled per attempt [2s]
	MaxBackoff time.Duration // retry delay cap [5m]
	Debounce   time.Duration // at most one live alert per check per this long [3m]
	// AlertAfter is how much of the candidate's video a live alert needs [30s]: the first
	// seconds of a call (a camera still starting, a face not yet in view) are no evidence.
	AlertAfter time.Duration
	Timeout    time.Duration // one delivery attempt [30s]
}

// Outbox queues summaries and live alerts in the store and delivers them: in order per
// thread, with exponential backoff that honours Retry-After, until delivered or refused for
// good. Entries survive restarts; a delivered entry (with the platform's message id) is
// never posted again.
type Outbox struct {
	opt    OutboxOptions
	routes map[string]Route
	kick   chan struct{}

	mu      sync.Mutex
	seen    map[string]map[string]report.Status // interview → check → last status
	started map[string]bool                     // interviews whose "in progress" message is queued

	delivered, retries, failed atomic.Int64 // since start, for /metrics
}

// OutboxStats counts delivery attempts since the process started, per outcome.
type OutboxStats struct {
	Delivered int64 // messages posted
	Retries   int64 // attempts that failed and were scheduled again
	Failed    int64 // messages refused for good
}

// Stats returns the delivery counters (cmd/integritybot exports them on /metrics).
func (o *Outbox) Stats() OutboxStats {
	return OutboxStats{Delivered: o.delivered.Load(), Retries: o.retries.Load(), Failed: o.failed.Load()}
}

// NewOutbox returns an Outbox; call Run to deliver.
func NewOutbox(opt OutboxOptions) *Outbox {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opt.Poll, time.Second)
	def(&opt.MinBackoff, 2*time.Second)
	def(&opt.MaxBackoff, 5*time.Minute)
	def(&opt.Debounce, 3*time.Minute)
	def(&opt.Timeout, 30*time.Second)
	def(&opt.AlertAfter, 30*time.Second)
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.ReportURL == nil {
		opt.ReportURL = func(string) string { return "" }
	}
	o := &Outbox{opt: opt, routes: map[string]Route{}, kick: make(chan struct{}, 1),
		seen: map[string]map[string]report.Status{}, started: map[string]bool{}}
	for _, r := range opt.Routes {
		o.routes[r.Name] = r
	}
	return o
}

// Enabled reports whether any notifier is configured.
func (o *Outbox) Enabled() bool { return len(o.routes) > 0 }

var errPayload = errors.New("unreadable payload")

type payload struct {
	Report    *report.Report `json:"report"`
	ReportURL string         `json:"report_url"`
	// User is the interviewer a Direct entry tells (its Target stays the channel, so the
	// direct message is delivered before the channel's alert: DueOutbox's order per target).
	User string `json:"user,omitempty"`
}

// Summary queues the final report of an interview for every route, once per interview. On
// an Editor it becomes an edit of the interview's channel message.
func (o *Outbox) Summary(ctx context.Context, r *report.Report) error {
	o.Forget(r.InterviewID)
	return o.enqueue(ctx, r, Summary, "", 0)
}

// Observe looks at a live report. The first one of an interview queues its "in progress"
// channel message (Live, once per interview: the key makes a repeat after a restart
// harmless). Then it queues an alert for each check that turned fail since the last report
// seen (debounced per check): first to the interviewer in a direct message where the
// platform allows and the interviewer is known, then to the channel's thread. Reports
// that are no longer live are ignored, and so are reports that do not yet warrant
// interrupting the channel (alertable): those fails are alerted once the report does, or
// told in the summary.
func (o *Outbox) Observe(ctx context.Context, r *report.Report) error {
	if r.State != report.Live || !o.Enabled() {
		return nil
	}
	var errs []error
	o.mu.Lock()
	first := !o.started[r.InterviewID]
	o.started[r.InterviewID] = true
	o.mu.Unlock()
	if first {
		if err := o.enqueue(ctx, r, Live, "", 0); err != nil {
			o.mu.Lock()
			delete(o.started, r.InterviewID) // try again with the next report
			o.mu.Unlock()
			errs = append(errs, err)
		}
	}
	if !o.alertable(r) {
		return errors.Join(errs...)
	}
	var turned []string
	o.mu.Lock()
	prev := o.seen[r.InterviewID]
	if prev == nil {
		prev = map[string]report.Status{}
		o.seen[r.InterviewID] = prev
	}
	for _, c := range r.Checks {
		if c.Status == report.Fail && prev[c.ID] != report.Fail {
			turned = append(turned, c.ID)
		}
		prev[c.ID] = c.Status
	}
	o.mu.Unlock()
	for _, id := range turned {
		errs = append(errs, o.enqueue(ctx, r, Alert, id, o.opt.Debounce))
	}
	return errors.Join(errs...)
}

// alertable reports whether a live report may alert the hiring channel: at least AlertAfter
// of video, and strong concerns by the rule of docs/verdict.md (a video-integrity fail, or
// fails of two independent groups). A lone timezone, network or camera fail has an honest
// explanation often enough that the interviewer's own page and the summary say it.
func (o *Outbox) alertable(r *report.Report) bool {
	return r.Coverage.VideoSeconds >= o.opt.AlertAfter.Seconds() && report.OverallOf(r.Checks) == report.StrongConcerns
}

// Forget drops what Observe remembers of an interview.
func (o *Outbox) Forget(interviewID string) {
	o.mu.Lock()
	delete(o.seen, interviewID)
	delete(o.started, interviewID)
	o.mu.Unlock()
}

func edits(n Notifier) bool {
	e, ok := n.(Editor)
	return ok && e.EditsInPlace()
}

func directs(n Notifier) bool {
	d, ok := n.(DirectMessenger)
	return ok && d.DirectMessages()
}

func (o *Outbox) enqueue(ctx context.Context, r *report.Report, kind Kind, check string, debounce time.Duration) error {
	if !o.Enabled() {
		return nil
	}
	iv, err := o.opt.Queue.GetInterview(ctx, r.InterviewID)
	if err != nil {
		return fmt.Errorf("integrations: enqueue %s: %w", kind, err)
	}
	body, err := json.Marshal(payload{Report: r, ReportURL: o.opt.ReportURL(r.InterviewID)})
	if err != nil {
		return fmt.Errorf("integrations: enqueue %s: %w", kind, err)
	}
	now := o.opt.Now().UTC()
	var errs []error
	added := false
	for _, rt := range o.opt.Routes {
		target, ok := rt.Target(iv)
		if !ok || kind == Live && !edits(rt.Notifier) {
			continue
		}
		e := store.OutboxEntry{InterviewID: r.InterviewID, Notifier: rt.Name, Target: target, Kind: string(kind),
			Check: check, Payload: body, CreatedAt: now}
		var ok2 bool
		switch kind {
		case Alert:
			// The interviewer first: queued before the channel's alert on the same target, so
			// DueOutbox delivers it first, also after retries (one refused for good holds
			// nothing up).
			if user := o.interviewer(rt, iv); user != "" {
				d := e
				d.Kind = string(Direct)
				if d.Payload, err = json.Marshal(payload{Report: r, ReportURL: o.opt.ReportURL(r.InterviewID), User: user}); err != nil {
					return fmt.Errorf("integrations: enqueue %s: %w", Direct, err)
				}
				d.Key = fmt.Sprintf("%s/%s/direct/%s/%d", r.InterviewID, rt.Name, check, now.UnixNano())
				okd, err := o.opt.Queue.EnqueueDebounced(ctx, d, debounce)
				if err != nil {
					errs = append(errs, err)
				}
				added = added || okd
			}
			e.Key = fmt.Sprintf("%s/%s/alert/%s/%d", r.InterviewID, rt.Name, check, now.UnixNano())
			ok2, err = o.opt.Queue.EnqueueDebounced(ctx, e, debounce)
		default:
			e.Key = fmt.Sprintf("%s/%s/%s", r.InterviewID, rt.Name, kind)
			ok2, err = o.opt.Queue.Enqueue(ctx, e)
		}
		if err != nil {
			errs = append(errs, err)
		}
		added = added || ok2
	}
	if added {
		o.Kick()
	}
	return errors.Join(errs...)
}

// interviewer is the user a route tells privately of an alert, or "".
func (o *Outbox) interviewer(rt Route, iv store.Interview) string {
	if rt.Interviewer == nil || !directs(rt.Notifier) {
		return ""
	}
	return rt.Interviewer(iv)
}

// Kick makes the worker look for due entries now.
func (o *Outbox) Kick() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// Run delivers due entries until ctx ends. An attempt in flight when ctx ends is cut short
// and stays pending (with any partial receipt) for the next start.
func (o *Outbox) Run(ctx context.Context) {
	t := time.NewTicker(o.opt.Poll)
	defer t.Stop()
	for {
		o.deliverDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-o.kick:
		}
	}
}

func (o *Outbox) deliverDue(ctx context.Context) {
	for ctx.Err() == nil {
		due, err := o.opt.Queue.DueOutbox(ctx, o.opt.Now(), 20)
		if err != nil {
			if ctx.Err() == nil {
				o.opt.Log.Warn("outbox: read due entries", "err", err)
			}
			return
		}
		if len(due) == 0 {
			return
		}
		for _, e := range due {
			if ctx.Err() != nil {
				return
			}
			o.deliver(ctx, e)
		}
	}
}

// deliver makes one attempt at e and records the outcome.
func (o *Outbox) deliver(ctx context.Context, e store.OutboxEntry) {
	log := o.opt.Log.With("interview_id", e.InterviewID, "notifier", e.Notifier, "kind", e.Kind, "outbox_id", e.ID)
	// The outcome is recorded even when ctx ends mid-attempt.
	rctx := context.WithoutCancel(ctx)
	rt, ok := o.routes[e.Notifier]
	if !ok {
		o.record(rctx, log, e.ID, o.retryLater(e, o.opt.MaxBackoff, e.Notifier+" is not configured", Receipt{}))
		return
	}
	m, err := o.message(ctx, e, log)
	if errors.Is(err, errPayload) {
		o.record(rctx, log, e.ID, func(ctx context.Context) error { return o.opt.Queue.MarkFailed(ctx, e.ID, err.Error()) })
		return
	}
	if err != nil {
		o.record(rctx, log, e.ID, o.retryLater(e, o.backoff(e.Attempts), err.Error(), Receipt{}))
		return
	}
	actx, cancel := context.WithTimeout(ctx, o.opt.Timeout)
	rec, retryable, err := rt.Notifier.Notify(actx, m)
	cancel()
	if rec.Ref.MessageID != "" && rec.Ref != m.Ref {
		// Recorded first, also when something after the post failed: a retry edits it.
		o.record(rctx, log, e.ID, func(ctx context.Context) error {
			return o.opt.Queue.SetChatMessage(ctx, store.ChatMessage{InterviewID: e.InterviewID, Notifier: e.Notifier,
				Target: e.Target, MessageID: rec.Ref.MessageID, ThreadID: rec.Ref.Thread, UpdatedAt: o.opt.Now().UTC()})
		})
	}
	switch {
	case err == nil:
		log.Info("outbox: delivered", "message_id", rec.MessageID, "attempts", e.Attempts+1)
		o.delivered.Add(1)
		o.record(rctx, log, e.ID, func(ctx context.Context) error {
			return o.opt.Queue.MarkDelivered(ctx, e.ID, rec.MessageID, rec.Thread, o.opt.Now().UTC())
		})
	case ctx.Err() != nil:
		// Shutting down: not the platform's fault, retry at the next start without backoff.
		o.record(rctx, log, e.ID, o.retryLater(e, 0, "interrupted by shutdown", rec))
	case !retryable:
		log.Warn("outbox: delivery refused, giving up", "err", err)
		o.failed.Add(1)
		o.record(rctx, log, e.ID, func(ctx context.Context) error { return o.opt.Queue.MarkFailed(ctx, e.ID, err.Error()) })
	default:
		delay := o.backoff(e.Attempts)
		if ra, ok := RetryAfter(err); ok && ra > delay {
			delay = ra
		}
		log.Warn("outbox: delivery failed, will retry", "err", err, "retry_in", delay, "attempts", e.Attempts+1)
		o.retries.Add(1)
		o.record(rctx, log, e.ID, o.retryLater(e, delay, err.Error(), rec))
	}
}

// retryLater returns the store write that schedules e again after delay.
func (o *Outbox) retryLater(e store.OutboxEntry, delay time.Duration, msg string, rec Receipt) func(context.Context) error {
	return func(ctx context.Context) error {
		return o.opt.Queue.MarkRetry(ctx, e.ID, o.opt.Now().Add(delay).UTC(), msg, rec.MessageID, rec.Thread)
	}
}

// record runs a store write, retrying briefly: losing a "delivered" record would post twice.
func (o *Outbox) record(ctx context.Context, log *slog.Logger, id int64, write func(context.Context) error) {
	var err error
	for i := range 5 {
		if err = write(ctx); err == nil || errors.Is(err, store.ErrNotFound) {
			return
		}
		time.Sleep(time.Duration(i+1) * 50 * time.Millisecond)
	}
	log.Error("outbox: cannot record delivery state", "err", err)
}

func (o *Outbox) backoff(attempts int) time.Duration {
	d := o.opt.MinBackoff
	for i := 0; i < attempts && d < o.opt.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, o.opt.MaxBackoff)
	return d + rand.N(d/10+1) // jitter: many interviews retrying after an outage spread out
}

// withoutSnapshots returns a copy of r without evidence pictures.
func withoutSnapshots(r *report.Report) *report.Report {
	c := *r
	c.Checks = make([]report.Check, len(r.Checks))
	for i, ch := range r.Checks {
		ch.Evidence = append([]report.Evidence(nil), ch.Evidence...)
		for j := range ch.Evidence {
			ch.Evidence[j].Snapshot, ch.Evidence[j].Snapshots = "", nil
		}
		c.Checks[i] = ch
	}
	return &c
}

func (o *Outbox) message(ctx context.Context, e store.OutboxEntry, log *slog.Logger) (Message, error) {
	var p payload
	if err := json.Unmarshal(e.Payload, &p); err != nil || p.Report == nil {
		return Message{}, fmt.Errorf("integrations: outbox entry %d: %w", e.ID, errPayload)
	}
	_, ref := StrongestSnapshot(p.Report)
	hasPictures := ref != ""
	if !o.opt.Snapshots {
		p.Report = withoutSnapshots(p.Report) // nothing of the candidate's face leaves for chat or the webhook
	}
	m := Message{Key: e.Key, Kind: Kind(e.Kind), Check: e.Check, Target: e.Target, Report: p.Report,
		ReportURL: p.ReportURL, Posted: Receipt{MessageID: e.MessageID, Thread: e.ThreadID}}
	if m.Kind == Direct {
		m.Target = p.User
	} else {
		cm, ok, err := o.opt.Queue.ChatMessage(ctx, e.InterviewID, e.Notifier, e.Target)
		if err != nil {
			return Message{}, err
		}
		if ok {
			m.Ref = Ref{MessageID: cm.MessageID, Thread: cm.ThreadID}
		}
	}
	if m.Kind == Summary {
		if !o.opt.Snapshots {
			m.PicturesOnPage = hasPictures
		} else if check, ref := StrongestSnapshot(p.Report); ref != "" {
			snap, err := LoadSnapshot(ref, o.opt.SnapshotDir, check)
			if err != nil {
				log.Warn("outbox: snapshot left out", "err", err)
			} else {
				m.Snapshot = snap
			}
		}
	}
	return m, nil
}
