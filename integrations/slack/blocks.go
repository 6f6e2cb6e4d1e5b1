package slack

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/internal/report"
)

// Block Kit limits (https://api.slack.com/reference/block-kit/blocks).
const (
	MaxBlocks      = 50   // blocks per message
	MaxSectionText = 3000 // characters in a section's text
	MaxHeaderText  = 150  // characters in a header block
	MaxFallback    = 3000 // notification text kept short (Slack truncates at 40000)
)

// Blocks renders t as Block Kit blocks within Slack's limits, plus the plain fallback text
// used in notifications. Checks that do not fit are replaced by a line that links to the
// full report.
func Blocks(t integrations.Text) ([]slack.Block, string) {
	title := t.Title
	switch {
	case t.Kind == integrations.Alert || t.Kind == integrations.Direct || t.Kind == integrations.Live && t.Why != "":
		title = "🚨 " + title
	case t.Kind == integrations.Live:
		title = "⏳ " + title
	}
	head := []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType,
		integrations.Truncate(title, MaxHeaderText), true, false))}
	var intro string
	switch t.Kind {
	case integrations.Alert:
		intro = "A check turned *FAIL* during the call. The message above becomes the summary when the interview ends."
	case integrations.Direct:
		intro = "Only you see this message: a check turned *FAIL* in your interview. The hiring channel's message " +
			"for this interview says so next; your interviewer page shows the live checks."
	case integrations.Live:
		intro = "Started " + localWhen(t)
		if t.Claims != "" {
			intro += " · " + esc(t.Claims)
		}
		if t.Why != "" {
			intro += "\n*Live alert:* " + esc(t.Why) + " — details in the thread."
		}
		intro += "\nThis message becomes the summary when the interview ends."
	default:
		intro = fmt.Sprintf("*Overall: %s*", esc(t.OverallWords))
		if t.Why != "" {
			intro += "\nWhy: " + esc(t.Why)
		}
		intro += "\n" + localWhen(t)
		if t.Claims != "" {
			intro += " · " + esc(t.Claims)
		}
	}
	head = append(head, section(intro))

	var tail []slack.Block
	if len(t.AskNext) > 0 {
		tail = append(tail, section("*What to ask next*\n• "+esc(strings.Join(t.AskNext, "\n• "))))
	}
	if t.PicturesOnPage && t.ReportURL != "" {
		tail = append(tail, slack.NewContextBlock("pictures", slack.NewTextBlockObject(slack.MarkdownType,
			fmt.Sprintf("The evidence pictures are on the report page, not shared in chat: <%s|open the full report>.", t.ReportURL), false, false)))
	}
	if t.ReportURL != "" {
		btn := slack.NewButtonBlockElement("open_report", "open", slack.NewTextBlockObject(slack.PlainTextType, "Open the full report", false, false))
		btn.URL = t.ReportURL
		tail = append(tail, slack.NewActionBlock("report", btn))
	}

	room := MaxBlocks - len(head) - len(tail)
	lines := t.Lines
	var more slack.Block
	if len(lines) > room {
		keep := room - 1
		more = slack.NewContextBlock("more", slack.NewTextBlockObject(slack.MarkdownType,
			fmt.Sprintf("%d more checks are not shown here: <%s|open the full report>.", len(lines)-keep, t.ReportURL), false, false))
		lines = lines[:keep]
	}
	blocks := head
	for _, l := range lines {
		blocks = append(blocks, section(lineText(l)))
	}
	if more != nil {
		blocks = append(blocks, more)
	}
	blocks = append(blocks, tail...)
	return blocks, fallback(t)
}

func lineText(l integrations.Line) string {
	s := fmt.Sprintf("%s *%s* — %s", emoji(l.Status), esc(l.Name), integrations.StatusWords(l.Status))
	if l.When != "" {
		s += " · " + l.When
	}
	return s + "\n" + esc(l.Sentence)
}

// section is a mrkdwn section, cut to Slack's 3000 characters.
func section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, integrations.Truncate(text, MaxSectionText), false, false), nil, nil)
}

func fallback(t integrations.Text) string {
	s := t.Title + ": " + t.OverallWords
	if t.Why != "" {
		s += " (" + t.Why + ")"
	}
	if t.Kind == integrations.Live {
		s = t.Title
		if t.Why != "" {
			s += ": live alert (" + t.Why + ")"
		}
	}
	if (t.Kind == integrations.Alert || t.Kind == integrations.Direct) && len(t.Lines) > 0 {
		s = t.Title + ": " + t.Lines[0].Name + " " + integrations.StatusWords(t.Lines[0].Status) + " — " + t.Lines[0].Sentence
	}
	// The fallback is shown in notifications and parsed like mrkdwn: escaped as the blocks are.
	return integrations.Truncate(esc(s), MaxFallback)
}

func emoji(s report.Status) string {
	switch s {
	case report.Fail:
		return ":red_circle:"
	case report.Warn:
		return ":large_orange_circle:"
	case report.Pass:
		return ":large_green_circle:"
	}
	return ":white_circle:"
}

// esc escapes the three characters Slack's mrkdwn treats as control characters.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(integrations.Defang(s))
}

// localWhen shows when the call started in each reader's own timezone (Slack's date token;
// the text after | is shown where the token is not understood), and how long it ran.
// https://api.slack.com/reference/surfaces/formatting#date-formatting
func localWhen(t integrations.Text) string {
	if t.Start == nil {
		return esc(t.When)
	}
	s := fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Start.Unix(), t.Start.Format("2006-01-02 15:04 UTC"))
	if m := integrations.Minutes(t.Length); m != "" {
		s += ", " + m
	}
	return s
}
