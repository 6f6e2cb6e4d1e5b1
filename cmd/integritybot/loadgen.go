package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/loadgen"
)

const loadgenUsage = `Usage:
  integritybot loadgen --server URL --token TOKEN --calls N --duration D --video FILE.ivf
                       [--loss P] [--jitter D] [--loss-burst D] [--garbage P] [--switch FILE.ivf]
                       [--ramp D] [--layers 3] [--json]
  integritybot loadgen --make-ivf OUT.ivf --from CLIP [--seconds S] [--layers 3]

Creates N interviews through the API, joins each as a candidate (pion, no browser) that sends
the IVF's VP8/VP9 frames paced by their timestamps (looped), ends them and prints what each
call sent and what its report says. The token defaults to $INTEGRITYBOT_API_TOKEN.
--make-ivf encodes a clip (anything ffmpeg reads) to 640×480@30 VP8, a keyframe every 2 s;
with --layers 3 in three temporal layers (a browser's L1T3; TIDs in OUT.ivf.layers), which
loadgen --layers 3 then sends in the VP8 payload descriptor.

`

func loadgenCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, loadgenUsage); fs.PrintDefaults() }
	server := fs.String("server", "http://127.0.0.1:8080", "integritybot base `URL`")
	token := fs.String("token", os.Getenv(config.EnvAPIToken), "API `token`")
	calls := fs.Int("calls", 1, "concurrent calls")
	duration := fs.Duration("duration", 30*time.Second, "video per call")
	video := fs.String("video", "", "IVF `file` (VP8 or VP9) each candidate sends, looped")
	switchTo := fs.String("switch", "", "IVF `file` sent every other pass of --video (e.g. another resolution)")
	garbage := fs.Float64("garbage", 0, "overwrite bytes inside each frame with this probability (0..1)")
	loss := fs.Float64("loss", 0, "drop each RTP packet with this probability (0..1)")
	jitter := fs.Duration("jitter", 0, "delay each frame by a random time up to this")
	burst := fs.Duration("loss-burst", 0, "drop every packet for this long in the middle of each call")
	ramp := fs.Duration("ramp", 100*time.Millisecond, "time between two calls' starts")
	asJSON := fs.Bool("json", false, "print one JSON object with calls and totals")
	makeIVF := fs.String("make-ivf", "", "write an IVF `file` made from --from and exit")
	from := fs.String("from", "", "video `clip` for --make-ivf")
	seconds := fs.Float64("seconds", 0, "--make-ivf: at most this many seconds of the clip (0: all)")
	layers := fs.Int("layers", 1, "VP8 temporal layers: --make-ivf encodes them, a run sends their TIDs (1: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *makeIVF != "" {
		if *from == "" {
			return errors.New("loadgen: --make-ivf needs --from CLIP")
		}
		n, err := loadgen.MakeIVF(ctx, *from, *makeIVF, loadgen.MakeOptions{MaxDuration: time.Duration(*seconds * float64(time.Second)), Layers: *layers})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s: %d frames, 640×480 VP8 at 30 fps, %d temporal layer(s)\n", *makeIVF, n, max(*layers, 1))
		return nil
	}
	if *video == "" {
		fs.Usage()
		return errors.New("loadgen: --video FILE.ivf is required (make one with --make-ivf)")
	}
	clip, err := loadgen.LoadIVF(*video)
	if err != nil {
		return err
	}
	var other *loadgen.Clip
	if *switchTo != "" {
		if other, err = loadgen.LoadIVF(*switchTo); err != nil {
			return err
		}
	}
	res, err := loadgen.Run(ctx, loadgen.Options{
		Server: *server, Token: *token, Calls: *calls, Duration: *duration, Clip: clip,
		Loss: *loss, Jitter: *jitter, LossBurst: *burst, Ramp: *ramp, Garbage: *garbage, Switch: other, Layers: *layers,
		Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return res.WriteText(stdout)
}
