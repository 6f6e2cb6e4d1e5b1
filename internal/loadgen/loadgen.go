// Package loadgen is integritybot's load generator: it creates interviews through the HTTP
// API, joins each as a candidate over the signaling websocket with a pion peer that publishes
// a real encoded VP8/VP9 stream (an IVF clip, looped, paced by its timestamps, with optional
// packet loss, jitter and a loss burst), ends the interviews and reads their reports back.
// It is what bench/capacity.md measures with; no browser per call.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/integritybot/integritybot/internal/report"
	"github.com/integritybot/integritybot/media/vpx"
)

// Options configure Run.
type Options struct {
	Server string // base URL, e.g. http://127.0.0.1:8080
	Token  string // API token
	Calls  int
	// Duration is how long each candidate sends video, from its first frame.
	Duration time.Duration
	Clip     *Clip
	// Loss drops each RTP packet with this probability (0..1).
	Loss float64
	// Jitter delays each frame by a uniform random time in [0, Jitter).
	Jitter time.Duration
	// LossBurst drops every packet for this long in the middle of each call.
	LossBurst time.Duration
	// Garbage overwrites bytes inside each frame's compressed data with this probability
	// (0..1): codec-level garbage, which libvpx decodes as corrupt or refuses.
	Garbage float64
	// Switch, when set, alternates with Clip pass by pass (e.g. another resolution: a
	// resolution switch at every loop). It must have Clip's codec.
	Switch *Clip
	// Layers > 1 sends the clip's temporal layers in the VP8 payload descriptor (TID, Y,
	// TL0PICIDX), as a browser sending scalabilityMode L1T3 does; the clip must have been
	// made with that many (MakeOptions.Layers). 0 or 1 sends no layer information.
	Layers int
	// Ramp is the time between two calls' starts [100ms]; a real server does not get all
	// its interviews in the same millisecond.
	Ramp time.Duration
	// Poll is how often the live report is read until the camera check has a verdict [250ms].
	Poll       time.Duration
	HTTPClient *http.Client
	Log        *slog.Logger
}

// Call is what one simulated candidate sent and what the server's report says about it.
type Call struct {
	InterviewID      string  `json:"interview_id"`
	FramesSent       int64   `json:"frames_sent"`
	PacketsSent      int64   `json:"packets_sent"` // on the wire, retransmissions included
	PacketsLost      int64   `json:"packets_lost"` // lost on purpose on the wire (--loss, --loss-burst)
	KeyframeRequests int64   `json:"keyframe_requests"`
	FramesDecoded    int64   `json:"frames_decoded"`
	FramesAnalyzed   int64   `json:"frames_analyzed"`
	FramesDropped    int64   `json:"frames_dropped"`
	VideoSeconds     float64 `json:"video_seconds"`
	// FirstDecodedMS is the time from the first frame sent to the first live report with a
	// decoded frame; FirstCameraVerdictMS to the first live report whose camera check is not
	// unknown (the camera check needs camera.min_video of good video for pass). -1: never.
	FirstDecodedMS       int64  `json:"first_decoded_ms"`
	FirstCameraVerdictMS int64  `json:"first_camera_verdict_ms"`
	FirstCameraStatus    string `json:"first_camera_status,omitempty"`
	CameraStatus         string `json:"camera_status"`
	Overall              string `json:"overall"`
	Error                string `json:"error,omitempty"`
}

// Totals sums the calls.
type Totals struct {
	Calls            int     `json:"calls"`
	Failed           int     `json:"failed"`
	FramesSent       int64   `json:"frames_sent"`
	PacketsSent      int64   `json:"packets_sent"` // on the wire, retransmissions included
	PacketsLost      int64   `json:"packets_lost"`
	KeyframeRequests int64   `json:"keyframe_requests"`
	FramesDecoded    int64   `json:"frames_decoded"`
	FramesAnalyzed   int64   `json:"frames_analyzed"`
	FramesDropped    int64   `json:"frames_dropped"`
	VideoSeconds     float64 `json:"video_seconds"`
	// DroppedPct is frames dropped per frame sent, in percent.
	DroppedPct float64 `json:"dropped_pct"`
	// AnalyzedPct is frames analyzed per frame decoded, in percent (below 100 under sampled analysis).
	AnalyzedPct float64 `json:"analyzed_pct"`
	// Camera verdict latency over the calls that got one (ms).
	FirstCameraVerdictMedianMS int64 `json:"first_camera_verdict_median_ms"`
	FirstCameraVerdictMaxMS    int64 `json:"first_camera_verdict_max_ms"`
	NoCameraVerdict            int   `json:"no_camera_verdict"`
}

