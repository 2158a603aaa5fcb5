//go:build linux

package server

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// socketQueues returns what the kernel holds of nc: the bytes received and
// not read yet, the bytes written and not yet taken by the peer (unsent or
// unacknowledged), and the size of the send buffer; ok is false when the
// system does not tell.
func socketQueues(nc net.Conn) (unread, unsent, sndbuf int, ok bool) {
	sc, isSys := nc.(syscall.Conn)
	if !isSys {
		return 0, 0, 0, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, 0, 0, false
	}
	var e1, e2, e3 error
	err = rc.Control(func(fd uintptr) {
		unread, e1 = unix.IoctlGetInt(int(fd), unix.SIOCINQ)
		unsent, e2 = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ)
		sndbuf, e3 = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF)
	})
	return unread, unsent, sndbuf, err == nil && e1 == nil && e2 == nil && e3 == nil
}
