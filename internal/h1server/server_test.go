package h1server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// start serves h on a loopback listener until the test ends and returns its address.
func start(t testing.TB, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown() = %v", err)
		}
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve() = %v; want ErrServerClosed", err)
		}
	})
	return ln.Addr().String()
}

// echo is the handler most tests use: it reports the request and echoes its body.
func echo(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("X-Method", r.Method)
	w.Header().Set("X-Path", r.URL.Path)
	w.Header().Set("X-Raw-Path", r.URL.RawPath)
	w.Header().Set("X-Query", r.URL.RawQuery)
	w.Header().Set("X-Host", r.Host)
	w.Header().Set("X-URI", r.RequestURI)
	w.Header().Set("X-Len", fmt.Sprint(r.ContentLength))
	w.Header().Set("X-TE", strings.Join(r.TransferEncoding, ","))
	w.Header().Set("X-Foo", strings.Join(r.Header.Values("Foo"), "|"))
	w.Header().Set("X-Close", fmt.Sprint(r.Close))
	w.Write(b)
}

var handlers = map[string]http.HandlerFunc{
	"/stream": func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("0123456789abcdef"), 1024)
		for range 64 {
			w.Write(chunk)
		}
	},
	"/length": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		io.WriteString(w, "hello")
	},
	"/short": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		io.WriteString(w, "hello")
	},
	"/204":    func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204); io.WriteString(w, "x") },
	"/304":    func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(304) },
	"/html":   func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html><body>hi</body></html>") },
	"/noread": func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") },
	"/close": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	},
	"/empty": func(w http.ResponseWriter, r *http.Request) {},
	"/panic": func(w http.ResponseWriter, r *http.Request) { panic("boom") },
	"/abort": func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) },
	"/early103": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</a>")
		w.WriteHeader(103)
		io.WriteString(w, "done")
	},
	"/ctx": func(w http.ResponseWriter, r *http.Request) {
		if r.Context().Err() != nil || r.Context().Value(http.ServerContextKey) == nil || r.Context().Value(http.LocalAddrContextKey) == nil {
			w.WriteHeader(500)
		}
		io.WriteString(w, "ok")
	},
}

func mux(w http.ResponseWriter, r *http.Request) {
	if h, ok := handlers[r.URL.Path]; ok {
		h(w, r)
		return
	}
	echo(w, r)
}

// exchange is raw bytes sent on one connection and what must come back.
type exchange struct {
	name string
	send string
	// want: one per response, "STATUS" then "Header: value" expectations and "body=..."; a
	// header "Header: -" must be absent.
	want [][]string
	// closed: the server closes the connection after the responses.
	closed bool
}

