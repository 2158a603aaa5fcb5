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

// goldenHashes are FNV-1a hashes of every loop at 44.1 kHz (the bits of
// left, then right). The server's WAV files and the browser's loops are the
// same samples only if amd64 and wasm agree on them, bit for bit; this test,
// run natively and under Node (BENCHMARKS.md has the command), checks that
// they do. A change to the sound changes them: the failure prints the new
// table to paste here.
var goldenHashes = map[string]uint64{
	"drums":   0x0dba783672cf9f31,
	"bass":    0x7543e5955b5d1625,
	"keys":    0x8e8bc33cbf2f4471,
	"guitar":  0xf2491e6e959040d3,
	"lead":    0x195ec57aa49a467d,
	"pad":     0x3e3c2de53eedac00,
	"arp":     0x73c0dc17a9006085,
	"congas":  0xec4582a73da49778,
	"shaker":  0xfb7ae231345acd53,
	"bells":   0xefd8896672c966a9,
	"texture": 0xc0d326bc2f2952ad,
	"clav":    0x48260056e3db4b17,
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
		for _, k := range renderKit(t, 44100) {
			h := loopHash(k.left, k.right)
			fmt.Fprintf(&table, "\t%q: %#016x,\n", k.id, h)
			if want, ok := goldenHashes[k.id]; !ok || h != want {
				t.Errorf("%s: hash %#016x, want %#016x", k.id, h, want)
				failed = true
			}
		}
		if failed {
			t.Logf("if the sound changed on purpose, the new table is:\n%s", table.String())
		}
	})
}
