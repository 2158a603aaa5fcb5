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

// unanswered bounds, in OpTimeouts, how long one change keeps trying while
// JetStream does not answer (a write timed out, no leader for the stream
// yet after a node died) before its clients hear 1012. An election after a
// node's death takes a few seconds, longer on a crowded machine.
const unanswered = 3

// retryPause is the pause before trying again a call that failed at once
// (no responders: no leader yet).
const retryPause = 100 * time.Millisecond

// changeFunc makes one change to a jam: it gets the jam's latest record, nil
// for a jam that does not exist, must not modify it, and returns the new
// record (nil removes the jam) with its Event set, or an error.
type changeFunc func(*jamRecord) (*jamRecord, error)

// pending is a change waiting for its jam's writer, and then its outcome.
type pending struct {
	fn   changeFunc
	done chan struct{}
	then func(rec *jamRecord, rev uint64, err error) // for changes nobody waits for
	rec  *jamRecord
	rev  uint64
	err  error
}

// change applies fn to the jam's latest record and writes the result with a
// compare-and-set on the revision, applying fn again to the record read
// afresh whenever another node's change came first. It returns the record
// written and its revision, or fn's error. lj, when not nil, is the jam
// here: its last record is the first guess, and the changes this node has
// waiting for the jam are written together, in order, in one write.
func (h *Hub) change(lj *localJam, id string, fn changeFunc) (*jamRecord, uint64, error) {
	p := &pending{fn: fn, done: make(chan struct{})}
	if lj == nil {
		h.commit(nil, id, []*pending{p})
		return p.rec, p.rev, p.err
	}
	if h.enqueue(lj, p) {
		h.writeQueued(lj)
	}
	<-p.done
	return p.rec, p.rev, p.err
}

// changeLater is change for a caller that does not wait: then gets the
// outcome, on the jam's writer goroutine. A socket's read loop must not
// wait for the cluster between its messages: it would read a flood of them
// too slowly to see it.
func (h *Hub) changeLater(lj *localJam, fn changeFunc, then func(*jamRecord, uint64, error)) {
	p := &pending{fn: fn, done: make(chan struct{}), then: then}
	if h.enqueue(lj, p) {
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			h.writeQueued(lj)
		}()
	}
}

// enqueue adds p to the jam's waiting changes; it reports whether the
// caller is to write them.
func (h *Hub) enqueue(lj *localJam, p *pending) bool {
	lj.qmu.Lock()
	defer lj.qmu.Unlock()
	lj.queue = append(lj.queue, p)
	writer := !lj.writing
	lj.writing = true
	return writer
}

// writeQueued writes the changes waiting for the jam, and hands what
// arrived meanwhile to another goroutine, so that the caller is not kept
// writing for others.
func (h *Hub) writeQueued(lj *localJam) {
	lj.qmu.Lock()
	batch := lj.queue
	lj.queue = nil
	if len(batch) == 0 {
		lj.writing = false
		lj.qmu.Unlock()
		return
	}
	lj.qmu.Unlock()
	h.commit(lj, lj.id, batch)
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		h.writeQueued(lj)
	}()
}

// commit applies the changes in order to the jam's latest record and writes
// the result, trying again on a conflict, and tells each change its outcome.
func (h *Hub) commit(lj *localJam, id string, batch []*pending) {
	finish := func(rec *jamRecord, rev uint64, errs []error, err error) {
		for i, p := range batch {
			p.rec, p.rev, p.err = rec, rev, err
			if err == nil {
				p.err = errs[i]
			}
			close(p.done)
			if p.then != nil {
				p.then(p.rec, p.rev, p.err)
			}
		}
	}
	var rec *jamRecord
	var rev uint64
	if lj != nil {
		lj.mu.Lock()
		rec, rev = lj.rec, lj.rev
		lj.mu.Unlock()
	}
	fresh := rec == nil
	giveUp := time.Now().Add(unanswered * h.cfg.OpTimeout)
	// again reports whether to try again after a call that got no answer,
	// pausing first when it failed at once.
	again := func(began time.Time) bool {
		if h.halted.Load() || time.Now().After(giveUp) {
			return false
		}
		if time.Since(began) < retryPause {
			time.Sleep(retryPause)
		}
		return true
	}
	errs := make([]error, len(batch))
	for attempt := 0; attempt < maxAttempts; {
		if h.halted.Load() {
			finish(nil, 0, nil, server.ErrUnavailable)
			return
		}
		if fresh {
			began := time.Now()
			var err error
			if rec, rev, err = h.get(id); err != nil {
				if again(began) {
					continue
				}
				finish(nil, 0, nil, err)
				return
			}
		}
		next, changed := rec, false
		var events []jamEvent
		for i, p := range batch {
			n, err := p.fn(next)
			if errs[i] = err; err != nil {
				continue
			}
			changed = true
			if n != nil {
				n.Event.Node = h.cfg.Node
				events = append(events, n.Event)
			}
			next = n
		}
		if !changed {
			finish(rec, rev, errs, nil)
			return
		}
		if next != nil {
			next.Events = h.world.fold(id, next, events)
		}
		began := time.Now()
		newRev, err := h.write(id, rec, rev, next)
		if err == nil {
			if lj != nil {
				lj.mu.Lock()
				if newRev > lj.rev || next == nil {
					lj.rec, lj.rev = next, max(newRev, lj.rev)
				}
				lj.mu.Unlock()
			}
			h.world.saw(id, next, newRev)
			finish(next, newRev, errs, nil)
			return
		}
		if !conflict(err) {
			// A write that timed out may have gone through: the next
			// attempt reads the jam afresh and decides again (a play
			// already written changes nothing).
			if again(began) {
				h.log.Debug("jam write failed, trying again", "jam", id, "err", err)
				fresh = true
				continue
			}
			h.log.Warn("jam write failed", "jam", id, "err", err)
			finish(nil, 0, nil, fmt.Errorf("%w: %w", server.ErrUnavailable, err))
			return
		}
		fresh = true
		attempt++
		if attempt > 3 {
			// A replica that answered the read may lag the leader.
			time.Sleep(time.Duration(attempt) * time.Millisecond)
		}
	}
	finish(nil, 0, nil, fmt.Errorf("%w: jam %s: too many conflicting changes", server.ErrUnavailable, id))
}

// get reads the jam's record, nil when there is none, and files it in
// the world.
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
	// What the bucket holds is news to the world too: the balancer no
	// longer offers a jam that a join just read full.
	h.world.saw(id, rec, e.Revision())
	return rec, e.Revision(), nil
}

// getHolding reads the jam's record as get does, and reads it again from
// the stream's leader when it is missing or does not hold the user: the
// user may have joined on another node a moment ago, and the replica that
// answered not have it yet (leader.go). A change needs no such read: its
// compare-and-set fails on a stale record, and it reads again.
func (h *Hub) getHolding(id, user string) (*jamRecord, error) {
	rec, _, err := h.get(id)
	if err != nil || (rec != nil && rec.member(user) >= 0) {
		return rec, err
	}
	ctx, cancel := h.opCtx()
	defer cancel()
	data, _, err := leaderGet(ctx, h.nc, h.jams.Bucket(), id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: read jam %s: %w", server.ErrUnavailable, id, err)
	}
	if rec, err = decodeRecord(data); err != nil {
		return nil, fmt.Errorf("%w: jam %s: %w", server.ErrUnavailable, id, err)
	}
	return rec, nil
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
