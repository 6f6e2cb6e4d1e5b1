package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const examplePath = "../../configs/integritybot.example.yaml"

func noEnv(string) (string, bool) { return "", false }

func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
}

func TestLoadNoFileIsDefault(t *testing.T) {
	c, err := LoadEnv("", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Fatalf("LoadEnv(\"\") = %+v, want Default()", c)
	}
	if got, want := c.DBPath(), filepath.Join("data", "integritybot.db"); got != want {
		t.Errorf("DBPath() = %q, want %q", got, want)
	}
}

func TestParseOverridesDefaults(t *testing.T) {
	c, err := Parse([]byte(`
server:
  addr: 0.0.0.0:9000
  trusted_proxies: ["10.0.0.0/8", "::1"]
webrtc:
  public_ips: [203.0.113.10]
  udp_port_min: 50000
  udp_port_max: 50100
  video_codec: vp9
  ice_servers:
    - urls: ["stun:stun.l.google.com:19302"]
    - urls: ["turn:turn.example.com:3478"]
      username: u
      credential: hunter2hunter2
interview:
  idle_timeout: 90s
camera:
  min_fps: 7.5
`))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Server.Addr = "0.0.0.0:9000"
	want.Server.TrustedProxies = []string{"10.0.0.0/8", "::1"}
	want.WebRTC.PublicIPs = []string{"203.0.113.10"}
	want.WebRTC.UDPPortMin, want.WebRTC.UDPPortMax = 50000, 50100
	want.WebRTC.VideoCodec = "vp9"
	want.WebRTC.ICEServers = []ICEServer{
		{URLs: []string{"stun:stun.l.google.com:19302"}},
		{URLs: []string{"turn:turn.example.com:3478"}, Username: "u", Credential: "hunter2hunter2"},
	}
	want.Interview.IdleTimeout = Duration(90 * time.Second)
	want.Camera.MinFPS = 7.5
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got  %+v\nwant %+v", c, want)
	}
	if got := c.BaseURL(); got != "http://127.0.0.1:9000" {
		t.Errorf("BaseURL() = %q", got)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", "\n", "# only a comment\n", "---\n"} {
		c, err := Parse([]byte(in))
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if !reflect.DeepEqual(c, Default()) {
			t.Fatalf("Parse(%q) is not Default()", in)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // substrings of the error
	}{
		{"unknown top-level key", "server:\n  addr: 127.0.0.1:1\ndata_dri: x\n",
			[]string{`line 3`, `unknown key "data_dri"`}},
		{"unknown nested key", "server:\n  adr: 127.0.0.1:1\n",
			[]string{`line 2`, `unknown key "server.adr"`, "addr, public_url"}},
		{"unknown key in list item", "webrtc:\n  ice_servers:\n    - urls: [stun:x]\n      password: p\n",
			[]string{`line 4`, `"webrtc.ice_servers[0].password"`}},
		{"all unknown keys at once", "a: 1\nlog:\n  lvl: x\n",
			[]string{`unknown key "a"`, `unknown key "log.lvl"`}},
		{"bad duration", "interview:\n  idle_timeout: 10\n", []string{"line 2", `invalid duration "10"`}},
		{"bad duration word", "auth:\n  link_ttl: a week\n", []string{`invalid duration "a week"`}},
		{"wrong type", "camera:\n  min_width: wide\n", []string{"line 2", "wide"}},
		{"fraction for integer", "camera:\n  min_width: 320.5\n", []string{"line 2", `"camera.min_width"`, "whole number"}},
		{"fraction for port", "webrtc: {udp_port_min: 1e3}\n", []string{`"webrtc.udp_port_min"`}},
		{"port out of range", "webrtc:\n  udp_port_min: 70000\n", []string{"70000"}},
		{"duplicate key", "log:\n  level: info\n  level: debug\n", []string{"already defined"}},
		{"two documents", "log: {}\n---\nlog: {}\n", []string{"more than one YAML document"}},
		{"not a mapping", "- a\n- b\n", []string{"cannot unmarshal"}},
		{"syntax", "server: [\n", []string{"yaml:"}},
		{"invalid after decode", "log:\n  level: loud\n", []string{"log.level", "loud"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestValidateReportsAllProblems(t *testing.T) {
	c := Default()
	c.Server.Addr = "localhost"
	c.Server.PublicURL = "ftp://x"
	c.Server.TrustedProxies = []string{"10.0.0.0/8", "10.0.0.0/33", "proxy"}
	c.Server.ShutdownTimeout = Duration(-time.Second)
	c.DataDir = ""
	c.Auth.APIToken = "short-secret"
	c.Auth.LinkTTL = 0
	c.WebRTC.PublicIPs = []string{"example.com"}
	c.WebRTC.UDPPortMin, c.WebRTC.UDPPortMax = 60000, 50000
	c.WebRTC.ICEServers = []ICEServer{{URLs: []string{"http://x"}}, {URLs: []string{"turn:t:3478"}}, {}}
	c.WebRTC.VideoCodec = "h264"
	c.WebRTC.StartBitrateKbps = 0
	c.Interview.IdleTimeout = Duration(-time.Minute)
	c.Interview.QueueSize = 0
	c.Camera.MinWidth = -1
	c.Camera.MinFPS = -1
	c.Retention.Days = -1
	c.Log.Level = "verbose"
	c.Log.Format = "xml"

	err := c.Validate()
	if err == nil {
		t.Fatal("Validate() = nil")
	}
	wantKeys := []string{
		"server.addr", "server.public_url", "server.trusted_proxies[1]", "server.trusted_proxies[2]",
		"server.shutdown_timeout", "data_dir", "auth.api_token", "auth.link_ttl",
		"webrtc.public_ips[0]", "webrtc.udp_port_min", "webrtc.ice_servers[0].urls[0]",
		"webrtc.ice_servers[1]", "webrtc.ice_servers[2].urls", "webrtc.video_codec",
		"webrtc.start_bitrate_kbps", "interview.idle_timeout", "interview.queue_size",
		"camera.min_width", "camera.min_fps", "retention.days", "log.level", "log.format",
	}
	var got []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("%v is not a *FieldError", e)
		}
		got = append(got, fe.Key)
		if !strings.HasPrefix(e.Error(), "config: "+fe.Key+": ") {
			t.Errorf("message %q does not start with its key", e)
		}
	}
	if !reflect.DeepEqual(got, wantKeys) {
		t.Errorf("problem keys:\n got  %q\n want %q", got, wantKeys)
	}
	if strings.Contains(err.Error(), "short-secret") {
		t.Errorf("error contains the API token: %v", err)
	}
}

func TestValidateUDPPortPair(t *testing.T) {
	c := Default()
	c.WebRTC.UDPPortMin = 50000
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "both") {
		t.Fatalf("only udp_port_min set: %v", err)
	}
	c.WebRTC.UDPPortMax = 50000
	if err := c.Validate(); err != nil {
		t.Fatalf("single-port range: %v", err)
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	const secret = "hunter2-very-secret-value"
	c := Default()
	c.Auth.APIToken = secret
	c.WebRTC.ICEServers = []ICEServer{{URLs: []string{"turn:x"}, Username: "u", Credential: secret}}

	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("config", "token", c.Auth.APIToken, "config", c)
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("config", "token", c.Auth.APIToken)
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	ym, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c),
		"%s": fmt.Sprintf("%s", c.Auth.APIToken), "%q": fmt.Sprintf("%q", c.Auth.APIToken),
		"%x": fmt.Sprintf("%x", c.Auth.APIToken), "%d": fmt.Sprintf("%d", c.Auth.APIToken),
		"%10.3s": fmt.Sprintf("%10.3s", c.Auth.APIToken), "String": c.Auth.APIToken.String(),
		"Sprint": fmt.Sprint(c.Auth.APIToken), "json": string(js), "yaml": string(ym),
		"slog": logBuf.String(),
	}
	hexSecret := fmt.Sprintf("%x", secret)
	for name, out := range outputs {
		if strings.Contains(out, secret) || strings.Contains(out, hexSecret) {
			t.Errorf("%s prints the secret: %s", name, out)
		}
	}
	outputs["json"] = strings.ReplaceAll(strings.ReplaceAll(outputs["json"], `\u003c`, "<"), `\u003e`, ">")
	for _, name := range []string{"%v", "%+v", "String", "json", "yaml", "slog"} {
		if !strings.Contains(outputs[name], "<secret>") {
			t.Errorf("%s does not show <secret>: %s", name, outputs[name])
		}
	}
	if c.Auth.APIToken.Value() != secret {
		t.Error("Value() does not return the secret")
	}
	if fmt.Sprint(Secret("")) != "" {
		t.Error("an empty secret should print as empty, so 'not set' stays visible")
	}
}

