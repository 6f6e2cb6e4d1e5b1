package secret

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestSecret(t *testing.T) {
	s := Secret("tok-123")
	if s.Value() != "tok-123" {
		t.Errorf("Value() = %q", s.Value())
	}
	j, err := json.Marshal(struct{ S Secret }{s})
	if err != nil {
		t.Fatal(err)
	}
	out := fmt.Sprintf("%v|%s|%q|%#v|%+v|%d|%x|", s, s, s, s, struct{ S Secret }{s}, s, s) + string(j)
	if strings.Contains(out, "tok-123") || !strings.Contains(out, `secret.Secret("<secret>")`) {
		t.Errorf("printed: %s", out)
	}
	if fmt.Sprint(Secret("")) != "" {
		t.Error("an empty secret prints as empty")
	}
}
