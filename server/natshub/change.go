//go:build !wasm

package natshub

import (
	"errors"
	"fmt"
	"time"

	"github.com/loopswithfriends/loops/server"
	"github.com/nats-io/nats.go/jetstream"
)

// errNoChange is what a change function returns when there is nothing to
// write: change returns it as is.
var errNoChange = errors.New("no change")

// maxAttempts bounds the compare-and-sets of one change: each failure means
// another node's change came first, and a jam has at most a few members
// changing it at once.
const maxAttempts = 100

// change applies fn to the jam's latest record and writes what it returns
// with a compare-and-set on the revision, reading the record again and
// calling fn again whenever another change came first. fn gets nil for a jam
// that does not exist, must not modify its argument, and returns the new
// record (nil removes the jam) or an error, which change returns. lj, when
// not nil, is the jam here: its last record is the first guess, and holding
// its op lock keeps this node's own changes from racing each other.
func (h *Hub) change(lj *localJam, id string, fn func(*jamRecord) (*jamRecord, error)) (*jamRecord, uint64, error) {
	var rec *jamRecord
	var rev uint64
	if lj != nil {
		lj.op.Lock()
		defer lj.op.Unlock()
		lj.mu.Lock()
		rec, rev = lj.rec, lj.rev
		lj.mu.Unlock()
	}
	fresh := rec == nil
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if h.halted.Load() {
			return nil, 0, server.ErrUnavailable
		}
		if fresh {
			var err error
			if rec, rev, err = h.get(id); err != nil {
				return nil, 0, err
			}
		}
		next, err := fn(rec)
		if err != nil {
			return nil, 0, err
		}
		if next != nil {
			next.Event.Node = h.cfg.Node
		}
		newRev, err := h.write(id, rec, rev, next)
		if err == nil {
			if lj != nil {
				lj.mu.Lock()
				if newRev > lj.rev || next == nil {
					lj.rec, lj.rev = next, max(newRev, lj.rev)
				}
				lj.mu.Unlock()
			}
			return next, newRev, nil
		}
		if !conflict(err) {
			h.log.Warn("jam write failed", "jam", id, "err", err)
			return nil, 0, fmt.Errorf("%w: %w", server.ErrUnavailable, err)
		}
		fresh = true
		if attempt >= 3 {
			// A replica that answered the read may lag the leader.
			time.Sleep(time.Duration(attempt) * time.Millisecond)
		}
	}
	return nil, 0, fmt.Errorf("%w: jam %s: too many conflicting changes", server.ErrUnavailable, id)
}

// get reads the jam's record: nil when there is none.
func (h *Hub) get(id string) (*jamRecord, uint64, error) {
	ctx, cancel := h.opCtx()
	defer cancel()
	e, err := h.jams.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%w: read jam %s: %w", server.ErrUnavailable, id, err)
	}
	rec, err := decodeRecord(e.Value())
	if err != nil {
		return nil, 0, fmt.Errorf("%w: jam %s: %w", server.ErrUnavailable, id, err)
	}
	return rec, e.Revision(), nil
}

// write stores next in place of prev at rev: it creates the jam when prev
// is nil and removes it when next is nil.
func (h *Hub) write(id string, prev *jamRecord, rev uint64, next *jamRecord) (uint64, error) {
	ctx, cancel := h.opCtx()
	defer cancel()
	switch {
	case next == nil:
		return rev, h.jams.Delete(ctx, id, jetstream.LastRevision(rev))
	case prev == nil:
		return h.jams.Create(ctx, id, next.encode())
	default:
		return h.jams.Update(ctx, id, next.encode(), rev)
	}
}

// conflict reports whether a write failed because another change came
// first: the revision moved on, or the key exists.
func conflict(err error) bool {
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
