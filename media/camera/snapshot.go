package camera

import (
	"image"
	"time"

	"github.com/integritybot/integritybot/media"
	"github.com/integritybot/integritybot/media/snapshot"
)

// maxSnaps bounds the pictures kept per call: a frozen picture or a flat colour is worth
// seeing (a photo, a paused video, a card over the lens), but a few make the point, and
// each is up to snapshot.MaxBytes inside the report.
const maxSnaps = 3

// snap is the picture of one frozen or flat stretch, taken when it became a finding.
type snap struct {
	at   time.Duration
	data string
}

// snapRun keeps a snapshot of f when run r has just lasted longer than after (the moment
// it becomes a finding), once per run and at most maxSnaps per call. A black picture gets
// none: the sentence says all there is to see.
func (a *Analyzer) snapRun(r *run, f *media.Frame, after time.Duration) {
	if !r.on || r.snapped || f.PTS-r.from <= after || len(a.snaps) >= maxSnaps {
		return
	}
	r.snapped = true
	if data, err := snapshot.Encode(f, image.Rectangle{}, snapshot.DefaultWidth); err == nil {
		a.snaps = append(a.snaps, snap{at: f.PTS, data: data})
	}
}

// snapshotFor returns the snapshot taken inside a finding of kind k over [from, to].
func (a *Analyzer) snapshotFor(k kind, from, to time.Duration) string {
	if k != kindFrozen && k != kindUniform {
		return ""
	}
	for _, s := range a.snaps {
		if s.at >= from && s.at <= to {
			return s.data
		}
	}
	return ""
}
