package h1server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// benchExchange sends req b.N times on one keep-alive loopback connection and reads each
// response: the server's cost per request (parse, handler call, response) plus loopback I/O.
func benchExchange(b *testing.B, req string) {
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"hello":"world"}`)
	})}
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
