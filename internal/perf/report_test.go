package perf_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/ai"
	"github.com/open-notebook/open-notebook/internal/app"
	"github.com/open-notebook/open-notebook/internal/app/apptest"
	"github.com/open-notebook/open-notebook/internal/credential"
	"github.com/open-notebook/open-notebook/internal/httpapi"
	"github.com/open-notebook/open-notebook/internal/model"
	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/secret"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
	"github.com/open-notebook/open-notebook/internal/vector"
)

// report collects the table's rows.
type report struct {
	rows [][4]string // figure, engine, value, bar
}

func (r *report) add(figure, engine, value, bar string) {
	r.rows = append(r.rows, [4]string{figure, engine, value, bar})
	fmt.Printf("  %s · %s: %s\n", figure, engine, value)
}

func (r *report) markdown() string {
	var b strings.Builder
	b.WriteString("| Figure | Engine | Measured | Bar |\n|---|---|---|---|\n")
	for _, row := range r.rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", row[0], row[1], row[2], row[3])
	}
	return b.String()
}

// BenchmarkReport measures every figure of the performance table once and
// prints the table (see the package documentation for the command).
func BenchmarkReport(b *testing.B) {
	var r report
	for b.Loop() {
		r = report{}
		for _, engine := range storetest.Engines() {
			listLatency(b, &r, engine)
		}
		throughput(b, &r)
		startup(b, &r)
		vectorSearch(b, &r)
		providerSync(b, &r)
	}
	machine := fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	if cpu := cpuModel(); cpu != "" {
		machine = cpu + ", " + machine
	}
	out := "Machine: " + machine + "\n\n" + r.markdown()
	fmt.Println()
	fmt.Print(out)
	if path := os.Getenv("OPEN_NOTEBOOK_PERF_OUT"); path != "" {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// production measures the application as it runs by default: tests poll
// for jobs every 20 ms to finish quickly, the product every second.
var production = app.Options{JobPollInterval: time.Second}

// serve runs the real API of a over a loopback test server.
func serve(b *testing.B, a *app.App) *httptest.Server {
	b.Helper()
	api, err := httpapi.New(a, httpapi.Options{Version: "perf"})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(api)
	srv.Listener = api.Listener(srv.Listener)
	srv.Start()
	b.Cleanup(srv.Close)
	return srv
}

// listLatency measures GET /api/credentials with 10, 100 and 1,000
// credentials of 10 models each: the median latency of sequential
// requests and the SQL statements each one runs.
func listLatency(b *testing.B, r *report, engine store.Engine) {
	ctx := context.Background()
	a := apptest.Open(b, engine, nil, production)
	srv := serve(b, a)
	client := srv.Client()
	have := 0
	for _, n := range []int{10, 100, 1000} {
		for ; have < n; have++ {
			c, err := a.Credentials.Create(ctx, credential.Input{Name: fmt.Sprintf("key %d", have), Provider: "openai", APIKey: fmt.Sprintf("sk-perf-%08d-0000", have)})
			if err != nil {
				b.Fatal(err)
			}
			for j := range 10 {
				if _, err := a.Models.Create(ctx, model.NewInput{Name: fmt.Sprintf("model-%d-%d", have, j), Provider: "openai", Type: "language", CredentialID: c.ID}); err != nil {
					b.Fatal(err)
				}
			}
		}
		get := func() {
			resp, err := client.Get(srv.URL + "/api/credentials")
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("GET /api/credentials: %d", resp.StatusCode)
			}
		}
		for range 5 {
			get()
		}
		const requests = 50
		lat := make([]time.Duration, requests)
		before := a.DB.Statements()
		for i := range lat {
			start := time.Now()
			get()
			lat[i] = time.Since(start)
		}
		stmts := float64(a.DB.Statements()-before) / requests
		r.add(fmt.Sprintf("GET /api/credentials, %d credentials × 10 models: p50 latency, SQL statements per request", n), string(engine),
			fmt.Sprintf("%s, %.1f statements", ms(median(lat)), stmts), "statements constant in n")
	}
}

// throughput compares an authenticated GET /api/credentials/{id} with a
// bare net/http handler serving the same bytes, each loaded by 64 loopback
// clients, alternating so both see the same machine.
func throughput(b *testing.B, r *report) {
	const password = "perf-password"
	cfg := apptest.Config(b, store.SQLite)
	cfg.Password = secret.New(password)
	a := apptest.Open(b, store.SQLite, cfg, production)
	c, err := a.Credentials.Create(context.Background(), credential.Input{Name: "bench", Provider: "openai", APIKey: "sk-perf-throughput-0000"})
	if err != nil {
		b.Fatal(err)
	}
	srv := serve(b, a)
	path := "/api/credentials/" + c.ID
	body := fetch(b, srv.URL+path, password)
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	defer bare.Close()
	var bareN, apiN int64
	const rounds, each = 5, 2 * time.Second
	for range rounds {
		bareN += load(b, bare.URL+path, password, 64, each)
		apiN += load(b, srv.URL+path, password, 64, each)
	}
	secs := (rounds * each).Seconds()
	r.add("Authenticated GET /api/credentials/{id}, 64 loopback clients: API req/s, bare handler req/s, ratio", "sqlite",
		fmt.Sprintf("%.0f, %.0f, %.2f", float64(apiN)/secs, float64(bareN)/secs, float64(apiN)/float64(bareN)), "ratio ≥ 0.5")
}

func fetch(b *testing.B, url, password string) string {
	b.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if password != "" {
		req.Header.Set("Authorization", "Bearer "+password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		b.Fatalf("GET %s: %d %s", url, resp.StatusCode, raw)
	}
	return string(raw)
}

// load runs clients loops of GET url for d and returns the requests that
// succeeded; a failed one fails the benchmark.
func load(b *testing.B, url, password string, clients int, d time.Duration) int64 {
	b.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var n, failed atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest("GET", url, nil)
				if password != "" {
					req.Header.Set("Authorization", "Bearer "+password)
				}
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
					continue
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d requests to %s failed", f, url)
	}
	return n.Load()
}

// startup builds the binary and measures, with an encryption key set, the
// time from exec to a healthy server and to a ready key ring, on a fresh
// data directory and on one with data, and the resident memory idle and
// under load.
func startup(b *testing.B, r *report) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "open-notebook")
	build := exec.Command("go", "build", "-o", bin, "./cmd/open-notebook")
	build.Dir = moduleRoot(b)
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	var healthy, ready []time.Duration
	var idleRSS, loadRSS int64
	for i := range 6 {
		if i == 0 || i == 3 {
			os.RemoveAll(data) // rounds 0 and 3 start fresh; the others on existing data
		}
		addr := freeAddr(b)
		cmd := exec.Command(bin, "serve")
		cmd.Env = append(os.Environ(), "OPEN_NOTEBOOK_LISTEN="+addr, "OPEN_NOTEBOOK_DATA_DIR="+data,
			"OPEN_NOTEBOOK_ENCRYPTION_KEY=perf-encryption-key", "OPEN_NOTEBOOK_DATABASE_URL=")
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		base := "http://" + addr
		h := waitFor(b, base+"/health", start)
		// The status waits for the key ring: it answers once the key is
		// derived.
		k := waitFor(b, base+"/api/credentials/status", start)
		healthy, ready = append(healthy, h), append(ready, k)
		if i == 5 {
			time.Sleep(2 * time.Second)
			idleRSS = rss(b, cmd.Process.Pid, "VmRSS")
			load(b, base+"/api/notebooks", "", 64, 3*time.Second)
			loadRSS = rss(b, cmd.Process.Pid, "VmHWM")
		}
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
	r.add("Start-up with OPEN_NOTEBOOK_ENCRYPTION_KEY set: exec to healthy, exec to key ring ready (median of 6)", "sqlite",
		fmt.Sprintf("%s, %s", ms(median(healthy)), ms(median(ready))), "healthy < 300 ms")
	r.add("Resident memory: idle, peak under 64 clients for 3 s", "sqlite",
		fmt.Sprintf("%.0f MiB, %.0f MiB", float64(idleRSS)/1024, float64(loadRSS)/1024), "—")
}

