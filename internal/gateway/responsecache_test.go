package gateway

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/cache"
	"github.com/gatehouse/gatehouse/internal/iam"
	"github.com/gatehouse/gatehouse/internal/store"
)

// countingBackend answers every request "{METHOD} {path} call N", N counting from 1.
func countingBackend(t testing.TB) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "%s %s call %d", r.Method, r.URL.Path, n.Add(1))
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

// putStageDocument writes the stage document st of apiID.
func putStageDocument(t testing.TB, s store.Store, apiID string, st apigateway.StageDocument) {
	t.Helper()
	st.RestAPIID = apiID
	op, err := store.PutJSON(testScope.StageKey(apiID, st.StageName), st, store.AnyRevision)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Txn(context.Background(), op); err != nil {
		t.Fatal(err)
	}
}

// cachedStage is stage prod on deployment d1 with a 0.5 GB cache and settings.
func cachedStage(settings map[string]*apigateway.MethodSetting) apigateway.StageDocument {
	return apigateway.StageDocument{Stage: apigateway.Stage{StageName: "prod", DeploymentID: "d1",
		CacheClusterEnabled: true, CacheClusterSize: "0.5", MethodSettings: settings}}
}

func caching(ttl int) *apigateway.MethodSetting {
	return &apigateway.MethodSetting{CachingEnabled: true, CacheTTLInSeconds: ttl, ThrottlingRateLimit: -1, ThrottlingBurstLimit: -1,
		UnauthorizedCacheControlHeaderStrategy: cache.SucceedWithResponseHeader}
}

// serve sends method target (below /restapis/{api}/prod/_user_request_) with headers
// "Name: value" to srv, returning status and body.
func serve(t testing.TB, srv http.Handler, apiID, method, target string, headers ...string) (int, http.Header, string) {
	t.Helper()
	r := httptest.NewRequest(method, "/restapis/"+apiID+"/prod/_user_request_"+target, nil)
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		r.Header.Add(k, strings.TrimSpace(v))
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, r)
	return rec.Code, rec.Header(), rec.Body.String()
}

func wantBody(t testing.TB, srv http.Handler, apiID, method, target, want string, headers ...string) {
	t.Helper()
	if _, _, got := serve(t, srv, apiID, method, target, headers...); got != want {
		t.Errorf("%s %s %v = %q; want %q", method, target, headers, got, want)
	}
}

