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
	"golden-hour/drums":   0x6f4781d90cbbd906,
	"golden-hour/bass":    0xa637b0834ab7a06d,
	"golden-hour/keys":    0xd78d19d03ebcea8d,
	"golden-hour/guitar":  0x635b4d6a72a6a290,
	"golden-hour/lead":    0xe6c984b3075a9334,
	"golden-hour/pad":     0x8277364b99229885,
	"golden-hour/arp":     0xb83fe426f6029de7,
	"golden-hour/congas":  0x8390fe83d47a9033,
	"golden-hour/shaker":  0x7df626e4877f3258,
	"golden-hour/bells":   0x59faae461b11b62f,
	"golden-hour/texture": 0xee52f4bc632fc61c,
	"golden-hour/clav":    0xa7206f4d61c6e65a,
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
