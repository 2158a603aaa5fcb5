//go:build !wasm

package server

import (
	"container/list"
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"

	"github.com/loopswithfriends/loops/shared"
)

// resumeEntry is what a resume token brings back: the user id, and either
// the connection that still holds the user or the jam and loop the user had
// when they left.
type resumeEntry struct {
	token   string
	user    string
	conn    *conn // the connection holding the user; nil once released
	jam     string
	private bool
	kit     *shared.Kit
	loop    int
	expires time.Time // zero while the user is still connected

	// Set once released: the entry's place in the store's queue and in
	// its address's.
	addr   string
	queued *list.Element
	byAddr *list.Element
}

// resumeStore maps opaque random tokens to users. A token is issued with
// each welcome and is used at most once: while its connection still holds
// the user, a join that presents it takes the user over; once the user
// leaves, it brings them back for the resume window.
//
// A live token costs what its connection costs, which the socket limits
// bound. Released tokens are bounded too, in total and per client address:
// past either bound the oldest released one goes first (a client that keeps
// opening and closing sockets pushes out only its own old tokens, until the
// total bound). Every released token has the same window, so they expire in
// the order they were released: a queue in that order makes both the sweep
// and the eviction O(1) a token.
type resumeStore struct {
	maxTotal, maxPerAddr int

	mu     sync.Mutex
	m      map[string]*resumeEntry
	queue  list.List             // released entries, oldest first
	byAddr map[string]*list.List // released entries of each address, oldest first
}

func newResumeStore(maxTotal, maxPerAddr int) *resumeStore {
	return &resumeStore{
		maxTotal: maxTotal, maxPerAddr: maxPerAddr,
		m: make(map[string]*resumeEntry), byAddr: make(map[string]*list.List),
	}
}

// newToken returns a new random token; it takes no lock, so that joins can
// draw it before the hub's.
func newToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// issue makes token stand for the user that c now holds.
func (rs *resumeStore) issue(token, user string, c *conn) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.m[token] = &resumeEntry{token: token, user: user, conn: c}
}

// release makes the token, of a connection from addr, bring back the jam
// and loop the user had, until expires.
func (rs *resumeStore) release(token, addr, jam string, private bool, kit *shared.Kit, loop int, expires time.Time) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	e := rs.m[token]
	if e == nil || e.queued != nil {
		return
	}
	e.conn, e.jam, e.private, e.kit, e.loop, e.expires = nil, jam, private, kit, loop, expires
	e.addr = addr
	e.queued = rs.queue.PushBack(e)
	q := rs.byAddr[addr]
	if q == nil {
		q = new(list.List)
		rs.byAddr[addr] = q
	}
	e.byAddr = q.PushBack(e)
	if q.Len() > rs.maxPerAddr {
		rs.drop(q.Front().Value.(*resumeEntry))
	}
	if rs.queue.Len() > rs.maxTotal {
		rs.drop(rs.queue.Front().Value.(*resumeEntry))
	}
}

// drop removes e from the store. rs.mu is held.
func (rs *resumeStore) drop(e *resumeEntry) {
	delete(rs.m, e.token)
	if e.queued == nil {
		return
	}
	rs.queue.Remove(e.queued)
	q := rs.byAddr[e.addr]
	q.Remove(e.byAddr)
	if q.Len() == 0 {
		delete(rs.byAddr, e.addr)
	}
	e.queued, e.byAddr = nil, nil
}

// forget drops the token.
func (rs *resumeStore) forget(token string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if e := rs.m[token]; e != nil {
		rs.drop(e)
	}
}

// take returns the entry of a usable token and uses it up: a live one (its
// conn is set: the connection still holds the user) or a released one within
// its window. A token that is unknown or expired gives nil.
func (rs *resumeStore) take(token string, now time.Time) *resumeEntry {
	if token == "" {
		return nil
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	e := rs.m[token]
	if e == nil || (e.conn == nil && !now.Before(e.expires)) {
		return nil
	}
	rs.drop(e)
	return e
}

// sweep drops the tokens that expired: the front of the queue.
func (rs *resumeStore) sweep(now time.Time) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for f := rs.queue.Front(); f != nil; f = rs.queue.Front() {
		e := f.Value.(*resumeEntry)
		if now.Before(e.expires) {
			return
		}
		rs.drop(e)
	}
}

// released returns how many released tokens the store keeps, in total and
// for addr.
func (rs *resumeStore) released(addr string) (total, ofAddr int) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if q := rs.byAddr[addr]; q != nil {
		ofAddr = q.Len()
	}
	return rs.queue.Len(), ofAddr
}
