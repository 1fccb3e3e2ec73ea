package notebook

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/open-notebook/open-notebook/internal/apperr"
)

// Files keeps the files behind sources: uploads today, generated audio
// later. Paths are relative and slash-separated; an implementation never
// lets one reach outside its own space.
type Files interface {
	// Create stores r as dir/name and returns its path. dir is created and
	// must not exist yet.
	Create(dir, name string, r io.Reader) (string, error)
	// Open opens a stored file.
	Open(path string) (*os.File, error)
	// Remove deletes files and then their directories, if left empty.
	Remove(paths ...string)
	// Root is where relative paths given by users (file_path) are resolved.
	Root() string
}

// Dir keeps files in a directory of the local file system (the data
// directory's uploads/ by default). Every access goes through os.Root, so
// no path, symbolic links included, escapes the directory.
type Dir struct {
	path string
	once sync.Once
	err  error
}

// NewDir returns the files under path, created on first use.
func NewDir(path string) *Dir { return &Dir{path: path} }

// Root implements Files.
func (d *Dir) Root() string { return d.path }

func (d *Dir) open() (*os.Root, error) {
	d.once.Do(func() { d.err = os.MkdirAll(d.path, 0o700) })
	if d.err != nil {
		return nil, d.err
	}
	return os.OpenRoot(d.path)
}

// Create implements Files. A failed copy leaves nothing behind.
func (d *Dir) Create(dir, name string, r io.Reader) (string, error) {
	root, err := d.open()
	if err != nil {
		return "", err
	}
	defer root.Close()
	if err := root.Mkdir(dir, 0o700); err != nil {
		return "", err
	}
	rel := filepath.Join(dir, name)
	f, err := root.OpenFile(rel, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		_ = root.Remove(dir)
		return "", err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = root.Remove(rel)
		_ = root.Remove(dir)
		return "", err
	}
	return rel, nil
}

var errFileNotFound = apperr.New(apperr.NotFound, "File not found on server")

// Open implements Files. A directory is not a file.
func (d *Dir) Open(path string) (*os.File, error) {
	if path == "" {
		return nil, errFileNotFound
	}
	root, err := d.open()
	if err != nil {
		return nil, errFileNotFound
	}
	defer root.Close()
	f, err := root.Open(path)
	if err != nil {
		return nil, errFileNotFound
	}
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		f.Close()
		return nil, errFileNotFound
	}
	return f, nil
}

// Remove implements Files.
func (d *Dir) Remove(paths ...string) {
	root, err := d.open()
	if err != nil {
		return
	}
	defer root.Close()
	for _, p := range paths {
		if p == "" {
			continue
		}
		_ = root.Remove(p)
		if dir := filepath.Dir(p); dir != "." {
			_ = root.Remove(dir) // only succeeds when empty
		}
	}
}

// relative turns a user's file_path (absolute inside the root, or
// relative to it) into a path relative to the root.
func relative(root, p string) string {
	return filepath.Clean(strings.TrimPrefix(p, root+string(filepath.Separator)))
}
