package turn

import (
	"net"
	"testing"
	"time"

	pionturn "github.com/pion/turn/v5"
	"github.com/pion/webrtc/v4"
)

// TestCredential: the scheme's known answer, computed independently with
// `printf %s 1700000000:iv-42 | openssl dgst -sha1 -hmac s3cret -binary | base64`.
func TestCredential(t *testing.T) {
	u, p := Credential("s3cret", "iv-42", time.Unix(1700000000, 0))
	if u != "1700000000:iv-42" || p != "XpEUC+Qg24X6IvfYnvFKORTaeo8=" {
		t.Errorf("Credential = %q, %q", u, p)
	}
}

func TestIssuerICEServers(t *testing.T) {
	now := time.Unix(1700000000, 0)
	is := Issuer{Secret: "s3cret", TTL: time.Hour, Now: func() time.Time { return now }}
	in := []webrtc.ICEServer{
		{URLs: []string{"stun:stun.example.com:3478"}},
		{URLs: []string{"turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349"}, Credential: ""},
		{URLs: []string{"turn:static.example.com"}, Username: "u", Credential: "p"},
	}
	out := is.ICEServers(in, "iv-42")
	wantUser, wantPass := Credential("s3cret", "iv-42", now.Add(time.Hour))
	if out[0].Username != "" || out[0].Credential != nil {
		t.Errorf("STUN server got credentials: %+v", out[0])
	}
	if out[1].Username != wantUser || out[1].Credential != wantPass || wantUser != "1700003600:iv-42" {
		t.Errorf("TURN server: %+v, want %s / %s", out[1], wantUser, wantPass)
	}
	if out[2].Username != "u" || out[2].Credential != "p" {
		t.Errorf("a static credential was replaced: %+v", out[2])
	}
	if in[1].Username != "" {
		t.Error("the input was changed")
	}
	if got := (Issuer{}).ICEServers(in, "x"); got[1].Username != "" {
		t.Error("no secret: credentials issued")
	}
}

// TestTURNServerAccepts: a real TURN server (pion/turn with its TURN REST handler, as coturn's
// use-auth-secret) allocates a relay with an issued credential, and refuses an expired one
// and one signed with another secret.
func TestTURNServerAccepts(t *testing.T) {
	const secret = "shared-turn-secret"
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := pionturn.NewServer(pionturn.ServerConfig{
		Realm:       "integritybot.test",
		AuthHandler: pionturn.LongTermTURNRESTAuthHandler(secret, nil),
		PacketConnConfigs: []pionturn.PacketConnConfig{{PacketConn: pc,
			RelayAddressGenerator: &pionturn.RelayAddressGeneratorStatic{RelayAddress: net.ParseIP("127.0.0.1"), Address: "127.0.0.1"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	allocate := func(user, pass string) error {
		conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		c, err := pionturn.NewClient(&pionturn.ClientConfig{TURNServerAddr: pc.LocalAddr().String(), STUNServerAddr: pc.LocalAddr().String(),
			Username: user, Password: pass, Realm: "integritybot.test", Conn: conn})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Listen(); err != nil {
			t.Fatal(err)
		}
		relay, err := c.Allocate()
		if err == nil {
			relay.Close()
		}
		return err
	}
	valid := Issuer{Secret: secret, TTL: 10 * time.Minute}.ICEServers([]webrtc.ICEServer{{URLs: []string{"turn:" + pc.LocalAddr().String()}}}, "iv-1")[0]
	if err := allocate(valid.Username, valid.Credential.(string)); err != nil {
		t.Errorf("issued credential refused: %v", err)
	}
	u, p := Credential(secret, "iv-1", time.Now().Add(-time.Minute))
	if err := allocate(u, p); err == nil {
		t.Error("an expired credential was accepted")
	}
	u, p = Credential("another-secret", "iv-1", time.Now().Add(time.Hour))
	if err := allocate(u, p); err == nil {
		t.Error("a credential signed with another secret was accepted")
	}
}
