package shared

// The kits' loops. Their sound is made by shared/sound, one part a loop.

var dustyTapes = &Kit{
	ID: "dusty-tapes", Name: "Dusty Tapes", Genre: "lo-fi hip-hop", Key: "E-flat major",
	BPM: 84, BeatsPerBar: 4, BarsPerLoop: 2,
	Loops: []Loop{
		{ID: "drums", Name: "Dusty Drums", Role: "drums", Color: "#e07a5f"},
		{ID: "bass", Name: "Warm Bass", Role: "bass", Color: "#f2cc8f"},
		{ID: "keys", Name: "Rhodes", Role: "chords", Color: "#81b29a"},
		{ID: "guitar", Name: "Jazz Guitar", Role: "guitar", Color: "#f4a261"},
		{ID: "lead", Name: "Muted Flute", Role: "lead", Color: "#b8a1e3"},
		{ID: "pad", Name: "Tape Pad", Role: "pad", Color: "#6d9f71"},
		{ID: "bells", Name: "Music Box", Role: "bells", Color: "#7fc8f8"},
		{ID: "perc", Name: "Rim & Shaker", Role: "percussion", Color: "#d4a373"},
	},
}

var afterHours = &Kit{
	ID: "after-hours", Name: "After Hours", Genre: "deep house", Key: "G minor",
	BPM: 122, BeatsPerBar: 4, BarsPerLoop: 4,
	Loops: []Loop{
		{ID: "drums", Name: "Floor Drums", Role: "drums", Color: "#ef476f"},
		{ID: "bass", Name: "Off-beat Bass", Role: "bass", Color: "#ffd166"},
		{ID: "stabs", Name: "Chord Stabs", Role: "chords", Color: "#06d6a0"},
		{ID: "piano", Name: "House Piano", Role: "chords", Color: "#72ddf7"},
		{ID: "pad", Name: "Night Pad", Role: "pad", Color: "#8093f1"},
		{ID: "arp", Name: "Pluck Arp", Role: "arpeggio", Color: "#b388eb"},
		{ID: "perc", Name: "Shaker & Rim", Role: "percussion", Color: "#f7aef8"},
		{ID: "lead", Name: "Hook", Role: "lead", Color: "#fdc5f5"},
	},
}

var goldenHour = &Kit{
	ID: "golden-hour", Name: "Golden Hour", Genre: "neo-soul", Key: "A minor",
	BPM: 100, BeatsPerBar: 4, BarsPerLoop: 2,
	Loops: []Loop{
		{ID: "drums", Name: "Drum Kit", Role: "drums", Color: "#f25f5c"},
		{ID: "bass", Name: "Round Bass", Role: "bass", Color: "#ffe066"},
		{ID: "keys", Name: "Electric Piano", Role: "chords", Color: "#70c1b3"},
		{ID: "guitar", Name: "Plucked Guitar", Role: "guitar", Color: "#f4a259"},
		{ID: "lead", Name: "Vocal Lead", Role: "lead", Color: "#c77dff"},
		{ID: "pad", Name: "Warm Pad", Role: "pad", Color: "#8cb369"},
		{ID: "arp", Name: "Arpeggio", Role: "arpeggio", Color: "#5b8e7d"},
		{ID: "congas", Name: "Congas", Role: "percussion", Color: "#d45a60"},
		{ID: "shaker", Name: "Shaker", Role: "percussion", Color: "#e9c46a"},
		{ID: "bells", Name: "FM Bells", Role: "bells", Color: "#48cae4"},
		{ID: "texture", Name: "Night Texture", Role: "texture", Color: "#7b8cde"},
		{ID: "clav", Name: "Funky Clav", Role: "chords", Color: "#ff8fab"},
	},
}
