package rtcapi

import (
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"
)

// TestOfferHasOnlyTheRegisteredCodecs: a stack offers exactly the codecs it was given, video
// with its RTCP feedback and RTX, so a remote peer can choose no other.
func TestOfferHasOnlyTheRegisteredCodecs(t *testing.T) {
	api, err := New(Options{
		Video: []webrtc.RTPCodecParameters{Video(webrtc.MimeTypeVP9, "profile-id=0", 98), RTX(98, 99)},
		Audio: []webrtc.RTPCodecParameters{Opus(111)},
	})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"a=rtpmap:98 VP9/90000", "a=fmtp:98 profile-id=0", "a=rtcp-fb:98 nack pli",
		"a=rtcp-fb:98 transport-cc", "a=rtcp-fb:98 goog-remb", "a=rtcp-fb:98 ccm fir", "a=rtpmap:99 rtx/90000",
		"a=fmtp:99 apt=98", "a=rtpmap:111 opus/48000/2", "a=fmtp:111 minptime=10;useinbandfec=1"} {
		if !strings.Contains(offer.SDP, want+"\r\n") {
			t.Errorf("offer lacks %q", want)
		}
	}
	for _, not := range []string{"VP8", "H264", "PCMU"} {
		if strings.Contains(offer.SDP, not) {
			t.Errorf("offer has %s, which was not registered", not)
		}
	}
}

func TestBadOptions(t *testing.T) {
	if _, err := New(Options{UDPPortMin: 5000, UDPPortMax: 4000}); err == nil || !strings.Contains(err.Error(), "udp port range") {
		t.Errorf("port range 5000..4000: %v", err)
	}
	if _, err := New(Options{Video: []webrtc.RTPCodecParameters{Video(webrtc.MimeTypeVP8, "", 96), Video(webrtc.MimeTypeVP9, "", 96)}}); err == nil {
		t.Error("two codecs on one payload type were accepted")
	}
}
