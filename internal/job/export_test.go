package job

import (
	"context"
	"encoding/json"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// InsertStuck stores a job as a process that died while running it leaves
// it: running since attemptedAt, by a worker that no longer exists.
func InsertStuck(ctx context.Context, q *Queue, args Args, attemptedAt time.Time) (string, error) {
	enc, err := json.Marshal(args)
	if err != nil {
		return "", err
	}
	row, err := q.client.Driver().GetExecutor().JobInsertFull(ctx, &riverdriver.JobInsertFullParams{
		Attempt: 1, AttemptedAt: &attemptedAt, AttemptedBy: []string{"a-process-that-died"},
		CreatedAt: &attemptedAt, ScheduledAt: &attemptedAt, EncodedArgs: enc, Kind: args.Kind(),
		MaxAttempts: 3, Metadata: []byte(`{}`), Priority: 1, Queue: river.QueueDefault, State: rivertype.JobStateRunning,
	})
	if err != nil {
		return "", err
	}
	return idOf(row.ID), nil
}
