package vector

import (
	"context"
	"fmt"
)

// Batch is a Source's answer to one call.
type Batch struct {
	// Changes are in increasing Seq order.
	Changes []Change
	// Purged is the highest seq of a tombstone the Source has forgotten
	// (0 when it has forgotten none). An index that has applied less than
	// Purged may have missed a removal and loads everything again.
	Purged int64
}

// Source reports a database's embedded chunks as changes ordered by a
// sequence number. The contract, which a SQL implementation must keep:
//
//  1. Every write of an owner's chunks takes a new sequence number,
//     positive and unique, carried by every chunk row it writes; so does
//     the removal of an owner's chunks, which leaves a tombstone (the
//     owner and that number). Numbers become visible in increasing order:
//     once Changes has returned seq s, no change below s may appear later.
//     Taking the number from a counter row that the writing transaction
//     updates (its lock is held until commit) gives this on PostgreSQL;
//     SQLite's single writer gives it anyway.
//  2. Changes(ctx, after, limit) returns the current state of every owner
//     whose latest seq is above after, tombstones included, in increasing
//     seq order, each state whole in one Change: all of a live owner's
//     chunks (of any model), or no chunks for a tombstone. States an owner
//     has since left need not be returned. It stops once the chunks
//     returned reach limit, finishing the change in progress, and returns
//     at least one change when there is any; no changes means there is
//     nothing after after.
//  3. Tombstones may be purged once they are older than any reload takes
//     (a day, say); Batch.Purged then reports the highest purged seq.
//
// The index asks for changes above the highest seq it applied and ignores
// a change whose seq is not above its owner's, so a change delivered twice
// is applied once. A response out of order, or with a seq at or below
// after, breaks the contract: the sync fails and applies nothing of that
// response. When the index has applied less than Batch.Purged it reloads:
// it pages through every change from seq 0, keeps the owners it already
// holds at the same seq without rebuilding them, and then drops the
// owners the Source did not report; searches go on during the reload, and
// a reload during which Purged moved starts over.
type Source interface {
	Changes(ctx context.Context, after int64, limit int) (Batch, error)
}

// Sync applies the Source's changes since the last sync, loading everything
// the first time. A search syncs by itself (see Options.Interval); call
// Sync after a write for the next search to see it.
func (ix *Index) Sync(ctx context.Context) error {
	if ix.src == nil {
		return nil
	}
	ix.syncMu.Lock()
	defer ix.syncMu.Unlock()
	return ix.syncLocked(ctx)
}

// Refresh applies the Source's changes once the index has loaded, and
// does nothing before: a writer (a job worker, say) keeps the index it
// shares with searches current without being the one to load every vector,
// and a process that never searches never holds them.
func (ix *Index) Refresh(ctx context.Context) error {
	if !ix.loaded.Load() {
		return nil
	}
	return ix.Sync(ctx)
}

// maybeSync syncs before a search when one is due. A search that finds a
// sync running goes on with the state it has, except before the first load.
func (ix *Index) maybeSync(ctx context.Context) error {
	if ix.src == nil {
		return nil
	}
	if !ix.loaded.Load() {
		return ix.Sync(ctx)
	}
	if ix.opts.Now().UnixNano()-ix.lastSync.Load() < int64(ix.opts.Interval) {
		return nil
	}
	if !ix.syncMu.TryLock() {
		return nil
	}
	defer ix.syncMu.Unlock()
	return ix.syncLocked(ctx)
}

// maxReloads bounds how often one sync starts a reload over because the
// Source purged tombstones meanwhile.
const maxReloads = 3

func (ix *Index) syncLocked(ctx context.Context) error {
	if !ix.loaded.Load() {
		return ix.reload(ctx)
	}
	ix.mu.RLock()
	after := ix.st.applied
	ix.mu.RUnlock()
	for {
		b, err := ix.src.Changes(ctx, after, ix.opts.Batch)
		if err != nil {
			return fmt.Errorf("vector: reading changes after %d: %w", after, err)
		}
		if after < b.Purged {
			return ix.reload(ctx)
		}
		if len(b.Changes) == 0 {
			break
		}
		if after, err = ix.applyBatch(b.Changes, after, nil); err != nil {
			return err
		}
	}
	ix.lastSync.Store(ix.opts.Now().UnixNano())
	return nil
}

// reload pages through everything the Source holds and then drops the
// owners it did not report.
func (ix *Index) reload(ctx context.Context) error {
	for range maxReloads {
		done, err := ix.reloadOnce(ctx)
		if err != nil || done {
			return err
		}
	}
	return fmt.Errorf("vector: the source purged tombstones during %d reloads in a row", maxReloads)
}

func (ix *Index) reloadOnce(ctx context.Context) (bool, error) {
	seen := map[string]bool{}
	var after int64
	purged := int64(-1)
	for {
		b, err := ix.src.Changes(ctx, after, ix.opts.Batch)
		if err != nil {
			return false, fmt.Errorf("vector: loading changes after %d: %w", after, err)
		}
		if purged >= 0 && b.Purged != purged {
			// A tombstone made during this reload may be gone.
			return false, nil
		}
		purged = b.Purged
		if len(b.Changes) == 0 {
			break
		}
		if after, err = ix.applyBatch(b.Changes, after, seen); err != nil {
			return false, err
		}
	}
	ix.mu.Lock()
	for id := range ix.st.owners {
		if !seen[id] {
			ix.st.apply(id, 0, nil)
		}
	}
	// Nothing at or below the purge mark is left to deliver: live rows
	// were all read, and the tombstones are gone.
	ix.st.applied = max(after, purged)
	ix.mu.Unlock()
	ix.loaded.Store(true)
	ix.lastSync.Store(ix.opts.Now().UnixNano())
	return true, nil
}

// applyBatch checks a response, builds its owners outside the lock and
// applies them, returning the new sync position. Chunks the index cannot
// use are dropped and counted rather than failing the sync, so that one
// bad row cannot stop every replica from following the database.
func (ix *Index) applyBatch(changes []Change, after int64, seen map[string]bool) (int64, error) {
	prev := after
	for _, c := range changes {
		if c.Seq <= prev {
			return after, fmt.Errorf("vector: the source broke the change order: seq %d after %d (asked for changes after %d)", c.Seq, prev, after)
		}
		prev = c.Seq
	}
	// Owners already at a change's seq (a reload meets every owner again)
	// are not rebuilt.
	current := make([]bool, len(changes))
	ix.mu.RLock()
	for i, c := range changes {
		if o := ix.st.owners[c.Owner]; o != nil && o.seq >= c.Seq {
			current[i] = true
		}
	}
	ix.mu.RUnlock()
	built := make([]*owner, len(changes))
	live := make([]bool, len(changes))
	var dropped int64
	for i, c := range changes {
		if c.Owner == "" {
			dropped += int64(max(len(c.Chunks), 1))
			continue
		}
		kept := c.Chunks[:0:0]
		for _, ch := range c.Chunks {
			if checkChunk(ch) != nil {
				dropped++
				continue
			}
			kept = append(kept, ch)
		}
		live[i] = len(kept) > 0
		if !current[i] {
			c.Chunks = kept
			built[i] = buildOwner(c)
		}
	}
	ix.dropped.Add(dropped)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for i, c := range changes {
		if c.Owner == "" {
			continue
		}
		if seen != nil {
			seen[c.Owner] = live[i] || current[i]
		}
		if !current[i] {
			ix.st.apply(c.Owner, c.Seq, built[i])
		}
	}
	ix.st.applied = max(ix.st.applied, prev)
	return prev, nil
}
