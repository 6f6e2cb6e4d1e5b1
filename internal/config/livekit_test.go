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
