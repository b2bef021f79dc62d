package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apigateway"
	"github.com/gatehouse/gatehouse/internal/gateway/invoke"
	"github.com/gatehouse/gatehouse/internal/testwait"
)

// clock is an injected clock tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// backend is an integration that counts its calls and answers "call N" (N from 1).
type backend struct {
	calls  atomic.Int32
	status int
	header http.Header
	body   func(n int32) []byte
	stream bool
	err    error
	// gate, when set, holds every call until it is closed; entered receives each call.
	gate    chan struct{}
	entered chan struct{}
}

func (b *backend) Invoke(ctx context.Context, inv *invoke.Invocation) (*invoke.Response, error) {
	n := b.calls.Add(1)
	if b.entered != nil {
		b.entered <- struct{}{}
	}
	if b.gate != nil {
		select {
		case <-b.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if b.err != nil {
		return nil, b.err
	}
	body := []byte(fmt.Sprintf("call %d", n))
	if b.body != nil {
		body = b.body(n)
	}
	h := http.Header{"Content-Type": {"text/plain"}}
	for k, v := range b.header {
		h[k] = v
	}
	resp := &invoke.Response{StatusCode: 200, Header: h}
	if b.status != 0 {
		resp.StatusCode = b.status
	}
	if b.stream {
		resp.Stream, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), -1
	} else {
		resp.Body = body
	}
	return resp, nil
}

type fixture struct {
	t     *testing.T
	clock *clock
	store *MemoryStore
	stats *Stats
	stage *Stage
	be    *backend
	h     invoke.Handler
	allow bool // MayInvalidate's answer
}

func newFixture(t *testing.T, m Method, cfg StageConfig) *fixture {
	t.Helper()
	f := &fixture{t: t, clock: &clock{now: t0}, store: NewMemoryStore(), stats: &Stats{}, be: &backend{}}
	if cfg.Capacity == 0 {
		cfg.Capacity = 1 << 30
	}
	cfg.Store, cfg.Name, cfg.Now, cfg.Stats = f.store, "api1/prod", f.clock.Now, f.stats
	cfg.MayInvalidate = func(*invoke.Invocation) bool { return f.allow }
	st, err := NewStage(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.stage = st
	if m.TTL == 0 {
		m.TTL = 300 * time.Second
	}
	if m.ResourcePath == "" {
		m.ResourcePath, m.HTTPMethod, m.Namespace = "/pets/{id}", "GET", "res1"
	}
	mw, err := st.Middleware(m)
	if err != nil {
		t.Fatal(err)
	}
	if mw == nil {
		t.Fatal("method not cached")
	}
	f.h = mw(f.be)
	return f
}

// req is a request: "GET /pets/1?x=1" with optional headers "Name: value".
func req(line string, headers ...string) *invoke.Invocation {
	verb, target, _ := strings.Cut(line, " ")
	path, query, _ := strings.Cut(target, "?")
	inv := &invoke.Invocation{HTTPMethod: verb, Request: invoke.Request{Method: verb, Path: path, RawQuery: query, Header: http.Header{}}}
	if id, ok := strings.CutPrefix(path, "/pets/"); ok {
		inv.PathParams = []invoke.Param{{Name: "id", Value: id}}
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		inv.Request.Header.Add(http.CanonicalHeaderKey(k), strings.TrimSpace(v))
	}
	return inv
}

// do sends inv and returns the body (or the error's type) answered.
func (f *fixture) do(inv *invoke.Invocation) string {
	f.t.Helper()
	resp, err := f.h.Invoke(context.Background(), inv)
	if err != nil {
		if e, ok := invoke.AsError(err); ok {
			return "error " + string(e.Type) + " " + e.Message
		}
		return "error " + err.Error()
	}
	if resp.Stream != nil {
		b, err := io.ReadAll(resp.Stream)
		if err != nil {
			f.t.Fatal(err)
		}
		return string(b)
	}
	return string(resp.Body)
}

func (f *fixture) want(inv *invoke.Invocation, want string) *invoke.Invocation {
	f.t.Helper()
	if got := f.do(inv); got != want {
		f.t.Errorf("%s %s?%s %v = %q; want %q", inv.HTTPMethod, inv.Request.Path, inv.Request.RawQuery, inv.Request.Header, got, want)
	}
	return inv
}

func TestHitNeverCallsIntegration(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Method{}, StageConfig{})
	f.want(req("GET /pets/1"), "call 1")
	f.want(req("GET /pets/1"), "call 1")
	f.want(req("GET /pets/2"), "call 1") // no cacheKeyParameters: one entry for the resource, as AWS
	if n := f.be.calls.Load(); n != 1 {
		t.Errorf("integration calls = %d; want 1", n)
	}
	stats := f.stats.Snapshot()
	if len(stats) != 1 || stats[0] != (Stat{Stage: "api1/prod", ResourcePath: "/pets/{id}", Method: "GET", Hits: 2, Misses: 1}) {
		t.Errorf("stats = %+v; want 2 hits, 1 miss", stats)
	}
}

func TestTTLByInjectedClock(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Method{TTL: 60 * time.Second}, StageConfig{})
	f.want(req("GET /pets/1"), "call 1")
	f.clock.Add(59 * time.Second)
	f.want(req("GET /pets/1"), "call 1")
	f.clock.Add(time.Second)
	f.want(req("GET /pets/1"), "call 2")
	f.want(req("GET /pets/1"), "call 2")
}

