package livekit

import (
	"slices"
	"strings"
)

// Peer is what the selection rule knows about a remote participant.
type Peer struct {
	Identity   string
	Name       string
	Attributes map[string]string
	// Kind is LiveKit's participant kind in lower case: "standard", "ingress", "egress",
	// "sip", "agent", "connector".
	Kind string
	// HasCamera says the participant publishes a camera (or unlabelled) video track.
	HasCamera bool
}

// Rule picks the candidate among a room's participants. The bot joins hidden, so it never
// sees itself or other hidden participants (recorders, other bots).
type Rule struct {
	// Identity, when set, is the candidate's participant identity; nobody else is taken.
	Identity string
	// Interviewers are identities that are never the candidate.
	Interviewers []string
	// IdentityPrefix, when set, takes only participants whose identity starts with it
	// (e.g. "candidate-").
	IdentityPrefix string
	// Attribute, when set as "key=value", takes only participants with that attribute
	// (LiveKit participant attributes, set in their token or by the app).
	Attribute string
}

// Eligible reports whether p may be the candidate. Agents, egress, SIP and connector
// participants never are: they are software, not the person interviewed.
func (r Rule) Eligible(p Peer) bool {
	if p.Identity == "" {
		return false
	}
	if r.Identity != "" {
		return p.Identity == r.Identity
	}
	switch p.Kind {
	case "", "standard", "ingress":
	default:
		return false
	}
	if slices.Contains(r.Interviewers, p.Identity) {
		return false
	}
	if r.IdentityPrefix != "" && !strings.HasPrefix(p.Identity, r.IdentityPrefix) {
		return false
	}
	if k, v, ok := strings.Cut(r.Attribute, "="); ok && k != "" {
		if got, has := p.Attributes[k]; !has || got != v {
			return false
		}
	}
	return true
}

// Pick returns the candidate among peers already in the room when the bot joins: an
// eligible one with a camera before one without, then the smallest identity, so the
// choice does not depend on the order the server listed them in. ambiguous reports that
// more than one was eligible (the rule should be tightened, e.g. with the candidate's identity).
func (r Rule) Pick(peers []Peer) (p Peer, ok, ambiguous bool) {
	n := 0
	for _, q := range peers {
		if !r.Eligible(q) {
			continue
		}
		n++
		if !ok || (q.HasCamera && !p.HasCamera) || (q.HasCamera == p.HasCamera && q.Identity < p.Identity) {
			p, ok = q, true
		}
	}
	return p, ok, n > 1
}
