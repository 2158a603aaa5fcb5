package app

// Firefox's output latency is read once, at a moment the gate chooses (see
// geckoAudio for why a read at any other moment can freeze the tab).
//
// Gecko's first read of AudioContext.outputLatency is a synchronous call to
// the parent process's audio server made with the graph's lock held; it
// deadlocks when the parent's PulseAudio mainloop is meanwhile inside this
// stream's write callback, waiting for the tab's audio callback, which
// waits for that lock. Gecko keeps the first answer other than 0 for the
// graph's life, so one safe read is enough. The stream calls back in bursts:
// one callback renders a few quanta of 128 frames at once, then nothing
// until the sound card has played them. An AudioWorklet (latencyTapScript)
// counts its quanta into shared memory, so the page sees each burst end;
// the gate reads just after one, when the parent's callback has returned
// and the next is most of a period away.

// latencyTapScript is the AudioWorklet module whose processor counts the
// quanta it renders into a SharedArrayBuffer (web/static/latency-tap.js).
const latencyTapScript = "/web/latency-tap.js"

// The gate's times, in ms:
//   - gateSearchMs: how long a spin waits for a burst before it yields;
//   - gateQuietMs: how long the counter must have stood still after a
//     burst's last quantum before the read (a burst whose quanta the page
//     sees one by one is over);
//   - gateLeadMs: how long before the next burst is due the read must
//     start, for the parent to answer it first (the call took 0.5 to
//     3.5 ms in the measurements);
//   - gateSpinMs: the longest a spin lasts, however the callbacks come;
//   - gateAfterMs: how long the context must have run first (its stream
//     settles after it starts).
const (
	gateSpinMs   = 8.0
	gateSearchMs = 4.0
	gateQuietMs  = 2.0
	gateLeadMs   = 6.0
	gateAfterMs  = 1000
)

// gateTries bounds the spins a context's gate makes (one a tick of the
// page, 50 ms; it took 1 to 31 in the measurements), gateZeros its reads
// that answer 0 (the graph not on its audio driver at that moment): past
// either the page goes on without its output latency.
const (
	gateTries = 100
	gateZeros = 5
)

// quantum is the frames an AudioWorklet's process() renders at a time.
const quantum = 128

// gateStep is what a spin of the gate does after a poll of the counter.
type gateStep int

const (
	gateWait  gateStep = iota // poll again
	gateRead                  // read outputLatency now
	gateYield                 // no safe moment in this spin: yield, spin later
)

// latencySpin is one spin of the gate: the page polls the worklet's quanta
// counter in a tight loop, at most gateSearchMs + gateQuietMs, and reads at
// the first moment that is just after a burst and well before the next.
type latencySpin struct {
	rate float64 // the context's sample rate
	// prev is the ms of the previous poll, 0 before the first; count the
	// counter it saw.
	prev  float64
	count int32
	start float64
	// first is the earliest ms the burst seen began (the poll before its
	// first quantum was seen), last the ms its last quantum was seen, 0
	// while none was seen; quanta how many it rendered.
	first, last float64
	quanta      int32
}

// poll takes the counter (count quanta rendered so far) at nowMs.
func (s *latencySpin) poll(nowMs float64, count int32) gateStep {
	if s.prev == 0 {
		s.prev, s.start, s.count = nowMs, nowMs, count
		return gateWait
	}
	if count != s.count {
		if s.first == 0 {
			s.first = s.prev
		}
		s.quanta += count - s.count
		s.count, s.last = count, nowMs
	}
	s.prev = nowMs
	if s.first == 0 {
		if nowMs-s.start >= gateSearchMs {
			return gateYield
		}
		return gateWait
	}
	// Once the burst is over, the next is due a period after it began:
	// the time the sound card takes to play what it rendered.
	due := s.first + float64(s.quanta)*quantum/s.rate*1000
	switch {
	case nowMs-s.start >= gateSpinMs:
		return gateYield // callbacks without a pause
	case nowMs-s.last < gateQuietMs:
		return gateWait
	case nowMs+gateLeadMs > due:
		return gateYield // too close to the next
	default:
		return gateRead
	}
}

// latencyGate is a context's gate over its spins: how many it made, and
// its reads that answered 0.
type latencyGate struct {
	tries, zeros int
}

// done reports whether the gate gives up.
func (g *latencyGate) done() bool { return g.tries >= gateTries || g.zeros >= gateZeros }