func TestResponseCacheStageSettings(t *testing.T) {
	t.Parallel()
	be, calls := countingBackend(t)
	s := newStore(t)
	clk := newTestClock()
	doc := buildAPI("capi", map[string]*apigateway.Method{
		"GET /items":  proxyMethod(be.URL + "/items"),
		"POST /items": proxyMethod(be.URL + "/items"),
		"POST /other": proxyMethod(be.URL + "/other"),
		"ANY /any":    proxyMethod(be.URL + "/any"),
		"GET /short":  proxyMethod(be.URL + "/short"),
		"GET /off":    proxyMethod(be.URL + "/off"),
		"GET /pets/{id}": func() *apigateway.Method {
			m := proxyMethod(be.URL + "/pets/{id}")
			m.MethodIntegration.RequestParameters = map[string]string{"integration.request.path.id": "method.request.path.id"}
			m.MethodIntegration.CacheKeyParameters = []string{"method.request.path.id"}
			return m
		}(),
	}, nil)
	deploy(t, s, doc, "d1", "prod", nil)
	off := caching(300)
	off.CachingEnabled = false
	putStageDocument(t, s, "capi", cachedStage(map[string]*apigateway.MethodSetting{
		"*/*":        caching(300),
		"items/POST": caching(300),
		"short/GET":  caching(10),
		"off/GET":    off,
	}))
	srv := startServer(t, s, Config{Logger: testLogger(t), Now: clk.Now})
	waitFor(t, func() bool {
		st := srv.table.Load().lookup("capi", "prod")
		return st != nil && st.cacheCluster == "0.5"
	})

	wantBody(t, srv, "capi", "GET", "/items", "GET /items call 1")
	wantBody(t, srv, "capi", "GET", "/items", "GET /items call 1")
	wantBody(t, srv, "capi", "POST", "/items", "POST /items call 2") // its own entry: the method is part of the key
	wantBody(t, srv, "capi", "POST", "/items", "POST /items call 2")
	wantBody(t, srv, "capi", "POST", "/other", "POST /other call 3") // the wildcard caches GET only
	wantBody(t, srv, "capi", "POST", "/other", "POST /other call 4")
	wantBody(t, srv, "capi", "POST", "/any", "POST /any call 5")
	wantBody(t, srv, "capi", "HEAD", "/any", "")
	wantBody(t, srv, "capi", "GET", "/any", "GET /any call 7")
	wantBody(t, srv, "capi", "GET", "/any", "GET /any call 7")
	wantBody(t, srv, "capi", "GET", "/off", "GET /off call 8")
	wantBody(t, srv, "capi", "GET", "/off", "GET /off call 9")
	wantBody(t, srv, "capi", "GET", "/pets/1", "GET /pets/1 call 10")
	wantBody(t, srv, "capi", "GET", "/pets/2", "GET /pets/2 call 11")
	wantBody(t, srv, "capi", "GET", "/pets/1", "GET /pets/1 call 10")

	wantBody(t, srv, "capi", "GET", "/short", "GET /short call 12")
	clk.Advance(9 * time.Second)
	wantBody(t, srv, "capi", "GET", "/short", "GET /short call 12")
	clk.Advance(time.Second)
	wantBody(t, srv, "capi", "GET", "/short", "GET /short call 13")
	wantBody(t, srv, "capi", "GET", "/items", "GET /items call 1")

	// max-age=0 with requireAuthorizationForCacheControl off: anyone invalidates.
	wantBody(t, srv, "capi", "GET", "/items", "GET /items call 14", "Cache-Control: max-age=0")
	wantBody(t, srv, "capi", "GET", "/items", "GET /items call 14")
	if n := calls.Load(); n != 14 {
		t.Errorf("backend calls = %d; want 14", n)
	}

	stats := map[string]cache.Stat{}
	for _, st := range srv.CacheStats() {
		stats[st.ResourcePath+" "+st.Method] = st
	}
	for k, want := range map[string][2]uint64{"/items GET": {3, 2}, "/items POST": {1, 1}, "/any ANY": {1, 1}, "/pets/{id} GET": {1, 2}, "/short GET": {1, 2}} {
		if got := stats[k]; got.Hits != want[0] || got.Misses != want[1] || got.Stage != "capi/prod" {
			t.Errorf("CacheStats[%s] = %+v; want %d hits, %d misses", k, got, want[0], want[1])
		}
	}
	for _, k := range []string{"/other POST", "/off GET"} {
		if _, ok := stats[k]; ok {
			t.Errorf("CacheStats has %s, which is not cached", k)
		}
	}
}

// flushCounter is a Store that counts the flushes of each stage.
type flushCounter struct {
	cache.Store
	mu      sync.Mutex
	flushes map[string]int
}

func (f *flushCounter) FlushStage(ctx context.Context, stage string) error {
	f.mu.Lock()
	f.flushes[stage]++
	f.mu.Unlock()
	return f.Store.FlushStage(ctx, stage)
}

func (f *flushCounter) count(stage string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.flushes[stage]
}

func TestResponseCacheFlushedWithCluster(t *testing.T) {
	t.Parallel()
	be, _ := countingBackend(t)
	s := newStore(t)
	deploy(t, s, buildAPI("fapi", map[string]*apigateway.Method{"GET /items": proxyMethod(be.URL + "/items")}, nil), "d1", "prod", nil)
	st := cachedStage(map[string]*apigateway.MethodSetting{"*/*": caching(300)})
	putStageDocument(t, s, "fapi", st)
	store := &flushCounter{Store: cache.NewMemoryStore(), flushes: map[string]int{}}
	srv := startServer(t, s, Config{Logger: testLogger(t), ResponseCache: store})
	cluster := func(want string) func() bool {
		return func() bool {
			st := srv.table.Load().lookup("fapi", "prod")
			return st != nil && st.cacheCluster == want
		}
	}
	waitFor(t, cluster("0.5"))
	wantBody(t, srv, "fapi", "GET", "/items", "GET /items call 1")
	wantBody(t, srv, "fapi", "GET", "/items", "GET /items call 1")

	// Another setting leaves the entries.
	st.Description = "changed"
	putStageDocument(t, s, "fapi", st)
	waitFor(t, func() bool { return srv.table.Load().lookup("fapi", "prod") != nil })
	wantBody(t, srv, "fapi", "GET", "/items", "GET /items call 1")

	// A resize flushes.
	st.CacheClusterSize = "1.6"
	putStageDocument(t, s, "fapi", st)
	testWaitFlushes(t, store, "fapi/prod", 1)
	wantBody(t, srv, "fapi", "GET", "/items", "GET /items call 2")
	wantBody(t, srv, "fapi", "GET", "/items", "GET /items call 2")

	// Disabling flushes and caches nothing.
	st.CacheClusterEnabled = false
	putStageDocument(t, s, "fapi", st)
	testWaitFlushes(t, store, "fapi/prod", 2)
	wantBody(t, srv, "fapi", "GET", "/items", "GET /items call 3")
	wantBody(t, srv, "fapi", "GET", "/items", "GET /items call 4")

	// Enabled again, then the stage deleted: flushed each time.
	st.CacheClusterEnabled = true
	putStageDocument(t, s, "fapi", st)
	testWaitFlushes(t, store, "fapi/prod", 3)
	wantBody(t, srv, "fapi", "GET", "/items", "GET /items call 5")
	wantBody(t, srv, "fapi", "GET", "/items", "GET /items call 5")
	if _, err := s.Txn(context.Background(), deleteOp(testScope.StageKey("fapi", "prod"))); err != nil {
		t.Fatal(err)
	}
	testWaitFlushes(t, store, "fapi/prod", 4)
	for _, st := range srv.CacheStats() {
		if st.Stage == "fapi/prod" {
			t.Errorf("CacheStats of the deleted stage: %+v", st)
		}
	}
}

