//go:build !wasm

package loadgen

import (
	"reflect"
	"testing"

	"github.com/loopswithfriends/loops/shared"
)

func TestDecodeToggle(t *testing.T) {
	t.Run("played and stopped decode as shared.DecodeServer decodes them", func(t *testing.T) {
		for _, m := range []shared.Message{
			&shared.Played{ID: "0b7c2f0e-4a51-4bde-9a49-6c8f0f3c2b11", Bar: 12345},
			&shared.Stopped{ID: "u", Bar: -3},
			&shared.Played{ID: "", Bar: 0},
		} {
			frame := shared.MustEncode(m)
			got, ok := decodeToggle(frame)
			want, err := shared.DecodeServer(frame)
			if !ok || err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%s: got %#v (%v), want %#v (%v)", frame, got, ok, want, err)
			}
		}
	})
	t.Run("anything else is left to shared.DecodeServer", func(t *testing.T) {
		for _, frame := range []string{
			`{"type":"played","id":"a","bar":1,"x":2}`,
			`{"type":"played","id":"a\"b","bar":1}`,
			`{"type":"played","bar":1,"id":"a"}`,
			`{"type":"played","id":"a","bar":1.5}`,
			`{"type":"joined","member":{}}`,
		} {
			if m, ok := decodeToggle([]byte(frame)); ok {
				t.Errorf("%s decoded as %#v", frame, m)
			}
		}
	})
}
