// Command integritybot joins job-interview calls, checks that the candidate's camera is really
// on and live, and writes an evidence-backed report for a human to judge.
//
//	integritybot serve [--config FILE] [--addr HOST:PORT] [--data DIR]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // claimed timezones are validated against IANA data even without system tzdata
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "integritybot:", err)
		}
		os.Exit(2)
	}
}

const usage = `integritybot — checks that an interview candidate's camera is real and live.

Usage:
  integritybot serve [--config FILE] [--addr HOST:PORT] [--data DIR]
  integritybot analyze [--json] [--claims FILE] [--config FILE] INPUT...
  integritybot join --whep URL [--bearer TOKEN] [--candidate NAME] [--duration D] [--json] ...
  integritybot eval [--json] LABELS.csv | eval --synthesize DIR [--corpus DIR]
  integritybot loadgen --server URL --token TOKEN --calls N --duration D --video FILE.ivf [--json] ...
  integritybot challenge --server URL --token TOKEN --interview ID --step hand [--seconds 5] [--at S]
  integritybot version

Run "integritybot serve --help" for the flags.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "join":
		return joinCmd(ctx, args[1:], stdout, stderr)
	case "loadgen":
		return loadgenCmd(ctx, args[1:], stdout, stderr)
	case "challenge":
		return challengeCmd(ctx, args[1:], stdout, stderr)
	case "analyze", "eval":
		return offline(ctx, args[0], args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "integritybot", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
