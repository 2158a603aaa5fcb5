package sound

import "github.com/loopswithfriends/loops/shared"

// afterHoursKit is deep house at 122 BPM in G minor, four bars a loop, a
// chord a bar:
//
//	| Gm9 | Ebmaj7 | Cm9 | Dm7 |
//
// four on the floor, claps on two and four, open hats on the off-beats,
// an off-beat bass and chord stabs, and a fill into the top of the loop.
var afterHoursKit = &kit{
	Kit: shared.KitByID("after-hours"),
	parts: []*part{
		houseDrums, houseBass, houseStabs, housePiano, housePad, houseArp, housePerc, houseLead,
	},
	level: -23.8,
	scale: [7]int{7, 9, 10, 0, 2, 3, 5},
	swing: houseSwing,
}

// houseSwing is a light shuffle.
const houseSwing = 0.08

var houseHarmony = harmony{beats: 4, chords: []chord{
	{"Gm9", 43, [4]int{58, 62, 65, 69}, [4]int{55, 62, 65, 70}, [4]int{7, 10, 2, 5}},
	{"Ebmaj7", 39, [4]int{51, 55, 58, 62}, [4]int{51, 58, 62, 67}, [4]int{3, 7, 10, 2}},
	{"Cm9", 36, [4]int{58, 62, 63, 67}, [4]int{48, 55, 63, 70}, [4]int{0, 3, 7, 10}},
	{"Dm7", 38, [4]int{57, 60, 62, 65}, [4]int{50, 57, 60, 65}, [4]int{2, 5, 9, 0}},
}}

// houseSteps is the loop's length in sixteenths: four bars.
const houseSteps = 64

// The floor: a kick every beat but the loop's last, claps on two and four
// and a roll into the top.
var houseKicks, houseClaps, houseOpens = func() (kicks, claps []hit, opens []int) {
	for s := 0; s < houseSteps; s += 4 {
		if s != 60 {
			kicks = append(kicks, hit{s, 1})
		}
		opens = append(opens, s+2)
		if s%8 == 4 && s < 56 {
			claps = append(claps, hit{s, 1})
		}
	}
	claps = append(claps, hit{60, 1}, hit{61, 0.45}, hit{62, 0.6}, hit{63, 0.8}, hit{58, 0.35}, hit{59, 0.5}, hit{56, 0.9})
	return kicks, claps, opens
}()

var houseDrums = &part{
	id: "drums", seed: 0x4011, drive: 3, presence: 1.5,
	voices: drumVoices(&drumSpec{
		kick:  kickTone{hi: 200, lo: 49, sweep: 0.045, decay: 0.3, knock: 0.4, click: 0.6, drive: 2},
		snare: snareTone{body: [2]float64{196, 293.66}, ring: 0.05, rattle: 0.18, bright: 2200, bodyLevel: 0.25, wireLevel: 1.2},
		hat:   0.035, open: 0.16, hatCut: 7500,
		kicks: houseKicks, snares: houseClaps,
		hats: func(s int) float32 {
			if s >= 56 && s%2 == 1 {
				return 0 // the fill
			}
			if s%2 == 1 {
				return 0.35
			}
			return 0.5
		},
		opens:     houseOpens,
		snareSend: 0.5,
		kickLevel: 1, snareLevel: 0.75, hatLevel: 0.6,
	}, houseSwing),
	room: &room{size: 0.9, decay: 0.7, damp: 6000, wet: 0.4},
}

// houseBass sits between the kicks: on every off-beat eighth, an octave
// jump at the end of each bar, a walk up into the top of the loop.
var houseBass = &part{
	id: "bass", seed: 0xba77, pitched: true, drive: 2,
	voices: bassLineOf(houseHarmony, func() []note {
		var line []note
		for bar := range 4 {
			b := bar * 16
			line = append(line, note{b + 2, 2, 0, 1}, note{b + 6, 2, 0, 0.9}, note{b + 10, 2, 0, 0.95})
			if bar < 3 {
				line = append(line, note{b + 14, 2, 12, 0.85})
			} else {
				line = append(line, note{b + 13, 1, 7, 0.7}, note{b + 14, 2, 10, 0.85})
			}
		}
		return line
	}(), houseSwing, 0.9),
}

// houseStabTone is a bright, short organ-ish pulse.
var houseStabTone = pulseTone{width: 0.5, decay: 0.12, cutoff: 3, sweep: 12, q: 1.6,
	attack: 0.002, fall: 0.2, sustain: 0.3, release: 0.05}

