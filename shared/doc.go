// Package shared holds what the app and the hub agree on: the protocol's
// message types and their decoder, the jam timeline math, the protocol's
// limits and the loop catalog. It imports neither the app nor the server.
package shared
