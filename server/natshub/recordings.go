//go:build !wasm

package natshub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/loopswithfriends/loops/server"
	"github.com/loopswithfriends/loops/shared"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// RecordingsConfig configures a RecordingStore.
type RecordingsConfig struct {
	// Conn is the NATS connection; the store does not close it.
	Conn *nats.Conn
	// Prefix starts the bucket's name, as the Hub's ["loops"].
	Prefix string
	// Replicas is how many copies JetStream keeps [1].
	Replicas int
	// Keep is how long a recording is kept: the bucket's TTL [30 days].
	Keep time.Duration
	// MaxBytes bounds the bucket; past it the oldest recordings are
	// dropped [1 GiB].
	MaxBytes int64
}

// RecordingStore keeps recordings in a JetStream KV bucket, where every
// node reads them: a server.RecordingStore. The bucket's TTL drops a
// recording Keep after it was saved, and its size limit the oldest first.
type RecordingStore struct {
	kv     jetstream.KeyValue
	nc     *nats.Conn
	bucket string
}

var _ server.RecordingStore = (*RecordingStore)(nil)

// NewRecordingStore opens the recordings bucket, creating it when it is
// missing, and retrying until ctx is done while JetStream is not ready.
func NewRecordingStore(ctx context.Context, cfg RecordingsConfig) (*RecordingStore, error) {
	if cfg.Conn == nil {
		return nil, errors.New("natshub: no NATS connection")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "loops"
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 30 * 24 * time.Hour
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 1 << 30
	}
	js, err := jetstream.New(cfg.Conn)
	if err != nil {
		return nil, fmt.Errorf("natshub: jetstream: %w", err)
	}
	bucket := cfg.Prefix + "-recordings"
	kv, err := createBucket(ctx, js, jetstream.KeyValueConfig{
		Bucket: bucket, History: 1, TTL: cfg.Keep, MaxBytes: cfg.MaxBytes,
		Replicas: max(1, cfg.Replicas), Storage: jetstream.FileStorage, Compression: true,
	})
	if err != nil {
		return nil, err
	}
	// A KV bucket refuses writes once full; recordings drop the oldest
	// instead.
	for {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = discardOld(actx, js, "KV_"+bucket)
		cancel()
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("natshub: bucket %s: %w", bucket, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
	return &RecordingStore{kv: kv, nc: cfg.Conn, bucket: bucket}, nil
}

func discardOld(ctx context.Context, js jetstream.JetStream, stream string) error {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return err
	}
	cfg := s.CachedInfo().Config
	if cfg.Discard == jetstream.DiscardOld {
		return nil
	}
	cfg.Discard = jetstream.DiscardOld
	_, err = js.UpdateStream(ctx, cfg)
	return err
}

// Put saves rec under rec.ID.
func (s *RecordingStore) Put(ctx context.Context, rec *shared.Recording) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("natshub: recording %s: %w", rec.ID, err)
	}
	if _, err := s.kv.Put(ctx, rec.ID, b); err != nil {
		return fmt.Errorf("natshub: save recording %s: %w", rec.ID, err)
	}
	return nil
}

// Get returns the recording saved under id.
func (s *RecordingStore) Get(ctx context.Context, id string) (*shared.Recording, error) {
	var data []byte
	e, err := s.kv.Get(ctx, id)
	switch {
	case err == nil:
		data = e.Value()
	case errors.Is(err, jetstream.ErrKeyNotFound):
		// Its link goes round the jam as soon as it is saved: a replica
		// may not have it yet (leader.go).
		if data, err = s.leaderGet(ctx, id); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("natshub: read recording %s: %w", id, err)
	}
	rec := new(shared.Recording)
	if err := json.Unmarshal(data, rec); err != nil {
		return nil, fmt.Errorf("natshub: recording %s: %w", id, err)
	}
	return rec, nil
}

// leaderGet reads the recording saved under id from the bucket stream's
// leader (leader.go).
func (s *RecordingStore) leaderGet(ctx context.Context, id string) ([]byte, error) {
	data, _, err := leaderGet(ctx, s.nc, s.bucket, id)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return nil, shared.ErrRecordingNotFound
	case err != nil:
		return nil, fmt.Errorf("natshub: recording %s: %w", id, err)
	}
	return data, nil
}
