package sound

import (
	"fmt"
	"hash/fnv"
	"math"
	"runtime"
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
	"drums":   0x0bb28043a920820a,
	"bass":    0xc506fabc1420454d,
	"keys":    0x4bece2234582c241,
	"guitar":  0xfa0a719905df8b27,
	"lead":    0xe5e95bcf8c4db69c,
	"pad":     0x3aa8c997b6413638,
	"arp":     0x45553a1ef333cb7f,
	"congas":  0x5973da435761275f,
	"shaker":  0x4a76b1924c19f867,
	"bells":   0xb2ae9faee31c313c,
	"texture": 0x55581b9a93b885c9,
	"clav":    0x54498f45149e961e,
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
		// Architectures that fuse multiply-adds (arm64, ppc64, s390x, riscv64)
		// round differently: close, not equal.
		if runtime.GOARCH != "amd64" && runtime.GOARCH != "wasm" {
			t.Skipf("no golden samples for %s", runtime.GOARCH)
		}
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
