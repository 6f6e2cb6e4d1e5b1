// Package secret holds Secret, a credential that never prints itself: the API token, TURN
// credentials and the store's DSN (internal/config), the chat integrations' tokens and
// webhook URLs (integrations). It imports nothing of the module, so both layers share the
// type without depending on each other.
package secret

import (
	"fmt"
	"log/slog"
)

// Secret is a credential (token, signing secret, webhook URL, DSN). It never prints itself:
// fmt (every verb), slog, YAML and JSON show "<secret>" ("" when empty, so "not set" stays
// visible). Value returns it.
type Secret string

// Redacted is what a Secret prints instead of itself.
const Redacted = "<secret>"

// Value returns the secret itself; call it only where it is used.
func (s Secret) Value() string { return string(s) }

func (s Secret) redacted() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// String returns "<secret>", or "" when not set.
func (s Secret) String() string { return s.redacted() }

// GoString keeps %#v from printing the secret.
func (s Secret) GoString() string { return fmt.Sprintf("secret.Secret(%q)", s.redacted()) }

// Format makes every fmt verb print the redacted form.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", s.redacted())
		return
	}
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, s.redacted())
}

// LogValue keeps log/slog from printing the secret.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.redacted()) }

// MarshalYAML writes the redacted form.
func (s Secret) MarshalYAML() (any, error) { return s.redacted(), nil }

// MarshalText writes the redacted form (JSON, slog).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.redacted()), nil }
