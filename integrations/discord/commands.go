package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/internal/report"
)

// Command is the /integrity application command registered with Discord.
func Command() *discordgo.ApplicationCommand {
	opt := func(name, desc string, required bool) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name,
			Description: desc, Required: required, MaxLength: 200}
	}
	return &discordgo.ApplicationCommand{
		Name:        "integrity",
		Description: "Invite integritybot to an interview (name), or delete one created in this channel (delete)",
		Options: []*discordgo.ApplicationCommandOption{
			// Not required: /integrity delete:ID has no name. invite says what is missing.
			opt("name", "The candidate's name", false),
			opt("location", "Where the candidate says they are, e.g. Austin, TX", false),
			opt("tz", "The candidate's claimed IANA timezone, e.g. America/Chicago", false),
			opt("notes", "Notes for interviewers", false),
			opt("delete", "Delete this interview (its id) with its report and links: the candidate's data", false),
		},
	}
}

// Commands answers /integrity through the gateway (RunGateway) or the HTTP interactions
// endpoint (ServeHTTP at /discord/interactions, verified with the public key). Both create
// the interview through the same Creator as POST /api/interviews, answer ephemerally, and
// register the channel the command was used in for the summary.
type Commands struct {
	cfg     Config
	creator integrations.Creator
	log     *slog.Logger
	http    *http.Client
	key     ed25519.PublicKey
	now     func() time.Time
}

// NewCommands returns the slash-command handler.
func NewCommands(cfg Config, creator integrations.Creator, log *slog.Logger, opts ...Option) *Commands {
	if log == nil {
		log = slog.Default()
	}
	key, _ := hex.DecodeString(cfg.PublicKey) // validated by Config.Validate
	return &Commands{cfg: cfg, creator: creator, log: log.With("integration", "discord"), http: apply(opts).http,
		key: key, now: time.Now}
}

// maxSkew rejects signed requests whose timestamp is further than this from now (replays).
const maxSkew = 5 * time.Minute

// ServeHTTP answers an interaction request after verifying its ed25519 signature
// (https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers).
// A bad signature gets 401, which is also what Discord's endpoint check expects.
func (c *Commands) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(c.key) != ed25519.PublicKeySize {
		http.Error(w, "discord.public_key is not configured", http.StatusNotFound)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if !discordgo.VerifyInteraction(r, c.key) {
		c.log.Warn("discord: rejected interaction", "reason", "bad signature", "remote", r.RemoteAddr)
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	if ts, err := strconv.ParseInt(r.Header.Get("X-Signature-Timestamp"), 10, 64); err != nil ||
		c.now().Sub(time.Unix(ts, 0)).Abs() > maxSkew {
		c.log.Warn("discord: rejected interaction", "reason", "stale timestamp", "remote", r.RemoteAddr)
		http.Error(w, "stale request timestamp", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	var in discordgo.Interaction
	if err := json.Unmarshal(body, &in); err != nil {
		http.Error(w, "malformed interaction", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(c.respond(r.Context(), &in))
}

// respond answers an interaction: pong for Discord's ping, the links for /integrity.
func (c *Commands) respond(ctx context.Context, in *discordgo.Interaction) *discordgo.InteractionResponse {
	if in.Type == discordgo.InteractionPing {
		return &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong}
	}
	text := "integritybot only knows /integrity."
	if in.Type == discordgo.InteractionApplicationCommand && in.ApplicationCommandData().Name == "integrity" {
		text = c.invite(ctx, in)
	}
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: integrations.Truncate(text, 2000), Flags: discordgo.MessageFlagsEphemeral,
			AllowedMentions: &discordgo.MessageAllowedMentions{}}}
}

func (c *Commands) invite(ctx context.Context, in *discordgo.Interaction) string {
	cmd := integrations.Command{Action: "new"}
	for _, o := range in.ApplicationCommandData().Options {
		v := strings.TrimSpace(o.StringValue())
		switch o.Name {
		case "name":
			cmd.Candidate.Name = v
		case "location":
			cmd.Candidate.ClaimedLocation = v
		case "tz":
			cmd.Candidate.ClaimedTimezone = v
		case "notes":
			cmd.Notes = v
		case "delete":
			cmd.Action, cmd.ID = "delete", v
		}
	}
	switch {
	case cmd.Action == "delete" && (cmd.Candidate != (report.Candidate{}) || cmd.Notes != ""):
		return "That did not work: give either delete (an interview id) or name, not both.\n" + integrations.CommandUsage
	case cmd.Action == "delete" && cmd.ID == "":
		return "That did not work: give the interview id: /integrity delete:ID.\n" + integrations.CommandUsage
	}
	where := integrations.NewInterview{DiscordChannel: in.ChannelID}
	switch {
	case in.Member != nil && in.Member.User != nil: // typed in a server
		where.DiscordUser = in.Member.User.ID
	case in.User != nil: // typed in a direct message
		where.DiscordUser = in.User.ID
	}
	text, err := integrations.Run(ctx, c.creator, cmd, where)
	if err != nil {
		c.log.Error("discord: slash command", "action", cmd.Action, "err", err, "channel", in.ChannelID)
	}
	return text
}

// RunGateway connects to the gateway with the bot token, registers /integrity (global
// command of the application) and answers it until ctx ends.
func (c *Commands) RunGateway(ctx context.Context) error {
	s := session(c.cfg, c.http)
	s.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
		resp := c.respond(ctx, ic.Interaction)
		if err := s.InteractionRespond(ic.Interaction, resp, discordgo.WithContext(ctx)); err != nil {
			c.log.Warn("discord: answer interaction", "err", integrations.Redact(err, c.cfg.secrets()...))
		}
	})
	// Register first (REST only): the command exists before the gateway delivers it.
	if _, err := s.ApplicationCommandBulkOverwrite(c.cfg.ApplicationID, "", []*discordgo.ApplicationCommand{Command()},
		discordgo.WithContext(ctx)); err != nil {
		c.log.Warn("discord: register /integrity", "err", integrations.Redact(err, c.cfg.secrets()...))
	}
	if err := s.Open(); err != nil {
		return integrations.Redact(err, c.cfg.secrets()...)
	}
	defer s.Close()
	c.log.Info("discord: gateway connected")
	<-ctx.Done()
	return nil
}
