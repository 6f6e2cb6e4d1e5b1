package config

import (
	"strings"
	"testing"
)

func TestBaseLayer(t *testing.T) {
	if d := Default(); d.Interview.BaseLayer != "auto" {
		t.Fatalf("default interview.base_layer = %q, want auto", d.Interview.BaseLayer)
	}
	for _, v := range []string{"auto", "always", "never"} {
		c, err := Parse([]byte("interview:\n  base_layer: " + v + "\n"))
		if err != nil || c.Interview.BaseLayer != v {
			t.Errorf("base_layer %s: %v, got %q", v, err, c.Interview.BaseLayer)
		}
	}
	_, err := Parse([]byte("interview:\n  base_layer: sometimes\n"))
	if err == nil || !strings.Contains(err.Error(), "interview.base_layer") {
		t.Errorf("base_layer sometimes: err %v, want one naming interview.base_layer", err)
	}
}
