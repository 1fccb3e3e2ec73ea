// Package config reads the server's configuration from the environment. It
// returns a value; nothing is kept in package state. Secrets may also come
// from files named by VAR_FILE, with the original's rules: a non-empty file
// (after trimming) wins, anything else falls through to VAR.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/secret"
)

// Env looks a variable up, shaped like os.LookupEnv.
type Env func(string) (string, bool)

// DefaultMaxUploadBytes is the body-size limit when none (or a bad one) is set.
const DefaultMaxUploadBytes = 100 * 1024 * 1024

// Config is the server's configuration.
type Config struct {
	Listen      string // host:port
	DataDir     string
	DatabaseURL secret.String // OPEN_NOTEBOOK_DATABASE_URL or the file OPEN_NOTEBOOK_DATABASE_URL_FILE names; may embed a password

	Password        secret.String // OPEN_NOTEBOOK_PASSWORD[_FILE]; empty disables auth
	AllowNoPassword bool          // OPEN_NOTEBOOK_ALLOW_NO_PASSWORD

	EncryptionKey         secret.String   // OPEN_NOTEBOOK_ENCRYPTION_KEY[_FILE]
	EncryptionKeyPrevious []secret.String // OPEN_NOTEBOOK_ENCRYPTION_KEY_PREVIOUS[_FILE], comma-separated

	CORSOrigins   []string // ["*"] by default
	CORSWildcard  bool     // CORS_ORIGINS unset: a start-up warning says so
	CORSAllowCred bool     // credentials only with an explicit origin list

	MaxUploadBytes int64

	LogFormat string // "text" or "json"
	LogLevel  slog.Level

	Egress string // OPEN_NOTEBOOK_EGRESS: "" (private ranges allowed) or "public-only"

	VersionCheck    bool   // OPEN_NOTEBOOK_VERSION_CHECK=true enables the outbound check
	VersionCheckURL string // where the latest version is read from

	ShutdownTimeout time.Duration

	// Security beyond the password (security.go).
	SessionLifetime    time.Duration  // OPEN_NOTEBOOK_SESSION_LIFETIME: absolute
	SessionIdleTimeout time.Duration  // OPEN_NOTEBOOK_SESSION_IDLE_TIMEOUT
	AuthFailureLimit   Rate           // OPEN_NOTEBOOK_AUTH_FAILURE_LIMIT: failures per window per client
	CostlyRateLimit    Rate           // OPEN_NOTEBOOK_RATE_LIMIT_COSTLY: tests, discovery, sync per client
	APIRateLimit       Rate           // OPEN_NOTEBOOK_RATE_LIMIT_API: all /api requests per client
	TrustedProxies     []netip.Prefix // OPEN_NOTEBOOK_TRUSTED_PROXIES: peers whose X-Forwarded-For is believed
	TLSCertFile        string         // OPEN_NOTEBOOK_TLS_CERT_FILE
	TLSKeyFile         string         // OPEN_NOTEBOOK_TLS_KEY_FILE
	SlowClientTimeout  time.Duration  // OPEN_NOTEBOOK_SLOW_CLIENT_TIMEOUT: longest stall of a body or response
	MaxClientConns     int            // OPEN_NOTEBOOK_MAX_CONNECTIONS_PER_CLIENT: open connections one address may hold

	// Background jobs.
	Workers        int           // OPEN_NOTEBOOK_WORKERS: jobs this process runs at once; 0: an API-only replica
	JobRescueAfter time.Duration // OPEN_NOTEBOOK_JOB_RESCUE_AFTER: the least time a job of a dead process stays running before it runs again (each kind also waits its own timeout and a tenth); 0: that alone
	JobTimeout     time.Duration // OPEN_NOTEBOOK_JOB_TIMEOUT: the most one attempt of any job may run; 0: each kind's own
	// Chunking for embeddings, in tokens: OPEN_NOTEBOOK_CHUNK_SIZE (400,
	// 100 to 1,000,000), OPEN_NOTEBOOK_CHUNK_OVERLAP (15% of the size),
	// OPEN_NOTEBOOK_MIN_CHUNK_SIZE (5).
	ChunkSize, ChunkOverlap, MinChunkSize int

	// Hosted readers for links (the original's variables): used when the
	// URL engine setting chooses them, or by auto, only with a key.
	FirecrawlAPIKey secret.String // FIRECRAWL_API_KEY
	FirecrawlAPIURL string        // FIRECRAWL_API_URL: a self-hosted instance
	JinaAPIKey      secret.String // JINA_API_KEY
	// JinaAPIURL and YouTubeURL are the services' addresses; only tests
	// point them elsewhere, so no variable sets them.
	JinaAPIURL string
	YouTubeURL string
}

