//go:build unix

package h1

import (
	"net"
	"syscall"
)

// peeker looks at an idle connection without reading from it. Made once per connection, so
// that a check allocates nothing.
type peeker struct {
	rc   syscall.RawConn // nil: the connection cannot be looked at, and is assumed open
	open bool            // the last check's result, set by check
	buf  [1]byte
	fn   func(fd uintptr) bool // check, bound once
}

func newPeeker(c net.Conn) peeker {
	p := peeker{}
	if sc, ok := c.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			p.rc = rc
		}
	}
	return p
}

// idle reports whether the connection has nothing to read and is not at its end: a
// non-blocking MSG_PEEK receive answers EAGAIN. (A read with a past deadline would not tell:
// Go's poller fails it before asking the kernel.)
func (p *peeker) idle() bool {
	if p.rc == nil {
		return true
	}
	if p.fn == nil {
		p.fn = p.check
	}
	p.open = false
	return p.rc.Read(p.fn) == nil && p.open
}

func (p *peeker) check(fd uintptr) bool {
	n, _, err := syscall.Recvfrom(int(fd), p.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	p.open = n < 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK)
	return true // never wait for readiness
}
