// Package app builds the application: the database, the key ring, the
// outbound guard and every domain service, wired once. The server, every
// CLI command and the tests all start from Open, so no entry point can
// forget a piece (the audit log, say) or wire it differently.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/open-notebook/open-notebook/internal/ai"
	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/auth"
	"github.com/open-notebook/open-notebook/internal/blob"
	"github.com/open-notebook/open-notebook/internal/config"
	"github.com/open-notebook/open-notebook/internal/credential"
	"github.com/open-notebook/open-notebook/internal/crypto/keyring"
	"github.com/open-notebook/open-notebook/internal/job"
	"github.com/open-notebook/open-notebook/internal/model"
	"github.com/open-notebook/open-notebook/internal/netguard"
	"github.com/open-notebook/open-notebook/internal/notebook"
	"github.com/open-notebook/open-notebook/internal/podcast"
	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/factory"
	"github.com/open-notebook/open-notebook/internal/ratelimit"
	"github.com/open-notebook/open-notebook/internal/settings"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/vector"
)

// Options are what differs between a deployment and a test. The zero
// value is production.
type Options struct {
	// Env is the process environment, read for the providers configured
	// there (os.LookupEnv in production).
	Env config.Env
	// Logger receives the application's logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// KDF are the Argon2id costs of the key ring; zero values are the
	// defaults (tests make them cheap).
	KDF keyring.KDFParams
	// Resolver resolves provider host names for the egress guard; nil is
	// the system's resolver.
	Resolver netguard.Resolver
	// AITimeouts bound provider calls; zero values are the defaults.
	AITimeouts ai.Timeouts
	// JobPollInterval is how often idle workers look for jobs; zero is a
	// second. Tests make it short.
	JobPollInterval time.Duration
}

// App is the application, ready to serve.
type App struct {
	Config *config.Config
	Logger *slog.Logger
	DB     *store.DB
	Guard  *netguard.Guard
	Now    func() time.Time

	Audit       *audit.Log
	Auth        *auth.Service
	Failures    *ratelimit.Failures // failed-authentication lock-out
	APILimit    *ratelimit.Limiter  // per-client limit of every /api request; nil: none
	Costly      *ratelimit.Limiter  // per-client limit of provider tests, discovery and sync; nil: none
	Credentials *credential.Service
	Models      *model.Service
	AI          *ai.Service
	Settings    *settings.Service
	Notebooks   *notebook.Service
	Sources     *notebook.Sources
	Notes       *notebook.Notes
	Embeddings  *notebook.Embeddings
	Search      *notebook.Search
	// Vectors is the in-memory index of embedded chunks that vector search
	// ranks with.
	Vectors         *vector.Index
	Ask             *notebook.Asker
	Transformations *notebook.Transformations
	Insights        *notebook.Insights
	Chats           *notebook.Chats
	Profiles        *podcast.Profiles
	Podcasts        *podcast.Episodes
	// Jobs is the background queue; Start runs its workers.
	Jobs *job.Queue

	// loading is the background load of Vectors; Close stops it and waits
	// for it, so it never outlives the database.
	loading  sync.WaitGroup
	stopLoad context.CancelFunc
}

// Open opens the configured database (applying migrations) and builds the
// application on it. Close releases it.
func Open(ctx context.Context, cfg *config.Config, o Options) (*App, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.KDF == (keyring.KDFParams{}) {
		o.KDF = keyring.DefaultKDFParams()
	}
	policy, err := netguard.ParsePolicy(cfg.Egress)
	if err != nil {
		return nil, &config.Error{Var: "OPEN_NOTEBOOK_EGRESS", Msg: err.Error()}
	}
	password, err := auth.NewPassword(cfg.Password.Reveal(), o.Now)
	if err != nil {
		return nil, &config.Error{Var: "OPEN_NOTEBOOK_PASSWORD", Msg: err.Error()}
	}
	db, err := openStore(ctx, cfg, o.Logger)
	if err != nil {
		return nil, err
	}
	a, err := build(ctx, cfg, o, db, policy, password)
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return a, nil
}

// openStore opens the configured database, naming the variable at fault
// when it cannot.
func openStore(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*store.DB, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	db, err := store.Open(ctx, cfg.DatabaseURL.Reveal(), cfg.DataDir, logger)
	if err == nil {
		return db, nil
	}
	if !cfg.DatabaseURL.Empty() {
		return nil, &config.Error{Var: "OPEN_NOTEBOOK_DATABASE_URL", Msg: err.Error()}
	}
	return nil, &config.Error{Var: "OPEN_NOTEBOOK_DATA_DIR", Msg: err.Error()}
}