// Result is the whole run (the --json output).
type Result struct {
	Calls  []Call `json:"calls"`
	Totals Totals `json:"totals"`
}

func (o Options) withDefaults() Options {
	if o.Ramp <= 0 {
		o.Ramp = 100 * time.Millisecond
	}
	if o.Poll <= 0 {
		o.Poll = 250 * time.Millisecond
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	o.Server = strings.TrimRight(o.Server, "/")
	return o
}

// Run runs the calls concurrently and returns when every call has ended and its report is
// read. A call that fails is reported with its error; Run fails only for bad options.
func Run(ctx context.Context, opt Options) (*Result, error) {
	opt = opt.withDefaults()
	if opt.Clip == nil || opt.Calls <= 0 || opt.Duration <= 0 || opt.Server == "" {
		return nil, errors.New("loadgen: need a server, a clip, calls > 0 and a duration > 0")
	}
	if opt.Loss < 0 || opt.Loss >= 1 || opt.Garbage < 0 || opt.Garbage > 1 {
		return nil, fmt.Errorf("loadgen: loss %v or garbage %v is outside [0, 1)", opt.Loss, opt.Garbage)
	}
	if opt.Switch != nil && opt.Switch.Codec != opt.Clip.Codec {
		return nil, errors.New("loadgen: the clips to switch between have different codecs")
	}
	if err := checkLayers(&opt); err != nil {
		return nil, err
	}
	a := &api{base: opt.Server, token: opt.Token, hc: opt.HTTPClient}
	res := &Result{Calls: make([]Call, opt.Calls)}
	var wg sync.WaitGroup
	for i := range opt.Calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-ctx.Done():
				res.Calls[i].Error = ctx.Err().Error()
				return
			case <-time.After(time.Duration(i) * opt.Ramp):
			}
			res.Calls[i] = runCall(ctx, a, &opt, i)
		}()
	}
	wg.Wait()
	res.Totals = total(res.Calls)
	return res, nil
}

// runCall is one candidate's whole interview.
func runCall(ctx context.Context, a *api, opt *Options, i int) Call {
	out := Call{FirstDecodedMS: -1, FirstCameraVerdictMS: -1}
	id, token, err := a.create(ctx, fmt.Sprintf("Loadgen Candidate %d", i+1))
	if err != nil {
		out.Error = err.Error()
		return out
	}
	out.InterviewID = id
	log := opt.Log.With("interview_id", id)
	c, err := dialCandidate(ctx, a, id, token, opt.Clip, opt, uint64(i+1))
	if err != nil {
		out.Error = err.Error()
		return out
	}
	defer c.close()
	if err := c.waitConnected(ctx, 30*time.Second); err != nil {
		out.Error = "connect: " + err.Error()
		_, _ = a.end(context.WithoutCancel(ctx), id)
		return out
	}
	c.startVideo()
	pollCtx, stopPoll := context.WithCancel(ctx)
	var pwg sync.WaitGroup
	pwg.Add(1)
	go func() {
		defer pwg.Done()
		pollVerdict(pollCtx, a, id, c, opt.Poll, &out)
	}()
	select {
	case <-ctx.Done():
	case <-time.After(opt.Duration):
	case err := <-c.failed:
		out.Error = err.Error()
	}
	stopPoll()
	pwg.Wait()
	// End while still sending, so the end of the stream is not judged as a camera that stopped.
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, err := a.end(ectx, id); err != nil {
		log.Warn("loadgen: end interview", "err", err)
	}
	c.close()
	out.FramesSent, out.PacketsSent = c.framesSent.Load(), c.packetsSent.Load()
	out.PacketsLost, out.KeyframeRequests = c.packetsLost.Load(), c.plis.Load()
	r, err := a.report(ectx, id)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	out.FramesDecoded, out.FramesAnalyzed = r.Coverage.FramesDecoded, r.Coverage.FramesAnalyzed
	out.FramesDropped, out.VideoSeconds = r.Coverage.FramesDropped, r.Coverage.VideoSeconds
	out.CameraStatus, out.Overall = string(cameraOf(r).Status), string(r.Overall)
	return out
}

