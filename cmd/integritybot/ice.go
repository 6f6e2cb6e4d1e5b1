package main

import (
	"github.com/pion/webrtc/v4"

	"github.com/integritybot/integritybot/internal/config"
)

// iceServers converts webrtc.ice_servers for pion, for the hosted rooms and the joined calls.
func iceServers(w config.WebRTC) []webrtc.ICEServer {
	var ice []webrtc.ICEServer
	for _, s := range w.ICEServers {
		ice = append(ice, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential.Value()})
	}
	return ice
}
