package slack

import (
	"flag"
	"testing"

	"github.com/integritybot/integritybot/integrations"
	"github.com/integritybot/integritybot/integrations/notifytest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// The Block Kit payloads people read in Slack are kept as golden files (testdata/), reviewed
// like code; go test -update rewrites them.
func TestGoldenBlocks(t *testing.T) {
	notifytest.RunGolden(t, *update, func(t *testing.T, c notifytest.Case) any {
		blocks, text := Blocks(integrations.Render(c.Message))
		if len(blocks) > MaxBlocks || len(text) > MaxFallback {
			t.Errorf("%d blocks, %d characters of fallback: over Slack's limits", len(blocks), len(text))
		}
		return map[string]any{"text": text, "blocks": blocks}
	})
}
