package shared

// The kits' loops. Their sound is made by shared/sound, one part a loop.

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
		{ID: "congas", Name: "Congas", Role: "percussion", Color: "#bc4b51"},
		{ID: "shaker", Name: "Shaker", Role: "percussion", Color: "#e9c46a"},
		{ID: "bells", Name: "FM Bells", Role: "bells", Color: "#48cae4"},
		{ID: "texture", Name: "Night Texture", Role: "texture", Color: "#7b8cde"},
		{ID: "clav", Name: "Funky Clav", Role: "chords", Color: "#ff8fab"},
	},
}