func build(ctx context.Context, cfg *config.Config, o Options, db *store.DB, policy netguard.Policy, password *auth.Password) (*App, error) {
	previous := make([]string, len(cfg.EncryptionKeyPrevious))
	for i, p := range cfg.EncryptionKeyPrevious {
		previous[i] = p.Reveal()
	}
	keySource, keyFile, err := resolveKey(ctx, cfg, db, o.Logger)
	if err != nil {
		return nil, err
	}
	// The keys are derived in the background: the server listens at once,
	// and only what needs a key waits for it.
	vault, err := credential.OpenVault(ctx, db, cfg.EncryptionKey.Reveal(), previous, o.KDF, func(v *credential.Vault, err error) {
		if err != nil {
			o.Logger.Error("deriving the encryption key failed: stored provider keys cannot be used", "error", err)
			return
		}
		// Deriving keys with Argon2id allocates 64 MiB each; give it back
		// now rather than carrying it while idle.
		debug.FreeOSMemory()
		if v.Configured() && !v.Matches() {
			o.Logger.Error("OPEN_NOTEBOOK_ENCRYPTION_KEY does not match the key that encrypted the stored credentials: " +
				"stored keys cannot be read and new keys are refused until the right key is configured " +
				"(or given in OPEN_NOTEBOOK_ENCRYPTION_KEY_PREVIOUS and rotated with 'open-notebook rotate-key')")
		}
	})
	if err != nil {
		return nil, fmt.Errorf("encryption key ring: %w", err)
	}
	vault.Describe(keySource, keyFile)

	now := o.Now
	env := provider.Env(o.Env)
	guard := netguard.New(netguard.Options{Policy: policy, Resolver: o.Resolver})
	log := audit.NewLog(db, now)
	failures := ratelimit.NewFailures(db, cfg.AuthFailureLimit.N, cfg.AuthFailureLimit.Per, now)
	credentials := credential.NewService(db, vault, guard, env, log, now)
	models := model.NewService(db, log, now)
	hc := guard.Client()
	// A streamed answer is bounded by its silences (the provider clients'
	// idle limit) and the client's presence, and as a whole by this.
	streamHC := guard.ClientWithTimeout(streamLimit)
	aiSvc := ai.New(ai.Deps{Credentials: credentials, Models: models, Store: db, Audit: log, Env: env, Now: now,
		Timeouts: o.AITimeouts, Logger: o.Logger,
		Clients:       func(c provider.Config) (provider.Client, error) { return factory.New(c, hc) },
		StreamClients: func(c provider.Config) (provider.Client, error) { return factory.New(c, streamHC) }})
	files := notebook.NewFiles(fileStore(db, filepath.Join(cfg.DataDir, "uploads"), "uploads/"))
	var queue *job.Queue // built below, once the services it runs exist
	jobs := lazyJobs{&queue}
	vectors := notebook.NewEmbeddings(db, aiSvc, db, jobs)
	vectors.SetChunking(notebook.Chunking{Size: cfg.ChunkSize, Overlap: cfg.ChunkOverlap, Min: cfg.MinChunkSize})
	// One index serves every search of this process; it loads in the
	// background (LoadVectors) or at the first search.
	index := vector.New(db, vector.Options{})
	vectors.SetIndex(index)
	search := notebook.NewSearch(db, vectors, index)
	settingsSvc := settings.NewService(db, log)
	notes := notebook.NewNotes(db, db, vectors, jobs, db, now)
	transformations := notebook.NewTransformations(notebook.TransformationsDeps{Store: db, Sources: db, Insights: db,
		Chat: aiSvc, Jobs: jobs, Tx: db, Vectors: vectors, Now: now})
	sources := notebook.NewSources(notebook.SourcesDeps{Store: db, Books: db, Fetch: guard, Files: files, Vectors: vectors,
		Jobs: jobs, Tx: db, Transformations: db, Now: now,
		EmbedOption: func(ctx context.Context) string {
			c, err := settingsSvc.Get(ctx)
			if err != nil || c.DefaultEmbeddingOption == nil {
				return "ask"
			}
			return *c.DefaultEmbeddingOption
		},
		LinkSettings: func(ctx context.Context) notebook.LinkSettings {
			c, err := settingsSvc.Get(ctx)
			if err != nil {
				c = settings.Defaults()
			}
			out := notebook.LinkSettings{Engine: notebook.EngineAuto, YouTubeLanguages: c.YoutubePreferredLanguages}
			if c.DefaultContentProcessingEngineURL != nil {
				out.Engine = *c.DefaultContentProcessingEngineURL
			}
			return out
		},
		Speech: aiSvc,
		LinkEngines: notebook.LinkEngines{FirecrawlKey: cfg.FirecrawlAPIKey, FirecrawlURL: cfg.FirecrawlAPIURL,
			JinaKey: cfg.JinaAPIKey, JinaURL: cfg.JinaAPIURL, YouTubeURL: cfg.YouTubeURL}})
	chats := notebook.NewChats(notebook.ChatsDeps{Store: db, Books: db, Sources: db, Insights: db, Notes: db,
		Model: aiSvc, Now: now})
	podcastModels := modelLookup{models}
	profiles := podcast.NewProfiles(db, podcastModels, now)
	podcasts := podcast.NewEpisodes(podcast.EpisodesDeps{Store: db, Profiles: profiles, Models: podcastModels, AI: aiSvc,
		Content: chats, Books: db, Jobs: podcastJobs{lazyJobs{&queue}}, Tx: db, Files: fileStore(db, filepath.Join(cfg.DataDir, "podcasts"), "podcasts/"), Now: now})
	queue, err = newQueue(cfg, o, db, sources, transformations, vectors, podcasts)
	if err != nil {
		return nil, err
	}
	return &App{
		Config: cfg, Logger: o.Logger, DB: db, Guard: guard, Now: now,
		Audit: log,
		Auth: auth.NewService(db, password, failures, log, auth.Options{
			SessionLifetime: cfg.SessionLifetime, SessionIdle: cfg.SessionIdleTimeout, Now: now}),
		Failures:        failures,
		APILimit:        ratelimit.NewLimiter(cfg.APIRateLimit.N, cfg.APIRateLimit.Per, now),
		Costly:          ratelimit.NewLimiter(cfg.CostlyRateLimit.N, cfg.CostlyRateLimit.Per, now),
		Credentials:     credentials,
		Models:          models,
		AI:              aiSvc,
		Settings:        settingsSvc,
		Notebooks:       notebook.NewService(db, files, now),
		Sources:         sources,
		Notes:           notes,
		Embeddings:      vectors,
		Search:          search,
		Vectors:         index,
		Ask:             notebook.NewAsker(search, vectors, aiSvc),
		Transformations: transformations,
		Insights:        notebook.NewInsights(db, db, db, notes, jobs),
		Chats:           chats,
		Profiles:        profiles,
		Podcasts:        podcasts,
		Jobs:            queue,
	}, nil
}

