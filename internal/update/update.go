// Package update finds out whether a newer release exists. The check is an
// outbound request, so it runs only when the operator turns it on, and its
// result (a failure included) is cached for a day.
package update

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// TTL is how long a result, success or failure, is reused.
const TTL = 24 * time.Hour

// Checker fetches the latest version from a URL serving a pyproject.toml
// (version = "x.y.z") or a bare version string.
type Checker struct {
	client *http.Client
	url    string
	now    func() time.Time

	mu      sync.Mutex
	checked time.Time
	latest  string
	ok      bool
}

// NewChecker returns a Checker. client should be the product's guarded
// outbound client.
func NewChecker(client *http.Client, url string, now func() time.Time) *Checker {
	return &Checker{client: client, url: url, now: now}
}

var versionLine = regexp.MustCompile(`(?m)^\s*version\s*=\s*["']([^"']+)["']`)

// Latest returns the newest version, from cache when fresh. It never blocks
// for more than 10 seconds.
func (c *Checker) Latest(ctx context.Context) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.checked.IsZero() && c.now().Sub(c.checked) < TTL {
		return c.latest, c.ok
	}
	c.latest, c.ok = c.fetch(ctx)
	c.checked = c.now()
	return c.latest, c.ok
}

func (c *Checker) fetch(ctx context.Context) (string, bool) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return "", false
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", false
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<10))
	if err != nil {
		return "", false
	}
	if m := versionLine.FindSubmatch(body); m != nil {
		return string(m[1]), true
	}
	if v := strings.TrimSpace(string(body)); v != "" && !strings.ContainsAny(v, " \n=") && len(v) < 64 {
		return v, true
	}
	return "", false
}

// Compare compares dotted versions numerically part by part ("1.10.0" is
// newer than "1.9.2"); a non-numeric part compares as text. It returns -1,
// 0 or 1.
func Compare(a, b string) int {
	pa := strings.Split(strings.TrimPrefix(a, "v"), ".")
	pb := strings.Split(strings.TrimPrefix(b, "v"), ".")
	for i := range max(len(pa), len(pb)) {
		x, y := "0", "0"
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		nx, ex := strconv.Atoi(x)
		ny, ey := strconv.Atoi(y)
		switch {
		case ex == nil && ey == nil && nx != ny:
			if nx < ny {
				return -1
			}
			return 1
		case (ex != nil || ey != nil) && x != y:
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
