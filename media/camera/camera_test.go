package camera

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

const sec = time.Second

// seg is a stretch of frames from a pool at a frame rate.
type seg struct {
	from, to time.Duration
	fps      float64
	p        pool
}

// ev is a connection event.
type ev struct {
	at     time.Duration
	e      Event
	detail string
}

// play feeds events and frames to a in time order (events first at equal times) and
// calls between, if set, before each frame.
func play(a *Analyzer, evs []ev, segs []seg, between func(time.Duration)) {
	type action struct {
		at    time.Duration
		ev    *ev
		s     *seg
		index int
	}
	var acts []action
	for i := range evs {
		acts = append(acts, action{at: evs[i].at, ev: &evs[i]})
	}
	for i := range segs {
		s := &segs[i]
		dt := time.Duration(float64(sec) / s.fps)
		k := 0
		for t := s.from; t < s.to; t += dt {
			acts = append(acts, action{at: t, s: s, index: k})
			k++
		}
	}
	slices.SortStableFunc(acts, func(x, y action) int {
		if x.at != y.at {
			return int(x.at - y.at)
		}
		if (x.ev != nil) != (y.ev != nil) {
			if x.ev != nil {
				return -1
			}
			return 1
		}
		return 0
	})
	for _, act := range acts {
		if act.ev != nil {
			a.TrackEvent(act.at, act.ev.e, act.ev.detail)
			continue
		}
		if between != nil {
			between(act.at)
		}
		a.Observe(act.s.p.at(act.index, act.at))
	}
}

func kinds(c report.Check) []string {
	var k []string
	for _, e := range c.Evidence {
		k = append(k, e.Kind)
	}
	return k
}

// checkWellFormed asserts invariants every result must hold.
func checkWellFormed(t *testing.T, c report.Check) {
	t.Helper()
	if c.ID != report.CheckCamera {
		t.Errorf("id = %q", c.ID)
	}
	if c.Confidence < 0 || c.Confidence > 1 {
		t.Errorf("confidence %v out of [0,1]", c.Confidence)
	}
	if c.Summary == "" {
		t.Error("empty summary")
	}
	if c.Status != report.Pass && c.NextStep == "" {
		t.Errorf("status %s without next step", c.Status)
	}
	if len(c.Evidence) > maxEvidence {
		t.Errorf("%d evidence items, cap %d", len(c.Evidence), maxEvidence)
	}
	for i, e := range c.Evidence {
		if e.Detail == "" || e.Kind == "" {
			t.Errorf("evidence %d incomplete: %+v", i, e)
		}
		if e.UntilS != nil && *e.UntilS < e.AtS {
			t.Errorf("evidence %d ends before it starts: %+v", i, e)
		}
		if i > 0 && e.AtS < c.Evidence[i-1].AtS {
			t.Errorf("evidence not sorted at %d", i)
		}
	}
}

