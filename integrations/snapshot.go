package integrations

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// MaxSnapshotBytes bounds a snapshot: evidence snapshots are small stills, and both Slack
// and Discord accept far more; a larger one is refused rather than uploaded.
const MaxSnapshotBytes = 5 << 20

// Snapshot is an evidence still ready to upload.
type Snapshot struct {
	Name        string // file name, e.g. "camera-snapshot.png"
	ContentType string // image/png or image/jpeg
	Data        []byte
	Check       string // the check whose evidence it is
}

// ErrSnapshot is returned (wrapped) for a snapshot reference that is not accepted.
var ErrSnapshot = errors.New("snapshot not accepted")

// LoadSnapshot reads an evidence snapshot reference. Accepted forms:
//
//   - a data URL of a PNG or JPEG image: "data:image/png;base64,..." or "data:image/jpeg;base64,...";
//   - a relative path inside dir (the data directory), e.g. "snapshots/abc/camera-12.jpg",
//     ending in .png, .jpg or .jpeg; absolute paths and paths leaving dir are refused.
//
// The content must really be PNG or JPEG (magic bytes) and at most MaxSnapshotBytes.
func LoadSnapshot(ref, dir, check string) (*Snapshot, error) {
	var data []byte
	var err error
	switch {
	case strings.HasPrefix(ref, "data:"):
		data, err = decodeDataURL(ref)
	default:
		data, err = readSnapshotFile(ref, dir)
	}
	if err != nil {
		return nil, err
	}
	ct, ext := sniffImage(data)
	if ct == "" {
		return nil, fmt.Errorf("integrations: snapshot: not a PNG or JPEG image: %w", ErrSnapshot)
	}
	name := "snapshot" + ext
	if check != "" {
		name = check + "-snapshot" + ext
	}
	return &Snapshot{Name: name, ContentType: ct, Data: data, Check: check}, nil
}

func decodeDataURL(ref string) ([]byte, error) {
	meta, payload, ok := strings.Cut(strings.TrimPrefix(ref, "data:"), ",")
	if !ok {
		return nil, fmt.Errorf("integrations: snapshot: malformed data URL: %w", ErrSnapshot)
	}
	switch strings.ToLower(meta) {
	case "image/png;base64", "image/jpeg;base64":
	default:
		return nil, fmt.Errorf("integrations: snapshot: data URL must be image/png or image/jpeg in base64: %w", ErrSnapshot)
	}
	if base64.StdEncoding.DecodedLen(len(payload)) > MaxSnapshotBytes+3 {
		return nil, fmt.Errorf("integrations: snapshot: larger than %d bytes: %w", MaxSnapshotBytes, ErrSnapshot)
	}
	data, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return nil, fmt.Errorf("integrations: snapshot: bad base64: %w", ErrSnapshot)
	}
	return data, nil
}

func readSnapshotFile(ref, dir string) ([]byte, error) {
	if dir == "" {
		return nil, fmt.Errorf("integrations: snapshot: file references need a data directory: %w", ErrSnapshot)
	}
	clean := filepath.Clean(filepath.FromSlash(ref))
	if filepath.IsAbs(ref) || !filepath.IsLocal(clean) {
		return nil, fmt.Errorf("integrations: snapshot: path must stay inside the data directory: %w", ErrSnapshot)
	}
	switch strings.ToLower(filepath.Ext(clean)) {
	case ".png", ".jpg", ".jpeg":
	default:
		return nil, fmt.Errorf("integrations: snapshot: file must be .png, .jpg or .jpeg: %w", ErrSnapshot)
	}
	root, err := os.OpenRoot(dir) // refuses symlinks that escape dir
	if err != nil {
		return nil, fmt.Errorf("integrations: snapshot: %w", err)
	}
	defer root.Close()
	f, err := root.Open(clean)
	if err != nil {
		return nil, fmt.Errorf("integrations: snapshot: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSnapshotBytes+1))
	if err != nil {
		return nil, fmt.Errorf("integrations: snapshot: %w", err)
	}
	if len(data) > MaxSnapshotBytes {
		return nil, fmt.Errorf("integrations: snapshot: larger than %d bytes: %w", MaxSnapshotBytes, ErrSnapshot)
	}
	return data, nil
}

func sniffImage(b []byte) (contentType, ext string) {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png", ".png"
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg", ".jpg"
	}
	return "", ""
}
