package shared

import "fmt"

// Error codes of the protocol's error frame.
const (
	CodeUnknownType   = "unknown_type"
	CodeNotJoined     = "not_joined"
	CodeAlreadyJoined = "already_joined"
	CodeBadJam        = "bad_jam"
	CodeUnknownLoop   = "unknown_loop"
	CodeLoopTaken     = "loop_taken"
	CodeRateLimited   = "rate_limited"
	CodeUnknownKit    = "unknown_kit"
)

// Error is a protocol error: a code a program reads and a message a person
// reads. It is sent as an error frame and the connection stays open.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// MessageType returns TypeError.
func (*Error) MessageType() string { return TypeError }

// Error returns the code and the message.
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// BadFrameError is a frame the connection cannot survive: the hub closes the
// connection with Status and Reason.
type BadFrameError struct {
	Status int
	Reason string
	Err    error
}

// Error returns the reason and the cause.
func (e *BadFrameError) Error() string {
	if e.Err == nil {
		return e.Reason
	}
	return fmt.Sprintf("%s: %v", e.Reason, e.Err)
}

// Unwrap returns the cause.
func (e *BadFrameError) Unwrap() error { return e.Err }
