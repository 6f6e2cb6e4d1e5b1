package main

import (
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/turn"
)

// iceServers converts webrtc.ice_servers for pion, for the hosted rooms and the joined calls.
func iceServers(w config.WebRTC) []webrtc.ICEServer {
	var ice []webrtc.ICEServer
	for _, s := range w.ICEServers {
		ice = append(ice, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential.Value()})
	}
	return ice
}

// turnIssuer issues short-lived TURN credentials when webrtc.turn_secret is set; otherwise
// its zero value leaves the configured servers as they are.
func turnIssuer(w config.WebRTC) turn.Issuer {
	return turn.Issuer{Secret: w.TURNSecret.Value(), TTL: w.TURNTTL.D(), Now: time.Now}
}
