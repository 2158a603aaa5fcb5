package shared

import (
	"math"
	"testing"
)

func TestTimeline(t *testing.T) {
	const epoch = 1732500000000.0
	tl := NewTimeline(epoch)

	t.Run("the default grid is 100 BPM in 4/4 with two-bar loops", func(t *testing.T) {
		if got := tl.BarMs(); got != 2400 {
			t.Errorf("BarMs = %v, want 2400", got)
		}
		if got := tl.LoopMs(); got != 4800 {
			t.Errorf("LoopMs = %v, want 4800", got)
		}
		if got := tl.BeatMs(); got != 600 {
			t.Errorf("BeatMs = %v, want 600", got)
		}
	})

	t.Run("a loop's steps are its sixteenth notes, and fill it", func(t *testing.T) {
		for _, k := range Kits {
			kt := k.Timeline(epoch)
			if got, want := kt.StepsPerLoop(), 16*kt.BarsPerLoop; got != want {
				t.Errorf("%s: StepsPerLoop = %d, want %d", k.ID, got, want)
			}
			if step := kt.LoopMs() / float64(kt.StepsPerLoop()); math.Abs(step-kt.BeatMs()/4) > 1e-9 {
				t.Errorf("%s: a step of its %d is %v ms, want a quarter of its %v ms beat", k.ID, kt.StepsPerLoop(), step, kt.BeatMs())
			}
		}
		if got := tl.LoopMs() / float64(tl.StepsPerLoop()); got != 150 {
			t.Errorf("a step of the default kit's loop is %v ms, want 150", got)
		}
	})

	t.Run("a time exactly on a boundary belongs to the bar it starts", func(t *testing.T) {
		for _, n := range []int64{0, 1, 7, 1000} {
			if got := tl.BarAt(tl.BarStart(n)); got != n {
				t.Errorf("BarAt(BarStart(%d)) = %d", n, got)
			}
		}
	})

	t.Run("a time just before a boundary belongs to the bar before", func(t *testing.T) {
		start := tl.BarStart(5)
		if got := tl.BarAt(math.Nextafter(start, 0)); got != 4 {
			t.Errorf("BarAt(just before bar 5) = %d, want 4", got)
		}
		if got := tl.BarAt(start - 0.001); got != 4 {
			t.Errorf("BarAt(1 µs before bar 5) = %d, want 4", got)
		}
	})

	t.Run("times before the epoch give negative bars", func(t *testing.T) {
		if got := tl.BarAt(epoch - 1); got != -1 {
			t.Errorf("BarAt(epoch-1) = %d, want -1", got)
		}
		if got := tl.BarAt(epoch - 2400); got != -1 {
			t.Errorf("BarAt(epoch-2400) = %d, want -1", got)
		}
		if got := tl.BarAt(epoch - 2400.5); got != -2 {
			t.Errorf("BarAt(epoch-2400.5) = %d, want -2", got)
		}
	})

	t.Run("the next bar starts at least the lead after the time", func(t *testing.T) {
		cases := []struct {
			name string
			at   float64
			want int64
		}{
			{"right after a bar starts", epoch + 1, 1},
			{"exactly the lead before a bar", epoch + 2400 - LeadMs, 1},
			{"just under the lead before a bar", epoch + 2400 - LeadMs + 0.25, 2},
			{"exactly on a bar", epoch + 2400, 2},
			{"before the epoch", epoch - 100, 0},
		}
		for _, c := range cases {
			got := tl.NextBar(c.at)
			if got != c.want {
				t.Errorf("%s: NextBar = %d, want %d", c.name, got, c.want)
			}
			if lead := tl.BarStart(got) - c.at; lead < LeadMs {
				t.Errorf("%s: bar %d starts %v ms after, want >= %d", c.name, got, lead, LeadMs)
			}
			if lead := tl.BarStart(got-1) - c.at; lead >= LeadMs {
				t.Errorf("%s: bar %d also starts %v ms after: not the first", c.name, got-1, lead)
			}
		}
	})

	t.Run("the phase wraps every loop and is never negative", func(t *testing.T) {
		cases := map[float64]float64{
			epoch:                0,
			epoch + 4800:         0,
			epoch + 4801:         1,
			epoch + 2400:         2400,
			epoch - 1:            4799,
			epoch + 4800*1e6 + 3: 3,
		}
		for at, want := range cases {
			if got := tl.Phase(at); math.Abs(got-want) > 1e-3 {
				t.Errorf("Phase(epoch%+v) = %v, want %v", at-epoch, got, want)
			}
		}
	})

	t.Run("far from the epoch the math stays exact to the microsecond", func(t *testing.T) {
		far := NewTimeline(1e12 + 0.5) // a fractional epoch, decades after 1970
		n := int64(10_000_000)         // about 9 months of bars
		start := far.BarStart(n)
		if got := far.BarAt(start); got != n {
			t.Errorf("BarAt(BarStart(n)) = %d, want %d", got, n)
		}
		if got := far.BarAt(start - 0.001); got != n-1 {
			t.Errorf("BarAt(1 µs before) = %d, want %d", got, n-1)
		}
		if got := far.NextBar(start - LeadMs); got != n {
			t.Errorf("NextBar(lead before) = %d, want %d", got, n)
		}
		if got := far.Phase(start); math.Abs(got) > 1e-3 && math.Abs(got-far.LoopMs()) > 1e-3 {
			t.Errorf("Phase at an even bar = %v, want 0", got)
		}
	})
}
