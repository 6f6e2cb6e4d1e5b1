package config

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
)

// Store selects the database of interviews, reports and the notification outbox
// (internal/store): SQLite in data_dir (default, one process), or PostgreSQL shared by
// several serve processes.
type Store struct {
	// Driver is sqlite or postgres.
	Driver string `yaml:"driver"`
	// DSN is the PostgreSQL connection string, a postgres:// URL or key=value pairs. It holds
	// a password: prefer DSNFile or the environment.
	DSN Secret `yaml:"dsn"`
	// DSNFile names a file holding the DSN (trimmed); read when the configuration loads.
	DSNFile string `yaml:"dsn_file"`
}

// Environment variables for the PostgreSQL DSN (the _FILE one names a file holding it), and
// server.node_url (one config file for several nodes, each told its own URL).
const (
	EnvStoreDSN     = "INTEGRITYBOT_STORE_DSN"
	EnvStoreDSNFile = "INTEGRITYBOT_STORE_DSN_FILE"
	EnvNodeURL      = "INTEGRITYBOT_NODE_URL"
)

// NodeURL returns this node's own base URL, without a trailing slash: server.node_url when
// set, else BaseURL. Other nodes redirect requests for this node's live interviews there, so
// it must not be a load balancer that may send them back to another node (the redirect's loop
// guard then stops after one hop, and the request is refused rather than routed).
func (c Config) NodeURL() string {
	if c.Server.NodeURL != "" {
		return strings.TrimRight(c.Server.NodeURL, "/")
	}
	return c.BaseURL()
}

func defaultStore() Store { return Store{Driver: "sqlite"} }

// applyStoreEnv sets the DSN from INTEGRITYBOT_STORE_DSN or the file named by
// INTEGRITYBOT_STORE_DSN_FILE (not both, read by envSecret), which override store.dsn and
// store.dsn_file.
func applyStoreEnv(c *Config, get func(string) (string, bool)) error {
	if v, ok := get(EnvNodeURL); ok {
		c.Server.NodeURL = v
	}
	var dsn Secret
	if err := envSecret(get, EnvStoreDSN, &dsn); err != nil { // EnvStoreDSNFile too
		return err
	}
	if dsn != "" {
		c.Store.DSN, c.Store.DSNFile = dsn, ""
	}
	return nil
}

// loadStoreDSN reads store.dsn_file into store.dsn. Setting both in the file is an error.
func loadStoreDSN(c *Config) error {
	if c.Store.DSNFile == "" {
		return nil
	}
	if c.Store.DSN != "" {
		return &FieldError{Key: "store.dsn", Msg: "set store.dsn or store.dsn_file, not both"}
	}
	dsn, err := readSecretFile(c.Store.DSNFile)
	if err != nil {
		return fmt.Errorf("config: store.dsn_file: %w", err)
	}
	c.Store.DSN = dsn
	return nil
}

// validateStore checks the store section, server.node_id and server.node_url. The DSN's
// value never appears in a message.
func (c Config) validateStore(p *problems) {
	s := c.Store
	switch s.Driver {
	case "sqlite":
		if s.DSN != "" || s.DSNFile != "" {
			p.add("store.dsn", "is for driver postgres; driver sqlite keeps its database in data_dir")
		}
	case "postgres":
		dsn := s.DSN.Value()
		switch {
		case dsn == "" && s.DSNFile == "":
			p.add("store.dsn", "driver postgres needs a DSN: store.dsn, store.dsn_file, %s or %s", EnvStoreDSN, EnvStoreDSNFile)
		case dsn != "" && !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") && !strings.Contains(dsn, "="):
			p.add("store.dsn", "want a postgres:// URL or key=value pairs (host=... dbname=...)")
		}
	default:
		p.add("store.driver", "must be sqlite or postgres, got %q", s.Driver)
	}
	if id := c.Server.NodeID; id != "" && (len(id) > 128 || strings.ContainsFunc(id, func(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) })) {
		p.add("server.node_id", "must be at most 128 printable characters without spaces, got %q", id)
	}
	if u := c.Server.NodeURL; u != "" {
		pu, err := url.Parse(u)
		switch {
		case err != nil:
			p.add("server.node_url", "not a URL: %q", u)
		case pu.Scheme != "http" && pu.Scheme != "https":
			p.add("server.node_url", "want an http:// or https:// URL, got %q", u)
		case pu.Host == "":
			p.add("server.node_url", "has no host: %q", u)
		case pu.RawQuery != "" || pu.Fragment != "" || pu.User != nil || pu.ForceQuery:
			p.add("server.node_url", "must be a base URL without user, query or fragment: %q", u)
		case s.Driver != "postgres":
			p.add("server.node_url", "is for driver postgres (several nodes); with sqlite there is one node")
		}
	}
}
