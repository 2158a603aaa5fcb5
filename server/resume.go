//go:build !wasm

package server

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"
)

// resumeEntry is what a resume token brings back: the user id, and the jam
// and loop the user had when they left.
type resumeEntry struct {
	user    string
	jam     string
	loop    int
	expires time.Time // zero while the user is still connected
}

// resumeStore maps opaque random tokens to users. A token is issued with
// each welcome, becomes usable when its user leaves, stays usable for the
// resume window and is used at most once.
type resumeStore struct {
	mu sync.Mutex
	m  map[string]*resumeEntry
}

func newResumeStore() *resumeStore {
	return &resumeStore{m: make(map[string]*resumeEntry)}
}

// issue returns a new token for the user, not usable until release.
func (rs *resumeStore) issue(user string) string {
	var b [24]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	token := base64.RawURLEncoding.EncodeToString(b[:])
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.m[token] = &resumeEntry{user: user}
	return token
}

// release makes the token usable until expires, bringing back the jam and
// loop the user had.
func (rs *resumeStore) release(token, jam string, loop int, expires time.Time) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if e := rs.m[token]; e != nil {
		e.jam, e.loop, e.expires = jam, loop, expires
	}
}

// forget drops the token.
func (rs *resumeStore) forget(token string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	delete(rs.m, token)
}

// take returns the entry of a usable token and uses it up; a token that is
// unknown, still in use or expired gives nil.
func (rs *resumeStore) take(token string, now time.Time) *resumeEntry {
	if token == "" {
		return nil
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	e := rs.m[token]
	if e == nil || e.expires.IsZero() || !now.Before(e.expires) {
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
		if !e.expires.IsZero() && !now.Before(e.expires) {
			delete(rs.m, token)
		}
	}
}
