package integration

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

// TestHTTPProxyTransports runs the same HTTP_PROXY calls over h1's client (what NewTransport
// gives) and over a plain http.RoundTripper (Config.Transport's override): same request at
// the backend, same response, same failure mapping.
func TestHTTPProxyTransports(t *testing.T) {
	t.Parallel()
	type seen struct {
		method, uri, host, body string
		header                  http.Header
	}
	transports := map[string]http.RoundTripper{
		"h1":       NewTransport(false),
		"net/http": &http.Transport{},
		"h1 (nil)": nil, // newHTTP makes its own
		"h1 (TLS)": NewTransport(true),
	}
	for name, tr := range transports {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := make(chan seen, 16)
			backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if r.URL.Path == "/slow" {
					// Not reported: the 50 ms timeout may fire before this request
					// arrives, or after.
					select {
					case <-time.After(2 * time.Second):
					case <-r.Context().Done():
					}
					return
				}
				got <- seen{r.Method, r.RequestURI, r.Host, string(b), r.Header}
				w.Header().Set("Server", "backend")
				w.Header().Set("Connection", "X-Backend-Hop")
				w.Header().Set("X-Backend-Hop", "for the gateway only")
				w.WriteHeader(201)
				_, _ = io.WriteString(w, "created")
			}))
			t.Cleanup(backend.Close)
			dead := httptest.NewServer(http.NotFoundHandler())
			deadURL := dead.URL
			dead.Close()
			call := func(uri string, timeoutMs int, method string, body []byte) (*invoke.Response, error) {
				h, err := NewHTTPProxy(Config{
					Integration: &apigateway.Integration{Type: apigateway.IntegrationHTTPProxy, HTTPMethod: "ANY", URI: uri, TimeoutInMillis: timeoutMs},
					APIID:       "api1",
					Transport:   tr,
				})
				if err != nil {
					t.Fatal(err)
				}
				inv := &invoke.Invocation{TraceID: "Root=1-x", SourceIP: "192.0.2.1", PathParams: []invoke.Param{{Name: "proxy", Value: "a b/c"}},
					Request: invoke.Request{Method: method, RawQuery: "q=1", Header: http.Header{"X-Client": {"c"}, "Connection": {"close, x-client-hop"},
						"X-Client-Hop": {"for the gateway only"}}, Body: body}}
				return h.Invoke(context.Background(), inv)
			}

			resp, err := call(backend.URL+"/p/{proxy}", 0, "POST", []byte("payload"))
			if err != nil {
				t.Fatal(err)
			}
			b, err := payload(resp)
			if err != nil || resp.StatusCode != 201 || string(b) != "created" ||
				first(resp.Header["x-amzn-Remapped-Server"]) != "backend" || first(resp.Header["x-amzn-Remapped-Content-Length"]) != "7" ||
				resp.Header.Get("X-Backend-Hop") != "" {
				t.Errorf("response = %d %q, %v %v", resp.StatusCode, b, err, resp.Header)
			}
			s := testwait.Recv(t, got, testwait.Patient, "the POST at the backend")
			if s.method != "POST" || s.uri != "/p/a%20b/c?q=1" || s.body != "payload" || s.host != backend.Listener.Addr().String() ||
				s.header.Get("X-Client") != "c" || s.header.Get("Connection") != "" || s.header.Get("X-Client-Hop") != "" ||
				s.header.Get("User-Agent") != "AmazonAPIGateway_api1" ||
				s.header.Get("X-Forwarded-For") != "192.0.2.1" || s.header.Get("X-Amzn-Apigateway-Api-Id") != "api1" {
				t.Errorf("backend saw %+v", s)
			}

			// GET sends no body even when the client had one.
			resp, err = call(backend.URL+"/g", 0, "GET", []byte("ignored"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := payload(resp); err != nil {
				t.Fatal(err)
			}
			if s := testwait.Recv(t, got, testwait.Patient, "the GET at the backend"); s.method != "GET" || s.body != "" {
				t.Errorf("GET: backend saw %+v", s)
			}

			_, err = call(backend.URL+"/slow", 50, "GET", nil)
			var ie *invoke.Error
			if !errors.As(err, &ie) || ie.Type != apigateway.ResponseIntegrationTimeout || ie.Message != "Endpoint request timed out" {
				t.Errorf("slow backend: %v; want INTEGRATION_TIMEOUT", err)
			}
			_, err = call(deadURL, 0, "GET", nil)
			if !errors.As(err, &ie) || ie.Type != apigateway.ResponseIntegrationFailure || ie.Message != "Internal server error" {
				t.Errorf("refused: %v; want INTEGRATION_FAILURE", err)
			}
		})
	}
}

// payload reads a response's whole payload, Body or Stream (which it closes).
func payload(resp *invoke.Response) ([]byte, error) {
	if resp.Stream == nil {
		return resp.Body, nil
	}
	defer resp.Stream.Close()
	return io.ReadAll(resp.Stream)
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// rawBackend is a misbehaving backend on a raw listener: for each request (its head and
// body read) it writes what answer returns for the request's path, then closes the
// connection when close is set. It counts connections.
type rawBackend struct {
	ln       net.Listener
	accepted atomic.Int64
}

func newRawBackend(t *testing.T, answer func(path string) (reply string, close bool)) *rawBackend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &rawBackend{ln: ln}
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
		testwait.Group(t, &wg, testwait.Patient, "the raw backend's connections ending")
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					reply, close := answer(req.URL.Path)
					if _, err := io.WriteString(c, reply); err != nil || close {
						return
					}
				}
			})
		}
	})
	return b
}

func (b *rawBackend) url() string { return "http://" + b.ln.Addr().String() }

