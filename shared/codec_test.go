package shared

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestEncode(t *testing.T) {
	t.Run("type comes first and the fields follow", func(t *testing.T) {
		got := string(MustEncode(&Played{ID: "u1", Bar: 12}))
		if want := `{"type":"played","id":"u1","bar":12}`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
	t.Run("a message without fields is just its type", func(t *testing.T) {
		if got := string(MustEncode(&Play{})); got != `{"type":"play"}` {
			t.Errorf("got %s", got)
		}
	})
	t.Run("a welcome carries the timeline inside jam", func(t *testing.T) {
		w := &Welcome{You: "u", Resume: "r", Loop: "drums", Now: 1.25,
			Jam:     JamInfo{ID: "j", Timeline: NewTimeline(1000), Capacity: Capacity},
			Members: []Member{{ID: "u", Loop: "drums"}}}
		var got map[string]any
		if err := json.Unmarshal(MustEncode(w), &got); err != nil {
			t.Fatal(err)
		}
		jam := got["jam"].(map[string]any)
		for _, k := range []string{"id", "epoch", "bpm", "beats_per_bar", "bars_per_loop", "capacity"} {
			if _, ok := jam[k]; !ok {
				t.Errorf("jam has no %q: %v", k, jam)
			}
		}
		if got["redirected"] != false || got["now"] != 1.25 || got["type"] != "welcome" {
			t.Errorf("welcome = %v", got)
		}
	})
}

func TestDecodeClient(t *testing.T) {
	t.Run("every client message round-trips", func(t *testing.T) {
		for _, m := range []Message{&Join{Jam: "abc", Resume: "tok"}, &Play{}, &Stop{}, &Swap{Loop: "bass"}, &Leave{}, &Ping{ID: 7, T0: 12.5}} {
			got, err := DecodeClient(MustEncode(m))
			if err != nil {
				t.Fatalf("%T: %v", m, err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Errorf("got %#v, want %#v", got, m)
			}
		}
	})
	t.Run("a play and a stop known by their bytes decode as any other frame", func(t *testing.T) {
		for _, frame := range [][]byte{playFrame, stopFrame} {
			fast, err := DecodeClient(frame)
			if err != nil {
				t.Fatalf("%s: %v", frame, err)
			}
			slow, err := decode(frame, clientMessages)
			if err != nil {
				t.Fatalf("%s: %v", frame, err)
			}
			if !reflect.DeepEqual(fast, slow) {
				t.Errorf("%s: got %#v, want %#v", frame, fast, slow)
			}
		}
		if play, stop := MustEncode(&Play{}), MustEncode(&Stop{}); !bytes.Equal(play, playFrame) || !bytes.Equal(stop, stopFrame) {
			t.Errorf("play and stop encode as %s and %s, known by their bytes as %s and %s", play, stop, playFrame, stopFrame)
		}
	})
	t.Run("every server message round-trips", func(t *testing.T) {
		for _, m := range []Message{
			&Welcome{You: "u", Jam: JamInfo{ID: "j", Timeline: NewTimeline(5)}, Members: []Member{{ID: "u", Loop: "bass", Playing: true, Bar: 3}}},
			&Joined{Member: Member{ID: "x"}}, &Left{ID: "x"}, &Played{ID: "x", Bar: 2}, &Stopped{ID: "x", Bar: -1},
			&Swapped{ID: "x", Loop: "keys", Bar: 9}, &Pong{ID: 1, T0: 2, Now: 3.5}, Errorf(CodeLoopTaken, "taken"),
		} {
			got, err := DecodeServer(MustEncode(m))
			if err != nil {
				t.Fatalf("%T: %v", m, err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Errorf("got %#v, want %#v", got, m)
			}
		}
	})
	t.Run("unknown fields are ignored so the protocol can grow", func(t *testing.T) {
		got, err := DecodeClient([]byte(`{"type":"swap","loop":"bass","future":[1,2]}`))
		if err != nil || got.(*Swap).Loop != "bass" {
			t.Errorf("got %v, %v", got, err)
		}
	})
	t.Run("an unknown type is an unknown_type error, not a bad frame", func(t *testing.T) {
		_, err := DecodeClient([]byte(`{"type":"dance"}`))
		var pe *Error
		if !errors.As(err, &pe) || pe.Code != CodeUnknownType {
			t.Errorf("got %v, want unknown_type", err)
		}
	})
	t.Run("a server type sent by a client is an unknown type", func(t *testing.T) {
		_, err := DecodeClient([]byte(`{"type":"welcome"}`))
		var pe *Error
		if !errors.As(err, &pe) || pe.Code != CodeUnknownType {
			t.Errorf("got %v, want unknown_type", err)
		}
	})
	bad := map[string]string{
		"malformed JSON":           `{"type":"play"`,
		"not an object":            `["play"]`,
		"a bare string":            `"play"`,
		"null":                     `null`,
		"no type":                  `{"jam":""}`,
		"a numeric type":           `{"type":3}`,
		"a null type":              `{"type":null}`,
		"a wrong-typed field":      `{"type":"swap","loop":5}`,
		"a fractional ping id":     `{"type":"ping","id":1.5,"t0":1}`,
		"a string t0":              `{"type":"ping","id":1,"t0":"now"}`,
		"an object where a string": `{"type":"join","jam":{},"resume":""}`,
		"trailing garbage":         `{"type":"play"} x`,
		"empty":                    ``,
	}
	for name, frame := range bad {
		t.Run(name+" closes with 1007", func(t *testing.T) {
			_, err := DecodeClient([]byte(frame))
			var bf *BadFrameError
			if !errors.As(err, &bf) || bf.Status != StatusInvalidPayload {
				t.Errorf("DecodeClient(%q) = %v, want a 1007 bad frame", frame, err)
			}
		})
	}
}

// FuzzDecodeClient checks that no frame panics the decoder, that every frame
// gets exactly one of a message, a protocol error or a bad-frame error, and
// that a decoded message encodes and decodes back to itself.
func FuzzDecodeClient(f *testing.F) {
	for _, seed := range []string{
		`{"type":"join","jam":"","resume":""}`, `{"type":"join","jam":"abc-123","resume":"tok"}`,
		`{"type":"play"}`, `{"type":"stop"}`, `{"type":"swap","loop":"bass"}`, `{"type":"leave"}`,
		`{"type":"ping","id":1,"t0":1732500000123.25}`, `{"type":"dance"}`, `{"type":3}`, `[]`, `null`,
		`{"type":"ping","id":1e400}`, `{"type":"swap","loop":"\ud800"}`, `{"type":"play","type":"stop"}`,
		strings.Repeat(`[`, 10000), `{"type":"join","jam":` + strings.Repeat(`"a`, 3) + `}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		m, err := DecodeClient(frame)
		if (m == nil) == (err == nil) {
			t.Fatalf("DecodeClient(%q) = %v, %v: want exactly one", frame, m, err)
		}
		if err != nil {
			var pe *Error
			var bf *BadFrameError
			if !errors.As(err, &pe) && !errors.As(err, &bf) {
				t.Fatalf("DecodeClient(%q): error of type %T", frame, err)
			}
			return
		}
		again, err := DecodeClient(MustEncode(m))
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("%#v does not round-trip: %#v, %v", m, again, err)
		}
	})
}
