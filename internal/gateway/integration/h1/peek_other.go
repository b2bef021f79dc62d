//go:build !unix

package h1

import "net"

// peeker cannot look without blocking on this platform: it assumes the connection is open
// and silent, so a non-idempotent request may fail (never be sent twice) on a connection the
// backend closed while idle, and stray bytes that arrived while idle are not noticed.
type peeker struct{}

func newPeeker(net.Conn) peeker { return peeker{} }

func (*peeker) idle() bool { return true }
