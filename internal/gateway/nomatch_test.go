package gateway

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/apigateway"
)

// recordHandler is a slog.Handler that keeps every record's attributes, by key.
type recordHandler struct {
	mu      sync.Mutex
	level   slog.Level
	records []map[string]string // "msg" holds the message
}

func (h *recordHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h *recordHandler) WithGroup(string) slog.Handler                { return h }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	m := map[string]string{"msg": r.Message, "level": r.Level.String()}
	r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, m)
	return nil
}

// take returns the records since the last take.
func (h *recordHandler) take() []map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.records
	h.records = nil
	return out
}

// TestNoMatchLogsWhatDidNotMatch: a request that matches no API, stage, resource or method
// answers AWS's 403 {"message":"Missing Authentication Token"} whichever part it is (item 7
// of issue 8), and the debug log names the part and the API id, stage, path and method
// asked for. At info level nothing is logged.
func TestNoMatchLogsWhatDidNotMatch(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	deploy(t, s, buildAPI("nm1", map[string]*apigateway.Method{"GET /": mockMethod(`{}`), "GET /pets": mockMethod(`{}`)}, nil), "d1", "prod", nil)
	rec := &recordHandler{level: slog.LevelDebug}
	srv := startServer(t, s, Config{Logger: slog.New(rec)})
	tests := []struct {
		method, host, path string
		want               map[string]string
	}{
		{"GET", "x", "/pets", map[string]string{"unmatched": "api", "apiId": "", "stage": "", "path": "/pets"}},
		{"GET", "x", "/restapis/nope/prod/_user_request_/pets", map[string]string{"unmatched": "api", "apiId": "nope", "stage": "prod", "path": "/restapis/nope/prod/_user_request_/pets"}},
		{"GET", "nope.execute-api.localhost", "/prod/pets", map[string]string{"unmatched": "api", "apiId": "nope", "stage": "prod", "path": "/prod/pets"}},
		{"GET", "x", "/restapis/nm1/test/_user_request_/pets", map[string]string{"unmatched": "stage", "apiId": "nm1", "stage": "test", "path": "/restapis/nm1/test/_user_request_/pets"}},
		{"GET", "nm1.execute-api.localhost", "/", map[string]string{"unmatched": "stage", "apiId": "nm1", "stage": "", "path": "/"}},
		{"GET", "nm1.execute-api.localhost", "/prod/cats", map[string]string{"unmatched": "resource", "apiId": "nm1", "stage": "prod", "path": "/cats"}},
		{"POST", "x", "/restapis/nm1/prod/_user_request_/pets", map[string]string{"unmatched": "method", "apiId": "nm1", "stage": "prod", "path": "/pets", "method": "POST", "resource": "/pets"}},
		{"DELETE", "x", "/restapis/nm1/prod/_user_request_/", map[string]string{"unmatched": "method", "apiId": "nm1", "stage": "prod", "path": "/", "method": "DELETE", "resource": "/"}},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, tt.path, nil)
		req.Host = tt.host
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != 403 || w.Body.String() != `{"message":"Missing Authentication Token"}` || hget(w.Header(), "x-amzn-ErrorType") != "MissingAuthenticationTokenException" {
			t.Errorf("%s %s%s = %d %s (%q); want 403 Missing Authentication Token", tt.method, tt.host, tt.path, w.Code, w.Body, hget(w.Header(), "x-amzn-ErrorType"))
		}
		recs := rec.take()
		if len(recs) != 1 {
			t.Errorf("%s %s%s logged %v; want one record", tt.method, tt.host, tt.path, recs)
			continue
		}
		got := recs[0]
		want := map[string]string{"level": "DEBUG", "method": tt.method, "requestId": hget(w.Header(), "x-amzn-RequestId")}
		for k, v := range tt.want {
			want[k] = v
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s %s%s logged %s=%q; want %q (record %v)", tt.method, tt.host, tt.path, k, got[k], v, got)
			}
		}
		if _, ok := got["resource"]; ok != (tt.want["resource"] != "") {
			t.Errorf("%s %s%s logged resource %q; want it only for a method miss", tt.method, tt.host, tt.path, got["resource"])
		}
	}

	// Above debug level, a miss is not logged.
	rec.level = slog.LevelInfo
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest("GET", "/restapis/nm1/prod/_user_request_/cats", nil))
	if w.Code != 403 {
		t.Errorf("GET /cats = %d; want 403", w.Code)
	}
	if recs := rec.take(); len(recs) != 0 {
		t.Errorf("at info level a miss logged %v; want nothing", recs)
	}
}
