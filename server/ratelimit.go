//go:build !wasm

package server

import "time"

// rateLimiter admits at most limit messages in any window of time: it keeps
// the times of the last admitted messages in a ring that grows only as far
// as a client's bursts need. Only the connection's read loop uses it.
type rateLimiter struct {
	limit  int
	window time.Duration
	grace  time.Duration

	times []time.Duration // since the connection began; a ring once full
	head  int

	inExcess    bool
	excessSince time.Duration
	lastExcess  time.Duration
}

func newRateLimiter(limit int, window, grace time.Duration) rateLimiter {
	return rateLimiter{limit: limit, window: window, grace: grace}
}

// allow reports whether a message received at now is within the limit.
func (r *rateLimiter) allow(now time.Duration) bool {
	if len(r.times) < r.limit {
		r.times = append(r.times, now)
		return true
	}
	if now-r.times[r.head] < r.window {
		return false
	}
	r.times[r.head] = now
	r.head = (r.head + 1) % r.limit
	return true
}

// excess records a message over the limit at now and reports whether the
// client has now kept exceeding the limit, with no window free of excess,
// for the grace period.
func (r *rateLimiter) excess(now time.Duration) (tooLong bool) {
	if !r.inExcess || now-r.lastExcess > r.window {
		r.inExcess, r.excessSince = true, now
	}
	r.lastExcess = now
	return now-r.excessSince >= r.grace
}
