package room

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeMessage(t *testing.T) {
	cases := []struct {
		name, in string
		ok       bool
	}{
		{"offer", `{"type":"offer","sdp":"v=0\r\n"}`, true},
		{"candidate", `{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}}`, true},
		{"end of candidates", `{"type":"candidate","candidate":null}`, true},
		{"track", `{"type":"track","kind":"video","state":"muted","label":"FaceTime HD"}`, true},
		{"end", `{"type":"end"}`, true},
		{"liveness", `{"type":"liveness"}`, true},
		{"mark", `{"type":"mark","step":"hand","seconds":5}`, true},
		{"mark default seconds", `{"type":"mark","step":"turn_left"}`, true},
		{"mark unknown step", `{"type":"mark","step":"smile"}`, false},
		{"mark custom", `{"type":"mark","step":"custom","seconds":8}`, true},
		{"mark too long", `{"type":"mark","step":"closer","seconds":600}`, false},
		{"hello", `{"type":"hello","timezone":"America/Chicago","utc_offset_min":-300,"now_ms":1767225600000,"languages":["en-US","es"],"user_agent":"Mozilla/5.0"}`, true},
		{"hello without zone", `{"type":"hello","utc_offset_min":0}`, true},
		{"hello without offset", `{"type":"hello","timezone":"Asia/Seoul"}`, false},
		{"hello offset out of range", `{"type":"hello","timezone":"Asia/Seoul","utc_offset_min":5000}`, false},
		{"hello bad zone", `{"type":"hello","timezone":"Asia/Seoul; drop","utc_offset_min":540}`, false},
		{"hello negative clock", `{"type":"hello","utc_offset_min":0,"now_ms":-5}`, false},
		{"consent declined", `{"type":"consent","state":"declined"}`, true},
		{"consent other state", `{"type":"consent","state":"accepted"}`, false},
		{"not json", `{"type":`, false},
		{"array", `[]`, false},
		{"no type", `{}`, false},
		{"unknown type", `{"type":"hack"}`, false},
		{"offer without sdp", `{"type":"offer"}`, false},
		{"bad kind", `{"type":"track","kind":"screen","state":"live"}`, false},
		{"bad state", `{"type":"track","kind":"video","state":"exploded"}`, false},
		{"too large", `{"type":"offer","sdp":"` + strings.Repeat("a", maxMessageSize) + `"}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeMessage([]byte(tc.in))
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrBadMessage) {
				t.Fatalf("err = %v, want ErrBadMessage", err)
			}
		})
	}
}

func FuzzDecodeMessage(f *testing.F) {
	for _, s := range []string{`{"type":"offer","sdp":"v=0"}`, `{"type":"candidate","candidate":{"candidate":"x"}}`,
		`{"type":"track","kind":"audio","state":"none","label":"` + strings.Repeat("é", 300) + `"}`, `{"type":"end"}`, `null`,
		`{"type":"hello","timezone":"Asia/Seoul","utc_offset_min":540,"now_ms":1767225600000,"languages":["ko-KR","en"],"user_agent":"x"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeMessage(data)
		if err == nil && m.Type == "" {
			t.Fatal("accepted a message without type")
		}
		if err == nil && len(m.Label) > 256 {
			t.Fatal("label not truncated")
		}
		if err == nil && m.Type == "hello" && (m.UTCOffsetMin == nil || len(m.Languages) > 16 || len(m.UserAgent) > 512 || len(m.Timezone) > 64) {
			t.Fatalf("hello not validated: %+v", m)
		}
	})
}

func TestWithStartBitrate(t *testing.T) {
	sdp := "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 98\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:98 VP9/90000\r\na=fmtp:98 profile-id=0\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10\r\n"
	got := withStartBitrate(sdp, 2500)
	for _, want := range []string{"a=rtpmap:96 VP8/90000\r\na=fmtp:96 x-google-start-bitrate=2500\r\n", "a=fmtp:98 profile-id=0;x-google-start-bitrate=2500\r\n", "a=fmtp:111 minptime=10\r\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if withStartBitrate(sdp, 0) != sdp {
		t.Error("kbps 0 changed the SDP")
	}
}
