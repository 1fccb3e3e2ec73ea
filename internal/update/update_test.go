package update

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestCompare(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1.14.0", "1.14.0", 0}, {"1.9.2", "1.10.0", -1}, {"1.10.0", "1.9.2", 1},
		{"1.14", "1.14.0", 0}, {"v2.0.0", "1.99.99", 1}, {"1.0.0rc1", "1.0.0rc2", -1},
	}
	for _, tc := range cases {
		if got := Compare(tc.a, tc.b); got != tc.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestLatestReadsPyprojectAndCachesEvenFailures(t *testing.T) {
	var hits atomic.Int32
	var fail atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if fail.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		w.Write([]byte("[project]\nname = \"open-notebook\"\nversion = \"1.15.2\"\n"))
	}))
	defer srv.Close()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewChecker(srv.Client(), srv.URL, func() time.Time { return now })
	for range 3 {
		if v, ok := c.Latest(context.Background()); !ok || v != "1.15.2" {
			t.Fatalf("got %q %v", v, ok)
		}
	}
	if hits.Load() != 1 {
		t.Fatalf("fetched %d times, want 1", hits.Load())
	}
	fail.Store(true)
	now = now.Add(TTL + time.Second)
	if _, ok := c.Latest(context.Background()); ok {
		t.Fatal("a failed fetch should report no version")
	}
	fail.Store(false)
	if _, ok := c.Latest(context.Background()); ok || hits.Load() != 2 {
		t.Fatalf("a failure should be cached too (hits %d)", hits.Load())
	}
}