// TestHTTPBrokenBackend: a backend's answer that is broken (malformed, ambiguously framed,
// oversized, cut short) never reaches the client as if it were whole: before the answer
// starts it is an error (502, or AWS's 500 for an oversized one); once it streams, reading
// it fails, which makes the edge cut the client's connection. A connection that carried
// one is never reused, so nothing it held reaches the next request.
func TestHTTPBrokenBackend(t *testing.T) {
	t.Parallel()
	chunk := strings.Repeat("x", 64<<10)
	// oversizedChunked goes on for 1 MiB past MaxPayload: the read that crosses the limit
	// cannot also reach the last chunk, which would end the body cleanly and rightly let
	// the connection be reused.
	oversizedChunked := func() string {
		var b strings.Builder
		b.WriteString("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
		for n := 0; n <= MaxPayload+1<<20; n += len(chunk) {
			fmt.Fprintf(&b, "%x\r\n%s\r\n", len(chunk), chunk)
		}
		b.WriteString("0\r\n\r\n")
		return b.String()
	}()
	const ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	tests := []struct {
		name   string
		proxy  bool
		reply  string
		close  bool
		status int // of the invoke.Error; 0: no error
		typ    apigateway.GatewayResponseType
		body   string // the whole payload, when no error
		stream string // part of the error reading a streamed payload
	}{
		{name: "content-length cut short", proxy: true, reply: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", close: true,
			status: 502, typ: apigateway.ResponseIntegrationFailure},
		{name: "chunked without the last chunk", proxy: true, reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", close: true,
			status: 502, typ: apigateway.ResponseIntegrationFailure},
		{name: "content-length and chunked", proxy: true, reply: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + ok,
			status: 502, typ: apigateway.ResponseIntegrationFailure},
		{name: "malformed status line", proxy: true, reply: "HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\nok", status: 502, typ: apigateway.ResponseIntegrationFailure},
		{name: "oversized head", proxy: true, reply: "HTTP/1.1 200 OK\r\nX-Big: " + chunk + "\r\nContent-Length: 2\r\n\r\nok",
			status: 502, typ: apigateway.ResponseIntegrationFailure},
		{name: "content-length over 10 MB", proxy: true, reply: fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", MaxPayload+1), close: true,
			status: 500, typ: apigateway.ResponseAPIConfigurationError},
		{name: "chunked complete", proxy: true, reply: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", body: "abcde"},
		{name: "chunked over 10 MB", proxy: true, reply: oversizedChunked, stream: "larger than allowed maximum"},
		{name: "long body cut short", proxy: true, reply: "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + chunk, close: true, stream: "unexpected EOF"},
		{name: "non-proxy cut short", reply: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", close: true, status: 502, typ: apigateway.ResponseIntegrationFailure},
		{name: "non-proxy chunked over 10 MB", reply: oversizedChunked, status: 500, typ: apigateway.ResponseAPIConfigurationError},
		{name: "non-proxy content-length and chunked", reply: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + ok,
			status: 502, typ: apigateway.ResponseIntegrationFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			backend := newRawBackend(t, func(path string) (string, bool) {
				if path == "/next" {
					return "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext", false
				}
				return tt.reply, tt.close
			})
			transport := NewTransport(false)
			defer transport.CloseIdleConnections()
			call := func(path string, proxy bool) (*invoke.Response, error) {
				in := &apigateway.Integration{Type: apigateway.IntegrationHTTP, HTTPMethod: "GET", URI: backend.url() + path}
				newH := NewHTTP
				if proxy {
					in.Type, newH = apigateway.IntegrationHTTPProxy, NewHTTPProxy
				}
				h, err := newH(Config{Integration: in, APIID: "api1", Transport: transport})
				if err != nil {
					t.Fatal(err)
				}
				return h.Invoke(context.Background(), &invoke.Invocation{TraceID: "Root=1-x", Request: invoke.Request{Method: "GET", Header: http.Header{}}})
			}

			resp, err := call("/broken", tt.proxy)
			if tt.status != 0 {
				var ie *invoke.Error
				if !errors.As(err, &ie) || ie.Status != tt.status && !(ie.Status == 0 && tt.status == 500) || ie.Type != tt.typ || ie.Message != "Internal server error" {
					t.Fatalf("Invoke = %v (%+v); want %s %d Internal server error", err, ie, tt.typ, tt.status)
				}
			} else {
				if err != nil {
					t.Fatalf("Invoke = %v; want an answer", err)
				}
				b, err := payload(resp)
				switch {
				case tt.stream == "" && (err != nil || string(b) != tt.body):
					t.Errorf("payload = %d bytes %q, %v; want %q", len(b), truncate(b, 20), err, tt.body)
				case tt.stream != "" && (err == nil || !strings.Contains(err.Error(), tt.stream) || len(b) > MaxPayload):
					t.Errorf("streamed payload = %d bytes, %v; want an error with %q within %d bytes", len(b), err, tt.stream, MaxPayload)
				case tt.stream == "" && resp.Stream != nil && resp.ContentLength != int64(len(b)):
					t.Errorf("a %d-byte payload has length %d; want it whole, with its length", len(b), resp.ContentLength)
				}
			}

			// The next request gets the next answer, on a new connection unless the
			// first one ended cleanly.
			before := backend.accepted.Load()
			resp, err = call("/next", true)
			if err != nil {
				t.Fatal(err)
			}
			if b, err := payload(resp); string(b) != "next" || err != nil {
				t.Errorf("next request = %q, %v; want next", b, err)
			}
			if reused := backend.accepted.Load() == before; reused != (tt.body != "") {
				t.Errorf("the next request reused the connection: %v; want %v", reused, tt.body != "")
			}
		})
	}
}
