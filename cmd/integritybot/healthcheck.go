package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/integritybot/integritybot/internal/config"
)

// healthCmd is "integritybot healthcheck": GET /healthz of a running serve, exit 0 on 200.
// The container image runs it as its HEALTHCHECK, so the image needs no curl or wget.
func healthCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "base `URL` of the serve to probe (default: http:// + the listen address of the configuration, its unspecified host as 127.0.0.1)")
	cfgPath := fs.String("config", "", "YAML configuration `file` whose server.addr is probed (default: embedded defaults)")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: integritybot healthcheck [--url URL] [--config FILE] [--timeout D]")
		fmt.Fprintln(fs.Output(), "Requests GET /healthz from a running integritybot serve; exits 0 when it answers 200 OK, 2 otherwise.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errors.New("healthcheck: takes no arguments")
	}
	base := *url
	if base == "" {
		cfg, err := config.Load(*cfgPath)
		if err != nil {
			return err
		}
		cfg.Server.PublicURL = "" // the local listener, not the proxy in front of it
		base = cfg.BaseURL()
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: GET %s/healthz: %s", base, resp.Status)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
