// Package ratelimit limits what one client may do: a token bucket per
// client for request rates (kept in memory: each replica limits what it
// serves), and a failed-authentication counter kept in the database, so
// every replica counts the same failures and locks out the same clients.
package ratelimit

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ClientKey is the key a client is limited by: its IP address, or for IPv6
// its /64 network, since one host usually holds a whole /64 and could
// otherwise rotate addresses to escape any limit.
func ClientKey(addr netip.Addr) string {
	addr = addr.Unmap()
	if addr.Is6() {
		p, err := addr.Prefix(64)
		if err == nil {
			return p.String()
		}
	}
	return addr.String()
}

// Limiter allows each client n requests per period on average, in bursts
// of up to n. It is safe for concurrent use. A nil *Limiter allows
// everything.
type Limiter struct {
	limit rate.Limit
	burst int
	per   time.Duration
	now   func() time.Time

	mu        sync.Mutex
	clients   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewLimiter returns a limiter of n requests per period per client, or nil
// (no limit) when n or per is not positive. now is the clock.
func NewLimiter(n int, per time.Duration, now func() time.Time) *Limiter {
	if n <= 0 || per <= 0 {
		return nil
	}
	return &Limiter{limit: rate.Limit(float64(n) / per.Seconds()), burst: n, per: per, now: now,
		clients: map[string]*bucket{}, lastSweep: now()}
}

// Allow takes one request from client's bucket. When the bucket is empty
// it returns false and how long until the next request would be allowed.
func (l *Limiter) Allow(client string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b, ok := l.clients[client]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.clients[client] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep forgets clients idle for a whole period: their buckets are full
// again, exactly as a new one would be. It runs at most once per period, so
// memory is bounded by the clients seen in about two periods.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < l.per {
		return
	}
	l.lastSweep = now
	for k, b := range l.clients {
		if now.Sub(b.seen) >= l.per {
			delete(l.clients, k)
		}
	}
}
