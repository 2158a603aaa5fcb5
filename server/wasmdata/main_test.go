package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"
)

// module returns a WASM module of a data count section and a data section
// of segs, as Go's linker lays them out.
func module(segs []segment) []byte {
	b := []byte("\x00asm\x01\x00\x00\x00")
	count := binary.AppendUvarint(nil, uint64(len(segs)))
	b = append(b, dataCountSection, byte(len(count)))
	b = append(b, count...)
	data := writeSegments(segs)
	b = append(b, dataSection)
	b = binary.AppendUvarint(b, uint64(len(data)))
	return append(b, data...)
}

// image returns the memory a module's data segments make.
func image(t *testing.T, m []byte) []byte {
	t.Helper()
	sections, err := readSections(m)
	if err != nil {
		t.Fatal(err)
	}
	var mem []byte
	for _, s := range sections {
		if s.id != dataSection {
			continue
		}
		segs, err := readSegments(s.body)
		if err != nil {
			t.Fatal(err)
		}
		for _, seg := range segs {
			if end := int(seg.offset) + len(seg.data); end > len(mem) {
				mem = append(mem, make([]byte, end-len(mem))...)
			}
			copy(mem[seg.offset:], seg.data)
		}
	}
	return mem
}

func TestMergeData(t *testing.T) {
	in := module([]segment{
		{0, []byte("ab")},
		{4, []byte("c")},     // 2 zeros after "ab": joined
		{5, []byte("de")},    // right after: joined
		{1000, []byte("f")},  // 993 zeros after: apart
		{1001, []byte("g")},  // joined to "f"
		{500, []byte("h")},   // before the last end: apart
		{2000, []byte("ij")}, // apart
	})
	out, before, after, err := mergeData(in, 256)
	if err != nil {
		t.Fatal(err)
	}
	if before != 7 || after != 4 {
		t.Errorf("%d segments merged into %d, want 7 into 4", before, after)
	}
	if !bytes.Equal(image(t, in), image(t, out)) {
		t.Error("the merged segments make another memory")
	}
	if count, _ := binary.Uvarint(out[10:]); out[8] != dataCountSection || count != 4 {
		t.Errorf("the data count section says %d, want 4", count)
	}
	if _, _, _, err := mergeData([]byte("\x00asm\x01\x00\x00\x00"), 256); err == nil {
		t.Error("a module without data was rewritten")
	}
	passive := append(module(nil)[:len(module(nil))-2], dataSection, 4, 1, 1, 1, 'x')
	if _, _, _, err := mergeData(passive, 256); err == nil {
		t.Error("a passive segment was rewritten")
	}
}

// TestMergeAppWASM merges the app's WASM when it is built (make build) and
// wants the same memory from far fewer segments.
func TestMergeAppWASM(t *testing.T) {
	in, err := os.ReadFile("../../web/static/app.wasm")
	if err != nil {
		t.Skip("no web/static/app.wasm: make build")
	}
	out, before, after, err := mergeData(in, maxGap)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d segments into %d, %d bytes into %d", before, after, len(in), len(out))
	if after > 100 || after > before {
		t.Errorf("%d segments merged into %d, want at most 100", before, after)
	}
	if !bytes.Equal(image(t, in), image(t, out)) {
		t.Error("the merged segments make another memory")
	}
}
