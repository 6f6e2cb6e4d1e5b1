// Package ffmpeg reads any video ffmpeg can decode (MP4, WebM, MKV, MPEG, GIF, ...) by
// running ffmpeg as a subprocess that writes raw I420 frames to a pipe.
//
// Timestamps are the file's own: ffmpeg runs with -fps_mode passthrough (never
// duplicating or dropping frames; docs/pitfalls.md: a 1/90000 time base otherwise made
// ffmpeg emit 90,000 fps) and the showinfo filter, the last in the chain, logs each
// frame's pts_time and size on stderr before the frame is written to stdout. Reading one
// showinfo line and then exactly that frame's bytes keeps the two in step. ffmpeg's raw
// output keeps the first frame's size: after a resolution change mid-stream, frames come
// scaled to it (Rescaled counts them; the native IVF reader keeps real sizes). Chroma planes of odd sizes are (w+1)/2 wide,
// as ffmpeg's rawvideo writes them.
package ffmpeg

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/integritybot/integritybot/media"
)

// Options tune Open.
type Options struct {
	// Binary is the ffmpeg executable (default "ffmpeg" on PATH).
	Binary string
}

// ErrNotFound is wrapped when the ffmpeg executable cannot be found.
var ErrNotFound = errors.New("ffmpeg not found")

// maxDimension guards the frame buffer against nonsense sizes.
const maxDimension = 16384

// frameInfo is what showinfo says about one frame.
type frameInfo struct {
	pts      time.Duration
	hasPTS   bool
	w, h     int
	duration time.Duration // showinfo's duration_time, when printed
}

// Reader is a media.Source backed by an ffmpeg process.
type Reader struct {
	name   string
	cmd    *exec.Cmd
	stdout *bufio.Reader
	pipe   io.ReadCloser
	cancel context.CancelFunc
	infos  chan frameInfo
	done   chan struct{} // closed when stderr is fully read
	quit   chan struct{} // closed by Close: stop handing out frame infos
	info   media.SourceInfo

	mu   sync.Mutex
	tail []string // last stderr lines that are not showinfo, for error messages

	frame     media.Frame
	buf       []byte
	n         int
	rescaled  int // frames ffmpeg scaled to the first frame's size
	first     time.Duration
	last      time.Duration
	pending   *frameInfo
	err       error
	closeOnce sync.Once
	quitOnce  sync.Once
	waitErr   error
}

var _ media.Source = (*Reader)(nil)

// Open starts ffmpeg on path and waits for the first frame's description. The process
// is killed when ctx ends or on Close.
func Open(ctx context.Context, path string, opt Options) (*Reader, error) {
	bin := opt.Binary
	if bin == "" {
		bin = "ffmpeg"
	}
	exe, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("%w: install it (apt-get install ffmpeg) to read %s", ErrNotFound, path)
	}
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, exe, "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info",
		"-i", path, "-map", "0:v:0", "-an", "-sn", "-dn",
		"-fps_mode", "passthrough", "-vf", "format=yuv420p,showinfo",
		"-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1")
	cmd.WaitDelay = 2 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("ffmpeg: %s: %w", path, err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("ffmpeg: %s: %w", path, err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("ffmpeg: %s: start: %w", path, err)
	}
	r := &Reader{
		name: path, cmd: cmd, pipe: stdout, stdout: bufio.NewReaderSize(stdout, 1<<20), cancel: cancel,
		infos: make(chan frameInfo, 1024), done: make(chan struct{}), quit: make(chan struct{}),
		info: media.SourceInfo{Name: path, Format: "ffmpeg"},
	}
	header := make(chan media.SourceInfo, 1)
	go r.readStderr(stderr, header)
	// The header lines come before the first showinfo line.
	select {
	case in := <-header:
		r.info.Duration, r.info.FPS, r.info.Format = in.Duration, in.FPS, in.Format
	case <-ctx.Done():
	}
	fi, err := r.nextInfo()
	if err != nil {
		r.Close()
		return nil, err
	}
	r.pending = &fi
	r.info.Width, r.info.Height = fi.w, fi.h
	return r, nil
}

