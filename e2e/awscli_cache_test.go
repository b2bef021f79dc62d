package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestAWSCLICache enables a stage's response cache with the real aws CLI as a user would
// (update-stage patch operations on /cacheClusterEnabled and the */* method settings) and
// shows over HTTP: a GET answered from the cache without reaching the backend, a POST that
// is not cached, Cache-Control: max-age=0 ignored with a Warning for an anonymous caller
// (requireAuthorizationForCacheControl, on by default) and honoured once that is off, a
// resize flushing the cache, and the TTL passing.
func TestAWSCLICache(t *testing.T) {
	t.Parallel()
	g := startGatehouse(t, options{})
	var calls atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "%s %s call %d", r.Method, r.URL.Path, calls.Add(1))
	}))
	t.Cleanup(backend.Close)
	cli := newAWSCLI(t, g.AdminURL, "AKIAE2ETESTCLICACHE1", "e2e-cli-cache-secret")
	v := vars{"backend": backend.URL}

	get := func(t *testing.T, method string, header http.Header) httpResult {
		t.Helper()
		base, host := g.hostURL(v["api"])
		return mustCall(t, method, base+"/prod/items", host, header, "")
	}
	maxAge0 := http.Header{"Cache-Control": {"max-age=0"}}

	steps := []cliStep{
		{name: "create-rest-api",
			args: []string{"create-rest-api", "--name", "e2e-cache"},
			save: map[string]string{"api": "id", "root": "rootResourceId"}},
		{name: "create-resource /items",
			args: []string{"create-resource", "--rest-api-id", "<api>", "--parent-id", "<root>", "--path-part", "items"},
			save: map[string]string{"items": "id"}},
		{name: "put-method ANY /items",
			args: []string{"put-method", "--rest-api-id", "<api>", "--resource-id", "<items>", "--http-method", "ANY", "--authorization-type", "NONE"}},
		{name: "put-integration HTTP_PROXY",
			args: []string{"put-integration", "--rest-api-id", "<api>", "--resource-id", "<items>", "--http-method", "ANY",
				"--type", "HTTP_PROXY", "--integration-http-method", "ANY", "--uri", "<backend>/items"},
			want: fields{"cacheNamespace": "<items>", "cacheKeyParameters.#": 0}},
		{name: "create-deployment --stage-name prod",
			args: []string{"create-deployment", "--rest-api-id", "<api>", "--stage-name", "prod"}},
		{name: "update-stage enables the cache",
			args: []string{"update-stage", "--rest-api-id", "<api>", "--stage-name", "prod", "--patch-operations",
				"op=replace,path=/cacheClusterEnabled,value=true", "op=replace,path=/cacheClusterSize,value=0.5",
				"op=replace,path=/*/*/caching/enabled,value=true"},
			want: fields{"cacheClusterEnabled": true, "cacheClusterSize": "0.5", "cacheClusterStatus": "AVAILABLE",
				"methodSettings.*/*.cachingEnabled": true, "methodSettings.*/*.cacheTtlInSeconds": 300,
				"methodSettings.*/*.requireAuthorizationForCacheControl":    true,
				"methodSettings.*/*.unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER"}},
		{name: "get-stage returns no cache key", args: []string{"get-stage", "--rest-api-id", "<api>", "--stage-name", "prod"},
			want: fields{"cacheClusterEnabled": true, "gatehouseCacheDataKey": absent}},

		{name: "a GET is answered from the cache", do: func(t *testing.T, v vars) {
			// The data plane applies the stage's new settings as it follows the store: wait
			// until a GET is answered from the cache.
			var first httpResult
			if !waitFor(propagateDeadline, func() bool {
				first = get(t, "GET", nil)
				n := calls.Load()
				get(t, "GET", nil)
				return calls.Load() == n
			}) {
				t.Fatalf("GETs never answered from the cache: last %q", first.Body)
			}
			n := calls.Load()
			hit := get(t, "GET", nil)
			if hit.Status != 200 || hit.Body != first.Body || hit.Header.Get("Content-Type") != "text/plain" || calls.Load() != n {
				t.Errorf("hit = %d %q %v; want %q, its headers, without a backend call", hit.Status, hit.Body, hit.Header, first.Body)
			}
			checkRequestID(t, hit)
		}},
		{name: "POST is not cached; max-age=0 is ignored with a Warning", do: func(t *testing.T, v vars) {
			cached := get(t, "GET", nil)
			p1, p2 := get(t, "POST", nil), get(t, "POST", nil)
			if p1.Body == p2.Body {
				t.Errorf("POSTs %q and %q: want each from the backend", p1.Body, p2.Body)
			}
			r := get(t, "GET", maxAge0)
			if r.Body != cached.Body || r.Header.Get("Warning") == "" {
				t.Errorf("anonymous max-age=0 = %q, Warning %q; want %q from the cache with a Warning", r.Body, r.Header.Get("Warning"), cached.Body)
			}
		}},
		{name: "update-stage: no authorization for Cache-Control", args: []string{"update-stage", "--rest-api-id", "<api>", "--stage-name", "prod", "--patch-operations",
			"op=replace,path=/*/*/caching/requireAuthorizationForCacheControl,value=false"},
			want: fields{"methodSettings.*/*.requireAuthorizationForCacheControl": false}},
		{name: "max-age=0 invalidates", do: func(t *testing.T, v vars) {
			var fresh httpResult
			if !waitFor(propagateDeadline, func() bool {
				old := get(t, "GET", nil)
				fresh = get(t, "GET", maxAge0)
				return fresh.Body != old.Body
			}) {
				t.Fatal("max-age=0 never reached the backend")
			}
			if r := get(t, "GET", nil); r.Body != fresh.Body {
				t.Errorf("after max-age=0: %q; want the refilled %q", r.Body, fresh.Body)
			}
		}},
		{name: "update-stage: resize", args: []string{"update-stage", "--rest-api-id", "<api>", "--stage-name", "prod", "--patch-operations",
			"op=replace,path=/cacheClusterSize,value=1.6"},
			want: fields{"cacheClusterSize": "1.6"}},
		{name: "a resize flushes", do: func(t *testing.T, v vars) {
			before := calls.Load()
			if !waitFor(propagateDeadline, func() bool { get(t, "GET", nil); return calls.Load() > before }) {
				t.Error("the resized stage still answers from its old cache")
			}
		}},
		{name: "update-stage: a 1 s TTL", args: []string{"update-stage", "--rest-api-id", "<api>", "--stage-name", "prod", "--patch-operations",
			"op=replace,path=/*/*/caching/ttlInSeconds,value=1"},
			want: fields{"methodSettings.*/*.cacheTtlInSeconds": 1}},
		{name: "the TTL ends an entry", do: func(t *testing.T, v vars) {
			// An entry keeps the TTL it was stored with: refill it (max-age=0) once the new
			// TTL applies, and its expiry sends the next GET to the backend.
			if !waitFor(propagateDeadline, func() bool {
				get(t, "GET", maxAge0)
				n := calls.Load()
				return waitFor(3*time.Second, func() bool { get(t, "GET", nil); return calls.Load() > n })
			}) {
				t.Error("an entry stored with a 1 s TTL never expired")
			}
		}},
	}
	runScript(t, cli, v, steps)
	g.expectNoErrorLogs()
}