func TestScenarios(t *testing.T) {
	const w, h = 320, 240
	real := realPool(w, h, 1)
	real2 := realPool(w, h, 2)
	joined := []ev{{0, ParticipantJoined, ""}, {0, TrackAdded, ""}}
	tests := []struct {
		name      string
		evs       []ev
		segs      []seg
		now       time.Duration
		want      report.Status
		wantKinds []string // must all be present
		noKinds   []string // must all be absent
	}{
		{name: "good 20s", evs: joined, segs: []seg{{0, 20 * sec, 30, real}}, now: 20 * sec,
			want: report.Pass, noKinds: allKinds()},
		{name: "good 20s without events (file)", segs: []seg{{0, 20 * sec, 25, real}}, now: 20 * sec,
			want: report.Pass, noKinds: allKinds()},
		{name: "still person with sensor noise is not frozen", evs: joined,
			segs: []seg{{0, 20 * sec, 30, stillPool(w, h, 3, 3)}}, now: 20 * sec, want: report.Pass, noKinds: []string{"frozen"}},
		{name: "still person with codec-smoothed noise ±1 is not frozen", evs: joined,
			segs: []seg{{0, 20 * sec, 30, stillPool(w, h, 3, 1)}}, now: 20 * sec, want: report.Pass, noKinds: []string{"frozen"}},
		{name: "static background with a blinking eye is not frozen", evs: joined,
			segs: []seg{{0, 20 * sec, 30, blinkPool(w, h, 4)}}, now: 20 * sec, want: report.Pass, noKinds: []string{"frozen"}},
		{name: "black 20s", evs: joined, segs: []seg{{0, 20 * sec, 30, solidPool(w, h, 16, 128, 128, 0)}},
			now: 20 * sec, want: report.Fail, wantKinds: []string{"black"}, noKinds: []string{"frozen", "uniform"}},
		{name: "full-range black with noise ±1", evs: joined, segs: []seg{{0, 20 * sec, 30, solidPool(w, h, 1, 128, 128, 1)}},
			now: 20 * sec, want: report.Fail, wantKinds: []string{"black"}},
		{name: "uniform colour card", evs: joined, segs: []seg{{0, 20 * sec, 30, solidPool(w, h, 120, 90, 200, 0)}},
			now: 20 * sec, want: report.Fail, wantKinds: []string{"uniform"}, noKinds: []string{"black", "frozen"}},
		{name: "covered lens grey with noise", evs: joined, segs: []seg{{0, 20 * sec, 30, solidPool(w, h, 70, 126, 130, 3)}},
			now: 20 * sec, want: report.Fail, wantKinds: []string{"uniform"}},
		{name: "frozen 20s", evs: joined, segs: []seg{{0, 20 * sec, 30, frozenPool(w, h, 5)}},
			now: 20 * sec, want: report.Fail, wantKinds: []string{"frozen"}},
		{name: "frozen re-quantised by codec", evs: joined, segs: []seg{{0, 20 * sec, 30, requantPool(w, h, 6)}},
			now: 20 * sec, want: report.Fail, wantKinds: []string{"frozen"}},
		{name: "real black real", evs: joined, segs: []seg{
			{0, 10 * sec, 30, real}, {10 * sec, 13 * sec, 30, solidPool(w, h, 16, 128, 128, 0)}, {13 * sec, 23 * sec, 30, real2}},
			now: 23 * sec, want: report.Warn, wantKinds: []string{"black"}, noKinds: []string{"no_frames", "frozen"}},
		{name: "short black blip is fine", evs: joined, segs: []seg{
			{0, 10 * sec, 30, real}, {10 * sec, 11 * sec, 30, solidPool(w, h, 16, 128, 128, 0)}, {11 * sec, 23 * sec, 30, real2}},
			now: 23 * sec, want: report.Pass},
		{name: "no camera", evs: []ev{{0, ParticipantJoined, ""}, {sec, TrackNone, "NotAllowedError"}},
			now: 30 * sec, want: report.Fail, wantKinds: []string{"no_video"}},
		{name: "joined but no track arrived", evs: []ev{{0, ParticipantJoined, ""}},
			now: 30 * sec, want: report.Fail, wantKinds: []string{"no_video"}},
		{name: "track added but no frame ever", evs: joined,
			now: 30 * sec, want: report.Fail, wantKinds: []string{"no_frames"}},
		{name: "joined and left quickly", evs: []ev{{0, ParticipantJoined, ""}, {2 * sec, ParticipantLeft, ""}},
			now: 60 * sec, want: report.Unknown, noKinds: allKinds()},
		{name: "joined with camera and left after 2s", evs: append(slices.Clone(joined), ev{2 * sec, ParticipantLeft, ""}),
			segs: []seg{{0, 2 * sec, 30, real}}, now: 60 * sec, want: report.Unknown, noKinds: allKinds()},
		{name: "nothing yet", now: 10 * sec, want: report.Unknown},
		{name: "too little video", evs: joined, segs: []seg{{0, 2 * sec, 30, real}}, now: 2 * sec, want: report.Unknown},
		{name: "muted then unmuted", evs: append(slices.Clone(joined), ev{10 * sec, TrackMuted, ""}, ev{20 * sec, TrackUnmuted, ""}),
			segs: []seg{{0, 10 * sec, 30, real}, {20 * sec, 40 * sec, 30, real2}}, now: 40 * sec,
			want: report.Warn, wantKinds: []string{"muted"}, noKinds: []string{"no_frames"}},
		{name: "muted most of the call", evs: append(slices.Clone(joined), ev{6 * sec, TrackMuted, ""}),
			segs: []seg{{0, 6 * sec, 30, real}}, now: 60 * sec, want: report.Fail, wantKinds: []string{"muted"}},
		{name: "gap of 10s", evs: joined, segs: []seg{{0, 10 * sec, 30, real}, {20 * sec, 40 * sec, 30, real2}},
			now: 40 * sec, want: report.Warn, wantKinds: []string{"no_frames"}},
		{name: "frames stop before now", evs: joined, segs: []seg{{0, 20 * sec, 30, real}},
			now: 30 * sec, want: report.Warn, wantKinds: []string{"no_frames"}},
		{name: "3 fps", evs: joined, segs: []seg{{0, 20 * sec, 3, real}}, now: 20 * sec,
			want: report.Warn, wantKinds: []string{"low_fps"}, noKinds: []string{"no_frames", "frozen"}},
		{name: "160x120", evs: joined, segs: []seg{{0, 20 * sec, 30, realPool(160, 120, 7)}}, now: 20 * sec,
			want: report.Warn, wantKinds: []string{"low_resolution"}, noKinds: []string{"frozen", "black"}},
		{name: "small start then ramp up is fine", evs: joined, segs: []seg{
			{0, 3 * sec, 30, realPool(160, 120, 7)}, {3 * sec, 20 * sec, 30, real}}, now: 20 * sec,
			want: report.Pass, wantKinds: []string{"resolution_change"}},
		{name: "leave and rejoin is not penalised", evs: append(slices.Clone(joined),
			ev{20 * sec, ParticipantLeft, ""}, ev{20 * sec, TrackEnded, ""},
			ev{50 * sec, ParticipantJoined, ""}, ev{51 * sec, TrackAdded, ""}),
			segs: []seg{{0, 20 * sec, 30, real}, {51 * sec, 80 * sec, 30, real2}}, now: 80 * sec,
			want: report.Pass, wantKinds: []string{"not_connected"}, noKinds: allKinds()},
		{name: "track ended and never came back", evs: append(slices.Clone(joined), ev{10 * sec, TrackEnded, "camera unplugged"}),
			segs: []seg{{0, 10 * sec, 30, real}}, now: 40 * sec, want: report.Fail, wantKinds: []string{"no_video"}},
		{name: "track ended and replaced", evs: append(slices.Clone(joined), ev{10 * sec, TrackEnded, ""}, ev{14 * sec, TrackAdded, ""}),
			segs: []seg{{0, 10 * sec, 30, real}, {14 * sec, 30 * sec, 30, real2}}, now: 30 * sec,
			want: report.Warn, wantKinds: []string{"ended"}, noKinds: []string{"no_frames", "no_video"}},
		{name: "call ends normally", evs: append(slices.Clone(joined), ev{30 * sec, TrackEnded, ""}, ev{30*sec + 100*time.Millisecond, ParticipantLeft, ""}),
			segs: []seg{{0, 30 * sec, 30, real}}, now: 45 * sec, want: report.Pass, noKinds: allKinds()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := New(Config{})
			play(a, tc.evs, tc.segs, nil)
			c := a.Result(tc.now)
			checkWellFormed(t, c)
			if c.Status != tc.want {
				t.Errorf("status = %s, want %s (%s)", c.Status, tc.want, c.Summary)
			}
			got := kinds(c)
			for _, k := range tc.wantKinds {
				if !slices.Contains(got, k) {
					t.Errorf("missing evidence kind %q in %v", k, got)
				}
			}
			for _, k := range tc.noKinds {
				if slices.Contains(got, k) {
					t.Errorf("unexpected evidence kind %q in %v", k, got)
				}
			}
			if t.Failed() || testing.Verbose() {
				t.Logf("%s %.2f: %s / %s", c.Status, c.Confidence, c.Summary, c.NextStep)
				for _, e := range c.Evidence {
					t.Logf("  %s %.1f: %s", e.Kind, e.AtS, e.Detail)
				}
			}
		})
	}
}

