//go:build !wasm

// Package boltstore keeps the server's recordings in a bbolt file: one
// embedded database in the server's data directory, that outlives restarts.
// It implements server.RecordingStore.
//
// Recordings expire Keep after they were made, and when their total size
// passes MaxBytes the oldest go first. Both are enforced on every Put and by
// Sweep; Get never returns an expired recording, swept or not.
package boltstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/loopswithfriends/loops/shared"
)

// FileName is the database's file in the data directory.
const FileName = "recordings.db"

// The defaults of Options.
const (
	DefaultKeep     = 30 * 24 * time.Hour
	DefaultMaxBytes = 1 << 30
)

// Buckets: the recordings by id (their JSON); an index by creation time
// (8 bytes of microseconds since the Unix epoch, big-endian, then the id)
// whose values are the recordings' sizes; and the store's total size.
var (
	bucketRecordings = []byte("recordings")
	bucketByTime     = []byte("by_time")
	bucketMeta       = []byte("meta")
	keyBytes         = []byte("bytes")
)

// Options tunes a Store.
type Options struct {
	// Keep is how long a recording is kept; 0 means DefaultKeep.
	Keep time.Duration
	// MaxBytes bounds the total size of the recordings (their JSON); past
	// it the oldest are dropped. 0 means DefaultMaxBytes.
	MaxBytes int64
	// Now is the clock expiry is read from; nil means time.Now.
	Now func() time.Time
	// OpenTimeout bounds the wait for the file's lock, which another
	// process may hold; 0 means 2 seconds.
	OpenTimeout time.Duration
	// ReadOnly opens an existing store only to read it (a tool's); Put
	// and Sweep then fail.
	ReadOnly bool
}

// Store is the bbolt store of recordings. It is safe for concurrent use.
type Store struct {
	db   *bbolt.DB
	opts Options
}

// Open opens (or creates) the store in dir, creating dir if it is missing.
func Open(dir string, opts Options) (*Store, error) {
	if opts.Keep <= 0 {
		opts.Keep = DefaultKeep
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.OpenTimeout <= 0 {
		opts.OpenTimeout = 2 * time.Second
	}
	path := filepath.Join(dir, FileName)
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("recordings store: %w", err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("recordings store: %w", err)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: opts.OpenTimeout, ReadOnly: opts.ReadOnly})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("recordings store %s: locked by another process (is another server using this -data directory?)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("recordings store %s: %w", path, err)
	}
	if opts.ReadOnly {
		return &Store{db: db, opts: opts}, nil
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bucketRecordings, bucketByTime, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("recordings store %s: %w", path, err)
	}
	s := &Store{db: db, opts: opts}
	if err := s.Sweep(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database file.
func (s *Store) Close() error { return s.db.Close() }

// Put saves rec under rec.ID, then drops what expired and, past MaxBytes,
// the oldest recordings (never rec itself).
func (s *Store) Put(ctx context.Context, rec *shared.Recording) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("recordings store: put %s: %w", rec.ID, err)
	}
	key := timeKey(rec.Created, rec.ID)
	err = s.db.Update(func(tx *bbolt.Tx) error {
		recs, byTime := tx.Bucket(bucketRecordings), tx.Bucket(bucketByTime)
		total := s.total(tx)
		if old := recs.Get([]byte(rec.ID)); old != nil {
			return fmt.Errorf("id %s is taken", rec.ID)
		}
		if err := recs.Put([]byte(rec.ID), data); err != nil {
			return err
		}
		var size [8]byte
		binary.BigEndian.PutUint64(size[:], uint64(len(data)))
		if err := byTime.Put(key, size[:]); err != nil {
			return err
		}
		return s.sweep(tx, total+int64(len(data)), key)
	})
	if err != nil {
		return fmt.Errorf("recordings store: put %s: %w", rec.ID, err)
	}
	return nil
}

// Get returns the recording saved under id, or shared.ErrRecordingNotFound
// when there is none or it expired.
func (s *Store) Get(ctx context.Context, id string) (*shared.Recording, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var rec shared.Recording
	found := false
	err := s.db.View(func(tx *bbolt.Tx) error {
		data := tx.Bucket(bucketRecordings).Get([]byte(id))
		if data == nil {
			return nil
		}
		found = true
		return json.Unmarshal(data, &rec) // data is valid only in the transaction
	})
	if err != nil {
		return nil, fmt.Errorf("recordings store: get %s: %w", id, err)
	}
	if !found || s.expired(rec.Created) {
		return nil, shared.ErrRecordingNotFound
	}
	return &rec, nil
}

// Sweep drops the recordings that expired and, past MaxBytes, the oldest.
func (s *Store) Sweep() error {
	err := s.db.Update(func(tx *bbolt.Tx) error { return s.sweep(tx, s.total(tx), nil) })
	if err != nil {
		return fmt.Errorf("recordings store: sweep: %w", err)
	}
	return nil
}

// Size returns how many recordings the store holds and their total size.
func (s *Store) Size() (count int, bytes int64) {
	_ = s.db.View(func(tx *bbolt.Tx) error {
		count = tx.Bucket(bucketRecordings).Stats().KeyN
		bytes = s.total(tx)
		return nil
	})
	return count, bytes
}

// sweep deletes from the oldest on while they expired or the store holds
// more than MaxBytes, sparing the recording under keep, and records the new
// total.
func (s *Store) sweep(tx *bbolt.Tx, total int64, keep []byte) error {
	recs, byTime := tx.Bucket(bucketRecordings), tx.Bucket(bucketByTime)
	cutoff := timeKey(float64(s.opts.Now().Add(-s.opts.Keep).UnixMicro())/1000, "")
	c := byTime.Cursor()
	for k, v := c.First(); k != nil; k, v = c.First() {
		if string(k) == string(keep) || (string(k) >= string(cutoff) && total <= s.opts.MaxBytes) {
			break
		}
		if err := recs.Delete(k[8:]); err != nil {
			return err
		}
		if err := c.Delete(); err != nil {
			return err
		}
		total -= int64(binary.BigEndian.Uint64(v))
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(max(total, 0)))
	return tx.Bucket(bucketMeta).Put(keyBytes, b[:])
}

func (s *Store) total(tx *bbolt.Tx) int64 {
	b := tx.Bucket(bucketMeta).Get(keyBytes)
	if len(b) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

func (s *Store) expired(createdMs float64) bool {
	return createdMs*1000 < float64(s.opts.Now().Add(-s.opts.Keep).UnixMicro())
}

// timeKey is the index key of a recording made at createdMs with id.
func timeKey(createdMs float64, id string) []byte {
	k := make([]byte, 8, 8+len(id))
	binary.BigEndian.PutUint64(k, uint64(max(createdMs*1000, 0)))
	return append(k, id...)
}
