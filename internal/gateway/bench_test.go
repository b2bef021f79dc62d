package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apigateway"
)

// discardWriter is a ResponseWriter that keeps nothing, so benchmarks measure the gateway.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

func (w *discardWriter) reset() {
	clear(w.h)
	w.code = 0
}

func benchServe(b *testing.B, srv *Server, host, target string, want int) {
	req := httptest.NewRequest("GET", target, nil)
	req.Host = host
	req.RemoteAddr = "192.0.2.1:1234"
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w.reset()
		srv.ServeHTTP(w, req)
		if w.code != want {
			b.Fatalf("status %d; want %d", w.code, want)
		}
	}
}

func BenchmarkPipelineMock(b *testing.B) {
	s := newStore(b)
	deploy(b, s, buildAPI("bench1", map[string]*apigateway.Method{"GET /pets/{id}": mockMethod(`{"ok":true}`)}, nil), "d1", "prod", nil)
	srv := startServer(b, s, Config{})
	benchServe(b, srv, "bench1.execute-api.localhost", "/prod/pets/7", 200)
}

func BenchmarkPipelineMissingRoute(b *testing.B) {
	s := newStore(b)
	deploy(b, s, buildAPI("bench1", map[string]*apigateway.Method{"GET /pets/{id}": mockMethod(`{"ok":true}`)}, nil), "d1", "prod", nil)
	srv := startServer(b, s, Config{})
	benchServe(b, srv, "bench1.execute-api.localhost", "/prod/nope", 403)
}

func BenchmarkPipelineHTTPProxy(b *testing.B) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"hello":"world"}`)
	}))
	b.Cleanup(backend.Close)
	s := newStore(b)
	deploy(b, s, buildAPI("bench2", map[string]*apigateway.Method{"ANY /{proxy+}": proxyMethod(backend.URL + "/{proxy}")}, nil), "d1", "prod", nil)
	srv := startServer(b, s, Config{})
	benchServe(b, srv, "bench2.execute-api.localhost", "/prod/pets/7?x=1", 200)
}
