//go:build !wasm

package server

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"
)

// resumeEntry is what a resume token brings back: the user id, and either
// the connection that still holds the user or the jam and loop the user had
// when they left.
type resumeEntry struct {
	user    string
	conn    *conn // the connection holding the user; nil once released
	jam     string
	loop    int
	expires time.Time // zero while the user is still connected
}

// resumeStore maps opaque random tokens to users. A token is issued with
// each welcome and is used at most once: while its connection still holds
// the user, a join that presents it takes the user over; once the user
// leaves, it brings them back for the resume window.
type resumeStore struct {
	mu sync.Mutex
	m  map[string]*resumeEntry
}

func newResumeStore() *resumeStore {
	return &resumeStore{m: make(map[string]*resumeEntry)}
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
	rs.m[token] = &resumeEntry{user: user, conn: c}
}

// release makes the token bring back the jam and loop the user had, until
// expires.
func (rs *resumeStore) release(token, jam string, loop int, expires time.Time) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if e := rs.m[token]; e != nil {
		e.conn, e.jam, e.loop, e.expires = nil, jam, loop, expires
	}
}

// forget drops the token.
func (rs *resumeStore) forget(token string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	delete(rs.m, token)
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
	delete(rs.m, token)
	return e
}

// sweep drops the tokens that expired.
func (rs *resumeStore) sweep(now time.Time) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for token, e := range rs.m {
		if e.conn == nil && !now.Before(e.expires) {
			delete(rs.m, token)
		}
	}
}
