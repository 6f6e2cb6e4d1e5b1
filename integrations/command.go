package integrations

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/integritybot/integritybot/internal/report"
)

// NewInterview is an interview asked for from chat.
type NewInterview struct {
	Candidate report.Candidate
	Notes     string
	// SlackChannel or DiscordChannel is where the command was typed: the summary goes there.
	SlackChannel, DiscordChannel string
	// SlackUser or DiscordUser typed the command: the interviewer, told of live alerts in a
	// direct message before the channel.
	SlackUser, DiscordUser string
}

// Links are what the interviewer gets back.
type Links struct {
	ID             string
	CandidateURL   string
	InterviewerURL string
	ReportURL      string
}

// Creator creates an interview exactly like POST /api/interviews does. Errors it returns
// with ErrInvalid are shown to the user; others are logged and answered generically.
type Creator interface {
	CreateInterview(ctx context.Context, req NewInterview) (Links, error)
}

// Deleter deletes an interview from chat (/integrity delete ID) exactly like DELETE
// /api/interviews/{id} does; a Creator that implements it offers the command. where is the
// channel the command was typed in: only an interview created there may be deleted from it
// (an error wrapping ErrInvalid says so otherwise).
type Deleter interface {
	DeleteInterview(ctx context.Context, id string, where NewInterview) error
}

// ErrInvalid marks a request the user must fix (its message says how).
var ErrInvalid = errors.New("invalid request")

// Command is a parsed /integrity command.
type Command struct {
	// Action is "new", "delete" or "help".
	Action    string
	Candidate report.Candidate
	Notes     string
	// ID is the interview to delete.
	ID string
}

// CommandUsage explains the /integrity command.
const CommandUsage = "Usage: `/integrity new \"Jane Doe\" location:\"Austin, TX\" tz:America/Chicago notes:\"backend role\"` " +
	"— creates an interview and answers you privately with the candidate's and your links; the summary is posted in this channel. " +
	"`/integrity delete ID` deletes an interview created in this channel: its report, snapshots and queued messages, and its links stop working."

// ParseCommand parses the text after /integrity: an action ("new", the default when the
// text starts with a name; "help"), the candidate's name (quoted or bare words) and
// key:value options location:, tz: (or timezone:) and notes:, values quoted when they
// contain spaces.
func ParseCommand(text string) (Command, error) {
	toks, err := tokenize(text)
	if err != nil {
		return Command{}, err
	}
	if len(toks) == 0 || strings.EqualFold(toks[0].s, "help") {
		return Command{Action: "help"}, nil
	}
	if strings.EqualFold(toks[0].s, "delete") && !toks[0].quoted {
		if len(toks) != 2 {
			return Command{}, fmt.Errorf("give the interview id: /integrity delete ID: %w", ErrInvalid)
		}
		return Command{Action: "delete", ID: toks[1].s}, nil
	}
	cmd := Command{Action: "new"}
	if strings.EqualFold(toks[0].s, "new") && !toks[0].quoted {
		toks = toks[1:]
	}
	var name []string
	for _, t := range toks {
		if k, v, ok := strings.Cut(t.s, ":"); ok && !t.quoted && k != "" {
			switch strings.ToLower(k) {
			case "location", "loc":
				cmd.Candidate.ClaimedLocation = v
			case "tz", "timezone":
				cmd.Candidate.ClaimedTimezone = v
			case "notes", "note":
				cmd.Notes = v
			default:
				return Command{}, fmt.Errorf("unknown option %q (known: location:, tz:, notes:): %w", k+":", ErrInvalid)
			}
			continue
		}
		name = append(name, t.s)
	}
	cmd.Candidate.Name = strings.Join(name, " ")
	if cmd.Candidate.Name == "" {
		return Command{}, fmt.Errorf("the candidate's name is missing: %w", ErrInvalid)
	}
	return cmd, nil
}

type token struct {
	s      string
	quoted bool // the whole token was one quoted string
}

// tokenize splits on spaces, keeping "quoted strings" (straight or curly quotes, as chat
// clients autocorrect them) together, also inside key:"value".
func tokenize(text string) ([]token, error) {
	var toks []token
	var cur strings.Builder
	inQuote, quotedStart, has := false, false, false
	flush := func() {
		if has {
			toks = append(toks, token{s: cur.String(), quoted: quotedStart})
		}
		cur.Reset()
		has, quotedStart = false, false
	}
	for _, r := range text {
		switch {
		case r == '"' || r == '“' || r == '”':
			if !has {
				quotedStart = true
			}
			inQuote, has = !inQuote, true
		case unicode.IsSpace(r) && !inQuote:
			flush()
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if inQuote {
		return nil, fmt.Errorf("a quote is not closed: %w", ErrInvalid)
	}
	flush()
	return toks, nil
}

// Invite parses text and runs the command: it creates the interview and returns the private
// answer. A user mistake becomes an answer that says what to fix, not an error; err is for
// failures of the server, already worded for the user in answer.
func Invite(ctx context.Context, c Creator, text string, where NewInterview) (answer string, err error) {
	cmd, err := ParseCommand(text)
	if err != nil {
		return fixIt(err), nil
	}
	return Run(ctx, c, cmd, where)
}

// Run runs a command already parsed (Discord's options arrive parsed).
func Run(ctx context.Context, c Creator, cmd Command, where NewInterview) (answer string, err error) {
	switch cmd.Action {
	case "help":
		return CommandUsage, nil
	case "delete":
		return runDelete(ctx, c, cmd.ID, where)
	}
	where.Candidate, where.Notes = cmd.Candidate, cmd.Notes
	links, err := c.CreateInterview(ctx, where)
	if errors.Is(err, ErrInvalid) {
		return fixIt(err), nil
	}
	if err != nil {
		return "Sorry, the interview could not be created (server error). Try again in a moment.", err
	}
	return InviteAnswer(cmd.Candidate, links), nil
}

func runDelete(ctx context.Context, c Creator, id string, where NewInterview) (string, error) {
	d, ok := c.(Deleter)
	if !ok {
		return "Deleting interviews from chat is not available here; use DELETE /api/interviews/{id}.", nil
	}
	err := d.DeleteInterview(ctx, id, where)
	if errors.Is(err, ErrInvalid) {
		return fixIt(err), nil
	}
	if err != nil {
		return "Sorry, the interview could not be deleted (server error). Try again in a moment.", err
	}
	return "Deleted interview " + id + ": its report, snapshots, timeline and queued messages are gone and its links " +
		"no longer work. Messages already posted in this channel stay: delete them here.", nil
}

func fixIt(err error) string {
	return "That did not work: " + strings.TrimSuffix(err.Error(), ": "+ErrInvalid.Error()) + ".\n" + CommandUsage
}

// InviteAnswer is the private answer with the links.
func InviteAnswer(c report.Candidate, l Links) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Interview created for %s", c.Name)
	if c.ClaimedLocation != "" || c.ClaimedTimezone != "" {
		fmt.Fprintf(&b, " (claims %s)", strings.Trim(c.ClaimedLocation+", "+c.ClaimedTimezone, ", "))
	}
	fmt.Fprintf(&b, ".\nSend the candidate this link: %s\nYour interviewer link (keep it private): %s\nReport: %s\n", l.CandidateURL, l.InterviewerURL, l.ReportURL)
	b.WriteString("The summary will be posted in this channel when the interview ends; strong concerns are posted live.")
	return b.String()
}
