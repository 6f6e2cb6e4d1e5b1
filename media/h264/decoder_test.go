package h264

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func newDecoder(t testing.TB, opt Options) *Decoder {
	t.Helper()
	needFFmpeg(t)
	d, err := NewDecoder(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// TestDecodeCorpus decodes H.264 made by ffmpeg from the corpus's genuine clips: pictures in
// order, each with its own access unit's pts (never ahead of the access unit just given), the
// right size, a plausible picture. A picture that ffmpeg hands over late may be overtaken by a
// newer one (the decoder keeps up with the call rather than queueing), so on a loaded machine
// some are skipped; how many depends on the machine and is logged, not asserted.
func TestDecodeCorpus(t *testing.T) {
	clips, _ := filepath.Glob(filepath.Join(corpusDir(t), "genuine", "*.mp4"))
	if len(clips) == 0 {
		t.Skip("no genuine/*.mp4 clips in the corpus")
	}
	if testing.Short() {
		clips = clips[:1]
	}
	for _, clip := range clips[:min(len(clips), 4)] {
		t.Run(filepath.Base(clip), func(t *testing.T) {
			d := newDecoder(t, Options{})
			aus := encode(t, 20, 10, "640:480", "-i", clip)
			next, delivered := 0, 0 // the earliest picture expected next; pictures seen
			for i, au := range aus {
				f, err := d.Decode(au, time.Duration(i)*time.Second/30)
				if err != nil {
					t.Fatalf("access unit %d: %v", i, err)
				}
				if f == nil {
					continue
				}
				k := int((f.PTS*30 + time.Second/2) / time.Second) // the picture's access unit
				if f.Width != 640 || f.Height != 480 || f.PTS != time.Duration(k)*time.Second/30 || k < next || k > i {
					t.Fatalf("access unit %d: %dx%d pts %v, want a later picture than %d, at most %d", i, f.Width, f.Height, f.PTS, next-1, i)
				}
				if m := mean(f.Y); m < 5 || m > 250 {
					t.Errorf("access unit %d: mean luma %.0f", i, m)
				}
				delivered++
				next = k + 1
			}
			if delivered == 0 {
				t.Fatalf("no picture from %d access units", len(aus))
			}
			t.Logf("%d pictures from %d access units (%d overtaken or held back)", delivered, len(aus), len(aus)-delivered)
			if d.Starts() != 1 {
				t.Errorf("ffmpeg started %d times", d.Starts())
			}
		})
	}
}

// TestResolutionChange: a sender that ramps up sends a new IDR at a new size; pictures come
// at their own size, not scaled to the first.
func TestResolutionChange(t *testing.T) {
	small := encode(t, 5, 5, "320:240", testsrc("30")...)
	large := encode(t, 5, 5, "640:480", testsrc("30")...)
	d := newDecoder(t, Options{})
	seen := map[int]int{} // pictures by width
	for i, au := range append(small, large...) {
		f, err := d.Decode(au, time.Duration(i)*time.Millisecond)
		if err != nil {
			t.Fatalf("access unit %d: %v", i, err)
		}
		if f == nil {
			continue
		}
		seen[f.Width]++
		want := 320
		if int(f.PTS/time.Millisecond) >= len(small) {
			want = 640
		}
		if f.Width != want {
			t.Errorf("picture at %v: width %d, want %d", f.PTS, f.Width, want)
		}
	}
	// Late pictures may be overtaken on a loaded machine: what must hold is pictures at both
	// sizes, each at its own.
	if seen[320] == 0 || seen[640] == 0 {
		t.Errorf("pictures by width %v, want both sizes", seen)
	}
}

// TestDecodeGarbage feeds malformed access units: no hang, no crash, clear errors, and the
// next good IDR decodes again.
func TestDecodeGarbage(t *testing.T) {
	good := encode(t, 10, 5, "640:480", testsrc("30")...)
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	fakeIDR := append([]byte{0, 0, 0, 1, 0x65}, random(3000)...)
	tests := []struct {
		name string
		bad  [][]byte
		// startBad: the garbage comes before any good data.
		startBad bool
	}{
		{name: "random bytes", bad: [][]byte{random(100), random(5000)}},
		{name: "random IDR first", bad: [][]byte{fakeIDR}, startBad: true},
		{name: "random IDR mid-stream", bad: [][]byte{fakeIDR, fakeIDR}},
		{name: "truncated access units", bad: [][]byte{good[1][:len(good[1])/2], good[2][:7], good[3][:1]}},
		{name: "truncated IDR", bad: [][]byte{good[0][:len(good[0])/3]}},
		{name: "start codes only", bad: [][]byte{{0, 0, 1, 0, 0, 1, 0, 0, 0, 1}}},
		{name: "SPS with garbage", bad: [][]byte{append([]byte{0, 0, 0, 1, 0x67}, random(40)...)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A second per access unit: garbage gives no picture, so each bad unit waits it out;
			// good units return as soon as their picture comes.
			d := newDecoder(t, Options{FrameTimeout: time.Second})
			pictures := 0
			decode := func(au []byte) error {
				t.Helper()
				start := time.Now()
				f, err := d.Decode(au, 0)
				if el := time.Since(start); el > time.Minute { // a hang, not a slow machine
					t.Fatalf("Decode took %v", el)
				}
				if f != nil {
					pictures++
				}
				return err
			}
			if !tt.startBad {
				for _, au := range good[:5] {
					if err := decode(au); err != nil {
						t.Fatalf("good access unit: %v", err)
					}
				}
			}
			for _, au := range tt.bad {
				if err := decode(au); err != nil && err.Error() == "" {
					t.Error("empty error message")
				}
			}
			// Recovery: the next IDR (good[5]) and what follows decode, perhaps after a
			// restart that the first IDR triggers. Late pictures may be overtaken by newer ones
			// on a loaded machine, so recovery is a picture after it and no error at the end.
			var err error
			pictures = 0
			for _, au := range good[5:] {
				err = decode(au)
			}
			if err != nil || pictures < 1 {
				t.Errorf("after recovery: %d pictures, last error %v", pictures, err)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	d := newDecoder(t, Options{})
	good := encode(t, 2, 2, "320:240", testsrc("30")...)
	if _, err := d.Decode(good[1], 0); !errors.Is(err, ErrNeedKeyframe) {
		t.Errorf("P frame first: %v, want ErrNeedKeyframe", err)
	}
	if d.Starts() != 0 {
		t.Errorf("a P frame started ffmpeg")
	}
	if _, err := d.Decode(nil, 0); err == nil {
		t.Error("empty access unit: no error")
	}
	if _, err := d.Decode(good[0], 0); err != nil {
		t.Fatal(err)
	}
	p := d.p
	d.Close()
	if p.cmd.ProcessState == nil {
		t.Error("ffmpeg not reaped after Close")
	}
	if _, err := d.Decode(good[0], 0); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	if _, err := NewDecoder(Options{Binary: "no-such-ffmpeg"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing binary: %v", err)
	}
}

func TestSEITag(t *testing.T) {
	for _, tag := range []uint64{0, 1, 0xabc, 1<<64 - 1} {
		sei := seiTag(nil, tag)
		var payload []byte
		NALUnits(sei, func(nal []byte) bool { payload = nal; return false })
		if payload[0] != naluSEI || int(payload[2]) != len(payload)-4 {
			t.Fatalf("tag %d: bad SEI %x", tag, payload)
		}
		hexText := []byte{}
		for _, c := range payload[3+16 : len(payload)-1] {
			hexText = append(hexText, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		}
		if got, ok := parseTag(string(hexText)); !ok || got != tag {
			t.Errorf("tag %d: parsed %d %v", tag, got, ok)
		}
	}
}

func mean(b []byte) float64 {
	s := 0
	for _, v := range b {
		s += int(v)
	}
	return float64(s) / float64(len(b))
}

// BenchmarkDecode is the cost per 640×480 frame through ffmpeg's pipes (encoding not
// included), as a caller sees it.
func BenchmarkDecode(b *testing.B) {
	aus := encode(b, 60, 30, "640:480", testsrc("30")...)
	d := newDecoder(b, Options{})
	if _, err := d.Decode(aus[0], 0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	ffBefore, goBefore := procCPU(b, d.p.cmd.Process.Pid), selfCPU()
	b.ResetTimer()
	for i := range b.N {
		if _, err := d.Decode(aus[(i+1)%len(aus)], time.Duration(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(procCPU(b, d.p.cmd.Process.Pid)-ffBefore)/n/1e6, "ffmpeg-cpu-ms/frame")
	b.ReportMetric(float64(selfCPU()-goBefore)/n/1e6, "go-cpu-ms/frame")
}

// procCPU is the user+system CPU time of process pid (Linux /proc).
func procCPU(tb testing.TB, pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		tb.Skip("no /proc")
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
