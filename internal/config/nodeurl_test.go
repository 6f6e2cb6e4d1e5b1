package config

import (
	"os"
	"path/filepath"
	"testing"
)

// TestNodeURL: server.node_url (or INTEGRITYBOT_NODE_URL) is the node's own URL; without it,
// the base URL of links.
func TestNodeURL(t *testing.T) {
	const pg = "store: {driver: postgres, dsn: \"postgres://ib@db/ib\"}\n"
	tests := []struct {
		name, yaml string
		env        map[string]string
		want       string
	}{
		{"derived from addr", pg + "server: {addr: \"0.0.0.0:8081\"}", nil, "http://127.0.0.1:8081"},
		{"public url", pg + "server: {public_url: \"https://bot.example.com/\"}", nil, "https://bot.example.com"},
		{"node url over public url", pg + "server: {public_url: \"https://bot.example.com\", node_url: \"http://10.0.0.7:8080/\"}", nil, "http://10.0.0.7:8080"},
		{"env", pg, map[string]string{EnvNodeURL: "https://node-2.internal"}, "https://node-2.internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadEnv(writeTemp(t, tt.yaml), envMap(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.NodeURL(); got != tt.want {
				t.Fatalf("NodeURL = %q, want %q", got, tt.want)
			}
		})
	}
}

func writeTemp(t *testing.T, yaml string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(f, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}
