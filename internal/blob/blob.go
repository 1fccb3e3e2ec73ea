// Package blob keeps the files the product stores, uploads and generated
// audio: in a directory of the local file system on one machine, or in the
// database when replicas share PostgreSQL, so that every replica reads the
// same bytes.
//
// Paths are relative and slash-separated. A store never lets one reach
// outside its own space.
package blob

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// File is a stored file opened for reading: sequentially, at any offset
// (ranges of audio, zip containers) or by seeking.
type File interface {
	io.Reader
	io.ReaderAt
	io.Seeker
	io.Closer
	Size() int64
	ModTime() time.Time
}

// Store keeps files.
type Store interface {
	// Put stores r at path whole or not at all, replacing what was there.
	Put(ctx context.Context, path string, r io.Reader) error
	// Open opens a stored file; a missing one is an error wrapping
	// fs.ErrNotExist.
	Open(ctx context.Context, path string) (File, error)
	// Remove deletes files; missing ones are no error.
	Remove(ctx context.Context, paths ...string) error
	// RemoveDir deletes every file under dir.
	RemoveDir(ctx context.Context, dir string) error
	// Local is the directory the files are in, or "" when they are not on
	// the local file system.
	Local() string
}

// Exists reports whether path is stored.
func Exists(ctx context.Context, s Store, path string) (bool, error) {
	f, err := s.Open(ctx, path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, f.Close()
}

// Clean checks a relative path and returns it cleaned; ok is false for an
// absolute path or one that leaves the store.
func Clean(p string) (string, bool) {
	p = path.Clean(strings.ReplaceAll(p, "\\", "/"))
	if p == "." || p == ".." || strings.HasPrefix(p, "../") || strings.HasPrefix(p, "/") || strings.ContainsRune(p, 0) {
		return "", false
	}
	return p, true
}

func invalid(p string) error { return &fs.PathError{Op: "open", Path: p, Err: fs.ErrInvalid} }

// Dir keeps files in a directory. Every access goes through os.Root, so no
// path, symbolic links included, escapes it.
type Dir struct{ path string }

// NewDir returns the files under dir, which is created on first write.
func NewDir(dir string) *Dir { return &Dir{path: dir} }

// Local implements Store.
func (d *Dir) Local() string { return d.path }

func (d *Dir) root(create bool) (*os.Root, error) {
	if create {
		if err := os.MkdirAll(d.path, 0o700); err != nil {
			return nil, err
		}
	}
	return os.OpenRoot(d.path)
}

// Put implements Store, through a temporary file renamed into place.
func (d *Dir) Put(_ context.Context, p string, r io.Reader) error {
	p, ok := Clean(p)
	if !ok {
		return invalid(p)
	}
	root, err := d.root(true)
	if err != nil {
		return err
	}
	defer root.Close()
	if dir := path.Dir(p); dir != "." {
		if err := root.MkdirAll(filepath.FromSlash(dir), 0o700); err != nil {
			return err
		}
	}
	// A failed write leaves no folder it made behind.
	removeEmpty := func() {
		for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
			if root.Remove(filepath.FromSlash(dir)) != nil {
				break
			}
		}
	}
	tmp := filepath.FromSlash(path.Join(path.Dir(p), "."+path.Base(p)+".part"))
	f, err := root.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		removeEmpty()
		return err
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, filepath.FromSlash(p))
	}
	if err != nil {
		_ = root.Remove(tmp)
		removeEmpty()
	}
	return err
}

// Open implements Store.
func (d *Dir) Open(_ context.Context, p string) (File, error) {
	p, ok := Clean(p)
	if !ok {
		return nil, invalid(p)
	}
	root, err := d.root(false)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(p))
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		}
		return nil, err
	}
	return &localFile{File: f, info: info}, nil
}

type localFile struct {
	*os.File
	info fs.FileInfo
}

func (f *localFile) Size() int64        { return f.info.Size() }
func (f *localFile) ModTime() time.Time { return f.info.ModTime() }

// Remove implements Store, and removes folders left empty.
func (d *Dir) Remove(_ context.Context, paths ...string) error {
	root, err := d.root(false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer root.Close()
	for _, p := range paths {
		p, ok := Clean(p)
		if !ok {
			continue
		}
		if err := root.Remove(filepath.FromSlash(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
			if root.Remove(filepath.FromSlash(dir)) != nil {
				break // not empty
			}
		}
	}
	return nil
}

// RemoveDir implements Store.
func (d *Dir) RemoveDir(_ context.Context, dir string) error {
	dir, ok := Clean(dir)
	if !ok {
		return invalid(dir)
	}
	root, err := d.root(false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer root.Close()
	return root.RemoveAll(filepath.FromSlash(dir))
}

// Layered writes to one store and reads from it or, for files it does not
// have, from an older one: files written to the data directory before the
// database kept them stay readable, and removable.
type Layered struct {
	Primary, Fallback Store
}

// Local implements Store: paths users name are resolved in the fallback
// directory.
func (l Layered) Local() string { return l.Fallback.Local() }

// Put implements Store.
func (l Layered) Put(ctx context.Context, p string, r io.Reader) error {
	return l.Primary.Put(ctx, p, r)
}

// Open implements Store.
func (l Layered) Open(ctx context.Context, p string) (File, error) {
	f, err := l.Primary.Open(ctx, p)
	if errors.Is(err, fs.ErrNotExist) {
		return l.Fallback.Open(ctx, p)
	}
	return f, err
}

// Remove implements Store.
func (l Layered) Remove(ctx context.Context, paths ...string) error {
	return errors.Join(l.Primary.Remove(ctx, paths...), l.Fallback.Remove(ctx, paths...))
}

// RemoveDir implements Store.
func (l Layered) RemoveDir(ctx context.Context, dir string) error {
	return errors.Join(l.Primary.RemoveDir(ctx, dir), l.Fallback.RemoveDir(ctx, dir))
}
