package whep

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"
)

// requestRestart asks the session's loop for an ICE restart; one pending request is enough.
func (m *attemptState) requestRestart() {
	select {
	case m.restart <- struct{}{}:
	default:
	}
}

// restartICE restarts ICE over the session (RFC 9725 §4.3.2): new local credentials and
// candidates go in one PATCH with If-Match "*", the server answers 200 with its own, and the
// media continue on the same session. When the server cannot restart (no session URL, an
// error answer) nothing changes: if the connection then fails the session is POSTed again.
func (m *attemptState) restartICE(ctx context.Context) {
	if m.resource == nil || m.resource.url == "" {
		return
	}
	m.setRestarting(true)
	defer m.setRestarting(false)
	if err := m.doRestart(ctx); err != nil {
		m.c.log.Debug("whep ice restart", "err", err)
		return
	}
	m.c.sess.Event("whep", "The connection was interrupted; ICE restarted on the same WHEP session.")
}

func (m *attemptState) doRestart(ctx context.Context) error {
	offer, err := m.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		return fmt.Errorf("whep: ice restart: create offer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(m.pc)
	if err := m.pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("whep: ice restart: set offer: %w", err)
	}
	t := time.NewTimer(max(m.c.cfg.GatherTimeout, time.Second))
	select {
	case <-gathered:
	case <-t.C:
	case <-ctx.Done():
	}
	t.Stop()
	local := m.pc.LocalDescription().SDP
	var cands []string
	for _, l := range strings.Split(local, "\r\n") {
		if strings.HasPrefix(l, "a=candidate:") {
			cands = append(cands, l)
		}
	}
	body, etag, err := m.c.patch(ctx, m.resource.url, "*", sdpFrag(local, cands, true))
	if err != nil {
		return err
	}
	frag, _ := m.c.cfg.Guard.filterCandidates(string(body))
	answer, err := restartedAnswer(m.pc.RemoteDescription().SDP, frag)
	if err != nil {
		return err
	}
	if err := m.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return fmt.Errorf("whep: ice restart: set answer: %w", err)
	}
	m.mu.Lock()
	m.sent = local
	if etag != "" {
		m.etag = etag
	}
	m.mu.Unlock()
	return nil
}

func (m *attemptState) setRestarting(on bool) {
	m.mu.Lock()
	m.restarting = on
	m.mu.Unlock()
}

// errNoCredentials is returned for a restart answer without the server's new credentials:
// the server took the PATCH as trickled candidates, not as a restart.
var errNoCredentials = errors.New("whep: ice restart: the server's answer has no ICE credentials")

// restartedAnswer returns the session's answer with the ICE credentials and candidates of
// the server's restart fragment: credentials replaced everywhere, the old candidates
// dropped, the new ones in the first (bundled) media section.
func restartedAnswer(answer, frag string) (string, error) {
	var ufrag, pwd string
	var cands []string
	for _, l := range strings.Split(frag, "\n") {
		l = strings.TrimRight(l, "\r")
		switch {
		case strings.HasPrefix(l, "a=ice-ufrag:") && ufrag == "":
			ufrag = l
		case strings.HasPrefix(l, "a=ice-pwd:") && pwd == "":
			pwd = l
		case strings.HasPrefix(l, "a=candidate:"), l == "a=end-of-candidates":
			cands = append(cands, l)
		}
	}
	if ufrag == "" || pwd == "" {
		return "", errNoCredentials
	}
	var out []string
	media := 0
	for _, l := range strings.Split(strings.TrimSuffix(answer, "\r\n"), "\r\n") {
		switch {
		case strings.HasPrefix(l, "m="):
			if media == 1 {
				out = append(out, cands...)
			}
			media++
		case strings.HasPrefix(l, "a=ice-ufrag:"):
			l = ufrag
		case strings.HasPrefix(l, "a=ice-pwd:"):
			l = pwd
		case strings.HasPrefix(l, "a=candidate:"), l == "a=end-of-candidates":
			continue
		}
		out = append(out, l)
	}
	if media == 1 {
		out = append(out, cands...)
	}
	return strings.Join(out, "\r\n") + "\r\n", nil
}
