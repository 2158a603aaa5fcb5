package shared

// Loop is one entry of the loop catalog.
type Loop struct {
	// ID is the loop's id on the wire and in URLs.
	ID string `json:"id"`
	// Name is what players read.
	Name string `json:"name"`
	// Role is the part the loop plays in the band, such as "drums".
	Role string `json:"role"`
	// Color is the loop's color in the app, as CSS hex.
	Color string `json:"color"`
}

// Catalog lists every loop in the order new members get them: the first
// Capacity of them make a full band on their own.
var Catalog = []Loop{
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
}

// LoopByID returns the catalog entry with the id.
func LoopByID(id string) (Loop, bool) {
	for _, l := range Catalog {
		if l.ID == id {
			return l, true
		}
	}
	return Loop{}, false
}

// LoopIndex returns the position of the loop in the catalog, or -1.
func LoopIndex(id string) int {
	for i, l := range Catalog {
		if l.ID == id {
			return i
		}
	}
	return -1
}
