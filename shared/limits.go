package shared

import "time"

// The protocol's numbers (PROTOCOL.md). Both sides read them from here.
const (
	// Capacity is the most members a jam holds.
	Capacity = 7
	// MaxFrameBytes is the largest frame a client may send.
	MaxFrameBytes = 4096
	// RateLimit is how many messages a client may send in any one second.
	RateLimit = 40
	// RateLimitGrace is how long a client may keep exceeding RateLimit
	// before it is closed with StatusPolicyViolation.
	RateLimitGrace = 5 * time.Second
	// ResumeWindow is how long after a connection closes its resume token
	// still brings the user back.
	ResumeWindow = 60 * time.Second
	// JoinTimeout is how long a socket may stay open without sending join
	// before it is closed with StatusPolicyViolation.
	JoinTimeout = 10 * time.Second
	// JoinLimit is how many joins a socket may send in JoinWindow; the
	// excess gets CodeRateLimited.
	JoinLimit = 5
	// JoinWindow is the window of JoinLimit.
	JoinWindow = time.Minute
	// LeadMs is the least time between the server receiving a play, stop or
	// swap and the start of the bar it takes effect on.
	LeadMs = 50
)

// WebSocket close statuses the hub uses (RFC 6455, section 7.4.1).
const (
	StatusGoingAway       = 1001
	StatusUnsupportedData = 1003
	StatusInvalidPayload  = 1007
	StatusPolicyViolation = 1008
	StatusMessageTooBig   = 1009
	// StatusTakenOver closes a connection whose user a newer connection
	// took over with its resume token: the jam goes on elsewhere (another
	// tab or device), so the client must not reconnect by itself.
	StatusTakenOver = 4000
)
