package h1

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testwait"
)

// script is a backend on a raw listener: for every request on every connection it calls
// answer with the request (its body read) and writes back exactly what answer returns.
// close after the answer ends the connection; hang keeps it open without answering.
type script struct {
	ln       net.Listener
	accepted atomic.Int64
	requests atomic.Int64
	mu       sync.Mutex
	raw      [][]byte // every request's bytes as received, head and body
}

type answer struct {
	bytes string
	close bool
	delay time.Duration
}

func newScript(t *testing.T, respond func(n int, req *http.Request) answer) *script {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &script{ln: ln}
	var wg sync.WaitGroup
	var conns sync.Map
	t.Cleanup(func() {
		ln.Close()
		conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepted.Add(1)
			conns.Store(c, true)
			wg.Go(func() {
				defer c.Close()
				rec := &recorder{r: c}
				br := bufio.NewReader(rec)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					s.mu.Lock()
					s.raw = append(s.raw, rec.take(br.Buffered()))
					s.mu.Unlock()
					a := respond(int(s.requests.Add(1)), req)
					time.Sleep(a.delay)
					if _, err := io.WriteString(c, a.bytes); err != nil || a.close {
						return
					}
				}
			})
		}
	})
	return s
}

func (s *script) url() string { return "http://" + s.ln.Addr().String() }

func (s *script) lastRaw() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.raw) == 0 {
		return ""
	}
	return string(s.raw[len(s.raw)-1])
}

// recorder keeps what was read, so a request's exact bytes can be checked.
type recorder struct {
	r   io.Reader
	buf []byte
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.buf = append(r.buf, p[:n]...)
	return n, err
}

// take returns the bytes consumed so far except the last buffered ones (the next
// request's).
func (r *recorder) take(buffered int) []byte {
	n := len(r.buf) - buffered
	out := append([]byte(nil), r.buf[:n]...)
	r.buf = append(r.buf[:0], r.buf[n:]...)
	return out
}

func get(t *testing.T, c *Client, rawURL, method string) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.RoundTrip(req)
	if err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b), err
}

