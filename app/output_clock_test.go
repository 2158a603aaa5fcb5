package app

import "testing"

func TestOutputClock(t *testing.T) {
	t.Run("the smallest reading of the last second wins", func(t *testing.T) {
		var o outputClock
		o.read(10.0, 10_000+5, true)
		if got := o.read(10.2, 10_200+3, true); got != 3 {
			t.Errorf("d %v, want 3", got)
		}
		if got := o.read(10.4, 10_400+8, true); got != 3 {
			t.Errorf("d %v, want 3 (a later, later reading does not count)", got)
		}
	})
	t.Run("readings older than the window are forgotten", func(t *testing.T) {
		var o outputClock
		o.read(10.0, 10_000+1, true)
		if got := o.read(11.5, 11_500+4, true); got != 4 {
			t.Errorf("d %v, want 4", got)
		}
	})
	t.Run("a context that stopped forgets its readings", func(t *testing.T) {
		var o outputClock
		o.read(10.0, 10_000+1, true)
		if got := o.read(10.1, 10_100+6, false); got != 6 {
			t.Errorf("d %v, want 6", got)
		}
	})
}
