package discord

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/internal/report"
)

// Embed limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
const (
	MaxTitle       = 256
	MaxDescription = 4096
	MaxFields      = 25
	MaxFieldName   = 256
	MaxFieldValue  = 1024
	MaxFooter      = 2048
	MaxEmbedTotal  = 6000 // title + description + field names and values + footer
)

// Colours by overall.
const (
	colourStrong  = 0xD93025
	colourReview  = 0xF29900
	colourNone    = 0x1E8E3E
	colourUnknown = 0x9AA0A6
)

const footer = "integritybot · observations for a person to judge, never a hire/no-hire score"

// Embed renders t as one embed within Discord's limits. Checks that do not fit become a
// last field linking to the full report; long texts are cut with "…". image names an
// attachment shown in the embed ("" for none).
func Embed(t integrations.Text, image string) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{Type: discordgo.EmbedTypeRich, URL: t.ReportURL, Color: colour(t.Overall),
		Footer: &discordgo.MessageEmbedFooter{Text: footer}}
	title := t.Title
	switch {
	case t.Kind == integrations.Alert || t.Kind == integrations.Direct || t.Kind == integrations.Live && t.Why != "":
		title = "🚨 " + title
		e.Color = colourStrong
	case t.Kind == integrations.Live:
		title = "⏳ " + title
		e.Color = colourUnknown
	}
	e.Title = integrations.Truncate(escape(title), MaxTitle)
	var d strings.Builder
	switch t.Kind {
	case integrations.Alert:
		d.WriteString("A check turned **FAIL** during the call. The interview's message becomes the summary when the interview ends.")
	case integrations.Direct:
		d.WriteString("Only you see this message: a check turned **FAIL** in your interview. The hiring channel's message " +
			"for this interview says so next; your interviewer page shows the live checks.")
	case integrations.Live:
		d.WriteString("Started " + localWhen(t))
		if t.Claims != "" {
			d.WriteString(" · " + escape(t.Claims))
		}
		if t.Why != "" {
			d.WriteString("\n**Live alert:** " + t.Why + " — details in the thread.")
		}
		d.WriteString("\nThis message becomes the summary when the interview ends.")
	default:
		fmt.Fprintf(&d, "**Overall: %s**\n", t.OverallWords)
		if t.Why != "" {
			d.WriteString("Why: " + t.Why + "\n")
		}
		d.WriteString(localWhen(t))
		if t.Claims != "" {
			d.WriteString(" · " + escape(t.Claims))
		}
	}
	if len(t.AskNext) > 0 {
		d.WriteString("\n\n**What to ask next**\n• " + escape(strings.Join(t.AskNext, "\n• ")))
	}
	if t.PicturesOnPage && t.ReportURL != "" {
		d.WriteString("\n\nThe evidence pictures are on the report page, not shared in chat.")
	}
	if t.ReportURL != "" {
		fmt.Fprintf(&d, "\n\n[Open the full report](%s)", t.ReportURL)
	}
	e.Description = integrations.Truncate(d.String(), MaxDescription)

	lines := t.Lines
	var more *discordgo.MessageEmbedField
	if len(lines) > MaxFields {
		keep := MaxFields - 1
		more = &discordgo.MessageEmbedField{Name: "More checks",
			Value: fmt.Sprintf("%d more checks are not shown: [open the full report](%s)", len(t.Lines)-keep, t.ReportURL)}
		lines = lines[:keep]
	}
	for _, l := range lines {
		name := fmt.Sprintf("%s %s — %s", emoji(l.Status), l.Name, integrations.StatusWords(l.Status))
		value := escape(l.Sentence)
		if l.When != "" {
			value += "\n_" + l.When + "_"
		}
		if value == "" {
			value = "—"
		}
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: integrations.Truncate(name, MaxFieldName),
			Value: integrations.Truncate(value, MaxFieldValue)})
	}
	if more != nil {
		e.Fields = append(e.Fields, more)
	}
	if image != "" {
		e.Image = &discordgo.MessageEmbedImage{URL: "attachment://" + image}
	}
	fit(e)
	return e
}

