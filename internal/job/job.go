// Package job runs the application's background work (processing sources,
// transformations, embeddings, podcasts) on River, in the application's
// own database: PostgreSQL, where every replica shares the queue and River
// makes sure no two run the same job at once, or the embedded SQLite
// database, where the queue shares the store's single writer connection.
//
// A job is inserted in the transaction of the change it serves (the
// store's transaction carried in the context), so it exists exactly when
// that change does. Job arguments are ids, never secrets. Each kind has
// its own retry policy; a job that was running when its process died is
// run again after RescueAfter.
package job

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/open-notebook/open-notebook/internal/apperr"
)

// Args are a job's arguments: a JSON-encodable struct of ids whose Kind
// names the job.
type Args interface {
	Kind() string
}

// Policy is how a kind of job is retried and bounded.
type Policy struct {
	// MaxAttempts counts the first run; 1 means never retried.
	MaxAttempts int
	// Backoff is the wait before the retry that follows attempt n (1-based):
	// it doubles from Base, up to Max.
	Base, Max time.Duration
	// Timeout bounds one attempt.
	Timeout time.Duration
}

// rescueAfter is how long an attempt of this kind may stay running before
// it is taken to have died with its process and runs again: its timeout
// and a tenth more, so a live attempt has ended (its context cancelled at
// the timeout) well before anyone starts it twice.
func (p Policy) rescueAfter() time.Duration { return p.Timeout + p.Timeout/10 + time.Second }