// TestEvidenceRanges checks the reported times and sentences of typical findings.
func TestEvidenceRanges(t *testing.T) {
	const w, h = 320, 240
	black := solidPool(w, h, 16, 128, 128, 0)
	real1, real2 := realPool(w, h, 1), realPool(w, h, 2)
	tests := []struct {
		name       string
		evs        []ev
		segs       []seg
		now        time.Duration
		kind       string
		from, to   float64
		detailPart string
	}{
		{name: "black range", segs: []seg{{0, 12 * sec, 10, real1}, {12 * sec, 31500 * time.Millisecond, 10, black},
			{31500 * time.Millisecond, 60 * sec, 10, real2}},
			now: 60 * sec, kind: "black", from: 12, to: 31.5, detailPart: "completely black from 12.0 s to 31.5 s (19.5 s)"},
		{name: "open black range reaches now", segs: []seg{{0, 20 * sec, 10, real1}, {20 * sec, 30 * sec, 10, black}},
			now: 30 * sec, kind: "black", from: 20, to: 30},
		{name: "gap", segs: []seg{{0, 10 * sec, 10, real1}, {20 * sec, 40 * sec, 10, real2}},
			now: 40 * sec, kind: "no_frames", from: 9.9, to: 20},
		{name: "muted", evs: []ev{{0, ParticipantJoined, ""}, {0, TrackAdded, ""}, {10 * sec, TrackMuted, ""}, {15 * sec, TrackUnmuted, ""}},
			segs: []seg{{0, 10 * sec, 10, real1}, {15 * sec, 40 * sec, 10, real2}},
			now:  40 * sec, kind: "muted", from: 10, to: 15, detailPart: "muted from 10.0 s to 15.0 s"},
		{name: "away", evs: []ev{{0, ParticipantJoined, ""}, {0, TrackAdded, ""}, {20 * sec, ParticipantLeft, ""},
			{50 * sec, ParticipantJoined, ""}, {50 * sec, TrackAdded, ""}},
			segs: []seg{{0, 20 * sec, 10, real1}, {50 * sec, 80 * sec, 10, real2}},
			now:  80 * sec, kind: "not_connected", from: 20, to: 50, detailPart: "not connected from 20.0 s to 50.0 s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := New(Config{})
			play(a, tc.evs, tc.segs, nil)
			c := a.Result(tc.now)
			checkWellFormed(t, c)
			for _, e := range c.Evidence {
				if e.Kind != tc.kind {
					continue
				}
				if e.UntilS == nil || !near(e.AtS, tc.from) || !near(*e.UntilS, tc.to) {
					t.Errorf("range = %v..%v, want %v..%v", e.AtS, e.UntilS, tc.from, tc.to)
				}
				if !strings.Contains(e.Detail, tc.detailPart) {
					t.Errorf("detail %q does not contain %q", e.Detail, tc.detailPart)
				}
				return
			}
			t.Errorf("no %s evidence in %v", tc.kind, kinds(c))
		})
	}
}

