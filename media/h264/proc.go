package h264

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// picture is one decoded I420 picture read from ffmpeg.
type picture struct {
	tag    uint64
	tagged bool
	w, h   int
	buf    []byte
}

// info is what showinfo says about one picture.
type info struct {
	tag    uint64
	tagged bool
	w, h   int
}

// proc is one running ffmpeg. Two goroutines read its stderr (showinfo lines) and stdout
// (the pictures, sized by those lines); Kill stops both.
type proc struct {
	cmd    *exec.Cmd
	stdin  *os.File
	cancel context.CancelFunc
	pics   chan picture
	pool   chan []byte
	quit   chan struct{}
	wg     sync.WaitGroup
	count  int    // pictures received by Decode
	last   uint64 // tag of the last picture received (the first tag written, before any)
	buf    []byte

	mu   sync.Mutex
	tail []string // last stderr lines that are not showinfo
	once sync.Once
}

func startProc(ctx context.Context, exe string) (*proc, error) {
	ctx, cancel := context.WithCancel(ctx)
	// -threads 1: frame threads would hold back one picture per thread. -flags low_delay: the
	// decoder otherwise holds every picture until the next access unit arrives (WebRTC's
	// H.264 has no B-frames; -fflags nobuffer must not be added, docs/pitfalls.md). -autoscale 0: a
	// new resolution mid-stream (senders ramp up) comes out at its own size. checksum=0: showinfo
	// would otherwise checksum and average every picture, doubling ffmpeg's CPU.
	cmd := exec.CommandContext(ctx, exe, "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info",
		"-threads", "1", "-flags", "low_delay", "-f", "h264", "-probesize", "32", "-analyzeduration", "0", "-i", "pipe:0",
		"-map", "0:v:0", "-an", "-fps_mode", "passthrough", "-autoscale", "0",
		"-vf", "format=yuv420p,showinfo=checksum=0", "-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1")
	cmd.WaitDelay = time.Second
	inR, inW, err := os.Pipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("h264: start ffmpeg: %w", err)
	}
	cmd.Stdin = inR
	stdout, err1 := cmd.StdoutPipe()
	stderr, err2 := cmd.StderrPipe()
	if err := errors.Join(err1, err2); err != nil {
		cancel()
		inR.Close()
		inW.Close()
		return nil, fmt.Errorf("h264: start ffmpeg: %w", err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		inR.Close()
		inW.Close()
		return nil, fmt.Errorf("h264: start ffmpeg: %w", err)
	}
	inR.Close() // the child has its copy
	p := &proc{
		cmd: cmd, stdin: inW, cancel: cancel, pics: make(chan picture, 4),
		pool: make(chan []byte, 6), quit: make(chan struct{}),
	}
	infos := make(chan info, 16)
	p.wg.Add(2)
	go p.readStderr(stderr, infos)
	go p.readStdout(stdout, infos)
	return p, nil
}

// write sends one tagged access unit and a delimiter. A write that cannot finish within
// timeout means ffmpeg stopped reading.
func (p *proc) write(tag uint64, au []byte, timeout time.Duration) error {
	p.buf = seiTag(p.buf[:0], tag)
	p.buf = append(p.buf, au...)
	p.buf = append(p.buf, aud...)
	if err := p.stdin.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	_, err := p.stdin.Write(p.buf)
	return err
}

func (p *proc) free(b []byte) {
	select {
	case p.pool <- b:
	default:
	}
}

func (p *proc) alloc(n int) []byte {
	select {
	case b := <-p.pool:
		if cap(b) >= n {
			return b[:n]
		}
	default:
	}
	return make([]byte, n)
}

// readStdout reads one picture for each showinfo description.
func (p *proc) readStdout(stdout io.Reader, infos <-chan info) {
	defer p.wg.Done()
	defer close(p.pics)
	r := bufio.NewReaderSize(stdout, 1<<16)
	for in := range infos {
		cw, ch := (in.w+1)/2, (in.h+1)/2
		buf := p.alloc(in.w*in.h + 2*cw*ch)
		if _, err := io.ReadFull(r, buf); err != nil {
			p.note("short picture: " + err.Error())
			return
		}
		select {
		case p.pics <- picture{tag: in.tag, tagged: in.tagged, w: in.w, h: in.h, buf: buf}:
		case <-p.quit:
			return
		}
	}
}

// readStderr turns showinfo's lines into picture descriptions; a picture's tag is the
// "User Data=" line after our UUID, which showinfo prints before the picture goes out.
func (p *proc) readStderr(stderr io.Reader, infos chan<- info) {
	defer p.wg.Done()
	defer close(infos)
	var (
		pending *info
		ours    bool
	)
	send := func() bool {
		if pending == nil {
			return true
		}
		in := *pending
		pending = nil
		select {
		case infos <- in:
			return true
		case <-p.quit:
			return false
		}
	}
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 4096), 1<<16)
	for sc.Scan() {
		line := sc.Text()
		_, rest, isInfo := strings.Cut(line, "[Parsed_showinfo")
		if !isInfo {
			p.note(line)
			continue
		}
		switch {
		case strings.Contains(rest, " n:"):
			if !send() {
				return
			}
			w, h, ok := pictureSize(rest)
			if !ok {
				p.note("unreadable picture size: " + line)
				return
			}
			pending, ours = &info{w: w, h: h}, false
		case strings.Contains(rest, "UUID="+tagUUIDText):
			ours = true
		case ours && pending != nil && strings.Contains(rest, "User Data="):
			_, data, _ := strings.Cut(rest, "User Data=")
			if tag, ok := parseTag(strings.TrimSpace(data)); ok {
				pending.tag, pending.tagged = tag, true
			}
			ours = false
			if !send() {
				return
			}
		}
	}
	send()
}

// pictureSize reads "s:640x480" from a showinfo line.
func pictureSize(line string) (w, h int, ok bool) {
	for _, f := range strings.Fields(line) {
		ws, hs, found := strings.Cut(strings.TrimPrefix(f, "s:"), "x")
		if !found || !strings.HasPrefix(f, "s:") {
			continue
		}
		w, err1 := strconv.Atoi(ws)
		h, err2 := strconv.Atoi(hs)
		if err1 != nil || err2 != nil || w <= 0 || h <= 0 || w > MaxDimension || h > MaxDimension {
			return 0, 0, false
		}
		return w, h, true
	}
	return 0, 0, false
}

// parseTag decodes the 16 hex digits (as hex bytes) of our SEI payload.
func parseTag(s string) (uint64, bool) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b), 16, 64)
	return v, err == nil
}

func (p *proc) note(line string) {
	line = strings.TrimSpace(line)
	if line == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.tail) == 8 {
		p.tail = p.tail[1:]
	}
	p.tail = append(p.tail, line)
}

// kill stops ffmpeg, reaps it and returns its last words.
func (p *proc) kill() string {
	p.once.Do(func() {
		close(p.quit)
		p.stdin.Close()
		p.cancel()
		p.wg.Wait()
		_ = p.cmd.Wait()
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.tail) - 1; i >= 0; i-- {
		l := p.tail[i]
		if strings.Contains(l, "rror") || strings.Contains(l, "nvalid") || strings.Contains(l, "not") {
			return l
		}
	}
	if len(p.tail) > 0 {
		return p.tail[len(p.tail)-1]
	}
	return ""
}
