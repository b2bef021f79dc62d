package gateway

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/h1server"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

// TestBrokenBackendAnswerCutShort: an HTTP_PROXY backend that dies mid-body, through the
// gateway on h1server. An answer that fails before the gateway has begun its own gets 502;
// one that fails once it streams ends the client's connection without completing the
// answer: no last chunk, or fewer bytes than its Content-Length. Never a clean end.
func TestBrokenBackendAnswerCutShort(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 40<<10) // more than the 32 KiB read before answering
	replies := map[string]string{
		"/small":   "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
		"/chunked": fmt.Sprintf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", len(long), long),
		"/sized":   "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + long,
	}
	backend := rawBackend(t, func(path string) string { return replies[path] })

	s := newStore(t)
	deploy(t, s, buildAPI("cut1", map[string]*apigateway.Method{"ANY /{proxy+}": proxyMethod("http://" + backend + "/{proxy}")}, nil), "d1", "prod", nil)
	srv := startServer(t, s, Config{})
	addr := serveEdge(t, &h1server.Server{Handler: srv})

	tests := []struct {
		path  string
		check func(resp *http.Response, body []byte, bodyErr error) string // "" when right
	}{
		{"/small", func(resp *http.Response, body []byte, bodyErr error) string {
			if resp.StatusCode != 502 || string(body) != `{"message": "Internal server error"}` && string(body) != `{"message":"Internal server error"}` {
				return fmt.Sprintf("%d %q; want 502 Internal server error", resp.StatusCode, body)
			}
			return ""
		}},
		{"/chunked", func(resp *http.Response, body []byte, bodyErr error) string {
			if resp.StatusCode != 200 || bodyErr == nil || len(resp.TransferEncoding) == 0 {
				return fmt.Sprintf("%d, %d bytes chunked %v, body error %v; want 200 chunked, cut short", resp.StatusCode, len(body), resp.TransferEncoding, bodyErr)
			}
			return ""
		}},
		{"/sized", func(resp *http.Response, body []byte, bodyErr error) string {
			if resp.StatusCode != 200 || resp.ContentLength != 100000 || len(body) >= 100000 || bodyErr == nil {
				return fmt.Sprintf("%d, %d of %d bytes, body error %v; want 200, cut short", resp.StatusCode, len(body), resp.ContentLength, bodyErr)
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			c := dialEdge(t, addr)
			if _, err := io.WriteString(c, "GET /prod"+tt.path+" HTTP/1.1\r\nHost: cut1.execute-api.localhost\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			var raw bytes.Buffer
			br := bufio.NewReader(io.TeeReader(c, &raw))
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("answer %q: %v", truncateBytes(raw.Bytes(), 200), err)
			}
			body, bodyErr := io.ReadAll(resp.Body)
			if ne, ok := bodyErr.(net.Error); ok && ne.Timeout() {
				t.Fatalf("GET %s: the answer neither ended nor was cut within 10s", tt.path)
			}
			if msg := tt.check(resp, body, bodyErr); msg != "" {
				t.Errorf("GET %s = %s", tt.path, msg)
			}
			if bodyErr != nil && bytes.HasSuffix(raw.Bytes(), []byte("0\r\n\r\n")) {
				t.Errorf("GET %s ends with a last chunk", tt.path)
			}
		})
	}
}

// rawBackend is a backend on a raw listener that writes reply(path) for each request's
// path, then closes the connection. It returns its host:port.
func rawBackend(t *testing.T, reply func(path string) string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		testwait.Group(t, &wg, testwait.Patient, "the raw backend's connections ending")
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				_, _ = io.WriteString(c, reply(req.URL.Path))
			})
		}
	})
	return ln.Addr().String()
}

func truncateBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
