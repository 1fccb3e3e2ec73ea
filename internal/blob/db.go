package blob

import (
	"context"
	"errors"
	"io"
	"time"
)

// Backend is the database side of DB (the store package implements it).
type Backend interface {
	PutBlob(ctx context.Context, path string, r io.Reader) (int64, error)
	BlobInfo(ctx context.Context, path string) (int64, time.Time, error)
	BlobChunk(ctx context.Context, path string, n int) ([]byte, error)
	DeleteBlobs(ctx context.Context, paths ...string) error
	DeleteBlobDir(ctx context.Context, dir string) error
}

// DB keeps files in the database under a prefix (e.g. "uploads/"), in
// chunks of chunkSize bytes.
type DB struct {
	b         Backend
	prefix    string
	chunkSize int64
}

// NewDB returns the files under prefix in the database; chunkSize is the
// backend's chunk length.
func NewDB(b Backend, prefix string, chunkSize int) *DB {
	return &DB{b: b, prefix: prefix, chunkSize: int64(chunkSize)}
}

// Local implements Store: these files are not on the local file system.
func (d *DB) Local() string { return "" }

func (d *DB) key(p string) (string, error) {
	c, ok := Clean(p)
	if !ok {
		return "", invalid(p)
	}
	return d.prefix + c, nil
}

// Put implements Store.
func (d *DB) Put(ctx context.Context, p string, r io.Reader) error {
	k, err := d.key(p)
	if err != nil {
		return err
	}
	_, err = d.b.PutBlob(ctx, k, r)
	return err
}

// Open implements Store.
func (d *DB) Open(ctx context.Context, p string) (File, error) {
	k, err := d.key(p)
	if err != nil {
		return nil, err
	}
	size, mod, err := d.b.BlobInfo(ctx, k)
	if err != nil {
		return nil, err
	}
	// Reads outlive the call that opened the file (a response streams it),
	// but not its values.
	return &dbFile{ctx: context.WithoutCancel(ctx), d: d, key: k, size: size, mod: mod, cached: -1}, nil
}

// Remove implements Store.
func (d *DB) Remove(ctx context.Context, paths ...string) error {
	keys := make([]string, 0, len(paths))
	for _, p := range paths {
		if k, err := d.key(p); err == nil {
			keys = append(keys, k)
		}
	}
	return d.b.DeleteBlobs(ctx, keys...)
}

// RemoveDir implements Store.
func (d *DB) RemoveDir(ctx context.Context, dir string) error {
	k, err := d.key(dir)
	if err != nil {
		return err
	}
	return d.b.DeleteBlobDir(ctx, k+"/")
}

// dbFile reads a stored file chunk by chunk, keeping the last chunk read.
type dbFile struct {
	ctx    context.Context
	d      *DB
	key    string
	size   int64
	mod    time.Time
	off    int64
	cached int
	chunk  []byte
}

func (f *dbFile) Size() int64        { return f.size }
func (f *dbFile) ModTime() time.Time { return f.mod }
func (f *dbFile) Close() error       { f.chunk = nil; return nil }

func (f *dbFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("blob: negative offset")
	}
	n := 0
	for n < len(p) {
		at := off + int64(n)
		if at >= f.size {
			return n, io.EOF
		}
		i := int(at / f.d.chunkSize)
		if i != f.cached {
			data, err := f.d.b.BlobChunk(f.ctx, f.key, i)
			if err != nil {
				return n, err
			}
			f.chunk, f.cached = data, i
		}
		start := at - int64(i)*f.d.chunkSize
		if start >= int64(len(f.chunk)) {
			return n, io.ErrUnexpectedEOF // the stored chunks are shorter than the size says
		}
		n += copy(p[n:], f.chunk[start:])
	}
	return n, nil
}

func (f *dbFile) Read(p []byte) (int, error) {
	n, err := f.ReadAt(p, f.off)
	f.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (f *dbFile) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.off
	case io.SeekEnd:
		offset += f.size
	default:
		return 0, errors.New("blob: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("blob: negative position")
	}
	f.off = offset
	return offset, nil
}
