package shared

// Loop is one loop of a kit.
type Loop struct {
	// ID is the loop's id on the wire and in URLs, unique within its kit.
	ID string `json:"id"`
	// Name is what players read.
	Name string `json:"name"`
	// Role is the part the loop plays in the band, such as "drums".
	Role string `json:"role"`
	// Color is the loop's color in the app, as CSS hex.
	Color string `json:"color"`
}

// Kit is a set of loops made to play together: one key, one tempo, one
// loop length. Every jam plays one kit, fixed when it is created; its
// timeline comes from the kit.
type Kit struct {
	// ID is the kit's id on the wire and in URLs.
	ID string `json:"id"`
	// Name is what players read.
	Name string `json:"name"`
	// Genre and Key describe the kit to players.
	Genre string `json:"genre"`
	Key   string `json:"key"`
	// BPM, BeatsPerBar and BarsPerLoop make the timeline of its jams.
	BPM         int `json:"bpm"`
	BeatsPerBar int `json:"beats_per_bar"`
	BarsPerLoop int `json:"bars_per_loop"`
	// Loops lists the kit's loops in the order new members get them: the
	// first Capacity of them make a full band on their own.
	Loops []Loop `json:"loops"`
}

// Kits lists every kit; the first is the default, whose loops /api/loops
// and /loops/ serve without ?kit=.
var Kits = []*Kit{goldenHour, dustyTapes, afterHours}

// DefaultKit returns the first kit.
func DefaultKit() *Kit { return Kits[0] }

// KitByID returns the kit with the id, or nil.
func KitByID(id string) *Kit {
	for _, k := range Kits {
		if k.ID == id {
			return k
		}
	}
	return nil
}

// CheckJoin applies a join's rules of form, the ones every hub checks
// before placing anyone: a jam id, when named, must be well formed, and a
// kit, when named, must exist. It returns the kit a jam the join creates
// would play.
func CheckJoin(j *Join) (*Kit, *Error) {
	if j.Jam != "" && !ValidJamID(j.Jam) {
		return nil, Errorf(CodeBadJam, "a jam id is 1 to %d letters, digits, '_' or '-'", MaxJamIDLen)
	}
	return JoinKit(j)
}

// JoinKit returns the kit of the private jam a join creates, if it
// creates one: the one it names, or the default kit when it names none. A
// kit that is not one of Kits is an unknown_kit error.
func JoinKit(j *Join) (*Kit, *Error) {
	if j.Kit == "" {
		return DefaultKit(), nil
	}
	if k := KitByID(j.Kit); k != nil {
		return k, nil
	}
	return nil, Errorf(CodeUnknownKit, "no kit %q", j.Kit)
}

// Loop returns the kit's loop with the id.
func (k *Kit) Loop(id string) (Loop, bool) {
	if i := k.LoopIndex(id); i >= 0 {
		return k.Loops[i], true
	}
	return Loop{}, false
}

// LoopIndex returns the position of the loop in the kit, or -1.
func (k *Kit) LoopIndex(id string) int {
	for i, l := range k.Loops {
		if l.ID == id {
			return i
		}
	}
	return -1
}

// Timeline returns the timeline of a jam of the kit with bar 0 at epoch.
func (k *Kit) Timeline(epoch float64) Timeline {
	return Timeline{Epoch: epoch, BPM: k.BPM, BeatsPerBar: k.BeatsPerBar, BarsPerLoop: k.BarsPerLoop}
}

// LoopSeconds returns the length of one of the kit's loops in seconds.
func (k *Kit) LoopSeconds() float64 { return k.Timeline(0).LoopSeconds() }