// allKinds returns every finding kind's name.
func allKinds() []string {
	var k []string
	for i := range numKinds {
		k = append(k, i.String())
	}
	return k
}

func near(a, b float64) bool { return a-b < 0.15 && b-a < 0.15 }

// TestResultRepeatable: calling Result during the call must not change the final result.
func TestResultRepeatable(t *testing.T) {
	const w, h = 320, 240
	evs := []ev{{0, ParticipantJoined, ""}, {0, TrackAdded, ""}, {25 * sec, TrackMuted, ""}, {30 * sec, TrackUnmuted, ""},
		{70 * sec, ParticipantLeft, ""}, {80 * sec, ParticipantJoined, ""}, {81 * sec, TrackAdded, ""}}
	segs := []seg{
		{0, 10 * sec, 30, realPool(w, h, 1)},
		{10 * sec, 14 * sec, 30, solidPool(w, h, 16, 128, 128, 0)},
		{14 * sec, 18 * sec, 30, frozenPool(w, h, 2)},
		{18 * sec, 25 * sec, 30, realPool(w, h, 3)},
		{30 * sec, 40 * sec, 3, realPool(w, h, 4)},
		{50 * sec, 70 * sec, 30, realPool(w, h, 5)},
		{81 * sec, 100 * sec, 30, realPool(w, h, 6)},
	}
	plain := New(Config{})
	play(plain, evs, segs, nil)

	polled := New(Config{})
	var mid []report.Check
	play(polled, evs, segs, func(at time.Duration) {
		c := polled.Result(at)
		checkWellFormed(t, c)
		mid = append(mid, c)
	})
	end := 105 * sec
	want := plain.Result(end)
	got := polled.Result(end)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("result after polling differs:\n got %+v\nwant %+v", got, want)
	}
	if again := polled.Result(end); !reflect.DeepEqual(again, got) {
		t.Fatalf("second Result differs:\n got %+v\nwant %+v", again, got)
	}
	if testing.Verbose() {
		t.Logf("%s %.2f: %s", got.Status, got.Confidence, got.Summary)
		for _, e := range got.Evidence {
			t.Logf("  %s: %s", e.Kind, e.Detail)
		}
	}
	if got.Status != report.Warn {
		t.Errorf("status = %s, want warn (%s)", got.Status, got.Summary)
	}
	for _, k := range []string{"black", "frozen", "muted", "no_frames", "low_fps", "not_connected"} {
		if !slices.Contains(kinds(got), k) {
			t.Errorf("missing %s in %v", k, kinds(got))
		}
	}
	// Mid-stream results never report the future.
	for _, c := range mid {
		for _, e := range c.Evidence {
			if e.AtS > 105 {
				t.Fatalf("evidence beyond the call: %+v", e)
			}
		}
	}
}

