//go:build wasm || (amd64 && !amd64.v3)

// The golden samples hold only where the compiler does not fuse
// multiply-adds: wasm, and amd64 below GOAMD64=v3 (the default is v1).
// arm64, ppc64, s390x, riscv64 and amd64.v3 fuse x*y+z into one rounding:
// close, not equal.

package sound

import (
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"testing"
)

// goldenHashes are FNV-1a hashes of every loop of every kit at 44.1 kHz (the bits of
// left, then right). The server's WAV files and the browser's loops are the
// same samples only if amd64 and wasm agree on them, bit for bit; this test,
// run natively and under Node (BENCHMARKS.md has the command), checks that
// they do. A change to the sound changes them: the failure prints the new
// table to paste here.
var goldenHashes = map[string]uint64{
	"golden-hour/drums":   0xa131575362da6f15,
	"golden-hour/bass":    0xa3e07a60dc58da35,
	"golden-hour/keys":    0xb8631a6a900b5c46,
	"golden-hour/guitar":  0x9008003326ce6d46,
	"golden-hour/lead":    0x03f27f89e4b2f063,
	"golden-hour/pad":     0xa593750a949d9b91,
	"golden-hour/arp":     0x5366051a0341d521,
	"golden-hour/congas":  0xf1e09904ae7b0676,
	"golden-hour/shaker":  0xe82c703dc8763f8a,
	"golden-hour/bells":   0xfe4bc2516574bbc3,
	"golden-hour/texture": 0x9bd33532940580e7,
	"golden-hour/clav":    0x57ee3d81ea386592,
	"dusty-tapes/drums":   0xd8ade026fff9985d,
	"dusty-tapes/bass":    0x9f9b4bb30e56bc75,
	"dusty-tapes/keys":    0xbbdd816a43983455,
	"dusty-tapes/guitar":  0xc7f4103707340134,
	"dusty-tapes/lead":    0x880a25043f00d09e,
	"dusty-tapes/pad":     0xd2aa6ab20a0d3a12,
	"dusty-tapes/bells":   0x766ffe138018a099,
	"dusty-tapes/perc":    0x2ea2b6d4fd838769,
	"after-hours/drums":   0xdbd0456c9a549acb,
	"after-hours/bass":    0x330adaad8a3def45,
	"after-hours/stabs":   0x4b868b4da61482c7,
	"after-hours/piano":   0x9b21f8d0e4e20a69,
	"after-hours/pad":     0xcc6a279f316f65bc,
	"after-hours/arp":     0x6866d0f1d2b568c4,
	"after-hours/perc":    0xa1e1021a8562657c,
	"after-hours/lead":    0x35978bfcf4e2bbf9,
}

func loopHash(left, right []float32) uint64 {
	h := fnv.New64a()
	var b [4]byte
	for _, ch := range [2][]float32{left, right} {
		for _, x := range ch {
			u := math.Float32bits(x)
			b[0], b[1], b[2], b[3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
			h.Write(b[:])
		}
	}
	return h.Sum64()
}

func TestGolden(t *testing.T) {
	t.Run("every loop is the same samples on amd64 and in the browser (wasm)", func(t *testing.T) {
		var table strings.Builder
		failed := false
		for _, kit := range kits {
			for _, k := range renderKit(t, kit.ID, 44100) {
				id := kit.ID + "/" + k.id
				h := loopHash(k.left, k.right)
				fmt.Fprintf(&table, "\t%q: %#016x,\n", id, h)
				if want, ok := goldenHashes[id]; !ok || h != want {
					t.Errorf("%s: hash %#016x, want %#016x", id, h, want)
					failed = true
				}
			}
		}
		if failed {
			t.Logf("if the sound changed on purpose, the new table is:\n%s", table.String())
		}
	})
}