func TestDurationYAML(t *testing.T) {
	out, err := yaml.Marshal(struct{ D Duration }{Duration(90 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "d: 1m30s\n" {
		t.Fatalf("Marshal = %q", out)
	}
	var v struct{ D Duration }
	if err := yaml.Unmarshal(out, &v); err != nil || v.D.D() != 90*time.Second {
		t.Fatalf("round trip = %v, %v", v.D, err)
	}
}

func TestEnvOverrides(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("  file-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfgFile, []byte("server:\n  addr: 127.0.0.1:1\nauth:\n  api_token: from-the-file-0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		check   func(Config) error
		wantErr string
	}{
		{"file only", nil, func(c Config) error {
			return want(c.Auth.APIToken.Value() == "from-the-file-0123" && c.Server.Addr == "127.0.0.1:1")
		}, ""},
		{"token", map[string]string{EnvAPIToken: "env-token-0123456789"}, func(c Config) error {
			return want(c.Auth.APIToken.Value() == "env-token-0123456789")
		}, ""},
		{"token file trimmed", map[string]string{EnvAPITokenFile: tokenFile}, func(c Config) error {
			return want(c.Auth.APIToken.Value() == "file-token-0123456789")
		}, ""},
		{"empty vars ignored", map[string]string{EnvAPIToken: "", EnvAddr: ""}, func(c Config) error {
			return want(c.Auth.APIToken.Value() == "from-the-file-0123" && c.Server.Addr == "127.0.0.1:1")
		}, ""},
		{"addr, data dir, public url", map[string]string{
			EnvAddr: "0.0.0.0:80", EnvDataDir: "/var/lib/ib", EnvPublicURL: "https://ib.example.com/",
		}, func(c Config) error {
			return want(c.Server.Addr == "0.0.0.0:80" && c.DataDir == "/var/lib/ib" &&
				c.BaseURL() == "https://ib.example.com" && c.DBPath() == "/var/lib/ib/integritybot.db")
		}, ""},
		{"cascade dir", map[string]string{EnvCascadeDir: "/opt/pigo/cascade"}, func(c Config) error {
			return want(c.Face.CascadeDir == "/opt/pigo/cascade")
		}, ""},
		{"both token vars", map[string]string{EnvAPIToken: "x", EnvAPITokenFile: tokenFile}, nil, "not both"},
		{"missing token file", map[string]string{EnvAPITokenFile: filepath.Join(dir, "nope")}, nil, "INTEGRITYBOT_API_TOKEN_FILE"},
		{"env is validated", map[string]string{EnvAddr: "nonsense"}, nil, "server.addr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadEnv(cfgFile, envMap(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.check(c); err != nil {
				t.Fatalf("%v: %+v", err, c)
			}
		})
	}
}

func want(ok bool) error {
	if !ok {
		return errors.New("unexpected config")
	}
	return nil
}

func TestLoadMissingFile(t *testing.T) {
	_, err := LoadEnv(filepath.Join(t.TempDir(), "missing.yaml"), noEnv)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want ErrNotExist", err)
	}
}