// SnapshotEmbed shows the strongest evidence snapshot (an attachment of the same message)
// in the interview's thread.
func SnapshotEmbed(s *integrations.Snapshot, reportURL string) *discordgo.MessageEmbed {
	return &discordgo.MessageEmbed{Type: discordgo.EmbedTypeRich, URL: reportURL, Color: colourUnknown,
		Title: "Strongest evidence: " + integrations.CheckName(s.Check), Image: &discordgo.MessageEmbedImage{URL: "attachment://" + s.Name},
		Footer: &discordgo.MessageEmbedFooter{Text: footer}}
}

// fit shrinks e until it is within MaxEmbedTotal: the description first (keeping the
// report link at its end), then the longest field values.
func fit(e *discordgo.MessageEmbed) {
	over := Total(e) - MaxEmbedTotal
	if over <= 0 {
		return
	}
	if n := utf8.RuneCountInString(e.Description); n > 300 {
		cut := min(over, n-300)
		link := ""
		if i := strings.LastIndex(e.Description, "\n\n[Open the full report]("); i >= 0 {
			link, e.Description = e.Description[i:], e.Description[:i]
			n = utf8.RuneCountInString(e.Description)
		}
		e.Description = integrations.Truncate(e.Description, max(1, n-cut)) + link
		over = Total(e) - MaxEmbedTotal
	}
	for over > 0 {
		longest := -1
		for i, f := range e.Fields {
			if longest < 0 || utf8.RuneCountInString(f.Value) > utf8.RuneCountInString(e.Fields[longest].Value) {
				longest = i
			}
		}
		if longest < 0 {
			return
		}
		f := e.Fields[longest]
		n := utf8.RuneCountInString(f.Value)
		if n <= 40 {
			return // nothing sensible left to cut
		}
		f.Value = integrations.Truncate(f.Value, max(40, n-over))
		over = Total(e) - MaxEmbedTotal
	}
}

// Total counts the characters Discord's 6000-character embed limit counts.
func Total(e *discordgo.MessageEmbed) int {
	n := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
	for _, f := range e.Fields {
		n += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
	}
	if e.Footer != nil {
		n += utf8.RuneCountInString(e.Footer.Text)
	}
	if e.Author != nil {
		n += utf8.RuneCountInString(e.Author.Name)
	}
	return n
}

func colour(o report.Overall) int {
	switch o {
	case report.StrongConcerns:
		return colourStrong
	case report.Review:
		return colourReview
	case report.NoConcerns:
		return colourNone
	}
	return colourUnknown
}

func emoji(s report.Status) string {
	switch s {
	case report.Fail:
		return "🔴"
	case report.Warn:
		return "🟠"
	case report.Pass:
		return "🟢"
	}
	return "⚪"
}

// markdown are the characters Discord's markdown gives a meaning to (bold, italics, links,
// spoilers, code, quotes, headings, lists); each is escaped with a backslash.
var markdown = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "~", `\~`, "`", "\\`", "|", `\|`,
	">", `\>`, "[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`, "#", `\#`, "-", `\-`)

// escape makes text from the candidate or the request (names, claims, camera labels inside
// sentences) plain text in an embed: no markdown, no masked or bare links.
func escape(s string) string {
	return markdown.Replace(integrations.Defang(s))
}

// localWhen shows when the call started in each reader's own timezone (Discord's timestamp
// markup, style f: "7 December 2026 18:04"), and how long it ran.
// https://discord.com/developers/docs/reference#message-formatting-timestamp-styles
func localWhen(t integrations.Text) string {
	if t.Start == nil {
		return t.When
	}
	s := fmt.Sprintf("<t:%d:f>", t.Start.Unix())
	if m := integrations.Minutes(t.Length); m != "" {
		s += ", " + m
	}
	return s
}
