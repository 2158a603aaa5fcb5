//go:build !wasm

package server

import (
	"cmp"
	"slices"

	"github.com/loopswithfriends/loops/shared"
)

// maxHistoryLoops is how many loops of a kit a history can tell apart: one
// bit each of a bar's mask.
const maxHistoryLoops = 64

// history is what a jam sounded in its last shared.HistoryBars bars: for each
// bar, the set of its kit's loops that sounded in it, as a bit mask. It is a
// fixed ring, so a jam that runs for days holds the same few KB as a new one.
//
// Changes take effect on bar boundaries that are never in the past when they
// are decided (a play, stop or swap takes effect at the next bar), so the
// ring is filled lazily: bars up to filled are written, and every bar after
// it sounds what now says until the next change. A change that lands on a bar
// already written (a leave, which takes effect at once, or two changes that
// raced for the jam's lock) rewrites the bars it covers. The jam's lock
// guards it.
type history struct {
	bars   [shared.HistoryBars]uint64
	filled int64  // the last bar written; bars before filled-HistoryBars are gone
	now    uint64 // what sounds from filled+1 on
}

func newHistory(bar int64) history {
	return history{filled: bar - 1}
}

// fill writes every bar up to bar with what sounds now.
func (h *history) fill(bar int64) {
	from := max(h.filled+1, bar-shared.HistoryBars+1)
	for b := from; b <= bar; b++ {
		h.bars[ring(b)] = h.now
	}
	h.filled = max(h.filled, bar)
}

// set makes loop sound (or not) from bar on.
func (h *history) set(loop int, sounding bool, bar int64) {
	if loop < 0 || loop >= maxHistoryLoops {
		return
	}
	bit := uint64(1) << loop
	h.fill(bar - 1)
	// Bars from bar to filled were written before this change reached the
	// jam: rewrite those still in the ring.
	for b := max(bar, h.filled-shared.HistoryBars+1); b <= h.filled; b++ {
		h.bars[ring(b)] = apply(h.bars[ring(b)], bit, sounding)
	}
	h.now = apply(h.now, bit, sounding)
}

// cut silences loop in bars from up to (not including) to, and leaves it as
// it is from to on: a change undone before it took effect.
func (h *history) cut(loop int, from, to int64) {
	if loop < 0 || loop >= maxHistoryLoops {
		return
	}
	h.fill(to - 1)
	for b := max(from, h.filled-shared.HistoryBars+1); b < to; b++ {
		h.bars[ring(b)] &^= uint64(1) << loop
	}
}

func apply(mask, bit uint64, on bool) uint64 {
	if on {
		return mask | bit
	}
	return mask &^ bit
}

// since returns the first bar the ring still holds, given the jam's first
// bar: the ring's edge or the jam's start, whichever is later.
func (h *history) since(first, upTo int64) int64 {
	return max(first, upTo-shared.HistoryBars+1)
}

// parts returns what sounded from bar from up to and including bar upTo,
// which the ring must hold, as parts counted from from: one part for each
// unbroken stretch of a loop, in order of their first bar and then of the
// loop. loopID names the loop of a bit.
func (h *history) parts(from, upTo int64, loopID func(int) string) []shared.Part {
	h.fill(upTo)
	var all uint64
	for b := from; b <= upTo; b++ {
		all |= h.bars[ring(b)]
	}
	parts := []shared.Part{}
	for loop := range maxHistoryLoops {
		bit := uint64(1) << loop
		if all&bit == 0 {
			continue
		}
		start := int64(-1)
		for b := from; b <= upTo+1; b++ {
			on := b <= upTo && h.bars[ring(b)]&bit != 0
			switch {
			case on && start < 0:
				start = b
			case !on && start >= 0:
				parts = append(parts, shared.Part{Loop: loopID(loop), From: int(start - from), To: int(b - from)})
				start = -1
			}
		}
	}
	// Stable: parts that begin on one bar stay in the kit's order.
	slices.SortStableFunc(parts, func(a, b shared.Part) int { return cmp.Compare(a.From, b.From) })
	return parts
}

func ring(bar int64) int {
	i := bar % shared.HistoryBars
	if i < 0 {
		i += shared.HistoryBars
	}
	return int(i)
}
