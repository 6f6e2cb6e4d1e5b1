package server

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/integritybot/integritybot/internal/geo"
)

// buckets is a token bucket per key (the client's address): burst tokens, refilled at rate
// per second. Time comes from now, so tests drive it.
type buckets struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu sync.Mutex
	m  map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxBuckets bounds the map: past it, full buckets (idle clients) are dropped.
const maxBuckets = 10000

func newBuckets(perMinute float64, burst int, now func() time.Time) *buckets {
	return &buckets{rate: perMinute / 60, burst: float64(burst), now: now, m: map[string]*bucket{}}
}

// take takes a token from key's bucket; when there is none, it returns how long until one.
func (b *buckets) take(key string) (ok bool, retryAfter time.Duration) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.m[key]
	if k == nil {
		if len(b.m) >= maxBuckets {
			b.prune(now)
		}
		k = &bucket{tokens: b.burst, at: now}
		b.m[key] = k
	}
	if dt := now.Sub(k.at).Seconds(); dt > 0 {
		k.tokens = math.Min(b.burst, k.tokens+dt*b.rate)
	}
	k.at = now
	if k.tokens >= 1 {
		k.tokens--
		return true, 0
	}
	return false, time.Duration((1 - k.tokens) / b.rate * float64(time.Second))
}

func (b *buckets) prune(now time.Time) {
	for key, k := range b.m {
		if k.tokens+now.Sub(k.at).Seconds()*b.rate >= b.burst {
			delete(b.m, key)
		}
	}
}

// allowCreate takes a creation token for r's client (X-Forwarded-For only from trusted
// proxies) and answers 429 with Retry-After (whole seconds, rounded up) when it has none.
func (s *Server) allowCreate(w http.ResponseWriter, r *http.Request) bool {
	if s.creates == nil {
		return true
	}
	client := geo.ClientAddr(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), s.opt.TrustedProxies)
	ok, wait := s.creates.take(client.String())
	if ok {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	writeError(w, http.StatusTooManyRequests, "too many interviews created from this address: try again in "+
		strconv.Itoa(int(math.Ceil(wait.Seconds())))+" s")
	return false
}
