//go:build !wasm

package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/loopswithfriends/loops/shared"
)

// RecordingStore keeps recordings by id. Each implementation lives in a
// package named after what it depends on (server/boltstore: a bbolt file);
// it decides how long it keeps them and how much room they take, and Get
// returns shared.ErrRecordingNotFound for an id it does not hold. The
// server calls it from many goroutines at once.
type RecordingStore interface {
	// Put saves rec under rec.ID.
	Put(ctx context.Context, rec *shared.Recording) error
	// Get returns the recording saved under id.
	Get(ctx context.Context, id string) (*shared.Recording, error)
}

// storeTimeout bounds one store call made for a client.
const storeTimeout = 5 * time.Second

// record saves the last r.Bars bars of the user's jam, as snapshot takes
// them at now, and has announce tell every member: the checks, the rate
// limit and the store are the same on one node and in a cluster.
func (c *conn) record(r *shared.Record, at time.Time, snapshot func(now float64) (*shared.Recording, error), announce func(*shared.Recording)) {
	if e := shared.CheckRecord(r); e != nil {
		c.sendError(e, at)
		return
	}
	if !c.records.allow(at.Sub(c.born)) {
		c.sendError(shared.Errorf(shared.CodeRateLimited, "more than %d recordings in %v", c.s.cfg.RecordRate, c.s.cfg.RecordWindow), at)
		return
	}
	now := c.s.nowMs()
	rec, err := snapshot(now)
	if err != nil {
		c.sendErr(err, at)
		return
	}
	rec.ID, rec.Created = newRecordingID(), now
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := c.s.cfg.Recordings.Put(ctx, rec); err != nil {
		c.s.log.Error("save recording", "err", err)
		c.sendError(shared.StoreFailed(), at)
		return
	}
	c.s.metrics.recordings.Inc()
	announce(rec)
}

// newRecordingID returns a fresh random recording id.
func newRecordingID() string {
	b := make([]byte, shared.RecordingIDBytes)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// serveRecording serves GET /api/recordings/{id}.
func (s *Server) serveRecording(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !shared.ValidRecordingID(id) {
		http.NotFound(w, r)
		return
	}
	rec, err := s.cfg.Recordings.Get(r.Context(), id)
	if errors.Is(err, shared.ErrRecordingNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.log.Error("read recording", "err", err)
		http.Error(w, "the recording cannot be read now", http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, rec)
}

// memoryStore keeps recordings in memory, for as long as the process runs:
// the store of a server given none (tests, tools).
type memoryStore struct {
	mu   sync.Mutex
	recs map[string]shared.Recording
}

var _ RecordingStore = (*memoryStore)(nil)

func newMemoryStore() *memoryStore { return &memoryStore{recs: make(map[string]shared.Recording)} }

// Put saves a copy of rec.
func (s *memoryStore) Put(_ context.Context, rec *shared.Recording) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := *rec
	cp.Parts = append([]shared.Part(nil), rec.Parts...)
	s.recs[rec.ID] = cp
	return nil
}

// Get returns a copy of the recording.
func (s *memoryStore) Get(_ context.Context, id string) (*shared.Recording, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.recs[id]
	if !ok {
		return nil, shared.ErrRecordingNotFound
	}
	rec.Parts = append([]shared.Part(nil), rec.Parts...)
	return &rec, nil
}
