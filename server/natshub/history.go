//go:build !wasm

package natshub

import (
	"cmp"
	"slices"

	"github.com/loopswithfriends/loops/shared"
)

// history is what a jam sounded, as one node heard it from the jam's events
// since it started holding a member of it: for each loop, the stretches of
// bars it sounded. A node keeps it while it holds a member of the jam, and
// when it starts to it asks the nodes that hold one already for theirs
// (historyOf), so the history of a member's jam reaches back to when the
// first member on any node still alive joined, up to shared.HistoryBars
// bars: a member who resumes on another node after theirs died records the
// bars before.
type history struct {
	first    int64              // the first bar heard
	playing  map[string]sounder // by member id
	segments []segment          // stretches that ended
}

// sounder is a member's loop, sounding from bar from when playing.
type sounder struct {
	loop    string
	playing bool
	from    int64
}

// segment is a loop sounding from bar from up to (not including) bar to.
type segment struct {
	loop     string
	from, to int64
}

// newHistory starts a jam's history from its record at bar now, taking
// what seed (another node's history, or nil) heard before.
func newHistory(rec *jamRecord, now int64, seed *historyWire) *history {
	h := &history{first: now, playing: make(map[string]sounder)}
	if seed != nil && seed.First < now {
		h.first = max(seed.First, now-shared.HistoryBars)
		for _, s := range seed.Segments {
			if s.To > h.first {
				h.segments = append(h.segments, segment{s.Loop, s.From, s.To})
			}
		}
	}
	for _, m := range rec.Members {
		from := max(m.Bar, now)
		if seed != nil {
			// The seed knows since when the loop sounds (from a swap,
			// say), as long as nothing changed since it was sent.
			if s, ok := seed.Playing[m.ID]; ok && s.Loop == m.Loop && s.Playing == m.Playing {
				from = max(s.From, h.first)
			}
		}
		h.playing[m.ID] = sounder{loop: m.Loop, playing: m.Playing, from: from}
	}
	return h
}

// historyWire is a history as one node sends it to another.
type historyWire struct {
	First    int64                  `json:"first"`
	Playing  map[string]sounderWire `json:"playing"`
	Segments []segmentWire          `json:"segments"`
}

type sounderWire struct {
	Loop    string `json:"loop"`
	Playing bool   `json:"playing"`
	From    int64  `json:"from"`
}

type segmentWire struct {
	Loop string `json:"loop"`
	From int64  `json:"from"`
	To   int64  `json:"to"`
}

// wire returns the history as it travels.
func (h *history) wire() *historyWire {
	w := &historyWire{First: h.first, Playing: make(map[string]sounderWire, len(h.playing))}
	for id, s := range h.playing {
		w.Playing[id] = sounderWire{s.loop, s.playing, s.from}
	}
	for _, s := range h.segments {
		w.Segments = append(w.Segments, segmentWire{s.loop, s.from, s.to})
	}
	return w
}

// apply takes in one event frame; now is the bar sounding when it arrived.
func (h *history) apply(frame []byte, now int64) {
	if msg, err := shared.DecodeServer(frame); err == nil {
		h.applyMessage(msg, now)
	}
}

// applyMessage takes in one event, decoded.
func (h *history) applyMessage(msg shared.Message, now int64) {
	switch m := msg.(type) {
	case *shared.Joined:
		h.playing[m.Member.ID] = sounder{loop: m.Member.Loop, playing: m.Member.Playing, from: max(m.Member.Bar, now)}
	case *shared.Played:
		s := h.playing[m.ID]
		if !s.playing {
			s.playing, s.from = true, m.Bar
			h.playing[m.ID] = s
		}
	case *shared.Stopped:
		s := h.playing[m.ID]
		h.end(s, m.Bar)
		s.playing = false
		h.playing[m.ID] = s
	case *shared.Swapped:
		s := h.playing[m.ID]
		h.end(s, m.Bar)
		s.loop, s.from = m.Loop, m.Bar
		h.playing[m.ID] = s
	case *shared.Left:
		// A leave takes effect at once: the bar sounding counts.
		h.end(h.playing[m.ID], now+1)
		delete(h.playing, m.ID)
	}
	// Stretches that ended before the oldest bar kept are gone.
	h.segments = slices.DeleteFunc(h.segments, func(s segment) bool { return s.to <= now-shared.HistoryBars })
}

// end closes the stretch of s at bar to, if it sounded.
func (h *history) end(s sounder, to int64) {
	if s.playing && s.from < to {
		h.segments = append(h.segments, segment{s.loop, s.from, to})
	}
}

// recording returns the last bars bars up to and including bar cur: its
// first bar and parts counted from it.
func (h *history) recording(bars int, cur int64) (from int64, parts []shared.Part) {
	from = max(h.first, cur-int64(bars)+1, cur-shared.HistoryBars+1)
	all := slices.Clone(h.segments)
	for _, s := range h.playing {
		if s.playing {
			all = append(all, segment{s.loop, s.from, cur + 1})
		}
	}
	parts = []shared.Part{}
	for _, s := range all {
		a, b := max(s.from, from), min(s.to, cur+1)
		if a < b {
			parts = append(parts, shared.Part{Loop: s.loop, From: int(a - from), To: int(b - from)})
		}
	}
	slices.SortStableFunc(parts, func(x, y shared.Part) int {
		return cmp.Or(cmp.Compare(x.From, y.From), cmp.Compare(x.Loop, y.Loop))
	})
	return from, parts
}
