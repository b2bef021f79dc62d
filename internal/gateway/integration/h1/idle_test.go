package h1

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testwait"
)

// TestUnsolicitedBytesNotReused: bytes a backend sends on a connection once its response is
// complete (a body after a 204 or a HEAD answer, or anything else) arrive while the
// connection is idle in the pool. The next request, whatever its method, must not take them
// for its own response: the connection is closed and a new one dialled.
func TestUnsolicitedBytesNotReused(t *testing.T) {
	t.Parallel()
	const stolen = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nstolen"
	tests := []struct {
		name   string
		method string // of the first request
		answer string // its response
		stray  string // written once the client has the response
		next   string // the second request's method
	}{
		{"after a 204", "GET", "HTTP/1.1 204 No Content\r\n\r\n", stolen, "GET"},
		{"after a HEAD answer", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n", "stolen" + stolen, "GET"},
		{"after a complete body", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", stolen, "HEAD"},
		{"before a POST", "GET", "HTTP/1.1 204 No Content\r\n\r\n", stolen, "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			var accepted atomic.Int64
			var wg sync.WaitGroup
			var mu sync.Mutex
			var conns []net.Conn
			t.Cleanup(func() {
				ln.Close()
				mu.Lock()
				for _, c := range conns {
					c.Close()
				}
				mu.Unlock()
				testwait.Group(t, &wg, testwait.Patient, "the backend's connections ending")
			})
			writeStray := make(chan struct{})
			strayWritten := make(chan struct{})
			wg.Go(func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					mu.Lock()
					conns = append(conns, c)
					mu.Unlock()
					first := accepted.Add(1) == 1
					wg.Go(func() {
						defer c.Close()
						br := bufio.NewReader(c)
						for {
							req, err := http.ReadRequest(br)
							if err != nil {
								return
							}
							_, _ = io.Copy(io.Discard, req.Body)
							if !first {
								_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh")
								continue
							}
							if _, err := io.WriteString(c, tt.answer); err != nil {
								return
							}
							select {
							case <-writeStray:
							case <-time.After(10 * time.Second):
								return
							}
							_, _ = io.WriteString(c, tt.stray)
							close(strayWritten)
							if _, err := http.ReadRequest(br); err == nil {
								t.Errorf("a second request came on the connection with stray bytes")
							}
							return
						}
					})
				}
			})
			host := ln.Addr().String()
			c := New(Options{})
			defer c.CloseIdleConnections()
			ctx, cancel := context.WithTimeout(context.Background(), testwait.Patient) // for a hung exchange
			defer cancel()

			resp, err := c.Send(ctx, &Request{Method: tt.method, Scheme: "http", Host: host, Target: "/"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadAll(resp.Body); err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			close(writeStray)
			testwait.Recv(t, strayWritten, 10*time.Second, "the backend's stray bytes written")
			// Wait until they have reached the pooled connection.
			h, _ := c.host("http", host)
			waitFor(t, func() bool {
				h.mu.Lock()
				defer h.mu.Unlock()
				return len(h.idle) == 1 && !h.idle[0].alive()
			})

			resp, err = c.Send(ctx, &Request{Method: tt.next, Scheme: "http", Host: host, Target: "/"})
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := "fresh"
			if tt.next == "HEAD" {
				want = ""
			}
			if string(b) != want || err != nil || strings.Contains(string(b), "stolen") {
				t.Errorf("%s after stray bytes = %q, %v; want %q from a new connection", tt.next, b, err, want)
			}
			if got := accepted.Load(); got != 2 {
				t.Errorf("%d connections; want 2 (the one with stray bytes closed)", got)
			}
		})
	}
}