func TestZeroTTLIsNotCached(t *testing.T) {
	t.Parallel()
	st, err := NewStage(StageConfig{Store: NewMemoryStore(), Name: "a/b", Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	mw, err := st.Middleware(Method{TTL: 0})
	if mw != nil || err != nil {
		t.Errorf("Middleware(TTL 0) = %v, %v; want nil, nil", mw != nil, err)
	}
}

func TestCapacityEvicts(t *testing.T) {
	t.Parallel()
	// Each entry counts about 180 bytes (EntryOverhead and its key and value): three fit
	// in 700, a fourth evicts one of the others (MemoryStore's CLOCK eviction).
	f := newFixture(t, Method{KeyParameters: []string{"method.request.path.id"}}, StageConfig{Capacity: 700})
	for i := 1; i <= 4; i++ {
		f.want(req(fmt.Sprintf("GET /pets/%d", i)), fmt.Sprintf("call %d", i))
	}
	f.want(req("GET /pets/4"), "call 4") // the entry just stored stays
	for i := 1; i <= 3; i++ {
		f.do(req(fmt.Sprintf("GET /pets/%d", i)))
	}
	if n := f.be.calls.Load(); n < 5 {
		t.Errorf("integration calls = %d; want at least 5 (one of the first three evicted)", n)
	}
	if used := f.store.tableOf("api1/prod").used.Load(); used > 700 {
		t.Errorf("stage holds %d bytes; want at most its capacity, 700", used)
	}
}

func TestKeyParameters(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Method{KeyParameters: []string{"method.request.path.id", "method.request.querystring.q", "method.request.header.X-Tenant"}}, StageConfig{})
	f.want(req("GET /pets/1"), "call 1")
	f.want(req("GET /pets/1?other=1"), "call 1") // not a key parameter
	f.want(req("GET /pets/2"), "call 2")
	f.want(req("GET /pets/1?q=a"), "call 3")
	f.want(req("GET /pets/1?q="), "call 4") // present and empty is not absent
	f.want(req("GET /pets/1?q=a&q=b"), "call 5")
	f.want(req("GET /pets/1?q=b&q=a"), "call 6") // every value, in order
	f.want(req("GET /pets/1?q=a"), "call 3")
	f.want(req("GET /pets/1?q=a", "x-tenant: t1"), "call 7")
	f.want(req("GET /pets/1?q=a", "X-TENANT: t1"), "call 7")
	f.want(req("GET /pets/1?q=a", "X-Tenant: t2"), "call 8")
}

func TestKeyLengthPrefixed(t *testing.T) {
	t.Parallel()
	// Without length prefixes "a"+"bc" and "ab"+"c" would meet.
	src := []keySource{{kind: 'q', name: "x"}, {kind: 'q', name: "y"}}
	k1 := appendKey(nil, "ns", src, req("GET /?x=a&y=bc"))
	k2 := appendKey(nil, "ns", src, req("GET /?x=ab&y=c"))
	if bytes.Equal(k1, k2) {
		t.Errorf("keys of x=a&y=bc and x=ab&y=c are equal: %q", k1)
	}
}

func TestIntegrationKeyParameters(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Method{
		KeyParameters:     []string{"integration.request.querystring.who", "integration.request.header.fixed"},
		RequestParameters: map[string]string{"integration.request.querystring.who": "method.request.querystring.name", "integration.request.header.fixed": "'v1'"},
	}, StageConfig{})
	f.want(req("GET /pets/1?name=a"), "call 1")
	f.want(req("GET /pets/1?name=b"), "call 2")
	f.want(req("GET /pets/1?name=a"), "call 1")
	// Keys that name nothing the request has: every problem listed, and the method is
	// served uncached rather than with entries merged.
	bad := []string{"integration.request.header.none", "method.request.body"}
	if _, err := parseKeyParameters(bad, nil); err == nil || !strings.Contains(err.Error(), "none") || !strings.Contains(err.Error(), "method.request.body") {
		t.Errorf("parseKeyParameters(%q) = %v; want both listed", bad, err)
	}
	if mw, err := f.stage.Middleware(Method{TTL: time.Second, KeyParameters: bad}); mw != nil || err != nil {
		t.Errorf("Middleware with bad key parameters = %v, %v; want nil, nil (uncached)", mw != nil, err)
	}
	if _, err := f.stage.Middleware(Method{TTL: time.Second, Strategy: "SUCCEED"}); err == nil {
		t.Error("Middleware with strategy SUCCEED: no error")
	}
}

