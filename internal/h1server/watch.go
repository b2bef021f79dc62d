package h1server

import (
	"context"
	"errors"
	"net/http"
	"os"
	"time"
)

// WatchClose returns a context derived from r's that ends when the client closes its
// connection while the handler still runs, for a handler that waits long for something to
// answer with (a Lambda runtime's GET /next waits for its next invocation): it can then give
// up rather than hand what it waited for to a client that is gone. The handler must call
// stop before it returns, and must not read r.Body after WatchClose.
//
// h1server does no background reads otherwise, so the watch is opt-in and costs nothing to
// requests that do not ask for it; it costs one goroutine and one context while it runs. It
// watches only a request whose body was read whole (or that has none); for any other, and
// for a ResponseWriter that is not h1server's (net/http cancels r's context itself), the
// context is r's. A client that sends more (a pipelined request) is not seen as gone: the
// bytes stay buffered for the connection's next request.
func WatchClose(w http.ResponseWriter, r *http.Request) (ctx context.Context, stop func()) {
	rw, ok := w.(*response)
	if !ok || rw.req != r {
		return r.Context(), func() {}
	}
	c := rw.c
	if b := &c.body; !(b.mode == bodyNone || b.sawEOF) {
		return r.Context(), func() {}
	}
	ctx, cancel := context.WithCancel(r.Context())
	done := make(chan struct{})
	c.readRenew = 0 // no body deadline to renew: a deadline ends the watch (stop's)
	// A bodyless request's connection still has the idle or header deadline readRequest
	// set (ReadHeaderTimeout, IdleTimeout): it would end the Peek below as if stop had.
	c.rwc.SetReadDeadline(time.Time{})
	go func() {
		defer close(done)
		if _, err := c.br.Peek(1); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			cancel() // EOF or a reset: the client is gone
		}
	}()
	return ctx, func() {
		c.rwc.SetReadDeadline(time.Now()) // ends a Peek still waiting
		<-done
		c.rwc.SetReadDeadline(time.Time{}) // readRequest sets the next request's own
		cancel()
	}
}