var houseStabs = &part{
	id: "stabs", seed: 0x57ab, pitched: true, drive: 1.6, presence: 1,
	voices: stabsOf(houseHarmony, houseStabTone,
		[]note{{2, 1, 0, 0.9}, {6, 1, 0, 0.7}, {11, 1, 0, 0.8}, {14, 1, 0, 0.6}},
		[]note{{2, 1, 0, 0.9}, {6, 1, 0, 0.7}, {8, 1, 0, 0.6}, {10, 1, 0, 0.8}, {12, 1, 0, 0.9}},
		houseSwing, 12),
	echo: &echo{beats: 0.5, feedback: 0.35, taps: 2, wet: 0.25},
	room: &room{size: 1.2, decay: 1.2, damp: 5000, wet: 0.3},
}

var housePiano = &part{
	id: "piano", seed: 0x9142, pitched: true, presence: 2.5, drive: 2,
	voices: epChordsOf(houseHarmony,
		[]note{{0, 3, 0, 0.9}, {3, 3, 0, 0.6}, {6, 2, 0, 0.75}, {10, 4, 0, 0.7}},
		[]note{{0, 3, 0, 0.9}, {3, 3, 0, 0.6}, {6, 2, 0, 0.75}, {9, 1, 0, 0.6}, {10, 2, 0, 0.8}, {12, 4, 0, 0.85}},
		houseSwing, 12),
	room: &room{size: 1.1, decay: 1.2, damp: 4500, wet: 0.35},
}

var housePad = &part{
	id: "pad", seed: 0x9ad7, pitched: true, sustained: true, presence: 1,
	voices: padChordsOf(houseHarmony, houseKicks, houseSwing, 12),
}

// houseArpTone is a plucked, resonant pulse.
var houseArpTone = pulseTone{width: 0.25, decay: 0.15, cutoff: 2, sweep: 14, q: 2.5,
	attack: 0.002, fall: 0.25, sustain: 0.2, release: 0.06}

var houseArp = &part{
	id: "arp", seed: 0xa4b, pitched: true, presence: 1,
	voices: func() func(g grid, rng *noise) []voice {
		// Up the chord and back in sixteenths, two octaves over its
		// voicing, resting on the last beat of each bar but the last.
		var tune []note
		order := [8]int{0, 1, 2, 3, 4, 3, 2, 1}
		for s := range houseSteps {
			if s%16 >= 12 && s < 48 {
				continue
			}
			ch := houseHarmony.at(float64(s) / stepsPerBeat)
			k := order[s%8]
			m := ch.voicing[k%4] + 12*(k/4) + 12
			vel := float32(0.55)
			if s%4 == 0 {
				vel = 0.85
			}
			tune = append(tune, note{s, 1, m, vel})
		}
		return pulseLineOf(houseArpTone, tune, houseSwing, 0.2)
	}(),
	echo: &echo{beats: 0.5, feedback: 0.45, taps: 3, wet: 0.35},
	room: &room{size: 1.2, decay: 1.0, damp: 5000, wet: 0.25},
}

var housePerc = &part{
	id: "perc", seed: 0x9e77, drive: 2, presence: 1,
	voices: rimShakerOf([]hit{{3, 0.6}, {7, 0.8}, {19, 0.6}, {23, 0.8}, {26, 0.5}, {35, 0.6}, {39, 0.8}, {51, 0.6}, {55, 0.8}, {58, 0.6}, {61, 0.9}}, houseSwing, 79),
	room:   &room{size: 0.8, decay: 0.6, damp: 6000, wet: 0.35},
}

// houseLead is a hook on a soft pulse, answered differently in its second
// half.
var houseLead = &part{
	id: "lead", seed: 0x1ea7, pitched: true, presence: 1.5, drive: 1.4,
	voices: pulseLineOf(dustyTone, []note{
		{0, 3, 74, 0.9}, {4, 2, 77, 0.8}, {6, 4, 74, 0.85}, {12, 2, 72, 0.7},
		{16, 3, 70, 0.85}, {20, 2, 74, 0.8}, {22, 6, 75, 0.85},
		{32, 3, 74, 0.9}, {36, 2, 77, 0.8}, {38, 4, 79, 0.85}, {44, 2, 77, 0.7},
		{48, 3, 74, 0.85}, {52, 2, 72, 0.8}, {54, 4, 69, 0.85}, {60, 2, 70, 0.7}, {62, 2, 72, 0.75},
	}, houseSwing, -0.1),
	echo: &echo{beats: 0.5, feedback: 0.4, taps: 2, wet: 0.3},
	room: &room{size: 1.3, decay: 1.4, damp: 5000, wet: 0.4},
}
