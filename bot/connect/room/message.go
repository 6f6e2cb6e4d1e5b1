package room

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/internal/report"
)

// maxMessageSize bounds one signaling message; an SDP offer from Chromium is ~6–12 KB.
const maxMessageSize = 128 << 10

// Message is a client → server signaling message (docs/protocol.md).
type Message struct {
	Type      string                   `json:"type"`
	SDP       string                   `json:"sdp,omitempty"`
	Candidate *webrtc.ICECandidateInit `json:"candidate,omitempty"`
	Kind      string                   `json:"kind,omitempty"`
	State     string                   `json:"state,omitempty"`
	Label     string                   `json:"label,omitempty"`
	Error     string                   `json:"error,omitempty"`
	// hello: what the candidate's browser says about itself (check.Hello).
	Timezone     string   `json:"timezone,omitempty"`
	UTCOffsetMin *int     `json:"utc_offset_min,omitempty"`
	NowMs        int64    `json:"now_ms,omitempty"`
	Languages    []string `json:"languages,omitempty"`
	UserAgent    string   `json:"user_agent,omitempty"`
	// mark: the interviewer marks a liveness challenge window from now (media/liveness steps).
	Step    string `json:"step,omitempty"`
	Seconds int    `json:"seconds,omitempty"`
}

// ErrBadMessage is returned for a signaling message the server cannot use.
var ErrBadMessage = errors.New("bad signaling message")

// DecodeMessage parses and validates one client message. The error names what is wrong in a
// sentence the client can show.
func DecodeMessage(data []byte) (Message, error) {
	var m Message
	if len(data) > maxMessageSize {
		return m, fmt.Errorf("%w: larger than %d bytes", ErrBadMessage, maxMessageSize)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("%w: not a JSON object: %v", ErrBadMessage, err)
	}
	switch m.Type {
	case "offer":
		if m.SDP == "" {
			return m, fmt.Errorf("%w: offer without sdp", ErrBadMessage)
		}
	case "candidate", "end", "liveness":
	case "mark":
		if !report.IsChallengeStep(m.Step) {
			return m, fmt.Errorf("%w: mark step %q is not one of %s", ErrBadMessage, m.Step, strings.Join(report.ChallengeSteps(), ", "))
		}
		if m.Seconds == 0 {
			m.Seconds = 5
		}
		if m.Seconds < 1 || m.Seconds > 30 {
			return m, fmt.Errorf("%w: mark seconds %d is outside 1..30", ErrBadMessage, m.Seconds)
		}
	case "track":
		if m.Kind != "video" && m.Kind != "audio" {
			return m, fmt.Errorf("%w: track kind %q is not video or audio", ErrBadMessage, m.Kind)
		}
		switch m.State {
		case "live", "muted", "unmuted", "ended", "none":
		default:
			return m, fmt.Errorf("%w: track state %q is unknown", ErrBadMessage, m.State)
		}
		if len(m.Label) > 256 {
			m.Label = m.Label[:256]
		}
	case "hello":
		if err := validateHello(&m); err != nil {
			return m, err
		}
	case "consent":
		if m.State != "declined" {
			return m, fmt.Errorf("%w: consent state %q is not declined", ErrBadMessage, m.State)
		}
	case "":
		return m, fmt.Errorf("%w: missing type", ErrBadMessage)
	default:
		return m, fmt.Errorf("%w: unknown type %q", ErrBadMessage, m.Type)
	}
	return m, nil
}

// validateHello checks a hello message's fields and trims what is only context.
func validateHello(m *Message) error {
	if len(m.Timezone) > 64 || strings.ContainsAny(m.Timezone, " \t\n") {
		return fmt.Errorf("%w: hello timezone %q is not an IANA zone name", ErrBadMessage, m.Timezone)
	}
	if m.UTCOffsetMin == nil {
		return fmt.Errorf("%w: hello without utc_offset_min", ErrBadMessage)
	}
	if o := *m.UTCOffsetMin; o < -18*60 || o > 18*60 {
		return fmt.Errorf("%w: hello utc_offset_min %d is outside ±1080", ErrBadMessage, o)
	}
	if m.NowMs < 0 {
		return fmt.Errorf("%w: hello now_ms is negative", ErrBadMessage)
	}
	if len(m.Languages) > 16 {
		m.Languages = m.Languages[:16]
	}
	langs := m.Languages[:0]
	for _, l := range m.Languages {
		if l != "" && len(l) <= 35 {
			langs = append(langs, l)
		}
	}
	m.Languages = langs
	if len(m.UserAgent) > 512 {
		m.UserAgent = m.UserAgent[:512]
	}
	return nil
}

// out is a server → client message.
type out struct {
	Type          string                   `json:"type"`
	Role          string                   `json:"role,omitempty"`
	InterviewID   string                   `json:"interview_id,omitempty"`
	Candidate     any                      `json:"candidate,omitempty"`
	ICEServers    []webrtc.ICEServer       `json:"ice_servers,omitempty"`
	RetentionDays *int                     `json:"retention_days,omitempty"`
	SDP           string                   `json:"sdp,omitempty"`
	State         string                   `json:"state,omitempty"`
	Report        any                      `json:"report,omitempty"`
	Error         string                   `json:"error,omitempty"`
	ICECandidate  *webrtc.ICECandidateInit `json:"-"`
	// challenge: one liveness prompt (index counts from 1 of count).
	Step    string `json:"step,omitempty"`
	Text    string `json:"text,omitempty"`
	Seconds int    `json:"seconds,omitempty"`
	Index   int    `json:"index,omitempty"`
	Count   int    `json:"count,omitempty"`
}

// MarshalJSON puts an ICE candidate under "candidate", which the welcome message uses for
// the candidate's claims.
func (o out) MarshalJSON() ([]byte, error) {
	type plain out
	if o.ICECandidate != nil {
		o.Candidate = o.ICECandidate
	}
	return json.Marshal(plain(o))
}
