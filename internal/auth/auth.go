// Package auth issues and checks the credentials of integritybot: signed link tokens that
// let a candidate, an interviewer or a report reader into one interview, random ids, and the
// API token that protects the HTTP API (docs/protocol.md, "Links and tokens").
//
// A link token is base64url(payload) "." base64url(HMAC-SHA256(key, payload)). The payload is
// binary: a version byte, a role byte, the expiry as big-endian unix seconds, a 16-byte random
// nonce (two links for the same role and interview never look alike) and the interview id.
// The MAC is checked, in constant time, before any field of the payload is trusted.
package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Role says what a link token lets its holder do.
type Role string

// Roles of link tokens.
const (
	RoleCandidate   Role = "candidate"   // joins the room and sends their camera
	RoleInterviewer Role = "interviewer" // joins the room, sees live checks, may end the interview
	RoleReport      Role = "report"      // reads the report only
)

// Valid reports whether r is one of the Role constants.
func (r Role) Valid() bool { return roleCodes[r] != 0 }

// Sentinel errors returned (wrapped) by Verify. Match them with errors.Is.
var (
	// ErrMalformed means the token is not one this server could have issued: bad encoding,
	// wrong length, unknown version or role.
	ErrMalformed = errors.New("link token is malformed")
	// ErrBadSignature means the token was not signed with this server's key, or was altered.
	ErrBadSignature = errors.New("link token signature is invalid")
	// ErrExpired means the token was genuine but its lifetime is over.
	ErrExpired = errors.New("link token has expired")
)

// Claims is what a verified link token grants.
type Claims struct {
	Role        Role
	InterviewID string
	Expires     time.Time
}

const (
	version1  = 1
	nonceLen  = 16
	headerLen = 1 + 1 + 8 + nonceLen // version, role, expiry, nonce
	macLen    = sha256.Size
	// maxIDLen bounds the interview id so a token stays short enough for a URL.
	maxIDLen = 128
	// maxTokenLen rejects absurd input before decoding it.
	maxTokenLen = 2 * (headerLen + maxIDLen + macLen)
)

// Role codes inside the payload. Zero is never valid.
var roleCodes = map[Role]byte{RoleCandidate: 1, RoleInterviewer: 2, RoleReport: 3}

func roleOf(code byte) (Role, bool) {
	for r, c := range roleCodes {
		if c == code {
			return r, true
		}
	}
	return "", false
}

var b64 = base64.RawURLEncoding.Strict()

// Signer signs and verifies link tokens with one HMAC key. It is safe for concurrent use.
type Signer struct {
	key []byte
	now func() time.Time
}

// NewSigner returns a Signer using key (at least 32 random bytes; see NewSecret) and the clock
// now, which defaults to time.Now when nil. The key is copied.
func NewSigner(key []byte, now func() time.Time) *Signer {
	if now == nil {
		now = time.Now
	}
	return &Signer{key: append([]byte(nil), key...), now: now}
}

// Sign returns a URL-safe token granting role on interviewID until now+ttl (rounded down to
// the second). A role other than the Role constants, an empty id or an id longer than 128
// bytes yields a token that Verify rejects as malformed.
func (s *Signer) Sign(role Role, interviewID string, ttl time.Duration) string {
	payload := make([]byte, headerLen, headerLen+len(interviewID))
	payload[0] = version1
	payload[1] = roleCodes[role]
	binary.BigEndian.PutUint64(payload[2:10], uint64(s.now().Add(ttl).Unix()))
	_, _ = rand.Read(payload[10:headerLen]) // crypto/rand.Read never fails (Go 1.24+)
	payload = append(payload, interviewID...)
	return b64.EncodeToString(payload) + "." + b64.EncodeToString(s.mac(payload))
}

// Verify checks token and returns its claims. Errors wrap ErrMalformed, ErrBadSignature or
// ErrExpired and never contain the token itself. With ErrExpired the claims are returned too,
// so a page can say which interview the stale link was for.
func (s *Signer) Verify(token string) (Claims, error) {
	if len(token) > maxTokenLen {
		return Claims{}, fmt.Errorf("auth: verify: too long: %w", ErrMalformed)
	}
	p, m, ok := strings.Cut(token, ".")
	if !ok {
		return Claims{}, fmt.Errorf("auth: verify: no signature: %w", ErrMalformed)
	}
	payload, err := b64.DecodeString(p)
	if err != nil {
		return Claims{}, fmt.Errorf("auth: verify: payload encoding: %w", ErrMalformed)
	}
	mac, err := b64.DecodeString(m)
	if err != nil || len(mac) != macLen {
		return Claims{}, fmt.Errorf("auth: verify: signature encoding: %w", ErrMalformed)
	}
	if len(payload) <= headerLen || len(payload) > headerLen+maxIDLen {
		return Claims{}, fmt.Errorf("auth: verify: payload length: %w", ErrMalformed)
	}
	if !hmac.Equal(mac, s.mac(payload)) {
		return Claims{}, fmt.Errorf("auth: verify: %w", ErrBadSignature)
	}
	// Only now is the payload trusted to have come from us.
	if payload[0] != version1 {
		return Claims{}, fmt.Errorf("auth: verify: unknown version %d: %w", payload[0], ErrMalformed)
	}
	role, ok := roleOf(payload[1])
	if !ok {
		return Claims{}, fmt.Errorf("auth: verify: unknown role: %w", ErrMalformed)
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(payload[2:10])), 0)
	c := Claims{Role: role, InterviewID: string(payload[headerLen:]), Expires: exp}
	if !s.now().Before(exp) {
		return c, fmt.Errorf("auth: verify: %w", ErrExpired)
	}
	return c, nil
}

func (s *Signer) mac(payload []byte) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write(payload)
	return h.Sum(nil)
}

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a random 128-bit id: 26 characters of lowercase base32 without padding.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (Go 1.24+)
	return b32.EncodeToString(b[:])
}

// NewSecret returns a random 256-bit secret encoded as base64url without padding (43
// characters), suitable as the API token or a signing key.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (Go 1.24+)
	return b64.EncodeToString(b[:])
}

// EqualToken reports whether a and b are the same token, in time that depends on neither
// their contents nor their lengths. An empty token never matches, so an unset token can not
// be presented as an empty one.
func EqualToken(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}
