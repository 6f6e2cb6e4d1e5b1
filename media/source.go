package media

import "time"

// Source yields decoded frames of one recording (a file, a pipe) in presentation order.
//
// Next returns the next frame, or io.EOF after the last one. The frame and its planes
// are valid only until the next call to Next or Close; callers that keep a picture
// must Clone it. Close releases the source (and stops any helper process); it is safe
// to call more than once. A Source is not safe for concurrent use.
type Source interface {
	Next() (*Frame, error)
	Close() error
	Info() SourceInfo
}

// SourceInfo describes a Source as far as its container says. Zero fields are unknown.
type SourceInfo struct {
	Name     string        // file name, for messages and reports
	Format   string        // "y4m", "ivf/vp8", "ffmpeg/h264", "jpeg", ...
	Width    int           // size of the first frame
	Height   int           // size of the first frame
	FPS      float64       // nominal frame rate
	Duration time.Duration // total duration, if the container states it
	Still    bool          // a single still image: it has no motion to check
}
