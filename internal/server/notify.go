package server

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

// Notify says where an interview's summary and live alerts go, overriding the configured
// default channels.
type Notify struct {
	SlackChannel   string `json:"slack_channel"`
	DiscordChannel string `json:"discord_channel_id"`
	// SlackUser and DiscordUser are the interviewer's chat user ids (Slack U…, a Discord
	// user id): live alerts reach them in a direct message before the channel.
	SlackUser   string `json:"slack_user,omitempty"`
	DiscordUser string `json:"discord_user_id,omitempty"`
}

func (n *Notify) validate() []error {
	if n == nil {
		return nil
	}
	var errs []error
	n.SlackChannel, n.DiscordChannel = strings.TrimSpace(n.SlackChannel), strings.TrimSpace(n.DiscordChannel)
	n.SlackUser, n.DiscordUser = strings.TrimSpace(n.SlackUser), strings.TrimSpace(n.DiscordUser)
	if len(n.SlackUser) > 40 || strings.ContainsAny(n.SlackUser, " \t\n/,") {
		errs = append(errs, errors.New("notify.slack_user must be a Slack user id such as U0123456789"))
	}
	if len(n.DiscordUser) > 20 || strings.Trim(n.DiscordUser, "0123456789") != "" {
		errs = append(errs, errors.New("notify.discord_user_id must be a numeric Discord user id"))
	}
	if len(n.SlackChannel) > 80 || strings.ContainsAny(n.SlackChannel, " \t\n/") {
		errs = append(errs, errors.New("notify.slack_channel must be a Slack channel id such as C0123456789"))
	}
	if len(n.DiscordChannel) > 20 || strings.Trim(n.DiscordChannel, "0123456789") != "" {
		errs = append(errs, errors.New("notify.discord_channel_id must be a numeric Discord channel id"))
	}
	return errs
}

// Delivery is the state of one notification of an interview, as the report API shows it.
type Delivery struct {
	Notifier      string     `json:"notifier"` // slack, discord, webhook
	Kind          string     `json:"kind"`     // summary, alert, direct (to the interviewer) or live (the in-progress message)
	Check         string     `json:"check,omitempty"`
	Target        string     `json:"target,omitempty"`
	State         string     `json:"state"` // pending, delivered, failed
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	MessageID     string     `json:"message_id,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
}

// reportResponse is report JSON v1 plus the additive "delivery" field.
type reportResponse struct {
	*report.Report
	Delivery []Delivery `json:"delivery"`
}

// withDelivery adds the delivery state of rep's notifications. A store error leaves the
// list empty rather than failing the report.
func (s *Server) withDelivery(ctx context.Context, rep *report.Report) reportResponse {
	out := reportResponse{Report: rep, Delivery: []Delivery{}}
	entries, err := s.opt.Store.OutboxEntries(ctx, rep.InterviewID)
	if err != nil {
		s.opt.Log.Warn("read delivery state", "interview_id", rep.InterviewID, "err", err)
		return out
	}
	for _, e := range entries {
		d := Delivery{Notifier: e.Notifier, Kind: e.Kind, Check: e.Check, Target: e.Target, State: string(e.State),
			Attempts: e.Attempts, DeliveredAt: e.DeliveredAt, MessageID: e.MessageID, LastError: e.LastError}
		if e.State == "pending" {
			t := e.NextAttemptAt
			d.NextAttemptAt = &t
		}
		out.Delivery = append(out.Delivery, d)
	}
	return out
}

// ReportURL returns a signed link to the report page of interview id (for notifications).
func (s *Server) ReportURL(id string) string {
	return s.links(id).ReportURL
}
