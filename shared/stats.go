package shared

import "strconv"

// Stats is the body of GET /api/stats: how many jams and users there are,
// and how many jams hold each number of members. It names no jam: a jam's id
// is the key to it.
type Stats struct {
	Jams  int `json:"jams"`
	Users int `json:"users"`
	// Sizes counts the jams by their members: "1" to "7" (Capacity);
	// sizes with no jam may be left out.
	Sizes map[string]int `json:"sizes"`
}

// SizeKey returns the key of Stats.Sizes for jams of n members.
func SizeKey(n int) string { return strconv.Itoa(n) }

// JamSizes is the body of the admin listener's GET /api/jams: every jam's
// member count, by jam id.
type JamSizes struct {
	JamSizes map[string]int `json:"jam_sizes"`
}
