package shared

import (
	"crypto/rand"
	"encoding/base64"
)

// MaxJamIDLen is the longest well-formed jam id.
const MaxJamIDLen = 64

// ValidJamID reports whether id is a well-formed jam id: 1 to MaxJamIDLen
// characters of A-Z, a-z, 0-9, '_' and '-', so that it is safe in a URL
// path as is.
func ValidJamID(id string) bool {
	if len(id) == 0 || len(id) > MaxJamIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// NewJamID returns a fresh, well-formed, unguessable jam id: 128 bits from
// crypto/rand in base64url (22 characters). An invite link is the only key
// to a private jam, so its id must not be guessed.
func NewJamID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b[:])
}
