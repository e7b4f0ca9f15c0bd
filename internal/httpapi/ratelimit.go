package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/billing/customers-api/internal/access"
	"golang.org/x/time/rate"
)

// RateLimit is the default limit of keys that have none of their own.
type RateLimit struct {
	// PerSecond is the sustained rate; 0 means no default limit.
	PerSecond float64
	// Burst is how many requests may come at once; 0 means twice
	// PerSecond.
	Burst int
}

// rateLimiter keeps a token bucket per API key on this node (SPEC §14: the
// limit holds per node).
type rateLimiter struct {
	def RateLimit
	mu  sync.Mutex
	m   map[string]*keyLimiter
}

type keyLimiter struct {
	lim       *rate.Limiter
	perSecond float64
}

// maxLimiters bounds the buckets kept; full (idle) ones go first.
const maxLimiters = 10000

func newRateLimiter(def RateLimit) *rateLimiter {
	return &rateLimiter{def: def, m: make(map[string]*keyLimiter)}
}

// forKey returns the bucket of p, or nil when p's key is not limited.
func (l *rateLimiter) forKey(p *access.Principal, now time.Time) *keyLimiter {
	perSecond, burst := l.def.PerSecond, l.def.Burst
	if p.RateLimit > 0 {
		perSecond, burst = float64(p.RateLimit), 0
	}
	if perSecond <= 0 {
		return nil
	}
	if burst <= 0 {
		burst = int(math.Ceil(2 * perSecond))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.m[p.KeyID]
	if k == nil || k.perSecond != perSecond || k.lim.Burst() != burst {
		if len(l.m) >= maxLimiters {
			for id, other := range l.m {
				if other.lim.TokensAt(now) >= float64(other.lim.Burst()) {
					delete(l.m, id)
				}
			}
			if len(l.m) >= maxLimiters {
				clear(l.m)
			}
		}
		k = &keyLimiter{lim: rate.NewLimiter(rate.Limit(perSecond), burst), perSecond: perSecond}
		l.m[p.KeyID] = k
	}
	return k
}

// limit answers 429 to a request over its key's rate limit and puts the
// X-RateLimit-* headers on every answer of a limited key.
func (s *Server) limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		k := s.limiter.forKey(principal(r.Context()), now)
		if k == nil {
			next.ServeHTTP(w, r)
			return
		}
		allowed := k.lim.AllowN(now, 1)
		tokens := k.lim.TokensAt(now)
		h := w.Header()
		h.Set("X-RateLimit-Limit", strconv.FormatFloat(k.perSecond, 'f', -1, 64))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(max(0, int(math.Floor(tokens)))))
		// When the bucket is full again.
		full := now.Add(time.Duration((float64(k.lim.Burst()) - tokens) / k.perSecond * float64(time.Second)))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(int64(math.Ceil(float64(full.UnixNano())/1e9)), 10))
		if !allowed {
			s.metrics.rateLimited.Inc()
			wait := math.Ceil((1 - tokens) / k.perSecond)
			writeError(w, r, s.log, &apiError{typ: typeTooManyRequests, retryAfter: max(1, int(wait)),
				detail: "This API key is over its rate limit of " + h.Get("X-RateLimit-Limit") + " requests a second; retry after Retry-After seconds."})
			return
		}
		next.ServeHTTP(w, r)
	})
}
