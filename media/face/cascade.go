package face

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	pigo "github.com/esimov/pigo/core"
)

// Why the cascades are copied at build time and not committed: they are 8 MB of binary
// files that go.sum already pins and verifies inside the pigo module; copying them from the
// module cache (make cascades) keeps them at exactly the version go.mod names, with no blobs
// in our history. The directory always holds a committed README.md, so a fresh clone still
// compiles, vets and tests with plain `go` commands: New then reports ErrNoCascades (the
// face check says "unknown" with that reason), and the tests read the cascades straight
// from the module cache through Config.CascadeDir.
//
//go:embed cascade
var embedded embed.FS

// ErrNoCascades is returned by New when pigo's cascade files are neither embedded (make
// cascades was not run before go build) nor found in Config.CascadeDir.
var ErrNoCascades = errors.New("face cascades missing: run make cascades (or set face.cascade_dir or INTEGRITYBOT_CASCADE_DIR)")

// Landmark cascades (pigo's cascade/lps) in the order of Detection.Landmarks; each eye
// cascade runs once per side (the right side mirrored), the mouth ones as pigo's own
// facial_landmark example runs them.
var (
	eyeLandmarks   = []string{"lp46", "lp44", "lp42", "lp38", "lp312"}
	mouthLandmarks = []string{"lp93", "lp84", "lp82", "lp81"}
)

// NumLandmarks is the number of points in Detection.Landmarks: two per eye cascade (left,
// right), one per mouth cascade and the mirrored lp84 (the other mouth corner).
const NumLandmarks = 2*5 + 4 + 1

// cascades holds the unpacked classifiers. They are read-only after loading and may be
// shared by all analyzers of a process.
type cascades struct {
	face  *pigo.Pigo
	pupil *pigo.PuplocCascade
	lps   map[string]*pigo.PuplocCascade // nil when landmarks are off
}

// unpacked holds the cascades each source gave, so a process unpacks them once however
// many analyzers it makes: New runs for every joined call. A failed load is not kept, so
// the next New tries again.
var unpacked struct {
	mu sync.Mutex
	m  map[cascadeSource]*cascades
}

type cascadeSource struct {
	dir       string
	landmarks bool
}

// sharedCascades returns the cascades of dir (the embedded copy when dir is ""), unpacking
// them on first use.
func sharedCascades(dir string, landmarks bool) (*cascades, error) {
	src := cascadeSource{dir, landmarks}
	unpacked.mu.Lock()
	defer unpacked.mu.Unlock()
	if c, ok := unpacked.m[src]; ok {
		return c, nil
	}
	c, err := loadCascades(dir, landmarks)
	if err != nil {
		return nil, err
	}
	if unpacked.m == nil {
		unpacked.m = make(map[cascadeSource]*cascades)
	}
	unpacked.m[src] = c
	return c, nil
}

// loadCascades reads the cascades from dir, or from the embedded copy when dir is "".
func loadCascades(dir string, landmarks bool) (*cascades, error) {
	var fsys fs.FS
	if dir != "" {
		fsys = os.DirFS(dir)
	} else {
		sub, err := fs.Sub(embedded, "cascade")
		if err != nil {
			return nil, fmt.Errorf("face: load cascades: %w", err)
		}
		fsys = sub
	}
	read := func(name string) ([]byte, error) {
		b, err := fs.ReadFile(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			if dir != "" {
				return nil, fmt.Errorf("face: load cascades: %s has no %s: %w", dir, name, ErrNoCascades)
			}
			return nil, ErrNoCascades
		}
		if err != nil {
			return nil, fmt.Errorf("face: load cascades: %w", err)
		}
		return b, nil
	}
	b, err := read("facefinder")
	if err != nil {
		return nil, err
	}
	c := &cascades{}
	if c.face, err = unpackFace(b); err != nil {
		return nil, err
	}
	if b, err = read("puploc"); err != nil {
		return nil, err
	}
	if c.pupil, err = unpackPuploc("puploc", b); err != nil {
		return nil, err
	}
	if !landmarks {
		return c, nil
	}
	c.lps = make(map[string]*pigo.PuplocCascade)
	for _, n := range append(append([]string{}, eyeLandmarks...), mouthLandmarks...) {
		if b, err = read("lps/" + n); err != nil {
			return nil, err
		}
		if c.lps[n], err = unpackPuploc(n, b); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// unpackFace unpacks facefinder. pigo does not check lengths, so a truncated file would
// panic inside Unpack: recover and report it as corrupt.
func unpackFace(b []byte) (p *pigo.Pigo, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("face: facefinder cascade is corrupt (%d bytes)", len(b))
		}
	}()
	if len(b) < 16 {
		return nil, fmt.Errorf("face: facefinder cascade is corrupt (%d bytes)", len(b))
	}
	return pigo.NewPigo().Unpack(b)
}

// unpackPuploc unpacks a pupil or landmark cascade, turning pigo's panics on short input
// into errors.
func unpackPuploc(name string, b []byte) (p *pigo.PuplocCascade, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("face: %s cascade is corrupt (%d bytes)", name, len(b))
		}
	}()
	if len(b) < 16 {
		return nil, fmt.Errorf("face: %s cascade is corrupt (%d bytes)", name, len(b))
	}
	return pigo.NewPuplocCascade().UnpackCascade(b)
}
