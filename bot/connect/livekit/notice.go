package livekit

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	lksdk "github.com/livekit/server-sdk-go/v2"
)

// Chat topics of LiveKit's components (the prebuilt meeting UI): current clients read text
// streams on "lk.chat"; older ones read data packets on "lk-chat-topic" holding
// {"id","timestamp","message"}. Both carry the same id, as the components themselves send
// them, so a client that reads both shows the notice once.
const (
	chatTopic       = "lk.chat"
	legacyChatTopic = "lk-chat-topic"
)

// postNotice posts text in the room's chat.
func postNotice(lp *lksdk.LocalParticipant, text string, now time.Time) error {
	var b [12]byte
	_, _ = rand.Read(b[:])
	id := "ib-" + hex.EncodeToString(b[:])
	lp.SendText(text, lksdk.StreamTextOptions{Topic: chatTopic, StreamId: &id})
	legacy, err := json.Marshal(struct {
		ID        string `json:"id"`
		Timestamp int64  `json:"timestamp"`
		Message   string `json:"message"`
	}{id, now.UnixMilli(), text})
	if err != nil {
		return fmt.Errorf("livekit: notice: %w", err)
	}
	if err := lp.PublishDataPacket(&lksdk.UserDataPacket{Payload: legacy, Topic: legacyChatTopic}, lksdk.WithDataPublishReliable(true)); err != nil {
		return fmt.Errorf("livekit: notice: %w", err)
	}
	return nil
}
