package h1server

import (
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestWatchCloseWithHeaderTimeout: a bodyless request's connection still has the header (or
// idle) read deadline when its handler runs; WatchClose must not take that deadline for its
// own stop and give up watching: a client that closes after it is still seen to go.
func TestWatchCloseWithHeaderTimeout(t *testing.T) {
	t.Parallel()
	gone := make(chan string, 1)
	addr := start(t, &Server{ReadHeaderTimeout: 100 * time.Millisecond, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, stop := WatchClose(w, r)
		defer stop()
		select {
		case <-ctx.Done():
			gone <- "gone"
		case <-time.After(3 * time.Second):
			gone <- "not seen"
		}
	})})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(400 * time.Millisecond) // past ReadHeaderTimeout
	c.Close()
	if got := <-gone; got != "gone" {
		t.Errorf("client closed after ReadHeaderTimeout: %s; want the context to end", got)
	}
}
