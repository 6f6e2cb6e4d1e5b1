// Package corpustest is what tests that read the shared corpus ($INTEGRITYBOT_CORPUS, else
// ../shared/corpus beside the repository; scripts/fetch-corpus.sh fetches it) have in
// common: finding it or skipping, decoding its clips, and a face check with pigo's cascades. It is a normal package so tests of several packages can import it,
// but it is for tests only: every function takes a testing.TB and fails or skips through it.
// Media tests import it, so it obeys media's dependency rule (cmd/integritybot/deps_test.go).
package corpustest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/corpus"
	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/face"
	"github.com/integritybot/integritybot/media/file"
)

// Env names the variable that points at the corpus (the directory holding labels.csv)
// instead of ../shared/corpus.
const Env = corpus.Env

// Root returns the shared corpus ($INTEGRITYBOT_CORPUS, else ../shared/corpus beside the
// repository, as a path relative to the test's package directory), or skips the test with
// one line naming the variable and scripts/fetch-corpus.sh (internal/corpus).
func Root(t testing.TB) string {
	t.Helper()
	dir, err := corpus.Dir()
	if err != nil {
		t.Skip(err)
	}
	return dir
}

// Dir is Root for tests that decode the corpus's clips (MP4, MPEG, WebM): it also skips
// when ffmpeg is not installed.
func Dir(t testing.TB) string {
	t.Helper()
	dir := Root(t)
	NeedTools(t, "ffmpeg")
	return dir
}

// NeedTools skips the test when one of the named programs is not on PATH.
func NeedTools(t testing.TB, names ...string) {
	t.Helper()
	for _, p := range names {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s not installed (make deps-test installs it)", p)
		}
	}
}

// Open opens the recording at path with media/file (ffmpeg for the corpus's clips, with
// their own timestamps) or fails the test. The caller closes it.
func Open(t testing.TB, path string) media.Source {
	t.Helper()
	src, err := file.Open(context.Background(), path, file.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// EachFrame calls fn with each frame of the recording at path up to limit of media time
// (the whole recording when limit is 0 or less). The frame is only valid during the call.
func EachFrame(t testing.TB, path string, limit time.Duration, fn func(*media.Frame)) {
	t.Helper()
	src := Open(t, path)
	defer src.Close()
	for {
		f, err := src.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if limit > 0 && f.PTS > limit {
			return
		}
		fn(f)
	}
}

// Frames returns copies of the frames of the recording at path up to limit (all when
// limit is 0 or less), failing the test when there are none.
func Frames(t testing.TB, path string, limit time.Duration) []*media.Frame {
	t.Helper()
	var fs []*media.Frame
	EachFrame(t, path, limit, func(f *media.Frame) { fs = append(fs, f.Clone()) })
	if len(fs) == 0 {
		t.Fatalf("%s: no frames", path)
	}
	return fs
}

type loaded struct {
	a   *face.Analyzer
	err error
}

// protos holds each config's loaded check: package-level on purpose (a test binary loads
// the cascades once per config, as the per-package copies this replaced each did).
var (
	protosMu sync.Mutex
	protos   = map[face.Config]loaded{}
)

// NewFaces returns a fresh face check with cfg, its cascades loaded once per test binary
// and cfg: the copy embedded by `make cascades`, else the pigo module's (a clone tested
// with plain go test). The error says why neither loaded.
func NewFaces(cfg face.Config) (*face.Analyzer, error) {
	protosMu.Lock()
	defer protosMu.Unlock()
	p, ok := protos[cfg]
	if !ok {
		p.a, p.err = face.New(cfg)
		if errors.Is(p.err, face.ErrNoCascades) && cfg.CascadeDir == "" {
			if dir, err := PigoCascadeDir(); err == nil {
				c := cfg
				c.CascadeDir = dir
				p.a, p.err = face.New(c)
			}
		}
		protos[cfg] = p
	}
	if p.err != nil {
		return nil, p.err
	}
	return p.a.Fresh(), nil
}

// PigoCascadeDir returns the cascade directory of the pigo module go.mod names, from the
// module cache (`go list -m`): what a clone tested with plain go test, without make
// cascades, loads instead of the embedded copy.
func PigoCascadeDir() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/esimov/pigo").Output()
	if err != nil {
		return "", fmt.Errorf("go list -m github.com/esimov/pigo: %w", err)
	}
	dir := string(bytes.TrimSpace(out))
	if dir == "" {
		return "", errors.New("go list -m github.com/esimov/pigo: not downloaded (go mod download)")
	}
	return filepath.Join(dir, "cascade"), nil
}

// Faces is NewFaces for tests that need the face check: it skips the test when the
// cascades cannot be loaded.
func Faces(t testing.TB, cfg face.Config) *face.Analyzer {
	t.Helper()
	fa, err := NewFaces(cfg)
	if err != nil {
		t.Skipf("face cascades unavailable: %v", err)
	}
	return fa
}
