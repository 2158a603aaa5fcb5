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
	"golden-hour/drums":   0xfa14159ed0c14a9a,
	"golden-hour/bass":    0x38d8d3c5921e54c9,
	"golden-hour/keys":    0x849e0d9a9cf51101,
	"golden-hour/guitar":  0xdd52c3b489b0a9e6,
	"golden-hour/lead":    0xbc06d75e192af723,
	"golden-hour/pad":     0x83ca9f0f084c0188,
	"golden-hour/arp":     0x5366051a0341d521,
	"golden-hour/congas":  0xc8ebca29efc519eb,
	"golden-hour/shaker":  0x5fbec667f87d9972,
	"golden-hour/bells":   0x7047c87b12151c72,
	"golden-hour/texture": 0xff886847f273220b,
	"golden-hour/clav":    0xfb8fae7612eece85,
	"dusty-tapes/drums":   0xa60df3b654d848f8,
	"dusty-tapes/bass":    0x83c9643888cc529d,
	"dusty-tapes/keys":    0xa3bbb6132550cb13,
	"dusty-tapes/guitar":  0xfebad6f83656b389,
	"dusty-tapes/lead":    0xfd02223ce39f24d2,
	"dusty-tapes/pad":     0x727f98e768826751,
	"dusty-tapes/bells":   0x766ffe138018a099,
	"dusty-tapes/perc":    0x95d5f971a4cac24c,
	"after-hours/drums":   0x52e82811015babd3,
	"after-hours/bass":    0x59f682c8e1935049,
	"after-hours/stabs":   0x0121e822297bc1cc,
	"after-hours/piano":   0xf6a6d711756d5989,
	"after-hours/pad":     0x0884b88e4d16ff15,
	"after-hours/arp":     0x6e53ed11d7931013,
	"after-hours/perc":    0xc2ae413d46a92751,
	"after-hours/lead":    0x1373ccfd506cc279,
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
