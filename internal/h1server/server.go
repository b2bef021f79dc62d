// Package h1server is a small HTTP/1.1 server for any http.Handler, cheaper per request than
// net/http's: one goroutine per connection reads each request and writes its response, with
// pooled buffers and one *http.Request, header map and body reader per connection, reset for
// every request. It has no background reads, no per-request context and no response copy.
//
// What it does not do, on purpose: HTTP/2, TLS, Hijack, trailers, and cancelling a request's
// context when the client goes away mid-request: the context (one per connection, holding
// http.ServerContextKey and http.LocalAddrContextKey) is never cancelled, since no handler is
// running by the time its connection ends, and a context that cannot be cancelled costs
// nothing to watch (the gateway's backend client registers no cancellation on it). A
// handler bounds its own work with deadlines. A handler must not keep the request, its
// header map, its body or the ResponseWriter after it returns: they serve the connection's
// next request.
package h1server

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// ErrServerClosed is returned by Serve after Shutdown; it is net/http's, so callers can treat
// both servers alike.
var ErrServerClosed = http.ErrServerClosed

// Server serves HTTP/1.x on the listeners given to Serve. Its fields must not change after
// Serve is called.
type Server struct {
	Handler http.Handler

	// ReadHeaderTimeout bounds reading a request's header section, from its first byte.
	// Zero means no limit.
	ReadHeaderTimeout time.Duration
	// IdleTimeout bounds the wait for the next request on a connection (and for the first).
	// Zero means ReadHeaderTimeout; both zero means no limit.
	IdleTimeout time.Duration
	// ReadBodyTimeout bounds a stall while reading a request body: a body of which no byte
	// arrives for this long fails its read, and the request is answered 408 Request Timeout
	// (whatever the handler answers) and the connection closed, as nginx's
	// client_body_timeout. The deadline is set once per body and renewed when it passes
	// after bytes arrived, so a stall ends the request between 1x and 2x this long, at no
	// cost per read. Zero means no limit.
	ReadBodyTimeout time.Duration
	// WriteTimeout bounds a stall while writing a response: a client that accepts no byte
	// for this long makes the handler's writes fail (so that it stops its work) and the
	// connection closes. Set once per response and renewed on progress, as ReadBodyTimeout.
	// Zero means no limit.
	WriteTimeout time.Duration
	// MaxHeaderBytes bounds the request line and header section, in bytes, counted with
	// their line ends: a request line that does not end within it is answered 414, a header
	// section 431. Zero means http.DefaultMaxHeaderBytes (1 MiB).
	MaxHeaderBytes int
	// MaxChunkSize is the largest chunk a chunked request body may announce, in bytes: a
	// larger chunk-size fails the body's read at once (so the handler answers, e.g. 400)
	// instead of waiting for data the handler would refuse anyway. Set it to the largest
	// body the handler accepts. Zero means no limit but net/http's: 16 hex digits.
	MaxChunkSize int64
	// ErrorLog receives handler panics and other server errors. Nil means log.Default().
	ErrorLog *log.Logger

	inShutdown atomic.Bool
	mu         sync.Mutex
	listeners  map[net.Listener]struct{}
	conns      map[*conn]struct{}
	date       dateCache
}

// sentNamesKey is the context key of a connection's sent header names (SentHeaderNames).
type sentNamesKey struct{}

// SentHeaderNames returns the header names of r as its client spelled them, where that
// differs from their canonical key in r.Header: pairs of canonical name and sent name, the
// first spelling of each (Host, kept in r.Host, is not listed). Names sent canonical are
// not listed, so a client that sends canonical names costs nothing. The slice is the
// connection's: valid until the handler returns, never to be modified. Nil for a request
// that h1server does not serve (net/http keeps no spelling).
func SentHeaderNames(r *http.Request) []string {
	if p, ok := r.Context().Value(sentNamesKey{}).(*[]string); ok {
		return *p
	}
	return nil
}

// Serve accepts connections on ln and serves each on its own goroutine until Shutdown, after
// which it returns ErrServerClosed. It closes ln when it returns.
func (s *Server) Serve(ln net.Listener) error {
	if !s.trackListener(ln, true) {
		ln.Close()
		return ErrServerClosed
	}
	defer s.trackListener(ln, false)
	defer ln.Close()

	var backoff time.Duration
	for {
		rwc, err := ln.Accept()
		if err != nil {
			if s.inShutdown.Load() {
				return ErrServerClosed
			}
			if ne, ok := err.(interface{ Temporary() bool }); ok && ne.Temporary() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.logf("h1server: accept error: %v; retrying in %v", err, backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		c := s.newConn(rwc)
		if !s.trackConn(c, true) {
			rwc.Close()
			continue
		}
		go c.serve()
	}
}

// Shutdown stops the server gracefully: it closes the listeners and the idle connections,
// then waits for the connections serving a request to finish theirs and close. It returns
// ctx's error if ctx ends first, leaving those connections open.
func (s *Server) Shutdown(ctx context.Context) error {
	s.inShutdown.Store(true)
	s.mu.Lock()
	var err error
	for ln := range s.listeners {
		if cerr := ln.Close(); cerr != nil && err == nil && !errors.Is(cerr, net.ErrClosed) {
			err = cerr
		}
	}
	s.mu.Unlock()

	wait := time.Millisecond
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		if s.closeIdleConns() {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			wait = min(2*wait, 100*time.Millisecond)
			timer.Reset(wait)
		}
	}
}

// closeIdleConns closes the connections waiting for a request and reports whether none is
// left.
func (s *Server) closeIdleConns() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.state.CompareAndSwap(stateIdle, stateClosed) {
			c.rwc.Close()
		}
	}
	return len(s.conns) == 0
}

func (s *Server) trackListener(ln net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.inShutdown.Load() {
			return false
		}
		if s.listeners == nil {
			s.listeners = make(map[net.Listener]struct{})
		}
		s.listeners[ln] = struct{}{}
	} else {
		delete(s.listeners, ln)
	}
	return true
}

func (s *Server) trackConn(c *conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.inShutdown.Load() {
			return false
		}
		if s.conns == nil {
			s.conns = make(map[*conn]struct{})
		}
		s.conns[c] = struct{}{}
	} else {
		delete(s.conns, c)
	}
	return true
}

func (s *Server) logf(format string, args ...any) {
	if s.ErrorLog != nil {
		s.ErrorLog.Printf(format, args...)
	} else {
		log.Printf(format, args...)
	}
}

func (s *Server) maxHeaderBytes() int {
	if s.MaxHeaderBytes > 0 {
		return s.MaxHeaderBytes
	}
	return http.DefaultMaxHeaderBytes
}

func (s *Server) idleTimeout() time.Duration {
	if s.IdleTimeout > 0 {
		return s.IdleTimeout
	}
	return s.ReadHeaderTimeout
}

// dateCache holds the Date header value, formatted at most once a second.
type dateCache struct {
	v atomic.Pointer[dateValue]
}

type dateValue struct {
	unix int64
	text []byte // http.TimeFormat
}

func (d *dateCache) get(now time.Time) []byte {
	sec := now.Unix()
	if v := d.v.Load(); v != nil && v.unix == sec {
		return v.text
	}
	v := &dateValue{unix: sec, text: now.UTC().AppendFormat(make([]byte, 0, 29), http.TimeFormat)}
	d.v.Store(v)
	return v.text
}
