package bot

import (
	"sync"
	"time"
)

// Stats gathers the counters of every session of one server for monitoring
// (cmd/integritybot exports them on /metrics). Share one *Stats through Config.Stats; a nil
// *Stats costs nothing. Sessions register on NewSession and fold their counts in on Close, so
// totals never go back when an interview ends.
type Stats struct {
	mu    sync.Mutex
	live  map[*Session]struct{}
	ended StatsSnapshot
}

// StatsSnapshot is a consistent read of Stats. Counters are totals since the process started.
type StatsSnapshot struct {
	Active   int   // sessions running now
	Sessions int64 // sessions started
	// FramesReceived counts the candidates' video frames that reached the bot (or whose loss
	// in transit it noticed). Once a session's video inputs are closed, frames received =
	// decoded + dropped + layer-skipped (a VP8/VP9 frame that shows no picture, which
	// browsers do not send in calls, is the exception).
	FramesReceived int64
	FramesDecoded  int64
	FramesAnalyzed int64 // frames every analyzer saw
	FramesSampled  int64 // decoded frames only the camera check saw (sampled analysis under load)
	FramesDropped  int64 // lost in transit, dropped at a full queue, or undecodable
	// FramesLayerSkipped counts upper temporal layer frames (L1T3) received and left
	// undecoded: base-layer-only decoding under load, or an upper layer waiting for a sync
	// frame after it. Neither decoded nor dropped (the interviewer got them).
	FramesLayerSkipped int64
	BaseOnly           int // sessions decoding the base temporal layer only now
	// AnalyzerSeconds is CPU-ish (wall) time spent in each analyzer's Observe, by check id.
	AnalyzerSeconds map[string]float64
	AnalyzerFrames  map[string]int64
}

// NewStats returns an empty Stats.
func NewStats() *Stats { return &Stats{live: map[*Session]struct{}{}} }

func (st *Stats) add(s *Session) {
	if st == nil {
		return
	}
	st.mu.Lock()
	st.live[s] = struct{}{}
	st.ended.Sessions++
	st.mu.Unlock()
}

// remove folds a closing session's counts into the totals.
func (st *Stats) remove(s *Session) {
	if st == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.live[s]; !ok {
		return
	}
	delete(st.live, s)
	s.addTo(&st.ended)
}

// Snapshot returns the totals of ended sessions plus the current counts of live ones.
func (st *Stats) Snapshot() StatsSnapshot {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := st.ended
	out.AnalyzerSeconds = copyMap(st.ended.AnalyzerSeconds)
	out.AnalyzerFrames = copyMap(st.ended.AnalyzerFrames)
	for s := range st.live {
		s.addTo(&out)
		if s.baseOnly.Load() {
			out.BaseOnly++
		}
	}
	out.Active = len(st.live)
	return out
}

func copyMap[V int64 | float64](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// analyzerTimer accumulates the time one analyzer of one session spends in Observe.
type analyzerTimer struct {
	id     string
	nanos  int64
	frames int64
}

// addTo adds s's counters to out. Called with the Stats lock held; takes s.mu.
func (s *Session) addTo(out *StatsSnapshot) {
	out.FramesReceived += s.received.Load()
	out.FramesDecoded += s.decoded.Load()
	out.FramesAnalyzed += s.analyzed.Load()
	out.FramesSampled += s.sampled.Load()
	out.FramesDropped += s.dropped.Load()
	out.FramesLayerSkipped += s.layerSkip.Load()
	if out.AnalyzerSeconds == nil {
		out.AnalyzerSeconds, out.AnalyzerFrames = map[string]float64{}, map[string]int64{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.timers {
		out.AnalyzerSeconds[t.id] += time.Duration(t.nanos).Seconds()
		out.AnalyzerFrames[t.id] += t.frames
	}
}
