package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// Set at build time where the binary is built without VCS information (a container build
// context without .git): -ldflags "-X main.version=v1.2.3 -X main.commit=<sha>". Build
// information, when present, wins.
var version, commit string

func versionCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: integritybot version")
		fmt.Fprintln(fs.Output(), "Prints the module version, the VCS commit and its time (from the binary's build information,")
		fmt.Fprintln(fs.Output(), "runtime/debug.ReadBuildInfo) and the Go version. \"modified\": built from a tree with uncommitted changes.")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	bi, _ := debug.ReadBuildInfo()
	fmt.Fprintln(stdout, versionLine(bi))
	return nil
}

// versionLine is "integritybot VERSION (commit REV, TIME[, modified]; GOVERSION)" from bi
// (nil: no build information), falling back to the -X values, then to "unknown".
func versionLine(bi *debug.BuildInfo) string {
	v, rev, at, modified, gover := version, commit, "", false, ""
	if bi != nil {
		if bv := bi.Main.Version; bv != "" && bv != "(devel)" {
			v = bv
		}
		gover = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	var parts []string
	if rev != "" {
		parts = append(parts, "commit "+rev)
	} else {
		parts = append(parts, "commit unknown")
	}
	if at != "" {
		parts = append(parts, at)
	}
	if modified {
		parts = append(parts, "modified")
	}
	s := "integritybot " + v + " (" + strings.Join(parts, ", ")
	if gover != "" {
		s += "; " + gover
	}
	return s + ")"
}
