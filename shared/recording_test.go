package shared

import (
	"fmt"
	"strings"
	"testing"
)

func TestRecordingRules(t *testing.T) {
	t.Run("record and recorded travel through the codec", func(t *testing.T) {
		m, err := DecodeClient([]byte(`{"type":"record","bars":25}`))
		if r, ok := m.(*Record); err != nil || !ok || r.Bars != 25 {
			t.Fatalf("record: %#v, %v", m, err)
		}
		frame := MustEncode(&Recorded{ID: "x", By: "u", Bars: 3})
		if string(frame) != `{"type":"recorded","id":"x","by":"u","bars":3}` {
			t.Fatalf("recorded: %s", frame)
		}
		if _, err := DecodeClient([]byte(`{"type":"record","bars":"all"}`)); err == nil {
			t.Fatal("a string for bars decoded")
		}
	})

	t.Run("bars must be 1 to 250", func(t *testing.T) {
		for _, bars := range []int{1, 2, HistoryBars} {
			if e := CheckRecord(&Record{Bars: bars}); e != nil {
				t.Errorf("%d bars: %v", bars, e)
			}
		}
		for _, bars := range []int{0, -3, HistoryBars + 1} {
			if e := CheckRecord(&Record{Bars: bars}); e == nil || e.Code != CodeBadRecord {
				t.Errorf("%d bars: %v, want bad_record", bars, e)
			}
		}
	})

	t.Run("a recording id is 22 characters of base64url", func(t *testing.T) {
		for id, want := range map[string]bool{
			"AAAAAAAAAAAAAAAAAAAAAA": true, "abcdefghij-_0123456789": true,
			"": false, "AAAAAAAAAAAAAAAAAAAAA": false, "AAAAAAAAAAAAAAAAAAAAAAA": false,
			"AAAAAAAAAAAAAAAAAAAA/A": false, "AAAAAAAAAAAAAAAAAAAA=A": false,
		} {
			if ValidRecordingID(id) != want {
				t.Errorf("ValidRecordingID(%q) = %v", id, !want)
			}
		}
	})

	t.Run("a recording whose parts leave it or whose timeline is none is invalid", func(t *testing.T) {
		good := Recording{ID: "r", BPM: 100, BeatsPerBar: 4, BarsPerLoop: 2, Bars: 10,
			Parts: []Part{{Loop: "drums", From: 0, To: 10}}}
		if err := good.Validate(); err != nil {
			t.Fatal(err)
		}
		for name, bad := range map[string]func(*Recording){
			"no bpm":          func(r *Recording) { r.BPM = 0 },
			"no bars":         func(r *Recording) { r.Bars = 0 },
			"too many bars":   func(r *Recording) { r.Bars = HistoryBars + 1 },
			"a part past it":  func(r *Recording) { r.Parts = []Part{{Loop: "x", From: 5, To: 11}} },
			"an empty part":   func(r *Recording) { r.Parts = []Part{{Loop: "x", From: 5, To: 5}} },
			"a part before 0": func(r *Recording) { r.Parts = []Part{{Loop: "x", From: -1, To: 5}} },
		} {
			r := good
			bad(&r)
			if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "recording r") {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

func TestRecordingTime(t *testing.T) {
	t.Run("ten minutes at 100 BPM are the whole history, two are 50 bars", func(t *testing.T) {
		tl := NewTimeline(0)
		for minutes, want := range map[float64]int{2: 50, 5: 125, 10: HistoryBars, 60: HistoryBars, 0.01: 1} {
			if got := RecordBars(tl, minutes); got != want {
				t.Errorf("%v minutes: %d bars, want %d", minutes, got, want)
			}
		}
	})

	t.Run("a loop sounds in the bars of its parts only", func(t *testing.T) {
		r := Recording{Bars: 10, Parts: []Part{{Loop: "a", From: 2, To: 4}, {Loop: "a", From: 6, To: 7}}}
		var got []int
		for b := range 10 {
			if r.Sounds("a", b) {
				got = append(got, b)
			}
		}
		if fmt.Sprint(got) != "[2 3 6]" || r.Sounds("b", 2) {
			t.Fatalf("a sounds in %v", got)
		}
	})
}
