package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestWriteText(t *testing.T) {
	until := 95.4
	r := &Report{
		Schema: Schema, InterviewID: "clip.mp4", State: Final,
		Candidate: Candidate{Name: "Jane Doe", ClaimedLocation: "Austin, TX", ClaimedTimezone: "America/Chicago"},
		Coverage:  Coverage{VideoSeconds: 125.5, FramesDecoded: 3000, FramesAnalyzed: 3000},
		Overall:   StrongConcerns,
		Checks: []Check{
			{ID: CheckCamera, Status: Fail, Confidence: 0.9, Summary: "The picture was black.", NextStep: "Ask them to switch it on.",
				Evidence: []Evidence{{AtS: 62.2, UntilS: &until, Kind: "black", Detail: "Black from 62 s."}, {AtS: 3, Kind: "resolution_change", Detail: "Size changed."}}},
			{ID: CheckFace, Status: Unknown, Summary: "Not checked yet.", Evidence: []Evidence{}},
		},
	}
	var b bytes.Buffer
	if err := WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"integritybot report: clip.mp4\n",
		"Candidate: Jane Doe (claims location Austin, TX, timezone America/Chicago)\n",
		"Overall: Strong concerns — an observation for a person to review, not a hiring decision.\n",
		"  Why: camera FAIL — The picture was black.\n  Next step: Ask them to switch it on.\n  Not checked: face (see below for why).\n",
		"camera: FAIL (confidence 90%)\n  The picture was black.\n  Next step: Ask them to switch it on.\n  Evidence:\n",
		"    1:02–1:35   black: Black from 62 s.\n",
		"    0:03        resolution_change: Size changed.\n",
		"face: unknown (could not check)\n  Not checked yet.\n",
		"Coverage: 2:06 (125.5 s) of video; 3000 frames decoded, 3000 analyzed, 0 dropped.\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestOverallText(t *testing.T) {
	for o, want := range map[Overall]string{NoConcerns: "No concerns", Review: "Review recommended",
		StrongConcerns: "Strong concerns", InsufficientData: "Insufficient data"} {
		if got := OverallText(o); got != want {
			t.Errorf("OverallText(%s) = %q, want %q", o, got, want)
		}
	}
}

func TestClock(t *testing.T) {
	for _, tc := range []struct {
		s    float64
		want string
	}{{0, "0:00"}, {9.99, "0:09"}, {61, "1:01"}, {3725, "1:02:05"}, {-1, "0:00"}} {
		if got := Clock(tc.s); got != tc.want {
			t.Errorf("Clock(%v) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteTextError(t *testing.T) {
	if err := WriteText(failWriter{}, &Report{}); err == nil {
		t.Fatal("no error from a failing writer")
	}
}
