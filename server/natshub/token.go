//go:build !wasm

package natshub

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// claims are what a resume token carries: the user, the jam and loop they
// had when the token was issued, when it stops being good, and a random id
// that makes it good once (its key in the used-tokens bucket).
type claims struct {
	User    string `json:"u"`
	Jam     string `json:"j"`
	Loop    string `json:"l"`
	Expires int64  `json:"x"` // Unix seconds
	ID      string `json:"n"`
}

// signer signs and checks resume tokens with the key every node shares, so
// that a token issued by one node is good on any other.
type signer struct{ key []byte }

// sign returns the token of c: its JSON and its HMAC-SHA256, both base64.
func (s signer) sign(c claims) string {
	body, _ := json.Marshal(c) // claims always encode
	b := base64.RawURLEncoding.EncodeToString(body)
	return b + "." + base64.RawURLEncoding.EncodeToString(s.mac(b))
}

// check returns the claims of a well-signed token that has not expired at
// now; ok is false for anything else: a forged, damaged or stale token.
func (s signer) check(token string, now time.Time) (c claims, ok bool) {
	b, sig, found := strings.Cut(token, ".")
	if !found {
		return c, false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(b)) {
		return c, false
	}
	body, err := base64.RawURLEncoding.DecodeString(b)
	if err != nil || json.Unmarshal(body, &c) != nil {
		return c, false
	}
	if c.User == "" || c.ID == "" || now.Unix() >= c.Expires {
		return c, false
	}
	return c, true
}

func (s signer) mac(b string) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(b))
	return h.Sum(nil)
}

// newTokenID returns a random id for a token: 128 bits, base64.
func newTokenID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b[:])
}
