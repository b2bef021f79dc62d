//go:build unix

package h1

import (
	"net"
	"syscall"
)

// peekIdle reports whether c, an idle connection, has nothing to read and is not at its end:
// a non-blocking MSG_PEEK receive answers EAGAIN. (A read with a past deadline would not
// tell: Go's poller fails it before asking the kernel.)
func peekIdle(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	open := false
	var b [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, rerr := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = n < 0 && (rerr == syscall.EAGAIN || rerr == syscall.EWOULDBLOCK)
		return true // never wait for readiness
	})
	return err == nil && open
}
