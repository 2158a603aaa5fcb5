package sound

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/loopswithfriends/loops/shared/sound/measure"
)

// The kits' goals (issue 11), measured as a producer would measure the
// loops: every kit is held to them at 48 kHz.
const goalRate = 48000

// masterCurve is the master bus's WaveShaper curve.
var masterCurve = LimiterCurve(LimiterPoints)

// master puts a mix through the master bus in place, as the browser's
// WaveShaper plays it: the curve read between its points, inputs beyond ±1
// held at its ends. It returns the most the limiter took off any peak, in
// dB: the peak's level after the make-up gain against its level out.
func master(left, right []float32) (cutDB float64) {
	const half = (LimiterPoints - 1) / 2
	var peak float32
	for _, ch := range [2][]float32{left, right} {
		for i, x := range ch {
			peak = max(peak, x, -x)
			p := min(max(x, -1), 1)*half + half
			k := min(int(p), LimiterPoints-2)
			f := p - float32(k)
			ch[i] = masterCurve[k] + f*(masterCurve[k+1]-masterCurve[k])
		}
	}
	if peak == 0 {
		return 0
	}
	return 20 * math.Log10(MasterGain*float64(peak)/math.Abs(Limit(MasterGain*min(float64(peak), 1))))
}

// sum adds loops into l and r, or into new slices when they are nil.
func sum(l, r []float32, loops ...rendered) ([]float32, []float32) {
	if l == nil {
		l, r = make([]float32, len(loops[0].left)), make([]float32, len(loops[0].left))
	} else {
		clear(l)
		clear(r)
	}
	for _, k := range loops {
		for i := range l {
			l[i] += k.left[i]
			r[i] += k.right[i]
		}
	}
	return l, r
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return (s[(len(s)-1)/2] + s[len(s)/2]) / 2
}

