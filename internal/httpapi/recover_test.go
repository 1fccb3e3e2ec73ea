package httpapi

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPanicsBecomeALogged500WithAFixedMessage(t *testing.T) {
	var logs bytes.Buffer
	h := chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("boom: secret-detail-xyz")
	}), requestLog(slog.New(slog.NewTextHandler(&logs, nil))), recoverPanics)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/notebooks", nil))
	id := rec.Header().Get("X-Request-ID")
	if rec.Code != 500 || rec.Body.String() != `{"detail":"Internal Server Error","request_id":"`+id+`"}` {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs.String(), "secret-detail-xyz") || !strings.Contains(logs.String(), "request_id="+id) {
		t.Fatalf("the panic should be logged with the request id: %s", logs.String())
	}
}

func TestInternalErrorsAreHiddenButLogged(t *testing.T) {
	var logs bytes.Buffer
	rt := endpoint(op{Method: "GET", Path: "/x", Access: Public}, func(context.Context, struct{}) (messageOut, error) {
		return messageOut{}, errString("pq: password authentication failed for db-primary-7f3a.internal")
	})
	h := chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := rt.serve(w, r); err != nil {
			writeError(w, r, err)
		}
	}), requestLog(slog.New(slog.NewTextHandler(&logs, nil))))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "db-primary") {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs.String(), "db-primary") {
		t.Fatalf("the cause should be logged: %s", logs.String())
	}
}

type errString string

func (e errString) Error() string { return string(e) }
