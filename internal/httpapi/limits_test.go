package httpapi_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/config"
	"github.com/open-notebook/open-notebook/internal/store"
)

func withRateLimits(costly, api config.Rate) option {
	return func(c *config.Config) { c.CostlyRateLimit, c.APIRateLimit = costly, api }
}

func TestCostlyEndpointsAreLimitedPerClient(t *testing.T) {
	e, clk := newClockedEnv(t, store.SQLite, withPassword(password),
		withRateLimits(config.Rate{N: 3, Per: time.Minute}, config.Rate{}))
	costly := []struct{ method, path string }{
		{"POST", "/api/credentials/credential:nope/test"},
		{"POST", "/api/credentials/credential:nope/discover"},
		{"POST", "/api/models/sync"},
	}
	for _, c := range costly {
		if r := e.do(c.method, c.path, "", bearer(password)...); r.status == 429 {
			t.Fatalf("%s %s limited too early", c.method, c.path)
		}
	}
	cases := []struct {
		name, method, path string
		limited            bool
	}{
		{"a fourth costly call within the minute is refused", "POST", "/api/models/sync/openai", true},
		{"the limit is shared by every costly endpoint", "GET", "/api/models/discover/openai", true},
		{"a model test is costly too", "POST", "/api/models/model:x/test", true},
		{"other endpoints are not affected", "GET", "/api/notebooks", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, "", bearer(password)...)
			if (r.status == 429) != tc.limited {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if tc.limited && (r.header.Get("Retry-After") != "20" || !strings.Contains(r.body, "Try again in 20 seconds")) {
				t.Fatalf("Retry-After %q, %s", r.header.Get("Retry-After"), r.body)
			}
		})
	}
	t.Run("unauthenticated requests do not use the limit", func(t *testing.T) {
		clk.Advance(time.Minute)
		for range 5 {
			e.do("POST", "/api/models/sync", "")
		}
		if r := e.do("POST", "/api/models/sync", "", bearer(password)...); r.status == 429 {
			t.Fatal("refused after unauthenticated attempts")
		}
	})
	t.Run("the bucket refills over time", func(t *testing.T) {
		e.do("POST", "/api/models/sync", "", bearer(password)...)
		e.do("POST", "/api/models/sync", "", bearer(password)...)
		if r := e.do("POST", "/api/models/sync", "", bearer(password)...); r.status != 429 {
			t.Fatalf("not limited: %d", r.status)
		}
		clk.Advance(20 * time.Second)
		if r := e.do("POST", "/api/models/sync", "", bearer(password)...); r.status == 429 {
			t.Fatalf("not refilled: %s", r.body)
		}
	})
}

func TestTheWholeAPIHasAPerClientLimit(t *testing.T) {
	e, _ := newClockedEnv(t, store.SQLite, withPassword(password),
		withRateLimits(config.DefaultCostlyRateLimit, config.Rate{N: 5, Per: time.Minute}))
	for i := range 5 {
		if r := e.do("GET", "/api/notebooks", "", bearer(password)...); r.status != 200 {
			t.Fatalf("request %d: %d", i+1, r.status)
		}
	}
	cases := []struct {
		name, path string
		auth       bool
		status     int
	}{
		{"the sixth API request is refused", "/api/notebooks", true, 429},
		{"unauthenticated API requests are limited too", "/api/notebooks", false, 429},
		{"the health check is not limited", "/health", false, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var h []string
			if tc.auth {
				h = bearer(password)
			}
			r := e.do("GET", tc.path, "", h...)
			if r.status != tc.status {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if tc.status == 429 {
				if n, _ := strconv.Atoi(r.header.Get("Retry-After")); n != 12 {
					t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
				}
			}
		})
	}
}

func withSlowClientTimeout(d time.Duration) option {
	return func(c *config.Config) { c.SlowClientTimeout = d }
}

func TestSlowClientsAreDroppedButSlowUploadsThatKeepMovingWork(t *testing.T) {
	// The stall timeout is generous and the slow upload's pauses are a
	// quarter of it, so a loaded machine cannot turn a steady upload into a
	// stalled one.
	const stall = time.Second
	e := newEnv(t, store.SQLite, withSlowClientTimeout(stall))
	addr := strings.TrimPrefix(e.srv.URL, "http://")

	t.Run("a body that stops arriving is dropped", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /api/notebooks HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"name\":")
		start := time.Now()
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, _ := io.ReadAll(conn) // returns when the server closes the connection
		if waited := time.Since(start); waited > 3*time.Second {
			t.Fatalf("the stalled connection was held %v", waited)
		}
		if strings.Contains(string(resp), "200 OK") {
			t.Fatalf("a stalled body was accepted: %q", resp)
		}
	})
	t.Run("an upload slower than the timeout in total but never stalling succeeds", func(t *testing.T) {
		pr, pw := io.Pipe()
		go func() {
			// Each part carries a kilobyte: slow in total, yet far above the
			// slowest pace a body may keep (minBodyRate).
			pad := strings.Repeat("x", 1024)
			for _, part := range []string{`{"description":"` + pad, pad + `",`, `"name":`, `"slow`, ` but`, ` steady"`, `}`} {
				time.Sleep(stall / 4)
				if _, err := pw.Write([]byte(part)); err != nil {
					return
				}
			}
			pw.Close()
		}()
		start := time.Now()
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/notebooks", pr)
		req.Header.Set("Content-Type", "application/json")
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "slow but steady") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		if time.Since(start) < stall {
			t.Fatal("the upload was not slower than the timeout; the test proves nothing")
		}
	})
	t.Run("a kept-alive connection outlives the timeout between requests", func(t *testing.T) {
		r := e.do("POST", "/api/notebooks", `{"name":"quick"}`)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		time.Sleep(stall + 100*time.Millisecond)
		if r := e.do("GET", "/api/notebooks", ""); r.status != 200 {
			t.Fatalf("the kept-alive connection broke: %d", r.status)
		}
	})
}
