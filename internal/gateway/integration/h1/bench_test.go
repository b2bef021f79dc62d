package h1

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// BenchmarkSend is one keep-alive exchange per iteration with a minimal backend on
// loopback: what a proxied request costs in the client, its idle-connection check included.
func BenchmarkSend(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	const answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"hello\":\"world\"}"
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					if _, err := io.WriteString(c, answer); err != nil {
						return
					}
				}
			}()
		}
	}()
	c := New(Options{})
	defer c.CloseIdleConnections()
	r := &Request{Method: "GET", Scheme: "http", Host: ln.Addr().String(), Target: "/pets/7?x=1",
		Header: http.Header{"Accept": {"application/json"}, "User-Agent": {"bench"}}}
	buf := make([]byte, 64)
	b.ReportAllocs()
	for b.Loop() {
		resp, err := c.Send(context.Background(), r)
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := resp.Body.Read(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkPeekIdle is the liveness check an idle connection gets before it is reused.
func BenchmarkPeekIdle(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	select {
	case c := <-accepted:
		defer c.Close()
	case <-time.After(5 * time.Second):
		b.Fatal("no connection accepted within 5s")
	}
	p := newPeeker(nc)
	b.ReportAllocs()
	for b.Loop() {
		if !p.idle() {
			b.Fatal("an open, silent connection is not idle")
		}
	}
}
