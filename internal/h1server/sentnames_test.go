package h1server

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testwait"
)

// TestSentHeaderNames: a handler learns how the client spelled each header name that is not
// canonical (the first spelling of each), per request on a kept-alive connection; canonical
// names and Host are not listed, and a request net/http serves has none.
func TestSentHeaderNames(t *testing.T) {
	got := make(chan string, 2)
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- strings.Join(SentHeaderNames(r), " ")
	})}
	addr := start(t, s)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	exchange := func(req string) string {
		t.Helper()
		if _, err := c.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return testwait.Recv(t, got, 10*time.Second, "the handler's sent names")
	}
	if names := exchange("GET / HTTP/1.1\r\nhost: x\r\ntEsT-HEADeR: 1\r\nX-Canonical: 2\r\nTEST-header: 3\r\nx-lower: 4\r\n\r\n"); names != "Test-Header tEsT-HEADeR X-Lower x-lower" {
		t.Errorf("first request: SentHeaderNames = %q", names)
	}
	if names := exchange("GET / HTTP/1.1\r\nHost: x\r\nX-Canonical: 2\r\n\r\n"); names != "" {
		t.Errorf("second request (canonical names): SentHeaderNames = %q; want none", names)
	}
	if names := SentHeaderNames(&http.Request{Header: http.Header{}}); names != nil {
		t.Errorf("SentHeaderNames of a request h1server does not serve = %q; want nil", names)
	}
}