// readStderr parses ffmpeg's log: the input header (duration, codec, frame rate), one
// showinfo line per frame, and keeps other lines for error messages.
func (r *Reader) readStderr(stderr io.Reader, header chan<- media.SourceInfo) {
	defer close(r.done)
	defer close(r.infos)
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	sc.Split(scanLines)
	var in media.SourceInfo
	sentHeader := false
	sendHeader := func() {
		if !sentHeader {
			header <- in
			sentHeader = true
		}
	}
	defer sendHeader()
	for sc.Scan() {
		line := sc.Text()
		if fi, ok := parseShowinfo(line); ok {
			sendHeader()
			select {
			case r.infos <- fi:
			case <-r.quit:
			}
			continue
		}
		if strings.Contains(line, "[Parsed_showinfo") {
			continue // side data, colour details, config lines
		}
		parseHeaderLine(line, &in)
		r.mu.Lock()
		r.tail = append(r.tail, strings.TrimSpace(line))
		if len(r.tail) > 8 {
			r.tail = r.tail[1:]
		}
		r.mu.Unlock()
	}
	_, _ = io.Copy(io.Discard, stderr)
}

// scanLines splits on \n or \r (ffmpeg ends progress lines with \r).
func scanLines(data []byte, atEOF bool) (int, []byte, error) {
	for i, b := range data {
		if b == '\n' || b == '\r' {
			return i + 1, data[:i], nil
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// parseHeaderLine picks the duration, codec and frame rate from ffmpeg's input description.
func parseHeaderLine(line string, in *media.SourceInfo) {
	line = strings.TrimSpace(line)
	if rest, ok := strings.CutPrefix(line, "Duration: "); ok {
		d, _, _ := strings.Cut(rest, ",")
		if t, err := parseClock(d); err == nil {
			in.Duration = t
		}
		return
	}
	if in.Format != "" || !strings.HasPrefix(line, "Stream #0:") {
		return
	}
	_, v, ok := strings.Cut(line, "Video: ")
	if !ok {
		return
	}
	codec, _, _ := strings.Cut(v, " ")
	in.Format = "ffmpeg/" + strings.TrimSuffix(codec, ",")
	for _, part := range strings.Split(v, ", ") {
		if f, ok := strings.CutSuffix(part, " fps"); ok {
			in.FPS, _ = strconv.ParseFloat(f, 64)
		}
	}
}

// parseClock parses "HH:MM:SS.xx".
func parseClock(s string) (time.Duration, error) {
	p := strings.Split(s, ":")
	if len(p) != 3 {
		return 0, errors.New("not a clock")
	}
	h, err1 := strconv.Atoi(p[0])
	m, err2 := strconv.Atoi(p[1])
	sec, err3 := strconv.ParseFloat(p[2], 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return 0, err
	}
	return time.Duration((float64(h*3600+m*60) + sec) * float64(time.Second)), nil
}

// parseShowinfo parses "[Parsed_showinfo_1 @ 0x…] n:   3 pts:  10800 pts_time:0.12 … s:360x288 …".
func parseShowinfo(line string) (frameInfo, bool) {
	i := strings.Index(line, "[Parsed_showinfo")
	if i < 0 {
		return frameInfo{}, false
	}
	_, rest, ok := strings.Cut(line[i:], "] ")
	if !ok || !strings.HasPrefix(strings.TrimSpace(rest), "n:") {
		return frameInfo{}, false
	}
	var fi frameInfo
	haveSize := false
	for _, f := range strings.Fields(rest) {
		k, v, ok := strings.Cut(f, ":")
		if !ok {
			continue
		}
		switch k {
		case "pts_time":
			if t, err := strconv.ParseFloat(v, 64); err == nil && t > -1e6 && t < 1e7 {
				fi.pts, fi.hasPTS = time.Duration(t*float64(time.Second)), true
			}
		case "duration_time":
			if t, err := strconv.ParseFloat(v, 64); err == nil && t > 0 && t < 1e4 {
				fi.duration = time.Duration(t * float64(time.Second))
			}
		case "s":
			ws, hs, ok := strings.Cut(v, "x")
			w, err1 := strconv.Atoi(ws)
			h, err2 := strconv.Atoi(hs)
			if ok && err1 == nil && err2 == nil && w > 0 && h > 0 && w <= maxDimension && h <= maxDimension {
				fi.w, fi.h, haveSize = w, h, true
			}
		}
	}
	return fi, haveSize
}

// nextInfo waits for the next showinfo line. When ffmpeg ends without one, it returns
// io.EOF after at least one frame, else an error with ffmpeg's own last words.
func (r *Reader) nextInfo() (frameInfo, error) {
	fi, ok := <-r.infos
	if ok {
		return fi, nil
	}
	werr := r.wait()
	if werr == nil && r.n > 0 {
		return frameInfo{}, io.EOF
	}
	msg := r.lastWords()
	switch {
	case werr != nil && msg != "":
		return frameInfo{}, fmt.Errorf("ffmpeg: %s: %s", r.name, msg)
	case werr != nil:
		return frameInfo{}, fmt.Errorf("ffmpeg: %s: %w", r.name, werr)
	case r.n == 0:
		return frameInfo{}, fmt.Errorf("ffmpeg: %s: no video frames in the file", r.name)
	}
	return frameInfo{}, io.EOF
}

// lastWords returns the most telling line of ffmpeg's log: the last one that is not
// the generic "Conversion failed!".
func (r *Reader) lastWords() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.tail) - 1; i >= 0; i-- {
		l := r.tail[i]
		if l == "" || l == "Conversion failed!" || strings.HasPrefix(l, "frame=") {
			continue
		}
		// "/path/x.mp4: Invalid data found when processing input" → drop the repeated path.
		return strings.TrimPrefix(l, r.name+": ")
	}
	return ""
}

// wait reaps the process once (after stderr is drained) and returns how it ended.
func (r *Reader) wait() error {
	r.closeOnce.Do(func() {
		<-r.done
		r.waitErr = r.cmd.Wait()
		r.cancel()
	})
	return r.waitErr
}

// Info describes the input as ffmpeg reported it.
func (r *Reader) Info() media.SourceInfo { return r.info }

// Next returns the next frame or io.EOF.
func (r *Reader) Next() (*media.Frame, error) {
	if r.err != nil {
		return nil, r.err
	}
	f, err := r.next()
	if err != nil {
		r.err = err
		return nil, err
	}
	return f, nil
}

func (r *Reader) next() (*media.Frame, error) {
	var fi frameInfo
	if r.pending != nil {
		fi, r.pending = *r.pending, nil
	} else {
		var err error
		if fi, err = r.nextInfo(); err != nil {
			return nil, err
		}
	}
	// ffmpeg sizes its rawvideo output once, from the first frame, and scales later
	// frames of another size to it (a resolution switch mid-stream); showinfo, before
	// that scaler, reports the decoded size. So every frame has the first frame's size.
	w, h := r.info.Width, r.info.Height
	if w == 0 {
		w, h = fi.w, fi.h
	}
	if fi.w != w || fi.h != h {
		r.rescaled++
	}
	cw, ch := (w+1)/2, (h+1)/2
	ySize, cSize := w*h, cw*ch
	size := ySize + 2*cSize
	if cap(r.buf) < size {
		r.buf = make([]byte, size)
	}
	r.buf = r.buf[:size]
	if n, err := io.ReadFull(r.stdout, r.buf); err != nil {
		if werr := r.wait(); werr != nil {
			if msg := r.lastWords(); msg != "" {
				return nil, fmt.Errorf("ffmpeg: %s: frame %d: %s", r.name, r.n, msg)
			}
			return nil, fmt.Errorf("ffmpeg: %s: frame %d: %w", r.name, r.n, werr)
		}
		return nil, fmt.Errorf("ffmpeg: %s: frame %d: got %d of %d bytes from ffmpeg", r.name, r.n, n, size)
	}
	r.frame = media.Frame{
		PTS: r.pts(fi), Width: w, Height: h, YStride: w, UVStride: cw,
		Y: r.buf[:ySize], U: r.buf[ySize : ySize+cSize], V: r.buf[ySize+cSize:],
	}
	r.n++
	return &r.frame, nil
}

// pts returns the frame's time from the first frame, never going back; a frame without
// a timestamp is placed one nominal frame after the previous one.
func (r *Reader) pts(fi frameInfo) time.Duration {
	if r.n == 0 {
		r.first = fi.pts
		r.last = 0
		return 0
	}
	t := fi.pts - r.first
	if !fi.hasPTS {
		step := fi.duration
		if step <= 0 && r.info.FPS > 0 {
			step = time.Duration(float64(time.Second) / r.info.FPS)
		}
		t = r.last + step
	}
	t = max(t, r.last)
	r.last = t
	return t
}

// Rescaled returns how many frames so far were decoded at another size than the first
// and scaled to it by ffmpeg.
func (r *Reader) Rescaled() int { return r.rescaled }

// Frames returns how many frames were read so far.
func (r *Reader) Frames() int { return r.n }

// Close kills ffmpeg if it still runs and reaps it. It is safe to call more than once.
func (r *Reader) Close() error {
	r.quitOnce.Do(func() { close(r.quit) })
	r.cancel() // CommandContext kills the process
	_ = r.pipe.Close()
	_ = r.wait()
	if r.err == nil {
		r.err = errors.New("ffmpeg: reader closed")
	}
	return nil
}
