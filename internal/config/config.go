// Package config loads integritybot's configuration: one YAML file decoded strictly (an
// unknown key is an error naming it and its line) over defaults defined in code, then
// environment overrides for secrets and deployment paths, then one Validate that reports
// every problem at once. configs/integritybot.example.yaml documents every key; a test keeps
// it complete.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/integritybot/integritybot/bot"
	"github.com/integritybot/integritybot/bot/connect/room"
	"github.com/integritybot/integritybot/internal/httplimit"
	"github.com/integritybot/integritybot/media/camera"
	"github.com/integritybot/integritybot/media/face"
)

// Config is the whole configuration. The zero value is not useful; start from Default.
type Config struct {
	Server    Server    `yaml:"server"`
	DataDir   string    `yaml:"data_dir"`
	Auth      Auth      `yaml:"auth"`
	WebRTC    WebRTC    `yaml:"webrtc"`
	Interview Interview `yaml:"interview"`
	Camera    Camera    `yaml:"camera"`
	Face      Face      `yaml:"face"`
	Geo       Geo       `yaml:"geo"`
	Retention Retention `yaml:"retention"`
	Log       Log       `yaml:"log"`
	// Slack, Discord and Webhook configure the chat integrations (chat.go).
	Slack   Slack   `yaml:"slack"`
	Discord Discord `yaml:"discord"`
	Webhook Webhook `yaml:"webhook"`
	// Chat is what the chat integrations may share (chat.go).
	Chat Chat `yaml:"chat"`
	// LiveKit configures joining calls in LiveKit rooms (livekit.go).
	LiveKit LiveKit `yaml:"livekit"`
	// Store selects SQLite or PostgreSQL (store.go).
	Store Store `yaml:"store"`
	// Join limits the calls the API may ask serve to join (join.go).
	Join Join `yaml:"join"`
}

// Server configures the HTTP server.
type Server struct {
	// Addr is the listen address, host:port.
	Addr string `yaml:"addr"`
	// PublicURL is the base URL put into links; empty means derived from Addr (see BaseURL).
	PublicURL string `yaml:"public_url"`
	// TrustedProxies lists CIDRs (or single IPs) of reverse proxies whose X-Forwarded-For is
	// believed.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// ShutdownTimeout bounds a graceful shutdown.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// Metrics serves /metrics (Prometheus); it needs the API token unless MetricsPublic.
	Metrics bool `yaml:"metrics"`
	// MetricsPublic serves /metrics without the API token (a scraper without credentials on
	// a network you trust). Default false: behind a same-host reverse proxy loopback is public.
	MetricsPublic bool `yaml:"metrics_public"`
	// Pprof serves Go's profiler on /debug/pprof/, always behind the API token. Default false.
	Pprof bool `yaml:"pprof"`
	// ReadTimeout bounds reading a request, body included; WriteTimeout writing a response;
	// IdleTimeout how long a keep-alive connection waits for its next request. The signaling
	// websocket keeps its own deadlines and pings instead (internal/httplimit).
	ReadTimeout  Duration `yaml:"read_timeout"`
	WriteTimeout Duration `yaml:"write_timeout"`
	IdleTimeout  Duration `yaml:"idle_timeout"`
	// MaxConnsPerIP bounds the open connections of one client address (trusted proxies are
	// exempt); 0 means no bound.
	MaxConnsPerIP int `yaml:"max_conns_per_ip"`
	// CreatePerMinute and CreateBurst bound interview creation through the API per client
	// address (a token bucket: CreateBurst at once, refilled at CreatePerMinute); over it the
	// API answers 429 with Retry-After. CreatePerMinute 0: no bound.
	CreatePerMinute float64 `yaml:"create_per_minute"`
	CreateBurst     int     `yaml:"create_burst"`
	// NodeID names this process among serve processes sharing a PostgreSQL store; empty means
	// hostname:port of the listen address (stable across restarts). See store.go.
	NodeID string `yaml:"node_id"`
	// NodeURL is this process's own base URL, reachable by browsers and API clients, where
	// other nodes sharing the PostgreSQL store redirect requests for the interviews it runs;
	// empty means BaseURL. Set it when public_url is a load balancer shared by the nodes
	// (see NodeURL and store.go).
	NodeURL string `yaml:"node_url"`
	// TLS serves HTTPS directly: a certificate file pair or ACME (tls.go, docs/https.md).
	TLS TLS `yaml:"tls"`
}

