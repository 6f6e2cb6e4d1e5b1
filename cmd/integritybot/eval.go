package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/corpus"
	"github.com/integritybot/integritybot/internal/eval"
)

// evalCmd is "integritybot eval [--json] [--config FILE] LABELS.csv" and
// "integritybot eval --synthesize DIR [--corpus DIR]".
func evalCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("eval", flag.ContinueOnError)
	fset.SetOutput(stderr)
	asJSON := fset.Bool("json", false, "print the evaluation as JSON")
	cfgPath := fset.String("config", "", "YAML configuration `file` (default: embedded defaults)")
	synth := fset.String("synthesize", "", "write synthesized attack recordings and their labels.csv into `DIR` instead of evaluating")
	corpusDir := fset.String("corpus", "", "corpus `DIR` with labels.csv, genuine/ and photo/ (for --synthesize; default $"+corpus.Env+", else ../shared/corpus beside the repository)")
	workers := fset.Int("workers", 0, "recordings analyzed at once (default: number of CPUs)")
	limit := fset.Duration("limit", 0, "analyze only the first `DURATION` of each recording (default: all)")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "Usage: integritybot eval [--json] [--config FILE] LABELS.csv")
		fmt.Fprintln(stderr, "       integritybot eval --synthesize DIR [--corpus DIR]")
		fmt.Fprintln(stderr, "Analyzes every row of a labels file and prints per check and per attack type the")
		fmt.Fprintln(stderr, "count, APCER (attacks passed), BPCER (genuine flagged) and a confusion table.")
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil {
		return err
	}
	if *synth != "" {
		if fset.NArg() > 0 {
			return errors.New("eval: --synthesize takes no labels file")
		}
		dir := *corpusDir
		if dir == "" {
			d, err := corpus.Dir()
			if err != nil {
				return fmt.Errorf("eval: --synthesize: %w, or give --corpus DIR", err)
			}
			dir = d
		}
		rows, err := eval.Synthesize(ctx, *synth, eval.SynthOptions{Corpus: dir, Open: openInput, Replay: eval.AllReplay})
		if err != nil {
			return err
		}
		for _, r := range rows {
			fmt.Fprintf(stdout, "%s\t%s\t%s\n", filepath.Join(*synth, r.Path), r.Attack, r.Extra["content"])
		}
		fmt.Fprintf(stdout, "wrote %d recordings and %s\nevaluate them with: integritybot eval %s\n",
			len(rows), filepath.Join(*synth, "labels.csv"), filepath.Join(*synth, "labels.csv"))
		return nil
	}
	if fset.NArg() != 1 {
		fset.Usage()
		return errors.New("eval: give exactly one labels file")
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	labels := fset.Arg(0)
	rows, err := eval.ReadLabels(labels)
	if err != nil {
		return err
	}
	opt := eval.Options{Config: recordingConfig(cfg), Open: openInput, Workers: *workers, Limit: *limit}
	if isTerminal(stderr) {
		opt.Progress = func(done, total int, o eval.Outcome) {
			fmt.Fprintf(stderr, "\r\033[K%d/%d %s", done, total, o.Row.Path)
			if done == total {
				fmt.Fprint(stderr, "\r\033[K")
			}
		}
	}
	outs, err := eval.Run(ctx, rows, opt)
	if err != nil {
		return err
	}
	s := eval.Summarize(labels, rows, outs)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	return s.WriteText(stdout)
}