func TestGoals(t *testing.T) {
	for _, k := range kits {
		loops := renderKit(t, k.ID, goalRate)
		t.Run(k.ID+": every loop is within 1.5 LU of the kit's median loudness", func(t *testing.T) {
			lufs := make([]float64, len(loops))
			for i, l := range loops {
				lufs[i] = measure.LoopLoudness(goalRate, l.left, l.right)
			}
			m := median(lufs)
			for i, l := range loops {
				t.Logf("%-8s %6.2f LUFS, peak %6.2f dBFS", l.id, lufs[i], dbfs(peak(l.left, l.right)))
				if math.Abs(lufs[i]-m) > 1.5 {
					t.Errorf("%s: %.2f LUFS, %.2f LU from the median %.2f", l.id, lufs[i], lufs[i]-m, m)
				}
			}
		})
		t.Run(k.ID+": on a phone no loop loses more than 8 LU, the full mix no more than 4", func(t *testing.T) {
			for _, l := range loops {
				loss := measure.PhoneLoss(goalRate, l.left, l.right)
				t.Logf("%-8s loses %5.2f LU", l.id, loss)
				if loss > 8 {
					t.Errorf("%s loses %.2f LU on a phone", l.id, loss)
				}
			}
			ml, mr := sum(nil, nil, loops...)
			loss := measure.PhoneLoss(goalRate, ml, mr)
			t.Logf("full mix loses %.2f LU", loss)
			if loss > 4 {
				t.Errorf("the full mix loses %.2f LU on a phone", loss)
			}
		})
		t.Run(k.ID+": the full mix has at most 25% of its energy in 100-400 Hz and at least 6% in 2-5 kHz", func(t *testing.T) {
			for _, l := range loops {
				b := measure.Bands(goalRate, l.left, l.right, [2]float64{100, 400}, [2]float64{2000, 5000})
				t.Logf("%-8s 100-400 Hz %4.1f%%, 2-5 kHz %4.1f%%", l.id, 100*b[0], 100*b[1])
			}
			ml, mr := sum(nil, nil, loops...)
			b := measure.Bands(goalRate, ml, mr, [2]float64{100, 400}, [2]float64{2000, 5000})
			t.Logf("100-400 Hz %.1f%%, 2-5 kHz %.1f%%", 100*b[0], 100*b[1])
			if b[0] > 0.25 || b[1] < 0.06 {
				t.Errorf("100-400 Hz %.1f%%, 2-5 kHz %.1f%%", 100*b[0], 100*b[1])
			}
		})
		t.Run(k.ID+": no loop's halves are the same: they correlate under 0.97", func(t *testing.T) {
			for _, l := range loops {
				c := measure.HalfCorrelation(l.left, l.right)
				t.Logf("%-8s halves correlate %.3f", l.id, c)
				if c >= 0.97 {
					t.Errorf("%s: halves correlate %.3f", l.id, c)
				}
			}
		})
		t.Run(k.ID+": every pitched loop's four strongest pitch classes are in the key", func(t *testing.T) {
			inKey := map[int]bool{}
			for _, pc := range k.scale {
				inKey[pc] = true
			}
			for i, l := range loops {
				if !k.parts[i].pitched {
					continue
				}
				chroma := measure.Chroma(goalRate, l.left, l.right)
				order := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
				slices.SortFunc(order, func(a, b int) int { return -cmpFloat(chroma[a], chroma[b]) })
				var in, total float64
				for pc, e := range chroma {
					total += e
					if inKey[pc] {
						in += e
					}
				}
				n := measure.PitchClassNames
				t.Logf("%-8s strongest %s %s %s %s, in key %.0f%%", l.id, n[order[0]], n[order[1]], n[order[2]], n[order[3]], 100*in/total)
				for _, pc := range order[:4] {
					if !inKey[pc] {
						t.Errorf("%s: %s is among its four strongest pitch classes", l.id, n[pc])
					}
				}
				if in/total < 0.8 {
					t.Errorf("%s: only %.0f%% of its tonal energy is in the key", l.id, 100*in/total)
				}
			}
		})
		t.Run(k.ID+": every drum part's strongest pitch class, its tuned kick, snare body, toms or congas, is in the key", func(t *testing.T) {
			inKey := map[int]bool{}
			for _, pc := range k.scale {
				inKey[pc] = true
			}
			for i, l := range loops {
				// The shaker and the texture are noise: no pitch to
				// be in a key.
				if k.parts[i].pitched || l.id == "shaker" || l.id == "texture" {
					continue
				}
				chroma := measure.Chroma(goalRate, l.left, l.right)
				top, out := 0, -1
				for pc := range chroma {
					if chroma[pc] > chroma[top] {
						top = pc
					}
					if !inKey[pc] && (out < 0 || chroma[pc] > chroma[out]) {
						out = pc
					}
				}
				n := measure.PitchClassNames
				t.Logf("%-8s strongest %s, %.1f dB over the strongest out of the key, %s", l.id, n[top], 10*math.Log10(chroma[top]/chroma[out]), n[out])
				if !inKey[top] {
					t.Errorf("%s: its strongest pitch class, %s, is out of the key", l.id, n[top])
				}
			}
		})
		t.Run(k.ID+": every loop's onsets are within 10 ms of its swung sixteenth grid", func(t *testing.T) {
			n := len(loops[0].left)
			beats := k.BeatsPerBar * k.BarsPerLoop
			var grid []float64
			for s := range beats*stepsPerBeat + 1 {
				grid = append(grid, swing(s, k.swing)*float64(n)/float64(beats))
			}
			for _, l := range loops {
				onsets := measure.Onsets(goalRate, l.left, l.right, 0.1)
				worst, late := 0.0, 0
				for _, o := range onsets {
					d := math.Inf(1)
					for _, g := range grid {
						d = min(d, math.Abs(float64(o)-g))
					}
					ms := d / goalRate * 1000
					worst = max(worst, ms)
					if ms > 10 {
						late++
					}
				}
				t.Logf("%-8s %3d onsets, the farthest %.1f ms from the grid", l.id, len(onsets), worst)
				if part := k.parts[slices.IndexFunc(k.parts, func(p *part) bool { return p.id == l.id })]; !part.sustained && len(onsets) < 4 {
					t.Errorf("%s: %d onsets found", l.id, len(onsets))
				}
				if late > 0 {
					t.Errorf("%s: %d of %d onsets more than 10 ms off the grid (the farthest %.1f ms)", l.id, late, len(onsets), worst)
				}
			}
		})
		t.Run(k.ID+": through the master bus one loop plays at -18 to -14 LUFS, any 7 at -12 to -9, and the limiter takes at most 6 dB off a peak", func(t *testing.T) {
			ml, mr := sum(nil, nil, loops[0])
			aloneLo, aloneHi := math.Inf(1), math.Inf(-1)
			for _, l := range loops {
				ml, mr = sum(ml, mr, l)
				cut := master(ml, mr)
				lufs := measure.LoopLoudness(goalRate, ml, mr)
				aloneLo, aloneHi = min(aloneLo, lufs), max(aloneHi, lufs)
				if lufs < -18 || lufs > -14 || cut > 6 {
					t.Errorf("%s alone: %.2f LUFS, limiter %.2f dB", l.id, lufs, cut)
				}
			}
			t.Logf("1 loop: %.2f to %.2f LUFS", aloneLo, aloneHi)
			// A random 200 combinations of 7, and the loudest: the 7
			// loudest loops.
			rng := rand.New(rand.NewPCG(11, uint64(len(loops))))
			var combos [][]int
			for range 200 {
				combos = append(combos, rng.Perm(len(loops))[:7])
			}
			byLoud := make([]int, len(loops))
			lufs := make([]float64, len(loops))
			for i, l := range loops {
				byLoud[i] = i
				lufs[i] = measure.LoopLoudness(goalRate, l.left, l.right)
			}
			slices.SortFunc(byLoud, func(a, b int) int { return -cmpFloat(lufs[a], lufs[b]) })
			combos = append(combos, byLoud[:7])
			lo, hi, worstCut := math.Inf(1), math.Inf(-1), 0.0
			for _, c := range combos {
				var sel []rendered
				for _, i := range c {
					sel = append(sel, loops[i])
				}
				ml, mr = sum(ml, mr, sel...)
				cut := master(ml, mr)
				v := measure.LoopLoudness(goalRate, ml, mr)
				lo, hi, worstCut = min(lo, v), max(hi, v), max(worstCut, cut)
				if v < -12 || v > -9 || cut > 6 {
					var ids []string
					for _, s := range sel {
						ids = append(ids, s.id)
					}
					t.Errorf("%v: %.2f LUFS, limiter %.2f dB", ids, v, cut)
				}
			}
			t.Logf("7 loops: %.2f to %.2f LUFS, limiter at most %.2f dB", lo, hi, worstCut)
		})
	}
}
