package gateway

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

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
	benchServeKey(b, srv, host, target, "", want)
}

// benchServeKey is benchServe with x-api-key: key (none when empty).
func benchServeKey(b *testing.B, srv *Server, host, target, key string, want int) {
	req := httptest.NewRequest("GET", target, nil)
	req.Host = host
	req.RemoteAddr = "192.0.2.1:1234"
	if key != "" {
		req.Header.Set("X-Api-Key", key)
	}
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for b.Loop() {
		w.reset()
		srv.ServeHTTP(w, req)
		if w.code != want {
			b.Fatalf("status %d; want %d", w.code, want)
		}
	}
	cpu.report(b)
}

// cpuClock measures the process's CPU time (user and system, every thread: the GC's
// too), which a loaded machine does not inflate as it does the wall-clock ns/op.
type cpuClock struct{ start time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{start: processCPU()} }

// report adds cpu-ns/op, the CPU time per operation.
func (c cpuClock) report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(processCPU()-c.start)/float64(b.N), "cpu-ns/op")
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

// meteredSetup deploys bench3's GET /pets/{id} MOCK twice over: "open" without a key, and
// "metered" requiring the key benchKey of a usage plan with a throttle and a quota that no
// benchmark reaches; the server has the in-process state, so the open method still takes
// the account's bucket.
func meteredSetup(b testing.TB) *Server {
	s := newStore(b)
	metered := mockMethod(`{"ok":true}`)
	metered.APIKeyRequired = true
	deploy(b, s, buildAPI("bench3", map[string]*apigateway.Method{"GET /open/{id}": mockMethod(`{"ok":true}`), "GET /metered/{id}": metered}, nil), "d1", "prod", nil)
	plan := apigateway.UsagePlanDocument{UsagePlan: apigateway.UsagePlan{ID: "plan1", APIStages: []apigateway.APIStage{{APIID: "bench3", Stage: "prod"}},
		Throttle: &apigateway.ThrottleSettings{RateLimit: 1e9, BurstLimit: 1e9}, Quota: &apigateway.QuotaSettings{Limit: 2e9, Period: "MONTH"}}}
	key := apigateway.APIKeyDocument{APIKey: apigateway.APIKey{ID: "key1", Value: benchKey, Enabled: true}, UsagePlanIDs: []string{"plan1"}}
	planOp, _ := putJSONOp(testScope.UsagePlanKey("plan1"), plan)
	keyOp, _ := putJSONOp(testScope.APIKeyKey("key1"), key)
	if _, err := s.Txn(context.Background(), planOp, keyOp); err != nil {
		b.Fatal(err)
	}
	// An account bucket no benchmark empties (AWS's 10,000 a second would), still checked.
	return startServer(b, s, Config{State: newTestState(b), AccountThrottle: apigateway.ThrottleSettings{RateLimit: 1e9, BurstLimit: 1e9}})
}

const benchKey = "benchbenchbenchbenchbench01"

// BenchmarkPipelineMetered compares a MOCK method with the account's bucket only (open)
// to one with an API key, its plan's bucket and quota as well (key): the cost of a key.
func BenchmarkPipelineMetered(b *testing.B) {
	srv := meteredSetup(b)
	b.Run("open", func(b *testing.B) {
		benchServe(b, srv, "bench3.execute-api.localhost", "/prod/open/7", 200)
	})
	b.Run("key", func(b *testing.B) {
		benchServeKey(b, srv, "bench3.execute-api.localhost", "/prod/metered/7", benchKey, 200)
	})
}

// TestMeteredAllocs: an API key, its plan's bucket and its quota cost no allocation a
// request beyond what the same method without them costs.
func TestMeteredAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector; .ci/run checks them without it")
	}
	srv := meteredSetup(t)
	open := allocsPerServe(t, srv, "/prod/open/7", "")
	key := allocsPerServe(t, srv, "/prod/metered/7", benchKey)
	if key > open {
		t.Errorf("a metered request allocates %v times; the same method without a key %v; want no more", key, open)
	}
}

