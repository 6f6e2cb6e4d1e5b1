package livekit

import (
	"errors"
	"fmt"
	"time"

	"github.com/livekit/protocol/auth"
)

// tokenTTL is how long a join token stays valid: minutes, not an hour (issue 15, finding 2),
// since it is a bearer credential for a hidden subscriber in the room. A token is made per
// join attempt (a rejoin signs a new one); while the bot is connected the LiveKit server
// hands it refreshed tokens for its own reconnects.
const tokenTTL = 10 * time.Minute

// Token returns the access token (a JWT signed with the API secret) with which the bot joins
// room as identity: a hidden participant that may subscribe and send data (the consent
// notice) but never publish media. See https://docs.livekit.io/home/get-started/authentication/.
func Token(apiKey, apiSecret, room, identity, name string) (string, error) {
	if apiKey == "" || apiSecret == "" {
		return "", errors.New("livekit: token: API key and secret are required")
	}
	if room == "" || identity == "" {
		return "", errors.New("livekit: token: room and identity are required")
	}
	grant := &auth.VideoGrant{RoomJoin: true, Room: room, Hidden: true}
	grant.SetCanSubscribe(true)
	grant.SetCanPublish(false)
	grant.SetCanPublishData(true)
	grant.SetCanUpdateOwnMetadata(false)
	at := auth.NewAccessToken(apiKey, apiSecret).
		SetVideoGrant(grant).
		SetIdentity(identity).
		SetName(name).
		SetValidFor(tokenTTL)
	tok, err := at.ToJWT()
	if err != nil {
		return "", fmt.Errorf("livekit: token: %w", err) // the error never holds the secret
	}
	return tok, nil
}
