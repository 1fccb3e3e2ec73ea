package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/store"
)

// writeJSON writes v as the response body. Like the original (Starlette's
// JSONResponse) the output is compact and HTML characters are not escaped.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer putJSONBuffer(buf)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"detail":"Internal Server Error"}`, http.StatusInternalServerError)
		return
	}
	body := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	h := w.Header()
	h["Content-Type"] = jsonType
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// jsonType is shared by every JSON response (see securityHeaders).
var jsonType = []string{"application/json"}

// jsonBuffers keeps response buffers between requests: most responses are
// small and alike, and a fresh buffer regrows for each one.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putJSONBuffer returns buf to the pool unless a large response grew it,
// so one big listing does not pin its memory for ever.
func putJSONBuffer(buf *bytes.Buffer) {
	if buf.Cap() > 64<<10 {
		return
	}
	buf.Reset()
	jsonBuffers.Put(buf)
}

// detail is the error envelope of every error response.
type detail struct {
	Detail    any    `json:"detail"`
	RequestID string `json:"request_id,omitempty"` // only on 500s, to match a report with the log
}

// validationItem is one entry of a 422's detail list, in the original's
// (pydantic's) shape.
type validationItem struct {
	Type  string `json:"type"`
	Loc   []any  `json:"loc"`
	Msg   string `json:"msg"`
	Input any    `json:"input"`
}

// statusOf is the one place where error codes become HTTP statuses.
func statusOf(code apperr.Code) int {
	switch code {
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.Unprocessable:
		return http.StatusUnprocessableEntity
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict, apperr.Locked:
		return http.StatusConflict
	case apperr.Unauthorized:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.RateLimited:
		return http.StatusTooManyRequests
	case apperr.Upstream:
		return http.StatusBadGateway
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.Unsupported:
		return http.StatusUnsupportedMediaType
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// A request that failed because the database cannot be reached is a 503
// that says so, with a hint of when to retry: the pools reconnect by
// themselves when it returns. The driver's error is logged, never shown.
const (
	dbUnavailableDetail = "The database is unavailable; try again shortly"
	dbRetryAfter        = 5 * time.Second
)

// internalDetail is the fixed message of every 500: the cause is logged
// with the request id and never shown.
const internalDetail = "Internal Server Error"

// writeError writes err as an error response. *apperr.Error values show
// their message; anything else is logged and becomes a fixed 500.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		writeJSON(w, http.StatusRequestEntityTooLarge, detail{Detail: bodyTooLargeDetail})
		return
	}
	if status, msg, ok := bodyFailure(err); ok {
		// The client broke its own request: nothing failed here, and the
		// connection cannot carry another request.
		loggerFrom(r.Context()).Warn("request body failed", "status", status, "error", err)
		w.Header().Set("Connection", "close")
		writeJSON(w, status, detail{Detail: msg})
		return
	}
	e, ok := apperr.As(err)
	if (!ok || e.Code == apperr.Internal) && store.Unreachable(err) {
		e, ok = &apperr.Error{Code: apperr.Unavailable, Message: dbUnavailableDetail, RetryAfter: dbRetryAfter, Err: err}, true
	}
	if !ok || e.Code == apperr.Internal {
		loggerFrom(r.Context()).Error("request failed", "error", err)
		writeJSON(w, http.StatusInternalServerError, detail{Detail: internalMessage(e), RequestID: requestID(r.Context())})
		return
	}
	switch {
	case e.Code == apperr.Unavailable:
		loggerFrom(r.Context()).Warn("request failed: the database is unreachable", "status", statusOf(e.Code), "error", e.Err)
	case e.Err != nil:
		loggerFrom(r.Context()).Info("request refused", "status", statusOf(e.Code), "detail", e.Message, "cause", e.Err)
	}
	if (e.Code == apperr.RateLimited || e.Code == apperr.Unavailable) && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	if e.Code == apperr.Unauthorized {
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	if len(e.Fields) > 0 {
		items := make([]validationItem, len(e.Fields))
		for i, f := range e.Fields {
			items[i] = validationItem{Type: f.Type, Loc: f.Loc, Msg: f.Msg, Input: f.Input}
		}
		writeJSON(w, statusOf(e.Code), detail{Detail: items})
		return
	}
	writeJSON(w, statusOf(e.Code), detail{Detail: e.Message})
}

// bodyFailure recognises a request body that the client cut off before its
// declared length (400) or stopped sending (408).
func bodyFailure(err error) (status int, msg string, ok bool) {
	var be *bodyError
	if !errors.As(err, &be) {
		return 0, "", false
	}
	var netErr net.Error
	if errors.Is(be, os.ErrDeadlineExceeded) || errors.As(be, &netErr) && netErr.Timeout() {
		return http.StatusRequestTimeout, "The request body stopped arriving", true
	}
	return http.StatusBadRequest, "The request body ended before its declared length", true
}

func isBodyFailure(err error) bool {
	_, _, ok := bodyFailure(err)
	return ok
}

// internalMessage is the fixed text of a 500. A domain error marked Internal
// may carry a router-specific fixed message (e.g. "Error fetching sources"),
// which is safe to show because it never includes the cause.
func internalMessage(e *apperr.Error) string {
	if e != nil && e.Message != "" {
		return e.Message
	}
	return internalDetail
}

// loggerFrom returns the request's logger, which carries its id.
func loggerFrom(ctx context.Context) *slog.Logger {
	if i, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return i.log()
	}
	return slog.Default()
}

func requestID(ctx context.Context) string {
	if i, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return i.id
	}
	return ""
}

type requestInfoKey struct{}
