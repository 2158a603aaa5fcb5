package defaults

import (
	"testing"
	"time"
)

func TestSet(t *testing.T) {
	for _, c := range []struct{ in, want time.Duration }{
		{0, time.Second},
		{-time.Millisecond, time.Second},
		{time.Millisecond, time.Millisecond},
	} {
		v := c.in
		Set(&v, time.Second)
		if v != c.want {
			t.Errorf("Set(%v, 1s) left %v, want %v", c.in, v, c.want)
		}
	}
	n := 3
	Set(&n, 7)
	if n != 3 {
		t.Errorf("a set int was changed to %d", n)
	}
	f := 0.0
	Set(&f, 0.1)
	if f != 0.1 {
		t.Errorf("an unset float is %v", f)
	}
}
