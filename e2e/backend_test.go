package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// echoed is what the echo backend saw of one request; it answers with it as JSON.
type echoed struct {
	Method   string      `json:"method"`
	Path     string      `json:"path"`
	RawQuery string      `json:"rawQuery"`
	Host     string      `json:"host"`
	Header   http.Header `json:"header"`
	Body     string      `json:"body"`
}

// echoBackend is an HTTP integration endpoint: it answers every request with its echo, status
// X-Echo-Status (default 200), and headers that API Gateway passes (X-Backend) or remaps
// (Server, and Date that net/http sets) on the way back.
type echoBackend struct {
	*httptest.Server
	mu   sync.Mutex
	seen []echoed
}

func newEchoBackend(t *testing.T) *echoBackend {
	b := &echoBackend{}
	b.Server = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.Close)
	return b
}

func (b *echoBackend) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	e := echoed{Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Host: r.Host, Header: r.Header, Body: string(body)}
	b.mu.Lock()
	b.seen = append(b.seen, e)
	b.mu.Unlock()
	status := http.StatusOK
	if s, err := strconv.Atoi(r.Header.Get("X-Echo-Status")); err == nil {
		status = s
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Backend", "echo")
	w.Header().Set("Server", "e2e-backend/1.0")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(e)
}

// requests returns how many requests the backend has served.
func (b *echoBackend) requests() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.seen)
}