// DefaultWorkers is how many background jobs a server runs at once: jobs
// mostly wait on providers, and a small number keeps the embedded
// database's single writer free for requests.
const DefaultWorkers = 2

// Error is a configuration error that names the variable at fault.
type Error struct {
	Var string
	Msg string
}

func (e *Error) Error() string { return e.Var + ": " + e.Msg }

// Load reads the configuration. Warnings (a _FILE that is missing or empty,
// a malformed upload size) go to logger. The first invalid value is
// returned as an *Error.
func Load(env Env, logger *slog.Logger) (*Config, error) {
	get := func(name string) string {
		v, _ := env(name)
		return strings.TrimSpace(v)
	}
	c := &Config{
		Listen:          orDefault(get("OPEN_NOTEBOOK_LISTEN"), "127.0.0.1:5055"),
		DataDir:         orDefault(get("OPEN_NOTEBOOK_DATA_DIR"), "./data"),
		DatabaseURL:     secret.New(get("OPEN_NOTEBOOK_DATABASE_URL")),
		Password:        secret.New(SecretFromEnv(env, "OPEN_NOTEBOOK_PASSWORD", logger)),
		EncryptionKey:   secret.New(SecretFromEnv(env, "OPEN_NOTEBOOK_ENCRYPTION_KEY", logger)),
		LogFormat:       orDefault(strings.ToLower(get("OPEN_NOTEBOOK_LOG_FORMAT")), "text"),
		Egress:          strings.ToLower(get("OPEN_NOTEBOOK_EGRESS")),
		VersionCheckURL: orDefault(get("OPEN_NOTEBOOK_VERSION_CHECK_URL"), "https://raw.githubusercontent.com/lfnovo/open-notebook/main/pyproject.toml"),
		ShutdownTimeout: 30 * time.Second,
		FirecrawlAPIKey: secret.New(SecretFromEnv(env, "FIRECRAWL_API_KEY", logger)),
		FirecrawlAPIURL: orDefault(get("FIRECRAWL_API_URL"), "https://api.firecrawl.dev"),
		JinaAPIKey:      secret.New(SecretFromEnv(env, "JINA_API_KEY", logger)),
		JinaAPIURL:      "https://r.jina.ai",
		YouTubeURL:      "https://www.youtube.com",
	}
	for _, p := range strings.Split(SecretFromEnv(env, "OPEN_NOTEBOOK_ENCRYPTION_KEY_PREVIOUS", logger), ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.EncryptionKeyPrevious = append(c.EncryptionKeyPrevious, secret.New(p))
		}
	}

	if path := get("OPEN_NOTEBOOK_DATABASE_URL_FILE"); path != "" {
		u, err := databaseURLFile(path)
		if err != nil {
			return nil, &Error{"OPEN_NOTEBOOK_DATABASE_URL_FILE", err.Error()}
		}
		c.DatabaseURL = secret.New(u)
	}
	if err := checkListen(c.Listen); err != nil {
		return nil, &Error{"OPEN_NOTEBOOK_LISTEN", err.Error()}
	}
	if u := c.DatabaseURL.Reveal(); u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		return nil, &Error{"OPEN_NOTEBOOK_DATABASE_URL", "must be empty (embedded SQLite) or a postgres:// URL"}
	}
	var err error
	if c.AllowNoPassword, err = parseBool(env, "OPEN_NOTEBOOK_ALLOW_NO_PASSWORD"); err != nil {
		return nil, err
	}
	if c.VersionCheck, err = parseBool(env, "OPEN_NOTEBOOK_VERSION_CHECK"); err != nil {
		return nil, err
	}
	switch c.Egress {
	case "", "private", "allow-private", "public-only":
	default:
		return nil, &Error{"OPEN_NOTEBOOK_EGRESS", fmt.Sprintf("must be public-only or empty, not %q", c.Egress)}
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return nil, &Error{"OPEN_NOTEBOOK_LOG_FORMAT", fmt.Sprintf("must be text or json, not %q", c.LogFormat)}
	}
	if lvl := get("OPEN_NOTEBOOK_LOG_LEVEL"); lvl != "" {
		if err := c.LogLevel.UnmarshalText([]byte(lvl)); err != nil {
			return nil, &Error{"OPEN_NOTEBOOK_LOG_LEVEL", fmt.Sprintf("must be debug, info, warn or error, not %q", lvl)}
		}
	}
	if d := get("OPEN_NOTEBOOK_SHUTDOWN_TIMEOUT"); d != "" {
		if c.ShutdownTimeout, err = time.ParseDuration(d); err != nil || c.ShutdownTimeout <= 0 {
			return nil, &Error{"OPEN_NOTEBOOK_SHUTDOWN_TIMEOUT", fmt.Sprintf("must be a positive duration such as 30s, not %q", d)}
		}
	}

	c.Workers = DefaultWorkers
	if v := get("OPEN_NOTEBOOK_WORKERS"); v != "" {
		if c.Workers, err = strconv.Atoi(v); err != nil || c.Workers < 0 || c.Workers > 64 {
			return nil, &Error{"OPEN_NOTEBOOK_WORKERS", fmt.Sprintf("must be a number from 0 to 64, not %q", v)}
		}
	}
	if v := get("OPEN_NOTEBOOK_JOB_RESCUE_AFTER"); v != "" {
		if c.JobRescueAfter, err = time.ParseDuration(v); err != nil || c.JobRescueAfter <= 0 {
			return nil, &Error{"OPEN_NOTEBOOK_JOB_RESCUE_AFTER", fmt.Sprintf("must be a positive duration such as 20m, not %q", v)}
		}
	}
	if v := get("OPEN_NOTEBOOK_JOB_TIMEOUT"); v != "" {
		if c.JobTimeout, err = time.ParseDuration(v); err != nil || c.JobTimeout < time.Second {
			return nil, &Error{"OPEN_NOTEBOOK_JOB_TIMEOUT", fmt.Sprintf("must be a duration of at least 1s such as 30m, not %q", v)}
		}
	}
	c.ChunkSize, c.ChunkOverlap, c.MinChunkSize = parseChunking(get, logger)
	c.CORSOrigins, c.CORSWildcard = ParseCORSOrigins(env)
	c.CORSAllowCred = !slices.Contains(c.CORSOrigins, "*")
	c.MaxUploadBytes = ParseMaxUploadBytes(get("OPEN_NOTEBOOK_MAX_UPLOAD_SIZE_MB"), logger)
	if err := c.loadSecurity(get); err != nil {
		return nil, err
	}
	return c, nil
}

