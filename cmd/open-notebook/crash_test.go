package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// TestAcknowledgedWritesSurviveSIGKILL kills the server with SIGKILL while
// clients are writing, restarts it on the same database and checks that
// every write the server acknowledged is there.
func TestAcknowledgedWritesSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary twice per engine")
	}
	bin := filepath.Join(t.TempDir(), "open-notebook")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			url, dir := storetest.URL(t, engine)
			if dir == "" {
				dir = t.TempDir()
			}
			addr := freeAddr(t)
			start := func() *exec.Cmd {
				cmd := exec.Command(bin)
				cmd.Env = append(os.Environ(), "OPEN_NOTEBOOK_LISTEN="+addr, "OPEN_NOTEBOOK_DATA_DIR="+dir,
					"OPEN_NOTEBOOK_DATABASE_URL="+url)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				waitHealthy(t, "http://"+addr+"/health")
				return cmd
			}
			server := start()

			var (
				mu    sync.Mutex
				acked []string
				wg    sync.WaitGroup
			)
			client := &http.Client{Timeout: 5 * time.Second}
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 500; i++ {
						resp, err := client.Post("http://"+addr+"/api/notebooks", "application/json",
							strings.NewReader(fmt.Sprintf(`{"name":"w%d-%d"}`, w, i)))
						if err != nil {
							return // the server is gone
						}
						body, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if resp.StatusCode == 200 {
							id := strings.Split(strings.Split(string(body), `"id":"`)[1], `"`)[0]
							mu.Lock()
							acked = append(acked, id)
							mu.Unlock()
						}
					}
				}()
			}
			for {
				mu.Lock()
				n := len(acked)
				mu.Unlock()
				if n >= 100 {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			if err := server.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			server.Wait()
			wg.Wait()

			server = start()
			defer func() { server.Process.Signal(syscall.SIGTERM); server.Wait() }()
			for _, id := range acked {
				resp, err := client.Get("http://" + addr + "/api/notebooks/" + id)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("acknowledged notebook %s is lost after SIGKILL (status %d)", id, resp.StatusCode)
				}
			}
			t.Logf("%d acknowledged writes, all present after SIGKILL", len(acked))
		})
	}
}
