package provider

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/netguard"
)

func TestFromTransportReportsAnAnswerOverTheSizeLimit(t *testing.T) {
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		// No Content-Length: the cap is met while reading, not up front.
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, strings.Repeat("x", 4096))
	}))
	defer big.Close()
	hc := netguard.New(netguard.Options{MaxResponseBytes: 1024}).Client()
	resp, err := hc.Get(big.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	e := FromTransport("openai", err, testKey)
	if e.Status != StatusError || e.Message != "the provider's answer is larger than the size limit" {
		t.Fatalf("got %s: %q", e.Status, e.Message)
	}
	if success, msg := TestMessage(e); success || !strings.Contains(msg, "larger than the size limit") {
		t.Fatalf("TestMessage = %v, %q", success, msg)
	}
}
