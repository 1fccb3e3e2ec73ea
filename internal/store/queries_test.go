package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/credential"
	"github.com/open-notebook/open-notebook/internal/model"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// seed adds credentials numbered from..to-1, each with perCred models.
func seed(t *testing.T, db *store.DB, from, to, perCred int) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	for i := from; i < to; i++ {
		r := &credential.Record{ID: fmt.Sprintf("credential:c%05d", i), Name: "c", Provider: "openai",
			Modalities: []string{"language"}, APIKey: "onb1:x:y", Created: now, Updated: now}
		if err := db.CreateCredential(ctx, r); err != nil {
			t.Fatal(err)
		}
		for j := range perCred {
			m := &model.Model{ID: fmt.Sprintf("model:m%05d-%02d", i, j), Name: fmt.Sprintf("m%05d-%02d", i, j),
				Provider: "openai", Type: "language", CredentialID: r.ID, Created: now, Updated: now}
			if err := db.CreateModel(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestListingCostsAConstantNumberOfQueries is the no-N+1 bar: listing
// credentials with their model counts, and the per-provider status, cost
// the same number of statements for 10 credentials as for 1,000 with
// 10,000 models.
func TestListingCostsAConstantNumberOfQueries(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 11,000 rows")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		measure := func() (list, counts int64) {
			before := db.Statements()
			rs, err := db.ListCredentials(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			list = db.Statements() - before
			total := 0
			for _, r := range rs {
				total += r.ModelCount
			}
			before = db.Statements()
			if _, err := db.CredentialCounts(ctx); err != nil {
				t.Fatal(err)
			}
			return list, db.Statements() - before
		}
		seed(t, db, 0, 10, 10)
		smallList, smallCounts := measure()
		seed(t, db, 10, 1000, 10)
		bigList, bigCounts := measure()
		rs, _ := db.ListCredentials(ctx, "")
		models := 0
		for _, r := range rs {
			models += r.ModelCount
		}
		if len(rs) != 1000 || models != 10000 {
			t.Fatalf("seeded %d credentials with %d models", len(rs), models)
		}
		if smallList != 1 || bigList != 1 || smallCounts != 1 || bigCounts != 1 {
			t.Fatalf("statements: list %d then %d, status %d then %d; want 1 each", smallList, bigList, smallCounts, bigCounts)
		}
	})
}
