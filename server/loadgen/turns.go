//go:build !wasm

package loadgen

import (
	"context"
	"sync"
	"time"
)

// Turns has runs of the load in one process take turns at toggling, so
// that the hubs of a comparison share whatever else the box does while
// they are measured: a compile that starts, a collection of the
// generator's. Every run joins its clients, all start toggling at one
// moment, and of every Runs stretches of Stretch in a row, run i toggles in
// the i-th (Config.Turn) and its clients stay quiet in the others. Each
// run's Duration is its own share: the toggles take Runs times as long.
type Turns struct {
	Runs    int
	Stretch time.Duration

	mu      sync.Mutex
	waiting int
	ready   chan struct{}
	start   time.Time
}

// NewTurns returns the turns of runs runs in stretches of stretch.
func NewTurns(runs int, stretch time.Duration) *Turns {
	return &Turns{Runs: runs, Stretch: stretch, ready: make(chan struct{})}
}

// wait blocks until every run joined its clients, and returns the moment
// they start toggling.
func (t *Turns) wait(ctx context.Context) (time.Time, error) {
	t.mu.Lock()
	t.waiting++
	if t.waiting == t.Runs {
		// A second for every run to see it before its first toggle, and
		// for the servers to finish what the joins left them.
		t.start = time.Now().Add(time.Second)
		close(t.ready)
	}
	t.mu.Unlock()
	select {
	case <-t.ready:
		return t.start, nil
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	}
}

// stretch returns the stretch a moment at falls in, counted from start.
func (t *Turns) stretch(start, at time.Time) int {
	if at.Before(start) {
		return 0
	}
	return int(at.Sub(start) / t.Stretch)
}

// stretches is how many stretches the toggles of runs of duration take.
func (t *Turns) stretches(duration time.Duration) int {
	n := int((duration*time.Duration(t.Runs) + t.Stretch - 1) / t.Stretch)
	return max(n, t.Runs)
}

// StretchReport is one stretch of a run that took turns: its deliveries,
// by the time their toggle was sent.
type StretchReport struct {
	// Index counts the stretches of every run from 0; Start is its start
	// in seconds from the first toggle.
	Index int     `json:"index"`
	Start float64 `json:"start_s"`
	// LoadAvg is /proc/loadavg's one-minute figure at its start.
	LoadAvg float64        `json:"loadavg"`
	Latency LatencySummary `json:"fanout_latency_ms"`
}

// WindowReport is one window of a run's toggles (Config.Window): its
// deliveries, by the time their toggle was sent, and how busy the
// machine's CPUs were meanwhile.
type WindowReport struct {
	// Start is its start in seconds from the first toggle.
	Start float64 `json:"start_s"`
	// BusyCores is how many of the machine's CPUs were busy in it, on
	// average, with any process's work (/proc/stat); -1 when unknown.
	BusyCores float64        `json:"busy_cores"`
	Latency   LatencySummary `json:"fanout_latency_ms"`
}