func testWaitFlushes(t *testing.T, f *flushCounter, stage string, n int) {
	t.Helper()
	waitFor(t, func() bool { return f.count(stage) == n })
}

func TestResponseCacheEncrypted(t *testing.T) {
	t.Parallel()
	be, _ := countingBackend(t)
	s := newStore(t)
	deploy(t, s, buildAPI("eapi", map[string]*apigateway.Method{"GET /items": proxyMethod(be.URL + "/items")}, nil), "d1", "prod", nil)
	setting := caching(300)
	setting.CacheDataEncrypted = true
	st := cachedStage(map[string]*apigateway.MethodSetting{"*/*": setting})
	st.CacheDataKey = bytes.Repeat([]byte{5}, cache.KeySize)
	putStageDocument(t, s, "eapi", st)
	mem := &recordingStore{Store: cache.NewMemoryStore()}
	srv := startServer(t, s, Config{Logger: testLogger(t), ResponseCache: mem})
	waitFor(t, func() bool { st := srv.table.Load().lookup("eapi", "prod"); return st != nil && st.cacheCluster != "" })
	wantBody(t, srv, "eapi", "GET", "/items", "GET /items call 1")
	wantBody(t, srv, "eapi", "GET", "/items", "GET /items call 1")
	if v := mem.last(); len(v) == 0 || bytes.Contains(v, []byte("call 1")) {
		t.Errorf("stored value %q: want it sealed", v)
	}
}

// recordingStore keeps the last value Set.
type recordingStore struct {
	cache.Store
	mu    sync.Mutex
	value []byte
}

func (r *recordingStore) Set(ctx context.Context, stage, key string, value []byte, capacity int64, now, expires time.Time) error {
	r.mu.Lock()
	r.value = bytes.Clone(value)
	r.mu.Unlock()
	return r.Store.Set(ctx, stage, key, value, capacity, now, expires)
}

func (r *recordingStore) last() []byte { r.mu.Lock(); defer r.mu.Unlock(); return r.value }