func TestBaseURL(t *testing.T) {
	tests := map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		"0.0.0.0:80":     "http://127.0.0.1:80",
		":8080":          "http://127.0.0.1:8080",
		"[::]:8080":      "http://127.0.0.1:8080",
		"[::1]:8080":     "http://[::1]:8080",
		"host.lan:9":     "http://host.lan:9",
	}
	for addr, want := range tests {
		c := Default()
		c.Server.Addr = addr
		if got := c.BaseURL(); got != want {
			t.Errorf("addr %q: BaseURL() = %q, want %q", addr, got, want)
		}
	}
}

func TestParsePrefix(t *testing.T) {
	for in, want := range map[string]string{
		"10.1.2.3/8": "10.0.0.0/8", "192.168.1.1": "192.168.1.1/32", "::1": "::1/128", "fd00::/8": "fd00::/8",
	} {
		p, err := ParsePrefix(in)
		if err != nil || p.String() != want {
			t.Errorf("ParsePrefix(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	if _, err := ParsePrefix("10.0.0.0/40"); err == nil {
		t.Error("ParsePrefix accepted /40")
	}
}

// TestExampleDocumentsEveryKey keeps configs/integritybot.example.yaml complete: it must
// parse, equal the defaults, contain every key of Config (keys of list items may appear in a
// commented-out example) and give each key a comment.
func TestExampleDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(data)
	if err != nil {
		t.Fatalf("example does not parse: %v", err)
	}
	// %+v prints nil and empty lists alike; the file writes "[]" for clarity.
	if fmt.Sprintf("%+v", c) != fmt.Sprintf("%+v", Default()) {
		t.Errorf("example values differ from Default():\n got  %+v\n want %+v", c, Default())
	}

	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	present := map[string]bool{}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			path := prefix + k.Value
			present[path] = true
			if k.HeadComment == "" && k.LineComment == "" {
				t.Errorf("key %q (line %d) has no comment", path, k.Line)
			}
			walk(n.Content[i+1], path+".")
		}
	}
	walk(doc.Content[0], "")

	for _, key := range Keys() {
		if present[key] {
			continue
		}
		parent, leaf, inList := strings.Cut(key, "[].")
		if !inList {
			t.Errorf("key %q is missing from %s", key, examplePath)
			continue
		}
		// A key inside list items: the list must be present and the key shown in a comment.
		if !present[parent] {
			t.Errorf("key %q is missing from %s", parent, examplePath)
		}
		re := regexp.MustCompile(`(?m)^\s*#\s*(- )?` + regexp.QuoteMeta(leaf) + `:`)
		if !re.Match(data) {
			t.Errorf("list item key %q is not documented in a comment of %s", key, examplePath)
		}
	}
}

func TestKeys(t *testing.T) {
	keys := strings.Join(Keys(), " ")
	for _, k := range []string{"server.addr", "data_dir", "auth.api_token", "webrtc.ice_servers[].credential", "camera.min_fps", "log.format"} {
		if !strings.Contains(" "+keys+" ", " "+k+" ") {
			t.Errorf("Keys() lacks %q", k)
		}
	}
}

func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile(examplePath); err == nil {
		f.Add(data)
	}
	for _, s := range []string{"", "server:\n  adr: x\n", "a: &a [*a]\n", "<<: {log: {}}\n",
		"webrtc:\n  ice_servers:\n    - {urls: [stun:x], x: 1}\n", "interview: {idle_timeout: 1h}\n",
		"camera: {min_fps: .nan}\n", "server: &s {addr: ':1'}\nlog: *s\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("Parse returned a config that does not validate: %v", verr)
			}
		}
	})
}
