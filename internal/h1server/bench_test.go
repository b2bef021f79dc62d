package h1server

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// benchExchange sends req b.N times on one keep-alive loopback connection and reads each
// response: the server's cost per request (parse, handler call, response) plus loopback I/O.
func benchExchange(b *testing.B, req string) {
	s := benchServer()
	addr := start(b, s)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	raw := []byte(req)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Write(raw); err != nil {
			b.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

func BenchmarkServeGET(b *testing.B) {
	benchExchange(b, "GET /prod/pets/7?x=1 HTTP/1.1\r\nHost: bench.execute-api.localhost\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
}

func BenchmarkServePOST(b *testing.B) {
	body := strings.Repeat("x", 1000)
	benchExchange(b, "POST /prod/pets HTTP/1.1\r\nHost: bench.execute-api.localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"+body)
}

func BenchmarkServeChunked(b *testing.B) {
	benchExchange(b, "POST /prod/pets HTTP/1.1\r\nHost: bench.execute-api.localhost\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n")
}

// benchServer is the benchmarks' server: a handler that reads the body and answers a small
// JSON document, with the data plane's limits (cmd/gatehouse's defaults), so that their
// deadlines are measured.
func benchServer() *Server {
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"hello":"world"}`)
	})}
	s.ReadHeaderTimeout, s.IdleTimeout, s.MaxHeaderBytes = 10*time.Second, 5*time.Minute, 10240
	s.ReadBodyTimeout, s.WriteTimeout, s.MaxChunkSize = 30*time.Second, 30*time.Second, 10<<20
	return s
}

// benchBytes serves b.N pipelined copies of req from memory on one connection (byteConn,
// whose deadlines are no-ops): the server's CPU per request without socket I/O.
func benchBytes(b *testing.B, req string) {
	s := benchServer()
	in := bytes.Repeat([]byte(req), b.N)
	b.ReportAllocs()
	b.ResetTimer()
	s.newConn(&byteConn{r: bytes.NewReader(in)}).serve()
}

func BenchmarkBytesGET(b *testing.B) {
	benchBytes(b, "GET /prod/pets/7?x=1 HTTP/1.1\r\nHost: bench.execute-api.localhost\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
}

func BenchmarkBytesPOST(b *testing.B) {
	benchBytes(b, "POST /prod/pets HTTP/1.1\r\nHost: bench.execute-api.localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"+strings.Repeat("x", 1000))
}

func BenchmarkBytesChunked(b *testing.B) {
	benchBytes(b, "POST /prod/pets HTTP/1.1\r\nHost: bench.execute-api.localhost\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n")
}
