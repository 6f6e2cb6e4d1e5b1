package auth

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newTestSigner(t *testing.T) (*Signer, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	return NewSigner([]byte("0123456789abcdef0123456789abcdef"), clk.now), clk
}

func TestSignVerifyRoundTrip(t *testing.T) {
	s, clk := newTestSigner(t)
	id := NewID()
	for _, role := range []Role{RoleCandidate, RoleInterviewer, RoleReport} {
		t.Run(string(role), func(t *testing.T) {
			tok := s.Sign(role, id, time.Hour)
			if strings.ContainsAny(tok, "+/=?#&% ") {
				t.Fatalf("token %q is not URL-safe", tok)
			}
			c, err := s.Verify(tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := Claims{Role: role, InterviewID: id, Expires: clk.t.Add(time.Hour)}
			if c.Role != want.Role || c.InterviewID != want.InterviewID || !c.Expires.Equal(want.Expires) {
				t.Fatalf("claims = %+v, want %+v", c, want)
			}
		})
	}
}

func TestRoleValid(t *testing.T) {
	for r, want := range map[Role]bool{RoleCandidate: true, RoleInterviewer: true, RoleReport: true, "": false, "admin": false} {
		if r.Valid() != want {
			t.Errorf("Role(%q).Valid() = %v", r, !want)
		}
	}
}

func TestSignIsUnique(t *testing.T) {
	s, _ := newTestSigner(t)
	a, b := s.Sign(RoleCandidate, "x", time.Hour), s.Sign(RoleCandidate, "x", time.Hour)
	if a == b {
		t.Fatal("two tokens for the same claims are identical; the nonce is missing")
	}
}

// flip returns tok with one byte of the decoded part (0 payload, 1 mac) changed at index i.
func flip(t *testing.T, tok string, part, i int) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[part])
	if err != nil {
		t.Fatal(err)
	}
	b[i] ^= 0x01
	parts[part] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}

func TestVerifyRejects(t *testing.T) {
	s, _ := newTestSigner(t)
	good := s.Sign(RoleInterviewer, "interview1", time.Hour)
	other := NewSigner([]byte("another key another key another k"), nil)
	p, m, _ := strings.Cut(good, ".")
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"empty", "", ErrMalformed},
		{"garbage", "not a token", ErrMalformed},
		{"no dot", p + m, ErrMalformed},
		{"two dots", good + ".x", ErrMalformed},
		{"truncated mac", good[:len(good)-2], ErrMalformed},
		{"truncated payload", p[:10] + "." + m, ErrMalformed},
		{"padding", p + "=." + m, ErrMalformed},
		{"std base64", strings.NewReplacer("-", "+", "_", "/").Replace(good) + "+", ErrMalformed},
		{"empty payload", "." + m, ErrMalformed},
		{"huge", strings.Repeat("A", 10000) + "." + m, ErrMalformed},
		{"tampered version", flip(t, good, 0, 0), ErrBadSignature},
		{"tampered role", flip(t, good, 0, 1), ErrBadSignature},
		{"tampered expiry", flip(t, good, 0, 9), ErrBadSignature},
		{"tampered id", flip(t, good, 0, headerLen), ErrBadSignature},
		{"tampered mac", flip(t, good, 1, 5), ErrBadSignature},
		{"swapped mac", p + "." + strings.SplitN(s.Sign(RoleInterviewer, "interview1", time.Hour), ".", 2)[1], ErrBadSignature},
		{"other key", other.Sign(RoleInterviewer, "interview1", time.Hour), ErrBadSignature},
		{"unknown role", s.Sign(Role("admin"), "interview1", time.Hour), ErrMalformed},
		{"empty id", s.Sign(RoleCandidate, "", time.Hour), ErrMalformed},
		{"id too long", s.Sign(RoleCandidate, strings.Repeat("a", maxIDLen+1), time.Hour), ErrMalformed},
		{"expired at issue", s.Sign(RoleCandidate, "x", 0), ErrExpired},
		{"negative ttl", s.Sign(RoleCandidate, "x", -time.Hour), ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Verify(tt.token)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v, want %v", err, tt.want)
			}
			if len(tt.token) > 8 && strings.Contains(err.Error(), tt.token) {
				t.Fatalf("error %q contains the token", err)
			}
		})
	}
}

func TestVerifyExpiry(t *testing.T) {
	s, clk := newTestSigner(t)
	tok := s.Sign(RoleReport, "iv", time.Hour)
	clk.t = clk.t.Add(time.Hour - time.Second)
	if _, err := s.Verify(tok); err != nil {
		t.Fatalf("one second before expiry: %v", err)
	}
	clk.t = clk.t.Add(time.Second)
	c, err := s.Verify(tok)
	if !errors.Is(err, ErrExpired) {
		t.Fatalf("at expiry: err = %v, want ErrExpired", err)
	}
	if c.InterviewID != "iv" || c.Role != RoleReport {
		t.Fatalf("expired claims = %+v, want the token's claims", c)
	}
}

func TestSentinelMessages(t *testing.T) {
	for err, want := range map[error]string{
		ErrMalformed:    "link token is malformed",
		ErrBadSignature: "link token signature is invalid",
		ErrExpired:      "link token has expired",
	} {
		if err.Error() != want {
			t.Errorf("%q, want %q", err, want)
		}
	}
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewID()
		if len(id) != 26 {
			t.Fatalf("len(%q) = %d, want 26", id, len(id))
		}
		if strings.Trim(id, "abcdefghijklmnopqrstuvwxyz234567") != "" {
			t.Fatalf("%q is not lowercase base32", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
}

func TestNewSecret(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if a == b {
		t.Fatal("two secrets are equal")
	}
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 {
		t.Fatalf("secret %q: %d bytes, err %v; want 32 bytes of base64url", a, len(raw), err)
	}
}

func TestEqualToken(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"abc", "abcd", false},
		{"", "", false},
		{"abc", "", false},
		{"", "abc", false},
	}
	for _, tt := range tests {
		if got := EqualToken(tt.a, tt.b); got != tt.want {
			t.Errorf("EqualToken(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzVerify(f *testing.F) {
	s := NewSigner([]byte("0123456789abcdef0123456789abcdef"), func() time.Time { return time.Unix(1e9, 0) })
	f.Add(s.Sign(RoleCandidate, NewID(), time.Hour))
	f.Add(s.Sign(RoleReport, "x", -time.Hour))
	f.Add("")
	f.Add(".")
	f.Add("a.b")
	f.Add("AQ.AAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := s.Verify(tok)
		if err == nil {
			// Only a token we signed can verify; whatever verified must re-verify identically.
			if c.InterviewID == "" || !c.Role.Valid() {
				t.Fatalf("verified token with bad claims %+v", c)
			}
			return
		}
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrExpired) {
			t.Fatalf("error %v wraps no sentinel", err)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	s := NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil)
	tok := s.Sign(RoleCandidate, NewID(), time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}
