//go:build !wasm && !linux

package server

import "net"

// socketQueues tells nothing here: see sockqueue_linux.go.
func socketQueues(nc net.Conn) (unread, unsent, sndbuf int, ok bool) { return 0, 0, 0, false }