func (p Policy) backoff(attempt int) time.Duration {
	d := p.Base
	for i := 1; i < attempt && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// Reporter is how a running job reports: its progress while it works, and
// its result.
type Reporter interface {
	// Progress says how far the job is: a stage and, when countable, how
	// many of its steps are done.
	Progress(stage string, done, total int)
	// Result records what the job produced, shown with its status.
	Result(v any)
	// ID is the job's id ("command:...").
	ID() string
	// Attempt is the number of the current attempt, from 1, and Final
	// reports whether no retry follows a failure of this one.
	Attempt() int
	Final() bool
}

// Permanent marks an error no retry can fix (the source was deleted, the
// input is unusable): the job ends failed at once.
func Permanent(err error) error { return river.JobCancel(err) }

// Registry collects the kinds of job this process can run, before the
// queue is built.
type Registry struct {
	workers  *river.Workers
	policies map[string]Policy
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{workers: river.NewWorkers(), policies: map[string]Policy{}}
}

// shortestRescue is the rescue wait of the kind with the shortest one.
func (r *Registry) shortestRescue() time.Duration {
	var d time.Duration
	for _, p := range r.policies {
		if d == 0 || p.rescueAfter() < d {
			d = p.rescueAfter()
		}
	}
	return d
}

// Register declares a kind of job: its policy and the function that runs
// it.
func Register[T Args](r *Registry, policy Policy, run func(ctx context.Context, args T, rep Reporter) error) {
	var zero T
	r.policies[zero.Kind()] = policy
	river.AddWorker(r.workers, &worker[T]{policy: policy, run: run})
}

type worker[T Args] struct {
	river.WorkerDefaults[T]
	policy Policy
	run    func(ctx context.Context, args T, rep Reporter) error
}

func (w *worker[T]) Work(ctx context.Context, j *river.Job[T]) error {
	ctx, cancel := context.WithTimeout(ctx, w.policy.Timeout)
	defer cancel()
	rep := &report{job: j.JobRow, client: river.ClientFromContext[*sql.Tx](ctx), ctx: ctx}
	return w.run(ctx, j.Args, rep)
}

func (w *worker[T]) NextRetry(j *river.Job[T]) time.Time {
	return time.Now().Add(w.policy.backoff(j.Attempt))
}

// Timeout is what the queue knows of the kind's time: Work enforces the
// policy's timeout itself, and the queue's rescuer leaves a running attempt
// alone until this longer time has passed, so each kind is rescued after
// its own timeout rather than after the longest of all kinds.
func (w *worker[T]) Timeout(*river.Job[T]) time.Duration { return w.policy.rescueAfter() }

// output is what a job records on its row: progress while it runs, the
// result when it is done.
type output struct {
	Progress *Progress       `json:"progress,omitempty"`
	Result   json.RawMessage `json:"result,omitempty"`
}

// Progress is a running job's last report.
type Progress struct {
	Stage   string  `json:"stage"`
	Done    int     `json:"done"`
	Total   int     `json:"total"`
	Percent float64 `json:"percent"`
}

type report struct {
	ctx    context.Context
	job    *rivertype.JobRow
	client *river.Client[*sql.Tx]
	out    output
}

func (r *report) Progress(stage string, done, total int) {
	p := &Progress{Stage: stage, Done: done, Total: total}
	if total > 0 {
		p.Percent = float64(int(float64(done)/float64(total)*1000)) / 10
	}
	r.out.Progress = p
	r.record(true)
}

func (r *report) Result(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	r.out.Result = b
	r.record(false)
}

// record stores the output: at once for progress (someone is watching),
// with the job's completion for the result.
func (r *report) record(now bool) {
	if err := river.RecordOutput(r.ctx, r.out); err != nil || !now {
		return
	}
	_, _ = r.client.JobUpdate(r.ctx, r.job.ID, &river.JobUpdateParams{})
}

func (r *report) ID() string   { return idOf(r.job.ID) }
func (r *report) Attempt() int { return r.job.Attempt }
func (r *report) Final() bool  { return r.job.Attempt >= r.job.MaxAttempts }

// Options configure a Queue.
type Options struct {
	// Workers is how many jobs this process runs at once; 0 makes it an
	// API-only replica that inserts jobs and leaves them to others.
	Workers int
	// RescueAfter is the least time a job stays running before it is taken
	// to have died with its process and runs again; each kind waits at
	// least its timeout and a tenth more in any case. 0: the shortest
	// kind's.
	RescueAfter time.Duration
	// PollInterval is how often an idle worker looks for new jobs.
	PollInterval time.Duration
	Logger       *slog.Logger
}

// Queue inserts, runs and reports jobs.
type Queue struct {
	client   *river.Client[*sql.Tx]
	policies map[string]Policy
	txOf     func(ctx context.Context) *sql.Tx
	working  bool
}

// New builds the queue over db: the store's write pool, sqlite tells which
// engine it is, and txOf finds the store transaction of a context.
func New(db *sql.DB, sqlite bool, txOf func(ctx context.Context) *sql.Tx, reg *Registry, o Options) (*Queue, error) {
	var driver riverdriver.Driver[*sql.Tx]
	if sqlite {
		driver = riversqlite.New(db)
	} else {
		driver = riverdatabasesql.New(db)
	}
	cfg := &river.Config{
		Logger:               o.Logger,
		RescueStuckJobsAfter: cmp.Or(o.RescueAfter, reg.shortestRescue()),
		// Every kind sets its own timeout (Policy.Timeout); none is
		// assumed for the client as a whole.
		JobTimeout:        -1,
		FetchPollInterval: o.PollInterval,
		FetchCooldown:     min(o.PollInterval, 50*time.Millisecond),
		PollOnly:          true,
		// Finished jobs are kept a week: their status is what the
		// commands API and a source's history show.
		CompletedJobRetentionPeriod: 7 * 24 * time.Hour,
		CancelledJobRetentionPeriod: 7 * 24 * time.Hour,
		DiscardedJobRetentionPeriod: 7 * 24 * time.Hour,
	}
	if o.Workers > 0 {
		cfg.Workers = reg.workers
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: o.Workers}}
	}
	client, err := river.NewClient(driver, cfg)
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return &Queue{client: client, policies: reg.policies, txOf: txOf, working: o.Workers > 0}, nil
}

// Start starts the workers (nothing for an API-only replica).
func (q *Queue) Start(ctx context.Context) error {
	if !q.working {
		return nil
	}
	return q.client.Start(ctx)
}