// streamLimit bounds one streamed chat answer as a whole.
const streamLimit = 30 * time.Minute

// lazyJobs lets the services, which the queue's workers run, enqueue jobs
// on the queue built after them.
type lazyJobs struct{ q **job.Queue }

func (l lazyJobs) Enqueue(ctx context.Context, args notebook.JobArgs) (string, error) {
	return (*l.q).Enqueue(ctx, args)
}

// podcastJobs tells the podcasts which state their jobs are in.
type podcastJobs struct{ lazyJobs }

func (p podcastJobs) States(ctx context.Context, ids []string) (map[string]podcast.JobState, error) {
	found, err := (*p.q).GetMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]podcast.JobState, len(found))
	for id, s := range found {
		out[id] = podcast.JobState{State: s.State, Error: s.Error}
	}
	return out, nil
}

func (p podcastJobs) Cancel(ctx context.Context, id string) error {
	_, err := (*p.q).Cancel(ctx, id)
	return err
}

// modelLookup finds the models podcast profiles name.
type modelLookup struct{ models *model.Service }

func (m modelLookup) Models(ctx context.Context, ids []string) (map[string]podcast.Model, error) {
	out := map[string]podcast.Model{}
	for _, id := range ids {
		if _, seen := out[id]; seen || id == "" {
			continue
		}
		found, err := m.models.Get(ctx, id)
		if apperr.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[id] = podcast.Model{ID: found.ID, Provider: found.Provider, Name: found.Name, Type: found.Type}
	}
	return out, nil
}

