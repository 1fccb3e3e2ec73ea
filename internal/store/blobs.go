package store

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"io/fs"
	"time"
)

// BlobChunkSize is the most bytes one row of a stored file holds.
const BlobChunkSize = 1 << 20

// PutBlob stores r as the file at path, replacing what was there, in one
// transaction: readers see the old file or the new one, never a mix.
func (db *DB) PutBlob(ctx context.Context, path string, r io.Reader) (int64, error) {
	return db.PutBlobChunks(ctx, path, r, BlobChunkSize)
}

// PutBlobChunks is PutBlob with chunks of chunkSize bytes (tests use small
// ones to cross chunk boundaries).
func (db *DB) PutBlobChunks(ctx context.Context, path string, r io.Reader, chunkSize int) (int64, error) {
	var size int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		size = 0
		if _, err := tx.ExecContext(ctx, `DELETE FROM blobs WHERE path = $1`, path); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO blobs (path, size, modified) VALUES ($1, 0, $2)`, path, time.Now().UnixMicro()); err != nil {
			return err
		}
		buf := make([]byte, chunkSize)
		for n := 0; ; n++ {
			k, err := io.ReadFull(r, buf)
			if k > 0 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO blob_chunks (path, n, data) VALUES ($1, $2, $3)`, path, n, buf[:k]); err != nil {
					return err
				}
				size += int64(k)
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			if err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE blobs SET size = $1 WHERE path = $2`, size, path)
		return err
	})
	return size, err
}

// BlobInfo returns a stored file's size and modification time, or an
// error wrapping fs.ErrNotExist.
func (db *DB) BlobInfo(ctx context.Context, path string) (size int64, modified time.Time, err error) {
	var micros int64
	err = db.r(ctx).QueryRowContext(ctx, `SELECT size, modified FROM blobs WHERE path = $1`, path).Scan(&size, &micros)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	}
	return size, time.UnixMicro(micros).UTC(), err
}

// BlobChunk returns chunk n of a stored file.
func (db *DB) BlobChunk(ctx context.Context, path string, n int) ([]byte, error) {
	var data []byte
	err := db.r(ctx).QueryRowContext(ctx, `SELECT data FROM blob_chunks WHERE path = $1 AND n = $2`, path, n).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fs.ErrNotExist}
	}
	return data, err
}

// DeleteBlobs removes stored files; missing ones are no error.
func (db *DB) DeleteBlobs(ctx context.Context, paths ...string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, p := range paths {
			if _, err := tx.ExecContext(ctx, `DELETE FROM blobs WHERE path = $1`, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteBlobDir removes every stored file under dir (a path prefix ending
// in "/").
func (db *DB) DeleteBlobDir(ctx context.Context, dir string) error {
	_, err := db.w(ctx).ExecContext(ctx, `DELETE FROM blobs WHERE substr(path, 1, length($1)) = $1`, dir)
	return err
}