func TestResponses(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 70<<10)
	tests := []struct {
		name    string
		method  string
		resp    string
		close   bool // the script closes the connection after answering
		status  int
		body    string
		length  int64
		header  map[string]string // "" means absent
		err     string            // on RoundTrip
		bodyErr string            // on reading the body
		conns   int               // connections two requests take (0: not checked)
	}{
		{name: "content-length", resp: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: a\r\n\r\nhello", status: 200, body: "hello", length: 5,
			header: map[string]string{"Content-Length": "5", "X-A": "a"}, conns: 1},
		{name: "chunked with trailer", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
			status: 200, body: "hello world", length: -1, header: map[string]string{"Transfer-Encoding": "", "X-Trailer": ""}, conns: 1},
		{name: "chunked case-insensitive", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
			status: 200, body: "ok", length: -1, conns: 1},
		// Both framings: refused, as nginx refuses them (net/http lets chunked win), since
		// the two may disagree on where the next response starts (RFC 9112 §6.1).
		{name: "content-length and chunked", resp: "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
			err: "both Transfer-Encoding and Content-Length"},
		{name: "chunked and content-length", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n",
			err: "both Transfer-Encoding and Content-Length"},
		{name: "head with both", method: "HEAD", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
			err: "both Transfer-Encoding and Content-Length"},
		// A 204 that announces a body may send it: its connection is not reused.
		{name: "204 with length", resp: "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", status: 204, length: 0, conns: 2},
		{name: "204 chunked", resp: "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n", status: 204, length: 0, conns: 2},
		{name: "204 with zero length", resp: "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", status: 204, length: 0, conns: 1},
		// Fields the Connection header lists are hop-by-hop (RFC 9110 §7.6.1), whatever
		// it says besides.
		{name: "connection options", resp: "HTTP/1.1 200 OK\r\nConnection: X-Secret, keep-alive\r\nX-Secret: s\r\nKeep-Alive: timeout=5\r\nX-Other: o\r\nContent-Length: 0\r\n\r\n",
			status: 200, length: 0, header: map[string]string{"X-Secret": "", "Keep-Alive": "", "X-Other": "o", "Connection": "X-Secret, keep-alive"}, conns: 1},
		{name: "connection close with options", resp: "HTTP/1.1 200 OK\r\nConnection: x-secret\r\nConnection: close\r\nX-Secret: s\r\nContent-Length: 2\r\n\r\nok", close: true,
			status: 200, body: "ok", length: 2, header: map[string]string{"X-Secret": "", "Connection": ""}, conns: 2},
		{name: "connection lists content-length", resp: "HTTP/1.1 200 OK\r\nConnection: Content-Length\r\nContent-Length: 2\r\n\r\nok",
			status: 200, body: "ok", length: 2, header: map[string]string{"Content-Length": ""}, conns: 1},
		{name: "until close", resp: "HTTP/1.1 200 OK\r\nX-A: a\r\n\r\nuntil the end", close: true, status: 200, body: "until the end", length: -1, conns: 2},
		{name: "connection close", resp: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", close: true, status: 200, body: "ok", length: 2,
			header: map[string]string{"Connection": ""}, conns: 2},
		{name: "http/1.0", resp: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", close: true, status: 200, body: "ok", length: 2, conns: 2},
		{name: "http/1.0 keep-alive", resp: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", status: 200, body: "ok", length: 2,
			header: map[string]string{"Connection": "keep-alive"}, conns: 1},
		// Faulty framing (RFC 9112 §6.1); net/http reads it until the connection closes.
		{name: "http/1.0 transfer-encoding", resp: "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok", close: true, err: "HTTP/1.0 response has Transfer-Encoding"},
		{name: "head", method: "HEAD", resp: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", status: 200, body: "", length: 100, conns: 1},
		{name: "head chunked", method: "HEAD", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", status: 200, body: "", length: -1, conns: 1},
		{name: "204", resp: "HTTP/1.1 204 No Content\r\n\r\n", status: 204, body: "", length: 0, conns: 1},
		{name: "304 with length", resp: "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", status: 304, body: "", length: 0,
			header: map[string]string{"Content-Length": "10"}, conns: 1},
		{name: "empty", resp: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", status: 200, length: 0, conns: 1},
		{name: "100 continue skipped", resp: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx",
			status: 201, body: "x", length: 1, header: map[string]string{"Link": ""}, conns: 1},
		{name: "bare LF", resp: "HTTP/1.1 200 OK\nContent-Length: 2\nX-A:  spaced \t\n\nok", status: 200, body: "ok", length: 2, header: map[string]string{"X-A": "spaced"}, conns: 1},
		{name: "no reason", resp: "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", status: 404, length: 0, conns: 1},
		{name: "canonical names, repeats", resp: "HTTP/1.1 200 OK\r\ncontent-TYPE: a/b\r\nx-multi: 1\r\nX-Multi: 2\r\nContent-Length: 0\r\nContent-Length:  0\r\n\r\n",
			status: 200, length: 0, header: map[string]string{"Content-Type": "a/b", "X-Multi": "1"}, conns: 1},
		{name: "early close", resp: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", close: true, status: 200, body: "abc", length: 10, bodyErr: "unexpected EOF", conns: 2},
		{name: "chunked cut short", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", close: true, status: 200, body: "ab", length: -1, bodyErr: "unexpected EOF", conns: 2},
		{name: "bad chunk size", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n", close: true, status: 200, length: -1, bodyErr: "invalid byte in chunk length"},
		{name: "huge header", resp: "HTTP/1.1 200 OK\r\nX-Big: " + big + "\r\nContent-Length: 0\r\n\r\n", err: "exceeds 65536 bytes"},
		{name: "big header fits", resp: "HTTP/1.1 200 OK\r\nX-Big: " + big[:60<<10] + "\r\nContent-Length: 0\r\n\r\n", status: 200, length: 0, conns: 1},
		{name: "status code too long", resp: "HTTP/1.1 2000 OK\r\n\r\n", err: "malformed status line"},
		{name: "status code letters", resp: "HTTP/1.1 2x0 OK\r\n\r\n", err: "malformed status line"},
		{name: "status below 100", resp: "HTTP/1.1 099 Odd\r\n\r\n", err: "malformed status line"},
		{name: "http/2 status line", resp: "HTTP/2 200 OK\r\n\r\n", err: "malformed status line"},
		{name: "not http", resp: "SSH-2.0-OpenSSH\r\n\r\n", err: "malformed status line"},
		{name: "garbage", resp: "\x00\x01\x02\r\n\r\n", err: "malformed status line"},
		{name: "header without colon", resp: "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", err: "malformed header line"},
		{name: "space in name", resp: "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", err: "malformed header line"},
		{name: "space before colon", resp: "HTTP/1.1 200 OK\r\nName : x\r\n\r\n", err: "malformed header line"},
		{name: "empty name", resp: "HTTP/1.1 200 OK\r\n: x\r\n\r\n", err: "malformed header line"},
		{name: "obs-fold", resp: "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\n\r\n", err: "malformed header line"},
		{name: "NUL in value", resp: "HTTP/1.1 200 OK\r\nX-A: a\x00b\r\n\r\n", err: "malformed header value"},
		{name: "bare CR", resp: "HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n", err: "bare CR"},
		{name: "conflicting lengths", resp: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", err: "multiple Content-Length"},
		{name: "bad length", resp: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", err: "bad Content-Length"},
		{name: "plus length", resp: "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\nx", err: "bad Content-Length"},
		{name: "empty length", resp: "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", err: "bad Content-Length"},
		{name: "gzip transfer-encoding", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", err: "unsupported transfer encoding"},
		{name: "two transfer-encodings", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", err: "unsupported transfer encoding"},
		{name: "switching protocols", resp: "HTTP/1.1 101 Switching Protocols\r\n\r\n", err: "101"},
		{name: "too many 1xx", resp: strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", 6) + "HTTP/1.1 200 OK\r\n\r\n", err: "too many 1xx"},
		{name: "closed before answering", resp: "", close: true, err: "EOF"},
		{name: "closed mid-head", resp: "HTTP/1.1 200 OK\r\nX-A", close: true, err: "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newScript(t, func(int, *http.Request) answer { return answer{bytes: tt.resp, close: tt.close} })
			c := New(Options{})
			defer c.CloseIdleConnections()
			method := tt.method
			if method == "" {
				method = "GET"
			}
			for i := range 2 {
				resp, body, err := get(t, c, s.url()+"/x", method)
				if tt.err != "" {
					if err == nil || !strings.Contains(err.Error(), tt.err) {
						t.Fatalf("%s = %v; want an error with %q", method, err, tt.err)
					}
					// A broken answer is a *ProtocolError (a gateway's 502); a connection
					// closed before a byte of one is not.
					var pe *ProtocolError
					if errors.As(err, &pe) != (tt.name != "closed before answering") {
						t.Errorf("error %v: *ProtocolError %v", err, errors.As(err, &pe))
					}
					return
				}
				if tt.bodyErr != "" {
					var pe *ProtocolError
					if err == nil || !strings.Contains(err.Error(), tt.bodyErr) || !errors.As(err, &pe) {
						t.Fatalf("reading the body = %v; want a *ProtocolError with %q", err, tt.bodyErr)
					}
				} else if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if resp.StatusCode != tt.status || body != tt.body || resp.ContentLength != tt.length {
					t.Fatalf("%s = %d %q (length %d); want %d %q (length %d)", method, resp.StatusCode, body, resp.ContentLength, tt.status, tt.body, tt.length)
				}
				for k, want := range tt.header {
					if got := resp.Header.Get(k); got != want {
						t.Errorf("header %s = %q; want %q", k, got, want)
					}
				}
			}
			if tt.conns != 0 {
				if got := s.accepted.Load(); got != int64(tt.conns) {
					t.Errorf("two requests took %d connections; want %d", got, tt.conns)
				}
			}
		})
	}
}

func TestKeepAliveReuse(t *testing.T) {
	t.Parallel()
	s := newScript(t, func(n int, _ *http.Request) answer {
		b := fmt.Sprint(n)
		return answer{bytes: fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(b), b)}
	})
	c := New(Options{})
	defer c.CloseIdleConnections()
	for i := 1; i <= 50; i++ {
		_, body, err := get(t, c, s.url()+"/", "GET")
		if err != nil || body != fmt.Sprint(i) {
			t.Fatalf("request %d = %q, %v", i, body, err)
		}
	}
	if got := s.accepted.Load(); got != 1 {
		t.Errorf("50 sequential requests took %d connections; want 1", got)
	}
}

// TestRetryIdleClosed: the backend closes a connection after answering, without saying so.
// The next request gets a new connection: an idempotent one by being sent again, once; any
// other because the idle connection is checked before it is used, so even a one-shot body
// goes through.
func TestRetryIdleClosed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		send      func(c *Client, url string) (*http.Response, error)
		wantRetry bool
	}{
		{"GET", func(c *Client, url string) (*http.Response, error) {
			return c.Send(context.Background(), &Request{Method: "GET", Scheme: "http", Host: strings.TrimPrefix(url, "http://"), Target: "/"})
		}, true},
		{"POST with buffered body", func(c *Client, url string) (*http.Response, error) {
			return c.Send(context.Background(), &Request{Method: "POST", Scheme: "http", Host: strings.TrimPrefix(url, "http://"), Target: "/", Body: []byte("payload")})
		}, true},
		{"RoundTrip with GetBody", func(c *Client, url string) (*http.Response, error) {
			req, _ := http.NewRequest("PUT", url+"/", strings.NewReader("payload"))
			return c.RoundTrip(req)
		}, true},
		{"RoundTrip with a one-shot body", func(c *Client, url string) (*http.Response, error) {
			req, _ := http.NewRequest("PUT", url+"/", io.MultiReader(strings.NewReader("payload")))
			return c.RoundTrip(req)
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newScript(t, func(n int, _ *http.Request) answer {
				return answer{bytes: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", close: true}
			})
			c := New(Options{})
			defer c.CloseIdleConnections()
			for i := range 2 {
				resp, err := tt.send(c, s.url())
				if i == 1 && !tt.wantRetry {
					if err == nil {
						t.Fatalf("second request succeeded; want the dead connection's error")
					}
					return
				}
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || string(b) != "ok" {
					t.Fatalf("request %d body = %q, %v", i, b, err)
				}
				if i == 0 {
					// Let the close arrive: the idle connection reads as closed.
					h, _ := c.host("http", strings.TrimPrefix(s.url(), "http://"))
					waitFor(t, func() bool {
						h.mu.Lock()
						defer h.mu.Unlock()
						return len(h.idle) == 1 && !h.idle[0].alive()
					})
				}
			}
			if got := s.requests.Load(); got != 2 {
				t.Errorf("backend saw %d requests; want 2", got)
			}
			if got := s.accepted.Load(); got != 2 {
				t.Errorf("%d connections; want 2", got)
			}
			if raw := s.lastRaw(); strings.Contains(raw, "payload") != strings.Contains(strings.ToLower(tt.name), "body") {
				t.Errorf("retried request = %q", raw)
			}
		})
	}
}

// TestNoDuplicateAfterWrite: when a reused connection fails after the request was written
// (the backend read it, then closed without answering), only an idempotent request is sent
// again; a POST is not, since the backend may have acted on it.
func TestNoDuplicateAfterWrite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method       string
		header       http.Header
		wantRequests int64
		wantErr      bool
	}{
		{"GET", nil, 3, false},
		{"POST", nil, 2, true},
		{"POST", http.Header{"Idempotency-Key": {"k1"}}, 3, false},
		{"PATCH", nil, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.method+fmt.Sprint(len(tt.header)), func(t *testing.T) {
			t.Parallel()
			s := newScript(t, func(n int, _ *http.Request) answer {
				if n == 2 {
					return answer{close: true} // read it, then hang up without a word
				}
				return answer{bytes: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"}
			})
			c := New(Options{})
			defer c.CloseIdleConnections()
			host := strings.TrimPrefix(s.url(), "http://")
			for i := range 2 {
				resp, err := c.Send(context.Background(), &Request{Method: tt.method, Scheme: "http", Host: host, Target: "/", Header: tt.header, Body: []byte("x")})
				if i == 1 && tt.wantErr {
					if err == nil {
						resp.Body.Close()
						t.Fatal("second request succeeded; want the failed exchange's error, not a resend")
					}
					break
				}
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if got := s.requests.Load(); got != tt.wantRequests {
				t.Errorf("backend saw %d requests; want %d", got, tt.wantRequests)
			}
		})
	}
}

// TestNoRetryOnFreshConnection: a new connection that fails is not retried.
func TestNoRetryOnFreshConnection(t *testing.T) {
	t.Parallel()
	s := newScript(t, func(int, *http.Request) answer { return answer{close: true} })
	c := New(Options{})
	if _, _, err := get(t, c, s.url(), "GET"); err == nil {
		t.Fatal("GET succeeded; want an error")
	}
	if got := s.accepted.Load(); got != 1 {
		t.Errorf("%d connections; want 1", got)
	}
}

func TestRequestBytes(t *testing.T) {
	t.Parallel()
	s := newScript(t, func(int, *http.Request) answer { return answer{bytes: "HTTP/1.1 204 No Content\r\n\r\n"} })
	host := strings.TrimPrefix(s.url(), "http://")
	c := New(Options{})
	defer c.CloseIdleConnections()
	send := func(r *Request) string {
		t.Helper()
		r.Scheme, r.Host = "http", host
		resp, err := c.Send(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return s.lastRaw()
	}
	hdr := http.Header{"X-One": {" one "}, "Host": {"ignored"}, "Content-Length": {"99"}}
	if got, want := send(&Request{Method: "GET", Target: "/a%20b?x=1", Header: hdr}),
		"GET /a%20b?x=1 HTTP/1.1\r\nHost: "+host+"\r\nX-One: one\r\n\r\n"; got != want {
		t.Errorf("GET sent %q; want %q", got, want)
	}
	if got, want := send(&Request{Method: "POST", Target: "/", HostHeader: "api.example"}),
		"POST / HTTP/1.1\r\nHost: api.example\r\nContent-Length: 0\r\n\r\n"; got != want {
		t.Errorf("empty POST sent %q; want %q", got, want)
	}
	if got, want := send(&Request{Method: "PATCH", Target: "/", Body: []byte("hi"), Close: true}),
		"PATCH / HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi"; got != want {
		t.Errorf("PATCH sent %q; want %q", got, want)
	}
	if got, want := send(&Request{Method: "DELETE", Target: "/"}), "DELETE / HTTP/1.1\r\nHost: "+host+"\r\n\r\n"; got != want {
		t.Errorf("DELETE sent %q; want %q", got, want)
	}

	// RoundTrip: unknown length is chunked, a known one is Content-Length.
	req, _ := http.NewRequest("POST", s.url()+"/up?q", io.MultiReader(strings.NewReader("abc")))
	resp, err := c.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, want := s.lastRaw(), "POST /up?q HTTP/1.1\r\nHost: "+host+"\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"; got != want {
		t.Errorf("chunked POST sent %q; want %q", got, want)
	}
	req, _ = http.NewRequest("PUT", s.url()+"/", strings.NewReader("abcd"))
	if resp, err = c.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, want := s.lastRaw(), "PUT / HTTP/1.1\r\nHost: "+host+"\r\nContent-Length: 4\r\n\r\nabcd"; got != want {
		t.Errorf("PUT sent %q; want %q", got, want)
	}

	// Refused before anything is sent.
	before := s.requests.Load()
	for _, r := range []*Request{
		{Method: "GET", Target: "/", Header: http.Header{"X-Evil": {"a\r\nInjected: yes"}}},
		{Method: "GET", Target: "/", Header: http.Header{"Bad Name": {"x"}}},
		{Method: "GET", Target: "/\r\nInjected: yes"},
		{Method: "G T", Target: "/"},
		{Method: "GET", Target: "/", HostHeader: "a\r\nb"},
	} {
		r.Scheme, r.Host = "http", host
		if _, err := c.Send(context.Background(), r); err == nil {
			t.Errorf("Send(%+v) succeeded; want an error", r)
		}
	}
	// Nothing of them was written: a request sent after them is the only one more.
	send(&Request{Method: "GET", Target: "/after"})
	if got := s.requests.Load(); got != before+1 || !strings.HasPrefix(s.lastRaw(), "GET /after ") {
		t.Errorf("refused requests reached the backend: %d requests; want 1", got-before)
	}
}

func TestDeadlineAndCancel(t *testing.T) {
	t.Parallel()
	s := newScript(t, func(n int, req *http.Request) answer {
		switch req.URL.Path {
		case "/slow":
			return answer{bytes: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", delay: 500 * time.Millisecond}
		case "/slowbody":
			return answer{bytes: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab"} // and never the rest
		}
		return answer{bytes: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"}
	})
	host := strings.TrimPrefix(s.url(), "http://")
	c := New(Options{})
	defer c.CloseIdleConnections()

	// The backend answers /slow after 500ms: an error that matches the deadline or the
	// cancellation shows the exchange ended before (no assertion on durations, which a
	// loaded machine stretches).
	_, err := c.Send(context.Background(), &Request{Method: "GET", Scheme: "http", Host: host, Target: "/slow", Deadline: time.Now().Add(50 * time.Millisecond)})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow head: err = %v; want one matching context.DeadlineExceeded", err)
	}

	// A second: the head arrives well before it even on a loaded machine; the rest never.
	resp, err := c.Send(context.Background(), &Request{Method: "GET", Scheme: "http", Host: host, Target: "/slowbody", Deadline: time.Now().Add(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if string(b) != "ab" || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow body = %q, %v; want ab and an error matching context.DeadlineExceeded", b, err)
	}

	// The context's deadline counts too.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_, err = c.Send(ctx, &Request{Method: "GET", Scheme: "http", Host: host, Target: "/slow"})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("context deadline: err = %v; want context.DeadlineExceeded", err)
	}

	// Cancellation closes the connection and returns at once.
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = c.Send(ctx, &Request{Method: "GET", Scheme: "http", Host: host, Target: "/slow", Deadline: time.Now().Add(5 * time.Second)})
	if !errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled: err = %v; want context.Canceled", err)
	}

	// A finished request's cancellation does not touch its pooled connection.
	ctx, cancel = context.WithCancel(context.Background())
	resp, err = c.Send(ctx, &Request{Method: "GET", Scheme: "http", Host: host, Target: "/fast"})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	cancel()
	conns := s.accepted.Load()
	if _, body, err := get(t, c, s.url()+"/fast", "GET"); err != nil || body != "ok" {
		t.Fatalf("after cancel: %q, %v", body, err)
	}
	if got := s.accepted.Load(); got != conns {
		t.Errorf("the pooled connection was not reused after its request's context was cancelled")
	}
}

func TestUnreadBodyClosesConnection(t *testing.T) {
	t.Parallel()
	s := newScript(t, func(int, *http.Request) answer {
		return answer{bytes: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"}
	})
	c := New(Options{})
	defer c.CloseIdleConnections()
	req, _ := http.NewRequest("GET", s.url(), nil)
	resp, err := c.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if n, err := resp.Body.Read(buf); n != 2 || err != nil {
		t.Fatalf("Read = %d, %v", n, err)
	}
	resp.Body.Close()
	if n, err := resp.Body.Read(buf); n != 0 || err == nil {
		t.Errorf("Read after Close = %d, %v; want an error", n, err)
	}
	if _, body, err := get(t, c, s.url(), "GET"); err != nil || body != "hello" {
		t.Fatalf("next GET = %q, %v", body, err)
	}
	if got := s.accepted.Load(); got != 2 {
		t.Errorf("%d connections; want 2 (the half-read one closed)", got)
	}
	// Read to its end, the body returns its connection even unclosed... and Read after EOF
	// keeps saying EOF.
	resp, err = c.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(resp.Body); string(b) != "hello" || err != nil {
		t.Fatalf("ReadAll = %q, %v", b, err)
	}
	if n, err := resp.Body.Read(buf); n != 0 || err != io.EOF {
		t.Errorf("Read after EOF = %d, %v; want 0, EOF", n, err)
	}
	if _, _, err := get(t, c, s.url(), "GET"); err != nil {
		t.Fatal(err)
	}
	if got := s.accepted.Load(); got != 2 {
		t.Errorf("%d connections; want 2 (the fully read one reused)", got)
	}
}

func TestIdlePool(t *testing.T) {
	t.Parallel()
	var closedByClient, accepted atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	release := make(chan struct{})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						closedByClient.Add(1)
						return
					}
					if req.URL.Path == "/wait" {
						select {
						case <-release:
						case <-time.After(10 * time.Second):
							return // the test has failed; do not hold its connection
						}
					}
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				}
			}()
		}
	}()
	url := "http://" + ln.Addr().String()

	// Bounded: of three concurrent connections, one stays idle. (Its idle timeout is long
	// enough not to close it before it is counted, even on a loaded machine.)
	c := New(Options{MaxIdlePerHost: 1, IdleTimeout: 2 * time.Second})
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if _, _, err := get(t, c, url+"/wait", "GET"); err != nil {
				t.Error(err)
			}
		})
	}
	waitFor(t, func() bool { return accepted.Load() == 3 })
	close(release)
	wg.Wait()
	h, _ := c.host("http", ln.Addr().String())
	h.mu.Lock()
	idle := len(h.idle)
	h.mu.Unlock()
	if idle != 1 {
		t.Errorf("%d idle connections; want 1", idle)
	}
	waitFor(t, func() bool { return closedByClient.Load() >= 2 })
	// The idle timeout closes the last one, without a request.
	waitFor(t, func() bool { return closedByClient.Load() == 3 })
	h.mu.Lock()
	idle = len(h.idle)
	h.mu.Unlock()
	if idle != 0 {
		t.Errorf("%d idle connections after the idle timeout; want 0", idle)
	}
	// And the pool works again after that.
	if _, body, err := get(t, c, url+"/", "GET"); err != nil || body != "ok" {
		t.Fatalf("GET = %q, %v", body, err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	testwait.Until(t, 10*time.Second, "condition", cond)
}

func TestHTTPTest(t *testing.T) {
	t.Parallel()
	payload := bytes.Repeat([]byte("0123456789"), 100_000) // 1 MB, streamed in chunks
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("X-Method", r.Method)
			w.Header().Set("X-Host", r.Host)
			_, _ = w.Write(b)
		case "/stream":
			for i := 0; i < len(payload); i += 64 << 10 {
				_, _ = w.Write(payload[i:min(i+64<<10, len(payload))])
				w.(http.Flusher).Flush()
			}
		}
	})
	plain := httptest.NewServer(handler)
	defer plain.Close()
	var sni atomic.Value
	tlsSrv := httptest.NewUnstartedServer(handler)
	tlsSrv.TLS = &tls.Config{GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		sni.Store(hello.ServerName)
		return nil, nil
	}}
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes below
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(tlsSrv.Certificate())

	check := func(t *testing.T, c *Client, base string) {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/echo", strings.NewReader("ping"))
		resp, err := c.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "ping" || resp.Header.Get("X-Method") != "POST" {
			t.Errorf("echo = %q %v", b, resp.Header)
		}
		req, _ = http.NewRequest("GET", base+"/stream", nil)
		resp, err = c.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		buf := make([]byte, 1000)
		for {
			n, err := resp.Body.Read(buf)
			got.Write(buf[:n])
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(got.Bytes(), payload) || resp.ContentLength != -1 {
			t.Errorf("stream: %d bytes (length %d); want the %d-byte payload chunked", got.Len(), resp.ContentLength, len(payload))
		}
	}
	t.Run("plain", func(t *testing.T) {
		c := New(Options{})
		defer c.CloseIdleConnections()
		check(t, c, plain.URL)
	})
	t.Run("tls verified", func(t *testing.T) {
		c := New(Options{TLSConfig: &tls.Config{RootCAs: pool}})
		defer c.CloseIdleConnections()
		check(t, c, tlsSrv.URL)
		// The certificate is for example.com too: SNI and verification follow the host.
		_, port, _ := net.SplitHostPort(tlsSrv.Listener.Addr().String())
		c2 := New(Options{TLSConfig: &tls.Config{RootCAs: pool}})
		resp, err := c2.Send(context.Background(), &Request{Method: "GET", Scheme: "https", Host: "localhost:" + port, Target: "/echo"})
		if err == nil {
			resp.Body.Close()
			t.Errorf("https://localhost verified against a certificate without localhost")
		}
		if got, _ := sni.Load().(string); got != "localhost" {
			t.Errorf("SNI = %q; want localhost", got)
		}
	})
	t.Run("tls unverified", func(t *testing.T) {
		c := New(Options{})
		req, _ := http.NewRequest("GET", tlsSrv.URL+"/echo", nil)
		if _, err := c.RoundTrip(req); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("untrusted certificate: err = %v; want a certificate error", err)
		}
		c = New(Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}})
		defer c.CloseIdleConnections()
		check(t, c, tlsSrv.URL)
	})
	t.Run("concurrent", func(t *testing.T) {
		c := New(Options{MaxIdlePerHost: 4})
		defer c.CloseIdleConnections()
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 100 {
					want := fmt.Sprint(g, "-", i)
					r := &Request{Method: "PUT", Scheme: "http", Host: strings.TrimPrefix(plain.URL, "http://"), Target: "/echo", Body: []byte(want)}
					resp, err := c.Send(context.Background(), r)
					if err != nil {
						t.Error(err)
						return
					}
					b, err := io.ReadAll(resp.Body)
					if string(b) != want || err != nil {
						t.Errorf("echo = %q, %v; want %q", b, err, want)
					}
				}
			})
		}
		wg.Wait()
	})
	t.Run("refused", func(t *testing.T) {
		dead := httptest.NewServer(handler)
		url := dead.URL
		dead.Close()
		c := New(Options{})
		req, _ := http.NewRequest("GET", url, nil)
		if _, err := c.RoundTrip(req); err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("refused: err = %v; want a plain connection error", err)
		}
	})
}

func TestHostAddress(t *testing.T) {
	t.Parallel()
	c := New(Options{})
	tests := []struct{ scheme, host, addr string }{
		{"http", "example.com", "example.com:80"},
		{"https", "example.com", "example.com:443"},
		{"http", "example.com:8080", "example.com:8080"},
		{"http", "[::1]", "[::1]:80"},
		{"https", "[::1]:8443", "[::1]:8443"},
	}
	for _, tt := range tests {
		h, err := c.host(tt.scheme, tt.host)
		if err != nil || h.addr != tt.addr {
			t.Errorf("host(%s, %s) = %v, %v; want %s", tt.scheme, tt.host, h, err, tt.addr)
		}
	}
	for _, bad := range []string{"", "a b", "a/b", "user@host", ":80"} {
		if _, err := c.host("http", bad); err == nil {
			t.Errorf("host(http, %q) succeeded; want an error", bad)
		}
	}
	if _, err := c.host("ftp", "example.com"); err == nil {
		t.Errorf("host(ftp) succeeded; want an error")
	}
}
