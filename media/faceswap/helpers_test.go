package faceswap

import (
	"testing"

	"github.com/integritybot/integritybot/internal/corpustest"
	"github.com/integritybot/integritybot/media/face"
)

// newFaces returns a fresh face analyzer (default config), pigo's cascades loaded once per
// test binary (internal/corpustest), or skips the test.
func newFaces(t testing.TB) *face.Analyzer {
	t.Helper()
	return corpustest.Faces(t, face.Config{})
}

// corpusDir returns the shared corpus (../shared/corpus beside the repository, or
// $INTEGRITYBOT_CORPUS), or skips the test naming it; it also skips without ffmpeg.
func corpusDir(t testing.TB) string {
	t.Helper()
	return corpustest.Dir(t)
}