func TestResponseCacheInvalidateAuthorization(t *testing.T) {
	t.Parallel()
	be, _ := countingBackend(t)
	s := newStore(t)
	m := proxyMethod(be.URL + "/pets")
	m.AuthorizationType = apigateway.AuthorizationAWSIAM
	deploy(t, s, buildAPI("iapi", map[string]*apigateway.Method{"GET /pets": m, "GET /open": proxyMethod(be.URL + "/open")}, nil), "d1", "prod", nil)
	fail := caching(300)
	fail.RequireAuthorizationForCacheControl = true
	fail.UnauthorizedCacheControlHeaderStrategy = cache.FailWith403
	putStageDocument(t, s, "iapi", cachedStage(map[string]*apigateway.MethodSetting{"*/*": fail}))
	putIAMUser(t, s, "alice", iamAliceID, map[string]string{"invoke": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}`})
	putIAMKey(t, s, iamAliceKey, iamAliceSecret, "alice", iam.StatusActive)
	putIAMUser(t, s, "carol", "AIDACAROLCAROLCAROL22", map[string]string{"all": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["execute-api:Invoke","execute-api:InvalidateCache"],"Resource":"arn:aws:execute-api:us-east-1:123456789012:iapi/prod/GET/pets"}]}`})
	putIAMKey(t, s, iamCarolKey, iamCarolSecret, "carol", iam.StatusActive)
	srv := startServer(t, s, Config{Logger: testLogger(t), Now: func() time.Time { return iamTestNow }})
	waitFor(t, func() bool { st := srv.table.Load().lookup("iapi", "prod"); return st != nil && st.cacheCluster != "" })
	waitFor(t, func() bool {
		return srv.iam.Load().lookup(iamCarolKey) != nil && srv.iam.Load().lookup(iamAliceKey) != nil
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	u := ts.URL + "/restapis/iapi/prod/_user_request_/pets"
	get := func(key, secret string, maxAge0 bool) (int, http.Header, string) {
		r := signedRequest(t, "GET", u, "", key, secret, "us-east-1", "execute-api", iamTestNow)
		if maxAge0 {
			r.Header.Set("Cache-Control", "max-age=0") // not signed: AWS signs only what the client lists
		}
		return send(t, r)
	}
	if _, _, b := get(iamAliceKey, iamAliceSecret, false); b != "GET /pets call 1" {
		t.Fatalf("alice = %q; want call 1", b)
	}
	if code, h, b := get(iamAliceKey, iamAliceSecret, true); code != 403 || b != `{"message":"Unauthorized"}` || h.Get("x-amzn-ErrorType") != "AccessDeniedException" {
		t.Errorf("alice max-age=0 = %d %s %q; want 403 Unauthorized (FAIL_WITH_403)", code, h.Get("x-amzn-ErrorType"), b)
	}
	if _, _, b := get(iamCarolKey, iamCarolSecret, true); b != "GET /pets call 2" {
		t.Errorf("carol max-age=0 = %q; want call 2 (she may invalidate)", b)
	}
	if _, _, b := get(iamAliceKey, iamAliceSecret, false); b != "GET /pets call 2" {
		t.Errorf("alice after the invalidation = %q; want call 2", b)
	}
	// A method without IAM has no caller to authorize: refused.
	if code, _, _ := serve(t, srv, "iapi", "GET", "/open", "Cache-Control: max-age=0"); code != 403 {
		t.Errorf("anonymous max-age=0 = %d; want 403", code)
	}
}

// TestResponseCacheCanary: a canary whose useStageCache is false neither reads nor fills the
// stage's cache; with it true, the canary and the stage answer from the same entries.
func TestResponseCacheCanary(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		useStageCache bool
		want          []string // main, main, canary, canary, main
	}{
		{false, []string{"main call 1", "main call 1", "canary call 2", "canary call 3", "main call 1"}},
		{true, []string{"main call 1", "main call 1", "main call 1", "main call 1", "main call 1"}},
	} {
		be, calls := countingBackend(t)
		s := newStore(t)
		apiID := fmt.Sprintf("canarycache%v", tt.useStageCache)
		putDeployment(t, s, buildAPI(apiID, map[string]*apigateway.Method{"GET /items": proxyMethod(be.URL + "/main")}, nil), "d1")
		putDeployment(t, s, buildAPI(apiID, map[string]*apigateway.Method{"GET /items": proxyMethod(be.URL + "/canary")}, nil), "d2")
		sd := cachedStage(map[string]*apigateway.MethodSetting{"*/*": caching(300)})
		sd.CanarySettings = &apigateway.CanarySettings{PercentTraffic: 50, DeploymentID: "d2", UseStageCache: tt.useStageCache}
		putStageDocument(t, s, apiID, sd)
		var draw atomic.Uint64
		srv := startServer(t, s, Config{Logger: testLogger(t), CanaryRandom: func() float64 { return math.Float64frombits(draw.Load()) }})
		waitFor(t, func() bool {
			st := srv.table.Load().lookup(apiID, "prod")
			return st != nil && st.cacheCluster == "0.5" && st.canary != nil
		})
		for i, r := range []float64{0.9, 0.9, 0, 0, 0.9} { // 0 draws the canary, 0.9 the stage
			draw.Store(math.Float64bits(r))
			_, _, got := serve(t, srv, apiID, "GET", "/items")
			if want := "GET /" + tt.want[i]; got != want {
				t.Errorf("useStageCache %v, request %d (draw %v) = %q; want %q", tt.useStageCache, i+1, r, got, want)
			}
		}
		if n, want := calls.Load(), int64(strings.Count(strings.Join(tt.want, ","), "canary call")+1); n != want {
			t.Errorf("useStageCache %v: backend calls = %d; want %d", tt.useStageCache, n, want)
		}
	}
}
