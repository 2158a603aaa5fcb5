//go:build !wasm

package loadgen

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestToggleSchedule: the clients' toggles are spread over each period,
// none before the run's start: the first 10 ms of a run hold no burst of
// the toggles whose jitter would have put them earlier. Later toggles move
// by up to ±Jitter.
func TestToggleSchedule(t *testing.T) {
	const clients = 9000
	g := &gen{cfg: Config{Period: 5 * time.Second, Jitter: 250 * time.Millisecond}, rng: rand.New(rand.NewPCG(5, 6))}
	start := time.Unix(1000, 0)
	const slot = 10 * time.Millisecond
	slots := make(map[int64]int)
	moved := 0
	for range clients {
		phase := time.Duration(g.rng.Int64N(int64(g.cfg.Period)))
		first := g.toggleAt(start, phase, 0)
		if first.Before(start) {
			t.Fatalf("a first toggle %v before the start", start.Sub(first))
		}
		slots[int64(first.Sub(start)/slot)]++
		for round := 1; round < 4; round++ {
			at := g.toggleAt(start, phase, round)
			d := at.Sub(start.Add(time.Duration(round)*g.cfg.Period + phase))
			if d < -g.cfg.Jitter || d > g.cfg.Jitter {
				t.Fatalf("round %d moved by %v, more than the jitter", round, d)
			}
			if d != 0 {
				moved++
			}
		}
	}
	mean := float64(clients) / float64(g.cfg.Period/slot)
	for s, n := range slots {
		if float64(n) > 3*mean {
			t.Errorf("%d first toggles in the 10 ms from %v, against %.0f on average", n, time.Duration(s)*slot, mean)
		}
	}
	if moved < clients {
		t.Errorf("only %d of %d later toggles moved by the jitter", moved, 3*clients)
	}
}
