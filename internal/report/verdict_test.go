package report

import (
	"reflect"
	"testing"
)

func checks(kv ...string) []Check {
	var cs []Check
	for i := 0; i+1 < len(kv); i += 2 {
		cs = append(cs, Check{ID: kv[i], Status: Status(kv[i+1]), NextStep: "ask about " + kv[i]})
	}
	return cs
}

func TestOverallOf(t *testing.T) {
	for _, tc := range []struct {
		name   string
		checks []Check
		want   Overall
	}{
		{"all pass", checks("camera", "pass", "face", "pass", "timezone", "pass"), NoConcerns},
		{"pass with unknowns", checks("camera", "pass", "network", "unknown"), NoConcerns},
		{"nothing ran", checks("camera", "unknown", "network", "unknown"), InsufficientData},
		{"no checks", nil, InsufficientData},
		{"a warning", checks("camera", "pass", "face", "warn"), Review},
		{"lone timezone fail: laptop on its home zone", checks("camera", "pass", "timezone", "fail"), Review},
		{"lone network fail", checks("camera", "pass", "network", "fail"), Review},
		{"lone camera fail: refused camera or shutter", checks("camera", "fail", "face", "fail", "timezone", "pass"), Review},
		{"virtual camera fail alone", checks("camera", "pass", "virtual_camera", "fail"), Review},
		{"timezone and network: one group", checks("timezone", "fail", "network", "fail"), Review},
		{"replay fail", checks("camera", "pass", "replay", "fail"), StrongConcerns},
		{"face swap fail", checks("face_swap", "fail"), StrongConcerns},
		{"failed challenge", checks("liveness", "fail", "camera", "pass"), StrongConcerns},
		{"camera and timezone: two groups", checks("camera", "fail", "timezone", "fail"), StrongConcerns},
		{"face and network: two groups", checks("face", "fail", "network", "fail"), StrongConcerns},
		{"replay warn only", checks("replay", "warn", "camera", "pass"), Review},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := OverallOf(tc.checks); got != tc.want {
				t.Errorf("OverallOf = %s, want %s", got, tc.want)
			}
		})
	}
}

func ids(cs []Check) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func TestBySeverityAndReasons(t *testing.T) {
	cs := checks("camera", "pass", "face", "warn", "face_swap", "unknown", "replay", "warn",
		"liveness", "unknown", "virtual_camera", "pass", "timezone", "fail", "network", "warn")
	want := []string{"timezone", "replay", "face", "network", "face_swap", "liveness", "camera", "virtual_camera"}
	if got := ids(BySeverity(cs)); !reflect.DeepEqual(got, want) {
		t.Errorf("BySeverity = %v, want %v", got, want)
	}
	if got := ids(Reasons(cs, 3)); !reflect.DeepEqual(got, want[:3]) {
		t.Errorf("Reasons(3) = %v, want %v", got, want[:3])
	}
	if got := ids(Reasons(cs, 0)); !reflect.DeepEqual(got, want[:4]) {
		t.Errorf("Reasons(0) = %v, want %v", got, want[:4])
	}
	if got := NextStep(cs); got != "ask about timezone" {
		t.Errorf("NextStep = %q", got)
	}
	if got := NotChecked(cs); !reflect.DeepEqual(got, []string{"face_swap", "liveness"}) {
		t.Errorf("NotChecked = %v", got)
	}
	if cs[0].ID != "camera" {
		t.Error("BySeverity reordered its input")
	}
	if r := Reasons(checks("camera", "pass"), 0); len(r) != 0 {
		t.Errorf("Reasons of a clean report = %v", ids(r))
	}
}

func TestExplain(t *testing.T) {
	r := &Report{Checks: []Check{
		{ID: CheckCamera, Status: Pass, Summary: "Live."},
		{ID: CheckTimezone, Status: Fail, Summary: "Browser in Asia/Seoul.", NextStep: "Ask where they are."},
		{ID: CheckReplay, Status: Warn, Summary: "A stretch repeated.", NextStep: "Ask them to wave."},
		{ID: CheckFaceSwap, Status: Unknown, Summary: "No face seen."},
	}}
	r.Explain()
	want := []Reason{{CheckTimezone, Fail, "Browser in Asia/Seoul."}, {CheckReplay, Warn, "A stretch repeated."}}
	if r.Overall != Review || !reflect.DeepEqual(r.Why, want) || r.NextStep != "Ask where they are." ||
		!reflect.DeepEqual(r.NotChecked, []string{CheckFaceSwap}) {
		t.Errorf("Explain: overall %s why %+v next %q not checked %v", r.Overall, r.Why, r.NextStep, r.NotChecked)
	}
	r.Checks = r.Checks[:1]
	r.Explain()
	if r.Overall != NoConcerns || r.Why != nil || r.NextStep != "" || r.NotChecked != nil {
		t.Errorf("Explain of a clean report: %+v", r)
	}
}
