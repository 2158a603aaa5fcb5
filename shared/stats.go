package shared

// Stats is the body of GET /api/stats: how many jams and users there are and
// how many members each jam has.
type Stats struct {
	Jams     int            `json:"jams"`
	Users    int            `json:"users"`
	JamSizes map[string]int `json:"jam_sizes"`
}