// SecretFromEnv implements the original's get_secret_from_env: VAR_FILE wins
// when it names a readable file whose content is non-empty after trimming
// (the trimmed content is returned); an empty, missing or unreadable file is
// logged and falls through to VAR. The value of VAR itself is not trimmed,
// as in the original.
func SecretFromEnv(env Env, name string, logger *slog.Logger) string {
	if path, ok := env(name + "_FILE"); ok && path != "" {
		data, err := os.ReadFile(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			logger.Warn("secret file does not exist; falling back to the variable", "var", name+"_FILE", "path", path)
		case err != nil:
			logger.Error("secret file cannot be read; falling back to the variable", "var", name+"_FILE", "path", path, "error", errWithoutContent(err))
		default:
			if v := strings.TrimSpace(string(data)); v != "" {
				return v
			}
			logger.Warn("secret file is empty; falling back to the variable", "var", name+"_FILE", "path", path)
		}
	}
	v, _ := env(name)
	return v
}

// databaseURLFile reads the database URL from a file. Unlike the secrets
// the original reads, a file that is missing, unreadable or empty is an
// error, not a fall-back: falling back would quietly run a replica on its
// own embedded database instead of the shared one.
func databaseURLFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("cannot read %s (%s)", path, errWithoutContent(err))
	}
	u := strings.TrimSpace(string(data))
	if u == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return u, nil
}

