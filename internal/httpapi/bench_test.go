package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/open-notebook/open-notebook/internal/store"
)

// BenchmarkGetCredential compares an authenticated GET /api/credentials/{id}
// through the whole stack (logging, CORS, body limit, password check,
// routing, SQLite read, JSON) with a bare net/http handler that returns the
// same bytes, side by side, with 64 concurrent loopback clients. The bar is
// that the API reaches at least half the bare handler's req/s.
func BenchmarkGetCredential(b *testing.B) {
	e := newEnv(b, store.SQLite, withKey(encKey))
	id := e.createCredential(`{"name":"bench","provider":"openai","api_key":"` + secretKey + `"}`)["id"].(string)
	e.start(withPassword(password), withKey(encKey))
	body := e.do("GET", "/api/credentials/"+id, "", "Authorization", "Bearer "+password).body
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	defer bare.Close()

	run := func(b *testing.B, url string) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}
		defer client.CloseIdleConnections()
		b.SetParallelism(64 / runtime.GOMAXPROCS(0))
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequest("GET", url, nil)
				req.Header.Set("Authorization", "Bearer "+password)
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	}
	b.Run("bare", func(b *testing.B) { run(b, bare.URL+"/api/credentials/"+id) })
	b.Run("api", func(b *testing.B) { run(b, e.srv.URL+"/api/credentials/"+id) })
}

// BenchmarkHandlerChain is the server's own cost of the same request: the
// whole middleware chain and handler called in process, with no network
// and no client, so a profile of it shows where a request's time goes.
func BenchmarkHandlerChain(b *testing.B) {
	e := newEnv(b, store.SQLite, withKey(encKey))
	id := e.createCredential(`{"name":"bench","provider":"openai","api_key":"` + secretKey + `"}`)["id"].(string)
	e.start(withPassword(password), withKey(encKey))
	h := e.srv.Config.Handler
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/api/credentials/"+id, nil)
		req.RemoteAddr = "127.0.0.1:5555"
		req.Header.Set("Authorization", "Bearer "+password)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}
