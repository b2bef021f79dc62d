package h1server

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testwait"
)

// TestReadBodyTimeout: a client that announces a body and stalls is answered 408 and
// closed (as nginx's client_body_timeout), whatever the handler answers; one that keeps
// sending slower than the timeout in total, but never stalling that long, is served.
func TestReadBodyTimeout(t *testing.T) {
	t.Parallel()
	s := &Server{Handler: http.HandlerFunc(echo), ReadHeaderTimeout: 10 * time.Second, ReadBodyTimeout: 300 * time.Millisecond}
	addr := start(t, s)
	for _, tc := range []struct{ name, send string }{
		{"length", "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nab"},
		{"chunked", "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"},
		{"continue", "POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, br := dial(t, addr)
			io.WriteString(c, tc.send)
			resp, err := http.ReadResponse(br, nil)
			if err == nil && resp.StatusCode == 100 {
				resp, err = http.ReadResponse(br, nil)
			}
			if err != nil {
				t.Fatalf("no response to a stalled body: %v", err)
			}
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusRequestTimeout || !resp.Close {
				t.Errorf("response = %d %q, close %v; want 408 and Connection: close", resp.StatusCode, b, resp.Close)
			}
			if _, err := br.ReadByte(); err == nil {
				t.Error("connection still open after 408")
			}
		})
	}
	t.Run("slow but steady", func(t *testing.T) {
		t.Parallel()
		// A server of its own with a longer timeout, so that the client's own waits (which a
		// loaded machine stretches) stay far below it: 12 bytes 250 ms apart take 3 s, 1.5x
		// the timeout, and only a single gap of about 2 s would fail the test.
		s := &Server{Handler: http.HandlerFunc(echo), ReadHeaderTimeout: 10 * time.Second, ReadBodyTimeout: 2 * time.Second}
		c, br := dial(t, start(t, s))
		const body = "abcdefghijkl"
		io.WriteString(c, "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n")
		for i := range len(body) {
			time.Sleep(250 * time.Millisecond)
			c.Write([]byte{body[i]})
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(b) != body {
			t.Errorf("response = %d %q; want 200 %s", resp.StatusCode, b, body)
		}
	})
}

// TestWriteTimeout: a client that never reads a large answer is dropped: the handler's
// writes fail (so a proxied backend exchange would end), within a deadline.
func TestWriteTimeout(t *testing.T) {
	t.Parallel()
	writeErr := make(chan error, 1)
	s := &Server{WriteTimeout: 200 * time.Millisecond, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 64<<10)
		for range 1 << 14 { // 1 GiB: far more than socket buffers hold
			if _, err := w.Write(chunk); err != nil {
				writeErr <- err
				return
			}
		}
		writeErr <- nil
	})}
	addr := start(t, s)
	c, _ := dial(t, addr)
	c.(*net.TCPConn).SetReadBuffer(4 << 10)
	io.WriteString(c, "GET /big HTTP/1.1\r\nHost: h\r\n\r\n")
	if err := testwait.Recv(t, writeErr, 30*time.Second, "the end of the handler's writes to a client that reads nothing"); !isTimeout(err) {
		t.Errorf("handler's write error = %v; want a deadline error", err)
	}
}

// TestWriteTimeoutAfterDrain: the response's write deadline starts when its writes do, not
// while the server drains a body the handler left unread, which its read deadlines bound.
func TestWriteTimeoutAfterDrain(t *testing.T) {
	t.Parallel()
	s := &Server{ReadHeaderTimeout: 10 * time.Second, ReadBodyTimeout: 5 * time.Second, WriteTimeout: 300 * time.Millisecond,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	c, br := dial(t, start(t, s))
	const body = "abcd"
	io.WriteString(c, "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n")
	for i := range len(body) { // 1 s of drain, over three times the write timeout
		time.Sleep(250 * time.Millisecond)
		c.Write([]byte{body[i]})
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response after a slow drain: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "ok" {
		t.Errorf("response = %d %q; want 200 ok", resp.StatusCode, b)
	}
}

// TestIdleReleasesHeaderBuffer: a connection that received a header larger than its
// reader keeps no copy of it once idle.
func TestIdleReleasesHeaderBuffer(t *testing.T) {
	t.Parallel()
	s := &Server{Handler: http.HandlerFunc(echo), MaxHeaderBytes: 64 << 10}
	addr := start(t, s)
	c, br := dial(t, addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\nFoo: "+strings.Repeat("x", 20<<10)+"\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	var idle *conn
	testwait.Until(t, 10*time.Second, "the connection going idle", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for sc := range s.conns {
			idle = sc
		}
		return len(s.conns) == 1 && idle.state.Load() == stateIdle
	})
	// The connection stores hdrBuf = nil before its idle state (an atomic store), so
	// reading it after seeing idle is ordered.
	if n := cap(idle.hdrBuf); n != 0 {
		t.Errorf("idle connection holds a %d-byte header buffer; want none", n)
	}
}

// isTimeout reports whether err is a deadline error.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
