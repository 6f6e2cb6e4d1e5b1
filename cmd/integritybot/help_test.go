package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

// TestHelpEveryCommand: "COMMAND --help" and "help COMMAND" succeed for every command and
// print on stdout what it does, its usage and flags, and its environment variables.
func TestHelpEveryCommand(t *testing.T) {
	for _, c := range commands() {
		for _, args := range [][]string{{c.name, "--help"}, {c.name, "-h"}, {"help", c.name}} {
			t.Run(strings.Join(args, "_"), func(t *testing.T) {
				var out, errOut bytes.Buffer
				if err := run(context.Background(), args, &out, &errOut); err != nil {
					t.Fatalf("%v: %v", args, err)
				}
				s := out.String()
				if errOut.Len() > 0 {
					t.Errorf("help wrote to stderr: %q", errOut.String())
				}
				if len(c.summary) < 20 || !strings.HasPrefix(s, "integritybot "+c.name+": "+c.summary+"\n") {
					t.Errorf("help does not start with the command's description:\n%s", s)
				}
				if !strings.Contains(s, "Usage: integritybot "+c.name) && !strings.Contains(s, "Usage:\n  integritybot "+c.name) {
					t.Errorf("help has no usage line for %s:\n%s", c.name, s)
				}
				if !strings.Contains(s, "\nEnvironment:\n") {
					t.Errorf("help has no Environment section:\n%s", s)
				}
				for _, e := range c.env {
					if !strings.Contains(s, "  "+e.name+"\n") {
						t.Errorf("help does not list %s:\n%s", e.name, s)
					}
				}
			})
		}
	}
}

// TestHelpFlagsDescribed: every flag in a command's help has a description, and commands
// with flags show them (version has none; geo's are its subcommands').
func TestHelpFlagsDescribed(t *testing.T) {
	header := regexp.MustCompile(`^  -[a-z0-9-]+( \S+)?$`)
	noFlags := map[string]bool{"version": true, "geo": true}
	for _, c := range commands() {
		var out bytes.Buffer
		if err := run(context.Background(), []string{c.name, "--help"}, &out, &out); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(out.String(), "\n")
		n := 0
		for i, l := range lines {
			if !header.MatchString(l) {
				continue
			}
			n++
			if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "    \t") || len(strings.TrimSpace(lines[i+1])) < 5 {
				t.Errorf("%s --help: flag %q has no description", c.name, strings.TrimSpace(l))
			}
		}
		if n == 0 && !noFlags[c.name] {
			t.Errorf("%s --help describes no flags:\n%s", c.name, out.String())
		}
	}
}

// TestServeHelpListsConfigEnv: every INTEGRITYBOT_ variable the configuration reads is in
// serve --help (a new one must be documented there).
func TestServeHelpListsConfigEnv(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "internal", "config", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("config sources: %v", err)
	}
	re := regexp.MustCompile(`"(INTEGRITYBOT_[A-Z_]+)"`)
	var names []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			names = append(names, m[1])
		}
	}
	if len(names) < 10 {
		t.Fatalf("found only %d variables in internal/config: %v", len(names), names)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"serve", "--help"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if !strings.Contains(out.String(), "  "+n+"\n") {
			t.Errorf("serve --help does not list %s: add it to configEnv in cmd/integritybot/help.go", n)
		}
	}
}

// TestVersionLine: module version and commit come from the build information; the -X
// values only stand in where it has none.
func TestVersionLine(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261207174400-95888b1abcde+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "95888b1abcde0123"}, {Key: "vcs.time", Value: "2026-12-07T17:44:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	cases := []struct {
		name   string
		bi     *debug.BuildInfo
		xv, xc string
		want   string
	}{
		{"stamped", stamped, "", "", "integritybot v0.0.0-20261207174400-95888b1abcde+dirty (commit 95888b1abcde0123, 2026-12-07T17:44:00Z, modified; go1.26.8)"},
		{"stamped wins over -X", stamped, "v9", "ffff", "integritybot v0.0.0-20261207174400-95888b1abcde+dirty (commit 95888b1abcde0123, 2026-12-07T17:44:00Z, modified; go1.26.8)"},
		{"container build: -X", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "v1.2.3", "abc123", "integritybot v1.2.3 (commit abc123; go1.26.8)"},
		{"nothing", nil, "", "", "integritybot (devel) (commit unknown)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			version, commit = tc.xv, tc.xc
			defer func() { version, commit = "", "" }()
			if got := versionLine(tc.bi); got != tc.want {
				t.Errorf("versionLine = %q\nwant          %q", got, tc.want)
			}
		})
	}
	if slices.Contains([]string{version, commit}, "dev") {
		t.Errorf("a default version of %q/%q", version, commit)
	}
}
