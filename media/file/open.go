// Package file opens a recording as a media.Source, choosing the reader by the file's
// content rather than its name: Y4M and IVF (VP8/VP9) are read natively, JPEG and PNG as
// one still frame, and everything else (MP4, WebM, MKV, MPEG, GIF, ...) through ffmpeg.
//
// It lives apart from package media because it imports the readers, which import media.
package file

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/ffmpeg"
	"github.com/integritybot/integritybot/media/ivf"
	"github.com/integritybot/integritybot/media/still"
	"github.com/integritybot/integritybot/media/y4m"
)

// Options tune Open.
type Options struct {
	FFmpeg ffmpeg.Options
}

// Kind is what Sniff recognised.
type Kind string

// Kinds of input.
const (
	KindY4M    Kind = "y4m"
	KindIVF    Kind = "ivf"
	KindJPEG   Kind = "jpeg"
	KindPNG    Kind = "png"
	KindFFmpeg Kind = "ffmpeg"
)

// Sniff tells the format from the first bytes of a file.
func Sniff(head []byte) Kind {
	switch {
	case bytes.HasPrefix(head, []byte(y4m.Magic)):
		return KindY4M
	case bytes.HasPrefix(head, []byte(ivf.Magic)):
		return KindIVF
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return KindJPEG
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return KindPNG
	}
	return KindFFmpeg
}

// Open opens path with the reader its content calls for. ctx bounds the ffmpeg process
// when one is needed. The caller closes the Source.
func Open(ctx context.Context, path string, opt Options) (media.Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError: "open PATH: no such file or directory"
	}
	if st, err := f.Stat(); err != nil {
		f.Close()
		return nil, err
	} else if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s is a directory, not a video file", path)
	}
	head := make([]byte, 16)
	n, err := io.ReadFull(f, head)
	if err != nil && n == 0 {
		f.Close()
		if err == io.EOF {
			return nil, fmt.Errorf("%s is empty", path)
		}
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	kind := Sniff(head[:n])
	if kind == KindFFmpeg {
		f.Close()
		return ffmpeg.Open(ctx, path, opt.FFmpeg)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var src media.Source
	switch kind {
	case KindY4M:
		src, err = y4m.NewReader(f, path)
	case KindIVF:
		src, err = ivf.NewReader(f, path)
	default:
		src, err = still.NewReader(f, path)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return src, nil
}