// Auth configures the API token and link tokens.
type Auth struct {
	// APIToken protects the HTTP API; empty means generated on first start and kept in the store.
	APIToken Secret `yaml:"api_token"`
	// LinkTTL is how long candidate, interviewer and report links stay valid.
	LinkTTL Duration `yaml:"link_ttl"`
}

// ICEServer is one STUN or TURN server handed to both the browser and the server peer.
// Credential is a Secret: marshalling an ICEServer to JSON for a browser must use
// Credential.Value() explicitly.
type ICEServer struct {
	URLs       []string `yaml:"urls" json:"urls"`                       // stun:, stuns:, turn: or turns: URLs
	Username   string   `yaml:"username" json:"username,omitempty"`     // TURN only
	Credential Secret   `yaml:"credential" json:"credential,omitempty"` // TURN only
}

// WebRTC configures the server's peer connections.
type WebRTC struct {
	// PublicIPs are advertised as host candidates instead of local addresses (NAT 1:1).
	PublicIPs []string `yaml:"public_ips"`
	// UDPPortMin and UDPPortMax bound the UDP ports used for ICE; both 0 means any.
	UDPPortMin uint16 `yaml:"udp_port_min"`
	UDPPortMax uint16 `yaml:"udp_port_max"`
	// ICEServers are STUN/TURN servers; default none.
	ICEServers []ICEServer `yaml:"ice_servers"`
	// TURNSecret is the secret shared with the TURN server (coturn's static-auth-secret):
	// with it, each participant gets short-lived credentials (internal/turn) for every TURN
	// server of ICEServers that has no static username and credential.
	TURNSecret Secret `yaml:"turn_secret"`
	// TURNTTL is how long an issued TURN credential stays valid.
	TURNTTL Duration `yaml:"turn_ttl"`
	// IncludeLoopback offers 127.0.0.1 candidates, needed when browser and server share a host.
	IncludeLoopback bool `yaml:"include_loopback"`
	// VideoCodec is the codec asked of the candidate's browser: vp8 or vp9.
	VideoCodec string `yaml:"video_codec"`
	// StartBitrateKbps is the bitrate the browser is asked to start at.
	StartBitrateKbps int `yaml:"start_bitrate_kbps"`
}

// Interview configures the lifetime of one interview session.
type Interview struct {
	// IdleTimeout ends an interview nobody has been connected to for this long.
	IdleTimeout Duration `yaml:"idle_timeout"`
	// MaxDuration ends any interview after this long.
	MaxDuration Duration `yaml:"max_duration"`
	// KeyframeInterval is how often a keyframe is requested (PLI) so decoding can recover.
	KeyframeInterval Duration `yaml:"keyframe_interval"`
	// QueueSize is the number of decoded frames waiting for analysis before frames are dropped.
	QueueSize int `yaml:"queue_size"`
	// ReportInterval is how often the live report is stored and pushed to the interviewer.
	ReportInterval Duration `yaml:"report_interval"`
	// SampleAfter turns on sampled analysis when decoded frames reach the analyzers this late
	// (bot.Config.SampleAfter); 0 disables it.
	SampleAfter Duration `yaml:"sample_after"`
	// SampleFPS is how many frames a second the face, face-swap, replay and liveness checks
	// see while sampling.
	SampleFPS float64 `yaml:"sample_fps"`
	// BaseLayer: auto, always or never decode only the base temporal layer of a candidate
	// who sends temporal layers (L1T3); auto does so while frames reach the decoder more than
	// SampleAfter late (bot.Config.BaseLayer).
	BaseLayer string `yaml:"base_layer"`
}

// Camera holds the thresholds of the camera check.
type Camera struct {
	NoFramesAfter Duration `yaml:"no_frames_after"` // no frame for this long: "no video"
	FrozenAfter   Duration `yaml:"frozen_after"`    // identical frames for this long: "frozen"
	BlackAfter    Duration `yaml:"black_after"`     // black frames for this long: "black"
	MinVideo      Duration `yaml:"min_video"`       // less video than this: insufficient data
	MinWidth      int      `yaml:"min_width"`
	MinHeight     int      `yaml:"min_height"`
	MinFPS        float64  `yaml:"min_fps"`
}

