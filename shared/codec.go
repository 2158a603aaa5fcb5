package shared

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Encode returns the frame of m: its JSON object with "type" first.
func Encode(m Message) ([]byte, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", m.MessageType(), err)
	}
	if len(body) < 2 || body[0] != '{' {
		return nil, fmt.Errorf("encode %s: not a JSON object", m.MessageType())
	}
	var b bytes.Buffer
	b.Grow(len(body) + len(m.MessageType()) + 12)
	b.WriteString(`{"type":"`)
	b.WriteString(m.MessageType())
	b.WriteByte('"')
	if len(body) > 2 {
		b.WriteByte(',')
	}
	b.Write(body[1:])
	return b.Bytes(), nil
}

// MustEncode is Encode for messages that always encode, such as the
// protocol's own types; it panics on an error.
func MustEncode(m Message) []byte {
	b, err := Encode(m)
	if err != nil {
		panic(err)
	}
	return b
}

var clientMessages = map[string]func() Message{
	TypeJoin:   func() Message { return new(Join) },
	TypePlay:   func() Message { return new(Play) },
	TypeStop:   func() Message { return new(Stop) },
	TypeSwap:   func() Message { return new(Swap) },
	TypeLeave:  func() Message { return new(Leave) },
	TypePing:   func() Message { return new(Ping) },
	TypeRecord: func() Message { return new(Record) },
}

var serverMessages = map[string]func() Message{
	TypeWelcome:  func() Message { return new(Welcome) },
	TypeJoined:   func() Message { return new(Joined) },
	TypeLeft:     func() Message { return new(Left) },
	TypePlayed:   func() Message { return new(Played) },
	TypeStopped:  func() Message { return new(Stopped) },
	TypeSwapped:  func() Message { return new(Swapped) },
	TypePong:     func() Message { return new(Pong) },
	TypeRecorded: func() Message { return new(Recorded) },
	TypeError:    func() Message { return new(Error) },
}

// DecodeClient decodes a frame a client sent. A frame that is not valid
// UTF-8, not a JSON object with a string "type", or has a field of the wrong
// type, gives a *BadFrameError with StatusInvalidPayload. A well-formed frame of a type the
// protocol does not know gives an *Error with CodeUnknownType.
func DecodeClient(frame []byte) (Message, error) {
	switch {
	case bytes.Equal(frame, playFrame):
		return new(Play), nil
	case bytes.Equal(frame, stopFrame):
		return new(Stop), nil
	}
	return decode(frame, clientMessages)
}

// playFrame and stopFrame are a play and a stop as this package encodes
// them (TestDecodeClient checks it), which is how every client sends them:
// most of what a hub receives. DecodeClient knows them by their bytes,
// without encoding/json's three passes over the frame (a tenth of the hub's
// CPU under load). They are written out rather than encoded at init, which
// would run encoding/json in every program that imports this package, the
// browser's first run included (14 ms of it on this machine).
var (
	playFrame = []byte(`{"type":"play"}`)
	stopFrame = []byte(`{"type":"stop"}`)
)

// DecodeServer decodes a frame the server sent, with the same errors as
// DecodeClient.
func DecodeServer(frame []byte) (Message, error) {
	return decode(frame, serverMessages)
}

func decode(frame []byte, types map[string]func() Message) (Message, error) {
	// encoding/json would take invalid UTF-8 and turn it into U+FFFD; a
	// text frame must be UTF-8 (RFC 6455, section 8.1).
	if !utf8.Valid(frame) {
		return nil, &BadFrameError{Status: StatusInvalidPayload, Reason: "text frame is not valid UTF-8"}
	}
	var envelope struct {
		Type json.RawMessage `json:"type"`
	}
	if err := json.Unmarshal(frame, &envelope); err != nil {
		return nil, &BadFrameError{Status: StatusInvalidPayload, Reason: "malformed JSON", Err: err}
	}
	if len(bytes.TrimSpace(frame)) == 0 || bytes.TrimSpace(frame)[0] != '{' {
		return nil, &BadFrameError{Status: StatusInvalidPayload, Reason: "frame is not a JSON object"}
	}
	var typ string
	if len(envelope.Type) == 0 || envelope.Type[0] != '"' {
		return nil, &BadFrameError{Status: StatusInvalidPayload, Reason: `frame has no string "type"`}
	}
	if err := json.Unmarshal(envelope.Type, &typ); err != nil {
		return nil, &BadFrameError{Status: StatusInvalidPayload, Reason: `frame has no string "type"`, Err: err}
	}
	newMessage, ok := types[typ]
	if !ok {
		return nil, Errorf(CodeUnknownType, "unknown message type %q", typ)
	}
	m := newMessage()
	if err := json.Unmarshal(frame, m); err != nil {
		var typeErr *json.UnmarshalTypeError
		reason := "malformed " + typ
		if errors.As(err, &typeErr) {
			reason = fmt.Sprintf("field %q of %s has the wrong type", typeErr.Field, typ)
		}
		return nil, &BadFrameError{Status: StatusInvalidPayload, Reason: reason, Err: err}
	}
	return m, nil
}
