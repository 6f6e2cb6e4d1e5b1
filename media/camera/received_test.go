package camera

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

// sendDecode plays a call of length d: the candidate sends sentFPS frames a second, each of
// which reaches the bot (Received, when received is set) and runs ahead of the decoder by up
// to lead, as frames waiting in the decode queue do; of those the bot decodes every
// decodeEvery-th (the others dropped from its queue, skipped until a keyframe, or upper
// temporal layers: the bot's own shortage of processing time).
func sendDecode(a *Analyzer, d time.Duration, sentFPS float64, decodeEvery int, received bool, lead time.Duration) {
	p := realPool(320, 240, 5)
	a.TrackEvent(0, ParticipantJoined, "")
	a.TrackEvent(0, TrackAdded, "")
	dt := time.Duration(float64(sec) / sentFPS)
	var sent []time.Duration
	for t := time.Duration(0); t < d; t += dt {
		sent = append(sent, t)
	}
	next := 0 // next frame to announce as received
	for i, t := range sent {
		for received && next < len(sent) && sent[next] <= t+lead {
			a.Received(sent[next])
			next++
		}
		if i%decodeEvery == 0 {
			a.Observe(p.at(i, t))
		}
	}
}

func lowFPSOf(c report.Check) []report.Evidence {
	var out []report.Evidence
	for _, e := range c.Evidence {
		if e.Kind == "low_fps" {
			out = append(out, e)
		}
	}
	return out
}

// TestReceivedNotDecoded: the camera's frame rate is the candidate's, not the bot's. A
// candidate sending 30 fps whose frames the bot decoded at 4.3 fps (it was short of
// processing time) gets no low_fps finding; a candidate that really sent 3 fps still does,
// at the rate it sent, whether or not the bot decoded all of it. Nothing here depends on
// the machine: frames are fed with their PTS.
func TestReceivedNotDecoded(t *testing.T) {
	const d = 20 * sec
	for _, tc := range []struct {
		name        string
		sentFPS     float64
		decodeEvery int // not a multiple of the 8-frame pool: a repeated frame looks frozen
		received    bool
		lead        time.Duration
		wantLow     bool
		wantRate    string // in the finding's sentence
	}{
		{"30 fps sent, every 7th decoded", 30, 7, true, 0, false, ""},
		{"30 fps sent, every 7th decoded, decoder 300 ms behind", 30, 7, true, 300 * time.Millisecond, false, ""},
		{"30 fps sent, every 7th decoded, decoder 5 s behind", 30, 7, true, 5 * sec, false, ""},
		{"30 fps sent, every frame decoded", 30, 1, true, 0, false, ""},
		// Without Received (a recording) the decoded frames are all there is.
		{"recording decoded at 4.3 fps", 30, 7, false, 0, true, "4.3 frames"},
		{"3 fps sent, every frame decoded", 3, 1, true, 0, true, "3.0 frames"},
		{"3 fps sent, decoder behind", 3, 1, true, sec, true, "3.0 frames"},
		{"3 fps sent, every 2nd decoded", 3, 2, true, 0, true, "3.0 frames"},
		{"4.5 fps sent, every frame decoded", 4.5, 1, true, 0, true, "4.5 frames"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := New(Config{})
			sendDecode(a, d, tc.sentFPS, tc.decodeEvery, tc.received, tc.lead)
			c := a.Result(d)
			checkWellFormed(t, c)
			low := lowFPSOf(c)
			if tc.wantLow != (len(low) > 0) {
				t.Fatalf("low_fps findings %+v, want %v (%s: %s; evidence %v)", low, tc.wantLow, c.Status, c.Summary, kinds(c))
			}
			if !tc.wantLow {
				if c.Status != report.Pass {
					t.Errorf("status %s (%s), want pass", c.Status, c.Summary)
				}
				return
			}
			if c.Status != report.Warn || !strings.Contains(low[0].Detail, tc.wantRate) {
				t.Errorf("status %s, low_fps %q; want warn at %s a second", c.Status, low[0].Detail, tc.wantRate)
			}
		})
	}
}

// TestReceivedOrder: received frames older than the last one are ignored, the ring forgets
// the oldest when the decoder falls far behind, and frames received after the decoded one
// do not count for its window.
func TestReceivedOrder(t *testing.T) {
	var r arrivals
	for _, ms := range []int{0, 100, 50, 100, 200} {
		r.add(time.Duration(ms) * time.Millisecond)
	}
	if r.n != 3 {
		t.Fatalf("kept %d arrivals, want 3 (0, 100, 200 ms)", r.n)
	}
	if got := r.rate(200 * time.Millisecond); fmt.Sprintf("%.1f", got) != "10.0" {
		t.Errorf("rate %v, want 10 a second", got)
	}
	if got := r.rate(100 * time.Millisecond); fmt.Sprintf("%.1f", got) != "10.0" {
		t.Errorf("rate at 100 ms %v, want 10 a second (the 200 ms frame is later)", got)
	}
	if got := r.rate(0); got != 0 {
		t.Errorf("rate of one frame %v, want 0", got)
	}
	for i := range 2 * arrivalRing {
		r.add(sec + time.Duration(i)*time.Millisecond)
	}
	if r.n != arrivalRing || r.ring[r.head] != sec+arrivalRing*time.Millisecond {
		t.Errorf("full ring holds %d from %v", r.n, r.ring[r.head])
	}
	if got := r.rate(10 * sec); got != 0 || r.n != 0 {
		t.Errorf("after the window: rate %v, %d kept", got, r.n)
	}
}

// TestReceivedGap: 4 s without a decoded frame while the candidate's frames kept arriving is
// no no_frames gap; 4 s in which nothing arrived still is.
func TestReceivedGap(t *testing.T) {
	p := realPool(320, 240, 9)
	for _, received := range []bool{true, false} {
		a := New(Config{})
		a.TrackEvent(0, ParticipantJoined, "")
		a.TrackEvent(0, TrackAdded, "")
		for i := range 300 { // 10 s at 30 fps; frames 60–179 received, not decoded
			t0 := time.Duration(i) * sec / 30
			if i < 60 || i >= 180 {
				a.Observe(p.at(i, t0))
			} else if received {
				a.Received(t0)
			}
		}
		c := a.Result(10 * sec)
		if got := slices.Contains(kinds(c), "no_frames"); got == received {
			t.Errorf("received %v: %s (%s) %v; want no_frames %v", received, c.Status, c.Summary, kinds(c), !received)
		}
	}
}
