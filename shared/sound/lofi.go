package sound

import "github.com/loopswithfriends/loops/shared"

// dustyTapesKit is lo-fi hip-hop at 84 BPM in E-flat major, two bars a
// loop: a lazy, heavily swung boom-bap on a worn record, a Rhodes, and
// the ii-V-I-vi of a thousand late-night beats, with ninths:
//
//	| Fm9       Bb13      | Ebmaj9    Cm9       |
var dustyTapesKit = &kit{
	Kit: shared.KitByID("dusty-tapes"),
	parts: []*part{
		dustyDrums, dustyBass, dustyKeys, dustyGuitar, dustyLead, dustyPad, dustyBells, dustyPerc,
	},
	level: -23.8,
	scale: [7]int{3, 5, 7, 8, 10, 0, 2},
	swing: dustySwing,
}

// dustySwing is a lazy swing: the off-beat sixteenths a quarter late.
const dustySwing = 0.25

var dustyHarmony = harmony{beats: 2, chords: []chord{
	{"Fm9", 41, [4]int{56, 60, 63, 67}, [4]int{53, 60, 63, 68}, [4]int{5, 8, 0, 3}},
	{"Bb13", 46, [4]int{56, 62, 67, 70}, [4]int{58, 65, 68, 74}, [4]int{10, 2, 5, 8}},
	{"Ebmaj9", 39, [4]int{55, 58, 62, 65}, [4]int{51, 58, 62, 67}, [4]int{3, 7, 10, 2}},
	{"Cm9", 36, [4]int{51, 55, 58, 62}, [4]int{48, 55, 58, 63}, [4]int{0, 3, 7, 10}},
}}

// The boom-bap: the kick late on the "and" of two, a snare on two and four,
// a ghost before the top of the loop, and the second bar's kick stumbling.
var (
	dustyKicks  = []hit{{0, 1}, {6, 0.75}, {10, 0.85}, {16, 1}, {19, 0.5}, {22, 0.8}, {25, 0.6}}
	dustySnares = []hit{{4, 1}, {12, 1}, {15, 0.2}, {20, 1}, {27, 0.25}, {28, 1}, {31, 0.35}}
)

var dustyDrums = &part{
	id: "drums", seed: 0xd05e, drive: 3, presence: 2,
	voices: drumVoices(&drumSpec{
		kick:  kickTone{hi: 150, lo: 49, sweep: 0.08, decay: 0.38, knock: 0.35, click: 0.4, drive: 1.8},
		snare: snareTone{body: [2]float64{233.08, 349.23}, ring: 0.12, rattle: 0.22, bright: 3200, bodyLevel: 0.5, wireLevel: 0.9},
		hat:   0.04, open: 0.2, hatCut: 6000,
		kicks: dustyKicks, snares: dustySnares,
		hats: func(s int) float32 {
			switch {
			case s%4 == 0:
				return 0.7
			case s%2 == 0:
				return 0.45
			case s == 23 || s == 29:
				return 0.25 // a ghost in the second bar
			}
			return 0
		},
		opens:     []int{30},
		snareSend: 0.4,
		kickLevel: 1, snareLevel: 0.8, hatLevel: 0.7,
		vinyl: 0.05,
	}, dustySwing),
	room: &room{size: 0.8, decay: 0.6, damp: 4000, wet: 0.4},
}

var dustyBass = &part{
	id: "bass", seed: 0xb0b, pitched: true, drive: 2,
	voices: bassLineOf(dustyHarmony, []note{
		{0, 5, 0, 1}, {6, 2, 0, 0.7}, {10, 4, 0, 0.9}, {14, 2, 7, 0.6},
		{16, 5, 0, 1}, {22, 2, 0, 0.75}, {25, 3, 0, 0.85}, {28, 2, 7, 0.6}, {30, 2, 10, 0.7},
	}, dustySwing, 0.8),
}

var dustyKeys = &part{
	id: "keys", seed: 0x4d0d, pitched: true, presence: 2.5, drive: 2,
	voices: epChordsOf(dustyHarmony,
		[]note{{0, 5, 0, 0.85}, {7, 1, 0, 0.55}},
		[]note{{0, 3, 0, 0.8}, {3, 2, 0, 0.6}, {6, 2, 0, 0.7}},
		dustySwing, 12),
	room: &room{size: 1.2, decay: 1.4, damp: 3500, wet: 0.4},
}

var dustyGuitar = &part{
	id: "guitar", seed: 0x6a22, pitched: true, drive: 1.4,
	voices: plucksOf(dustyHarmony, []note{
		{1, 2, 1, 0.7}, {3, 2, 2, 0.6}, {6, 2, 3, 0.75},
	}, dustySwing, 64, 0.4),
	room: &room{size: 1, decay: 1.1, damp: 3500, wet: 0.35},
}

// dustyTone is a soft, round pulse: a muted synth flute.
var dustyTone = pulseTone{width: 0.45, decay: 0.3, cutoff: 2.5, sweep: 5, q: 1.2,
	attack: 0.004, fall: 0.6, sustain: 0.6, release: 0.12}

var dustyLead = &part{
	id: "lead", seed: 0x1f1f, pitched: true, presence: 1, drive: 1.4,
	voices: pulseLineOf(dustyTone, []note{
		{0, 3, 79, 0.9}, {4, 2, 77, 0.7}, {6, 4, 75, 0.85}, {11, 1, 72, 0.6}, {12, 3, 74, 0.8},
		{16, 3, 79, 0.9}, {20, 2, 82, 0.8}, {22, 3, 79, 0.75}, {26, 2, 77, 0.7}, {28, 4, 75, 0.85},
	}, dustySwing, 0.1),
	echo: &echo{beats: 1, feedback: 0.4, taps: 2, wet: 0.3},
	room: &room{size: 1.3, decay: 1.5, damp: 4000, wet: 0.45},
}

var dustyPad = &part{
	id: "pad", seed: 0x9ad9, pitched: true, sustained: true, presence: 1,
	voices: padChordsOf(dustyHarmony, dustyKicks, dustySwing, 12),
}

var dustyBells = &part{
	id: "bells", seed: 0xbe22, pitched: true,
	voices: bellsOf(dustyHarmony, []note{
		{0, 4, 1, 0.9}, {6, 2, 3, 0.7}, {10, 4, 2, 0.8}, {18, 4, 0, 0.8}, {24, 4, 3, 0.85}, {29, 2, 1, 0.6},
	}, dustySwing, 84),
	echo: &echo{beats: 1, feedback: 0.45, taps: 3, wet: 0.4},
	room: &room{size: 1.5, decay: 2, damp: 5000, wet: 0.4},
}

var dustyPerc = &part{
	id: "perc", seed: 0x9e2c, drive: 2, presence: 1,
	voices: rimShakerOf([]hit{{6, 0.8}, {14, 0.6}, {19, 0.5}, {22, 0.8}, {26, 0.5}, {30, 0.9}}, dustySwing, 70),
	room:   &room{size: 0.7, decay: 0.5, damp: 5000, wet: 0.35},
}
