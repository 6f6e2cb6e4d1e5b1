package integrations

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// deleter is a Creator that also deletes, recording what it was asked.
type deleter struct {
	Creator
	id    string
	where NewInterview
	err   error
}

func (d *deleter) DeleteInterview(_ context.Context, id string, where NewInterview) error {
	d.id, d.where = id, where
	return d.err
}

// TestDeleteCommand: /integrity delete ID reaches the Deleter with the channel it was typed
// in; a mistake or a refusal is an answer saying what to fix; without a Deleter it says so.
func TestDeleteCommand(t *testing.T) {
	ctx := context.Background()
	where := NewInterview{SlackChannel: "C42"}
	d := &deleter{}
	answer, err := Invite(ctx, d, "delete iv-123", where)
	if err != nil || d.id != "iv-123" || d.where.SlackChannel != "C42" || !strings.Contains(answer, "Deleted interview iv-123") {
		t.Fatalf("delete: %q, %v; deleter got %q in %+v", answer, err, d.id, d.where)
	}
	for _, text := range []string{"delete", "delete a b"} {
		d := &deleter{}
		if answer, err := Invite(ctx, d, text, where); err != nil || d.id != "" || !strings.Contains(answer, "give the interview id") {
			t.Errorf("%q: %q, %v (deleted %q)", text, answer, err, d.id)
		}
	}
	d = &deleter{err: fmt.Errorf("interview \"x\" was created in another channel: %w", ErrInvalid)}
	if answer, err := Invite(ctx, d, "delete x", where); err != nil || !strings.Contains(answer, "another channel") {
		t.Errorf("refused delete: %q, %v", answer, err)
	}
	d = &deleter{err: errors.New("disk on fire")}
	if answer, err := Invite(ctx, d, "delete x", where); err == nil || strings.Contains(answer, "disk") {
		t.Errorf("server error: %q, %v; want a generic answer and the error", answer, err)
	}
	if answer, _ := Invite(ctx, nil, "delete x", where); !strings.Contains(answer, "not available") {
		t.Errorf("without a Deleter: %q", answer)
	}
	if cmd, err := ParseCommand(`"Delete" Smith`); err != nil || cmd.Action != "new" || cmd.Candidate.Name != "Delete Smith" {
		t.Errorf("a quoted \"Delete\" is a name: %+v, %v", cmd, err)
	}
}
