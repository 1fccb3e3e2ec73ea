package ratelimit_test

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/ratelimit"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestClientKey(t *testing.T) {
	cases := []struct{ addr, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:aa:bb:1:2:3:4", "2001:db8:aa:bb::/64"},
		{"2001:db8:aa:bb:ffff::1", "2001:db8:aa:bb::/64"},
		{"::1", "::/64"},
	}
	for _, tc := range cases {
		if got := ratelimit.ClientKey(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("ClientKey(%s) = %s, want %s", tc.addr, got, tc.want)
		}
	}
}

func TestLimiter(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	l := ratelimit.NewLimiter(3, time.Minute, clk.Now)
	allow := func(client string) (bool, time.Duration) { return l.Allow(client) }

	for i := range 3 {
		if ok, _ := allow("a"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	cases := []struct {
		name    string
		advance time.Duration
		client  string
		ok      bool
		wait    time.Duration
	}{
		{"an empty bucket refuses and says when one frees", 0, "a", false, 20 * time.Second},
		{"another client has its own bucket", 0, "b", true, 0},
		{"a refused request costs nothing", 15 * time.Second, "a", false, 5 * time.Second},
		{"the bucket refills at n per period", 5 * time.Second, "a", true, 0},
		{"and is empty again at once", 0, "a", false, 20 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk.Advance(tc.advance)
			ok, wait := allow(tc.client)
			if ok != tc.ok || wait != tc.wait {
				t.Fatalf("ok=%v wait=%v, want %v %v", ok, wait, tc.ok, tc.wait)
			}
		})
	}
	t.Run("an idle client is forgotten with a full bucket", func(t *testing.T) {
		clk.Advance(2 * time.Minute)
		for i := range 3 {
			if ok, _ := allow("a"); !ok {
				t.Fatalf("request %d refused after a long idle time", i+1)
			}
		}
	})
	t.Run("a nil limiter allows everything", func(t *testing.T) {
		var none *ratelimit.Limiter
		if ok, _ := none.Allow("x"); !ok || ratelimit.NewLimiter(0, time.Minute, clk.Now) != nil {
			t.Fatal("no limit should allow")
		}
	})
}

func TestFailuresLockOutAcrossReplicas(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			url, dir := storetest.URL(t, engine)
			open := func() *store.DB {
				db, err := store.Open(t.Context(), url, dir, storetest.Logger())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			}
			ctx := t.Context()
			clk := &clock{t: time.Unix(1_700_000_000, 0)}
			replicas := []*ratelimit.Failures{
				ratelimit.NewFailures(open(), 4, 5*time.Minute, clk.Now),
				ratelimit.NewFailures(open(), 4, 5*time.Minute, clk.Now),
			}
			for i := range 4 {
				clk.Advance(10 * time.Second)
				wait, lockedNow, err := replicas[i%2].Fail(ctx, "192.0.2.1")
				if err != nil {
					t.Fatal(err)
				}
				if last := i == 3; lockedNow != last || (wait > 0) != last {
					t.Fatalf("failure %d: wait %v, locked now %v", i+1, wait, lockedNow)
				}
			}
			for i, f := range replicas {
				wait, err := f.Locked(ctx, "192.0.2.1")
				// The window opened with the first failure, 30 s before the last.
				if err != nil || wait != 4*time.Minute+30*time.Second {
					t.Fatalf("replica %d: wait %v, %v", i, wait, err)
				}
			}
			t.Run("a further failure does not report the lock-out again", func(t *testing.T) {
				if _, lockedNow, _ := replicas[0].Fail(ctx, "192.0.2.1"); lockedNow {
					t.Fatal("reported twice")
				}
			})
			t.Run("other clients are not locked", func(t *testing.T) {
				if wait, _ := replicas[1].Locked(ctx, "192.0.2.2"); wait != 0 {
					t.Fatalf("wait %v", wait)
				}
			})
			t.Run("the lock-out ends with the window", func(t *testing.T) {
				clk.Advance(4*time.Minute + 30*time.Second)
				if wait, _ := replicas[0].Locked(ctx, "192.0.2.1"); wait != 0 {
					t.Fatalf("still locked for %v", wait)
				}
				if wait, _, _ := replicas[1].Fail(ctx, "192.0.2.1"); wait != 0 {
					t.Fatalf("a failure in a new window locked at once: %v", wait)
				}
			})
		})
	}
}

// countingStore counts the reads a lock-out check makes.
type countingStore struct {
	ratelimit.FailureStore
	reads int
}

func (c *countingStore) AuthFailures(ctx context.Context, client string) (int, time.Time, error) {
	c.reads++
	return c.FailureStore.AuthFailures(ctx, client)
}

// openSQLite opens a fresh SQLite database, closed when the test ends.
func openSQLite(t *testing.T) *store.DB {
	t.Helper()
	url, dir := storetest.URL(t, store.SQLite)
	db, err := store.Open(t.Context(), url, dir, storetest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestACleanClientCostsOneReadPerSecond(t *testing.T) {
	db := openSQLite(t)
	ctx := t.Context()
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	here := &countingStore{FailureStore: db}
	f := ratelimit.NewFailures(here, 2, time.Minute, clk.Now)
	other := ratelimit.NewFailures(db, 2, time.Minute, clk.Now) // another replica

	for range 50 {
		if wait, err := f.Locked(ctx, "198.51.100.7"); wait != 0 || err != nil {
			t.Fatalf("a clean client is locked: %v %v", wait, err)
		}
	}
	if here.reads != 1 {
		t.Fatalf("%d reads for 50 checks within a second, want 1", here.reads)
	}

	// A failure here is seen at once.
	if _, _, err := f.Fail(ctx, "198.51.100.7"); err != nil {
		t.Fatal(err)
	}
	f.Locked(ctx, "198.51.100.7")
	if here.reads != 2 {
		t.Fatalf("a local failure must end the trust: %d reads", here.reads)
	}

	// Another replica's lock-out is seen within a second.
	f.Locked(ctx, "203.0.113.9")
	other.Fail(ctx, "203.0.113.9")
	other.Fail(ctx, "203.0.113.9")
	clk.Advance(time.Second)
	if wait, _ := f.Locked(ctx, "203.0.113.9"); wait == 0 {
		t.Fatal("another replica's lock-out was not seen after a second")
	}
}

// Gates are kept between attempts and pruned when many clients have come
// and gone; pruning must never drop the gate of an attempt in flight, or a
// second attempt of that client would be checked beside it.
func TestFailuresPruneOnlyIdleGates(t *testing.T) {
	db := openSQLite(t)
	ctx := t.Context()
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	f := ratelimit.NewFailures(db, 5, time.Minute, clk.Now)

	inside, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := f.Attempt(ctx, "198.51.100.7", func() (bool, error) {
			close(inside)
			<-release
			return false, nil
		})
		first <- err
	}()
	<-inside

	for i := range 5000 {
		client := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String()
		if _, err := f.Attempt(ctx, client, func() (bool, error) { return false, nil }); err != nil {
			t.Fatal(err)
		}
	}

	second := make(chan struct{})
	go func() {
		f.Attempt(ctx, "198.51.100.7", func() (bool, error) {
			close(second)
			return false, nil
		})
	}()
	select {
	case <-second:
		t.Fatal("a second attempt ran while the first was in flight: its gate was pruned")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	select {
	case <-second:
	case <-time.After(5 * time.Second):
		t.Fatal("the second attempt never ran")
	}
}
