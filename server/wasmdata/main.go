// Command wasmdata rewrites a WASM module's data section in place with its
// active segments merged where the gap between two is at most maxGap
// bytes, the gap written as the zeros memory holds there anyway: the
// memory a module starts with is the same, byte for byte.
//
// Why: Go's linker splits the program's data at every run of zeros, which
// gave the app's WASM 82,739 segments, each with its own offset and length
// to send and for the browser to decode and copy one by one at
// instantiation. Merged across gaps of up to 256 bytes they are about ten:
// 0.8 MB more raw bytes, all zeros, but 7 % fewer brotli bytes (the offsets
// gone) and about 15 % less time to instantiate (BENCHMARKS.md, App load).
//
// Usage, after `go build` of the WASM (the Makefile's wasm target):
//
//	go run ./server/wasmdata web/static/app.wasm
//
// A module whose data section it does not understand (a passive segment,
// an offset that is not an i32.const) is left as it is, with a message.
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
)

// maxGap is the largest run of zeros written to join two segments.
const maxGap = 256

// Section ids of the binary format.
const (
	dataCountSection = 12
	dataSection      = 11
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: wasmdata FILE.wasm")
		os.Exit(2)
	}
	name := os.Args[1]
	in, err := os.ReadFile(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasmdata:", err)
		os.Exit(1)
	}
	out, before, after, err := mergeData(in, maxGap)
	if err != nil {
		fmt.Fprintf(os.Stderr, "wasmdata: %s left as it is: %v\n", name, err)
		return
	}
	if err := os.WriteFile(name, out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "wasmdata:", err)
		os.Exit(1)
	}
	fmt.Printf("wasmdata: %s: %d data segments merged into %d\n", name, before, after)
}

// segment is an active data segment of memory 0.
type segment struct {
	offset uint32
	data   []byte
}

// section is a section of a module: its id and its body.
type section struct {
	id   byte
	body []byte
}

// readSections splits a module into its sections.
func readSections(module []byte) ([]section, error) {
	if len(module) < 8 || !bytes.Equal(module[:4], []byte("\x00asm")) {
		return nil, errors.New("not a WASM module")
	}
	var sections []section
	for p := 8; p < len(module); {
		id := module[p]
		size, n := binary.Uvarint(module[p+1:])
		start := p + 1 + n
		if n <= 0 || size > uint64(len(module)-start) {
			return nil, errors.New("a section runs past the end")
		}
		sections = append(sections, section{id, module[start : start+int(size)]})
		p = start + int(size)
	}
	return sections, nil
}

// mergeData returns the module with its data segments merged across gaps
// of at most gap bytes, and how many segments it had and has.
func mergeData(module []byte, gap int) (out []byte, before, after int, err error) {
	sections, err := readSections(module)
	if err != nil {
		return nil, 0, 0, err
	}
	i := slices.IndexFunc(sections, func(s section) bool { return s.id == dataSection })
	if i < 0 {
		return nil, 0, 0, errors.New("no data section")
	}
	segs, err := readSegments(sections[i].body)
	if err != nil {
		return nil, 0, 0, err
	}
	merged := merge(segs, gap)
	out = append(out, module[:8]...)
	for _, s := range sections {
		body := s.body
		switch s.id {
		case dataSection:
			body = writeSegments(merged)
		case dataCountSection:
			body = binary.AppendUvarint(nil, uint64(len(merged)))
		}
		out = append(out, s.id)
		out = binary.AppendUvarint(out, uint64(len(body)))
		out = append(out, body...)
	}
	return out, len(segs), len(merged), nil
}

// readSegments reads a data section whose segments are all active, in
// memory 0, at an i32.const offset (what Go's linker writes).
func readSegments(b []byte) ([]segment, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return nil, errors.New("a bad data section")
	}
	b = b[k:]
	segs := make([]segment, 0, n)
	for range n {
		if len(b) < 2 || b[0] != 0 || b[1] != 0x41 { // flags 0 (active, memory 0), i32.const
			return nil, errors.New("a data segment that is not active at an i32.const offset")
		}
		offset, k := readSLEB(b[2:])
		if k <= 0 || 2+k >= len(b) || b[2+k] != 0x0b || offset < 0 || offset > 1<<32-1 {
			return nil, errors.New("a bad data segment offset")
		}
		b = b[2+k+1:]
		size, k := binary.Uvarint(b)
		if k <= 0 || size > uint64(len(b)-k) {
			return nil, errors.New("a data segment runs past its section")
		}
		segs = append(segs, segment{uint32(offset), b[k : k+int(size)]})
		b = b[k+int(size):]
	}
	if len(b) != 0 {
		return nil, errors.New("bytes after the last data segment")
	}
	return segs, nil
}

// merge joins each segment to the one before it when it starts at most
// gap bytes after that one's end; segments out of order or overlapping
// stay apart, so the memory they make is the same.
func merge(segs []segment, gap int) []segment {
	var out []segment
	for _, s := range segs {
		if len(out) > 0 {
			last := &out[len(out)-1]
			end := uint64(last.offset) + uint64(len(last.data))
			if uint64(s.offset) >= end && uint64(s.offset)-end <= uint64(gap) {
				last.data = append(append(last.data, make([]byte, uint64(s.offset)-end)...), s.data...)
				continue
			}
		}
		out = append(out, segment{s.offset, append([]byte(nil), s.data...)})
	}
	return out
}

// writeSegments encodes segments as a data section's body.
func writeSegments(segs []segment) []byte {
	b := binary.AppendUvarint(nil, uint64(len(segs)))
	for _, s := range segs {
		b = append(b, 0, 0x41)
		b = appendSLEB(b, int64(s.offset))
		b = append(b, 0x0b)
		b = binary.AppendUvarint(b, uint64(len(s.data)))
		b = append(b, s.data...)
	}
	return b
}

// readSLEB reads a signed LEB128 number; k is how many bytes, 0 if none.
func readSLEB(b []byte) (v int64, k int) {
	var shift uint
	for i, c := range b {
		if i == 10 {
			return 0, 0
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, i + 1
		}
	}
	return 0, 0
}

// appendSLEB appends v as a signed LEB128 number.
func appendSLEB(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 && c&0x40 == 0 || v == -1 && c&0x40 != 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
