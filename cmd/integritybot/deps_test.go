package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyDirection enforces the package edges of docs/architecture.md: media looks at pixels and knows
// nothing of bots, chat or the web; integrations post messages and know no pion or pixels.
func TestDependencyDirection(t *testing.T) {
	const mod = "github.com/integritybot/integritybot/"
	cases := []struct {
		pkgs   string
		banned []string
	}{
		{"./media/...", []string{mod + "bot", mod + "integrations", mod + "internal/server", mod + "internal/web", mod + "internal/store", mod + "cmd"}},
		// Sessions and connectors know no front and no owner: the interview service uses them.
		{"./bot/...", []string{mod + "integrations", mod + "internal/server", mod + "internal/web", mod + "internal/interview", mod + "cmd"}},
		// Each integration is handed its section of the configuration (cmd converts it).
		{"./integrations/...", []string{mod + "bot", mod + "media", "github.com/pion/", mod + "internal/config", mod + "cmd"}},
		{"./internal/...", []string{mod + "cmd"}},
		// The report's words (check ids and order, challenge steps) are everyone's: it imports no
		// other package of the module.
		{"./internal/report", []string{mod + "bot", mod + "media", mod + "integrations", mod + "internal/config",
			mod + "internal/store", mod + "internal/server", mod + "internal/web", mod + "internal/geo", mod + "cmd", "github.com/pion/"}},
		// The HTTP layer knows nothing of chat or of the configuration file. It reaches running
		// calls only through the interview service (TestDirectImports: no bot, connector,
		// media or pion import of its own).
		{"./internal/server", []string{mod + "integrations", mod + "internal/config", mod + "cmd"}},
		// The configuration owns its types (its sections, Secret, FieldError): it imports no
		// integration, store or web layer; cmd hands each integration its section.
		{"./internal/config", []string{mod + "integrations", mod + "internal/server", mod + "internal/store", mod + "internal/web", mod + "cmd"}},
		// The HTTP server's limits and their defaults are shared by config (Default takes them)
		// and the HTTP layer because they import no other package of the module.
		{"./internal/httplimit", []string{mod}},
		// One pion stack constructor for the room, WHEP and loadgen: it knows no caller.
		{"./internal/rtcapi", []string{mod + "bot", mod + "media", mod + "integrations", mod + "internal/config", mod + "cmd"}},
		// Secret is shared by config and integrations because it depends on neither.
		{"./internal/secret", []string{mod + "bot", mod + "media", mod + "integrations", mod + "internal/config", mod + "cmd"}},
		// The interview service owns an interview's life for every front (HTTP, chat, CLI): it
		// knows none of them, nor the configuration file (main translates it).
		{"./internal/interview", []string{mod + "internal/server", mod + "internal/web", mod + "integrations", mod + "internal/config", mod + "cmd"}},
		// Media packages' tests import corpustest, which go list -deps (no -test) does not see:
		// it keeps media's rule so those tests stay on media's side too.
		{"./internal/corpustest", []string{mod + "bot", mod + "integrations", mod + "internal/server", mod + "internal/web", mod + "internal/store", mod + "cmd"}},
	}
	for _, tc := range cases {
		t.Run(tc.pkgs, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "-e", "../../"+strings.TrimPrefix(tc.pkgs, "./")).CombinedOutput()
			if err != nil {
				if strings.Contains(string(out), "matched no packages") {
					t.Skipf("%s has no packages yet", tc.pkgs)
				}
				t.Fatalf("go list: %v\n%s", err, out)
			}
			for _, dep := range strings.Fields(string(out)) {
				if dep == mod+strings.TrimPrefix(tc.pkgs, "./") {
					continue // the package itself (a case banning all of mod)
				}
				for _, b := range tc.banned {
					if dep == strings.TrimSuffix(b, "/") || strings.HasPrefix(dep, b) && (strings.HasSuffix(b, "/") || strings.HasPrefix(dep, b+"/")) {
						t.Errorf("%s depends on %s (banned: %s)", tc.pkgs, dep, b)
					}
				}
			}
		})
	}
}

// TestConnectorsSpeakCallEvents: connectors report the candidate's presence and camera track
// as bot.CallEvent and take the liveness prompts from bot.Prompts; the session maps them onto
// the checks. No connector imports an analyzer (media/camera, face, faceswap, replay,
// liveness, pulse, blink) itself.
func TestConnectorsSpeakCallEvents(t *testing.T) {
	const media = "github.com/integritybot/integritybot/media/"
	analyzers := []string{"camera", "face", "faceswap", "replay", "liveness", "pulse", "blink"}
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "../../bot/connect/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		for _, imp := range strings.Fields(imports) {
			for _, a := range analyzers {
				if imp == media+a || strings.HasPrefix(imp, media+a+"/") {
					t.Errorf("%s imports %s: report bot.CallEvent and use bot.Prompts instead", pkg, imp)
				}
			}
		}
	}
}

// TestDirectImports: rules on what a package imports itself, where what it reaches through
// another package is allowed. internal/server reaches calls only through the interview
// service (internal/interview): it imports no bot, connector, pixels or pion of its own.
func TestDirectImports(t *testing.T) {
	const mod = "github.com/integritybot/integritybot/"
	cases := []struct {
		pkg    string
		banned []string
	}{
		{"./internal/server", []string{mod + "bot", mod + "media", "github.com/pion/", mod + "integrations", mod + "internal/config"}},
	}
	for _, tc := range cases {
		t.Run(tc.pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-f", `{{join .Imports " "}}`, "../../"+strings.TrimPrefix(tc.pkg, "./")).CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			for _, imp := range strings.Fields(string(out)) {
				for _, b := range tc.banned {
					if imp == strings.TrimSuffix(b, "/") || strings.HasPrefix(imp, b) && (strings.HasSuffix(b, "/") || strings.HasPrefix(imp, b+"/")) {
						t.Errorf("%s imports %s (banned: %s)", tc.pkg, imp, b)
					}
				}
			}
		})
	}
}
