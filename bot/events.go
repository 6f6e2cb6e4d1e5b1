package bot

import "github.com/integritybot/integritybot/media/camera"

// CallEvent is what a connector reports about the candidate's presence and camera track
// (Session.TrackEvent). Connectors speak these; the session maps them onto the checks that
// use them (the camera check today), so no connector imports an analyzer's vocabulary.
type CallEvent int

// Events a connector reports.
const (
	TrackAdded        CallEvent = iota // a video track from the candidate arrived
	TrackMuted                         // the track was muted (the sender stopped sending)
	TrackUnmuted                       // the track was unmuted
	TrackEnded                         // the track ended
	TrackNone                          // the candidate has no camera or refused camera permission
	ParticipantLeft                    // the candidate disconnected
	ParticipantJoined                  // the candidate connected or reconnected
)

// cameraEvent is e for the camera check.
func (e CallEvent) cameraEvent() camera.Event {
	switch e {
	case TrackAdded:
		return camera.TrackAdded
	case TrackMuted:
		return camera.TrackMuted
	case TrackUnmuted:
		return camera.TrackUnmuted
	case TrackEnded:
		return camera.TrackEnded
	case TrackNone:
		return camera.TrackNone
	case ParticipantLeft:
		return camera.ParticipantLeft
	default:
		return camera.ParticipantJoined
	}
}
