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
	"golden-hour/drums":   0x6afcc01b7865a2f2,
	"golden-hour/bass":    0xfe1250397bd70f61,
	"golden-hour/keys":    0x378c405d96e2c816,
	"golden-hour/guitar":  0x9a0104da04365cd5,
	"golden-hour/lead":    0x83a7c506afe7a0ec,
	"golden-hour/pad":     0xa593750a949d9b91,
	"golden-hour/arp":     0x50d9963e0c271512,
	"golden-hour/congas":  0x8c66d2e512beaf36,
	"golden-hour/shaker":  0x5fbec667f87d9972,
	"golden-hour/bells":   0xd8465cf531b7a151,
	"golden-hour/texture": 0xf4ddcb9ed0f3646e,
	"golden-hour/clav":    0x1e313475254d8741,
	"dusty-tapes/drums":   0xcbb744d2f27338bd,
	"dusty-tapes/bass":    0x9f9b4bb30e56bc75,
	"dusty-tapes/keys":    0x1433a0ee5f92ca92,
	"dusty-tapes/guitar":  0xfebad6f83656b389,
	"dusty-tapes/lead":    0xa57dcda2e1874418,
	"dusty-tapes/pad":     0x7d3c63151d4f9281,
	"dusty-tapes/bells":   0x994614676fd37bc5,
	"dusty-tapes/perc":    0x179f5acfcb5fb9d9,
	"after-hours/drums":   0xa7dfce33fd2660de,
	"after-hours/bass":    0x82eadbc0710b33a1,
	"after-hours/stabs":   0xebdfbda636294f73,
	"after-hours/piano":   0xc5a3e8f697449e45,
	"after-hours/pad":     0x643be221fdc385cc,
	"after-hours/arp":     0xd6ca5d3949a1d49b,
	"after-hours/perc":    0x149670816259626c,
	"after-hours/lead":    0xa73e646f0ca784a9,
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
