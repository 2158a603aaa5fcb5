package sound

import "github.com/loopswithfriends/loops/shared"

// goldenHourKit is neo-soul at 100 BPM in A minor (music.go), two bars a
// loop.
var goldenHourKit = &kit{
	Kit: shared.KitByID("golden-hour"),
	parts: []*part{
		drumsPart, bassPart, keysPart, guitarPart, leadPart, padPart,
		arpPart, congasPart, shakerPart, bellsPart, texturePart, clavPart,
	},
	level: -23.8,
	scale: Scale,
	swing: drumSwing,
}

// drumSwing is the golden hour's swing: the off-beat sixteenths 16% late.
const drumSwing = 0.16

// The golden hour's groove: a laid-back back beat, the kick answering
// itself across the two bars, and a snare pickup into the loop's top.
var (
	kickHits  = []hit{{0, 1}, {7, 0.7}, {10, 0.9}, {16, 1}, {22, 0.75}, {26, 0.9}, {29, 0.55}}
	snareHits = []hit{{4, 1}, {12, 1}, {15, 0.22}, {20, 1}, {27, 0.2}, {28, 1}, {30, 0.35}, {31, 0.5}}
)

var drumsPart = &part{
	id: "drums", seed: 0xd2c1, drive: 3.6, presence: 2,
	voices: drumVoices(&drumSpec{
		kick:  kickTone{hi: 170, lo: 55, sweep: 0.07, decay: 0.32, knock: 0.35, click: 0.5, drive: 1.6},
		snare: snareTone{body: [2]float64{220, 329.63}, ring: 0.1, rattle: 0.2, bright: 3800, bodyLevel: 0.45, wireLevel: 1},
		hat:   0.045, open: 0.22, hatCut: 6500,
		kicks: kickHits, snares: snareHits,
		hats: func(s int) float32 {
			switch {
			case s >= 28:
				return 0 // the fill
			case s%4 == 0:
				return 0.7
			case s%2 == 0:
				return 0.5
			}
			return 0.32
		},
		opens:     []int{14},
		snareSend: 0.5,
		kickLevel: 1, snareLevel: 0.85, hatLevel: 0.8,
	}, drumSwing),
	room: &room{size: 0.7, decay: 0.5, damp: 5000, wet: 0.5},
}
