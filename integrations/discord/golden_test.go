package discord

import (
	"flag"
	"testing"

	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/integrations/notifytest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// The embeds people read in Discord are kept as golden files (testdata/), reviewed like code;
// go test -update rewrites them. Summaries show their strongest snapshot as an attachment.
func TestGoldenEmbeds(t *testing.T) {
	notifytest.RunGolden(t, *update, func(t *testing.T, c notifytest.Case) any {
		image := ""
		if c.Message.Kind == integrations.Summary {
			image = "evidence.jpg"
		}
		e := Embed(integrations.Render(c.Message), image)
		if n := Total(e); n > MaxEmbedTotal || len(e.Fields) > MaxFields {
			t.Errorf("%d characters, %d fields: over Discord's limits", n, len(e.Fields))
		}
		return e
	})
}
