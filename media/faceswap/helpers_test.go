package faceswap

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/integritybot/integritybot/media/face"
)

var (
	protoOnce sync.Once
	proto     *face.Analyzer
	protoErr  error
)

// newFaces returns a fresh face analyzer (default config), loading pigo's cascades once per
// test binary: from the embedded copy, else from the pigo module (a clone built without make).
func newFaces(t testing.TB) *face.Analyzer {
	t.Helper()
	protoOnce.Do(func() {
		proto, protoErr = face.New(face.Config{})
		if errors.Is(protoErr, face.ErrNoCascades) {
			out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/esimov/pigo").Output()
			if err != nil || len(bytes.TrimSpace(out)) == 0 {
				return
			}
			proto, protoErr = face.New(face.Config{CascadeDir: filepath.Join(string(bytes.TrimSpace(out)), "cascade")})
		}
	})
	if protoErr != nil {
		t.Skipf("face cascades unavailable: %v", protoErr)
	}
	return proto.Fresh()
}

// corpusDir returns the shared corpus (../shared/corpus beside the repository, or
// $INTEGRITYBOT_CORPUS), or skips the test naming it.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("INTEGRITYBOT_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	if _, err := os.Stat(filepath.Join(dir, "labels.csv")); err != nil {
		t.Skipf("corpus not found at %s (set INTEGRITYBOT_CORPUS to the directory holding labels.csv)", dir)
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed (make deps-test installs it)")
	}
	return dir
}
