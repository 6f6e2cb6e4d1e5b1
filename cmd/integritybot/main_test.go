package main

import (
	"errors"
	"os"
	"testing"

	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/corpustest"
	"github.com/integritybot/integritybot/media/face"
)

// TestMain lets a clone tested with plain go test, without make cascades (which embeds
// pigo's cascades), run the commands with face detection: it points INTEGRITYBOT_CASCADE_DIR
// at the pigo module's cascades, as an operator of such a binary would.
func TestMain(m *testing.M) {
	if _, err := face.New(face.Config{}); errors.Is(err, face.ErrNoCascades) && os.Getenv(config.EnvCascadeDir) == "" {
		if dir, err := corpustest.PigoCascadeDir(); err == nil {
			os.Setenv(config.EnvCascadeDir, dir)
		}
	}
	os.Exit(m.Run())
}
