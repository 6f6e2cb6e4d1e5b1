package room

// onConsent handles {"type":"consent","state":"declined"}: the candidate chose "I do not
// agree" on the consent notice. Nothing was analyzed; the interviewer is told (a peer state
// "declined", also on a later join) so they can offer another way to talk, and the timeline
// records it.
func (p *participant) onConsent(msg Message) {
	if p.role != Candidate {
		p.sock.Send(out{Type: "error", Error: "only the candidate answers the consent notice"})
		return
	}
	rm := p.rm
	rm.mu.Lock()
	current := rm.parts[Candidate] == p
	iv := rm.parts[Interviewer]
	rm.mu.Unlock()
	if !current || p.isPresent() {
		return // a stale window, or one already in the call
	}
	if rm.declined.Swap(true) {
		return
	}
	rm.sess.Event("declined", "The candidate declined the consent notice; nothing was analyzed.")
	if iv != nil {
		iv.sock.Send(out{Type: "peer", Role: Candidate, State: msg.State})
	}
}
