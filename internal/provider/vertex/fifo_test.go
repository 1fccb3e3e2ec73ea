//go:build unix

package vertex

import (
	"context"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
)

func TestAFIFOIsRefusedWithoutBlocking(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.json")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("cannot make a FIFO: %v", err)
	}
	f := newFake(t, providertest.Reply(http.StatusOK, `{}`))
	c := New(provider.Config{Provider: "vertex", Settings: provider.Settings{Project: "my-project", Location: "us-central1", BaseURL: f.URL, CredentialsPath: path}}, f.Client())
	done := make(chan error, 1)
	go func() {
		_, err := c.Probe(context.Background())
		done <- err
	}()
	select {
	case err := <-done:
		family.WantError(t, err, provider.StatusError, 0, credentialsFileMessage)
	case <-time.After(2 * time.Second):
		t.Fatal("reading a FIFO as the credentials file blocked")
	}
}