func TestGETOnlyAndHEAD(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Method{ResourcePath: "/items", HTTPMethod: "ANY", GETOnly: true}, StageConfig{})
	f.want(req("POST /items"), "call 1")
	f.want(req("POST /items"), "call 2")
	f.want(req("HEAD /items"), "call 3")
	f.want(req("GET /items"), "call 4")
	f.want(req("GET /items"), "call 4")
	f.want(req("HEAD /items"), "call 5")

	// An entry that names POST caches POST; HEAD still never.
	p := newFixture(t, Method{ResourcePath: "/items", HTTPMethod: "POST"}, StageConfig{})
	p.want(req("POST /items"), "call 1")
	p.want(req("POST /items"), "call 1")
	h := newFixture(t, Method{ResourcePath: "/items", HTTPMethod: "HEAD"}, StageConfig{})
	h.want(req("HEAD /items"), "call 1")
	h.want(req("HEAD /items"), "call 2")
}

func TestMaxAgeZero(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		require  bool
		allow    bool
		strategy string
		want     string // the answer to the max-age=0 request after "call 1" was cached
		warning  bool
		refilled bool
	}{
		{require: false, want: "call 2", refilled: true},
		{require: true, allow: true, strategy: FailWith403, want: "call 2", refilled: true},
		{require: true, strategy: FailWith403, want: "error ACCESS_DENIED Unauthorized"},
		{require: true, strategy: SucceedWithResponseHeader, want: "call 1", warning: true},
		{require: true, strategy: "", want: "call 1", warning: true},
		{require: true, strategy: SucceedWithoutResponseHeader, want: "call 1"},
	} {
		t.Run(fmt.Sprintf("require=%v,allow=%v,%s", tc.require, tc.allow, tc.strategy), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, Method{RequireAuthorization: tc.require, Strategy: tc.strategy}, StageConfig{})
			f.allow = tc.allow
			f.want(req("GET /pets/1"), "call 1")
			inv := req("GET /pets/1", "Cache-Control: no-store, MAX-AGE=0")
			resp, err := f.h.Invoke(context.Background(), inv)
			got := ""
			if err != nil {
				e, _ := invoke.AsError(err)
				got = "error " + string(e.Type) + " " + e.Message
			} else {
				got = string(resp.Body)
				if w := resp.Header.Get(WarningHeader); (w != "") != tc.warning {
					t.Errorf("Warning header = %q; want present %v", w, tc.warning)
				}
			}
			if got != tc.want {
				t.Errorf("max-age=0 = %q; want %q", got, tc.want)
			}
			after := "call 1"
			if tc.refilled {
				after = "call 2"
			}
			f.want(req("GET /pets/1"), after)
		})
	}
}

func TestMaxAgeZeroParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   []string
		want bool
	}{
		{nil, false},
		{[]string{"max-age=0"}, true},
		{[]string{"Max-Age = \"0\""}, true},
		{[]string{"no-cache", "max-age=0"}, true},
		{[]string{"max-age=10"}, false},
		{[]string{"max-age=00"}, false},
		{[]string{"s-maxage=0"}, false},
		{[]string{"no-cache"}, false},
	} {
		if got := maxAgeZero(tc.in); got != tc.want {
			t.Errorf("maxAgeZero(%q) = %v; want %v", tc.in, got, tc.want)
		}
	}
}

func TestWhatIsCached(t *testing.T) {
	t.Parallel()
	// A non-2xx answer of the integration is cached, as AWS does; its headers come back.
	f := newFixture(t, Method{}, StageConfig{})
	f.be.status, f.be.header = 404, http.Header{"X-Backend": {"a", "b"}}
	f.want(req("GET /pets/1"), "call 1")
	resp, err := f.h.Invoke(context.Background(), req("GET /pets/1"))
	if err != nil || resp.StatusCode != 404 || !equal(resp.Header["X-Backend"], []string{"a", "b"}) || resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("hit = %+v, %v; want the 404 with its headers", resp, err)
	}

	// A gateway response (the integration failed) is not.
	e := newFixture(t, Method{}, StageConfig{})
	e.be.err = invoke.Timeout.Because(errors.New("slow"))
	e.want(req("GET /pets/1"), "error INTEGRATION_TIMEOUT Endpoint request timed out")
	e.be.err = nil
	e.want(req("GET /pets/1"), "call 2")
	e.want(req("GET /pets/1"), "call 2")

	// A streamed answer is buffered and cached; one over 1 MB is served whole, not cached.
	s := newFixture(t, Method{}, StageConfig{})
	s.be.stream = true
	s.want(req("GET /pets/1"), "call 1")
	s.want(req("GET /pets/1"), "call 1")
	big := newFixture(t, Method{}, StageConfig{})
	big.be.stream = true
	big.be.body = func(n int32) []byte { return bytes.Repeat([]byte{byte('0' + n)}, MaxEntryBody+1) }
	for i := 1; i <= 2; i++ {
		if got := big.do(req("GET /pets/1")); len(got) != MaxEntryBody+1 || got[0] != byte('0'+i) {
			t.Errorf("large answer %d: %d bytes starting %q; want %d bytes of %d", i, len(got), got[:1], MaxEntryBody+1, i)
		}
	}
	exact := newFixture(t, Method{}, StageConfig{})
	exact.be.body = func(n int32) []byte { return bytes.Repeat([]byte{byte('0' + n)}, MaxEntryBody) }
	exact.do(req("GET /pets/1"))
	exact.do(req("GET /pets/1"))
	if n := exact.be.calls.Load(); n != 1 {
		t.Errorf("a 1 MB answer: %d calls; want 1 (cached)", n)
	}
}

