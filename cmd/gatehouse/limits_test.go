package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestAdminLimits: a management body larger than the bound is refused from its
// Content-Length, and a stalled one fails its read within the stall time (the operation
// answers, the connection closes) whether or not the handler reads it.
func TestAdminLimits(t *testing.T) {
	t.Parallel()
	h := adminLimits(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/noread" {
			w.WriteHeader(403)
			return
		}
		if _, err := io.ReadAll(r.Body); err != nil {
			w.WriteHeader(400)
		}
	}), 1<<20, 300*time.Millisecond, time.Minute)
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ReadTimeout = time.Minute
	srv.Start()
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()

	for _, tc := range []struct {
		name, send string
		status     int
	}{
		{"too large", "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 1048577\r\n\r\n", 413},
		{"stalled body", "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nab", 400},
		{"stalled body not read", "PUT /noread HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nab", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			io.WriteString(c, tc.send)
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no answer within 20 s: %v", err)
			}
			io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d; want %d", resp.StatusCode, tc.status)
			}
			if _, err := br.ReadByte(); err == nil || strings.Contains(err.Error(), "timeout") {
				t.Errorf("connection not closed by the server: %v", err)
			}
		})
	}
}
