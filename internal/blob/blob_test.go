package blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"testing"

	"github.com/open-notebook/open-notebook/internal/blob"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// stores runs fn against a directory and against the database of every
// engine, with small chunks so that reads cross chunk boundaries.
func stores(t *testing.T, fn func(t *testing.T, s blob.Store)) {
	t.Run("dir", func(t *testing.T) { fn(t, blob.NewDir(t.TempDir())) })
	storetest.Each(t, func(t *testing.T, db *store.DB) { fn(t, blob.NewDB(chunked{db}, "uploads/", 7)) })
}

// chunked stores chunks of 7 bytes, as NewDB is told.
type chunked struct{ *store.DB }

func (c chunked) PutBlob(ctx context.Context, path string, r io.Reader) (int64, error) {
	return c.DB.PutBlobChunks(ctx, path, r, 7)
}

func TestStoresKeepFilesWholeAndReadAnyRange(t *testing.T) {
	ctx := context.Background()
	stores(t, func(t *testing.T, s blob.Store) {
		data := make([]byte, 100)
		for i := range data {
			data[i] = byte(rand.IntN(256))
		}
		if err := s.Put(ctx, "a/b/file.bin", bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		f, err := s.Open(ctx, "a/b/file.bin")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if f.Size() != 100 || f.ModTime().IsZero() {
			t.Fatalf("size %d, modified %v", f.Size(), f.ModTime())
		}
		all, err := io.ReadAll(f)
		if err != nil || !bytes.Equal(all, data) {
			t.Fatalf("read %d bytes, %v", len(all), err)
		}
		buf := make([]byte, 20)
		if n, err := f.ReadAt(buf, 45); n != 20 || err != nil || !bytes.Equal(buf, data[45:65]) {
			t.Fatalf("ReadAt: %d %v", n, err)
		}
		if n, err := f.ReadAt(buf, 90); n != 10 || err != io.EOF || !bytes.Equal(buf[:10], data[90:]) {
			t.Fatalf("ReadAt at the end: %d %v", n, err)
		}
		if pos, err := f.Seek(-5, io.SeekEnd); pos != 95 || err != nil {
			t.Fatalf("Seek: %d %v", pos, err)
		}
		if rest, _ := io.ReadAll(f); !bytes.Equal(rest, data[95:]) {
			t.Fatalf("after Seek: %v", rest)
		}

		t.Run("a second put replaces the file", func(t *testing.T) {
			if err := s.Put(ctx, "a/b/file.bin", bytes.NewReader([]byte("short"))); err != nil {
				t.Fatal(err)
			}
			f, err := s.Open(ctx, "a/b/file.bin")
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := io.ReadAll(f); string(got) != "short" || f.Size() != 5 {
				t.Fatalf("%q", got)
			}
			f.Close()
		})
		t.Run("paths outside the store are refused", func(t *testing.T) {
			for _, p := range []string{"../x", "/etc/passwd", "..", "."} {
				if err := s.Put(ctx, p, bytes.NewReader(nil)); err == nil {
					t.Errorf("put %q", p)
				}
				if _, err := s.Open(ctx, p); err == nil {
					t.Errorf("open %q", p)
				}
			}
		})
		t.Run("remove and remove a folder", func(t *testing.T) {
			s.Put(ctx, "a/c/one", bytes.NewReader([]byte("1")))
			s.Put(ctx, "a/c/two", bytes.NewReader([]byte("2")))
			if err := s.Remove(ctx, "a/b/file.bin", "missing"); err != nil {
				t.Fatal(err)
			}
			if ok, _ := blob.Exists(ctx, s, "a/b/file.bin"); ok {
				t.Fatal("a removed file is still there")
			}
			if err := s.RemoveDir(ctx, "a/c"); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"a/c/one", "a/c/two"} {
				if _, err := s.Open(ctx, p); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("%s after RemoveDir: %v", p, err)
				}
			}
		})
	})
}
