package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLiveKitEnv(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "lk-secret")
	if err := os.WriteFile(secretFile, []byte("file-secret-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	c, err := LoadEnv("", env(map[string]string{EnvLiveKitAPIKey: "APIabc", EnvLiveKitAPISecret + "_FILE": secretFile}))
	if err != nil {
		t.Fatal(err)
	}
	if c.LiveKit.APIKey.Value() != "APIabc" || c.LiveKit.APISecret.Value() != "file-secret-value" || !c.LiveKit.CanJoin() {
		t.Fatalf("credentials not applied: %#v", c.LiveKit)
	}
	if out := fmt.Sprintf("%v %+v", c.LiveKit, c); strings.Contains(out, "file-secret-value") || strings.Contains(out, "APIabc") {
		t.Fatalf("secret printed: %s", out)
	}
	if _, err := LoadEnv("", env(map[string]string{EnvLiveKitAPIKey: "a", EnvLiveKitAPIKey + "_FILE": secretFile})); err == nil {
		t.Fatal("both VAR and VAR_FILE accepted")
	}
	if _, err := LoadEnv("", env(map[string]string{EnvLiveKitAPIKey: "only-the-key"})); err == nil || !strings.Contains(err.Error(), "livekit.api_key") {
		t.Fatalf("key without secret: %v", err)
	}
}

// TestLiveKitConventionalEnv: LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET fill in
// what the file and the INTEGRITYBOT_ variables leave unset; those win.
func TestLiveKitConventionalEnv(t *testing.T) {
	conventional := map[string]string{EnvLiveKitURLConventional: "ws://127.0.0.1:7880",
		EnvLiveKitAPIKeyConventional: "devkey", EnvLiveKitAPISecretConventional: "devsecret"}
	tests := []struct {
		name                    string
		file                    string
		env                     map[string]string
		wantURL, wantKey, wantS string
	}{
		{name: "conventional only", wantURL: "ws://127.0.0.1:7880", wantKey: "devkey", wantS: "devsecret"},
		{name: "prefixed win", env: map[string]string{EnvLiveKitAPIKey: "APIabc", EnvLiveKitAPISecret: "prefixed"},
			wantURL: "ws://127.0.0.1:7880", wantKey: "APIabc", wantS: "prefixed"},
		{name: "the file wins", file: "livekit:\n  url: wss://lk.example.com\n  api_key: filekey\n  api_secret: filesecret\n",
			wantURL: "wss://lk.example.com", wantKey: "filekey", wantS: "filesecret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = filepath.Join(t.TempDir(), "c.yaml")
				if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			get := func(k string) (string, bool) {
				if v, ok := tt.env[k]; ok {
					return v, true
				}
				v, ok := conventional[k]
				return v, ok
			}
			c, err := LoadEnv(path, get)
			if err != nil {
				t.Fatal(err)
			}
			if c.LiveKit.URL != tt.wantURL || c.LiveKit.APIKey.Value() != tt.wantKey || c.LiveKit.APISecret.Value() != tt.wantS {
				t.Errorf("url %q key %q secret %q", c.LiveKit.URL, c.LiveKit.APIKey.Value(), c.LiveKit.APISecret.Value())
			}
		})
	}
}

func TestLiveKitValidate(t *testing.T) {
	_, err := Parse([]byte("livekit:\n  url: ftp://x\n  notice: \"\"\n  candidate_attribute: role\n  leave_after: 0s\n  interviewer_identities: [\"\"]\n"))
	if err == nil {
		t.Fatal("invalid livekit section accepted")
	}
	for _, key := range []string{"livekit.url", "livekit.notice", "livekit.candidate_attribute", "livekit.leave_after", "livekit.interviewer_identities[0]"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("no problem reported for %s in %v", key, err)
		}
	}
	c, err := Parse([]byte("livekit:\n  url: wss://lk.example.com\n  interviewer_identities: [alice]\n  candidate_attribute: role=candidate\n"))
	if err != nil || c.LiveKit.URL != "wss://lk.example.com" || c.LiveKit.InterviewerIdentities[0] != "alice" {
		t.Fatalf("valid section: %v %+v", err, c.LiveKit)
	}
}
