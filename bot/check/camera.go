package check

import (
	"strings"
	"time"

	"github.com/integritybot/integritybot/internal/report"
)

// virtualCameras are names in the device labels of common virtual camera software.
var virtualCameras = []struct{ match, name string }{
	{"obs virtual camera", "OBS Virtual Camera"}, {"obs-camera", "OBS Virtual Camera"},
	{"manycam", "ManyCam"}, {"xsplit", "XSplit VCam"}, {"snap camera", "Snap Camera"},
	{"e2esoft", "e2eSoft VCam"}, {"vcam", "a virtual camera (VCam)"}, {"droidcam", "DroidCam"},
	{"camtwist", "CamTwist"}, {"mmhmm", "mmhmm"}, {"v4l2loopback", "v4l2loopback"},
	{"dummy video device", "v4l2loopback"}, {"virtual", "a virtual camera"},
}

type cameraCheck struct{ m *Meta }

// Result judges the camera's device label. It is a weak signal: virtual camera software
// can be renamed, and a real camera can sit behind a virtual one used for backgrounds.
func (c cameraCheck) Result(now time.Duration) report.Check {
	c.m.mu.Lock()
	label, at, ok, final := c.m.label, c.m.labelAt, c.m.hasLabel, c.m.finished
	c.m.mu.Unlock()
	r := report.Check{ID: report.CheckVirtualCamera, Status: report.Unknown, Evidence: []report.Evidence{}}
	if !ok {
		r.Summary = "The candidate's browser has not named a camera (no camera, permission refused, or not joined yet)."
		if final {
			r.Summary = "Not checked: the candidate's browser never named a camera (no camera, permission refused, or they did not join)."
		}
		return r
	}
	atS := secs(at)
	l := strings.ToLower(label)
	if fakeDevice(l) {
		// A browser's fake capture device plays a file or a test pattern: whatever it shows did
		// not come from a camera, which is what a virtual camera is.
		r.Status, r.Confidence = report.Warn, 0.9
		r.Summary = "Camera \"" + label + "\" is the browser's test/fake device: it plays a video file or a test pattern, not a camera."
		r.NextStep = "Ask the candidate to switch to their built-in or USB camera, then wave a hand close to the lens."
		r.Evidence = append(r.Evidence, report.Evidence{AtS: atS, Kind: "virtual_camera", Detail: "Camera label \"" + label + "\": the browser's fake capture device."})
		return r
	}
	for _, v := range virtualCameras {
		if strings.Contains(l, v.match) {
			r.Status, r.Confidence = report.Warn, 0.4
			r.Summary = "Camera \"" + label + "\" is " + v.name + ", software that can show any video instead of a camera (a weak signal: it is also used for backgrounds and filters)."
			r.NextStep = "Ask the candidate to switch to their built-in or USB camera, then wave a hand close to the lens."
			r.Evidence = append(r.Evidence, report.Evidence{AtS: atS, Kind: "virtual_camera", Detail: r.Summary})
			return r
		}
	}
	r.Status, r.Confidence = report.Pass, 0.3
	r.Summary = "Camera \"" + label + "\" does not name known virtual camera software (a name check only; such software can be renamed)."
	r.Evidence = append(r.Evidence, report.Evidence{AtS: atS, Kind: "camera_label", Detail: "Camera label \"" + label + "\"."})
	return r
}

// fakeDevice reports Chromium's fake capture device: "fake_device_0", or the path of the
// .y4m/.mjpeg file given with --use-file-for-fake-video-capture.
func fakeDevice(l string) bool {
	return strings.HasPrefix(l, "fake_device") || strings.HasSuffix(l, ".y4m") || strings.HasSuffix(l, ".mjpeg")
}
