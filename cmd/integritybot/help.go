package main

import (
	"fmt"
	"io"

	"github.com/integritybot/integritybot/internal/config"
	"github.com/integritybot/integritybot/internal/corpus"
)

// envVar is an environment variable a command reads, for its --help.
type envVar struct{ name, about string }

// configEnv are the variables every command that loads the configuration applies over the
// file (internal/config); serve uses them all. Secrets also exist with a _FILE suffix naming
// a file that holds the value.
var configEnv = []envVar{
	{config.EnvAddr, "listen address host:port (server.addr; default 127.0.0.1:8080)"},
	{config.EnvDataDir, "data directory: the SQLite database, its lock and the API token (data_dir; default ./data)"},
	{config.EnvPublicURL, "base URL put into links, when behind a proxy (server.public_url)"},
	{config.EnvGeoDir, "GeoIP data directory (geo.dir; default data_dir/geoip; `integritybot geo update` fills it)"},
	{config.EnvCascadeDir, "pigo's face cascades (face.cascade_dir), for a binary built without `make cascades`"},
	{config.EnvAPIToken, "API token (auth.api_token); while set it replaces the stored one: how to replace a lost token"},
	{config.EnvAPITokenFile, "file holding the API token"},
	{config.EnvStoreDSN, "PostgreSQL connection string (store.dsn), for several serve processes on one database"},
	{config.EnvStoreDSNFile, "file holding the PostgreSQL connection string"},
	{config.EnvNodeURL, "this node's own base URL among several (server.node_url)"},
	{config.EnvSlackBotToken, "Slack bot token (slack.bot_token; also _FILE)"},
	{config.EnvSlackAppToken, "Slack app-level token for Socket Mode (slack.app_token; also _FILE)"},
	{config.EnvSlackSigningSecret, "Slack signing secret for the slash command (slack.signing_secret; also _FILE)"},
	{config.EnvSlackWebhookURL, "Slack incoming webhook URL (slack.webhook_url; also _FILE)"},
	{config.EnvDiscordBotToken, "Discord bot token (discord.bot_token; also _FILE)"},
	{config.EnvDiscordWebhookURL, "Discord webhook URL (discord.webhook_url; also _FILE)"},
	{config.EnvWebhookURL, "generic webhook URL for reports (webhook.url; also _FILE)"},
	{config.EnvLiveKitAPIKey, "LiveKit API key for joining LiveKit rooms (livekit.api_key; also _FILE)"},
	{config.EnvLiveKitAPISecret, "LiveKit API secret (livekit.api_secret; also _FILE)"},
	{config.EnvTURNSecret, "TURN REST secret: short-lived TURN credentials per link (webrtc.turn_secret; also _FILE)"},
}

// configNote is for commands that load the configuration but need none of its variables.
var configNote = []envVar{{"INTEGRITYBOT_*", "the configuration variables of serve (integritybot serve --help) apply over --config; none is needed"}}

var joinEnv = []envVar{
	{config.EnvDataDir, "data directory of the SQLite store the report is saved in (data_dir; default ./data)"},
	{config.EnvLiveKitAPIKey, "LiveKit API key (livekit.api_key; also _FILE)"},
	{config.EnvLiveKitAPISecret, "LiveKit API secret (livekit.api_secret; also _FILE)"},
	{config.EnvSlackBotToken, "Slack bot token for --notify-slack (also _FILE)"},
	{config.EnvDiscordBotToken, "Discord bot token for --notify-discord (also _FILE)"},
	{"INTEGRITYBOT_*", "the other configuration variables of serve (integritybot serve --help)"},
}

var evalEnv = []envVar{
	{corpus.Env, "the corpus directory for --synthesize (default ../shared/corpus; scripts/fetch-corpus.sh fetches it)"},
	{"INTEGRITYBOT_*", "the configuration variables of serve apply over --config; none is needed"},
}

var tokenEnv = []envVar{{config.EnvAPIToken, "default of --token: the server's API token"}}

var geoEnv = []envVar{
	{config.EnvDataDir, "data directory (data_dir; default ./data): the GeoIP data goes to its geoip folder"},
	{config.EnvGeoDir, "GeoIP data directory (geo.dir), instead of data_dir/geoip"},
	{"npm_config_*", "npm's own settings (registry, proxy, cache) apply to geo update, which runs `npm pack`"},
}

var healthEnv = []envVar{{config.EnvAddr, "the address serve listens on, probed when --url is not given (as serve reads it)"}}

// writeEnv prints a command's environment variables (none: says so).
func writeEnv(w io.Writer, env []envVar) {
	fmt.Fprint(w, "\nEnvironment:\n")
	if len(env) == 0 {
		fmt.Fprint(w, "  none\n")
	}
	for _, e := range env {
		fmt.Fprintf(w, "  %s\n    \t%s\n", e.name, e.about)
	}
}