func equal(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

func TestEncryption(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{7}, KeySize)
	for _, encrypted := range []bool{false, true} {
		f := newFixture(t, Method{Encrypted: encrypted}, StageConfig{DataKey: key})
		f.be.body = func(int32) []byte { return []byte("secret-payload") }
		f.want(req("GET /pets/1"), "secret-payload")
		f.want(req("GET /pets/1"), "secret-payload")
		k := string(appendKey(nil, "res1", nil, req("GET /pets/1")))
		v, ok, _ := f.store.Get(context.Background(), "api1/prod", k, t0)
		if !ok {
			t.Fatalf("encrypted=%v: nothing stored under the key", encrypted)
		}
		if plain := bytes.Contains(v, []byte("secret-payload")); plain == encrypted {
			t.Errorf("encrypted=%v: stored value holds the body in the clear: %v", encrypted, plain)
		}
	}
	// Asked without a key, the method is not cached rather than stored in the clear.
	st, _ := NewStage(StageConfig{Store: NewMemoryStore(), Name: "a/b", Now: time.Now})
	if mw, err := st.Middleware(Method{TTL: time.Second, Encrypted: true}); mw != nil || err != nil {
		t.Errorf("encrypted without a key: Middleware = %v, %v; want nil, nil", mw != nil, err)
	}
	if _, err := NewStage(StageConfig{DataKey: []byte("short")}); err == nil {
		t.Error("NewStage with a 5-byte key: no error")
	}
}

func TestCorruptEntryIsMiss(t *testing.T) {
	t.Parallel()
	for _, encrypted := range []bool{false, true} {
		f := newFixture(t, Method{Encrypted: encrypted}, StageConfig{DataKey: bytes.Repeat([]byte{1}, KeySize)})
		k := string(appendKey(nil, "res1", nil, req("GET /pets/1")))
		for i, v := range [][]byte{nil, {formatPlain}, {formatSealed, 1, 2, 3}, {formatPlain, entryVersion, 0, 200, 1}, []byte("garbage")} {
			if err := f.store.Set(context.Background(), "api1/prod", k, v, 1<<20, t0, t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			f.want(req("GET /pets/1"), fmt.Sprintf("call %d", i+1))
		}
		// A value sealed under another key does not open: a miss.
		other, _ := newSealer(bytes.Repeat([]byte{2}, KeySize))
		v := marshal(&cached{status: 200, body: []byte("forged")}, k, other)
		_ = f.store.Set(context.Background(), "api1/prod", k, v, 1<<20, t0, t0.Add(time.Hour))
		if got := f.do(req("GET /pets/1")); got == "forged" {
			t.Errorf("encrypted=%v: an entry sealed under another key was served", encrypted)
		}
	}
}

func TestSingleFlight(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Method{}, StageConfig{})
	f.be.gate, f.be.entered = make(chan struct{}), make(chan struct{}, 16)
	const n = 8
	results := make(chan string, n)
	go func() { results <- f.do(req("GET /pets/1")) }()
	testwait.Recv(t, f.be.entered, testwait.Patient, "the first request reaching the integration")
	fl, lead := f.stage.flights.join(string(appendKey(nil, "res1", nil, req("GET /pets/1"))))
	if lead {
		t.Fatal("no flight in progress while the integration is called")
	}
	for range n - 1 {
		go func() { results <- f.do(req("GET /pets/1")) }()
	}
	testwait.Until(t, testwait.Patient, "7 requests waiting for the flight", func() bool { return fl.waiting.Load() == n-1 })
	close(f.be.gate)
	for range n {
		if got := testwait.Recv(t, results, testwait.Patient, "an answer"); got != "call 1" {
			t.Errorf("answer = %q; want call 1", got)
		}
	}
	if c := f.be.calls.Load(); c != 1 {
		t.Errorf("integration calls = %d; want 1", c)
	}
	if s := f.stats.Snapshot()[0]; s.Hits != n-1 || s.Misses != 1 {
		t.Errorf("stats = %+v; want %d hits, 1 miss", s, n-1)
	}
}

