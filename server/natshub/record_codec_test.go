//go:build !wasm

package natshub

import (
	"reflect"
	"testing"
	"testing/quick"
)

func TestRecordCodec(t *testing.T) {
	t.Run("every field of a record survives its encoding", func(t *testing.T) {
		// quick fills every field, those added later too: one the codec
		// forgets comes back zero.
		same := func(r jamRecord) bool {
			r.Event = jamEvent{} // not stored
			if len(r.Members) == 0 {
				r.Members = nil
			}
			if len(r.Events) == 0 {
				r.Events = nil
			}
			for i := range r.Events {
				if len(r.Events[i].Frame) == 0 {
					r.Events[i].Frame = nil
				}
			}
			got, err := decodeRecord(r.encode())
			if err != nil {
				t.Logf("decode: %v", err)
				return false
			}
			if !reflect.DeepEqual(*got, r) {
				t.Logf("got  %+v\nwant %+v", *got, r)
				return false
			}
			return true
		}
		if err := quick.Check(same, &quick.Config{MaxCount: 500}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a record cut short, or with bytes after it, is refused", func(t *testing.T) {
		b := (&jamRecord{Kit: "k", Members: []memberRecord{{ID: "a", Loop: "drums", Node: "n1", Seq: 7}},
			Events: []jamEvent{{Frame: []byte(`{"type":"left","id":"a"}`), Node: "n1"}}}).encode()
		for n := range len(b) {
			if _, err := decodeRecord(b[:n]); err == nil {
				t.Fatalf("the first %d of %d bytes decoded", n, len(b))
			}
		}
		if _, err := decodeRecord(append(b, 0)); err == nil {
			t.Fatal("a record with a byte after it decoded")
		}
		if _, err := decodeRecord([]byte(`{"kit":"k"}`)); err == nil {
			t.Fatal("a JSON record decoded")
		}
	})

	t.Run("every field of a play or stop survives its encoding, and a cut one is refused", func(t *testing.T) {
		same := func(ev fastEvent) bool {
			ev.Of, ev.Seq, ev.Frame = ev.Of+"a", ev.Seq|1, append(ev.Frame, '{') // what decodeFast requires
			got, ok := decodeFast(ev.encode())
			if !ok || !reflect.DeepEqual(got, ev) {
				t.Logf("got  %+v, %v\nwant %+v", got, ok, ev)
				return false
			}
			return true
		}
		if err := quick.Check(same, &quick.Config{MaxCount: 500}); err != nil {
			t.Fatal(err)
		}
		b := (&fastEvent{Of: "a", Seq: 7, Play: true, Bar: 12, Frame: []byte(`{"type":"played","id":"a","bar":12}`)}).encode()
		for n := range len(b) {
			if _, ok := decodeFast(b[:n]); ok {
				t.Fatalf("the first %d of %d bytes decoded", n, len(b))
			}
		}
		if _, ok := decodeFast(append(b, 0)); ok {
			t.Fatal("a play with a byte after it decoded")
		}
	})

	t.Run("a node's plays survive their encoding, the frames left out, and a cut value is refused", func(t *testing.T) {
		same := func(node string, jams []string, evs []fastEvent) bool {
			node += "n" // what decodePlays requires
			plays := make([]nodePlay, len(evs))
			for i, ev := range evs {
				ev.Frame = nil
				plays[i] = nodePlay{fastEvent: ev}
				if len(jams) > 0 {
					plays[i].Jam = jams[i%len(jams)]
				}
			}
			gotNode, got, ok := decodePlays(encodePlays(node, plays))
			if !ok || gotNode != node || !reflect.DeepEqual(got, plays) {
				t.Logf("got  %s %+v, %v\nwant %s %+v", gotNode, got, ok, node, plays)
				return false
			}
			return true
		}
		if err := quick.Check(same, &quick.Config{MaxCount: 200}); err != nil {
			t.Fatal(err)
		}
		b := encodePlays("n1", []nodePlay{{Jam: "j", fastEvent: fastEvent{Of: "a", Seq: 7, Play: true, Bar: 12}}})
		for n := range len(b) {
			if _, _, ok := decodePlays(b[:n]); ok {
				t.Fatalf("the first %d of %d bytes decoded", n, len(b))
			}
		}
		if _, _, ok := decodePlays(append(b, 0)); ok {
			t.Fatal("plays with a byte after them decoded")
		}
	})
}