// errWithoutContent keeps only the operation and path of a file error: the
// error text of a read never includes content, but make that explicit.
func errWithoutContent(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return "read failed"
}

// ParseCORSOrigins implements the original's CORS_ORIGINS parsing: unset
// means ["*"] (and wildcard=true so start-up can warn), a stripped "*" is
// ["*"], anything else is a comma-separated list with blanks dropped.
func ParseCORSOrigins(env Env) (origins []string, defaultWildcard bool) {
	raw, ok := env("CORS_ORIGINS")
	if !ok {
		return []string{"*"}, true
	}
	if strings.TrimSpace(raw) == "*" {
		return []string{"*"}, false
	}
	for _, o := range strings.Split(raw, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	if len(origins) == 0 {
		return []string{"*"}, false
	}
	return origins, false
}

// ParseMaxUploadBytes implements §8.4: megabytes as a float; a malformed
// value or one under a byte falls back to 100 MB with a warning, and one
// beyond what int64 holds (including +Inf) is the largest limit.
func ParseMaxUploadBytes(raw string, logger *slog.Logger) int64 {
	if raw == "" {
		return DefaultMaxUploadBytes
	}
	mb, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		logger.Warn("OPEN_NOTEBOOK_MAX_UPLOAD_SIZE_MB is not a number; using 100 MB", "value", raw)
		return DefaultMaxUploadBytes
	}
	n := mb * 1024 * 1024
	if n < 1 || mb != mb {
		logger.Warn("OPEN_NOTEBOOK_MAX_UPLOAD_SIZE_MB must be positive; using 100 MB", "value", raw)
		return DefaultMaxUploadBytes
	}
	// Converting a float beyond int64 gives an arbitrary (on amd64,
	// negative) number; a value that large means no practical limit.
	if n >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(n)
}

// IsLoopback reports whether a host:port listens only on the loopback
// interface. An empty host means every interface.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil || host == "" {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

func checkListen(listen string) error {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("invalid address %q: want host:port, e.g. 127.0.0.1:5055", listen)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("invalid port %q in %q", port, listen)
	}
	if host != "" && host != "localhost" {
		if _, err := netip.ParseAddr(host); err != nil && !validHostname(host) {
			return fmt.Errorf("invalid host %q in %q", host, listen)
		}
	}
	return nil
}

func validHostname(h string) bool {
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	for _, r := range h {
		if !(r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func parseBool(env Env, name string) (bool, error) {
	v, ok := env(name)
	v = strings.TrimSpace(strings.ToLower(v))
	if !ok || v == "" {
		return false, nil
	}
	switch v {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, &Error{name, fmt.Sprintf("must be true or false, not %q", v)}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// maxChunkSize is the largest chunk size taken, in tokens.
const maxChunkSize = 1_000_000

// parseChunking reads the chunking variables as the original does: a size
// under 100 is raised to 100 (and one over maxChunkSize lowered to it), an overlap outside [0, size) falls back to
// 15% of the size; an unreadable value is logged and the default used.
func parseChunking(get func(string) string, logger *slog.Logger) (size, overlap, minimum int) {
	num := func(name string, def int) int {
		v := strings.TrimSpace(get(name))
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			logger.Warn("ignoring an unreadable value", "variable", name, "value", v)
			return def
		}
		return n
	}
	// The ceiling is far above any embedding model's input; it keeps the
	// arithmetic on sizes (15% of one, for a start) from overflowing.
	size = min(max(num("OPEN_NOTEBOOK_CHUNK_SIZE", 400), 100), maxChunkSize)
	overlap = num("OPEN_NOTEBOOK_CHUNK_OVERLAP", size*15/100)
	if overlap < 0 || overlap >= size {
		overlap = size * 15 / 100
	}
	minimum = max(num("OPEN_NOTEBOOK_MIN_CHUNK_SIZE", 5), 1)
	return size, overlap, minimum
}
