package whep

import (
	"strings"
	"testing"
)

// FuzzParseLinks: Link headers come from the server; parsing never panics and yields only
// ice-server links with a URL.
func FuzzParseLinks(f *testing.F) {
	for _, s := range []string{
		`<stun:stun.example.net>; rel="ice-server", <turn:turn.example.net?transport=udp>; rel="ice-server"; username="u;1"; credential="p,2"`,
		`<turn:127.0.0.1:3478>; rel="ice-server"; username="bot"; credential="p;a,s\"s\\w"; credential-type="password"`,
		`<https://example.net/doc>; rel="help"`, `<`, `"`, `<a>; rel="ice-server"; credential="\`, "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, s := range parseLinks([]string{v}) {
			if len(s.URLs) != 1 || !strings.Contains(v, s.URLs[0]) {
				t.Fatalf("parseLinks(%q) gave %+v", v, s)
			}
		}
	})
}

// FuzzRestartedAnswer: the restart fragment comes from the server; the rebuilt answer
// never panics and, when accepted, carries the fragment's credentials and none of the old.
func FuzzRestartedAnswer(f *testing.F) {
	answer := "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=ice-ufrag:old\r\na=ice-pwd:oldpwd\r\n" +
		"a=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:1\r\n"
	f.Add("a=ice-ufrag:new\r\na=ice-pwd:newpwd\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=candidate:2 1 udp 2 127.0.0.1 6000 typ host\r\n")
	f.Add("a=ice-ufrag:new\na=ice-pwd:x\n")
	f.Add("a=candidate:2 1 udp 2 127.0.0.1 6000 typ host")
	f.Fuzz(func(t *testing.T, frag string) {
		got, err := restartedAnswer(answer, frag)
		if err != nil {
			return
		}
		stale := strings.Contains(got, "a=ice-ufrag:old\r\n") && !strings.Contains(frag, "ice-ufrag:old") ||
			strings.Contains(got, "127.0.0.1 5000") && !strings.Contains(frag, "127.0.0.1 5000")
		if stale || !strings.HasSuffix(got, "\r\n") {
			t.Fatalf("restartedAnswer(%q) =\n%q", frag, got)
		}
	})
}
