package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/integritybot/integritybot/integrations"
)

// deleter is a Creator that also deletes (integrations.Deleter), recording both.
type deleter struct {
	fakeCreator
	mu      sync.Mutex
	deleted []string // "id channel"
}

func (d *deleter) DeleteInterview(_ context.Context, id string, in integrations.NewInterview) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.deleted = append(d.deleted, id+" "+in.DiscordChannel)
	return nil
}

// TestCommandHasDelete: the registered /integrity has a delete option, and name is not
// required (a delete has none).
func TestCommandHasDelete(t *testing.T) {
	var del, name *discordgo.ApplicationCommandOption
	for _, o := range Command().Options {
		switch o.Name {
		case "delete":
			del = o
		case "name":
			name = o
		}
	}
	if del == nil || del.Type != discordgo.ApplicationCommandOptionString || del.Required {
		t.Fatalf("delete option: %+v", del)
	}
	if name == nil || name.Required {
		t.Fatalf("name option: %+v", name)
	}
}

// TestInteractionDelete: /integrity delete:ID over the signed interactions endpoint deletes
// the interview through the Deleter with the channel it was typed in; delete together with a
// name, or without an id, is refused and neither deletes nor creates.
func TestInteractionDelete(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	send := func(t *testing.T, d *deleter, options string) string {
		t.Helper()
		body := `{"id":"556","application_id":"777","type":2,"token":"t","channel_id":"100",` +
			`"data":{"id":"1","name":"integrity","type":1,"options":[` + options + `]}}`
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		c := NewCommands(Config{PublicKey: hex.EncodeToString(pub), APIURL: DefaultAPIURL}, d, slog.New(slog.DiscardHandler))
		r := httptest.NewRequest("POST", "/discord/interactions", strings.NewReader(body))
		r.Header.Set("X-Signature-Timestamp", ts)
		r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(priv, []byte(ts+body))))
		w := httptest.NewRecorder()
		c.ServeHTTP(w, r)
		var resp discordgo.InteractionResponse
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || w.Code != 200 || resp.Data == nil ||
			resp.Data.Flags != discordgo.MessageFlagsEphemeral {
			t.Fatalf("HTTP %d %s", w.Code, w.Body)
		}
		return resp.Data.Content
	}
	d := &deleter{}
	if got := send(t, d, `{"name":"delete","type":3,"value":" iv9 "}`); !strings.Contains(got, "Deleted interview iv9") {
		t.Errorf("answer %q", got)
	}
	if len(d.deleted) != 1 || d.deleted[0] != "iv9 100" {
		t.Errorf("deleted %q, want [iv9 100]", d.deleted)
	}
	for _, opts := range []string{`{"name":"delete","type":3,"value":"iv9"},{"name":"name","type":3,"value":"Jane"}`,
		`{"name":"delete","type":3,"value":"  "}`} {
		d := &deleter{}
		if got := send(t, d, opts); !strings.HasPrefix(got, "That did not work") {
			t.Errorf("%s: answer %q", opts, got)
		}
		if len(d.deleted) != 0 || len(d.got) != 0 {
			t.Errorf("%s: deleted %q, created %+v", opts, d.deleted, d.got)
		}
	}
}
