package config

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/integritybot/integritybot/internal/secret"
)

// Duration is a time.Duration written in YAML as a Go duration string ("10s", "5m", "168h").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d like time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML parses a duration string. Bare numbers are rejected (is 10 seconds or
// nanoseconds?) except 0.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a duration like \"10s\" or \"5m\"", n.Line)
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: invalid duration %q, want a value like \"10s\" or \"5m\"", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes d as a duration string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalText writes d as a duration string (used by JSON and slog).
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses a duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q", b)
	}
	*d = Duration(v)
	return nil
}

// Secret is a string that never prints itself: fmt (every verb), YAML, JSON and slog all show
// "<secret>" (or "" when empty, so "not set" stays visible). Value returns the real string.
// It is internal/secret's, shared with the integrations without config importing them for it.
type Secret = secret.Secret
