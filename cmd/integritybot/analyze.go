package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/interview"
	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/file"
)

// progressAfter: inputs shorter than this analyze too fast to need a progress line.
const progressAfter = 5 * time.Second

// analyzeCmd is "integritybot analyze [--json] [--claims FILE] [--config FILE] INPUT...".
func analyzeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fset.SetOutput(stderr)
	asJSON := fset.Bool("json", false, "print report JSON v1 instead of text (an array for several inputs)")
	claimsPath := fset.String("claims", "", "JSON `file` with the candidate's claims: {name, claimed_location, claimed_timezone}")
	cfgPath := fset.String("config", "", "YAML configuration `file` (default: embedded defaults)")
	var challenges challengeFlags
	fset.Var(&challenges, "challenge", "a liveness challenge asked at a known time, `STEP@FROM-UNTIL` in seconds of the recording\n"+
		"(STEP: turn_left, turn_right, hand, closer, custom; e.g. hand@12-17); repeatable")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "Usage: integritybot analyze [--json] [--claims FILE] [--config FILE] [--challenge STEP@FROM-UNTIL]... INPUT...")
		fmt.Fprintln(stderr, "Analyzes recordings (Y4M, IVF VP8/VP9, JPEG/PNG; MP4, WebM, MKV, MPEG, GIF, ... through ffmpeg)")
		fmt.Fprintln(stderr, "with the same checks as a live call and prints one report per input.")
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil {
		return err
	}
	inputs := fset.Args()
	if len(inputs) == 0 {
		fset.Usage()
		return errors.New("analyze: no input files given")
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	var cand report.Candidate
	if *claimsPath != "" {
		if cand, err = readClaims(*claimsPath); err != nil {
			return err
		}
	}
	bcfg := recordingConfig(cfg)
	for _, c := range challenges {
		bcfg = bot.WithChallenge(bcfg, c.step, c.from, c.until)
	}
	showProgress := isTerminal(stderr)

	var reports []*report.Report
	failed := 0
	for _, in := range inputs {
		r, err := analyzeFile(ctx, in, cand, bcfg, stderr, showProgress)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed++
			fmt.Fprintf(stderr, "integritybot: %s: %s\n", in, reason(in, err))
			continue
		}
		if !*asJSON {
			if len(reports) > 0 {
				fmt.Fprintln(stdout)
			}
			if err := report.WriteText(stdout, r); err != nil {
				return err
			}
		}
		reports = append(reports, r)
	}
	if *asJSON && len(reports) > 0 {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		var v any = reports
		if len(inputs) == 1 {
			v = reports[0]
		}
		if err := enc.Encode(v); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d inputs could not be analyzed", failed, len(inputs))
	}
	return nil
}

// recordingConfig is sessionConfig for a recording. A recording cannot be extended by
// asking the candidate to keep their camera on, and the corpus's studio clips are 3 s
// long; so the camera check passes a recording after as much good video as its quickest
// findings need to show (black, one colour and frozen pictures are reported after
// BlackAfter and FrozenAfter, 2 s by default) instead of the live call's 5 s. Shorter
// recordings stay unknown. Live calls keep camera.min_video.
func recordingConfig(cfg config.Config) bot.Config {
	c := sessionConfig(cfg)
	need := max(c.Camera.BlackAfter, c.Camera.FrozenAfter)
	if need <= 0 {
		need = 2 * time.Second
	}
	if c.Camera.MinVideo <= 0 || c.Camera.MinVideo > need {
		c.Camera.MinVideo = need
	}
	return c
}

// openInput opens a recording for analysis.
func openInput(ctx context.Context, path string) (media.Source, error) {
	return file.Open(ctx, path, file.Options{})
}

func analyzeFile(ctx context.Context, path string, cand report.Candidate, cfg bot.Config, stderr io.Writer, showProgress bool) (*report.Report, error) {
	src, err := openInput(ctx, path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var progress func(time.Duration)
	if showProgress {
		total := src.Info().Duration
		shown := false
		progress = func(done time.Duration) {
			if total > 0 && total < progressAfter || done < progressAfter && !shown {
				return
			}
			shown = true
			if total > 0 {
				fmt.Fprintf(stderr, "\r%s: %s of %s (%.0f%%) ", path, report.Clock(done.Seconds()), report.Clock(total.Seconds()),
					min(100, 100*done.Seconds()/total.Seconds()))
			} else {
				fmt.Fprintf(stderr, "\r%s: %s analyzed ", path, report.Clock(done.Seconds()))
			}
		}
		defer func() {
			if shown {
				fmt.Fprint(stderr, "\r\033[K")
			}
		}()
	}
	return bot.Analyze(ctx, src, cand, cfg, progress)
}

// reason is err's message without the file name it repeats.
func reason(path string, err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		return pe.Err.Error()
	}
	msg := strings.ReplaceAll(err.Error(), path+": ", "")
	return msg
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// readClaims reads {name, claimed_location, claimed_timezone}; unknown fields are errors.
func readClaims(path string) (report.Candidate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return report.Candidate{}, fmt.Errorf("claims: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c report.Candidate
	if err := dec.Decode(&c); err != nil {
		return report.Candidate{}, fmt.Errorf("claims: %s: %w", path, err)
	}
	if dec.More() {
		return report.Candidate{}, fmt.Errorf("claims: %s: more than one JSON value", path)
	}
	if err := interview.CheckClaims(&c, ""); err != nil { // the API's, join's and the chat commands' checks
		return report.Candidate{}, fmt.Errorf("claims: %s: %w", path, err)
	}
	return c, nil
}

// challengeFlags are the --challenge windows of analyze.
type challengeFlags []challengeWindow

type challengeWindow struct {
	step        string
	from, until time.Duration
}

func (c *challengeFlags) String() string { return fmt.Sprint(len(*c)) + " challenge(s)" }

// Set parses STEP@FROM-UNTIL (seconds).
func (c *challengeFlags) Set(v string) error {
	step, span, ok := strings.Cut(v, "@")
	a, b, ok2 := strings.Cut(span, "-")
	if !ok || !ok2 {
		return fmt.Errorf("%q is not STEP@FROM-UNTIL, e.g. hand@12-17", v)
	}
	if !report.IsChallengeStep(step) {
		return fmt.Errorf("step %q is not one of %s", step, strings.Join(report.ChallengeSteps(), ", "))
	}
	from, err1 := strconv.ParseFloat(a, 64)
	until, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil || from < 0 || until <= from || until-from > 30 {
		return fmt.Errorf("%q: FROM and UNTIL are seconds of the recording, 0 ≤ FROM < UNTIL ≤ FROM+30", span)
	}
	*c = append(*c, challengeWindow{step, time.Duration(from * float64(time.Second)), time.Duration(until * float64(time.Second))})
	return nil
}
