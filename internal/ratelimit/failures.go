package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
)

// cleanFor is how long this replica trusts that a client had no failed
// authentications. Within it a password check costs no database read;
// another replica's lock-out of the same client takes effect here at most
// this much later, and every failure is still counted in the database at
// once.
const cleanFor = time.Second

// FailureStore counts failed authentications per client in fixed windows,
// atomically across every replica sharing the database.
type FailureStore interface {
	// AuthFailures returns the client's count and the start of its window
	// (zero values when it has none).
	AuthFailures(ctx context.Context, client string) (count int, windowStart time.Time, err error)
	// AddAuthFailure counts one failure at now, starting a new window when
	// the client's window began at or before expired, and returns the
	// updated count and window start.
	AddAuthFailure(ctx context.Context, client string, now, expired time.Time) (count int, windowStart time.Time, err error)
	// DeleteAuthFailuresBefore forgets windows that began at or before t.
	DeleteAuthFailuresBefore(ctx context.Context, t time.Time) error
}

// Failures locks a client out after too many failed authentications: once
// it has failed limit times within a window, every attempt that would check
// the password is refused (even with the right password, so a guess reveals
// nothing) until the window that began with its first failure has passed.
type Failures struct {
	store  FailureStore
	limit  int
	window time.Duration
	now    func() time.Time

	mu    sync.Mutex
	clean map[string]time.Time // client → when the database said it had no failures
	gates map[string]*gate     // client → its one attempt in flight on this replica
}

// gate admits one authentication attempt of a client at a time.
type gate struct {
	slot    chan struct{}
	waiters int
}

// NewFailures returns a limiter of limit failures per window per client.
// now is the clock.
func NewFailures(store FailureStore, limit int, window time.Duration, now func() time.Time) *Failures {
	return &Failures{store: store, limit: limit, window: window, now: now, clean: map[string]time.Time{}, gates: map[string]*gate{}}
}

// Limit returns the number of failures allowed per window, and the window.
func (f *Failures) Limit() (int, time.Duration) { return f.limit, f.window }

// Attempt makes one authentication attempt by client: check verifies the
// credential and reports bad when it was wrong, which counts against the
// client (an expired or revoked one does not). A locked-out client is refused (an apperr RateLimited error with
// the wait) before check runs. On each replica a client has at most one
// attempt in flight, and the lock-out is read inside it after the previous
// attempt's failure was counted: so however many guesses a client sends in
// parallel, no more than the limit are checked here, and with R replicas
// sharing the database at most R-1 more (one in flight on each of the
// others when the limit is reached). lockedFor is how long this attempt's
// failure locked the client out, when it is the one that did.
func (f *Failures) Attempt(ctx context.Context, client string, check func() (bad bool, err error)) (lockedFor time.Duration, err error) {
	g, err := f.enter(ctx, client)
	if err != nil {
		return 0, err
	}
	defer f.exit(g)
	if err := f.Check(ctx, client); err != nil {
		return 0, err
	}
	bad, err := check()
	if !bad {
		return 0, err
	}
	wait, lockedNow, ferr := f.Fail(ctx, client)
	if ferr != nil {
		return 0, ferr
	}
	if !lockedNow {
		wait = 0
	}
	return wait, err
}

// Check refuses a locked-out client with LockedOut.
func (f *Failures) Check(ctx context.Context, client string) error {
	wait, err := f.Locked(ctx, client)
	if err != nil {
		return err
	}
	if wait > 0 {
		return LockedOut(wait)
	}
	return nil
}

// LockedOut is the 429 of a locked-out client, saying when to come back.
func LockedOut(wait time.Duration) error {
	secs := int((wait + time.Second - 1) / time.Second)
	return &apperr.Error{Code: apperr.RateLimited, RetryAfter: wait,
		Message: fmt.Sprintf("Too many failed authentication attempts. Try again in %d seconds.", secs)}
}

// enter waits for the client's gate, or for ctx to end. Gates stay in the
// map between attempts, so a client's steady stream of requests allocates
// none; idle ones are pruned when the map grows large.
func (f *Failures) enter(ctx context.Context, client string) (*gate, error) {
	f.mu.Lock()
	g := f.gates[client]
	if g == nil {
		if len(f.gates) >= 4096 {
			for c, idle := range f.gates {
				if idle.waiters == 0 {
					delete(f.gates, c)
				}
			}
		}
		g = &gate{slot: make(chan struct{}, 1)}
		f.gates[client] = g
	}
	g.waiters++
	f.mu.Unlock()
	select {
	case g.slot <- struct{}{}:
		return g, nil
	case <-ctx.Done():
		f.leave(g)
		return nil, ctx.Err()
	}
}

// exit opens the gate enter passed.
func (f *Failures) exit(g *gate) {
	<-g.slot
	f.leave(g)
}

func (f *Failures) leave(g *gate) {
	f.mu.Lock()
	g.waiters--
	f.mu.Unlock()
}

// Locked reports whether client is locked out, and if so for how long.
func (f *Failures) Locked(ctx context.Context, client string) (time.Duration, error) {
	now := f.now()
	f.mu.Lock()
	checked, ok := f.clean[client]
	f.mu.Unlock()
	if ok && now.Sub(checked) < cleanFor && !now.Before(checked) {
		return 0, nil
	}
	count, start, err := f.store.AuthFailures(ctx, client)
	if err != nil {
		return 0, fmt.Errorf("read failed authentications: %w", err)
	}
	if count == 0 {
		f.remember(client, now)
	}
	return f.retryAfter(count, start), nil
}

// remember notes that client had no failures at now, pruning stale notes
// so the map stays as small as the set of recently active clients.
func (f *Failures) remember(client string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.clean) >= 4096 {
		for c, t := range f.clean {
			if now.Sub(t) >= cleanFor {
				delete(f.clean, c)
			}
		}
	}
	f.clean[client] = now
}

// Fail counts a failed authentication by client. It returns how long the
// client is now locked out (0 if it is not) and whether this failure is
// the one that locked it.
func (f *Failures) Fail(ctx context.Context, client string) (time.Duration, bool, error) {
	f.mu.Lock()
	delete(f.clean, client)
	f.mu.Unlock()
	now := f.now()
	expired := now.Add(-f.window)
	if err := f.store.DeleteAuthFailuresBefore(ctx, expired); err != nil {
		return 0, false, fmt.Errorf("prune failed authentications: %w", err)
	}
	count, start, err := f.store.AddAuthFailure(ctx, client, now, expired)
	if err != nil {
		return 0, false, fmt.Errorf("count failed authentication: %w", err)
	}
	wait := f.retryAfter(count, start)
	return wait, wait > 0 && count == f.limit, nil
}

func (f *Failures) retryAfter(count int, windowStart time.Time) time.Duration {
	if count < f.limit {
		return 0
	}
	if wait := windowStart.Add(f.window).Sub(f.now()); wait > 0 {
		return wait
	}
	return 0
}
