package h1server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testwait"
)

// TestWatchClose: a watched request's context ends when its client closes the connection;
// a watched request that is answered leaves the connection to serve the next request,
// pipelined bytes included.
func TestWatchClose(t *testing.T) {
	t.Parallel()
	gone := make(chan string, 4)
	watching := make(chan struct{}, 1)
	addr := start(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		ctx, stop := WatchClose(w, r)
		defer stop()
		if r.URL.Path == "/wait" {
			watching <- struct{}{}
			select {
			case <-ctx.Done():
				gone <- "gone"
			case <-time.After(10 * time.Second):
				gone <- "not seen"
			}
			return
		}
		io.WriteString(w, "ok "+r.URL.Path)
	})})

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
	testwait.Recv(t, watching, testwait.Patient, "the handler watching the connection")
	c.Close()
	if got := <-gone; got != "gone" {
		t.Errorf("closed client while waiting: %s; want the context to end", got)
	}

	// Two requests, the second sent before the first is answered (and a body), then a third.
	c, err = net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	for _, want := range []string{"ok /a", "ok /b", "ok /c"} {
		if want == "ok /c" {
			io.WriteString(c, "GET /c HTTP/1.1\r\nHost: x\r\n\r\n")
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %q: %v", want, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(b), want) {
			t.Errorf("response = %q; want %q", b, want)
		}
	}
}