// Retry and time policies of each kind of job: extraction and embedding
// meet flaky networks and rate limits, so they are retried with growing
// waits; a rebuild walks everything once and reports what failed.
var (
	processPolicy   = job.Policy{MaxAttempts: 5, Base: 5 * time.Second, Max: 2 * time.Minute, Timeout: 10 * time.Minute}
	transformPolicy = job.Policy{MaxAttempts: 5, Base: 10 * time.Second, Max: 5 * time.Minute, Timeout: 10 * time.Minute}
	embedPolicy     = job.Policy{MaxAttempts: 5, Base: 5 * time.Second, Max: 2 * time.Minute, Timeout: 10 * time.Minute}
	rebuildPolicy   = job.Policy{MaxAttempts: 1, Timeout: time.Hour}
	// A podcast resumes where it stopped, so a retry after a provider's
	// hiccup costs only the call that failed.
	podcastPolicy = job.Policy{MaxAttempts: 3, Base: 15 * time.Second, Max: 2 * time.Minute, Timeout: time.Hour}
)

// newQueue registers every kind of job and builds the queue.
func newQueue(cfg *config.Config, o Options, db *store.DB, sources *notebook.Sources, tr *notebook.Transformations,
	vectors *notebook.Embeddings, podcasts *podcast.Episodes) (*job.Queue, error) {
	limit := func(p job.Policy) job.Policy {
		if cfg.JobTimeout > 0 {
			p.Timeout = cfg.JobTimeout
		}
		return p
	}
	reg := job.NewRegistry()
	job.Register(reg, limit(processPolicy), adapt(sources.Process))
	job.Register(reg, limit(transformPolicy), adapt(tr.Run))
	job.Register(reg, limit(embedPolicy), adapt(vectors.EmbedSourceJob))
	job.Register(reg, limit(embedPolicy), adapt(vectors.EmbedNoteJob))
	job.Register(reg, limit(embedPolicy), adapt(vectors.EmbedInsightJob))
	job.Register(reg, limit(rebuildPolicy), adapt(vectors.Rebuild))
	job.Register(reg, limit(podcastPolicy), adapt(podcasts.Run))
	poll := time.Second
	if o.JobPollInterval > 0 {
		poll = o.JobPollInterval
	}
	return job.New(db.WritePool(), db.Engine() == store.SQLite, db.TxOf, reg,
		job.Options{Workers: cfg.Workers, RescueAfter: cfg.JobRescueAfter, PollInterval: poll, Logger: o.Logger})
}

// adapt turns a service's job function into the queue's: the service
// speaks of its own Reporter and marks failures Permanent, the queue of
// job.Reporter and job.Permanent.
func adapt[T job.Args](run func(context.Context, T, notebook.Reporter) error) func(context.Context, T, job.Reporter) error {
	return func(ctx context.Context, args T, rep job.Reporter) error {
		err := run(ctx, args, rep)
		if notebook.IsPermanent(err) {
			return job.Permanent(err)
		}
		return err
	}
}

// Start runs the background workers (none on an API-only replica).
func (a *App) Start(ctx context.Context) error { return a.Jobs.Start(ctx) }

// LoadVectors loads the vector index from the database in the background,
// so start-up does not wait for it; a vector search that comes first waits
// for the load to finish. A load that fails is logged and tried again by
// the next search. Call it once; Close stops the load.
func (a *App) LoadVectors(ctx context.Context) {
	ctx, a.stopLoad = context.WithCancel(ctx)
	a.loading.Go(func() {
		start := time.Now()
		if err := a.Vectors.Sync(ctx); err != nil {
			if ctx.Err() == nil {
				a.Logger.Warn("loading the vector index", "error", err)
			}
			return
		}
		st := a.Vectors.Stats()
		a.Logger.Info("vector index loaded", "chunks", st.Chunks, "owners", st.Owners, "spaces", st.Spaces,
			"mb", st.Bytes>>20, "dropped", st.Dropped, "took", time.Since(start).Round(time.Millisecond).String())
	})
}

// HTTPClient is the egress-guarded client with a timeout, for the few
// outbound calls that are not a provider's (the version check).
func (a *App) HTTPClient(timeout time.Duration) *http.Client {
	return a.Guard.ClientWithTimeout(timeout)
}

// Close stops the workers, giving running jobs until ctx ends to finish
// (a job cut short runs again later), and closes the database.
func (a *App) Close() error {
	if a.stopLoad != nil {
		a.stopLoad()
	}
	a.loading.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return errors.Join(a.Jobs.Stop(ctx), a.DB.Close())
}

// fileStore is where files of one kind (uploads, podcasts) are kept: the
// data directory on the embedded database, and the database itself on
// PostgreSQL so that every replica reads them, with what an earlier version
// left in the data directory still readable.
func fileStore(db *store.DB, dir, prefix string) blob.Store {
	local := blob.NewDir(dir)
	if db.Engine() == store.SQLite {
		return local
	}
	return blob.Layered{Primary: blob.NewDB(db, prefix, store.BlobChunkSize), Fallback: local}
}