// Face holds the settings of the face check (media/face).
type Face struct {
	Interval      Duration `yaml:"interval"`       // time between two face detections
	DetectWidth   int      `yaml:"detect_width"`   // frames are downscaled to this width for detection
	MinFace       float64  `yaml:"min_face"`       // smallest face searched first, share of the width
	NoFaceAfter   Duration `yaml:"no_face_after"`  // no (or a small or dark) face for longer: a finding
	MultipleAfter Duration `yaml:"multiple_after"` // two or more faces for this long: a finding
	MinVideo      Duration `yaml:"min_video"`      // less video than this: insufficient data
	Pupils        bool     `yaml:"pupils"`         // also locate the pupils of the main face per detection
	Landmarks     bool     `yaml:"landmarks"`      // also locate 15 facial landmarks per detection
	CascadeDir    string   `yaml:"cascade_dir"`    // read pigo's cascades from here, not the embedded copy
}

// Retention configures how long reports and snapshots are kept.
type Retention struct {
	// Days after which reports and snapshots are deleted; 0 keeps them forever.
	Days int `yaml:"days"`
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn or error
	Format string `yaml:"format"` // text or json
}

// DBFile is the name of the SQLite database inside DataDir.
const DBFile = "integritybot.db"

// Default returns the built-in configuration: everything runs on one machine with no file.
func Default() Config {
	var c Config
	rooms := room.DefaultConfig()
	c.Server.Addr = "127.0.0.1:8080"
	c.Server.ShutdownTimeout = Duration(10 * time.Second)
	c.Server.Metrics = true
	// The HTTP server's limits own their defaults (internal/httplimit).
	c.Server.ReadTimeout = Duration(httplimit.DefaultReadTimeout)
	c.Server.WriteTimeout = Duration(httplimit.DefaultWriteTimeout)
	c.Server.IdleTimeout = Duration(httplimit.DefaultIdleTimeout)
	c.Server.MaxConnsPerIP = httplimit.DefaultMaxConnsPerIP
	c.Server.CreatePerMinute, c.Server.CreateBurst = 60, 100
	c.Server.TLS.HSTSMaxAge = Duration(defaultHSTSMaxAge)
	c.DataDir = "./data"
	c.Auth.LinkTTL = Duration(168 * time.Hour)
	c.WebRTC.IncludeLoopback = true
	c.WebRTC.TURNTTL = Duration(defaultTURNTTL)
	c.WebRTC.VideoCodec = rooms.VideoCodec
	c.WebRTC.StartBitrateKbps = 2500
	sess := bot.DefaultConfig() // the session and the hosted rooms own their defaults
	c.Interview = Interview{
		IdleTimeout:      Duration(rooms.IdleTimeout),
		MaxDuration:      Duration(rooms.MaxDuration),
		KeyframeInterval: Duration(sess.KeyframeInterval),
		QueueSize:        sess.QueueSize,
		ReportInterval:   Duration(sess.ReportInterval),
		SampleAfter:      Duration(sess.SampleAfter),
		SampleFPS:        sess.SampleFPS,
		BaseLayer:        string(sess.BaseLayer),
	}
	cam := camera.DefaultConfig() // the camera check owns its defaults
	c.Camera = Camera{
		NoFramesAfter: Duration(cam.NoFramesAfter),
		FrozenAfter:   Duration(cam.FrozenAfter),
		BlackAfter:    Duration(cam.BlackAfter),
		MinVideo:      Duration(cam.MinVideo),
		MinWidth:      cam.MinWidth,
		MinHeight:     cam.MinHeight,
		MinFPS:        cam.MinFPS,
	}
	fc := face.DefaultConfig() // and so does the face check
	c.Face = Face{
		Interval:      Duration(fc.Interval),
		DetectWidth:   fc.DetectWidth,
		MinFace:       fc.MinFace,
		NoFaceAfter:   Duration(fc.NoFaceAfter),
		MultipleAfter: Duration(fc.MultipleAfter),
		MinVideo:      Duration(fc.MinVideo),
		Pupils:        true, // the product locates the pupils (off in a zero face.Config)
	}
	c.Retention.Days = 30
	c.Log.Level = "info"
	c.Log.Format = "text"
	c.LiveKit = defaultLiveKit()
	c.Store = defaultStore()
	c.Join = defaultJoin()
	return c
}