func TestSingleFlightWaiterContext(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Method{}, StageConfig{})
	f.be.gate, f.be.entered = make(chan struct{}), make(chan struct{}, 16)
	leader := make(chan string, 1)
	go func() { leader <- f.do(req("GET /pets/1")) }()
	testwait.Recv(t, f.be.entered, testwait.Patient, "the leader reaching the integration")
	// A waiter whose own deadline passes gives up alone; the leader goes on.
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_, err := f.h.Invoke(ctx, req("GET /pets/1"))
	if e, ok := invoke.AsError(err); !ok || e.Type != apigateway.ResponseIntegrationTimeout {
		t.Errorf("waiter past its deadline: err = %v; want INTEGRATION_TIMEOUT", err)
	}
	close(f.be.gate)
	if got := testwait.Recv(t, leader, testwait.Patient, "the leader's answer"); got != "call 1" {
		t.Errorf("leader = %q; want call 1", got)
	}
}

func TestSingleFlightLeaderGone(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Method{}, StageConfig{})
	f.be.gate, f.be.entered = make(chan struct{}), make(chan struct{}, 16)
	ctx, cancel := context.WithCancel(context.Background())
	leaderDone := make(chan error, 1)
	go func() { _, err := f.h.Invoke(ctx, req("GET /pets/1")); leaderDone <- err }()
	testwait.Recv(t, f.be.entered, testwait.Patient, "the leader reaching the integration")
	fl, _ := f.stage.flights.join(string(appendKey(nil, "res1", nil, req("GET /pets/1"))))
	waiter := make(chan string, 1)
	go func() { waiter <- f.do(req("GET /pets/1")) }()
	testwait.Until(t, testwait.Patient, "the waiter joining", func() bool { return fl.waiting.Load() == 1 })
	cancel() // the leader's client leaves: the waiter fetches for itself
	testwait.Recv(t, leaderDone, testwait.Patient, "the leader's return")
	testwait.Recv(t, f.be.entered, testwait.Patient, "the waiter reaching the integration")
	close(f.be.gate)
	if got := testwait.Recv(t, waiter, testwait.Patient, "the waiter's answer"); got != "call 2" {
		t.Errorf("waiter = %q; want call 2", got)
	}
}

func TestFlushStage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Method{}, StageConfig{})
	f.want(req("GET /pets/1"), "call 1")
	if err := f.store.FlushStage(context.Background(), "api1/prod"); err != nil {
		t.Fatal(err)
	}
	f.want(req("GET /pets/1"), "call 2")
}

func TestClusterCapacity(t *testing.T) {
	t.Parallel()
	for size, want := range map[string]int64{"0.5": 500_000_000, "1.6": 1_600_000_000, "6.1": 6_100_000_000, "13.5": 13_500_000_000,
		"28.4": 28_400_000_000, "58.2": 58_200_000_000, "118": 118_000_000_000, "237": 237_000_000_000} {
		if got, err := ClusterCapacity(size); got != want || err != nil {
			t.Errorf("ClusterCapacity(%q) = %d, %v; want %d", size, got, err, want)
		}
	}
	for _, bad := range []string{"", "1", "0.50", "237.0"} {
		if _, err := ClusterCapacity(bad); err == nil {
			t.Errorf("ClusterCapacity(%q): no error", bad)
		}
	}
}

func TestSingleFlightLeaderPanics(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Method{}, StageConfig{})
	panicking := invoke.HandlerFunc(func(context.Context, *invoke.Invocation) (*invoke.Response, error) { panic("boom") })
	mw, _ := f.stage.Middleware(Method{TTL: time.Minute, ResourcePath: "/pets/{id}", HTTPMethod: "GET", Namespace: "res1"})
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the integration's panic did not reach the caller")
			}
		}()
		_, _ = mw(panicking).Invoke(context.Background(), req("GET /pets/1"))
	}()
	// The flight landed: the next request leads a new one instead of waiting forever.
	if _, lead := f.stage.flights.join(string(appendKey(nil, "res1", nil, req("GET /pets/1")))); !lead {
		t.Error("a panicked flight is still in the air")
	}
}

