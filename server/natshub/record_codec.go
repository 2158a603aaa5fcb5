//go:build !wasm

package natshub

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/loopswithfriends/loops/shared"
)

// A jam's record is written on every change of the jam and read by every
// node, once per write: on a busy cluster most of a node's own work. It
// travels in a compact binary form rather than JSON, which took 30 µs to
// decode a jam of seven (1.2 KB); the codec is in this file, and
// record_codec_test.go checks that every field of a record survives it.
//
// The form: a version byte, then the fields in the order of the structs,
// strings and byte slices as a uvarint length and the bytes, integers as
// varints (uvarints when unsigned), floats as their 8 bytes, bools as a
// byte, and lists as a uvarint count and their elements.

// recordVersion is the first byte of every encoded record.
const recordVersion = 1

var errBadRecord = errors.New("bad jam record")

func (r *jamRecord) encode() []byte {
	b := make([]byte, 0, 64+len(r.Members)*80+len(r.Events)*120)
	b = append(b, recordVersion)
	b = appendString(b, r.Kit)
	b = appendFloat(b, r.Timeline.Epoch)
	b = binary.AppendVarint(b, int64(r.Timeline.BPM))
	b = binary.AppendVarint(b, int64(r.Timeline.BeatsPerBar))
	b = binary.AppendVarint(b, int64(r.Timeline.BarsPerLoop))
	b = appendFloat(b, r.Created)
	b = appendBool(b, r.Private)
	b = binary.AppendUvarint(b, uint64(len(r.Members)))
	for _, m := range r.Members {
		b = appendString(b, m.ID)
		b = appendString(b, m.Loop)
		b = appendBool(b, m.Playing)
		b = binary.AppendVarint(b, m.Bar)
		b = appendString(b, m.Node)
		b = binary.AppendUvarint(b, m.Seq)
	}
	b = binary.AppendUvarint(b, uint64(len(r.Events)))
	for _, e := range r.Events {
		b = appendBytes(b, e.Frame)
		b = appendString(b, e.Skip)
		b = appendString(b, e.Gone)
		b = binary.AppendVarint(b, int64(e.Status))
		b = appendString(b, e.Reason)
		b = appendString(b, e.Node)
		b = appendString(b, e.Of)
		b = binary.AppendUvarint(b, e.Seq)
	}
	return b
}

func decodeRecord(b []byte) (*jamRecord, error) {
	d := recordDecoder{b: b}
	if d.byte() != recordVersion {
		return nil, errBadRecord
	}
	r := &jamRecord{Kit: d.string()}
	r.Timeline = shared.Timeline{Epoch: d.float(), BPM: d.int(), BeatsPerBar: d.int(), BarsPerLoop: d.int()}
	r.Created = d.float()
	r.Private = d.bool()
	if n := d.count(); n > 0 {
		r.Members = make([]memberRecord, n)
		for i := range r.Members {
			m := &r.Members[i]
			m.ID, m.Loop, m.Playing, m.Bar = d.string(), d.string(), d.bool(), d.varint()
			m.Node, m.Seq = d.string(), d.uvarint()
		}
	}
	if n := d.count(); n > 0 {
		r.Events = make([]jamEvent, n)
		for i := range r.Events {
			e := &r.Events[i]
			e.Frame = d.bytes()
			e.Skip, e.Gone, e.Status, e.Reason = d.string(), d.string(), d.int(), d.string()
			e.Node, e.Of, e.Seq = d.string(), d.string(), d.uvarint()
		}
	}
	if d.bad || len(d.b) > 0 {
		return nil, errBadRecord
	}
	return r, nil
}

// A play or stop on its plain publish (fast.go) is read by every node, as
// a record is, and travels in the same form: a version byte, then of,
// seq, play, bar and frame.

// fastVersion is the first byte of every encoded play or stop.
const fastVersion = 1

func (ev *fastEvent) encode() []byte {
	b := make([]byte, 0, 24+len(ev.Of)+len(ev.Frame))
	b = append(b, fastVersion)
	b = appendString(b, ev.Of)
	b = binary.AppendUvarint(b, ev.Seq)
	b = appendBool(b, ev.Play)
	b = binary.AppendVarint(b, ev.Bar)
	return appendBytes(b, ev.Frame)
}

// decodeFast returns the play or stop of a plain publish; false when b is
// not one.
func decodeFast(b []byte) (fastEvent, bool) {
	d := recordDecoder{b: b}
	if d.byte() != fastVersion {
		return fastEvent{}, false
	}
	ev := fastEvent{Of: d.string(), Seq: d.uvarint(), Play: d.bool(), Bar: d.varint(), Frame: d.bytes()}
	if d.bad || len(d.b) > 0 || ev.Of == "" || ev.Seq == 0 || len(ev.Frame) == 0 {
		return fastEvent{}, false
	}
	return ev, true
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendBytes(b, v []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(v))), v...)
}

func appendFloat(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// recordDecoder reads an encoded record; past its first error, every read
// returns the zero value and bad is set.
type recordDecoder struct {
	b   []byte
	bad bool
}

func (d *recordDecoder) byte() byte {
	if len(d.b) < 1 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *recordDecoder) bool() bool { return d.byte() == 1 }

func (d *recordDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *recordDecoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *recordDecoder) int() int { return int(d.varint()) }

func (d *recordDecoder) float() float64 {
	if len(d.b) < 8 {
		d.bad, d.b = true, nil
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return f
}

// count reads a list's length, bounded by the bytes left (each element
// takes at least one).
func (d *recordDecoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.bad, d.b = true, nil
		return 0
	}
	return int(n)
}

// bytes reads a byte slice, copied: a record outlives the message it came
// in.
func (d *recordDecoder) bytes() []byte {
	n := d.count()
	if n == 0 {
		return nil
	}
	v := make([]byte, n)
	copy(v, d.b)
	d.b = d.b[n:]
	return v
}

func (d *recordDecoder) string() string {
	n := d.count()
	if n == 0 {
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