// pollVerdict reads the live report until the camera check has a verdict, recording when
// the first frame was decoded and when the verdict came, from the first frame sent.
func pollVerdict(ctx context.Context, a *api, id string, c *candidate, every time.Duration, out *Call) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		first := c.firstSent.Load()
		if first == 0 {
			continue
		}
		r, err := a.report(ctx, id)
		if err != nil {
			continue
		}
		ms := time.Since(time.Unix(0, first)).Milliseconds()
		if out.FirstDecodedMS < 0 && r.Coverage.FramesDecoded > 0 {
			out.FirstDecodedMS = ms
		}
		if st := cameraOf(r).Status; st != "" && st != report.Unknown {
			out.FirstCameraVerdictMS, out.FirstCameraStatus = ms, string(st)
			return
		}
	}
}

func cameraOf(r *report.Report) report.Check {
	for _, c := range r.Checks {
		if c.ID == report.CheckCamera {
			return c
		}
	}
	return report.Check{}
}

func total(calls []Call) Totals {
	t := Totals{Calls: len(calls)}
	var verdicts []int64
	for _, c := range calls {
		if c.Error != "" {
			t.Failed++
		}
		t.FramesSent += c.FramesSent
		t.PacketsSent += c.PacketsSent
		t.PacketsLost += c.PacketsLost
		t.KeyframeRequests += c.KeyframeRequests
		t.FramesDecoded += c.FramesDecoded
		t.FramesAnalyzed += c.FramesAnalyzed
		t.FramesDropped += c.FramesDropped
		t.VideoSeconds += c.VideoSeconds
		if c.FirstCameraVerdictMS >= 0 {
			verdicts = append(verdicts, c.FirstCameraVerdictMS)
		} else {
			t.NoCameraVerdict++
		}
	}
	if t.FramesSent > 0 {
		t.DroppedPct = pct(t.FramesDropped, t.FramesSent)
	}
	if t.FramesDecoded > 0 {
		t.AnalyzedPct = pct(t.FramesAnalyzed, t.FramesDecoded)
	}
	if len(verdicts) > 0 {
		slices.Sort(verdicts)
		t.FirstCameraVerdictMedianMS = verdicts[len(verdicts)/2]
		t.FirstCameraVerdictMaxMS = verdicts[len(verdicts)-1]
	}
	t.VideoSeconds = float64(int64(t.VideoSeconds*10+0.5)) / 10
	return t
}

func pct(a, b int64) float64 { return float64(int64(float64(a)*10000/float64(b)+0.5)) / 100 }

// Join joins interview id once as a candidate with the link token candToken, sends the clip
// for opt.Duration and hangs up without ending the interview (a candidate whose connection
// drops). It returns the frames sent.
func Join(ctx context.Context, opt Options, id, candToken string) (int64, error) {
	opt = opt.withDefaults()
	if err := checkLayers(&opt); err != nil {
		return 0, err
	}
	a := &api{base: opt.Server, token: opt.Token, hc: opt.HTTPClient}
	c, err := dialCandidate(ctx, a, id, candToken, opt.Clip, &opt, 1)
	if err != nil {
		return 0, fmt.Errorf("loadgen: %w", err)
	}
	defer c.close()
	if err := c.waitConnected(ctx, 30*time.Second); err != nil {
		return 0, fmt.Errorf("loadgen: connect: %w", err)
	}
	c.startVideo()
	select {
	case <-ctx.Done():
		return c.framesSent.Load(), ctx.Err()
	case <-time.After(opt.Duration):
	case err := <-c.failed:
		return c.framesSent.Load(), fmt.Errorf("loadgen: %w", err)
	}
	c.close()
	return c.framesSent.Load(), nil
}

// checkLayers makes sure the clips carry the temporal layers asked for.
func checkLayers(opt *Options) error {
	if opt.Layers <= 1 {
		return nil
	}
	for _, c := range []*Clip{opt.Clip, opt.Switch} {
		if c == nil {
			continue
		}
		if c.Codec != vpx.VP8 || c.Layers != opt.Layers {
			return fmt.Errorf("loadgen: %d temporal layers asked for, but the %s clip has %d (make it with --make-ivf ... --layers %d)",
				opt.Layers, c.Codec, c.Layers, opt.Layers)
		}
	}
	return nil
}
