package sound

import "github.com/loopswithfriends/loops/shared"

// goldenHourKit is neo-soul at 100 BPM in A minor (music.go).
var goldenHourKit = &kit{
	Kit: shared.KitByID("golden-hour"),
	parts: []*part{
		drumsPart, bassPart, keysPart, guitarPart, leadPart, padPart,
		arpPart, congasPart, shakerPart, bellsPart, texturePart, clavPart,
	},
	level: -23,
	scale: Scale,
	swing: drumSwing,
}
