//go:build !unix

package h1

import "net"

// peekIdle cannot look without blocking on this platform: it assumes the connection is open,
// so a non-idempotent request may fail (never be sent twice) on a connection the backend
// closed while idle.
func peekIdle(net.Conn) bool { return true }