// Stop lets running jobs finish until ctx ends, then cancels them: a
// cancelled job is retried by the next process that runs workers.
func (q *Queue) Stop(ctx context.Context) error {
	if !q.working {
		return nil
	}
	err := q.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		hard, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return q.client.StopAndCancel(hard)
	}
	return err
}

// Enqueue inserts a job, in the context's store transaction when there is
// one, and returns its id.
func (q *Queue) Enqueue(ctx context.Context, args Args) (string, error) {
	p, ok := q.policies[args.Kind()]
	if !ok {
		return "", fmt.Errorf("job kind %q is not registered", args.Kind())
	}
	opts := &river.InsertOpts{MaxAttempts: p.MaxAttempts}
	var (
		res *rivertype.JobInsertResult
		err error
	)
	if tx := q.txOf(ctx); tx != nil {
		res, err = q.client.InsertTx(ctx, tx, args, opts)
	} else {
		res, err = q.client.Insert(ctx, args, opts)
	}
	if err != nil {
		return "", fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return idOf(res.Job.ID), nil
}

// idPrefix makes job ids look like the original's command ids.
const idPrefix = "command:"

func idOf(id int64) string { return idPrefix + strconv.FormatInt(id, 10) }

var errNotFound = apperr.New(apperr.NotFound, "Job not found")

func parseID(id string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(id, idPrefix), 10, 64)
	if err != nil || n <= 0 {
		return 0, errNotFound
	}
	return n, nil
}

// Status is a job as the commands API shows it.
type Status struct {
	ID          string
	Kind        string
	State       string // new, queued, running, completed, failed or canceled
	Args        json.RawMessage
	Result      json.RawMessage // null until the job recorded one
	Progress    *Progress
	Error       string // the last attempt's error, if it failed
	Attempt     int
	MaxAttempts int
	Created     time.Time
	Updated     time.Time // when it last changed state
	Started     *time.Time
	Finished    *time.Time
}

// Finished reports whether the job will not run again.
func (s Status) Done() bool {
	return s.State == "completed" || s.State == "failed" || s.State == "canceled"
}

func status(j *rivertype.JobRow) Status {
	s := Status{ID: idOf(j.ID), Kind: j.Kind, Args: j.EncodedArgs, Attempt: j.Attempt, MaxAttempts: j.MaxAttempts,
		Created: j.CreatedAt, Updated: j.CreatedAt, Started: j.AttemptedAt, Finished: j.FinalizedAt}
	if j.AttemptedAt != nil {
		s.Updated = *j.AttemptedAt
	}
	if j.FinalizedAt != nil {
		s.Updated = *j.FinalizedAt
	}
	var meta struct {
		Output            output     `json:"output"`
		CancelAttemptedAt *time.Time `json:"cancel_attempted_at"`
	}
	if json.Unmarshal(j.Metadata, &meta) == nil {
		s.Progress, s.Result = meta.Output.Progress, meta.Output.Result
	}
	if n := len(j.Errors); n > 0 {
		// A permanent failure is recorded by the queue as its cancel
		// error; users see the job's own reason.
		s.Error = strings.TrimPrefix(j.Errors[n-1].Error, "JobCancelError: ")
	}
	switch j.State {
	case rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStatePending:
		s.State = "new"
		if j.Attempt > 0 {
			s.State = "queued"
		}
	case rivertype.JobStateRetryable:
		s.State = "queued"
	case rivertype.JobStateRunning:
		s.State = "running"
	case rivertype.JobStateCompleted:
		s.State, s.Error = "completed", ""
	case rivertype.JobStateDiscarded:
		s.State = "failed"
	case rivertype.JobStateCancelled:
		// Permanent failures cancel their job with the reason; a cancel
		// asked for through the API is marked in the metadata.
		s.State = "failed"
		if meta.CancelAttemptedAt != nil {
			s.State = "canceled"
		}
	default:
		s.State = string(j.State)
	}
	return s
}

