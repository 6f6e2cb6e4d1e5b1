// Package turn issues short-lived TURN credentials with the TURN REST API scheme
// (draft-uberti-behave-turn-rest, as coturn's use-auth-secret and pion/turn's
// LongTermTURNRESTAuthHandler check them): the username is "expiry:id", expiry a Unix
// time, and the password is base64(HMAC-SHA1(shared secret, username)), used as the
// long-term credential of RFC 8489 §9.2. The TURN server and integritybot share the secret;
// each credential stops working at its expiry, so one handed to a candidate cannot be
// reused by anyone for long — unlike a static username and password sent to every
// candidate (issue 15, finding 8).
package turn

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // HMAC-SHA1 is what the TURN REST scheme and RFC 8489's long-term credentials use
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"
)

// Credential returns the username and password for id valid until expiry.
func Credential(secret, id string, expiry time.Time) (username, password string) {
	username = strconv.FormatInt(expiry.Unix(), 10) + ":" + id
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return username, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Issuer hands out credentials valid for TTL from Now.
type Issuer struct {
	Secret string
	TTL    time.Duration
	Now    func() time.Time
}

// ICEServers returns servers with credentials issued for id in every TURN server (turn: or
// turns: URLs) that has no static credential of its own; STUN servers and TURN servers with
// a static credential are returned as they are. A zero Issuer (no secret) returns servers
// unchanged.
func (is Issuer) ICEServers(servers []webrtc.ICEServer, id string) []webrtc.ICEServer {
	if is.Secret == "" {
		return servers
	}
	now := time.Now
	if is.Now != nil {
		now = is.Now
	}
	out := make([]webrtc.ICEServer, len(servers))
	for i, s := range servers {
		out[i] = s
		if static, _ := s.Credential.(string); isTURN(s.URLs) && static == "" && s.Username == "" {
			out[i].Username, out[i].Credential = Credential(is.Secret, id, now().Add(is.TTL))
			out[i].CredentialType = webrtc.ICECredentialTypePassword
		}
	}
	return out
}

func isTURN(urls []string) bool {
	for _, u := range urls {
		if strings.HasPrefix(u, "turn:") || strings.HasPrefix(u, "turns:") {
			return true
		}
	}
	return false
}