// TestEvidenceCapped: an hour of a flickering camera stays a short report.
func TestEvidenceCapped(t *testing.T) {
	const w, h = 64, 48
	real, black := realPool(w, h, 1), solidPool(w, h, 16, 128, 128, 0)
	var segs []seg
	for i := range 600 { // 6 s cycles: 3.5 s black, 2.5 s real
		t0 := time.Duration(i) * 6 * sec
		segs = append(segs, seg{t0, t0 + 3500*time.Millisecond, 10, black}, seg{t0 + 3500*time.Millisecond, t0 + 6*sec, 10, real})
	}
	a := New(Config{MinWidth: 32, MinHeight: 24})
	play(a, nil, segs, nil)
	if len(a.findings) > maxStored {
		t.Errorf("%d findings stored, bound %d", len(a.findings), maxStored)
	}
	c := a.Result(3600 * sec)
	checkWellFormed(t, c)
	if c.Status != report.Fail {
		t.Errorf("status = %s, want fail (%s)", c.Status, c.Summary)
	}
	if !strings.Contains(c.Evidence[0].Detail, "times between") {
		t.Errorf("first evidence not merged: %q", c.Evidence[0].Detail)
	}
}

func TestConfigDefaults(t *testing.T) {
	a := New(Config{MinFPS: 10})
	want := DefaultConfig()
	want.MinFPS = 10
	if a.cfg != want {
		t.Errorf("cfg = %+v, want %+v", a.cfg, want)
	}
}

func TestEventString(t *testing.T) {
	if TrackMuted.String() != "track_muted" || Event(99).String() != "unknown_event" {
		t.Error("bad Event names")
	}
}
