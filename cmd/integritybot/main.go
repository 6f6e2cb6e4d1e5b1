// Command integritybot joins job-interview calls, checks that the candidate's camera is really
// on and live, and writes an evidence-backed report for a human to judge.
//
//	integritybot serve [--config FILE] [--addr HOST:PORT] [--data DIR]
//
// "integritybot help" lists the commands; "integritybot COMMAND --help" describes one, its
// flags and the environment variables it reads.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // claimed timezones are validated against IANA data even without system tzdata
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "integritybot:", err)
		os.Exit(2)
	}
}

// command is one subcommand: what "integritybot help" lists and what its --help says around
// the command's own usage and flags.
type command struct {
	name     string
	synopsis string // the arguments, for the overview
	summary  string // one sentence: what it does
	env      []envVar
	run      func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands in the order "integritybot help" lists them.
func commands() []command {
	return []command{
		{"serve", "[--config FILE] [--addr HOST:PORT] [--data DIR]",
			"Runs the service: web pages, JSON API, hosted interview rooms, calls joined through the API, chat integrations.",
			configEnv, serve},
		{"analyze", "[--json] [--claims FILE] [--config FILE] [--challenge STEP@FROM-UNTIL]... INPUT...",
			"Analyzes recorded video with the checks of a live call and prints a report per input.",
			configNote, analyzeCmd},
		{"join", "--whep URL | --livekit URL --room NAME [--candidate NAME] [--duration D] [--json] ...",
			"Joins a call held elsewhere (WHEP or LiveKit), watches the candidate's camera and stores and prints the report.",
			joinEnv, joinCmd},
		{"eval", "[--json] LABELS.csv | --synthesize DIR [--corpus DIR]",
			"Measures the checks on a labeled corpus (APCER/BPCER per check and attack), or synthesizes attack recordings from it.",
			evalEnv, evalCmd},
		{"loadgen", "--server URL --token TOKEN --calls N --duration D --video FILE.ivf [--json] ...",
			"Load test: runs N candidate calls against a serve and prints what each sent and what its report says.",
			tokenEnv, loadgenCmd},
		{"challenge", "--server URL --token TOKEN --interview ID --step STEP [--seconds S] [--at S]",
			"Marks a liveness challenge window (turn, hand, closer) on a running call.",
			tokenEnv, challengeCmd},
		{"geo", "update [--city] [--if-needed] [--from DIR] | lookup IP...",
			"Installs or refreshes the free GeoIP data the network check uses, or shows what it sees for an address.",
			geoEnv, geoCmd},
		{"healthcheck", "[--url URL] [--config FILE] [--timeout D]",
			"Exits 0 when a running serve answers GET /healthz (for a container's HEALTHCHECK).",
			healthEnv, healthCmd},
		{"version", "",
			"Prints the module version and the VCS commit the binary was built from.",
			nil, versionCmd},
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		writeUsage(stderr)
		return errors.New("no command given")
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 { // "integritybot help serve" is "integritybot serve --help"
			return run(ctx, []string{args[1], "--help"}, stdout, stderr)
		}
		writeUsage(stdout)
		return nil
	case "--version", "-version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name == name {
			return c.exec(ctx, args[1:], stdout, stderr)
		}
	}
	writeUsage(stderr)
	return fmt.Errorf("unknown command %q", name)
}

// exec runs the command. Asked for help (-h, --help), it prints on stdout what the command
// does, then its own usage and flags, then its environment variables, and succeeds.
func (c command) exec(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if !wantsHelp(args) {
		return c.run(ctx, args, stdout, stderr)
	}
	fmt.Fprintf(stdout, "integritybot %s: %s\n\n", c.name, c.summary)
	err := c.run(ctx, args, stdout, stdout)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return err
	}
	writeEnv(stdout, c.env)
	return nil
}

// wantsHelp reports whether args ask for help before any non-flag argument.
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch {
		case a == "-h" || a == "-help" || a == "--help":
			return true
		case a == "--" || !strings.HasPrefix(a, "-"):
			return false
		}
	}
	return false
}

func writeUsage(w io.Writer) {
	fmt.Fprint(w, "integritybot checks that an interview candidate's camera is real and live.\n\nUsage:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  integritybot %s %s\n", c.name, c.synopsis)
	}
	fmt.Fprint(w, "\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun \"integritybot COMMAND --help\" (or \"integritybot help COMMAND\") for its flags and environment variables.\n")
}