func waitFor(b *testing.B, url string, start time.Time) time.Duration {
	b.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	for time.Since(start) < 30*time.Second {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return time.Since(start)
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	b.Fatalf("%s never answered 200", url)
	return 0
}

// rss reads a memory figure (kB) of a process from /proc.
func rss(b *testing.B, pid int, field string) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

func freeAddr(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func moduleRoot(b *testing.B) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		b.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// vectorSearch measures the index that vector search uses: 10,000 and
// 100,000 chunks of 768 dimensions around 200 topics, searched across
// everything and within one notebook (a tenth of the owners), against an
// exact float64 scan for recall.
func vectorSearch(b *testing.B, r *report) {
	const dims, queries = 768, 40
	for _, n := range []int{10_000, 100_000} {
		rng := rand.New(rand.NewPCG(uint64(n), 7))
		centers := make([][]float32, 200)
		for i := range centers {
			centers[i] = randomUnit(rng, dims, nil, 0)
		}
		owners := make([]string, n)
		vecs := make([][]float32, n)
		changes := make([]vector.Change, n)
		var notebook []string
		for i := range n {
			owners[i] = fmt.Sprintf("source:%d", i)
			vecs[i] = randomUnit(rng, dims, centers[rng.IntN(len(centers))], 0.6)
			changes[i] = vector.Change{Owner: owners[i], Kind: "source", Chunks: []vector.Chunk{{Model: "embed", Vector: vecs[i]}}}
			if rng.IntN(10) == 0 {
				notebook = append(notebook, owners[i])
			}
		}
		before := heap()
		ix := vector.New(nil, vector.Options{})
		if err := ix.Apply(changes...); err != nil {
			b.Fatal(err)
		}
		used := heap() - before
		var all, inNotebook []time.Duration
		var recall float64
		for q := range queries {
			qv := randomUnit(rng, dims, centers[rng.IntN(len(centers))], 0.6)
			q64 := make([]float64, dims)
			for i, x := range qv {
				q64[i] = float64(x)
			}
			start := time.Now()
			hits, err := ix.Search(context.Background(), vector.Query{Model: "embed", Vector: q64, Limit: 10})
			if err != nil {
				b.Fatal(err)
			}
			all = append(all, time.Since(start))
			start = time.Now()
			if _, err := ix.Search(context.Background(), vector.Query{Model: "embed", Vector: q64, Limit: 10, Owners: notebook}); err != nil {
				b.Fatal(err)
			}
			inNotebook = append(inNotebook, time.Since(start))
			if q < 10 { // the exact scan is slow; ten queries measure recall
				recall += overlap(hits, exactTop(q64, owners, vecs, 10)) / 10
			}
		}
		r.add(fmt.Sprintf("Vector search, %d chunks × %d dims: p50 all, p50 in one notebook, recall@10, index memory", n, dims), "in memory (both engines)",
			fmt.Sprintf("%s, %s, %.3f, %.0f MiB", ms(median(all)), ms(median(inNotebook)), recall, float64(used)/(1<<20)), "p50 < 50 ms, recall ≥ 0.95")
	}
}

func randomUnit(rng *rand.Rand, dims int, center []float32, spread float64) []float32 {
	v := make([]float32, dims)
	var norm float64
	for i := range v {
		x := rng.NormFloat64()
		if center != nil {
			x = float64(center[i])*math.Sqrt(float64(dims)) + spread*x
		}
		v[i] = float32(x)
		norm += x * x
	}
	norm = math.Sqrt(norm)
	for i := range v {
		v[i] = float32(float64(v[i]) / norm)
	}
	return v
}

func exactTop(q []float64, owners []string, vecs [][]float32, k int) []string {
	type scored struct {
		owner string
		score float64
	}
	all := make([]scored, len(vecs))
	for i, v := range vecs {
		var dot, nv, nq float64
		for j, x := range v {
			dot += q[j] * float64(x)
			nv += float64(x) * float64(x)
			nq += q[j] * q[j]
		}
		all[i] = scored{owners[i], dot / math.Sqrt(nv*nq)}
	}
	slices.SortFunc(all, func(a, b scored) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.owner, b.owner)
	})
	out := make([]string, k)
	for i := range out {
		out[i] = all[i].owner
	}
	return out
}

