package sound

import (
	"testing"
)

// renderTicks returns the work of rendering every loop of a kit at a
// rate, in ticks (about a nanosecond of native work each: see workTicks).
func renderTicks(t testing.TB, kitID string, sr int) int {
	t.Helper()
	total := 0
	for _, id := range IDs(kitID) {
		r, err := NewRenderer(kitID, id, sr)
		if err != nil {
			t.Fatal(err)
		}
		total += r.total
	}
	return total
}

func TestBudget(t *testing.T) {
	t.Run("every kit is under 100 ms of native work at 48 kHz, by its jobs' costs", func(t *testing.T) {
		for _, k := range kits {
			ms := float64(renderTicks(t, k.ID, 48000)) / 1e6
			t.Logf("%-12s %.1f ms of work", k.ID, ms)
			if ms >= 100 {
				t.Errorf("%s: %.1f ms of work, want under 100", k.ID, ms)
			}
		}
	})
}
