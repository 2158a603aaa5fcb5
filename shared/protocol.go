package shared

// Message types, the value of every frame's "type" field.
const (
	TypeJoin    = "join"
	TypePlay    = "play"
	TypeStop    = "stop"
	TypeSwap    = "swap"
	TypeLeave   = "leave"
	TypePing    = "ping"
	TypeWelcome = "welcome"
	TypeJoined  = "joined"
	TypeLeft    = "left"
	TypePlayed  = "played"
	TypeStopped = "stopped"
	TypeSwapped = "swapped"
	TypePong    = "pong"
	TypeError   = "error"
)

// Message is one frame of the protocol.
type Message interface {
	// MessageType returns the frame's "type".
	MessageType() string
}

// Join is the first message of a connection: which jam to join, if any, and
// the token of an earlier welcome to resume, if any. Kit names the kit of
// the private jam the join creates, if it creates one ("" for the
// server's choice); it is ignored otherwise.
type Join struct {
	Jam    string `json:"jam"`
	Resume string `json:"resume"`
	Kit    string `json:"kit,omitempty"`
}

// Play queues the sender's loop for the next bar.
type Play struct{}

// Stop stops the sender's loop at the next bar.
type Stop struct{}

// Swap asks for another loop of the catalog.
type Swap struct {
	Loop string `json:"loop"`
}

// Leave leaves the jam.
type Leave struct{}

// Ping asks for the server's clock.
type Ping struct {
	ID int64   `json:"id"`
	T0 float64 `json:"t0"`
}

// JamInfo is a jam's id, its timeline, its capacity and its kit.
type JamInfo struct {
	ID string `json:"id"`
	Timeline
	Capacity int    `json:"capacity"`
	Kit      string `json:"kit"`
}

// Member is one member of a jam as every member sees it. Bar is the bar at
// which its current playing state takes (or took) effect.
type Member struct {
	ID      string `json:"id"`
	Loop    string `json:"loop"`
	Playing bool   `json:"playing"`
	Bar     int64  `json:"bar"`
}

// Welcome places the user in a jam.
type Welcome struct {
	You        string   `json:"you"`
	Resume     string   `json:"resume"`
	Loop       string   `json:"loop"`
	Redirected bool     `json:"redirected"`
	Now        float64  `json:"now"`
	Jam        JamInfo  `json:"jam"`
	Members    []Member `json:"members"`
}

// Joined tells the members that someone joined.
type Joined struct {
	Member Member `json:"member"`
}

// Left tells the members that someone left.
type Left struct {
	ID string `json:"id"`
}

// Played tells the members that a member's loop plays from Bar on.
type Played struct {
	ID  string `json:"id"`
	Bar int64  `json:"bar"`
}

// Stopped tells the members that a member's loop stops at Bar.
type Stopped struct {
	ID  string `json:"id"`
	Bar int64  `json:"bar"`
}

// Swapped tells the members that a member's loop is Loop from Bar on.
type Swapped struct {
	ID   string `json:"id"`
	Loop string `json:"loop"`
	Bar  int64  `json:"bar"`
}

// Pong answers a Ping with the server's clock.
type Pong struct {
	ID  int64   `json:"id"`
	T0  float64 `json:"t0"`
	Now float64 `json:"now"`
}

// MessageType returns TypeJoin.
func (*Join) MessageType() string { return TypeJoin }

// MessageType returns TypePlay.
func (*Play) MessageType() string { return TypePlay }

// MessageType returns TypeStop.
func (*Stop) MessageType() string { return TypeStop }

// MessageType returns TypeSwap.
func (*Swap) MessageType() string { return TypeSwap }

// MessageType returns TypeLeave.
func (*Leave) MessageType() string { return TypeLeave }

// MessageType returns TypePing.
func (*Ping) MessageType() string { return TypePing }

// MessageType returns TypeWelcome.
func (*Welcome) MessageType() string { return TypeWelcome }

// MessageType returns TypeJoined.
func (*Joined) MessageType() string { return TypeJoined }

// MessageType returns TypeLeft.
func (*Left) MessageType() string { return TypeLeft }

// MessageType returns TypePlayed.
func (*Played) MessageType() string { return TypePlayed }

// MessageType returns TypeStopped.
func (*Stopped) MessageType() string { return TypeStopped }

// MessageType returns TypeSwapped.
func (*Swapped) MessageType() string { return TypeSwapped }

// MessageType returns TypePong.
func (*Pong) MessageType() string { return TypePong }
