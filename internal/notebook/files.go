package notebook

import (
	"context"
	"io"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/blob"
)

// Files keeps the files behind sources. Paths are relative and
// slash-separated; an implementation never lets one reach outside its own
// space.
type Files interface {
	// Create stores r as dir/name and returns its path.
	Create(dir, name string, r io.Reader) (string, error)
	// Open opens a stored file.
	Open(path string) (blob.File, error)
	// Remove deletes files and then their folders, if left empty.
	Remove(paths ...string)
	// Root is where relative paths given by users (file_path) are
	// resolved on the local file system, or "" when files are not there.
	Root() string
}

// StoredFiles keeps source files in a blob store: a directory on one
// machine, the database when replicas share PostgreSQL.
type StoredFiles struct{ store blob.Store }

// NewFiles returns source files kept in store.
func NewFiles(store blob.Store) *StoredFiles { return &StoredFiles{store: store} }

// NewDir returns source files kept in a directory of the local file
// system, created on first use.
func NewDir(dir string) *StoredFiles { return NewFiles(blob.NewDir(dir)) }

// fileTimeout bounds one file operation of a request or a job.
const fileTimeout = 5 * time.Minute

// Root implements Files.
func (f *StoredFiles) Root() string { return f.store.Local() }

// Create implements Files. A failed copy leaves nothing behind.
func (f *StoredFiles) Create(dir, name string, r io.Reader) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	rel := path.Join(dir, name)
	if err := f.store.Put(ctx, rel, r); err != nil {
		return "", err
	}
	return rel, nil
}

var errFileNotFound = apperr.New(apperr.NotFound, "File not found on server")

// Open implements Files.
func (f *StoredFiles) Open(p string) (blob.File, error) {
	if p == "" {
		return nil, errFileNotFound
	}
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	file, err := f.store.Open(ctx, filepath.ToSlash(p))
	if err != nil {
		return nil, errFileNotFound
	}
	return file, nil
}

// Remove implements Files; what cannot be removed stays, unreferenced.
func (f *StoredFiles) Remove(paths ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	var keep []string
	for _, p := range paths {
		if p != "" {
			keep = append(keep, filepath.ToSlash(p))
		}
	}
	_ = f.store.Remove(ctx, keep...)
}

// relative turns a user's file_path (absolute inside the root, or
// relative to it) into a path relative to the root.
func relative(root, p string) string {
	if root == "" {
		return path.Clean(p)
	}
	return filepath.Clean(strings.TrimPrefix(p, root+string(filepath.Separator)))
}