// allocsPerServe is the allocations of one GET of bench3 with x-api-key value (none when
// empty), the request built once; each must answer 200.
func allocsPerServe(b testing.TB, srv *Server, target, value string) float64 {
	req := httptest.NewRequest("GET", target, nil)
	req.Host = "bench3.execute-api.localhost"
	if value != "" {
		req.Header.Set("X-Api-Key", value)
	}
	w := &discardWriter{h: http.Header{}}
	allocs := testing.AllocsPerRun(200, func() {
		w.reset()
		srv.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Errorf("GET %s = %d; want 200", target, w.code)
		}
	})
	return allocs
}

// BenchmarkPipelineLambdaAuthorizer is BenchmarkPipelineMock's method behind a TOKEN
// authorizer whose answer is cached (the real function answers the first request only).
func BenchmarkPipelineLambdaAuthorizer(b *testing.B) {
	fn := newRuntimeInvoker(b)
	s := newStore(b)
	m := mockMethod(`{"ok":true}`)
	m.AuthorizationType, m.AuthorizerID = apigateway.AuthorizationCustom, "tok"
	doc := buildAPI("bench1", map[string]*apigateway.Method{"GET /pets/{id}": m}, nil)
	doc.Authorizers = map[string]*apigateway.Authorizer{"tok": {ID: "tok", Type: apigateway.AuthorizerToken,
		AuthorizerURI: authorizerURI, IdentitySource: "method.request.header.Authorization"}}
	deploy(b, s, doc, "d1", "prod", nil)
	srv := startServer(b, s, Config{Lambda: fn})
	req := httptest.NewRequest("GET", "/prod/pets/7", nil)
	req.Host = "bench1.execute-api.localhost"
	req.RemoteAddr = "192.0.2.1:1234"
	req.Header.Set("Authorization", "allow")
	w := &discardWriter{h: http.Header{}}
	srv.ServeHTTP(w, req) // the one call of the function
	if w.code != 200 {
		b.Fatalf("status %d; want 200", w.code)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for b.Loop() {
		w.reset()
		srv.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatalf("status %d; want 200", w.code)
		}
	}
	cpu.report(b)
	if n := fn.count(b, "allow"); n != 1 {
		b.Fatalf("function called %d times; want once", n)
	}
}

// BenchmarkPipelineCache compares BenchmarkPipelineHTTPProxy's method uncached (proxy) to
// the same method answered from the stage's response cache (hit, and hit-encrypted with
// cacheDataEncrypted): what a hit saves over the backend round trip.
func BenchmarkPipelineCache(b *testing.B) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"hello":"world"}`)
	}))
	b.Cleanup(backend.Close)
	s := newStore(b)
	deploy(b, s, buildAPI("bench4", map[string]*apigateway.Method{"ANY /{proxy+}": proxyMethod(backend.URL + "/{proxy}")}, nil), "d1", "uncached", nil)
	deploy(b, s, buildAPI("bench4", map[string]*apigateway.Method{"ANY /{proxy+}": proxyMethod(backend.URL + "/{proxy}")}, nil), "d1", "hit", nil)
	deploy(b, s, buildAPI("bench4", map[string]*apigateway.Method{"ANY /{proxy+}": proxyMethod(backend.URL + "/{proxy}")}, nil), "d1", "sealed", nil)
	hit := cachedStage(map[string]*apigateway.MethodSetting{"*/*": caching(3600)})
	hit.StageName = "hit"
	putStageDocument(b, s, "bench4", hit)
	sealedSetting := caching(3600)
	sealedSetting.CacheDataEncrypted = true
	sealed := cachedStage(map[string]*apigateway.MethodSetting{"*/*": sealedSetting})
	sealed.StageName, sealed.CacheDataKey = "sealed", make([]byte, 32)
	putStageDocument(b, s, "bench4", sealed)
	srv := startServer(b, s, Config{})
	waitFor(b, func() bool {
		t := srv.table.Load()
		return t.lookup("bench4", "hit").cacheCluster != "" && t.lookup("bench4", "sealed").cacheCluster != ""
	})
	for _, stage := range []string{"uncached", "hit", "sealed"} {
		b.Run(stage, func(b *testing.B) {
			benchServe(b, srv, "bench4.execute-api.localhost", "/"+stage+"/pets/7?x=1", 200)
		})
	}
}