// TestMalformedQueryIsNotCached: a query with a pair the parser skips (a ';', a bad escape)
// would key as if the pair were not there while a backend sent the raw query may read it,
// so such a request neither reads nor fills the entry of the query it looks like.
func TestMalformedQueryIsNotCached(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Method{KeyParameters: []string{"method.request.querystring.id"}}, StageConfig{})
	f.want(req("GET /pets/1?id=alice&x=1;id=mallory"), "call 1") // not stored under id=alice
	f.want(req("GET /pets/1?id=alice"), "call 2")
	f.want(req("GET /pets/1?id=alice&id=evil%zz"), "call 3") // not answered from id=alice's entry
	f.want(req("GET /pets/1?id=alice"), "call 2")
	// A key without query parameters does not read the query: such requests still share
	// the method's entry.
	g := newFixture(t, Method{}, StageConfig{})
	g.want(req("GET /pets/1?a=1;b=2"), "call 1")
	g.want(req("GET /pets/1"), "call 1")
}

// TestContextAndStageVariableKeys: integration.request parameters mapped from $context or a
// stage variable are part of the key with the value the request maps, so two callers (or
// a stage and its canary) with other values never share an entry.
func TestContextAndStageVariableKeys(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Method{
		KeyParameters: []string{"integration.request.header.x-user", "integration.request.header.x-color"},
		RequestParameters: map[string]string{"integration.request.header.x-user": "context.identity.sourceIp",
			"integration.request.header.x-color": "stageVariables.color"},
	}, StageConfig{})
	from := func(ip, color string) *invoke.Invocation {
		inv := req("GET /pets/1")
		inv.SourceIP, inv.StageVariables = ip, map[string]string{"color": color}
		return inv
	}
	f.want(from("192.0.2.1", "blue"), "call 1")
	f.want(from("192.0.2.2", "blue"), "call 2")
	f.want(from("192.0.2.1", "green"), "call 3")
	f.want(from("192.0.2.1", "blue"), "call 1")
}

// TestKeyNamesItsParameters: the same values under other key parameters are other keys,
// so methods sharing a cacheNamespace (or a redeploy that changes the parameters) never read
// each other's entries.
func TestKeyNamesItsParameters(t *testing.T) {
	t.Parallel()
	inv := req("GET /pets/1?user=alice", "user: alice")
	for _, pair := range [][2][]keySource{
		{{{kind: 'q', name: "user"}}, {{kind: 'h', name: "user"}}},
		{{{kind: 'q', name: "user"}}, {{kind: 'q', name: "User"}}},
	} {
		if k1, k2 := appendKey(nil, "shared", pair[0], inv), appendKey(nil, "shared", pair[1], inv); bytes.Equal(k1, k2) {
			t.Errorf("keys of %v and %v are equal: %q", pair[0], pair[1], k1)
		}
	}
}

// scriptedStore is a MemoryStore whose Gets, once armed, follow a script: the first and
// third miss, the second waits for recheck.
type scriptedStore struct {
	*MemoryStore
	mu      sync.Mutex
	armed   bool
	gets    int
	recheck chan struct{}
}

func (s *scriptedStore) Get(ctx context.Context, stage, key string, now time.Time) ([]byte, bool, error) {
	s.mu.Lock()
	n := 0
	if s.armed {
		s.gets++
		n = s.gets
	}
	s.mu.Unlock()
	switch n {
	case 1, 3:
		return nil, false, nil
	case 2:
		select {
		case <-s.recheck:
		case <-time.After(testwait.Patient): // the test failed before it let the leader on
			return nil, false, errors.New("scriptedStore: recheck never released")
		}
	}
	return s.MemoryStore.Get(ctx, stage, key, now)
}