func overlap(hits []vector.Hit, want []string) float64 {
	n := 0
	for _, h := range hits {
		if slices.Contains(want, h.Owner) {
			n++
		}
	}
	return float64(n) / float64(len(want))
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// providerSync syncs the models of all 22 providers, each behind a fake
// that answers after 300 ms, except one that never answers.
func providerSync(b *testing.B, r *report) {
	const discovery = 5 * time.Second
	a := apptest.Open(b, store.SQLite, nil, app.Options{AITimeouts: ai.Timeouts{Discovery: discovery}})
	ups := map[string]*providertest.Upstream{}
	const hung = "mistral"
	for _, spec := range provider.Providers() {
		up, ok := ups[spec.Family]
		if !ok {
			up = providertest.NewUpstream(b, spec.Family, providertest.WithDelay(300*time.Millisecond))
			ups[spec.Family] = up
		}
		failure := ""
		if spec.Name == hung {
			failure = providertest.FailSlow
		}
		in := credential.Input{Name: spec.Name, Provider: spec.Name, APIKey: providertest.GoodKey, Settings: provider.Settings{BaseURL: up.BaseURL(failure)}}
		if spec.Name == "vertex" {
			in.Project, in.Location = "perf", "us-central1"
			in.CredentialsPath = up.ServiceAccountFile(b, providertest.GoodAccount)
		}
		if _, err := a.Credentials.Create(context.Background(), in); err != nil {
			b.Fatalf("%s: %v", spec.Name, err)
		}
	}
	start := time.Now()
	rep, err := a.AI.SyncAll(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	ok := 0
	for _, res := range rep.Results {
		if res.Status == ai.SyncOK {
			ok++
		}
	}
	r.add(fmt.Sprintf("Sync of all %d providers, fakes answering after 300 ms, one never answering (discovery timeout %s)", len(rep.Results), discovery), "sqlite",
		fmt.Sprintf("%s, %d synced, %d failed", ms(took), ok, len(rep.Results)-ok), "bounded by the timeout, not the sum")
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

func cpuModel() string {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return ""
}
