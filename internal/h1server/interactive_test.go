package h1server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

// TestContinue: the 100 Continue goes out when the handler first reads the body, and only
// then does the client send it.
func TestContinue(t *testing.T) {
	t.Parallel()
	addr := start(t, testServer(t, io.Discard))
	c, br := dial(t, addr)
	io.WriteString(c, "POST /c HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
	line, err := br.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("first line = %q, %v; want 100 Continue", line, err)
	}
	if l, _ := br.ReadString('\n'); l != "\r\n" {
		t.Fatalf("100 Continue ends with %q", l)
	}
	io.WriteString(c, "hello")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "hello" {
		t.Errorf("response = %d %q; want 200 hello", resp.StatusCode, b)
	}
}

// TestFlush: flushed bytes reach the client while the handler still runs.
func TestFlush(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first")
		w.(http.Flusher).Flush()
		<-release
		io.WriteString(w, "second")
	})}
	addr := start(t, s)
	c, br := dial(t, addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(resp.TransferEncoding, ","); got != "chunked" {
		t.Errorf("Transfer-Encoding = %q; want chunked", got)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "first" {
		t.Fatalf("before release: %q, %v; want first", buf, err)
	}
	close(release)
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != "second" {
		t.Errorf("after release: %q, %v; want second", rest, err)
	}
}

// TestTimeouts: a connection that sends nothing, or half a header, is closed.
func TestTimeouts(t *testing.T) {
	t.Parallel()
	s := &Server{Handler: http.HandlerFunc(echo), ReadHeaderTimeout: 200 * time.Millisecond, IdleTimeout: 300 * time.Millisecond}
	addr := start(t, s)
	for _, send := range []string{"", "GET / HTTP/1.1\r\nHost:", "GET / HTTP/1.1\r\nHost: h\r\n\r\n"} {
		c, br := dial(t, addr)
		io.WriteString(c, send)
		t0 := time.Now()
		if send != "" && strings.HasSuffix(send, "\r\n\r\n") {
			if _, err := http.ReadResponse(br, nil); err != nil {
				t.Fatal(err)
			}
		}
		_, err := io.ReadAll(br)
		if d := time.Since(t0); err != nil || d > 2*time.Second {
			t.Errorf("after %q: closed after %v, %v; want a close within the timeouts", send, d, err)
		}
	}
}

// TestShutdown: Shutdown closes idle connections, waits for the request in flight, which
// is answered with Connection: close, and Serve returns ErrServerClosed.
func TestShutdown(t *testing.T) {
	t.Parallel()
	inHandler, release := make(chan struct{}), make(chan struct{})
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(inHandler)
			<-release
		}
		io.WriteString(w, "done")
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	addr := ln.Addr().String()

	idle, idleBR := dial(t, addr)
	io.WriteString(idle, "GET /fast HTTP/1.1\r\nHost: h\r\n\r\n")
	if resp, err := http.ReadResponse(idleBR, nil); err != nil {
		t.Fatal(err)
	} else {
		io.ReadAll(resp.Body)
	}
	busy, busyBR := dial(t, addr)
	io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
	<-inHandler

	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve() = %v; want ErrServerClosed", err)
	}
	if b, err := idleBR.ReadByte(); err == nil {
		t.Errorf("idle connection still open: read %q", b)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown() = %v before the request finished", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	resp, err := http.ReadResponse(busyBR, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "done" || !resp.Close {
		t.Errorf("in-flight response = %q, close %v; want done with Connection: close", b, resp.Close)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown() = %v", err)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("listener still accepts")
	}
	// A Shutdown whose context ends first reports it.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown() = %v; want nil (nothing left)", err)
	}
}