// Get returns a job's status.
func (q *Queue) Get(ctx context.Context, id string) (Status, error) {
	n, err := parseID(id)
	if err != nil {
		return Status{}, err
	}
	j, err := q.client.JobGet(ctx, n)
	if errors.Is(err, rivertype.ErrNotFound) {
		return Status{}, errNotFound
	}
	if err != nil {
		return Status{}, err
	}
	return status(j), nil
}

// GetMany returns the status of each of the jobs ids that exists, by id,
// in one query per thousand.
func (q *Queue) GetMany(ctx context.Context, ids []string) (map[string]Status, error) {
	out := map[string]Status{}
	var ns []int64
	for _, id := range ids {
		if n, err := parseID(id); err == nil {
			ns = append(ns, n)
		}
	}
	for len(ns) > 0 {
		batch := ns[:min(len(ns), 1000)]
		ns = ns[len(batch):]
		res, err := q.client.JobList(ctx, river.NewJobListParams().IDs(batch...).First(len(batch)))
		if err != nil {
			return nil, err
		}
		for _, j := range res.Jobs {
			out[idOf(j.ID)] = status(j)
		}
	}
	return out, nil
}

// Filter selects jobs to list.
type Filter struct {
	Kind  string // "" for every kind
	State string // one of Status.State's values, "" for all
	Limit int
}

// stateOf maps a status filter to River's states.
var stateOf = map[string][]rivertype.JobState{
	"new":       {rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStatePending},
	"queued":    {rivertype.JobStateRetryable, rivertype.JobStateAvailable, rivertype.JobStateScheduled},
	"running":   {rivertype.JobStateRunning},
	"completed": {rivertype.JobStateCompleted},
	"failed":    {rivertype.JobStateDiscarded, rivertype.JobStateCancelled},
	"canceled":  {rivertype.JobStateCancelled},
}

// List returns jobs, newest first.
func (q *Queue) List(ctx context.Context, f Filter) ([]Status, error) {
	params := river.NewJobListParams().OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(max(1, min(f.Limit, 1000)))
	if f.Kind != "" {
		params = params.Kinds(f.Kind)
	}
	if f.State != "" {
		states, ok := stateOf[f.State]
		if !ok {
			return nil, apperr.Newf(apperr.Invalid, "Unknown status %q: use new, queued, running, completed, failed or canceled", f.State)
		}
		params = params.States(states...)
	}
	res, err := q.client.JobList(ctx, params)
	if err != nil {
		return nil, err
	}
	out := []Status{}
	for _, j := range res.Jobs {
		if s := status(j); f.State == "" || s.State == f.State {
			out = append(out, s)
		}
	}
	return out, nil
}

// Cancel stops a job: one that has not started never will, a running one
// has its context cancelled. A finished job is left as it is.
func (q *Queue) Cancel(ctx context.Context, id string) (Status, error) {
	n, err := parseID(id)
	if err != nil {
		return Status{}, err
	}
	j, err := q.client.JobCancel(ctx, n)
	if errors.Is(err, rivertype.ErrNotFound) {
		return Status{}, errNotFound
	}
	if err != nil {
		return Status{}, err
	}
	return status(j), nil
}

// Retry runs a failed or cancelled job again, from its first attempt's
// count.
func (q *Queue) Retry(ctx context.Context, id string) (Status, error) {
	n, err := parseID(id)
	if err != nil {
		return Status{}, err
	}
	j, err := q.client.JobRetry(ctx, n)
	if errors.Is(err, rivertype.ErrNotFound) {
		return Status{}, errNotFound
	}
	if err != nil {
		return Status{}, err
	}
	return status(j), nil
}

// Wait polls a job until it is done or ctx ends, and returns its last
// status.
func (q *Queue) Wait(ctx context.Context, id string) (Status, error) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		s, err := q.Get(ctx, id)
		if err != nil || s.Done() {
			return s, err
		}
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-t.C:
		}
	}
}

// Kinds lists the registered kinds.
func (q *Queue) Kinds() []string {
	var out []string
	for k := range q.policies {
		out = append(out, k)
	}
	return out
}
