package gateway

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apigateway"
)

// pathRecorder is a backend that records the request-target of every request it receives.
type pathRecorder struct {
	mu      sync.Mutex
	targets []string
}

func (p *pathRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.targets = append(p.targets, r.RequestURI)
	p.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte(r.RequestURI))
}

func (p *pathRecorder) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.targets
	p.targets = nil
	return t
}

// TestProxyPathStaysUnderPrefix sends dot segments, encoded or not, through a {proxy+}
// resource and a {param} resource to a real backend, and checks what reached it: every
// request-target the backend saw lies under the integration URI's prefix, both as sent and
// as a normalizing backend would read it (decoded, then path.Clean, which removes dot
// segments as RFC 3986 §5.2.4 does).
func TestProxyPathStaysUnderPrefix(t *testing.T) {
	t.Parallel()
	rec := &pathRecorder{}
	backend := httptest.NewServer(rec)
	defer backend.Close()
	s := newStore(t)
	pets := proxyMethod(backend.URL + "/store/{id}")
	pets.MethodIntegration.HTTPMethod = "GET"
	deploy(t, s, buildAPI("abc123", map[string]*apigateway.Method{
		"ANY /files/{proxy+}": proxyMethod(backend.URL + "/public/{proxy}"),
		"GET /pets/{id}":      pets,
	}, nil), "d1", "prod", nil)
	srv := startServer(t, s, Config{Logger: testLogger(t)})

	tests := []struct {
		target string // the request-target the client sends
		status int
		want   string // the request-target the backend receives, "" for none
	}{
		// Literal dot segments are removed before routing, as AWS's front does.
		{"/prod/files/a/./b", 200, "/public/a/b"},
		{"/prod/files/a/../b", 200, "/public/b"},
		{"/prod/../prod/files/x", 200, "/public/x"},
		{"/prod/files/../secret", 403, ""},      // now /prod/secret: no such resource
		{"/prod/files/a/../../secret", 403, ""}, // likewise
		{"/../prod/files/x", 400, ""},           // above the root: nginx refuses it too
		{"/prod/files/a/../../../../secret", 400, ""},
		// Encoded dots and separators land in the parameter's value: refused.
		{"/prod/files/%2e%2e/secret", 400, ""},
		{"/prod/files/%2E%2E/secret", 400, ""},
		{"/prod/files/%2E./secret", 400, ""},
		{"/prod/files/.%2e/secret", 400, ""},
		{"/prod/files/%2e/secret", 400, ""},
		{"/prod/files/..%2fsecret", 400, ""},
		{"/prod/files/..%2Fsecret", 400, ""},
		{"/prod/files/a%2f..%2f..%2fsecret", 400, ""},
		{"/prod/files/%2e%2e%2fsecret", 400, ""},
		{"/prod/files/..%5csecret", 400, ""},
		{"/prod/files/..%5Csecret", 400, ""},
		{"/prod/files/%252e%252e/secret", 400, ""},
		{"/prod/files/%252e%252e%252fsecret", 400, ""},
		{"/prod/files/%25252e%25252e/secret", 400, ""},
		{"/prod/files/..;/secret", 400, ""},
		{"/prod/files/a/%2e%2e", 400, ""},
		{"/prod/pets/%2e%2e", 400, ""},
		{"/prod/pets/..%2f..%2fsecret", 400, ""},
		{"/prod/pets/%2e", 400, ""},
		// Dots that are not whole segments are names.
		{"/prod/files/...", 200, "/public/..."},
		{"/prod/files/a..b/.c", 200, "/public/a..b/.c"},
		{"/prod/files/a%2fb", 200, "/public/a/b"}, // AWS passes an encoded slash decoded
		{"/prod/pets/..a", 200, "/store/..a"},
	}
	for _, tt := range tests {
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader("GET " + tt.target + " HTTP/1.1\r\nHost: abc123.execute-api.localhost\r\n\r\n")))
		if err != nil {
			t.Fatalf("ReadRequest(%q): %v", tt.target, err)
		}
		req.RemoteAddr = "192.0.2.10:4321"
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		got := rec.take()
		for _, g := range got {
			if !underPrefix(g, "/public/") && !underPrefix(g, "/store/") {
				t.Errorf("GET %s reached the backend as %q, outside the integration's prefix", tt.target, g)
			}
		}
		if w.Code != tt.status {
			t.Errorf("GET %s = %d %s; want %d", tt.target, w.Code, w.Body, tt.status)
			continue
		}
		switch {
		case tt.want == "" && len(got) > 0:
			t.Errorf("GET %s reached the backend as %q; want no backend request", tt.target, got)
		case tt.want != "" && (len(got) != 1 || got[0] != tt.want):
			t.Errorf("GET %s reached the backend as %q; want %q", tt.target, got, tt.want)
		}
		if w.Code == 400 && w.Body.String() != `{"message":"Bad Request"}` {
			t.Errorf("GET %s body = %s; want AWS's DEFAULT_4XX shape", tt.target, w.Body)
		}
	}
}

// underPrefix reports whether target and its normalized reading (percent-decoded as often
// as a lenient backend might, backslashes read as slashes, dot segments removed) both start
// with prefix.
func underPrefix(target, prefix string) bool {
	p, _, _ := strings.Cut(target, "?")
	if !strings.HasPrefix(p, prefix) {
		return false
	}
	for range 4 {
		d, err := url.PathUnescape(p)
		if err != nil || d == p {
			break
		}
		p = d
	}
	p = strings.ReplaceAll(p, "\\", "/")
	clean := path.Clean(p)
	return strings.HasPrefix(clean+"/", prefix)
}
