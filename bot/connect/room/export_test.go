package room

// RemoteCandidates returns how many remote ICE candidates the connection of role in
// interview id has taken (limits.go), or -1 when there is none.
func RemoteCandidates(m *Manager, id, role string) int {
	m.mu.Lock()
	rm := m.rooms[id]
	m.mu.Unlock()
	if rm == nil {
		return -1
	}
	rm.mu.Lock()
	p := rm.parts[role]
	rm.mu.Unlock()
	if p == nil {
		return -1
	}
	return int(p.remoteCands.Load())
}