// TestWarningOnSharedEntry: a leader that finds the entry filled on its second look shares
// it with the flight's waiters; the Warning its own ignored max-age=0 earns must reach
// neither them nor the entry (and must not race with their copies: run with -race).
func TestWarningOnSharedEntry(t *testing.T) {
	t.Parallel()
	ss := &scriptedStore{MemoryStore: NewMemoryStore(), recheck: make(chan struct{})}
	clk := &clock{now: t0}
	st, err := NewStage(StageConfig{Store: ss, Name: "api1/prod", Capacity: 1 << 30, Now: clk.Now, Stats: &Stats{},
		MayInvalidate: func(*invoke.Invocation) bool { return false }})
	if err != nil {
		t.Fatal(err)
	}
	mw, err := st.Middleware(Method{ResourcePath: "/pets/{id}", HTTPMethod: "GET", Namespace: "res1", TTL: time.Minute,
		RequireAuthorization: true, Strategy: SucceedWithResponseHeader})
	if err != nil || mw == nil {
		t.Fatalf("Middleware = %v, %v", mw != nil, err)
	}
	be := &backend{}
	h := mw(be)
	if _, err := h.Invoke(context.Background(), req("GET /pets/1")); err != nil { // fills the entry
		t.Fatal(err)
	}
	ss.mu.Lock()
	ss.armed = true
	ss.mu.Unlock()

	type answer struct {
		warning string
		err     error
	}
	leader, waiter := make(chan answer, 1), make(chan answer, 1)
	ask := func(out chan<- answer, headers ...string) {
		resp, err := h.Invoke(context.Background(), req("GET /pets/1", headers...))
		if err != nil {
			out <- answer{err: err}
			return
		}
		out <- answer{warning: resp.Header.Get(WarningHeader)}
	}
	go ask(leader, "Cache-Control: max-age=0") // misses, leads, and waits on its second look
	testwait.Until(t, testwait.Patient, "the leader's flight", func() bool {
		st.flights.mu.Lock()
		defer st.flights.mu.Unlock()
		return st.flights.m != nil && st.flights.m[string(appendKey(nil, "res1", nil, req("GET /pets/1")))] != nil
	})
	go ask(waiter) // misses and waits for the leader's flight
	testwait.Until(t, testwait.Patient, "a request waiting for the flight", func() bool {
		st.flights.mu.Lock()
		defer st.flights.mu.Unlock()
		for _, f := range st.flights.m {
			return f.waiting.Load() == 1
		}
		return false
	})
	close(ss.recheck)
	if a := testwait.Recv(t, leader, testwait.Patient, "the leader's answer"); a.err != nil || a.warning == "" {
		t.Errorf("leader (an ignored max-age=0) = %+v; want its Warning", a)
	}
	if a := testwait.Recv(t, waiter, testwait.Patient, "the waiter's answer"); a.err != nil || a.warning != "" {
		t.Errorf("waiter (no Cache-Control) = %+v; want no Warning", a)
	}
	if resp, err := h.Invoke(context.Background(), req("GET /pets/1")); err != nil || resp.Header.Get(WarningHeader) != "" {
		t.Errorf("a later hit = %v, Warning %q; want none", err, resp.Header.Get(WarningHeader))
	}
	if n := be.calls.Load(); n != 1 {
		t.Errorf("integration calls = %d; want 1", n)
	}
}

// TestMaxAgeZeroDropsWhatItCannotRefill: an authorized max-age=0 whose fresh answer cannot be
// stored (the integration failed, or answered over MaxEntryBody) drops the stale entry, so
// the next request does not get the answer its client was told is stale.
func TestMaxAgeZeroDropsWhatItCannotRefill(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		spoil func(b *backend)
	}{
		{"integration error", func(b *backend) { b.err = invoke.Timeout.Because(nil) }},
		{"too large", func(b *backend) { b.body = func(int32) []byte { return make([]byte, MaxEntryBody+1) } }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, Method{}, StageConfig{})
			f.want(req("GET /pets/1"), "call 1")
			tc.spoil(f.be)
			f.do(req("GET /pets/1", "Cache-Control: max-age=0")) // call 2, not stored
			f.be.err, f.be.body = nil, nil
			f.want(req("GET /pets/1"), "call 3")
			f.want(req("GET /pets/1"), "call 3")
		})
	}
}