var exchanges = []exchange{
	{name: "keep-alive GET", send: "GET /a/b?x=1 HTTP/1.1\r\nHost: h\r\nFoo: 1\r\nfoo: 2\r\n\r\n",
		want: [][]string{{"200", "X-Path: /a/b", "X-Query: x=1", "X-Host: h", "X-Foo: 1|2", "X-URI: /a/b?x=1", "Content-Length: 0", "X-Len: 0", "X-Close: false"}}},
	{name: "escaped path", send: "GET /a%2Fb/c%20d HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "X-Path: /a/b/c d", "X-Raw-Path: /a%2Fb/c%20d"}}},
	{name: "absolute form", send: "GET http://other:8080/p?q HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "X-Path: /p", "X-Host: other:8080", "X-Query: q"}}},
	{name: "pipelined", send: "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "X-Path: /1"}, {"200", "X-Path: /2", "body=abc", "X-Len: 3"}, {"200", "X-Path: /3"}}},
	{name: "chunked request", send: "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nA;ext=1\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "body=abc0123456789", "X-Len: -1", "X-TE: chunked", "Content-Length: 13"}, {"200", "X-Path: /next"}}},
	{name: "HEAD", send: "HEAD /html HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "Content-Length: 28", "Content-Type: text/html; charset=utf-8", "body="}}},
	{name: "HEAD with length", send: "HEAD /length HTTP/1.1\r\nHost: h\r\n\r\nGET /length HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "Content-Length: 5", "body="}, {"200", "body=hello"}}},
	{name: "204", send: "GET /204 HTTP/1.1\r\nHost: h\r\n\r\nGET /304 HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"204", "Content-Length: -", "Transfer-Encoding: -", "body="}, {"304", "Content-Length: -", "body="}}},
	{name: "sniffed type", send: "GET /html HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "Content-Type: text/html; charset=utf-8", "body=<html><body>hi</body></html>"}}},
	{name: "empty", send: "GET /empty HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "Content-Length: 0", "Content-Type: -", "body="}}},
	{name: "HTTP/1.0", send: "GET /x HTTP/1.0\r\n\r\n",
		want: [][]string{{"200", "X-Close: true", "Connection: -"}}, closed: true},
	{name: "HTTP/1.0 keep-alive", send: "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /y HTTP/1.0\r\n\r\n",
		want: [][]string{{"200", "Connection: keep-alive", "X-Path: /x"}, {"200", "X-Path: /y"}}, closed: true},
	{name: "HTTP/1.0 stream", send: "GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		want: [][]string{{"200", "Content-Length: -", "Transfer-Encoding: -", "len=1048576"}}, closed: true},
	{name: "Connection: close", send: "GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /y HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "Connection: close", "X-Close: true"}}, closed: true},
	{name: "handler closes", send: "GET /close HTTP/1.1\r\nHost: h\r\n\r\nGET /y HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "Connection: close", "body=bye"}}, closed: true},
	{name: "stream", send: "GET /stream HTTP/1.1\r\nHost: h\r\n\r\nGET /length HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "Transfer-Encoding: chunked", "len=1048576"}, {"200", "body=hello"}}},
	{name: "short body", send: "GET /short HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "Content-Length: 10"}}, closed: true},
	{name: "body not read", send: "POST /noread HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /y HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "body=ok"}, {"200", "X-Path: /y"}}},
	{name: "big body not read", send: "POST /noread HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n" + strings.Repeat("x", 300<<10),
		want: [][]string{{"200", "body=ok", "Connection: close"}}, closed: true},
	{name: "100-continue not read", send: "POST /noread HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
		want: [][]string{{"200", "body=ok", "Connection: close"}}, closed: true},
	{name: "103 early hints", send: "GET /early103 HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"103", "Link: </a>"}, {"200", "body=done"}}},
	{name: "context", send: "GET /ctx HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"200", "body=ok"}}},
	{name: "big header", send: "GET /x HTTP/1.1\r\nHost: h\r\nFoo: " + strings.Repeat("f", 10000) + "\r\nContent-Length: 2\r\n\r\nhiGET /y HTTP/1.1\r\nHost: h\r\n\r\n",
		want: [][]string{{"200", "body=hi"}, {"200", "X-Path: /y"}}},
	{name: "panic", send: "GET /panic HTTP/1.1\r\nHost: h\r\n\r\n", closed: true},
	{name: "abort", send: "GET /abort HTTP/1.1\r\nHost: h\r\n\r\n", closed: true},

	{name: "bad request line", send: "GARBAGE\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "bad method", send: "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "bad version", send: "GET / HTTP/x\r\nHost: h\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "HTTP/2.0", send: "GET / HTTP/2.0\r\nHost: h\r\n\r\n", want: [][]string{{"505"}}, closed: true},
	{name: "no Host", send: "GET / HTTP/1.1\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "two Hosts", send: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "bad Host", send: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "bad header name", send: "GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "no colon", send: "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "control in value", send: "GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "bad length", send: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "two lengths", send: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", want: [][]string{{"400"}}, closed: true},
	{name: "gzip coding", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", want: [][]string{{"501"}}, closed: true},
	{name: "bad chunk", send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", want: [][]string{{"400"}}, closed: true},
	{name: "bad expect", send: "POST / HTTP/1.1\r\nHost: h\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx", want: [][]string{{"417"}}, closed: true},
	{name: "URI too long", send: "GET /" + strings.Repeat("a", 20000) + " HTTP/1.1\r\nHost: h\r\n\r\n", want: [][]string{{"414"}}, closed: true},
	{name: "header too large", send: "GET / HTTP/1.1\r\nHost: h\r\nFoo: " + strings.Repeat("a", 20000) + "\r\n\r\n", want: [][]string{{"431"}}, closed: true},
	{name: "partial header", send: "GET / HTTP/1.1\r\nHost: h\r\n", want: [][]string{{"400"}}, closed: true},
}

// testServer is the server the exchange tests run on.
func testServer(t testing.TB, logw io.Writer) *Server {
	return &Server{Handler: http.HandlerFunc(mux), MaxHeaderBytes: 16 << 10, ReadHeaderTimeout: 2 * time.Second, IdleTimeout: 10 * time.Second,
		MaxChunkSize: 1 << 20, ErrorLog: log.New(logw, "", 0)}
}

// syncBuffer is a log destination tests read.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// run sends ex on a new connection to addr and returns the responses and whether the
// connection was closed after them.
func run(t *testing.T, addr string, ex exchange) (resps []*http.Response, bodies [][]byte, closed bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	// The header of a "100-continue" exchange goes first; the body only after 100 Continue.
	go func() {
		c.Write([]byte(ex.send))
		if strings.Contains(ex.name, "partial") {
			c.(*net.TCPConn).CloseWrite()
		}
	}()
	br := bufio.NewReader(c)
	methods := requestMethods(ex.send)
	for i := 0; i < len(ex.want); i++ {
		m := http.MethodGet
		if len(resps) < len(methods) {
			m = methods[len(resps)-countInformational(resps)]
		}
		resp, err := http.ReadResponse(br, &http.Request{Method: m})
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body) // a short body is cut with an error
		resps, bodies = append(resps, resp), append(bodies, b)
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	b, err := br.ReadByte()
	if err == nil {
		// More than the expected responses: e.g. a request smuggled in a body was served.
		rest, _ := br.Peek(br.Buffered())
		t.Errorf("unexpected bytes after the responses: %.200q", append([]byte{b}, rest...))
	}
	var ne net.Error
	closed = !(errors.As(err, &ne) && ne.Timeout())
	return resps, bodies, closed
}

func countInformational(resps []*http.Response) int {
	n := 0
	for _, r := range resps {
		if r.StatusCode < 200 {
			n++
		}
	}
	return n
}

// requestMethods lists the methods of the requests in raw (roughly: lines that look like
// request lines).
func requestMethods(raw string) []string {
	var ms []string
	for _, l := range strings.Split(raw, "\r\n") {
		if f := strings.Fields(l); len(f) == 3 && strings.HasPrefix(f[2], "HTTP/") {
			ms = append(ms, f[0])
		}
	}
	return ms
}

func check(t *testing.T, i int, resp *http.Response, body []byte, want []string) {
	t.Helper()
	if got := fmt.Sprint(resp.StatusCode); got != want[0] {
		t.Errorf("response %d: status = %s; want %s (body %q)", i, got, want[0], body)
	}
	for _, w := range want[1:] {
		switch {
		case strings.HasPrefix(w, "body="):
			if got := string(body); got != w[5:] {
				t.Errorf("response %d: body = %.100q; want %.100q", i, got, w[5:])
			}
		case strings.HasPrefix(w, "len="):
			if got := fmt.Sprint(len(body)); got != w[4:] {
				t.Errorf("response %d: body length = %s; want %s", i, got, w[4:])
			}
		default:
			k, v, _ := strings.Cut(w, ": ")
			vals, ok := resp.Header[http.CanonicalHeaderKey(k)]
			switch {
			case k == "Content-Length" && v != "-" && resp.ContentLength >= 0:
				if got := fmt.Sprint(resp.ContentLength); got != v {
					t.Errorf("response %d: Content-Length = %s; want %s", i, got, v)
				}
			case k == "Transfer-Encoding":
				got := strings.Join(resp.TransferEncoding, ",")
				if v == "-" && got != "" || v != "-" && got != v {
					t.Errorf("response %d: Transfer-Encoding = %q; want %q", i, got, v)
				}
			case k == "Connection" && v == "close":
				if !resp.Close {
					t.Errorf("response %d: no Connection: close", i)
				}
			case v == "-":
				if ok {
					t.Errorf("response %d: %s = %q; want none", i, k, vals)
				}
			default:
				if got := strings.Join(vals, ","); got != v {
					t.Errorf("response %d: %s = %q; want %q", i, k, got, v)
				}
			}
		}
	}
}

// runExchanges runs each exchange as a parallel subtest on its own connection to addr and
// checks its responses and whether the server closed the connection.
func runExchanges(t *testing.T, addr string, exs []exchange) {
	t.Helper()
	for _, ex := range exs {
		t.Run(ex.name, func(t *testing.T) {
			t.Parallel()
			resps, bodies, closed := run(t, addr, ex)
			for i, resp := range resps {
				check(t, i, resp, bodies[i], ex.want[i])
			}
			if closed != ex.closed {
				t.Errorf("connection closed = %v; want %v", closed, ex.closed)
			}
		})
	}
}

func TestExchanges(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	runExchanges(t, start(t, testServer(t, &logs)), exchanges)
	t.Cleanup(func() {
		if l := logs.String(); !strings.Contains(l, "panic serving") || !strings.Contains(l, "boom") || strings.Contains(l, "abort") {
			t.Errorf("log = %q; want the panic, and not the abort", l)
		}
	})
}
