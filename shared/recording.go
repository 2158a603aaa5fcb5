package shared

import (
	"errors"
	"fmt"
	"math"
)

// Message types of recording.
const (
	TypeRecord   = "record"
	TypeRecorded = "recorded"
)

// CodeBadRecord is the error code of a record whose bars are out of range.
const CodeBadRecord = "bad_record"

// The protocol's numbers for recording (PROTOCOL.md, "Recording").
const (
	// HistoryBars is how many bars of its history a jam keeps, and the
	// most bars a recording holds.
	HistoryBars = 250
	// RecordsPerMinute is how many records one socket may send in a minute.
	RecordsPerMinute = 6
	// RecordingIDBytes is how many random bytes a recording id carries
	// (128 bits); the id is their unpadded base64url text.
	RecordingIDBytes = 16
)

// StoreFailed is the error a record gets when the server could not save its
// recording (its store failed or timed out). PROTOCOL.md version 2 has no
// code for a failure of the server's own; rate_limited is the closest: it
// tells the client to try again later, which is what it should do, and it
// does not blame the request, as bad_record would.
func StoreFailed() *Error {
	return Errorf(CodeRateLimited, "the server could not save the recording; try again in a minute")
}

// ErrRecordingNotFound is what a recording store returns for an id it does
// not hold (never saved, expired, or dropped for room).
var ErrRecordingNotFound = errors.New("recording not found")

// Record asks the server to save the last Bars bars of the sender's jam.
type Record struct {
	Bars int `json:"bars"`
}

// Recorded tells the members that a recording of their jam was saved.
type Recorded struct {
	ID   string `json:"id"`
	By   string `json:"by"`
	Bars int    `json:"bars"`
}

// MessageType returns TypeRecord.
func (*Record) MessageType() string { return TypeRecord }

// MessageType returns TypeRecorded.
func (*Recorded) MessageType() string { return TypeRecorded }

// CheckRecord returns the bad_record error of a record whose bars are not 1
// to HistoryBars, or nil.
func CheckRecord(r *Record) *Error {
	if r.Bars < 1 || r.Bars > HistoryBars {
		return Errorf(CodeBadRecord, "bars must be 1 to %d, not %d", HistoryBars, r.Bars)
	}
	return nil
}

// Recording is a saved stretch of a jam: which loop sounded from which bar to
// which bar, counted from the recording's first bar, on its kit's timeline.
// It is the body of GET /api/recordings/{id}.
type Recording struct {
	ID      string  `json:"id"`
	Created float64 `json:"created"`
	Kit     string  `json:"kit"`
	// BPM, BeatsPerBar and BarsPerLoop are the jam's timeline.
	BPM         int `json:"bpm"`
	BeatsPerBar int `json:"beats_per_bar"`
	BarsPerLoop int `json:"bars_per_loop"`
	// FirstBar is the jam's bar the recording starts on. Loops lock to the
	// jam's timeline, so where in its loop a part sounds at the recording's
	// bar b depends on FirstBar+b (see Timeline); it is an addition to
	// PROTOCOL.md's fields, and 0 when absent.
	FirstBar int64  `json:"first_bar"`
	Bars     int    `json:"bars"`
	Parts    []Part `json:"parts"`
}

// Part is one loop sounding in a recording, from bar From up to bar To
// (From < To, 0 <= From, To <= the recording's Bars).
type Part struct {
	Loop string `json:"loop"`
	From int    `json:"from"`
	To   int    `json:"to"`
}

// Timeline returns the grid a recording plays on: bar b of the recording is
// bar FirstBar+b of this timeline, whose epoch is 0, so that every part
// sounds at the phase it had in the jam. Times on it are ms from an
// arbitrary origin; BarStart(FirstBar) is where the recording begins.
func (r *Recording) Timeline() Timeline {
	return Timeline{BPM: r.BPM, BeatsPerBar: r.BeatsPerBar, BarsPerLoop: r.BarsPerLoop}
}

// Validate reports what is wrong with a recording read from the wire or a
// store, or nil: a timeline that is not one, bars out of range, or a part
// outside the recording.
func (r *Recording) Validate() error {
	if r.BPM <= 0 || r.BeatsPerBar <= 0 || r.BarsPerLoop <= 0 {
		return fmt.Errorf("recording %s: bad timeline %d bpm, %d/%d", r.ID, r.BPM, r.BeatsPerBar, r.BarsPerLoop)
	}
	if r.Bars < 1 || r.Bars > HistoryBars {
		return fmt.Errorf("recording %s: %d bars", r.ID, r.Bars)
	}
	for _, p := range r.Parts {
		if p.From < 0 || p.From >= p.To || p.To > r.Bars {
			return fmt.Errorf("recording %s: part %s from bar %d to %d", r.ID, p.Loop, p.From, p.To)
		}
	}
	return nil
}

// ValidRecordingID reports whether id has the form of a recording id:
// RecordingIDBytes bytes in unpadded base64url.
func ValidRecordingID(id string) bool {
	if len(id) != (RecordingIDBytes*8+5)/6 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Sounds reports whether loop sounds in bar b of the recording.
func (r *Recording) Sounds(loop string, b int) bool {
	for _, p := range r.Parts {
		if p.Loop == loop && p.From <= b && b < p.To {
			return true
		}
	}
	return false
}

// RecordBars returns the bars a record of the last minutes asks for on the
// timeline t: whole bars that cover them, at most HistoryBars.
func RecordBars(t Timeline, minutes float64) int {
	n := int(math.Ceil(minutes*60000/t.BarMs() - 1e-9))
	return max(1, min(n, HistoryBars))
}