// DBPath returns the path of the SQLite database.
func (c Config) DBPath() string { return filepath.Join(c.DataDir, DBFile) }

// BaseURL returns the base URL for links, without a trailing slash: PublicURL when set,
// otherwise http://Addr with an unspecified or empty host replaced by 127.0.0.1.
func (c Config) BaseURL() string {
	if c.Server.PublicURL != "" {
		return strings.TrimRight(c.Server.PublicURL, "/")
	}
	host, port, err := net.SplitHostPort(c.Server.Addr)
	if err != nil {
		return "http://" + c.Server.Addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	if c.TLSOn() {
		return c.tlsBaseURL(host, port)
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Load reads the YAML file at path (none when path is ""), applies the process environment
// and validates. See LoadEnv.
func Load(path string) (Config, error) { return LoadEnv(path, os.LookupEnv) }

// Environment variables that override the file.
const (
	EnvAPIToken     = "INTEGRITYBOT_API_TOKEN"
	EnvAPITokenFile = "INTEGRITYBOT_API_TOKEN_FILE"
	EnvAddr         = "INTEGRITYBOT_ADDR"
	EnvDataDir      = "INTEGRITYBOT_DATA_DIR"
	EnvPublicURL    = "INTEGRITYBOT_PUBLIC_URL"
	// EnvCascadeDir (face.cascade_dir) points at pigo's cascade files for a binary built
	// without `make cascades` (plain go build or go install), which has none embedded.
	EnvCascadeDir = "INTEGRITYBOT_CASCADE_DIR"
)

// LoadEnv is Load with the environment lookup injected (os.LookupEnv in production). Empty
// variables are ignored. Setting both INTEGRITYBOT_API_TOKEN and INTEGRITYBOT_API_TOKEN_FILE
// is an error.
func LoadEnv(path string, getenv func(string) (string, bool)) (Config, error) {
	c := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: load: %w", err)
		}
		if err := decode(data, &c); err != nil {
			return Config{}, fmt.Errorf("config: load %s: %w", path, err)
		}
	}
	if err := applyEnv(&c, getenv); err != nil {
		return Config{}, err
	}
	if err := loadStoreDSN(&c); err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Parse decodes data strictly over Default and validates, without reading files or the
// environment.
func Parse(data []byte) (Config, error) {
	c := Default()
	if err := decode(data, &c); err != nil {
		return Config{}, fmt.Errorf("config: parse: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func applyEnv(c *Config, getenv func(string) (string, bool)) error {
	get := func(k string) (string, bool) {
		v, ok := getenv(k)
		return v, ok && v != ""
	}
	if err := envSecret(get, EnvAPIToken, &c.Auth.APIToken); err != nil { // EnvAPITokenFile too
		return err
	}
	if err := envSecret(get, EnvTURNSecret, &c.WebRTC.TURNSecret); err != nil {
		return err
	}
	if v, ok := get(EnvAddr); ok {
		c.Server.Addr = v
	}
	if v, ok := get(EnvDataDir); ok {
		c.DataDir = v
	}
	if v, ok := get(EnvPublicURL); ok {
		c.Server.PublicURL = v
	}
	if v, ok := get(EnvCascadeDir); ok {
		c.Face.CascadeDir = v
	}
	applyGeoEnv(c, get)
	if err := applyChatEnv(c, get); err != nil {
		return err
	}
	if err := applyStoreEnv(c, get); err != nil {
		return err
	}
	return applyLiveKitEnv(c, get)
}

// decode decodes one YAML document over c. Unknown keys and fractional integers are reported
// all at once, each with its dotted path and line, before yaml.v3's own strict decoding runs.
func decode(data []byte, c *Config) error {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty file: defaults
		}
		return err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return errors.New("more than one YAML document")
	}
	if err := checkNodes(&root, c); err != nil {
		return err
	}
	// Decode again from the bytes so KnownFields applies too (belt and braces).
	dec = yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return err
	}
	return nil
}
