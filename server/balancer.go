//go:build !wasm

package server

import (
	"math/rand/v2"

	"github.com/loopswithfriends/loops/shared"
)

const jamIDAlphabet = "abcdefghijkmnpqrstuvwxyz23456789"

// newJamID returns a fresh random jam id that no current jam has. Jam ids
// name invite links, not secrets, so math/rand is enough. h.mu is held.
func (h *hub) newJamID() string {
	for {
		b := make([]byte, 8)
		for i := range b {
			b[i] = jamIDAlphabet[rand.IntN(len(jamIDAlphabet))]
		}
		if _, taken := h.jams[string(b)]; !taken {
			return string(b)
		}
	}
}

// balance returns the jam a user without a jam of their own goes to: the
// fullest jam that still has room, the oldest of those on a tie, or a new
// jam when every jam is full. h.mu is held.
func (h *hub) balance() *jam {
	var best *jam
	for _, j := range h.jams {
		n := len(j.members)
		if n >= shared.Capacity {
			continue
		}
		if best == nil || n > len(best.members) || (n == len(best.members) && j.seq < best.seq) {
			best = j
		}
	}
	if best == nil {
		best = h.create(h.newJamID())
	}
	return best
}
